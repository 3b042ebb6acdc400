"""Action plan: every step's figures are the engine's evaluation of its modified plan."""

from __future__ import annotations

import pytest

from planner.drills.actions import action_plan
from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.plan import Plan


def _cross_plan(wallet: float = 3000.0) -> Plan:
    return Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": wallet},
            "horizon_hours": 24.0,
            "funding_rates": {"BTCUSDT": 0.0003},
            "positions": [
                {
                    "symbol": "BTCUSDT",
                    "side": "long",
                    "quantity": 1.0,
                    "entry_price": 50000.0,
                    "mark_price": 50000.0,
                    "leverage": 20.0,
                    "margin_mode": "cross",
                }
            ],
        }
    )


def test_each_step_reports_the_evaluation_of_its_plan() -> None:
    prof = get_profile("binance-usdm")
    plan, marks = _cross_plan(), {"BTCUSDT": 47200.0}
    ap = action_plan(plan, prof, marks=marks)
    kinds = [s.kind for s in ap.steps]
    assert kinds[0] == "top_up" and "reduce" in kinds and "stop_loss" in kinds and "audit_funding" in kinds
    assert kinds.index("top_up") < kinds.index("reduce") < kinds.index("stop_loss")
    for step in ap.steps:
        if step.plan_after is None:
            continue
        ev = evaluate(step.plan_after, prof, marks=marks)
        assert step.liquidation_after == {l.index: l.liquidation_price for l in ev.legs}
    top = ap.steps[0]
    ev_top = evaluate(top.plan_after, prof, marks=marks)
    assert ev_top.account.state == "safe"
    assert top.ratio_after == pytest.approx(ev_top.account.margin_ratio)
    # 5 % buffer on top of the exact amount to the call threshold (MM / equity = 0.8 on Binance).
    ev0 = evaluate(plan, prof, marks=marks)
    need = ev0.account.maintenance_margin / ev0.thresholds.margin_call - ev0.account.equity
    assert top.amount == pytest.approx(need * 1.05, rel=1e-9)


def test_funding_audit_uses_plan_rate() -> None:
    """1 BTC long marked at 47,200 paying 0.03 % every 8 h for 24 h: 3 x 14.16 = 42.48 USDT; stop 4 % below: 45,312."""
    prof = get_profile("binance-usdm")
    ap = action_plan(_cross_plan(), prof, marks={"BTCUSDT": 47200.0})
    audit = next(s for s in ap.steps if s.kind == "audit_funding")
    assert audit.title.startswith("Funding over 24 h: pays")
    assert audit.amount == pytest.approx(42.48)
    stop = next(s for s in ap.steps if s.kind == "stop_loss")
    assert stop.amount == pytest.approx(45312.0)
    dist = next(s for s in ap.steps if s.kind == "top_up_distance")
    assert dist.liquidation_after[0] == pytest.approx(47200.0 * 0.9, rel=1e-6)


def test_safe_plan_still_gets_a_plan_without_trigger() -> None:
    prof = get_profile("binance-usdm")
    ap = action_plan(_cross_plan(wallet=20000.0), prof)
    assert not ap.in_margin_call and "No margin call" in ap.trigger
