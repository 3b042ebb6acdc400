"""Where the app keeps user data: profiles, autosaves (platformdirs).

``POSITION_PLANNER_DATA_DIR`` overrides the folder (tests, portable installs).
Reading never creates the folder (:func:`data_dir_path`); writing creates it
and raises :class:`UserDataError` (an ``OSError``, one clear line) when it
cannot, so commands that do not need it keep working.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from platformdirs import user_data_dir

APP = "position-planner"


class UserDataError(OSError):
    """The user data folder (or a sub-folder) cannot be created or used."""

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(errno.EACCES, reason, str(folder))
        self.message = f"the user data folder {folder} cannot be used ({reason}); set POSITION_PLANNER_DATA_DIR to a writable folder"

    def __str__(self) -> str:
        return self.message


def data_dir_path() -> Path:
    """The user data folder, without creating it."""
    override = os.environ.get("POSITION_PLANNER_DATA_DIR")
    return Path(override) if override else Path(user_data_dir(APP, appauthor=False))


def _ensure(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserDataError(folder, exc.strerror or str(exc)) from None
    if not folder.is_dir():
        raise UserDataError(folder, "not a folder")
    return folder


def data_dir() -> Path:
    """The user data folder (created on first use; :class:`UserDataError` if it cannot be)."""
    return _ensure(data_dir_path())


def sub_dir(name: str) -> Path:
    """A sub-folder of the user data folder, created (:class:`UserDataError` if it cannot be)."""
    return _ensure(data_dir() / name)


def sub_dir_path(name: str) -> Path:
    """A sub-folder of the user data folder, without creating anything."""
    return data_dir_path() / name
