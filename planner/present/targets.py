"""Stop / take-profit lines the CLI ``evaluate`` and the PDF report share (legs that have them only)."""

from __future__ import annotations

from planner.drills.plan_targets import LegTargets
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_pct, fmt_price, fmt_signed_money

#: Explanations of the figures (tooltips in the window, footnote in the report).
TARGET_HELP = {
    "stop": "Stop-loss price: the leg is closed there by a taker order",
    "take_profit": "Take-profit price: the leg is closed there by a taker order",
    "pnl": "PnL if the leg is closed at that price, after the taker fee on entry and on exit",
    "roe": "Return on the initial margin at entry (position value at entry / leverage), fees included",
    "reward_risk": "Reward-to-risk: net PnL at the take-profit divided by the net loss at the stop",
    "roe_price": "Price at which the leg's return on initial margin reaches the target ROE (before fees, as the exchanges' target-price tab)",
    "liquidation_first": "Liquidation comes before the stop: the stop never fills and the leg loses its margin",
}


def target_row_texts(t: LegTargets, profile: ExchangeProfile) -> dict[str, str]:
    """Formatted cells of one leg: ``stop``, ``stop_pnl``, ``stop_roe``, ``tp``, ``tp_pnl``, ``tp_roe``, ``rr``."""
    tick = profile.symbols[t.symbol].tick_size
    c = t.settle
    out = {"stop": "—", "stop_pnl": "—", "stop_roe": "—", "tp": "—", "tp_pnl": "—", "tp_roe": "—", "rr": "—"}
    if t.stop is not None:
        out.update(stop=fmt_price(t.stop.price, tick), stop_pnl=fmt_signed_money(t.stop.pnl, c), stop_roe=fmt_pct(t.stop.roe))
    if t.take_profit is not None:
        tp = t.take_profit
        out.update(tp=fmt_price(tp.price, tick), tp_pnl=fmt_signed_money(tp.pnl, c), tp_roe=fmt_pct(tp.roe))
    if t.reward_risk is not None:
        out["rr"] = f"{t.reward_risk:.2f}"
    return out


def targets_lines(targets: list[LegTargets], profile: ExchangeProfile) -> list[str]:
    """Readable lines, one per leg with a stop or take-profit (empty list when none has one)."""
    if not targets:
        return []
    lines = ["", "Stops and take-profits (PnL after taker fees on entry and exit, ROE on initial margin):"]
    for t in targets:
        x = target_row_texts(t, profile)
        parts = []
        if t.stop is not None:
            parts.append(f"stop {x['stop']}: PnL {x['stop_pnl']}, ROE {x['stop_roe']}")
        if t.take_profit is not None:
            parts.append(f"take-profit {x['tp']}: PnL {x['tp_pnl']}, ROE {x['tp_roe']}")
        if t.reward_risk is not None:
            parts.append(f"R:R {x['rr']}")
        line = f"  #{t.index + 1} {t.symbol} {t.side}: " + "; ".join(parts)
        if t.liquidation_first:
            lp = fmt_price(t.liquidation_price, profile.symbols[t.symbol].tick_size)
            line += f" (WARNING: liquidation at {lp} comes before the stop)"
        lines.append(line)
    return lines


def targets_json(targets: list[LegTargets]) -> list[dict[str, object]]:
    """JSON rows (one per leg with a stop or take-profit); ``leg`` is 1-based as in the text."""
    rows = []
    for t in targets:
        d = t.to_dict()
        d.pop("target_roe")
        d.pop("roe_price")
        rows.append({"leg": t.index + 1, **d})
    return rows
