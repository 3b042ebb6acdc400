"""Issue 10 item 5: drills run at given marks (the marks on screen); funding liquidates only when funding does."""

from __future__ import annotations

import pytest

from planner.drills.marks import marks_in_use, plan_at_marks
from planner.drills.montecarlo import MarketModel, liquidation_probability
from planner.drills.paths import flash_crash, run_path
from planner.drills.scenarios import Slippage, gap_waterfall, shock
from planner.engine.curves import funding_curves
from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.plan import Account, Plan, Position


@pytest.fixture
def profile():
    return get_profile("binance-usdm")


def _iso_btc(mark: float = 50000.0, rate: float = 0.0, side: str = "long") -> Plan:
    """1 BTC at 50,000, 10x isolated (5,000 USDT margin): liquidation near 45,3xx for the long."""
    return Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=10000.0),
        positions=[
            Position(symbol="BTCUSDT", side=side, quantity=1.0, entry_price=50000.0, mark_price=mark, leverage=10.0, margin_mode="isolated")
        ],
        funding_rates={"BTCUSDT": rate},
        horizon_hours=72.0,
    )


def _two_cross() -> Plan:
    return Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=3000.0),
        positions=[
            Position(
                symbol="BTCUSDT", side="long", quantity=0.5, entry_price=50000.0, mark_price=50000.0, leverage=20.0, margin_mode="cross"
            ),
            Position(
                symbol="ETHUSDT", side="short", quantity=5.0, entry_price=3000.0, mark_price=3000.0, leverage=20.0, margin_mode="cross"
            ),
        ],
        horizon_hours=24.0,
    )


def test_plan_at_marks_sets_every_leg_of_the_symbol_and_ignores_other_keys():
    plan = _two_cross()
    moved = plan_at_marks(plan, {"BTCUSDT": 45000.0, "BTC-USDT-SWAP": 1.0})
    assert [p.mark for p in moved.positions] == [45000.0, 3000.0]
    assert plan_at_marks(plan, None) is plan and plan_at_marks(plan, {"XRPUSDT": 1.0}) is plan
    assert marks_in_use(plan, {"ETHUSDT": 2900.0}) == {"BTCUSDT": 50000.0, "ETHUSDT": 2900.0}


def test_shock_moves_from_the_given_marks(profile):
    plan = _two_cross()
    r = shock(plan, profile, move=-0.1, marks={"BTCUSDT": 45000.0})
    assert r.marks == {"BTCUSDT": pytest.approx(40500.0), "ETHUSDT": pytest.approx(2700.0)}
    ev = evaluate(plan, profile, marks={"BTCUSDT": 40500.0, "ETHUSDT": 2700.0})
    assert r.account.equity == pytest.approx(ev.account.equity)
    # BTC -4,750 x 0.5 ... by hand: uPnL 0.5 x (40,500 - 50,000) + 5 x (3,000 - 2,700) = -4,750 + 1,500
    assert r.account.unrealized_pnl == pytest.approx(-3250.0)
    assert shock(plan, profile, move=-0.1).account.unrealized_pnl == pytest.approx(-2500.0 + 1500.0)


def test_gap_waterfall_puts_the_other_legs_at_the_given_marks(profile):
    plan = _two_cross()
    at_plan = gap_waterfall(plan, profile, 0, gap_beyond=0.01, slippage=Slippage(fixed=0.0))
    at_marks = gap_waterfall(plan, profile, 0, gap_beyond=0.01, slippage=Slippage(fixed=0.0), marks={"ETHUSDT": 2800.0})
    same = gap_waterfall(plan_at_marks(plan, {"ETHUSDT": 2800.0}), profile, 0, gap_beyond=0.01, slippage=Slippage(fixed=0.0))
    assert at_marks == same
    # The ETH short gains 5 x 200 = 1,000 USDT at 2,800 and its maintenance margin falls with its value:
    # both stand behind the BTC leg.
    mm = [evaluate(plan, profile, marks={"ETHUSDT": m}).legs[1].maintenance_margin for m in (3000.0, 2800.0)]
    assert mm[0] - mm[1] == pytest.approx(1000.0 * 0.004)  # 0.40 % of the 1,000 USDT of value lost (tier 1)
    assert at_marks.margin == pytest.approx(at_plan.margin + 1000.0 + (mm[0] - mm[1]), rel=1e-12)


