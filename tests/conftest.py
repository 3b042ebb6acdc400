"""Test-wide settings: headless Qt by default (a bare `pytest` needs no display)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Keep autosaves and user profiles of the test run out of the real user folder.
if "POSITION_PLANNER_DATA_DIR" not in os.environ:
    import tempfile

    os.environ["POSITION_PLANNER_DATA_DIR"] = tempfile.mkdtemp(prefix="pp-test-data-")
