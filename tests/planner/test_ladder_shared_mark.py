"""A fill moves the mark of every leg of its symbol (a plan has one mark per symbol)."""

from __future__ import annotations

import pytest

from planner.drills.sizing import apply_fill, ladder
from planner.engine.evaluate import evaluate
from planner.io.plan_files import load_plan, resolve_profile

BOOK10 = "tests/data/screenshots/book-10-legs.plan.json"


def test_fill_on_a_symbol_with_several_legs() -> None:
    plan = load_plan(BOOK10)
    profile = resolve_profile(plan)
    btc = [i for i, p in enumerate(plan.positions) if p.symbol == "BTCUSDT"]
    assert len(btc) >= 2
    rows, final = ladder(plan, profile, 0, [(56_430.0, 0.01), (55_000.0, 0.02)])
    assert {final.positions[i].mark_price for i in btc} == {55_000.0}
    others = [i for i in range(len(plan.positions)) if i not in btc]
    assert [final.positions[i] for i in others] == [plan.positions[i] for i in others]
    # Each row is evaluate() of the plan with the fills so far.
    step1 = apply_fill(plan, profile, 0, 56_430.0, 0.01)
    leg = evaluate(step1, profile).legs[0]
    assert rows[1].liquidation_price == leg.liquidation_price and rows[1].margin_ratio == leg.margin_ratio
    q0, e0 = plan.positions[0].quantity, plan.positions[0].entry_price
    assert rows[1].average_entry == pytest.approx((q0 * e0 + 0.01 * 56_430.0) / (q0 + 0.01), rel=1e-12)
    # Keeping the mark leaves every leg's mark alone.
    kept = apply_fill(plan, profile, 0, 56_430.0, 0.01, mark_at_fill=False)
    assert [p.mark_price for p in kept.positions] == [p.mark_price for p in plan.positions]
