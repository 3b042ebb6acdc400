"""Where the app keeps user data: profiles, autosaves (platformdirs).

``POSITION_PLANNER_DATA_DIR`` overrides the folder (tests, portable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

APP = "position-planner"


def data_dir() -> Path:
    """The user data folder (created on first use)."""
    override = os.environ.get("POSITION_PLANNER_DATA_DIR")
    folder = Path(override) if override else Path(user_data_dir(APP, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sub_dir(name: str) -> Path:
    folder = data_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
