"""The test run writes settings and user data only into temporary folders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def test_settings_and_data_folders_are_temporary(isolated_user_folders: Path) -> None:
    from PySide6.QtCore import QSettings

    from planner.io.userdata import data_dir

    tmp = Path(tempfile.gettempdir()).resolve()
    settings = QSettings()
    settings.setValue("isolation-probe", 1)
    settings.sync()
    where = Path(settings.fileName()).resolve()
    assert where.is_relative_to(isolated_user_folders.resolve()) and where.exists()
    assert data_dir().resolve().is_relative_to(isolated_user_folders.resolve())
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "POSITION_PLANNER_DATA_DIR"):
        assert Path(os.environ[var]).resolve().is_relative_to(tmp), var
