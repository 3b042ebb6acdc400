"""Fuzzing the loaders and importers: about 13,000 cases (7,000 byte mutations of
real files, 1,000 x 3 random plan documents, 1,000 x 3 random import documents), no crash, no traceback;
every rejection is a PlannerError that names the file and where the problem is.
No code is ever executed from a file; the app makes no network connection."""

from __future__ import annotations

import json
import random
import re
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.engine.evaluate import evaluate
from planner.engine.validation import plan_problems
from planner.io.importers import import_tiers
from planner.io.plan_files import load_plan, plan_from_data, resolve_profile
from planner.io.registry import get_profile, load_profile_file
from planner.model.errors import PlannerError

ROOT = Path(__file__).resolve().parents[2]
REAL_FILES = (
    [("plan", p) for p in sorted((ROOT / "resources" / "examples").glob("*.json"))]
    + [("plan", p) for p in sorted((ROOT / "tests" / "data" / "plans").glob("*.json"))]
    + [("profile", p) for p in sorted((ROOT / "resources" / "profiles").glob("*.json"))]
    + [("import", p) for p in sorted((ROOT / "tests" / "data" / "importers").glob("*.json"))]
)
IMPORT_PROFILE = {"binance": "binance-usdm", "ccxt": "binance-usdm", "okx": "okx", "bybit": "bybit-linear"}
WHERE = re.compile(r"(line \d+, column \d+|[A-Za-z_][\w.\-]*:|file |JSON|not UTF-8|nested|limit|must hold|not a recognised|has no tiers)")


def load_any(kind: str, path: Path, original: Path) -> None:
    if kind == "plan":
        plan = load_plan(path)
        prof = resolve_profile(plan, source=str(path))
        if not plan_problems(plan, prof):
            evaluate(plan, prof)
    elif kind == "profile":
        load_profile_file(path)
    else:
        key = original.name.split("-")[0]
        import_tiers(path, get_profile(IMPORT_PROFILE[key]))


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        i = rng.randrange(len(b)) if b else 0
        if op < 0.3 and b:
            b[i] = rng.randrange(256)
        elif op < 0.5 and b:
            del b[i : i + rng.randint(1, 40)]
        elif op < 0.7:
            b[i:i] = rng.choice([b"NaN", b"-1", b"1e400", b"null", b'"x"', b"[", b"{", b"}", b"]", b",", b"\xff", b"0", b"true", b"1e308"])
        elif op < 0.85 and b:
            j = rng.randrange(len(b))
            b[i:i] = b[j : j + rng.randint(1, 80)]
        else:
            del b[rng.randrange(len(b) + 1) :]  # truncate
    return bytes(b)


@pytest.mark.parametrize("kind,original", REAL_FILES, ids=[f"{k}:{p.name}" for k, p in REAL_FILES])
def test_byte_mutations_never_crash(kind: str, original: Path, tmp_path: Path) -> None:
    cases = max(300, 7000 // len(REAL_FILES))
    rng = random.Random(hash(original.name) & 0xFFFF)
    data = original.read_bytes()
    target = tmp_path / original.name
    rejected = 0
    for _ in range(cases):
        target.write_bytes(mutate(data, rng))
        try:
            load_any(kind, target, original)
        except PlannerError as exc:
            rejected += 1
            text = exc.describe()
            assert str(target) in text, text
            assert WHERE.search(text), text
    assert rejected > cases // 4  # the mutations really do break things


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)
plan_keys = st.sampled_from(
    ["format", "version", "name", "profile", "account", "positions", "funding_rates", "horizon_hours", "margin_call_ratio"]
)
leg_keys = st.sampled_from(
    ["symbol", "side", "quantity", "entry_price", "mark_price", "leverage", "margin_mode", "isolated_margin", "added_margin"]
)


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    doc=st.dictionaries(plan_keys, json_values, max_size=9), legs=st.lists(st.dictionaries(leg_keys, json_values, max_size=9), max_size=3)
)
def test_random_plan_documents(doc: dict, legs: list) -> None:
    base = {"profile": "binance-usdm", "account": {"wallet_balance": 1000.0}}
    for d in (doc, {**base, **doc}, {**base, "positions": legs}):
        try:
            plan = plan_from_data(d, "fuzz.plan.json")
            prof = resolve_profile(plan, source="fuzz.plan.json")
            if not plan_problems(plan, prof):
                evaluate(plan, prof)
        except PlannerError as exc:
            assert exc.describe().startswith("fuzz.plan.json: ")
            assert all(p.message for p in exc.problems)


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=json_values)
def test_random_import_documents(doc, tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("imp") / "tiers.json"
    path.write_text(json.dumps(doc))
    for pid in ("binance-usdm", "okx", "bybit-linear"):
        try:
            import_tiers(path, get_profile(pid))
        except PlannerError as exc:
            assert str(path) in exc.describe()


def test_no_code_execution_from_files() -> None:
    pattern = re.compile(r"(?<![.\w])(pickle|marshal|shelve|eval|exec|__import__)\s*\(|yaml\.load\(|import pickle|import marshal")
    offenders = []
    for folder in ("planner", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            for n, line in enumerate(path.read_text().splitlines(), start=1):
                if pattern.search(line) and "re.compile" not in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_main_flows_make_no_network_connection(monkeypatch, capsys, tmp_path) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError(f"network connection attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    from planner.cli.main import main

    example = str(ROOT / "resources" / "examples" / "btc-10x-isolated.plan.json")
    assert main(["evaluate", example, "--json"]) == 0
    assert main(["profiles"]) == 0
    for scenario in (
        ["--scenario", "shock", "--move", "-0.1"],
        ["--scenario", "gap"],
        ["--scenario", "actions"],
        ["--scenario", "event", "--paths", "2000"],
        ["--scenario", "compare"],
        ["--scenario", "path"],
    ):
        assert main(["drill", example, *scenario]) == 0
    assert (
        main(
            ["import-tiers", str(ROOT / "tests" / "data" / "importers" / "bybit-risk-limit.json"), "--profile", "bybit-linear", "--dry-run"]
        )
        == 0
    )
    capsys.readouterr()
