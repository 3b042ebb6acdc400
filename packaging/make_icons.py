"""Render the app icon (resources/icons/position-planner.svg) to PNG sizes and a Windows .ico with Qt.

Run from the repository root: ``python packaging/make_icons.py``. The macOS .icns is
made on macOS from these PNGs (see packaging/macos/build_dmg.sh).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "position-planner.svg"
SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 64, 128, 256)  # the sizes Windows picks from (256 is the largest ICO allows)


def write_ico(path: Path, pngs: list[Path]) -> bool:
    """Pack the Qt-rendered PNGs into one multi-size ``.ico`` (PNG-compressed entries).

    Qt's own ICO writer stores a single uncompressed image; Explorer and the taskbar
    want several sizes. Returns whether Qt reads every size back from the file.
    """
    import struct

    from PySide6.QtGui import QImageReader

    blobs = [p.read_bytes() for p in pngs]
    sizes = [QImage(str(p)).width() for p in pngs]
    offset = 6 + 16 * len(blobs)
    header = struct.pack("<HHH", 0, 1, len(blobs))
    entries = b""
    for size, blob in zip(sizes, blobs, strict=False):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICO directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    path.write_bytes(header + entries + b"".join(blobs))
    reader = QImageReader(str(path))
    return reader.imageCount() == len(blobs) and not reader.read().isNull()


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
    ok = write_ico(out / "position-planner.ico", [out / f"position-planner-{s}.png" for s in ICO_SIZES])
    print(f"icons written to {out} ({len(SIZES)} PNG sizes; ico {'ok' if ok else 'NOT readable by Qt'})")
    if not ok:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
