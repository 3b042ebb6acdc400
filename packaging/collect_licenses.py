"""Copy the license files of every bundled library from its installed dist-info.

``python packaging/collect_licenses.py OUT_DIR`` (run with the build environment's
Python). Texts are taken from the installed packages, never typed by hand.
"""

from __future__ import annotations

import shutil
import sys
from importlib import metadata
from pathlib import Path

DISTS = ["PySide6_Essentials", "shiboken6", "pyqtgraph", "pydantic", "pydantic_core", "numpy", "platformdirs",
         "typing_extensions", "annotated_types", "typing_inspection", "pyinstaller"]


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    missing = []
    for name in DISTS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        files = [f for f in (dist.files or []) if any(k in f.name.upper() for k in ("LICENSE", "COPYING", "NOTICE", "LICENCE"))]
        target = out / f"{dist.metadata['Name']}-{dist.version}"
        target.mkdir(exist_ok=True)
        for f in files:
            src = Path(str(f.locate()))
            if src.is_file():
                shutil.copy(src, target / f"{f.parent.name}-{f.name}" if f.parent.name not in ("", ".") else target / f.name)
        license_field = dist.metadata.get("License-Expression") or dist.metadata.get("License") or ""
        (target / "METADATA-license.txt").write_text(f"{dist.metadata['Name']} {dist.version}\nLicense: {license_field[:500]}\n")
    shutil.copy(Path(__file__).parent / "licenses" / "NOTICE.md", out / "NOTICE.md")
    print(f"licenses of {len(DISTS) - len(missing)} libraries in {out}" + (f" (not installed: {', '.join(missing)})" if missing else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
