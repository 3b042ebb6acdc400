"""Drills: waterfall accounting, policies per venue, partial liquidation, paths,
Monte Carlo vs closed form, the action plan, and bad drill input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.drills.actions import ActionSettings, action_plan
from planner.drills.events import EventPreset, load_event_file
from planner.drills.montecarlo import MarketModel, barrier_hit_probability, liquidation_probability, single_barrier_mc
from planner.drills.partial import partial_liquidation
from planner.drills.paths import flash_crash, parse_path_csv, run_path, steady_bleed
from planner.drills.scenarios import Slippage, compare_profiles, gap_waterfall, shock
from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan


def plan_on(profile_id: str, symbol: str, *, side="long", q=1.0, e=50000.0, lev=10.0, mode="isolated", wallet=20000.0, **extra) -> Plan:
    return Plan.model_validate(
        {
            "profile": profile_id,
            "account": {"wallet_balance": wallet},
            "positions": [
                {"symbol": symbol, "side": side, "quantity": q, "entry_price": e, "mark_price": e, "leverage": lev, "margin_mode": mode}
            ],
            **extra,
        }
    )


# ---------------------------------------------------------------------------
# Waterfall: hand-computed numbers per venue policy
# ---------------------------------------------------------------------------


def test_binance_deficit_goes_to_insurance_fund() -> None:
    """1 BTC long @50,000, 10x (margin 5,000). Gap to 44,000, fill 1 % worse at 43,560.
    Loss 6,440 + fee 1.25 % x 43,560 = 544.50 -> 6,984.50: 5,000 from margin, 1,984.50 fund."""
    plan = plan_on("binance-usdm", "BTCUSDT")
    w = gap_waterfall(plan, get_profile("binance-usdm"), 0, gap_price=44000.0, slippage=Slippage(fixed=0.01))
    assert w.fill_price == pytest.approx(43560.0)
    assert w.market_loss == pytest.approx(6440.0)
    assert w.liquidation_fee == pytest.approx(544.5)
    assert w.from_margin == pytest.approx(5000.0)
    assert w.insurance_fund == pytest.approx(1984.5)
    assert w.trader_owes == 0.0 and not w.loses_more_than_margin
    assert w.trader_total_loss == pytest.approx(5000.0)


def test_binance_adl_when_fund_is_short() -> None:
    plan = plan_on("binance-usdm", "BTCUSDT")
    w = gap_waterfall(plan, get_profile("binance-usdm"), 0, gap_price=44000.0, slippage=Slippage(fixed=0.01), insurance_fund_capacity=500.0)
    assert w.insurance_fund == pytest.approx(500.0)
    assert w.adl == pytest.approx(1484.5)


def test_dex_trader_owes_the_deficit() -> None:
    """No insurance fund, no ADL, no negative-balance protection: the trader pays it all."""
    prof = get_profile("dex-generic")
    sym = "BTC-PERP"
    plan = plan_on("dex-generic", sym, lev=10)
    w = gap_waterfall(plan, prof, 0, gap_price=44000.0, slippage=Slippage(fixed=0.01))
    fee = prof.fees.liquidation * 43560.0
    assert w.total_loss == pytest.approx(6440.0 + fee)
    assert w.trader_owes == pytest.approx(6440.0 + fee - 5000.0)
    assert w.loses_more_than_margin and "Yes" in w.describe()
    assert w.trader_total_loss == pytest.approx(6440.0 + fee)


def test_hyperliquid_leftover_margin_returned() -> None:
    """A book liquidation that fills before bankruptcy returns the rest to the trader."""
    prof = get_profile("hyperliquid")
    plan = plan_on("hyperliquid", "BTC", lev=10)
    ev = evaluate(plan, prof)
    lp = ev.legs[0].liquidation_price
    w = gap_waterfall(plan, prof, 0, gap_price=lp, slippage=Slippage(fixed=0.0))
    expected_left = 5000.0 - (50000.0 - lp) * 1.0 - prof.fees.liquidation * lp
    assert w.leftover_to_trader == pytest.approx(expected_left)
    assert w.deficit == 0.0
    assert w.trader_total_loss == pytest.approx(5000.0 - expected_left)


@pytest.mark.parametrize(
    "pid,sym",
    [
        ("binance-usdm", "BTCUSDT"),
        ("bybit-linear", "BTCUSDT"),
        ("okx", "BTC-USDT-SWAP"),
        ("kraken", "PF_XBTUSD"),
        ("hyperliquid", "BTC"),
        ("dex-generic", "BTC-PERP"),
    ],
)
@settings(max_examples=40, deadline=None)
@given(gap=st.floats(0.0, 0.3), slip=st.floats(0.0, 0.2), fund=st.sampled_from([0.0, 100.0, math.inf]))
def test_waterfall_sums_exactly_and_protection_holds(pid: str, sym: str, gap: float, slip: float, fund: float) -> None:
    prof = get_profile(pid)
    lev = min(10.0, float(prof.symbols[sym].tiers[0].max_leverage))
    plan = plan_on(pid, sym, lev=lev)
    w = gap_waterfall(plan, prof, 0, gap_beyond=gap, slippage=Slippage(fixed=slip), insurance_fund_capacity=fund)
    assert w.total_loss == pytest.approx(w.market_loss + w.liquidation_fee, abs=1e-9)
    assert w.from_margin + w.deficit == pytest.approx(max(w.total_loss, 0.0), abs=1e-9)
    assert w.insurance_fund + w.adl + w.socialized + w.trader_owes == pytest.approx(w.deficit, abs=1e-9)
    assert w.leftover_to_trader + w.leftover_to_venue == pytest.approx(max(w.margin - max(w.total_loss, 0.0), 0.0), abs=1e-9)
    if prof.policies.negative_balance_protection:
        assert w.trader_total_loss <= w.margin + 1e-9
    else:
        assert w.trader_owes == pytest.approx(max(w.total_loss - w.margin, 0.0), abs=1e-9)


def test_shock_caps_isolated_loss_and_orders_cross_closes() -> None:
    plan = Plan.model_validate(json.loads(Path("resources/examples/btc-10x-isolated.plan.json").read_text()))
    prof = get_profile("binance-usdm")
    r = shock(plan, prof, move=-0.2)
    assert 0 in r.liquidated
    # The isolated BTC leg loses at most its 5,000 margin in the account total.
    eth = r.legs[1]
    assert r.account.equity == pytest.approx(15000 - 5000 + eth.unrealized_pnl)
    assert r.cross_close_order == [1]


def test_shock_bad_input() -> None:
    plan = plan_on("binance-usdm", "BTCUSDT")
    with pytest.raises(PlannerError, match="shock.move: must be above -100 %"):
        shock(plan, get_profile("binance-usdm"), move=-1.5)


# ---------------------------------------------------------------------------
# Partial liquidation
# ---------------------------------------------------------------------------


def test_binance_reduces_to_lower_tier_first() -> None:
    """20 BTC at 5x (1,000,000 USDT, tier 3 of the 2026-03-05 brackets: 800,000-3,000,000): at the
    liquidation price the first step cuts the position to the lower tier's cap (800,000), then re-checks."""
    prof = get_profile("binance-usdm")
    plan = plan_on("binance-usdm", "BTCUSDT", q=20.0, lev=5.0, wallet=300000.0)
    ev = evaluate(plan, prof)
    lp = ev.legs[0].liquidation_price
    steps = partial_liquidation(plan, prof, 0, lp * 0.999)
    assert steps[0].note.startswith("reduce to tier")
    assert steps[0].left * lp * 0.999 < 800000.0
    assert steps[-1].left == 0.0 or steps[-1].equity >= steps[-1].requirement


