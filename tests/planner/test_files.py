"""Plan files never lost: round trips, migration, atomic writes under SIGKILL,
autosave recovery, user profiles, importers and CSV exports."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from planner.engine.curves import price_curves
from planner.engine.evaluate import evaluate
from planner.io.atomic import atomic_write_text
from planner.io.importers import apply_tiers, detect_format, import_tiers, tier_changes
from planner.io.plan_files import load_plan, plan_to_json, resolve_profile, save_plan
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Position
from planner.present.exports import positions_csv, price_grid_csv

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "resources" / "examples").glob("*.plan.json"))
DATA = ROOT / "tests" / "data"


@pytest.fixture(autouse=True)
def user_data(tmp_path, monkeypatch):
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


@pytest.mark.parametrize("path", EXAMPLES + sorted((DATA / "plans").glob("*.plan.json")), ids=lambda p: p.name)
def test_round_trip_save_open_equality(path: Path, tmp_path: Path) -> None:
    plan = load_plan(path)
    out = tmp_path / "copy.plan.json"
    save_plan(plan, out)
    again = load_plan(out)
    assert again == plan
    assert plan_to_json(again) == out.read_text()
    prof = resolve_profile(plan)
    assert evaluate(again, prof).to_dict() == evaluate(plan, prof).to_dict() | {}  # same numbers


def test_v0_plan_migrates() -> None:
    plan = load_plan(DATA / "plans" / "v0-btc-isolated.plan.json")
    assert plan.version == 2 and plan.name == "BTC long from the 0.0 pre-release"
    assert plan.account.wallet_balance == 12000.0
    assert [(p.symbol, p.quantity, p.entry_price, p.mark_price, p.margin_mode.value) for p in plan.positions] == [
        ("BTCUSDT", 0.5, 60000.0, 61000.0, "isolated"),
        ("ETHUSDT", 2.0, 3000.0, 2950.0, "cross"),
    ]


def test_newer_version_refused(tmp_path: Path) -> None:
    p = tmp_path / "new.plan.json"
    p.write_text(json.dumps({"format": "position-plan", "version": 3, "profile": "binance-usdm", "account": {"wallet_balance": 1}}))
    with pytest.raises(PlannerError, match="newer Position Planner"):
        load_plan(p)


def test_save_keeps_backup(tmp_path: Path) -> None:
    plan = load_plan(EXAMPLES[0])
    out = tmp_path / "p.plan.json"
    save_plan(plan, out)
    save_plan(plan.model_copy(update={"name": "second"}), out)
    assert load_plan(out).name == "second"
    assert load_plan(out.with_name(out.name + ".bak")).name == plan.name
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]


def test_atomic_write_survives_sigkill_1000_times(tmp_path: Path) -> None:
    """A forked writer alternates two plans and is killed at random moments; the
    file on disk is always one of them, whole."""
    target = tmp_path / "k.plan.json"
    plan = load_plan(EXAMPLES[0])
    old = plan_to_json(plan)
    new = plan_to_json(plan.model_copy(update={"name": "new", "notes": "x" * 5000}))
    atomic_write_text(target, old)
    rng = random.Random(42)
    kills = 0
    for _ in range(1000):
        pid = os.fork()
        if pid == 0:  # child: write forever
            try:
                texts = (new, old)
                i = 0
                while True:
                    atomic_write_text(target, texts[i % 2])
                    i += 1
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.0, 0.004))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kills += 1
        assert target.read_text() in (old, new)
    for leftover in tmp_path.glob(".*.tmp"):
        leftover.unlink()  # a killed writer may leave its temp file; the target is never torn
    assert kills == 1000
    assert load_plan(target).account == plan.account  # and it is a valid plan


def test_autosave_and_recovery_after_kill(tmp_path: Path) -> None:
    """A real process writes an autosave and is killed with SIGKILL; the next
    start finds the edited plan."""
    import subprocess
    import sys

    from planner.io.recovery import discard_autosave, recoverable_sessions

    code = (
        "import sys, time\n"
        "from planner.io.plan_files import load_plan\n"
        "from planner.io.recovery import write_autosave\n"
        f"plan = load_plan({str(EXAMPLES[0])!r})\n"
        "edited = plan.model_copy(update={'name': 'edited before the crash'})\n"
        "write_autosave(edited, original_path='/tmp/orig.plan.json')\n"
        "print('saved', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=os.environ.copy())
    assert proc.stdout.readline().strip() == "saved"
    assert recoverable_sessions() == []  # still running: not offered
    proc.kill()
    proc.wait()
    proc.stdout.close()
    found = recoverable_sessions()
    assert len(found) == 1
    assert found[0].plan.name == "edited before the crash"
    assert found[0].original_path == "/tmp/orig.plan.json"
    discard_autosave(found[0].path)
    assert recoverable_sessions() == []


def test_user_profiles_shadow_bundled_and_bad_files_reported(user_data: Path) -> None:
    from planner.io.user_profiles import load_user_profiles, load_user_profiles_with_problems, save_user_profile

    prof = get_profile("binance-usdm")
    mine = prof.model_copy(update={"name": "my binance"})
    save_user_profile(mine)
    (user_data / "profiles" / "broken.json").write_text("{not json")
    good, bad = load_user_profiles_with_problems()
    assert good["binance-usdm"].name == "my binance"
    assert len(bad) == 1 and "broken.json" in bad[0].describe()
    assert get_profile("binance-usdm", load_user_profiles()).name == "my binance"


SAMPLES = [
    ("binance-leverageBracket.json", "binance", "binance-usdm", "BTCUSDT"),
    ("ccxt-fetch_leverage_tiers-binance.json", "ccxt", "binance-usdm", "BTCUSDT"),
    ("ccxt-fetch_market_leverage_tiers-bybit.json", "ccxt", "bybit-linear", "BTCUSDT"),
    ("okx-position-tiers.json", "okx", "okx", "BTC-USDT-SWAP"),
    ("bybit-risk-limit.json", "bybit", "bybit-linear", "BTCUSDT"),
]


@pytest.mark.parametrize("name,fmt,pid,sym", SAMPLES, ids=[s[0] for s in SAMPLES])
def test_importers_on_samples(name: str, fmt: str, pid: str, sym: str) -> None:
    prof = get_profile(pid)
    got_fmt, tiers = import_tiers(DATA / "importers" / name, prof)
    assert got_fmt == fmt and sym in tiers
    updated = apply_tiers(prof, tiers, name)  # validates the whole profile (recurrence etc.)
    assert updated.symbols[sym].tiers == tiers[sym]


def test_binance_import_of_an_older_capture_lists_what_changed() -> None:
    # The sample is the 2024 BTCUSDT response (125x up to 50,000); the bundled table is the 2026-03-05 one (150x up to 300,000).
    prof = get_profile("binance-usdm")
    _, tiers = import_tiers(DATA / "importers" / "binance-leverageBracket.json", prof)
    changes = tier_changes(prof.symbols["BTCUSDT"].tiers, tiers["BTCUSDT"])
    assert changes[0] == "tier 1: max leverage 150 -> 125, cap 300,000 -> 50,000"
    assert tier_changes(tiers["BTCUSDT"], tiers["BTCUSDT"]) == []


def test_bybit_deduction_rebuilt_when_missing() -> None:
    _, tiers = import_tiers(DATA / "importers" / "bybit-risk-limit.json", get_profile("bybit-linear"))
    t = tiers["BTCUSDT"]
    # cum_2 = 2,000,000 x (0.56 % - 0.5 %) = 1,200; cum_3 = 1,200 + 2,600,000 x (0.62 % - 0.56 %) = 2,760
    assert [round(x.maintenance_amount, 6) for x in t] == [0.0, 1200.0, 2760.0]


def test_okx_contracts_converted_to_base_units() -> None:
    _, tiers = import_tiers(DATA / "importers" / "okx-position-tiers.json", get_profile("okx"))
    t = tiers["BTC-USDT-SWAP"]
    assert [(x.notional_floor, x.notional_cap) for x in t] == [(0.0, 5.0), (5.0, 10.0), (10.0, 20.0)]  # 0.01 BTC contracts


def test_importer_errors_name_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(
        json.dumps(
            {
                "retCode": 0,
                "result": {"list": [{"symbol": "BTCUSDT", "riskLimitValue": "abc", "maintenanceMargin": "0.005", "maxLeverage": "100"}]},
            }
        )
    )
    with pytest.raises(PlannerError) as exc:
        import_tiers(bad, get_profile("bybit-linear"))
    assert str(bad) in exc.value.describe() and "result.list.0.riskLimitValue: must be a number" in exc.value.describe()
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(PlannerError, match="not a recognised tier file"):
        import_tiers(bad, get_profile("bybit-linear"))
    with pytest.raises(PlannerError, match="not a recognised"):
        detect_format([1, 2])


def test_csv_exports() -> None:
    plan = load_plan(EXAMPLES[0])
    prof = resolve_profile(plan)
    ev = evaluate(plan, prof)
    text = positions_csv(ev)
    rows = [r.split(",") for r in text.strip().splitlines()]
    assert rows[0][0] == "index" and len(rows) == 1 + len(plan.positions)
    liq_col = rows[0].index("liquidation_price")
    assert float(rows[1][liq_col]) == ev.legs[0].liquidation_price
    curves = price_curves(plan, prof, "BTCUSDT", np.linspace(40000, 60000, 11))
    grid = price_grid_csv(curves).strip().splitlines()
    assert len(grid) == 12 and grid[0].startswith("BTCUSDT_price,equity_USDT")
    assert float(grid[1].split(",")[1]) == curves.equity[0]


def test_stop_and_take_profit_sit_on_their_side_of_the_entry() -> None:
    with pytest.raises(ValueError, match="stop_price: a long stop must be below the entry 100"):
        Position(symbol="X", side="long", quantity=1, entry_price=100, leverage=2, stop_price=101)
    with pytest.raises(ValueError, match="take_profit_price: a short take-profit must be below the entry 100"):
        Position(symbol="X", side="short", quantity=1, entry_price=100, leverage=2, take_profit_price=101)
    p = Position(symbol="X", side="short", quantity=1, entry_price=100, leverage=2, stop_price=110, take_profit_price=90)
    assert (p.stop_price, p.take_profit_price) == (110, 90)
