"""Before Qt starts: is there a display, and can Qt's X11 (xcb) plugin load?

Without a display, or without the system libraries of Qt's xcb platform
plugin, creating the QApplication aborts the process (exit 134) with a
message that does not say what to install. ``display_problem`` finds out
first, without importing Qt, and returns a plain message with the apt line.
Only Linux is checked; elsewhere Qt brings what it needs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

#: sonames the xcb platform plugin loads -> Debian/Ubuntu package providing it.
XCB_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
}
#: Everything, for the README and for a bare system: one line to paste.
APT_ALL = "sudo apt-get install -y " + " ".join(sorted(set(XCB_PACKAGES.values())))
NO_WINDOW_PLATFORMS = {"offscreen", "minimal", "vnc", "linuxfb", "eglfs", "minimalegl", "vkkhrdisplay"}

Loader = Callable[[str], object]


def xcb_plugin() -> Path | None:
    """Path of PySide6's libqxcb.so, or None when PySide6 or the plugin is not there."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.exists() else None


def _short_name(soname: str) -> str:
    """ "libxcb-cursor.so.0" -> "xcb-cursor" (what ctypes.util.find_library takes)."""
    return re.sub(r"^lib|\.so.*$", "", soname)


def missing_xcb_libraries(
    plugin: Path | None, loader: Loader = ctypes.CDLL, find: Callable[[str], str | None] = ctypes.util.find_library
) -> list[str]:
    """Sonames the xcb plugin needs and the system lacks ([] when the plugin loads)."""
    if plugin is None:
        return []
    try:
        loader(str(plugin))
        return []
    except OSError as exc:
        first = re.search(r"(lib[\w.+-]+\.so[\w.]*): cannot open", str(exc))
        missing = [name for name in XCB_PACKAGES if find(_short_name(name)) is None]
        if first and first.group(1) not in missing and first.group(1) != plugin.name:
            missing.insert(0, first.group(1))
        return missing


def display_problem(
    env: Mapping[str, str],
    platform: str = sys.platform,
    plugin: Path | None = None,
    loader: Loader = ctypes.CDLL,
    find: Callable[[str], str | None] = ctypes.util.find_library,
) -> str | None:
    """A plain message when no window can be opened here, else None (checks only; imports no Qt)."""
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if qpa in NO_WINDOW_PLATFORMS:
        return None
    wayland, x11 = bool(env.get("WAYLAND_DISPLAY")), bool(env.get("DISPLAY"))
    if qpa.startswith("wayland") and not wayland:
        return (
            "position-planner: cannot open a window: QT_QPA_PLATFORM asks for Wayland but WAYLAND_DISPLAY is not set.\n"
            "Start it from a Wayland session, or unset QT_QPA_PLATFORM to use X11."
        )
    if not wayland and not x11:
        return (
            "position-planner: cannot open a window: no display (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "Run it from a desktop session or over `ssh -X`, or under a virtual display: xvfb-run position-planner\n"
            "Without a display: `position-planner --screenshot out.png` renders the window to a file, and the\n"
            "command-line tools (position-planner evaluate PLAN, drill, profiles) need none."
        )
    if qpa == "xcb" or (x11 and not qpa.startswith("wayland")):
        missing = missing_xcb_libraries(plugin if plugin is not None else xcb_plugin(), loader, find)
        if missing:
            packages = sorted({XCB_PACKAGES.get(m, m) for m in missing})
            return (
                "position-planner: cannot open a window: Qt's X11 (xcb) platform plugin needs system libraries that "
                f"are not installed: {', '.join(missing)}.\n"
                f"On Debian/Ubuntu: sudo apt-get install -y {' '.join(packages)}\n"
                f"(everything the window needs: {APT_ALL})"
            )
    return None
