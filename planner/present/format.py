"""Display formatting shared by the CLI, the window and the report.

Numbers are computed unrounded; they are rounded here, for display only, and
prices towards the safe side: a long's liquidation price is rounded *up* to
the tick, a short's *down* (Bybit shows 7,773.48 as 7,773.50 for a long).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.engine.portfolio_margin import PortfolioResult


def no_negative_zero(value: float, digits: int) -> float:
    """``value``, or +0.0 when it shows as zero at ``digits`` decimals (never "-0.00")."""
    return 0.0 if round(value, digits) == 0.0 else value


def round_price_safe(price: float | None, tick: float, side_sign: int, convention: str = "safe") -> float | None:
    """Round a liquidation-type price to the tick towards the current price.

    ``side_sign`` is the side of the mark the price lies on, seen from the
    position: +1 when the price is below the mark (a long's liquidation), -1
    above it. ``convention`` is the profile's ``RuleTraits.price_display``:
    "safe" rounds to the nearest tick towards the mark (an exact multiple
    stays; every bundled rule uses it, OKX included, since no venue page
    found documents another rounding); "tick_towards_mark" cuts to the tick
    away from the mark, then moves one whole tick towards it (an exact
    multiple is shown one tick nearer; kept for a venue that documents it).
    """
    if price is None or not math.isfinite(price):
        return None
    steps = price / tick
    if convention == "tick_towards_mark":
        n = math.floor(steps + 1e-9) + 1 if side_sign > 0 else math.ceil(steps - 1e-9) - 1
        return n * tick
    # A tiny tolerance keeps exact multiples from being pushed a tick away.
    n = math.ceil(steps - 1e-9) if side_sign > 0 else math.floor(steps + 1e-9)
    return n * tick


def rounding_side(price: float | None, mark: float, side_sign: int, cross: bool) -> int:
    """Side for :func:`round_price_safe`: the leg's own for isolated legs; for cross
    legs (one price per symbol, hedged legs included) the side of the mark the price is on."""
    if not cross or price is None or price == mark:
        return side_sign
    return 1 if price < mark else -1


def tick_decimals(tick: float) -> int:
    """Decimals needed to show a tick size (0.1 -> 1, 0.0001 -> 4, 1 -> 0)."""
    if tick >= 1:
        return 0
    return max(0, min(10, round(-math.log10(tick) + 0.4999)))


def fmt_price(price: float | None, tick: float = 0.01, side_sign: int = 0, convention: str = "safe") -> str:
    """Price with the symbol's tick decimals; "none" when it does not exist.

    With ``side_sign`` the price is rounded by :func:`round_price_safe` under ``convention``.
    """
    if price is None or not math.isfinite(price):
        return "none"
    if side_sign:
        price = round_price_safe(price, tick, side_sign, convention) or price
    d = tick_decimals(tick)
    return f"{no_negative_zero(price, d):,.{d}f}"


def fmt_money(value: float | None, currency: str = "", digits: int | None = None) -> str:
    """Money with a sensible number of decimals (coins get more)."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if digits is None:
        digits = 2 if currency.upper() in ("USDT", "USDC", "USD", "") else 6
    text = f"{no_negative_zero(value, digits):,.{digits}f}"
    return f"{text} {currency}".strip()


def fmt_signed_money(value: float | None, currency: str = "", digits: int | None = None) -> str:
    """Money with an explicit sign, "+" = to the account, "-" = from it (zero shows unsigned)."""
    text = fmt_money(value, currency, digits)
    if value is None or not math.isfinite(value) or value < 0:
        return text
    d = digits if digits is not None else (2 if currency.upper() in ("USDT", "USDC", "USD", "") else 6)
    return text if round(value, d) == 0.0 else "+" + text


def fmt_pct(fraction: float | None, digits: int = 2) -> str:
    """A fraction as a percentage (0.004 -> "0.40%"), never "-0.00%"."""
    if fraction is None or not math.isfinite(fraction):
        return "n/a"
    return f"{no_negative_zero(fraction * 100, digits):,.{digits}f}%"


def fmt_ratio(ratio: float | None) -> str:
    """A margin ratio (fraction) as a percentage; "n/a" when it does not exist."""
    if ratio is None or not math.isfinite(ratio):
        return "n/a"
    return f"{no_negative_zero(ratio * 100, 2):,.2f}%"


def portfolio_lines(pm: PortfolioResult) -> list[str]:
    """Text lines of a portfolio-margin result beside the standard requirement (CLI, report)."""
    kind = "cross (X:PM, all currencies in USD)" if pm.collateral == "cross" else "segregated (S:PM, each settlement currency alone)"
    lines = [f"Portfolio margin, {kind}: IM = worst scenario loss + roll shock; MM = IM x {pm.mm_factor:g}"]
    for a in pm.accounts:
        c = a.currency
        lines.append(
            f"Portfolio {c}: equity {fmt_money(a.equity, c)}, IM {fmt_money(a.initial_margin, c)}, MM {fmt_money(a.maintenance_margin, c)}, "
            f"margin ratio {fmt_ratio(a.margin_ratio)}, state {a.state}"
        )
        lines.append(
            f"  standard margin beside it: IM {fmt_money(a.standard_initial_margin, c)}, MM {fmt_money(a.standard_maintenance_margin, c)}; "
            f"portfolio MM {'saves' if a.saving >= 0 else 'adds'} {fmt_money(abs(a.saving), c)}"
        )
        worst = (
            "none (no scenario loses)"
            if a.worst_move is None
            else f"{fmt_money(a.worst_loss, c)}, worst at an underlying move of {fmt_pct(a.worst_move)}"
        )
        lines.append(f"  worst loss {worst}; roll shock {fmt_money(a.roll_shock, c)}")
        if a.liquidation_move_down is not None or a.liquidation_move_up is not None:
            lines.append(
                f"  equity falls to the portfolio MM if every underlying moves together by {fmt_pct(a.liquidation_move_down)} (down)"
                f" or {fmt_pct(a.liquidation_move_up)} (up)"
            )
    for g in pm.groups:
        moves = ", ".join(f"{m * 100:+.1f}%: {v:,.6g}" for m, v in zip(g.moves, g.pnl, strict=True))
        lines.append(f"  risk vector {g.underlying} in {g.currency} (legs {', '.join(f'#{i + 1}' for i in g.legs)}): {moves}")
    lines += [f"  Note: {n}" for n in pm.notes]
    return lines
