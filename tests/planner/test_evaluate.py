"""evaluate(), curves and funding on whole plans (isolated, cross, hedged, inverse)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.engine.curves import funding_curves, price_curves
from planner.engine.evaluate import average_entry, evaluate, target_price
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile

BTC_TIERS = get_profile("binance-usdm").symbols["BTCUSDT"].model_dump(mode="json")


def inline_profile(rule: str = "binance", **over) -> dict:
    """A small inline profile: BTCUSDT with the real Binance table plus an XYZ leg."""
    prof = {
        "id": f"test-{rule}",
        "name": f"test {rule}",
        "version": "2026-01-01",
        "rule": rule,
        "settle_currency": "USDT",
        "fees": {"maker": 0.0002, "taker": 0.0005, "liquidation": 0.0125},
        "funding": {"interval_hours": 8, "settlement_hours_utc": [0, 8, 16]},
        "policies": {"insurance_fund": True, "adl": True, "negative_balance_protection": True, "leftover_margin": "insurance_fund"},
        "symbols": {
            "BTCUSDT": BTC_TIERS,
            "XYZUSDT": {
                "contract": "linear",
                "contract_size": 1,
                "tick_size": 0.01,
                "base": "XYZ",
                "quote": "USDT",
                "settle": "USDT",
                "tiers": [{"notional_floor": 0, "max_leverage": 50, "maintenance_rate": 0.01}],
            },
        },
        "sources": [{"url": "https://example.invalid/test"}],
    }
    if rule not in ("binance", "bybit"):
        prof["symbols"]["BTCUSDT"] = {**BTC_TIERS, "tiers": [{**t, "maintenance_amount": 0.0} for t in BTC_TIERS["tiers"]]}
    prof.update(over)
    return prof


def make_plan(positions: list[dict], wallet: float = 100000.0, rule: str = "binance", **extra) -> tuple[Plan, ExchangeProfile]:
    plan = Plan.model_validate({"profile": inline_profile(rule), "account": {"wallet_balance": wallet}, "positions": positions, **extra})
    assert isinstance(plan.profile, ExchangeProfile)
    return plan, plan.profile


def leg(symbol="BTCUSDT", side="long", q=1.0, e=50000.0, mark=None, lev=10, mode="isolated", **kw) -> dict:
    return {
        "symbol": symbol,
        "side": side,
        "quantity": q,
        "entry_price": e,
        "mark_price": mark or e,
        "leverage": lev,
        "margin_mode": mode,
        **kw,
    }


def account_gap_at(plan: Plan, profile: ExchangeProfile, symbol: str, price: float) -> float:
    """Cross equity minus requirement when ``symbol`` is at ``price`` (engine curves)."""
    c = price_curves(plan, profile, symbol, np.array([price]))
    return float(c.cross_equity[0] - c.cross_requirement[0])


def test_cross_leg_binance_form_matches_account_root() -> None:
    """Cross LP of one leg, others at their marks: the cross equity equals MM there."""
    plan, prof = make_plan(
        [leg(mode="cross", lev=20), leg("XYZUSDT", "short", q=1000, e=100.0, mark=104.0, lev=10, mode="cross")], wallet=8000
    )
    ev = evaluate(plan, prof)
    lp = ev.legs[0].liquidation_price
    assert lp is not None and lp < 50000
    assert account_gap_at(plan, prof, "BTCUSDT", lp) == pytest.approx(0.0, abs=1e-6)
    lp_xyz = ev.legs[1].liquidation_price
    assert account_gap_at(plan, prof, "XYZUSDT", lp_xyz) == pytest.approx(0.0, abs=1e-6)


def test_hedged_same_symbol_cross_is_solved_numerically() -> None:
    plan, prof = make_plan([leg(mode="cross", q=2.0), leg(side="short", q=1.0, mode="cross")], wallet=6000)
    ev = evaluate(plan, prof)
    lp = ev.legs[0].liquidation_price
    assert lp is not None
    assert account_gap_at(plan, prof, "BTCUSDT", lp) == pytest.approx(0.0, abs=1e-5)
    # Net long 1 BTC: the long leg's liquidation is below the mark.
    assert lp < 50000


def test_isolated_leg_ignores_wallet_and_other_legs() -> None:
    plan1, prof = make_plan([leg()])
    plan2, _ = make_plan([leg(), leg("XYZUSDT", "short", q=1000, e=100.0, mark=150.0, mode="cross")], wallet=60000)
    a = evaluate(plan1, prof).legs[0]
    b = evaluate(plan2, prof).legs[0]
    assert a.liquidation_price == b.liquidation_price


def test_margin_call_price_between_mark_and_liquidation() -> None:
    plan, prof = make_plan([leg(lev=20)])
    L = evaluate(plan, prof).legs[0]
    assert L.liquidation_price < L.margin_call_price < L.mark_price
    assert L.bankruptcy_price < L.liquidation_price


def test_states_follow_thresholds() -> None:
    plan, prof = make_plan([leg(lev=20, mark=47720.0)])
    L = evaluate(plan, prof).legs[0]
    assert L.state == "margin_call" and 0.8 <= L.margin_ratio < 1.0
    plan, prof = make_plan([leg(lev=20, mark=47000.0)])
    assert evaluate(plan, prof).legs[0].state == "liquidation"
    plan, prof = make_plan([leg(lev=20, mark=52000.0)])
    assert evaluate(plan, prof).legs[0].state == "safe"


def test_okx_ratio_points_the_other_way() -> None:
    plan, prof = make_plan([leg(lev=20)], rule="okx")
    L = evaluate(plan, prof).legs[0]
    # equity / (MM + close fee): well above 1 when safe.
    assert L.margin_ratio > 1.0 and L.state == "safe"
    assert evaluate(plan, prof).thresholds.convention == "equity_over_requirement"


def test_what_if_mark_moves_figures() -> None:
    plan, prof = make_plan([leg()])
    base = evaluate(plan, prof).legs[0]
    moved = evaluate(plan, prof, marks={"BTCUSDT": 48000.0}).legs[0]
    assert moved.unrealized_pnl == pytest.approx(-2000.0)
    assert moved.liquidation_price == base.liquidation_price  # isolated LP does not depend on mark
    assert moved.distance_to_liquidation < base.distance_to_liquidation


def test_evaluate_refuses_invalid_plan() -> None:
    plan, prof = make_plan([leg(lev=200)])
    with pytest.raises(PlannerError) as exc:
        evaluate(plan, prof)
    assert "positions.0.leverage" in exc.value.describe()


def test_curves_cross_zero_at_liquidation_price() -> None:
    plan, prof = make_plan([leg(lev=25)])
    ev = evaluate(plan, prof)
    lp = ev.legs[0].liquidation_price
    grid = np.linspace(40000, 55000, 2001)
    c = price_curves(plan, prof, "BTCUSDT", grid)
    iso = c.isolated[0]
    gap = iso.equity - iso.requirement
    crossing = grid[np.nonzero(np.diff(np.sign(gap)))[0]]
    assert crossing.size == 1 and abs(crossing[0] - lp) <= grid[1] - grid[0]
    # Past liquidation the isolated leg leaves nothing to the account (Binance: insurance fund).
    assert c.equity[0] == pytest.approx(100000 - 50000 / 25)


def test_bybit_funding_taken_from_isolated_margin_moves_liquidation() -> None:
    """Bybit help: 1 BTC long @20,000 at 50x, 200 USDT funding taken from position
    margin moves the liquidation price from 19,700 to 19,900."""
    tiers = [{"notional_floor": 0, "notional_cap": 2e6, "max_leverage": 100, "maintenance_rate": 0.005, "maintenance_amount": 0}]
    prof = inline_profile("bybit")
    prof["symbols"]["BTCUSDT"] = {**BTC_TIERS, "tiers": tiers}
    plan = Plan.model_validate({"profile": prof, "account": {"wallet_balance": 1000}, "positions": [leg(e=20000.0, lev=50)]})
    assert evaluate(plan, plan.profile).legs[0].liquidation_price == pytest.approx(19700.0)
    after = plan.model_copy(update={"positions": [plan.positions[0].model_copy(update={"added_margin": -200.0})]})
    # Bybit's example leaves fees out. The position margin holds the fee to close at the
    # bankruptcy price (issue 12 item 5), which moves from 19,600 to 19,800.1 when the
    # margin shrinks: the held fee grows by taker x 200.1 and the price by as much.
    f = plan.profile.fees.taker
    bp_new = (20000 - 200 - 19600 * f) / (1 - f)
    lp = evaluate(after, after.profile).legs[0].liquidation_price
    assert lp == pytest.approx(19900.0 + f * (bp_new - 19600.0), abs=1e-6)
    assert abs(lp - 19900.0) < 0.5  # within one display tick of Bybit's figure


def test_funding_curve_longs_pay_and_liquidation_time() -> None:
    plan, prof = make_plan([leg(mode="cross", lev=50)], wallet=1200, funding_rates={"BTCUSDT": 0.01}, horizon_hours=72)
    fc = funding_curves(plan, prof, horizon_hours=72)
    # Settlements at 8, 16, 24 ... hours from 00:00 UTC; each costs 1 BTC x 50,000 x 1 % = 500 USDT.
    assert list(fc.settlement_hours[:3]) == [8.0, 16.0, 24.0]
    # MM at 50,000 = 200 (tier 2): equity 1,200 -> 700 -> 200 (= MM, not below) -> -300 at 24 h.
    assert fc.liquidation_hour == pytest.approx(24.0)
    # Liquidated at 24 h: the leg is closed, funding stops (3 payments, not 9) and negative-balance
    # protection leaves the wallet at 0, not -300 or -3,300 (issue 10 item 10).
    assert fc.funding_paid[-1] == pytest.approx(1500.0)
    assert fc.equity[-1] == pytest.approx(0.0)
    assert fc.equity[np.searchsorted(fc.hours, 24.0) - 1] == pytest.approx(200.0)  # just before the 24 h settlement
    assert fc.requirement[-1] == pytest.approx(0.0) and fc.requirement[0] == pytest.approx(200.0)
    short, prof2 = make_plan([leg(side="short", mode="cross", lev=50)], wallet=1200, funding_rates={"BTCUSDT": 0.01})
    assert funding_curves(short, prof2, horizon_hours=24).equity[-1] == pytest.approx(1200 + 1500)


def test_target_and_average_entry() -> None:
    assert target_price(50000, 1, 10, 0.5, inverse=False) == pytest.approx(52500)
    assert target_price(50000, -1, 10, 0.5, inverse=False) == pytest.approx(47500)
    assert average_entry(1, 50000, 1, 40000, inverse=False) == pytest.approx(45000)
    assert average_entry(50000, 50000, 40000, 40000, inverse=True) == pytest.approx(90000 / 2)


def test_account_common_shock() -> None:
    plan, prof = make_plan([leg(mode="cross", lev=10), leg("XYZUSDT", q=100, e=100.0, mode="cross")], wallet=6000)
    acc = evaluate(plan, prof).account
    down = acc.cross_liquidation_move_down
    assert down is not None and -1 < down < 0
    # At that common move the cross equity equals the requirement.
    marks = {"BTCUSDT": 50000 * (1 + down), "XYZUSDT": 100 * (1 + down)}
    shocked = evaluate(plan, prof, marks=marks, validate=False).account
    assert shocked.equity == pytest.approx(shocked.maintenance_margin, rel=1e-6)


def test_inline_profile_evaluates_exactly_as_it_says() -> None:
    plan, prof = make_plan([leg()])
    tweaked = inline_profile()
    tweaked["symbols"]["BTCUSDT"] = {**BTC_TIERS, "tiers": [{"notional_floor": 0, "max_leverage": 100, "maintenance_rate": 0.02}]}
    plan2 = Plan.model_validate({**plan.model_dump(mode="json"), "profile": tweaked})
    lp2 = evaluate(plan2, plan2.profile).legs[0].liquidation_price
    assert lp2 == pytest.approx((50000 - 5000) / (1 - 0.02))
    assert not math.isclose(lp2, evaluate(plan, prof).legs[0].liquidation_price)


@pytest.mark.parametrize(
    ("policies", "rate", "left"),
    [
        # 7 %/8 h on 50,000: 3,500 per settlement; margin 5,000 -> 1,500 -> -2,000 at 16 h (below MM 200).
        ({"negative_balance_protection": True, "leftover_margin": "insurance_fund"}, 0.07, 0.0),
        ({"negative_balance_protection": True, "leftover_margin": "trader"}, 0.07, 0.0),
        ({"negative_balance_protection": False, "leftover_margin": "liquidator"}, 0.07, -2000.0),
        # 4.9 %/8 h: 2,450 per settlement; 5,000 -> 2,550 -> 100 at 16 h (below MM 200, above 0).
        ({"negative_balance_protection": True, "leftover_margin": "trader"}, 0.049, 100.0),
        ({"negative_balance_protection": True, "leftover_margin": "insurance_fund"}, 0.049, 0.0),
        ({"negative_balance_protection": False, "leftover_margin": "liquidator"}, 0.049, 0.0),
    ],
)
def test_funding_stops_charging_a_liquidated_isolated_leg(policies: dict, rate: float, left: float) -> None:
    """Issue 10 item 10: after funding liquidates an isolated leg, the leg is closed.

    1 BTC long @ 50,000, 10x isolated (5,000 margin, MM 200), wallet 10,000 (5,000 outside the leg),
    over 72 h (9 settlements). The leg is liquidated at the 16 h settlement; from then on it pays
    nothing and leaves what the policies give: a deficit only without negative-balance protection,
    leftover margin only when it goes to the trader.
    """
    pol = {"insurance_fund": True, "adl": True, **policies}
    plan = Plan.model_validate(
        {
            "profile": inline_profile(policies=pol),
            "account": {"wallet_balance": 10000.0},
            "positions": [leg()],
            "funding_rates": {"BTCUSDT": rate},
            "horizon_hours": 72,
        }
    )
    assert isinstance(plan.profile, ExchangeProfile)
    fc = funding_curves(plan, plan.profile)
    assert fc.isolated_liquidation_hours == {0: pytest.approx(16.0)}
    pay = 50000.0 * rate
    assert fc.funding_paid[-1] == pytest.approx(2 * pay)  # 8 h and 16 h only, not 9 payments
    assert fc.equity[-1] == pytest.approx(5000.0 + left)
    before = np.searchsorted(fc.hours, 16.0) - 1
    assert fc.hours[before] < 16.0 and fc.equity[before] == pytest.approx(10000.0 - pay)
    assert np.all(fc.equity[fc.hours >= 16.0] == pytest.approx(5000.0 + left))
    assert fc.requirement[0] == pytest.approx(200.0) and fc.requirement[-1] == pytest.approx(0.0)
    if policies["negative_balance_protection"]:
        assert fc.equity.min() >= 5000.0 - 1e-9, "never more than the leg's own margin lost"


def test_funding_not_charged_on_a_leg_liquidated_at_the_mark() -> None:
    """A leg already below its requirement at the marks is closed now: no funding, loss capped at its margin."""
    plan, prof = make_plan(
        [leg(mark=44000.0), leg("XYZUSDT", q=10, e=100.0, mode="cross")],
        wallet=10000,
        funding_rates={"BTCUSDT": 0.01, "XYZUSDT": 0.01},
        horizon_hours=24,
    )
    fc = funding_curves(plan, prof)
    assert fc.liquidated_at_mark == (0,)
    # Only the XYZ leg pays: 10 x 100 x 1 % = 10 per settlement, 3 settlements in 24 h.
    assert fc.funding_paid[-1] == pytest.approx(30.0)
    ev = evaluate(plan, prof)
    assert fc.equity[0] == pytest.approx(ev.account.equity)  # 10,000 - 5,000 margin lost, as Results shows
    assert fc.equity[-1] == pytest.approx(fc.equity[0] - 30.0)
