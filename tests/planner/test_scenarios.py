"""Shocks, partial liquidation steps (with margin ratio after), profile comparison and path input errors."""

from __future__ import annotations

import pytest

from planner.drills.partial import partial_liquidation
from planner.drills.paths import parse_path_csv
from planner.drills.scenarios import compare_profiles, shock
from planner.engine.evaluate import evaluate
from planner.io.registry import bundled_profiles, get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan


def _cross_two_legs() -> Plan:
    return Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": 3000.0},
            "positions": [
                {"symbol": "BTCUSDT", "side": "long", "quantity": 0.5, "entry_price": 50000.0, "leverage": 20, "margin_mode": "cross"},
                {"symbol": "ETHUSDT", "side": "long", "quantity": 10.0, "entry_price": 3000.0, "leverage": 20, "margin_mode": "cross"},
            ],
        }
    )


def test_shock_figures_are_the_evaluation_at_moved_marks() -> None:
    """-5 %: BTC 47,500 (-1,250), ETH 2,850 (-1,500): equity 3,000 - 2,750 = 250 USDT (margin call);
    -5.5 %: BTC -1,375, ETH -1,650: equity -25 USDT, liquidated, ETH (the larger loss) closed first."""
    prof = get_profile("binance-usdm")
    plan = _cross_two_legs()
    r = shock(plan, prof, move=-0.05)
    assert r.marks == pytest.approx({"BTCUSDT": 47500.0, "ETHUSDT": 2850.0})
    assert r.account.equity == pytest.approx(250.0)
    assert r.account == evaluate(plan, prof, marks=r.marks).account
    assert r.account.state == "margin_call" and r.cross_close_order == []
    r = shock(plan, prof, move=-0.055)
    assert r.account.equity == pytest.approx(-25.0)
    assert r.account.state == "liquidation"
    assert r.cross_close_order == [1, 0]  # largest loss first
    safe = shock(plan, prof, move=0.02)
    assert safe.liquidated == [] and safe.cross_close_order == []


def test_shock_by_price_and_bad_input_leaves_plan() -> None:
    prof = get_profile("binance-usdm")
    plan = _cross_two_legs()
    r = shock(plan, prof, prices={"BTCUSDT": 49000.0})
    assert r.marks == {"BTCUSDT": 49000.0}
    with pytest.raises(PlannerError, match="shock.prices.BTCUSDT"):
        shock(plan, prof, prices={"BTCUSDT": -1.0})
    with pytest.raises(PlannerError, match="shock.move"):
        shock(plan, prof, move=-1.0)
    assert plan == _cross_two_legs()


def test_deribit_increments_of_200_contracts() -> None:
    """1,000 contracts of 10 USD: each step closes 200 contracts = 2,000 USD until the account is back above MM."""
    prof = get_profile("deribit")
    plan = Plan.model_validate(
        {
            "profile": "deribit",
            "account": {"wallet_balance": 0.0, "balances": {"BTC": 100.0}},
            "positions": [{"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 1000, "entry_price": 50000.0, "leverage": 20}],
        }
    )
    lp = evaluate(plan, prof).legs[0].liquidation_price
    steps = partial_liquidation(plan, prof, 0, lp * 0.999)
    assert steps and all(s.closed == pytest.approx(2000.0) for s in steps[:-1])
    assert [s.left for s in steps[:3]] == pytest.approx([8000.0, 6000.0, 4000.0][: len(steps[:3])])
    for s in steps:
        if s.left > 0 and s.equity > 0:
            assert s.margin_ratio == pytest.approx(s.requirement / s.equity)


def test_compare_maps_by_base_and_marks_not_listed_on_its_cell_only() -> None:
    plan = Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": 5000.0},
            "positions": [
                {"symbol": "BTCUSDT", "side": "long", "quantity": 0.1, "entry_price": 50000.0, "leverage": 10},
                {"symbol": "SOLUSDT", "side": "long", "quantity": 10.0, "entry_price": 150.0, "leverage": 5},
            ],
        }
    )
    hl = get_profile("hyperliquid")
    btc_only = hl.model_copy(update={"id": "hl-btc-only", "symbols": {"BTC": hl.symbols["BTC"]}})
    rows = {r.profile_id: r for r in compare_profiles(plan, get_profile("binance-usdm"), [*bundled_profiles().values(), btc_only])}
    cut = rows["hl-btc-only"]
    assert cut.status == "1 of 2 legs shown"
    assert cut.legs[0].status == "ok" and cut.legs[0].symbol == "BTC"
    assert cut.legs[1].status == "not listed" and "SOL" in cut.legs[1].note and cut.legs[1].liquidation_price is None
    # The BTC cell equals evaluating the BTC leg alone on Hyperliquid: IM 5,000/10 = 500, MM 5,000 / (2 x 40) = 62.5 USDC.
    assert cut.legs[0].initial_margin == pytest.approx(500.0)
    assert cut.legs[0].maintenance_margin == pytest.approx(5000.0 / 80.0)
    assert rows["hyperliquid"].status == "ok" and rows["hyperliquid"].legs[1].symbol == "SOL"


def test_csv_unsorted_times_name_the_line() -> None:
    with pytest.raises(PlannerError) as exc:
        parse_path_csv("time_hours,price\n0,100\n2,95\n1,90\n")
    assert "line 4" in exc.value.describe()