def test_hyperliquid_twenty_percent_then_full() -> None:
    prof = get_profile("hyperliquid")
    plan = plan_on("hyperliquid", "BTC", q=10.0, lev=20.0, wallet=100000.0)
    lp = evaluate(plan, prof).legs[0].liquidation_price
    steps = partial_liquidation(plan, prof, 0, lp * 0.995)
    assert steps[0].closed == pytest.approx(2.0) and "20 %" in steps[0].note
    assert steps[-1].note == "full liquidation of the rest"


def test_nothing_liquidated_when_margined() -> None:
    plan = plan_on("binance-usdm", "BTCUSDT")
    assert partial_liquidation(plan, get_profile("binance-usdm"), 0, 50000.0) == []


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------


def test_flash_crash_liquidates_then_recovers_too_late() -> None:
    plan = plan_on("binance-usdm", "BTCUSDT", lev=10)
    r = run_path(plan, get_profile("binance-usdm"), flash_crash(drop=0.2, horizon_hours=24))
    _hour, price = r.liquidations[0]
    assert price <= evaluate(plan, get_profile("binance-usdm")).legs[0].liquidation_price * 1.0001
    assert r.equity[-1] == pytest.approx(20000 - 5000, abs=1e-6)  # margin lost, recovery doesn't bring it back


