"""The CLI's ``--json`` output on every plan in the repository, byte for byte.

The expected outputs under ``tests/data/golden/`` were written by the code
before the package was regrouped; a change that alters any of them is a change
of behaviour and must say so (regenerate with ``GOLDEN_REGEN=1 pytest -k golden``
only for an intended change, and name it in the commit).
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest

from planner.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"
PLANS = sorted(
    [
        ROOT / "examples" / "btc-10x-isolated.plan.json",
        ROOT / "resources" / "examples" / "btc-10x-isolated.plan.json",
        *list((ROOT / "tests" / "data" / "plans").glob("*.plan.json")),
    ]
)
PROFILES = ["binance-usdm", "binance-coinm", "bybit-linear", "bybit-inverse", "okx", "deribit", "kraken", "hyperliquid", "dex-generic"]
DRILLS = [
    ["--scenario", "shock", "--move", "-0.1"],
    ["--scenario", "gap"],
    ["--scenario", "partial"],
    ["--scenario", "path"],
    ["--scenario", "path", "--path", "bleed"],
    ["--scenario", "event", "--paths", "2000"],
    ["--scenario", "compare"],
    ["--scenario", "actions"],
]


def _cases() -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for plan in PLANS:
        rel = plan.relative_to(ROOT).as_posix()
        stem = rel.replace("/", "__").removesuffix(".plan.json")
        out.append((f"{stem}__evaluate", ["evaluate", rel, "--json"]))
        for prof in PROFILES:
            out.append((f"{stem}__evaluate_{prof}", ["evaluate", rel, "--json", "--profile", prof]))
        for drill in DRILLS:
            out.append((f"{stem}__drill_{'_'.join(a.lstrip('-') for a in drill[1:])}", ["drill", rel, "--json", *drill]))
    for prof in PROFILES:
        out.append((f"profile_{prof}", ["profiles", "show", prof, "--json"]))
    out.append(("profiles_list", ["profiles", "--json"]))
    return out


def _run(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(cwd)
    return f"exit {code}\n--- stdout\n{out.getvalue()}--- stderr\n{err.getvalue()}"


@pytest.mark.parametrize(("name", "argv"), _cases(), ids=[c[0] for c in _cases()])
def test_cli_json_output_unchanged(name: str, argv: list[str]) -> None:
    got = _run(argv)
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("GOLDEN_REGEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden output for {name}; generate it with GOLDEN_REGEN=1"
    assert got == path.read_text(encoding="utf-8")
