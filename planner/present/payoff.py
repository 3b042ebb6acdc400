"""The book's payoff as the CLI, the window and the report show it: coin and beta input, break-evens, sample rows.

The figures come from :func:`planner.drills.sizing.payoff` (PnL of every leg in
quote currency when the chosen symbol trades at a price; other symbols move
with it by a beta in log terms, 1 = the same percent move). This module reads
what a trader types for the coin and the betas, finds the break-even prices
(where the book's PnL crosses zero) and lays out the sample rows; it never
changes a figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planner.drills.marks import marks_in_use
from planner.drills.sizing import Payoff, payoff
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.model.symbols import coin_key
from planner.present.format import fmt_price, fmt_signed_money

__all__ = [
    "DEFAULT_SPAN",
    "PayoffView",
    "breakevens",
    "compute_payoff",
    "parse_betas",
    "payoff_levels",
    "payoff_symbols",
    "payoff_text",
    "resolve_coin",
]

#: Default half-width of the price axis, as a fraction of the chosen symbol's mark (0.3: -30 % to +30 %).
DEFAULT_SPAN = 0.3
#: Prices per bracket when refining a break-even (the 401-point grid's step / 2,048: a few cents for BTC).
_REFINE_POINTS = 2049


def payoff_symbols(plan: Plan) -> list[str]:
    """The plan's symbols in leg order, each once."""
    return list(dict.fromkeys(p.symbol for p in plan.positions))


def _coin(symbol: str, profile: ExchangeProfile) -> str:
    spec = profile.symbols.get(symbol)
    return coin_key(symbol, spec.base if spec is not None else None).coin


def resolve_coin(text: str, plan: Plan, profile: ExchangeProfile, field: str = "--coin") -> str:
    """The plan symbol named by ``text``: a symbol of the plan (``BTCUSDT``) or its coin (``BTC``, any case).

    A coin traded in several symbols picks the first leg's symbol.
    """
    symbols = payoff_symbols(plan)
    if not symbols:
        raise PlannerError([Problem("positions", "the plan has no positions")], "payoff")
    wanted = text.strip()
    for s in symbols:
        if s.upper() == wanted.upper():
            return s
    coin = coin_key(wanted).coin if wanted else ""
    for s in symbols:
        if wanted and _coin(s, profile).upper() in (wanted.upper(), coin.upper()):
            return s
    allowed = ", ".join(dict.fromkeys([_coin(s, profile) for s in symbols] + symbols))
    raise PlannerError([Problem(field, f"'{text}' is not a coin of the plan; allowed: {allowed}")], "payoff")


def parse_betas(text: str, plan: Plan, profile: ExchangeProfile, field: str = "--beta") -> dict[str, float]:
    """Betas of the plan's symbols from ``"0.9"`` (every other coin), ``"ETH=0.8,SOL=1.2"`` or both (``"0.9, ETH=0.8"``).

    Keys are coins or symbols of the plan; a symbol not named gets the plain
    number, else 1. Returns a beta for every symbol of the plan.

    >>> from planner.io.registry import get_profile
    >>> plan = Plan(profile="binance-usdm", account={"wallet_balance": 1000.0}, positions=[
    ...     {"symbol": "BTCUSDT", "side": "long", "quantity": 0.1, "entry_price": 50_000.0, "leverage": 5},
    ...     {"symbol": "ETHUSDT", "side": "short", "quantity": 1.0, "entry_price": 3_000.0, "leverage": 5}])
    >>> parse_betas("ETH=0.8", plan, get_profile("binance-usdm"))
    {'BTCUSDT': 1.0, 'ETHUSDT': 0.8}
    """
    symbols = payoff_symbols(plan)
    default = 1.0
    named: dict[str, float] = {}
    for i, item in enumerate([t.strip() for t in text.split(",") if t.strip()], start=1):
        key, eq, raw = item.partition("=")
        value_text = raw if eq else key
        try:
            value = float(value_text.strip())
        except ValueError:
            raise PlannerError(
                [Problem(field, f"item {i} '{item}' is not a beta; allowed: a number (0.9) or COIN=NUMBER (ETH=0.8)")], "payoff"
            ) from None
        if not math.isfinite(value) or not -10.0 <= value <= 10.0:
            raise PlannerError([Problem(field, f"item {i} '{item}': a beta must be a number from -10 to 10")], "payoff")
        if eq:
            coin = _coin(resolve_coin(key, plan, profile, field), profile)
            for s in symbols:  # every symbol of that coin moves alike
                if _coin(s, profile) == coin:
                    named[s] = value
        else:
            default = value
    return {s: named.get(s, default) for s in symbols}


