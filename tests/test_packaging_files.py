"""Packaging files are consistent (fast, nothing is built).

The slow build and smoke test of the bundle are ``bash packaging/build.sh`` and
``bash packaging/smoke_test.sh``.
"""

from __future__ import annotations

import ast
import configparser
import re
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "packaging"
SPEC = (PKG / "position-planner.spec").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _dep_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def test_spec_parses_as_python_and_bundles_the_resources_package() -> None:
    tree = ast.parse(SPEC)
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= calls
    # resources is shipped as a package (its __init__.py) with each data folder.
    assert '"resources" / "__init__.py"' in SPEC
    for sub in ("profiles", "examples", "events", "icons"):
        assert f'"{sub}"' in SPEC
    assert '"ui" / "__main__.py"' in SPEC  # entry point: ui.launcher.main via python -m ui


def test_spec_excludes_unused_qt_and_keeps_what_pyqtgraph_needs() -> None:
    excludes = re.search(r"EXCLUDES = \[(.*?)\]", SPEC, re.S)
    assert excludes
    names = set(re.findall(r'"([\w.]+)"', excludes.group(1)))
    for mod in (
        "PySide6.QtWebEngineCore",
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.Qt3DCore",
        "PySide6.QtMultimedia",
        "PySide6.QtCharts",
        "PySide6.QtDataVisualization",
        "PySide6.QtNetwork",
        "PySide6.QtTest",
    ):
        assert mod in names, mod
    for needed in (
        "PySide6.QtWidgets",
        "PySide6.QtGui",
        "PySide6.QtSvg",
        "PySide6.QtPrintSupport",
        "PySide6.QtOpenGL",
        "PySide6.QtOpenGLWidgets",
    ):
        assert needed not in names, needed
    hidden = re.search(r"hiddenimports=\[(.*?)\]", SPEC, re.S)
    assert hidden and "PySide6.QtOpenGLWidgets" in hidden.group(1)  # pyqtgraph imports it dynamically


def test_spec_hidden_imports_exist() -> None:
    hidden = re.search(r"hiddenimports=\[(.*?)\]", SPEC, re.S)
    assert hidden
    for mod in re.findall(r'"((?:planner|ui)\.[\w.]+)"', hidden.group(1)):
        assert (ROOT / (mod.replace(".", "/") + ".py")).is_file(), mod


def test_app_code_does_not_import_excluded_qt_modules() -> None:
    excluded = {m.split(".")[1] for m in re.findall(r'"(PySide6\.Qt\w+)"', SPEC.split("hiddenimports")[0])}
    used = set()
    for path in list((ROOT / "ui").rglob("*.py")) + list((ROOT / "planner").rglob("*.py")):
        used.update(re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert used, "the ui package imports PySide6"
    assert not (used & excluded), used & excluded


def test_desktop_entry_has_required_keys() -> None:
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # keys are case-sensitive
    cp.read(PKG / "linux" / "position-planner.desktop")
    entry = cp["Desktop Entry"]
    for key in ("Type", "Name", "Exec", "Icon", "Categories"):
        assert entry.get(key), key
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "position-planner"  # the /usr/bin symlink the .deb ships
    assert entry["Icon"] == "position-planner"  # hicolor icon name installed by build.sh
    assert entry["Categories"].endswith(";")
    mime = ET.parse(PKG / "linux" / "position-planner.xml").getroot()
    types = [m.get("type") for m in mime]
    assert entry["MimeType"].rstrip(";") in types


def test_build_script_makes_deb_and_targz_with_the_documented_layout() -> None:
    text = (PKG / "build.sh").read_text()
    assert 'pip install --quiet --disable-pip-version-check "$ROOT[package]"' in text
    assert "dpkg-deb --root-owner-group" in text and "tar -C" in text
    assert "ln -s /opt/position-planner/position-planner" in text
    assert "/usr/share/doc/position-planner/licenses" in text
    depends = re.search(r"^Depends: (.*)$", text, re.M)
    assert depends
    for dep in ("libc6 (>= 2.34)", "libgl1", "libegl1", "libxcb1", "fontconfig-config", "fonts-dejavu-core | fonts-freefont-ttf"):
        assert dep in depends.group(1), dep


@pytest.mark.parametrize("script", ["build.sh", "smoke_test.sh", "macos/build_dmg.sh"])
def test_shell_scripts_parse(script: str) -> None:
    subprocess.run(["bash", "-n", str(PKG / script)], check=True)


def test_python_helpers_parse() -> None:
    for name in ("make_icons.py", "collect_licenses.py", "smoke_bundle.py"):
        ast.parse((PKG / name).read_text())


def test_packaging_tools_are_pinned() -> None:
    extra = PYPROJECT["project"]["optional-dependencies"]["package"]
    pins = {_dep_name(r): r for r in extra}
    assert "==" in pins["pyinstaller"] and "==" in pins["pyinstaller-hooks-contrib"]


def test_icon_svg_renders_offscreen(qapp) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    svg = ROOT / "resources" / "icons" / "position-planner.svg"
    renderer = QSvgRenderer(str(svg))
    assert renderer.isValid()
    img = QImage(64, 64, QImage.Format_ARGB32)
    img.fill(Qt.transparent)
    painter = QPainter(img)
    renderer.render(painter)
    painter.end()
    # Opaque in the middle, transparent in the rounded-off corner.
    assert img.pixelColor(32, 32).alpha() == 255
    assert img.pixelColor(0, 0).alpha() == 0


def test_notice_lists_every_runtime_dependency() -> None:
    notice = (PKG / "licenses" / "NOTICE.md").read_text().lower()
    deps = [_dep_name(r) for r in PYPROJECT["project"]["dependencies"]]
    assert deps
    for name in deps:
        assert name in notice, f"{name} missing from packaging/licenses/NOTICE.md"
    # and the license collector copies each of them
    collector = (PKG / "collect_licenses.py").read_text().lower()
    for name in deps:
        assert name.replace("-", "_") in collector, name


def test_lgpl_and_gpl_texts_are_shipped() -> None:
    lgpl = (PKG / "licenses" / "LGPL-3.0.txt").read_text()
    gpl = (PKG / "licenses" / "GPL-3.0.txt").read_text()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in lgpl and "Version 3, 29 June 2007" in lgpl
    assert "GNU GENERAL PUBLIC LICENSE" in gpl and "Version 3, 29 June 2007" in gpl
    assert "END OF TERMS AND CONDITIONS" in gpl  # the whole text, not a stub
    notice = (PKG / "licenses" / "NOTICE.md").read_text()
    assert "Replacing the Qt libraries" in notice


def test_installer_recipes_reference_the_bundle() -> None:
    iss = (PKG / "windows" / "position-planner.iss").read_text()
    assert r"..\dist\position-planner" in iss and "position-planner-gui.exe" in iss
    assert "position-planner-gui" in SPEC  # the windowed exe the shortcuts start
    dmg = (PKG / "macos" / "build_dmg.sh").read_text()
    assert "iconutil" in dmg and "hdiutil" in dmg and "Position Planner.app" in dmg
    workflow = (ROOT / ".github" / "workflows" / "installers.yml").read_text()
    for os_name in ("ubuntu", "windows", "macos"):
        assert os_name in workflow
    assert "smoke_bundle.py" in workflow and "smoke_test.sh" in workflow
