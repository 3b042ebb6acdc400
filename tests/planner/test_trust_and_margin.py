"""Stale-figure sentences, badge levels and isolated-margin limits (pure, no Qt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.drills.margin import margin_limits, removal_outcome
from planner.engine.evaluate import Evaluation, evaluate
from planner.io.plan_files import load_plan
from planner.io.registry import get_profile
from planner.model.errors import Problem
from planner.present.trust import badge_text, distance_level, plan_differences, stale_banner, stale_summary, worse

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "btc-10x-isolated.plan.json"


@pytest.fixture
def plan_profile():
    plan = load_plan(EXAMPLE)
    prof = get_profile(plan.profile_id)
    legs = [p for p in plan.positions if p.symbol in prof.symbols]
    return plan.model_copy(update={"positions": legs}), prof


def test_levels_and_badge():
    assert distance_level(None) == "safe"
    assert distance_level(0.0019) == "liquidation"
    assert distance_level(0.03) == "margin_call"
    assert distance_level(0.051) == "safe"
    assert worse("safe", "liquidation") == "liquidation" == worse("liquidation", "margin_call")
    assert worse("margin_call", "safe") == "margin_call"
    assert badge_text("safe", 0.0019) == "safe · 0.19 % to liquidation"
    assert badge_text("safe", 0.096, short=True) == "safe · 9.6 % to liq."
    assert badge_text("liquidation", -0.01) == "liquidation · past liquidation"


def test_differences_name_what_differs(plan_profile):
    plan, _ = plan_profile
    legs = list(plan.positions)
    legs[0] = legs[0].model_copy(update={"leverage": 500.0})
    draft = plan.model_copy(update={"positions": legs, "profile": "okx"})
    diffs = plan_differences(plan, draft)
    assert diffs[0] == "profile binance-usdm (on screen okx)"
    assert "leg #1 leverage 10x (on screen 500x)" in diffs
    text = stale_summary(plan, draft, [Problem("positions.0.leverage", "500x exceeds the maximum 100x")])
    assert text.startswith("Figures for the last valid plan: profile binance-usdm (on screen okx); leg #1 leverage 10x")
    assert text.endswith("Not shown because: 500x exceeds the maximum 100x.")
    assert stale_summary(plan, plan, []) == ""
    banner = stale_banner(plan, draft, [Problem("positions.0.leverage", "500x exceeds the maximum 100x")])
    assert banner == (
        "Figures for the last valid plan: profile binance-usdm (on screen okx); leg #1 leverage 10x (on screen 500x)"
        " — the plan on screen has 1 problem, marked at the fields."
    )


def test_margin_limits_are_the_engine_boundary(plan_profile):
    plan, prof = plan_profile
    ev = evaluate(plan, prof)
    lim = margin_limits(plan, prof, 0)
    assert lim.currency == "USDT"
    assert lim.max_add == pytest.approx(ev.accounts[0].available_balance)
    # the example leg: 5,000 USDT isolated margin, maintenance 200 USDT at entry = mark 50,000
    assert lim.max_remove == pytest.approx(4800.0, abs=1e-4)
    assert isinstance(removal_outcome(plan, prof, 0, -(lim.max_remove - 0.01), None), Evaluation)
    assert "maintenance" in str(removal_outcome(plan, prof, 0, -(lim.max_remove + 0.01), None))
    # at a mark of 47,000 the unrealised loss (3,000) binds first: removal stops where the leg liquidates
    at = margin_limits(plan, prof, 0, {"BTCUSDT": 47000.0})
    assert at.max_remove < lim.max_remove
    refused = removal_outcome(plan, prof, 0, -(at.max_remove + 1.0), {"BTCUSDT": 47000.0})
    assert isinstance(refused, str) and "liquidates the leg at the current mark 47,000" in refused
