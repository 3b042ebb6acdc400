"""Packaging files are consistent (fast; the slow build + smoke test is packaging/smoke_test.sh)."""

from __future__ import annotations

import ast
import configparser
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_spec_parses_and_bundles_resources() -> None:
    text = (ROOT / "packaging" / "position-planner.spec").read_text()
    ast.parse(text)
    assert '"resources"' in text and '"__main__.py"' in text
    assert "PySide6.QtWebEngineCore" in text  # unused Qt modules excluded


def test_desktop_entry_has_required_keys() -> None:
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(ROOT / "packaging" / "linux" / "position-planner.desktop")
    entry = cp["Desktop Entry"]
    for key in ("Type", "Name", "Exec", "Icon", "Categories"):
        assert entry.get(key), key
    assert entry["Exec"].startswith("position-planner")


def test_icon_renders(qapp) -> None:
    from PySide6.QtSvg import QSvgRenderer

    r = QSvgRenderer(str(ROOT / "resources" / "icons" / "position-planner.svg"))
    assert r.isValid() and r.defaultSize().width() > 0


def test_notice_lists_every_runtime_dependency() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    notice = (ROOT / "packaging" / "licenses" / "NOTICE.md").read_text().lower()
    for dep in deps:
        name = dep.split(">")[0].split("<")[0].split("=")[0].split("!")[0].strip().lower()
        key = {"pyside6-essentials": "pyside6"}.get(name, name)
        assert key in notice, name


def test_build_script_makes_deb_and_targz() -> None:
    text = (ROOT / "packaging" / "build.sh").read_text()
    assert "dpkg-deb" in text and "tar -C" in text and "ln -s /opt/position-planner/position-planner" in text