def breakevens(plan: Plan, profile: ExchangeProfile, po: Payoff, beta: dict[str, float] | float = 1.0) -> list[float]:
    """Prices of ``po.symbol`` where the book's PnL (uncapped) crosses zero, within the grid of ``po``.

    Each sign change of the grid is refined in one call of :func:`payoff` on
    :data:`_REFINE_POINTS` prices per bracket (one evaluation of the book, however
    many brackets), then by linear interpolation inside the sub-bracket (PnL is
    linear in the price for linear contracts at beta 1, and smooth otherwise), so a
    break-even is exact to far below the symbol's tick.
    """
    x, y = po.prices, po.pnl
    sign = np.sign(y)
    idx = np.flatnonzero(sign[:-1] * sign[1:] < 0)
    exact = [float(x[i]) for i in np.flatnonzero(sign == 0)]
    if idx.size == 0:
        return sorted(exact)
    lo, hi = x[idx].astype(float), x[idx + 1].astype(float)
    t = np.linspace(0.0, 1.0, _REFINE_POINTS)
    grid = lo[:, None] + (hi - lo)[:, None] * t[None, :]
    vals = payoff(plan, profile, po.symbol, grid.ravel(), beta=beta).pnl.reshape(grid.shape)
    out = list(exact)
    for k in range(len(lo)):
        s = np.sign(vals[k])
        change = np.flatnonzero(s[:-1] * s[1:] <= 0)
        j = int(change[0]) if change.size else 0
        x0, x1, y0, y1 = grid[k, j], grid[k, j + 1], vals[k, j], vals[k, j + 1]
        out.append(float(x0 if y1 == y0 else x0 - y0 * (x1 - x0) / (y1 - y0)))
    return sorted(out)


@dataclass(frozen=True)
class PayoffView:
    """A payoff with what every view needs beside it: the currency, betas used, mark and break-evens."""

    payoff: Payoff
    currency: str
    betas: dict[str, float]
    mark: float
    breakevens: list[float]
    tick: float


def compute_payoff(
    plan: Plan,
    profile: ExchangeProfile,
    symbol: str,
    betas: dict[str, float] | float = 1.0,
    *,
    span: float = DEFAULT_SPAN,
    n: int = 401,
) -> PayoffView:
    """:func:`payoff` over ``n`` prices within +/- ``span`` of the symbol's mark, with the break-evens.

    ``currency`` is the chosen symbol's quote currency (the payoff adds every
    leg's PnL in quote currency; a coin-settled leg's PnL is converted at its
    own price).
    """
    if not (math.isfinite(span) and 0.0 < span < 1.0):
        raise PlannerError([Problem("span", f"must be a fraction above 0 and below 1 (got {span!r})")], "payoff")
    po = payoff(plan, profile, symbol, beta=betas, n=n, span=span)
    spec = profile.symbols[symbol]
    mark = marks_in_use(plan)[symbol]
    full = betas if isinstance(betas, dict) else {s: (1.0 if s == symbol else float(betas)) for s in payoff_symbols(plan)}
    return PayoffView(po, spec.quote, {**full, symbol: 1.0}, mark, breakevens(plan, profile, po, betas), spec.tick_size)


def payoff_text(view: PayoffView, plan: Plan, points: int = 13) -> str:
    """Sample rows (``points`` prices evenly over the grid), the break-evens and each leg's liquidation on the axis."""
    po, ccy, tick = view.payoff, view.currency, view.tick
    others = ", ".join(f"{s} {b:g}" for s, b in view.betas.items() if s != po.symbol) or "none"
    lines = [
        f"Payoff of the book against {po.symbol} (mark {fmt_price(view.mark, tick)}); other symbols move by beta: {others}",
        f"PnL in {ccy}, unrealised, before fees and funding; 'capped' limits each isolated leg's loss to its margin",
    ]
    picks = np.unique(np.linspace(0, len(po.prices) - 1, max(2, points)).round().astype(int))
    rows = [
        (fmt_price(float(po.prices[i]), tick), fmt_signed_money(float(po.pnl[i]), ""), fmt_signed_money(float(po.pnl_capped[i]), ""))
        for i in picks
    ]
    head = (f"{po.symbol} price", f"PnL ({ccy})", f"capped ({ccy})")
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(head)]
    lines.append("  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines += payoff_levels(view, plan)
    return "\n".join(lines)


def payoff_levels(view: PayoffView, plan: Plan) -> list[str]:
    """The break-even line, then one line per leg: where it is liquidated on the chosen coin's axis."""
    po, tick = view.payoff, view.tick
    be = ", ".join(fmt_price(b, tick) for b in view.breakevens) or "none within the range"
    lines = [f"break-even {po.symbol} price: {be}"]
    for i, (pos, lp) in enumerate(zip(plan.positions, po.liquidation_on_axis, strict=True), start=1):
        where = "no liquidation price" if lp is None or not math.isfinite(lp) else f"liquidated at {po.symbol} {fmt_price(lp, tick)}"
        lines.append(f"  leg #{i} {pos.side.value} {pos.symbol}: {where}")
    return lines
