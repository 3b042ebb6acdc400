"""Sentences on dated futures shared by the CLI, the report and the window (no figure computed here)."""

from __future__ import annotations

from planner.engine.evaluate import Evaluation
from planner.present.format import fmt_money

#: The settlement model in one sentence (planner.engine.expiry states it in full).
SETTLEMENT_MODEL = (
    "settlement at the mark carried to expiry (the basis converges to zero); a roll reopens the next contract"
    " at the settlement price plus its annualised basis, paying the settlement fee and the taker fee"
)


def dated_lines(ev: Evaluation) -> list[str]:
    """Heading and one line per dated leg (expiry, days to expiry, basis, rollover cost); [] without dated legs."""
    if not ev.dated:
        return []
    lines = [f"Dated futures (time to expiry from the {ev.clock}; {SETTLEMENT_MODEL}):"]
    lines += [f"  {d.describe()}" for d in ev.dated]
    return lines


def rollover_total_text(ev: Evaluation) -> str | None:
    """``Rollover cost within the horizon: 1,580.67 USDT`` summed per currency, or None if nothing settles within it."""
    totals: dict[str, float] = {}
    for d in ev.dated:
        if d.in_horizon:
            totals[d.settle] = totals.get(d.settle, 0.0) + d.rollover_cost
    if not totals:
        return None
    return "Rollover cost within the horizon: " + ", ".join(fmt_money(v, c) for c, v in totals.items())
