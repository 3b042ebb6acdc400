"""Test-wide settings: headless Qt by default (a bare `pytest` needs no display)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