def test_path_starts_at_the_given_marks(profile):
    plan = _iso_btc()
    path = flash_crash(horizon_hours=24.0)
    r = run_path(plan, profile, path, marks={"BTCUSDT": 47000.0})
    start = evaluate(plan, profile, marks={"BTCUSDT": 47000.0})
    assert r.equity[0] == pytest.approx(start.account.equity, rel=1e-12)
    assert r.equity[0] == pytest.approx(run_path(plan, profile, path).equity[0] - 3000.0, rel=1e-12)


def test_event_drill_reports_a_leg_already_liquidated_at_the_marks(profile):
    plan = _iso_btc()
    lp = evaluate(plan, profile).legs[0].liquidation_price
    assert 45000.0 < lp < 46000.0
    model = MarketModel(volatility=0.6)
    r = liquidation_probability(plan, profile, model=model, horizon_hours=24.0, paths=2000, seed=3, marks={"BTCUSDT": 45000.0})
    assert r.already_liquidated == (0,) and r.per_leg == {} and r.paths == 0
    healthy = liquidation_probability(plan, profile, model=model, horizon_hours=24.0, paths=2000, seed=3, marks={"BTCUSDT": 48000.0})
    assert healthy.already_liquidated == () and 0.0 < healthy.probability < 1.0
    # Two legs, one past liquidation: the other gets exactly the probability it has alone.
    two = plan.model_copy(
        update={
            "positions": [
                *plan.positions,
                Position(symbol="ETHUSDT", side="short", quantity=2.0, entry_price=3000.0, leverage=10.0, margin_mode="isolated"),
            ]
        }
    )
    r2 = liquidation_probability(two, profile, model=model, horizon_hours=24.0, paths=2000, seed=3, marks={"BTCUSDT": 45000.0})
    alone = liquidation_probability(
        two.model_copy(update={"positions": [two.positions[1]]}), profile, model=model, horizon_hours=24.0, paths=2000, seed=3
    )
    assert r2.already_liquidated == (0,) and list(r2.per_leg) == [1]
    assert r2.per_leg[1] == alone.per_leg[0] and r2.probability == alone.probability


def test_funding_liquidation_hour_only_when_funding_liquidates(profile):
    # At a 0 % rate a leg past liquidation at the mark is "liquidated at the mark", not "by funding at 8 h".
    c = funding_curves(_iso_btc(), profile, marks={"BTCUSDT": 45000.0})
    assert c.isolated_liquidation_hours == {0: None} and c.liquidated_at_mark == (0,)
    # Healthy at 0 %: nothing.
    c = funding_curves(_iso_btc(), profile)
    assert c.isolated_liquidation_hours == {0: None} and c.liquidated_at_mark == ()
    # A short receives at a positive rate: funding cannot liquidate it.
    c = funding_curves(_iso_btc(rate=0.003, side="short"), profile, marks={"BTCUSDT": 54000.0})
    assert c.isolated_liquidation_hours == {0: None} and c.liquidated_at_mark == ()
    # A long 100 USDT above its liquidation, paying 0.3 % of ~45,4xx (~136 USDT) per 8 h: funding takes it at 8 h.
    lp = evaluate(_iso_btc(), profile).legs[0].liquidation_price
    c = funding_curves(_iso_btc(rate=0.003), profile, marks={"BTCUSDT": lp + 100.0})
    assert c.liquidated_at_mark == () and c.isolated_liquidation_hours[0] == pytest.approx(8.0)
    # Cross account already below its requirement: no "funding alone liquidates after 0 h".
    cross = _two_cross()
    c = funding_curves(cross, profile, marks={"BTCUSDT": 40000.0})
    assert evaluate(cross, profile, marks={"BTCUSDT": 40000.0}).account.state == "liquidation"
    assert c.liquidation_hour is None and c.liquidated_at_mark == (0, 1)