def test_bleed_with_funding_only() -> None:
    plan = plan_on("binance-usdm", "BTCUSDT", lev=2, funding_rates={"BTCUSDT": 0.001}, horizon_hours=48)
    r = run_path(plan, get_profile("binance-usdm"), steady_bleed(per_day=0.01, horizon_hours=48))
    assert r.funding_paid[-1] > 0 and not r.liquidations


def test_csv_path_errors_name_the_line() -> None:
    with pytest.raises(PlannerError) as exc:
        parse_path_csv("time_hours,price\n0,100\n1,abc\n2,95\n1.5,90\n2,-3\n3\n", symbol="BTCUSDT")
    text = exc.value.describe()
    assert "line 3: not numbers" in text and "line 5: times must increase (got 1.5 after 2)" in text
    assert "line 6: time must be >= 0 and price > 0" in text and "line 7: needs two values" in text
    ok = parse_path_csv("0,100\n1,90\n", symbol="BTCUSDT")
    assert list(ok.prices) == [100.0, 90.0] and not ok.relative


# ---------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("barrier,vol,hours", [(95.0, 0.8, 24.0), (90.0, 0.6, 72.0), (104.0, 0.7, 24.0)])
def test_monte_carlo_agrees_with_closed_form(barrier: float, vol: float, hours: float) -> None:
    model = MarketModel(volatility=vol)
    p, _hw, n, _ = single_barrier_mc(100.0, barrier, model=model, horizon_hours=hours, steps=96, paths=100_000, seed=7)
    cf = barrier_hit_probability(100.0, barrier, vol, 0.0, hours / 8760)
    assert abs(p - cf) <= 0.005, (p, cf)
    assert n == 100_000


def test_same_seed_same_result_and_jumps_raise_risk() -> None:
    plan = plan_on("binance-usdm", "BTCUSDT", lev=20)
    prof = get_profile("binance-usdm")
    a = liquidation_probability(plan, prof, model=MarketModel(volatility=0.6), horizon_hours=24, paths=20000, seed=3)
    b = liquidation_probability(plan, prof, model=MarketModel(volatility=0.6), horizon_hours=24, paths=20000, seed=3)
    assert a.probability == b.probability
    j = liquidation_probability(
        plan, prof, model=MarketModel(volatility=0.6, jump_intensity=365, jump_std=0.05), horizon_hours=24, paths=20000, seed=3
    )
    assert j.probability > a.probability
    assert a.closed_form is not None and abs(a.probability - a.closed_form) < 0.01


