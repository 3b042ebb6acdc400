"""Gap and slippage through liquidation, and the loss waterfall that answers
"can I lose more than my margin?".

The price gaps past the liquidation price, the liquidation fills at a worse
price (fixed slippage or an order-book depth profile -> volume-weighted fill),
and the loss is split, exactly, into the trader's margin, the liquidation
fee, and the deficit beyond the bankruptcy price, which the profile's
policies assign: insurance fund, then auto-deleveraging, then socialised
loss, then the trader (venues without negative-balance protection). Margin
left after a fill better than bankruptcy goes to ``policies.leftover_margin``.
Money in the leg's settlement currency; a *loss* is a positive number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from planner.drills.marks import plan_at_marks
from planner.engine.evaluate import Evaluation, evaluate, leg_inputs, leg_upnl
from planner.engine.tiers import position_value
from planner.model.errors import PlannerError, Problem
from planner.model.plan import MAX_PRICE, MIN_PRICE, Plan
from planner.model.profile import ExchangeProfile

__all__ = ["Slippage", "Waterfall", "gap_waterfall", "parse_depth_levels"]


# ---------------------------------------------------------------------------
# Slippage models
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Slippage:
    """How far beyond the trigger price a liquidation fills.

    ``fixed``: fill = trigger x (1 -/+ fixed) against the position.
    ``depth``: an order-book profile, ``levels`` of (fraction away from the
    trigger, notional available there in quote); the close walks the book and
    fills at the volume-weighted price. Size beyond the book fills at the last level.
    """

    fixed: float = 0.0
    levels: tuple[tuple[float, float], ...] = ()

    def problems(self) -> list[Problem]:
        out = []
        if not math.isfinite(self.fixed) or not 0.0 <= self.fixed < 1.0:
            out.append(Problem("slippage.fixed", f"must be a fraction from 0 to below 1 (got {self.fixed!r})"))
        last = -1.0
        for i, (away, notional) in enumerate(self.levels):
            if not (math.isfinite(away) and 0.0 <= away < 1.0):
                out.append(Problem(f"slippage.levels.{i}", f"distance must be a fraction from 0 to below 1 (got {away!r})"))
            if not (math.isfinite(notional) and notional > 0):
                out.append(Problem(f"slippage.levels.{i}", f"available notional must be positive (got {notional!r})"))
            if away <= last:
                out.append(Problem(f"slippage.levels.{i}", "distances must increase level by level"))
            last = away
        return out

    def fill_price(self, trigger: float, side_sign: int, notional: float) -> float:
        """Average fill of closing ``notional`` (quote) of a position of ``side_sign`` at ``trigger``."""
        if not self.levels:
            return trigger * (1.0 - side_sign * self.fixed)
        left, cost_frac = notional, 0.0
        for away, avail in self.levels:
            take = min(left, avail)
            cost_frac += take * away
            left -= take
            if left <= 0:
                break
        if left > 0:
            cost_frac += left * self.levels[-1][0]
        avg_away = cost_frac / notional if notional > 0 else 0.0
        return trigger * (1.0 - side_sign * avg_away)


# ---------------------------------------------------------------------------
# Loss waterfall
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Waterfall:
    """Who pays for a liquidation that fills at ``fill_price``.

    ``total_loss = market_loss + liquidation_fee`` is split exactly into
    ``from_margin + deficit``; the deficit beyond the bankruptcy price into
    ``insurance_fund + adl + socialized + trader_owes``; margin left over after a
    fill better than bankruptcy into ``leftover_to_trader + leftover_to_venue``.
    """

    leg_index: int
    symbol: str
    currency: str
    trigger_price: float
    fill_price: float
    bankruptcy_price: float | None
    margin: float
    market_loss: float
    liquidation_fee: float
    total_loss: float
    from_margin: float
    deficit: float
    insurance_fund: float
    adl: float
    socialized: float
    trader_owes: float
    leftover_to_trader: float
    leftover_to_venue: float
    leftover_recipient: str
    trader_total_loss: float
    loses_more_than_margin: bool
    rows: list[tuple[str, float]] = field(default_factory=list)

    def describe(self) -> str:
        """One-sentence answer to "can I lose more than my margin?"."""
        c = self.currency
        if self.loses_more_than_margin:
            return (
                f"Yes: the fill at {self.fill_price:,.2f} costs {self.total_loss:,.2f} {c}, {self.trader_owes:,.2f} {c} "
                f"more than the {self.margin:,.2f} {c} margin, and this venue leaves that deficit with you."
            )
        if self.deficit > 0:
            payer = ", ".join(
                n
                for n, v in (
                    ("the insurance fund", self.insurance_fund),
                    ("auto-deleveraged traders", self.adl),
                    ("socialised among winners", self.socialized),
                )
                if v > 0
            )
            return f"No: you lose your {self.margin:,.2f} {c} margin; the {self.deficit:,.2f} {c} beyond bankruptcy is covered by {payer}."
        if self.leftover_to_trader > 0:
            return f"No: the liquidation fills before bankruptcy and {self.leftover_to_trader:,.2f} {c} of margin comes back to you."
        return f"No: you lose at most your {self.margin:,.2f} {c} margin (the remainder goes to the {self.leftover_recipient.replace('_', ' ')})."


def gap_waterfall(
    plan: Plan,
    profile: ExchangeProfile,
    leg_index: int,
    *,
    gap_price: float | None = None,
    gap_beyond: float = 0.0,
    slippage: Slippage = Slippage(),
    insurance_fund_capacity: float = math.inf,
    marks: dict[str, float] | None = None,
) -> Waterfall:
    """The price gaps to ``gap_price`` (default: ``gap_beyond`` past the liquidation price) and the liquidation fills with slippage.

    The trigger is the gap price; the close fills at ``slippage.fill_price``. For
    a cross leg the margin is what the cross wallet puts behind it with the
    other legs at their marks. ``marks`` (symbol -> price in quote currency, e.g. the
    what-if marks on screen) replace the plan's marks before anything is computed.
    """
    problems = slippage.problems()
    if not 0 <= leg_index < len(plan.positions):
        problems.append(Problem("leg", f"must be a leg number from 1 to {len(plan.positions)} (got {leg_index + 1})"))
    if not (math.isfinite(gap_beyond) and 0.0 <= gap_beyond < 1.0):
        problems.append(Problem("gap_beyond", f"must be a fraction from 0 to below 1 (got {gap_beyond!r})"))
    if gap_price is not None and not (MIN_PRICE <= gap_price <= MAX_PRICE):
        problems.append(Problem("gap_price", f"must be a price from {MIN_PRICE:g} to {MAX_PRICE:g} (got {gap_price!r})"))
    if not (insurance_fund_capacity >= 0):
        problems.append(Problem("insurance_fund_capacity", f"must be zero or more, or unlimited (got {insurance_fund_capacity!r})"))
    if problems:
        raise PlannerError(problems, "drill")
    plan = plan_at_marks(plan, marks)
    ev = evaluate(plan, profile)
    res = ev.legs[leg_index]
    leg = leg_inputs(plan, profile)[leg_index]
    s = leg.s
    if gap_price is None:
        base = res.liquidation_price if res.liquidation_price is not None else res.mark_price
        gap_price = base * (1.0 - s * gap_beyond)
    value_quote = leg.q if leg.table.inverse else leg.q * gap_price
    fill = slippage.fill_price(gap_price, s, value_quote)
    if fill <= 0:
        raise PlannerError([Problem("slippage", "the fill price would be zero or negative; use a smaller slippage")], "drill")
    margin = res.collateral if leg.cross is False else _cross_margin_behind(ev, leg_index, plan, profile)
    market_loss = -float(leg_upnl(leg, fill))
    fee = profile.liquidation_fee_for(leg.pos.symbol) * float(position_value(leg.q, fill, leg.table.inverse))
    total = market_loss + fee
    from_margin = min(max(total, 0.0), margin)
    deficit = max(total - margin, 0.0)
    pol = profile.policies
    ins = adl = soc = owes = 0.0
    rest = deficit
    if rest > 0 and pol.insurance_fund:
        ins = min(rest, insurance_fund_capacity)
        rest -= ins
    if rest > 0 and pol.adl:
        adl, rest = rest, 0.0
    if rest > 0 and pol.socialized_loss:
        soc, rest = rest, 0.0
    if rest > 0:
        if pol.negative_balance_protection:
            ins += rest  # the venue absorbs it (its fund goes negative) rather than the trader
        else:
            owes = rest
        rest = 0.0
    leftover = max(margin - max(total, 0.0), 0.0)
    to_trader = leftover if pol.leftover_margin == "trader" else 0.0
    to_venue = leftover - to_trader
    trader_loss = from_margin + owes + to_venue
    rows = [("market loss at the fill", market_loss), ("liquidation fee", fee), ("paid from your margin", -from_margin)]
    rows += [
        (name, -v)
        for name, v in (("insurance fund", ins), ("auto-deleveraging", adl), ("socialised loss", soc), ("you owe (negative balance)", owes))
        if v > 0
    ]
    if leftover > 0:
        rows.append((f"leftover margin to {'you' if to_trader else pol.leftover_margin.replace('_', ' ')}", leftover))
    return Waterfall(
        leg_index,
        res.symbol,
        res.settle,
        gap_price,
        fill,
        res.bankruptcy_price,
        margin,
        market_loss,
        fee,
        total,
        from_margin,
        deficit,
        ins,
        adl,
        soc,
        owes,
        to_trader,
        to_venue,
        pol.leftover_margin,
        trader_loss,
        owes > 1e-12 * max(1.0, margin),
        rows,
    )


def _cross_margin_behind(ev: Evaluation, i: int, plan: Plan, profile: ExchangeProfile) -> float:
    """Cross wallet + other cross legs' uPnL - their requirement: what stands behind leg ``i``."""
    me = ev.legs[i]
    others = [l for l in ev.legs if l.margin_mode == "cross" and l.settle == me.settle and l.index != i]
    return me.collateral + sum(l.unrealized_pnl - l.maintenance_margin for l in others)


def parse_depth_levels(text: str, source: str = "depth profile") -> Slippage:
    """Order-book depth typed as lines ``percent_away,notional`` (e.g. ``0.5,250000``) -> a depth :class:`Slippage`.

    Percent away from the trigger price (0.5 = 0.5 %), notional in quote
    currency available at that distance. Blank lines and ``#`` comments are
    skipped; a header line of words is allowed. Errors name the line.
    """
    levels: list[tuple[float, float]] = []
    problems: list[Problem] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip() for p in line.replace(";", ",").split(",")]
        try:
            away, notional = (float(p) for p in parts)
        except ValueError:
            if not levels and not problems and not any(ch.isdigit() for ch in line):
                continue  # header
            problems.append(Problem(f"line {n}", f"expected 'percent_away,notional' with two numbers (got {raw.strip()!r})"))
            continue
        levels.append((away / 100.0, notional))
    if not levels and not problems:
        problems.append(Problem("depth", "no levels given; one line per level: percent_away,notional"))
    slip = Slippage(levels=tuple(levels))
    problems += [Problem(p.path.replace("slippage.levels.", "level "), p.message) for p in slip.problems()]
    if problems:
        raise PlannerError(problems, source)
    return slip
