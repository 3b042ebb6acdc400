"""Test-wide settings: headless Qt, and a test run never touches the user's real settings or data.

Before anything imports Qt, the XDG folders and the planner's data folder point
into one temporary folder for the session (subprocesses started by tests
inherit them); every test then gets its own fresh QSettings location and data
folder (``isolated_user_folders``), so tests cannot see each other's recent
files, window layouts, autosaves or user profiles either.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="pp-test-home-"))
for _var, _sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
    os.environ[_var] = str(_SESSION_HOME / _sub)
os.environ["POSITION_PLANNER_DATA_DIR"] = str(_SESSION_HOME / "position-planner")


@pytest.fixture(autouse=True)
def isolated_user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data folder and QSettings location for this test (the app's ini/native user settings land there)."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(home / "data"))
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # planner-only environments
        yield home
        return
    settings_dir = str(home / "settings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # also on Windows/macOS, where native means registry/plist
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, settings_dir)
    yield home
