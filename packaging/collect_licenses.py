"""Copy the license texts of every bundled library into one folder.

``python packaging/collect_licenses.py OUT_DIR`` (run with the build environment's
Python, so the versions are the bundled ones). Texts come from the installed
packages' metadata (``*.dist-info/licenses``, or license files listed in RECORD),
never typed by hand. Two exceptions, both copied verbatim from a file shipped by
someone else rather than written here:

* PySide6-Essentials and shiboken6 wheels carry no license file, so the LGPL-3.0
  and GPL-3.0 texts (the LGPL requires both) are taken from ``packaging/licenses/``
  (copies of Debian base-files' ``/usr/share/common-licenses/LGPL-3`` and ``GPL-3``),
  with the ICU notice for the ``libicu*`` the wheel bundles (Debian's libicu72
  ``copyright`` file: ICU's MIT-style Unicode license).
* The Python interpreter's own license comes from the standard library's
  ``LICENSE.txt`` of the Python that builds the bundle.

Exit status 1 if a bundled library ends up with no license text.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Distributions whose code is in the bundle (runtime dependencies and theirs, plus
# PyInstaller's bootloader).
DISTS = [
    "PySide6_Essentials",
    "shiboken6",
    "pyqtgraph",
    "pydantic",
    "pydantic_core",
    "numpy",
    "platformdirs",
    "typing_extensions",
    "annotated_types",
    "typing_inspection",
    "pyinstaller",
]
# Texts added for distributions whose wheels ship none (see the module docstring).
EXTRA_TEXTS = {
    "PySide6_Essentials": ["LGPL-3.0.txt", "GPL-3.0.txt", "ICU-copyright.txt"],
    "shiboken6": ["LGPL-3.0.txt", "GPL-3.0.txt"],
}
KEYWORDS = ("LICENSE", "LICENCE", "COPYING", "NOTICE")


def _license_files(dist: metadata.Distribution) -> list[tuple[str, Path]]:
    """(name in the output folder, source path) of each license file of ``dist``."""
    found = []
    for f in dist.files or []:
        parts = f.parts
        if "licenses" in parts and ".dist-info" in "".join(parts[:1]):
            rel = "__".join(parts[parts.index("licenses") + 1 :])
        elif any(k in f.name.upper() for k in KEYWORDS):
            rel = "__".join(parts[-2:]) if len(parts) > 1 else f.name
        else:
            continue
        src = Path(str(f.locate()))
        if src.is_file():
            found.append((rel.replace(" ", "_"), src))
    return found


def collect(out: Path) -> list[str]:
    """Fill ``out``; return the names of distributions left without any license text."""
    out.mkdir(parents=True, exist_ok=True)
    bare = []
    for name in DISTS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            bare.append(f"{name} (not installed)")
            continue
        target = out / f"{dist.metadata['Name']}-{dist.version}"
        target.mkdir(exist_ok=True)
        copied = 0
        seen: set[bytes] = set()
        for rel, src in _license_files(dist):
            data = src.read_bytes()
            if data in seen:  # the same file listed twice (package folder and dist-info)
                continue
            seen.add(data)
            shutil.copy(src, target / rel)
            copied += 1
        for text in EXTRA_TEXTS.get(name, []):
            shutil.copy(HERE / "licenses" / text, target / text)
            copied += 1
        expr = dist.metadata.get("License-Expression") or dist.metadata.get("License") or "see the texts"
        (target / "SUMMARY.txt").write_text(
            f"{dist.metadata['Name']} {dist.version}\nLicense: {expr.strip()[:300]}\nHome: {dist.metadata.get('Home-page') or ''}\n",
            encoding="utf-8",
        )
        if copied == 0:
            bare.append(name)
    py_license = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    py_dir = out / f"Python-{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
    py_dir.mkdir(exist_ok=True)
    if py_license.is_file():
        shutil.copy(py_license, py_dir / "LICENSE.txt")
    else:
        bare.append("Python")
    shutil.copy(HERE / "licenses" / "NOTICE.md", out / "NOTICE.md")
    return bare


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: collect_licenses.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    bare = collect(out)
    if bare:
        print(f"no license text found for: {', '.join(bare)}", file=sys.stderr)
        return 1
    print(f"license texts of {len(DISTS)} libraries and Python in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
