"""What a figure on screen belongs to: risk levels for badges and what differs from the last valid plan.

Pure functions shared by the window (Results, badges) and anything else that
must say when figures are not those of the plan being edited.
"""

from __future__ import annotations

from planner.model.errors import Problem
from planner.model.plan import Plan, Position

#: Levels from best to worst; the exchange's own states use the same names.
LEVELS = ("safe", "margin_call", "liquidation")

#: Distance to liquidation (fraction of the mark) below which a badge is at least orange / red.
DISTANCE_WARN = 0.05
DISTANCE_DANGER = 0.01


def distance_level(distance: float | None) -> str:
    """Level of a distance to liquidation (fraction of the mark; None = no liquidation price: safe).

    >>> distance_level(0.0019), distance_level(0.03), distance_level(0.2)
    ('liquidation', 'margin_call', 'safe')
    """
    if distance is None:
        return "safe"
    if distance <= DISTANCE_DANGER:
        return "liquidation"
    if distance <= DISTANCE_WARN:
        return "margin_call"
    return "safe"


def worse(a: str, b: str) -> str:
    """The worse of two levels ("safe" < "margin_call" < "liquidation"); unknown levels count as safe."""
    rank = {name: i for i, name in enumerate(LEVELS)}
    return a if rank.get(a, 0) >= rank.get(b, 0) else b


def badge_text(state_text: str, distance: float | None, short: bool = False) -> str:
    """ "safe · 0.19 % to liquidation" (distance as a fraction of the mark; None: no liquidation price).

    ``short`` writes "to liq." for narrow tables.
    """
    if distance is None:
        return f"{state_text} · no liq. price" if short else f"{state_text} · no liquidation price"
    if distance <= 0:
        return f"{state_text} · past liquidation"
    pct = distance * 100
    digits = 2 if pct < 1 else 1
    return f"{state_text} · {pct:,.{digits}f} % to {'liq.' if short else 'liquidation'}"


def _leg_fields(pos: Position) -> dict[str, object]:
    return {
        "symbol": pos.symbol,
        "side": pos.side.value,
        "quantity": pos.quantity,
        "entry": pos.entry_price,
        "mark": pos.mark,
        "leverage": pos.leverage,
        "margin mode": pos.margin_mode.value,
        "isolated margin": pos.isolated_margin,
        "added margin": pos.added_margin,
    }


def _show(name: str, value: object) -> str:
    if value is None:
        return "initial" if name == "isolated margin" else "none"
    if isinstance(value, float):
        return f"{value:g}x" if name == "leverage" else f"{value:,.10g}"
    return str(value)


def leg_differences(shown: Position, draft: Position) -> list[str]:
    """Per field where the figures' leg ``shown`` differs from the ``draft`` leg: "leverage 50x (on screen 500x)"."""
    a, b = _leg_fields(shown), _leg_fields(draft)
    return [f"{k} {_show(k, a[k])} (on screen {_show(k, b[k])})" for k in a if a[k] != b[k]]


def plan_differences(shown: Plan, draft: Plan) -> list[str]:
    """Everything that differs between the plan the figures belong to and the plan on screen, one phrase each."""
    out: list[str] = []
    if shown.profile_id != draft.profile_id:
        out.append(f"profile {shown.profile_id} (on screen {draft.profile_id})")
    if shown.account != draft.account:
        if shown.account.wallet_balance != draft.account.wallet_balance:
            out.append(f"wallet {shown.account.wallet_balance:,.10g} (on screen {draft.account.wallet_balance:,.10g})")
        else:
            out.append("account settings")
    if len(shown.positions) != len(draft.positions):
        out.append(f"{len(shown.positions)} legs (on screen {len(draft.positions)})")
    for i, (a, b) in enumerate(zip(shown.positions, draft.positions, strict=False)):
        out.extend(f"leg #{i + 1} {d}" for d in leg_differences(a, b))
    if shown.funding_rates != draft.funding_rates:
        out.append("funding rates")
    if shown.horizon_hours != draft.horizon_hours:
        out.append(f"horizon {shown.horizon_hours:g} h (on screen {draft.horizon_hours:g} h)")
    return out


def stale_summary(shown: Plan, draft: Plan, problems: list[Problem]) -> str:
    """One sentence for a banner over figures of the last valid plan, or "" when they are the plan on screen.

    >>> # "Figures for the last valid plan: leg #1 leverage 50x (on screen 500x). On screen: 500x exceeds ..."
    """
    if shown == draft:
        return ""
    diffs = plan_differences(shown, draft)
    head = "Figures for the last valid plan" + (": " + "; ".join(diffs) if diffs else "")
    if problems:
        head += ". Not shown because: " + problems[0].message + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else "")
    return head + "."


def stale_banner(shown: Plan, draft: Plan, problems: list[Problem]) -> str:
    """The short form of :func:`stale_summary` for a banner: what differs and how many problems (fields say which)."""
    if shown == draft:
        return ""
    diffs = plan_differences(shown, draft)
    text = "Figures for the last valid plan" + (": " + "; ".join(diffs[:3]) + (" …" if len(diffs) > 3 else "") if diffs else "")
    if problems:
        text += f" — the plan on screen has {len(problems)} problem{'s' if len(problems) > 1 else ''}, marked at the fields"
    return text + "."