def test_monte_carlo_cancel_and_bad_input() -> None:
    plan = plan_on("binance-usdm", "BTCUSDT", lev=20)
    prof = get_profile("binance-usdm")
    r = liquidation_probability(plan, prof, model=MarketModel(), horizon_hours=24, paths=100000, chunk=1000, progress=lambda f: f < 0.05)
    assert r.cancelled and r.paths < 100000
    with pytest.raises(PlannerError, match="volatility"):
        liquidation_probability(plan, prof, model=MarketModel(volatility=-0.1), horizon_hours=24)
    with pytest.raises(PlannerError, match="paths: must be a whole number"):
        liquidation_probability(plan, prof, model=MarketModel(), horizon_hours=24, paths=0)


def test_event_preset_schema_errors(tmp_path) -> None:
    bad = tmp_path / "e.json"
    bad.write_text(
        json.dumps(
            {
                "id": "x",
                "name": "x",
                "horizon_hours": -1,
                "typical_move": 0.02,
                "tail_move": 0.05,
                "volatility": 0.5,
                "expected_jumps": 1,
                "sources": [{"url": "u"}],
            }
        )
    )
    with pytest.raises(PlannerError, match="horizon_hours: must be greater than 0"):
        load_event_file(bad)
    assert isinstance(EventPreset.model_validate(json.loads(Path("resources/events/cpi.json").read_text())), EventPreset)


# ---------------------------------------------------------------------------
# Action plan
# ---------------------------------------------------------------------------


def test_top_up_brings_ratio_to_target() -> None:
    prof = get_profile("binance-usdm")
    plan = plan_on("binance-usdm", "BTCUSDT", lev=20)
    marks = {"BTCUSDT": 47720.0}  # in the margin-call zone
    assert evaluate(plan, prof, marks=marks).legs[0].state == "margin_call"
    ap = action_plan(plan, prof, marks=marks, settings=ActionSettings(buffer=0.05))
    assert ap.in_margin_call
    top = next(s for s in ap.steps if s.kind == "top_up")
    after = evaluate(top.plan_after, prof, marks=marks).legs[0]
    assert after.state == "safe"
    assert after.margin_ratio <= 0.8 / 1.0  # at or below the call threshold...
    without_buffer = after.maintenance_margin / 0.8 - evaluate(plan, prof, marks=marks).legs[0].equity
    assert top.amount == pytest.approx(without_buffer * 1.05, rel=1e-9)  # ...with exactly the 5 % buffer on top


def test_reduce_step_restores_cross_account() -> None:
    prof = get_profile("binance-usdm")
    plan = plan_on("binance-usdm", "BTCUSDT", lev=20, mode="cross", wallet=3000.0)
    marks = {"BTCUSDT": 47200.0}
    assert evaluate(plan, prof, marks=marks).account.state == "margin_call"
    ap = action_plan(plan, prof, marks=marks)
    red = next(s for s in ap.steps if s.kind == "reduce")
    assert evaluate(red.plan_after, prof, marks=marks).account.state == "safe"


def test_action_settings_validated() -> None:
    plan = plan_on("binance-usdm", "BTCUSDT")
    with pytest.raises(PlannerError, match="actions.buffer"):
        action_plan(plan, get_profile("binance-usdm"), settings=ActionSettings(buffer=-1))


def test_compare_profiles_lists_every_profile() -> None:
    from planner.io.registry import bundled_profiles

    plan = plan_on("binance-usdm", "BTCUSDT")
    rows = compare_profiles(plan, get_profile("binance-usdm"), list(bundled_profiles().values()))
    assert {r.profile_id for r in rows} == set(bundled_profiles())
    by = {r.profile_id: r for r in rows}
    assert by["binance-usdm"].legs[0].liquidation_price == pytest.approx(
        evaluate(plan, get_profile("binance-usdm")).legs[0].liquidation_price
    )
    assert "trader owes" in by["dex-generic"].beyond_bankruptcy
