"""How much margin an isolated leg can take or give back, at the marks being looked at.

Money in the leg's settlement currency. "Add" is limited by the account's
available balance; "remove" by the first amount at which the leg would be
liquidated at the current mark (or the plan stops being valid: margin at or
below maintenance), found by bisection on the engine's own evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.engine.evaluate import Evaluation, evaluate
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile


@dataclass(frozen=True)
class MarginLimits:
    """Largest addition and removal for one isolated leg (settlement currency, both >= 0)."""

    max_add: float
    max_remove: float
    currency: str


def with_added_margin(plan: Plan, index: int, amount: float) -> Plan:
    """``plan`` with ``amount`` added to leg ``index``'s isolated margin (negative: removed)."""
    positions = list(plan.positions)
    pos = positions[index]
    positions[index] = pos.model_copy(update={"added_margin": pos.added_margin + amount})
    return plan.model_copy(update={"positions": positions})


def removal_outcome(plan: Plan, profile: ExchangeProfile, index: int, amount: float, marks: dict[str, float] | None) -> Evaluation | str:
    """Evaluation after changing leg ``index``'s margin by ``amount``, or why that is refused (one line)."""
    try:
        ev = evaluate(with_added_margin(plan, index, amount), profile, marks=marks or None)
    except PlannerError as exc:
        return "; ".join(p.message for p in exc.problems)
    if amount < 0 and ev.legs[index].state == "liquidation":
        mark = ev.legs[index].mark_price
        return f"removing {-amount:,.2f} {ev.legs[index].settle} liquidates the leg at the current mark {mark:,.10g}"
    return ev


def margin_limits(plan: Plan, profile: ExchangeProfile, index: int, marks: dict[str, float] | None = None) -> MarginLimits:
    """The most leg ``index`` (isolated) can take from the available balance and give back without liquidation."""
    ev = evaluate(plan, profile, marks=marks or None)
    leg = ev.legs[index]
    acc = next((a for a in ev.accounts if a.currency == leg.settle), ev.accounts[0])
    max_add = max(0.0, acc.available_balance)
    lo, hi = 0.0, max(0.0, leg.collateral)
    if isinstance(removal_outcome(plan, profile, index, -hi, marks), Evaluation):
        return MarginLimits(max_add, hi, leg.settle)
    if not isinstance(removal_outcome(plan, profile, index, 0.0, marks), Evaluation):
        return MarginLimits(max_add, 0.0, leg.settle)
    for _ in range(60):  # bisection to well below a cent
        mid = 0.5 * (lo + hi)
        if isinstance(removal_outcome(plan, profile, index, -mid, marks), Evaluation):
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-6:
            break
    return MarginLimits(max_add, lo, leg.settle)
