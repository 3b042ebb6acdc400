"""planner/ must stay headless: importing every module pulls in no Qt."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import planner

ROOT = Path(__file__).resolve().parents[2]
BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "qtpy", "superqt")

SCRIPT = f"""
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {BLOCKED!r}:
            raise ImportError('planner imported ' + name)
        return None
sys.meta_path.insert(0, Block())
for name in sys.argv[1:]:
    importlib.import_module(name)
print('ok', len(sys.argv) - 1)
"""


def planner_modules() -> list[str]:
    names = ["planner"]
    for info in pkgutil.walk_packages(planner.__path__, "planner."):
        if info.name != "planner.__main__":
            names.append(info.name)
    return names


def test_planner_imports_without_qt() -> None:
    mods = planner_modules()
    assert len(mods) > 10
    res = subprocess.run([sys.executable, "-c", SCRIPT, *mods], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"ok {len(mods)}"


def test_blocker_really_blocks() -> None:
    """The guard must fail when Qt is imported (a test that cannot fail is a defect)."""
    res = subprocess.run([sys.executable, "-c", SCRIPT, "PySide6.QtCore"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode != 0 and "planner imported PySide6" in res.stderr


def test_no_qt_import_statements_in_planner() -> None:
    offenders = []
    for path in (ROOT / "planner").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and any(f" {b}" in f" {stripped.split()[1]}" for b in BLOCKED):
                offenders.append(f"{path.name}: {stripped}")
    assert offenders == []
