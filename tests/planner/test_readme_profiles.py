"""The README's table of bundled profiles is the one `profiles --markdown` prints (it went stale once)."""

from __future__ import annotations

from pathlib import Path

from planner.cli.profiles import profiles_markdown
from planner.io.registry import bundled_profiles

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_the_bundled_profiles_as_they_are() -> None:
    table = profiles_markdown(sorted(bundled_profiles().values(), key=lambda p: p.id)).strip()
    assert table in README.read_text(encoding="utf-8"), "README profile table is stale: paste `position-planner profiles --markdown`"
