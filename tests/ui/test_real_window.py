"""The app in a real X window under Xvfb (the offscreen tests cannot catch a
missing xcb library or a platform-plugin crash). Skipped where Xvfb is absent;
CI installs it (.ci/run)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run not installed (apt-get install xvfb)")


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_window_renders_on_xcb(tmp_path: Path) -> None:
    out = tmp_path / "xcb.png"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env["QT_QPA_PLATFORM"] = "xcb"
    res = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1920x1200x24", sys.executable, "-m", "ui", "--screenshot", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert png_size(out) == (1600, 1000)
