"""Funding settles at the venue's UTC times after the plan's clock (``as_of``), not as if the clock read 00:00 UTC.

Hand-computed cases. Binance settles 8 h symbols at 00:00, 08:00, 16:00 UTC.
With ``as_of`` 2026-12-20 09:30 UTC the next settlement is 16:00, 6.5 h
later, then every 8 h: 6.5, 14.5, 22.5, 30.5, 38.5, 46.5, 54.5, 62.5, 70.5 h
within 72 h (nine; 78.5 is past the horizon). A plan without ``as_of`` keeps
hour 0 = 00:00 UTC: 8, 16, ..., 72 h (also nine).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from planner.drills.actions import action_plan
from planner.drills.paths import PricePath, run_path
from planner.engine.curves import funding_curves
from planner.engine.evaluate import evaluate
from planner.engine.funding import clock_hour_utc, plan_schedule, schedule_note, settlement_schedule
from planner.io.plan_files import load_plan
from planner.io.registry import get_profile
from planner.model.dated import hour_of_day_utc
from planner.model.plan import Account, Plan, Position

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2026, 12, 20, 9, 30, tzinfo=UTC)
#: 6.5 h to 16:00 UTC, then every 8 h, up to 72 h.
EIGHT_H_FROM_0930 = [6.5, 14.5, 22.5, 30.5, 38.5, 46.5, 54.5, 62.5, 70.5]


def _btc_cross(as_of: datetime | None = AS_OF, horizon: float = 72.0, rate: float = 0.0001) -> Plan:
    """0.1 BTC long at 100,000 (10,000 USDT notional), cross: pays 10,000 x 0.01 % = 1.00 USDT per settlement."""
    return Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=10000.0),
        positions=[
            Position(
                symbol="BTCUSDT", side="long", quantity=0.1, entry_price=100000.0, mark_price=100000.0, leverage=10.0, margin_mode="cross"
            )
        ],
        funding_rates={"BTCUSDT": rate},
        horizon_hours=horizon,
        as_of=as_of,
    )


def test_hour_of_day_of_the_plans_clock() -> None:
    assert hour_of_day_utc(AS_OF) == 9.5
    assert hour_of_day_utc(datetime(2026, 12, 20, 9, 30)) == 9.5  # naive = UTC
    assert hour_of_day_utc(datetime(2026, 12, 21, 1, 15, tzinfo=timezone(timedelta(hours=2)))) == 23.25  # 23:15 UTC
    assert clock_hour_utc(_btc_cross()) == 9.5
    assert clock_hour_utc(_btc_cross(as_of=None)) == 0.0  # no as_of: hour 0 taken as 00:00 UTC
    assert clock_hour_utc(_btc_cross(as_of=datetime(2026, 12, 20, 23, 59, 24, tzinfo=UTC))) == pytest.approx(23.99)


def test_eight_hour_venue_from_0930_settles_at_6_5_then_every_8_h() -> None:
    prof = get_profile("binance-usdm")
    plan = _btc_cross()
    assert plan_schedule(plan, prof, 8.0, 72.0).hours.tolist() == EIGHT_H_FROM_0930
    fc = funding_curves(plan, prof)
    assert fc.settlement_hours.tolist() == EIGHT_H_FROM_0930
    # 9 settlements x 0.01 % x 10,000 USDT notional = 9.00 USDT, one at a time.
    assert fc.funding_paid[-1] == pytest.approx(9 * 0.0001 * 10000.0)
    paid_at = dict(zip(fc.hours.tolist(), fc.funding_paid.tolist(), strict=True))
    assert paid_at[6.5] == pytest.approx(1.0) and paid_at[14.5] == pytest.approx(2.0) and paid_at[70.5] == pytest.approx(9.0)
    before = fc.funding_paid[(fc.hours > 0) & (fc.hours < 6.5)]
    assert before.size and np.all(before == 0.0), "nothing is paid before 16:00 UTC"
    assert fc.equity[-1] == pytest.approx(10000.0 - 9.0)
    assert (
        fc.schedule
        == "BTCUSDT: 8 h funding settled at 00:00, 08:00, 16:00 UTC: first settlement 6.5 h after the plan's as_of 2026-12-20 09:30 UTC"
    )


def test_without_as_of_hour_zero_is_midnight_utc_as_before() -> None:
    prof = get_profile("binance-usdm")
    fc = funding_curves(_btc_cross(as_of=None), prof)
    assert fc.settlement_hours.tolist() == [8.0, 16.0, 24.0, 32.0, 40.0, 48.0, 56.0, 64.0, 72.0]
    assert fc.funding_paid[-1] == pytest.approx(9.0)
    assert "the plan has no as_of, so hour 0 (now) is taken as 00:00 UTC and the first settlement is counted at 8 h" in fc.schedule
    # An explicit start hour still overrides the plan's clock.
    assert funding_curves(_btc_cross(), prof, start_hour_utc=0.0).settlement_hours.tolist() == fc.settlement_hours.tolist()


def test_a_short_horizon_shows_the_difference_in_money() -> None:
    # 7 h from 09:30 reaches 16:00 UTC (one settlement, 1.00 USDT); 7 h from 00:00 reaches none.
    prof = get_profile("binance-usdm")
    assert funding_curves(_btc_cross(horizon=7.0), prof).funding_paid[-1] == pytest.approx(1.0)
    assert funding_curves(_btc_cross(as_of=None, horizon=7.0), prof).funding_paid[-1] == 0.0
    # A clock exactly on a settlement (08:00): that one is already paid; the next is 8 h later.
    on = _btc_cross(as_of=datetime(2026, 12, 20, 8, 0, tzinfo=UTC), horizon=24.0)
    assert funding_curves(on, prof).settlement_hours.tolist() == [8.0, 16.0, 24.0]


def test_one_hour_venue_from_0930_settles_on_the_half_hours() -> None:
    prof = get_profile("hyperliquid")
    plan = Plan(
        profile="hyperliquid",
        account=Account(wallet_balance=10000.0),
        positions=[
            Position(symbol="BTC", side="long", quantity=0.1, entry_price=100000.0, mark_price=100000.0, leverage=10.0, margin_mode="cross")
        ],
        funding_rates={"BTC": 0.0000125},
        horizon_hours=4.75,
        as_of=AS_OF,
    )
    fc = funding_curves(plan, prof)
    # 10:00, 11:00, 12:00, 13:00, 14:00 UTC = 0.5 ... 4.5 h: five payments of 10,000 x 0.00125 % = 0.125 USDT.
    assert fc.settlement_hours.tolist() == [0.5, 1.5, 2.5, 3.5, 4.5]
    assert fc.funding_paid[-1] == pytest.approx(5 * 0.125)
    # From 00:00 (no as_of): 1, 2, 3, 4 h, four payments.
    fc0 = funding_curves(plan.model_copy(update={"as_of": None}), prof)
    assert fc0.settlement_hours.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert fc0.funding_paid[-1] == pytest.approx(4 * 0.125)
    assert (
        fc.schedule
        == "BTC: 1 h funding settled every 1 h from 00:00 UTC: first settlement 0.5 h after the plan's as_of 2026-12-20 09:30 UTC"
    )


def test_a_symbols_own_interval_is_used() -> None:
    # A 4 h symbol on an 8 h venue settles every 4 h from 00:00 UTC: from 09:30 at 12:00, 16:00, 20:00 = 2.5, 6.5, 10.5 h.
    prof = get_profile("binance-usdm")
    spec = prof.symbols["BTCUSDT"].model_copy(update={"funding_interval_hours": 4.0})
    four = prof.model_copy(update={"symbols": {**prof.symbols, "BTCUSDT": spec}})
    fc = funding_curves(_btc_cross(horizon=12.0), four)
    assert fc.settlement_hours.tolist() == [2.5, 6.5, 10.5]
    assert fc.funding_paid[-1] == pytest.approx(3.0)
    assert "BTCUSDT: 4 h funding settled at 00:00, 04:00, 08:00, 12:00, 16:00, 20:00 UTC: first settlement 2.5 h" in fc.schedule


def test_continuous_accrual_does_not_depend_on_the_time_of_day() -> None:
    prof = get_profile("deribit")
    assert settlement_schedule(prof.funding, 8.0, 3.0, 9.5).hours.tolist() == [1.0, 2.0, 3.0]
    assert "accrued continuously, charged hourly from hour 0" in schedule_note(_btc_cross(), prof, 8.0)


def test_funding_liquidation_hour_follows_the_clock() -> None:
    # 1 BTC long at 50,000, 50x isolated: margin 1,000, MM 0.4 % x 50,000 = 200 USDT. At 0.3 % it pays 150 USDT a
    # settlement: 1,000 - 5 x 150 = 250 >= 200, 1,000 - 6 x 150 = 100 < 200, so the 6th settlement liquidates it:
    # 6.5 + 5 x 8 = 46.5 h from 09:30 (18:00 + ... = 2026-12-22 08:00 UTC), 48 h from 00:00.
    prof = get_profile("binance-usdm")
    plan = Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=10000.0),
        positions=[
            Position(
                symbol="BTCUSDT", side="long", quantity=1.0, entry_price=50000.0, mark_price=50000.0, leverage=50.0, margin_mode="isolated"
            )
        ],
        funding_rates={"BTCUSDT": 0.003},
        horizon_hours=72.0,
        as_of=AS_OF,
    )
    leg = evaluate(plan, prof).legs[0]
    assert leg.maintenance_margin == pytest.approx(200.0) and leg.funding_per_interval == pytest.approx(150.0)
    assert funding_curves(plan, prof).isolated_liquidation_hours == {0: 46.5}
    assert funding_curves(plan.model_copy(update={"as_of": None}), prof).isolated_liquidation_hours == {0: 48.0}
    # Closed there: funding paid = 6 x 150 = 900 USDT, nothing after.
    assert funding_curves(plan, prof).funding_paid[-1] == pytest.approx(900.0)


def test_path_drill_charges_funding_at_the_clocks_settlements() -> None:
    prof = get_profile("binance-usdm")
    flat = PricePath(np.array([0.0, 7.0]), np.array([1.0, 1.0]), True, None, "flat")
    r = run_path(_btc_cross(horizon=7.0), prof, flat)
    assert r.funding_paid[-1] == pytest.approx(1.0)  # 16:00 UTC, 6.5 h after 09:30
    assert r.equity[-1] == pytest.approx(10000.0 - 1.0)
    assert "first settlement 6.5 h after the plan's as_of 2026-12-20 09:30 UTC" in r.schedule
    r0 = run_path(_btc_cross(as_of=None, horizon=7.0), prof, flat)
    assert r0.funding_paid[-1] == 0.0 and r0.equity[-1] == pytest.approx(10000.0)
    # A bleed at 72 h: nine payments at the path prices of 6.5, 14.5, ... h (0.1 BTC x price x 0.01 %).
    t = np.linspace(0.0, 72.0, 145)
    bleed = PricePath(t, 1.0 - t / 1000.0, True, None, "bleed")
    r = run_path(_btc_cross(), prof, bleed)
    want = sum(0.1 * 100000.0 * (1.0 - h / 1000.0) * 0.0001 for h in EIGHT_H_FROM_0930)
    assert r.funding_paid[-1] == pytest.approx(want)


def test_action_plan_funding_audit_counts_from_the_clock() -> None:
    prof = get_profile("binance-usdm")
    steps = action_plan(_btc_cross(horizon=7.0), prof).steps
    audit = [s for s in steps if s.kind == "audit_funding"]
    assert [s.title for s in audit] == ["Funding over 7 h: pays 1.00 USDT"]
    assert not [s for s in action_plan(_btc_cross(as_of=None, horizon=7.0), prof).steps if s.kind == "audit_funding"]


def test_dated_roll_example_is_unchanged_because_0800_is_a_settlement_time() -> None:
    # as_of 08:00 UTC is on Binance's 00/08/16 schedule, so the ETHUSDT perpetual settles at 8, 16, ..., 240 h
    # either way; the rollover cost (1,580.67 USDT) does not involve funding at all.
    plan = load_plan(ROOT / "examples" / "dated-roll.plan.json")
    prof = get_profile("binance-usdm")
    fc = funding_curves(plan, prof)
    assert fc.settlement_hours.tolist() == [8.0 * k for k in range(1, 31)]
    assert fc.settlement_hours.tolist() == funding_curves(plan, prof, start_hour_utc=0.0).settlement_hours.tolist()
    # 5 ETH x 3,450 x 0.01 % = 1.725 USDT x 30 settlements.
    assert fc.funding_paid[-1] == pytest.approx(30 * 1.725)
    assert [round(st.amount, 2) for st in fc.expiry_steps] == [1580.67]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "planner.cli.main", *args], capture_output=True, text=True, cwd=ROOT, check=False)


def test_cli_path_and_actions_use_the_plans_clock(tmp_path: Path) -> None:
    doc = json.loads(_btc_cross(horizon=7.0).model_dump_json())
    doc["as_of"] = "2026-12-20T09:30:00Z"
    plan_file = tmp_path / "clock.plan.json"
    plan_file.write_text(json.dumps(doc), encoding="utf-8")
    path_csv = tmp_path / "flat.csv"
    path_csv.write_text("time_hours,price\n0,1\n7,1\n", encoding="utf-8")
    out = _cli("drill", str(plan_file), "--scenario", "path", "--path", str(path_csv))
    assert out.returncode == 0, out.stderr
    assert "USDT wallet: equity 10,000.00 USDT -> 9,999.00 USDT; funding paid 1.00 USDT" in out.stdout
    assert (
        "funding settlements: BTCUSDT: 8 h funding settled at 00:00, 08:00, 16:00 UTC: "
        "first settlement 6.5 h after the plan's as_of 2026-12-20 09:30 UTC"
    ) in out.stdout
    js = json.loads(_cli("drill", str(plan_file), "--scenario", "path", "--path", str(path_csv), "--json").stdout)
    assert js["equity"][-1] == pytest.approx(9999.0)
    actions = _cli("drill", str(plan_file), "--scenario", "actions")
    assert "Funding over 7 h: pays 1.00 USDT" in actions.stdout
