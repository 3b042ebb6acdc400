"""Render the app icon (resources/icons/position-planner.svg) to PNG sizes and a Windows .ico with Qt.

Run from the repository root: ``python packaging/make_icons.py``. The macOS .icns is
made on macOS from these PNGs (see packaging/macos/build_dmg.sh).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "position-planner.svg"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot render {SVG}", file=sys.stderr)
        return 1
    out = SVG.parent
    for size in SIZES:
        img = QImage(size, size, QImage.Format_ARGB32)
        img.fill(Qt.transparent)
        painter = QPainter(img)
        renderer.render(painter)
        painter.end()
        img.save(str(out / f"position-planner-{size}.png"))
    big = QImage(str(out / "position-planner-256.png"))
    ok = big.save(str(out / "position-planner.ico"))
    print(f"icons written to {out} (ico: {'yes' if ok else 'no ICO writer in this Qt'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
