"""Run a drill at the marks on screen: the plan with what-if marks written into its legs.

Pure: no I/O. Prices are in each symbol's quote currency.
"""

from __future__ import annotations

from planner.engine.evaluate import symbol_mark_prices
from planner.model.plan import Plan

__all__ = ["marks_in_use", "plan_at_marks"]


def plan_at_marks(plan: Plan, marks: dict[str, float] | None) -> Plan:
    """``plan`` with every leg of a symbol in ``marks`` marked at that price (quote currency).

    Symbols not in ``marks`` keep the plan's own mark; ``None`` or ``{}`` returns ``plan`` itself.
    Keys of ``marks`` naming no leg are ignored (a what-if mark kept from another venue's symbol).
    """
    if not marks:
        return plan
    if not any(p.symbol in marks for p in plan.positions):
        return plan
    positions = [p.model_copy(update={"mark_price": float(marks[p.symbol])}) if p.symbol in marks else p for p in plan.positions]
    return plan.model_copy(update={"positions": positions})


def marks_in_use(plan: Plan, marks: dict[str, float] | None = None) -> dict[str, float]:
    """The mark each symbol of ``plan`` is drilled at, in leg order: ``marks`` first, then the plan's mark, then entry."""
    given = symbol_mark_prices(plan)
    out: dict[str, float] = {}
    for p in plan.positions:
        if p.symbol not in out:
            out[p.symbol] = float((marks or {}).get(p.symbol, given.get(p.symbol, p.entry_price)))
    return out
