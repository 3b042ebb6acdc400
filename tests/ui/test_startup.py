"""Issue 10 item 12: without a display or Qt's xcb libraries, a plain message and the apt line, not a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ui.startup import APT_ALL, XCB_PACKAGES, display_problem, missing_xcb_libraries

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = Path("/site/PySide6/Qt/plugins/platforms/libqxcb.so")


def _fails(message: str):
    def loader(_path: str) -> object:
        raise OSError(message)

    return loader


def test_no_display_says_so_and_how_to_run():
    msg = display_problem({}, platform="linux")
    assert msg is not None
    assert "no display" in msg and "DISPLAY" in msg and "xvfb-run position-planner" in msg


def test_offscreen_and_other_systems_need_nothing():
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert display_problem({}, platform="win32") is None
    assert display_problem({}, platform="darwin") is None


def test_wayland_requested_without_wayland_display():
    msg = display_problem({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, platform="linux")
    assert msg is not None and "WAYLAND_DISPLAY" in msg


def test_missing_xcb_cursor_names_package_and_apt_line():
    loader = _fails("libxcb-cursor.so.0: cannot open shared object file: No such file or directory")
    msg = display_problem(
        {"DISPLAY": ":0"}, platform="linux", plugin=PLUGIN, loader=loader, find=lambda n: None if n == "xcb-cursor" else f"lib{n}.so"
    )
    assert msg is not None
    assert "libxcb-cursor.so.0" in msg
    assert "sudo apt-get install -y libxcb-cursor0\n" in msg
    assert APT_ALL in msg


def test_every_missing_library_listed():
    loader = _fails("libxcb-icccm.so.4: cannot open shared object file")
    absent = {"xcb-icccm", "xcb-keysyms", "xkbcommon-x11"}
    missing = missing_xcb_libraries(PLUGIN, loader, lambda n: None if n in absent else f"lib{n}.so")
    assert set(missing) == {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"}
    assert {XCB_PACKAGES[m] for m in missing} == {"libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"}


def test_plugin_that_loads_is_fine():
    assert missing_xcb_libraries(PLUGIN, lambda _p: object()) == []
    assert display_problem({"DISPLAY": ":0"}, platform="linux", plugin=PLUGIN, loader=lambda _p: object()) is None


def test_app_without_display_exits_with_message_not_abort():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    res = subprocess.run([sys.executable, "-m", "ui"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert res.returncode == 3, res.stderr[-2000:]
    assert "cannot open a window: no display" in res.stderr
    assert "Aborted" not in res.stderr and "qt.qpa" not in res.stderr


def test_readme_lists_the_system_packages():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert APT_ALL in readme
