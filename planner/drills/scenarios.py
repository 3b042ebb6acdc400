"""What-if drills: instant shocks and the side-by-side profile comparison.

The gap/slippage loss waterfall lives in :mod:`planner.drills.waterfall` (re-exported
here). All figures come from :func:`planner.engine.evaluate.evaluate`; this module
only moves prices.
Money is in the leg's settlement currency; a *loss* is a positive number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from planner.drills.marks import plan_at_marks
from planner.drills.waterfall import Slippage, Waterfall, gap_waterfall
from planner.engine.evaluate import AccountResult, Evaluation, LegResult, evaluate
from planner.engine.portfolio_margin import PortfolioAccount, leg_pnl
from planner.engine.validation import plan_problems
from planner.engine.venues import map_plan
from planner.model.enums import MarginModel
from planner.model.errors import PlannerError, Problem
from planner.model.plan import MAX_PRICE, MIN_PRICE, Plan
from planner.model.profile import ExchangeProfile
from planner.model.symbols import is_stable

__all__ = [
    "ComparisonCell",
    "ComparisonRow",
    "ShockResult",
    "Slippage",
    "Waterfall",
    "beyond_bankruptcy_text",
    "compare_profiles",
    "gap_waterfall",
    "shock",
    "shock_marks",
]


# ---------------------------------------------------------------------------
# Instant shock
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShockResult:
    """Every leg and account after all marks move at once."""

    move: float | None
    marks: dict[str, float]
    evaluation: Evaluation
    liquidated: list[int]
    cross_close_order: list[int]

    @property
    def legs(self) -> list[LegResult]:
        return self.evaluation.legs

    @property
    def account(self) -> AccountResult:
        return self.evaluation.account


def shock_marks(plan: Plan, move: float | None = None, prices: dict[str, float] | None = None) -> dict[str, float]:
    """Marks after a relative ``move`` (-0.1 = -10 %) of every symbol, or explicit ``prices``."""
    problems: list[Problem] = []
    if move is not None and (not math.isfinite(move) or move <= -1.0 or move > 100.0):
        problems.append(Problem("shock.move", f"must be above -100 % and at most +10,000 % (got {move!r}); a price cannot fall below zero"))
    for sym, price in (prices or {}).items():
        if not (MIN_PRICE <= price <= MAX_PRICE):
            problems.append(Problem(f"shock.prices.{sym}", f"must be a price from {MIN_PRICE:g} to {MAX_PRICE:g} (got {price!r})"))
    if problems:
        raise PlannerError(problems, "drill")
    marks = {}
    for pos in plan.positions:
        if prices and pos.symbol in prices:
            marks[pos.symbol] = prices[pos.symbol]
        elif move is not None:
            marks[pos.symbol] = pos.mark * (1.0 + move)
    return marks


def shock(
    plan: Plan,
    profile: ExchangeProfile,
    move: float | None = None,
    prices: dict[str, float] | None = None,
    marks: dict[str, float] | None = None,
) -> ShockResult:
    """Evaluate the plan with every mark moved by ``move`` (or set to ``prices``).

    ``marks`` (symbol -> price in quote currency, e.g. the what-if marks on screen)
    are the marks the move starts from; symbols not in it start from the plan's mark.

    ``cross_close_order`` lists the cross legs a liquidation of the cross wallet
    would close, largest unrealised loss first. Rule and source: the
    loss-cut rule published by IS6 ("when you own multiple positions, we
    execute from large amount of loss position until margin rate goes up",
    https://is6.com/en/faq/detail/Terms%20and%20Conditions/What%20is%20liquidation%20process%3F%20,
    captured 2026-11-24). The large venues (Binance, Bybit, OKX) do not publish
    an order for one-way cross accounts, so this is a modelling assumption for
    them; Binance publishes only the ADL queue of the *counterparties*
    (margin ratio x PnL %, https://www.binance.com/en/support/faq/360033525471).
    """
    plan = plan_at_marks(plan, marks)
    moved = shock_marks(plan, move, prices)
    ev = evaluate(plan, profile, marks=moved)
    if ev.portfolio is not None:
        liquidated, order = portfolio_liquidation(ev)
        return ShockResult(move, moved, ev, liquidated, order)
    liquidated = [l.index for l in ev.legs if l.state == "liquidation"]
    cross = [l for l in ev.legs if l.margin_mode == "cross"]
    order = [l.index for l in sorted(cross, key=lambda l: l.unrealized_pnl)] if any(l.state == "liquidation" for l in cross) else []
    return ShockResult(move, moved, ev, liquidated, order)


def portfolio_liquidation(ev: Evaluation) -> tuple[list[int], list[int]]:
    """Legs of a portfolio-margin account past its PM maintenance margin, and the order a liquidation closes them.

    Every leg of a liquidated account (segregated: its settlement currency;
    cross: the whole account) is at risk. Order: the leg contributing most to
    the requirement first, i.e. the largest loss at its risk group's worst
    scenario (Deribit, 1 August 2023 release notes: the liquidation "will simply
    look at the risk matrix to find which instrument is contributing the most
    to the overall margin requirements and liquidate that instrument",
    https://support.deribit.com/hc/en-us/articles/25944825289245-1-August-2023).
    Losses of a cross account are compared in USD (coin P&L at the shocked price).
    """
    pm = ev.portfolio
    if pm is None:
        return [], []
    cross = pm.collateral == "cross"
    down = {a.currency for a in pm.accounts if a.state == "liquidation"}
    at_risk = [l for l in ev.legs if (cross and down) or l.settle in down]
    loss: dict[int, float] = {}
    for g in pm.groups:
        for i in g.legs:
            l = ev.legs[i]
            inverse = l.contract == "inverse"
            sign = 1.0 if l.side == "long" else -1.0
            size = sign * (l.notional_usd if inverse else l.quantity)
            pnl = float(leg_pnl(inverse, size, l.mark_price, np.array([g.worst_move]))[0])
            loss[i] = pnl * l.mark_price * (1.0 + g.worst_move) if (cross and inverse) else pnl
    order = [l.index for l in sorted(at_risk, key=lambda l: loss.get(l.index, 0.0))]
    return [l.index for l in at_risk], order


# ---------------------------------------------------------------------------
# Profile comparison
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonCell:
    """One leg of the plan on one venue (a cell of the leg x venue grid).

    Money is in the venue's settlement currency ``currency`` unless the name
    ends in ``_usd``. ``funding_per_day``: positive = the account pays (the
    plan's rate carried by coin at the same rate per hour, at the mark).
    ``cost_usd`` = round-trip taker fee on the entry value + funding over the
    plan's horizon, in USD (coins at the mark); the *cheapest* venue of a leg
    has the lowest. The *safest* has the largest distance to liquidation
    (a leg that cannot be liquidated counts as infinitely far).

    ``status``: "ok"; "leverage above max" (figures at the venue's maximum,
    see ``note``); "not listed" or "cannot hold" (no figures; ``note`` says why).
    """

    leg: int
    source_symbol: str
    symbol: str | None
    status: str
    note: str = ""
    leverage: float | None = None
    liquidation_price: float | None = None
    bankruptcy_price: float | None = None
    distance_to_liquidation: float | None = None
    initial_margin: float | None = None
    maintenance_margin: float | None = None
    liquidation_fee: float | None = None
    funding_per_day: float | None = None
    cost_usd: float | None = None
    currency: str | None = None
    safest: bool = False
    cheapest: bool = False

    @property
    def has_figures(self) -> bool:
        return self.status in ("ok", "leverage above max")


@dataclass(frozen=True)
class ComparisonRow:
    """One venue: venue facts and one :class:`ComparisonCell` per leg of the plan, in plan order."""

    profile_id: str
    profile_name: str
    rule: str
    status: str
    legs: list[ComparisonCell]
    beyond_bankruptcy: str
    notes: list[str]


def beyond_bankruptcy_text(profile: ExchangeProfile) -> str:
    """Who pays a deficit beyond the bankruptcy price, in order."""
    pol = profile.policies
    parts = [
        name
        for name, on in (("insurance fund", pol.insurance_fund), ("auto-deleveraging", pol.adl), ("socialised loss", pol.socialized_loss))
        if on
    ]
    text = " then ".join(parts) if parts else ""
    if not pol.negative_balance_protection:
        return (text + "; " if text else "") + "the trader owes whatever is left (negative balance)"
    return text or "the venue absorbs it"


def _leg_problem_index(path: str) -> int | None:
    head, _, rest = path.partition(".")
    if head == "positions":
        idx = rest.partition(".")[0]
        if idx.isdigit():
            return int(idx)
    return None


def _venue_row(plan: Plan, base_profile: ExchangeProfile, prof: ExchangeProfile) -> ComparisonRow:
    mapping = map_plan(plan, prof, base_profile)
    cells: dict[int, ComparisonCell] = {}
    for m in mapping.legs:
        if not m.mapped:
            cells[m.index] = ComparisonCell(m.index, m.source_symbol, None, "not listed", m.reason or "")
    # Mapped legs, by their index in the mapped plan; leverage above the venue's maximum evaluated at that maximum.
    alive = {m.target_index: m for m in mapping.legs if m.mapped and m.target_index is not None}
    positions = list(mapping.plan.positions)
    for t, m in alive.items():
        if m.leverage_max is not None:
            positions[t] = positions[t].model_copy(update={"leverage": m.leverage_max})
    notes = list(mapping.account_notes)
    source = mapping.plan
    if source.account.margin_model is MarginModel.PORTFOLIO and prof.portfolio_margin is None:
        source = source.model_copy(update={"account": source.account.model_copy(update={"margin_model": MarginModel.STANDARD})})
        notes.append(f"{prof.id} has no portfolio margin: every leg under its standard margin")
    ev = None
    while alive:
        keep = sorted(alive)
        candidate = source.model_copy(
            update={
                "positions": [positions[t] for t in keep],
                "funding_rates": {k: v for k, v in source.funding_rates.items() if any(positions[t].symbol == k for t in keep)},
                # A margin-call threshold only means something in its own ratio's direction.
                "margin_call_ratio": plan.margin_call_ratio if prof.traits.margin_ratio == base_profile.traits.margin_ratio else None,
            }
        )
        problems = plan_problems(candidate, prof)
        if not problems:
            try:
                ev = evaluate(candidate, prof, validate=False)
            except PlannerError as err:  # portfolio margin refused (an underlying without parameters): standard instead
                candidate = candidate.model_copy(
                    update={"account": candidate.account.model_copy(update={"margin_model": MarginModel.STANDARD})}
                )
                notes.append(f"portfolio margin not available ({err.problems[0]}); standard margin shown")
                ev = evaluate(candidate, prof, validate=False)
            break
        dropped = False
        for pr in problems:
            k = _leg_problem_index(pr.path)
            if k is not None and keep[k] in alive:
                m = alive.pop(keep[k])
                cells[m.index] = ComparisonCell(m.index, m.source_symbol, m.target_symbol, "cannot hold", pr.message)
                dropped = True
        if not dropped:  # an account-level problem: no leg can be shown
            for t in keep:
                m = alive.pop(t)
                cells[m.index] = ComparisonCell(m.index, m.source_symbol, m.target_symbol, "cannot hold", str(problems[0]))
    if ev is not None:
        for k, t in enumerate(sorted(alive)):
            m, l = alive[t], ev.legs[k]
            spec = prof.symbols[l.symbol]
            usd_per_unit = 1.0 if is_stable(l.settle) else l.mark_price
            per_day = l.funding_per_interval * 24.0 / l.funding_interval_hours
            fees_usd = 2.0 * prof.fees.taker * (m.usd_value or 0.0)
            cost = fees_usd + per_day * usd_per_unit * plan.horizon_hours / 24.0
            over = m.leverage_max is not None
            note = "; ".join(m.notes)
            if over:
                note = f"evaluated at {l.leverage:g}x, the venue's maximum (plan: {plan.positions[m.index].leverage:g}x)" + (
                    f"; {note}" if note else ""
                )
            cells[m.index] = ComparisonCell(
                m.index,
                m.source_symbol,
                l.symbol,
                "leverage above max" if over else "ok",
                note,
                l.leverage,
                l.liquidation_price,
                l.bankruptcy_price,
                l.distance_to_liquidation,
                l.initial_margin,
                l.maintenance_margin,
                l.liquidation_fee,
                per_day,
                cost,
                spec.settle,
            )
    if ev is not None and ev.portfolio is not None:
        notes += [_portfolio_note(a, ev.portfolio.collateral) for a in ev.portfolio.accounts]
    legs = [cells[i] for i in range(len(plan.positions))]
    shown = sum(c.has_figures for c in legs)
    status = "ok" if shown == len(legs) and all(c.status == "ok" for c in legs) else f"{shown} of {len(legs)} legs shown"
    return ComparisonRow(prof.id, prof.name, prof.rule, status, legs, beyond_bankruptcy_text(prof), notes)


def _portfolio_note(a: PortfolioAccount, collateral: str) -> str:
    """One line: an account's portfolio-margin requirement against the standard one (compare drill)."""
    c = a.currency
    return (
        f"portfolio margin ({collateral}) {c}: IM {a.initial_margin:,.6g}, MM {a.maintenance_margin:,.6g} {c} "
        f"(standard MM {a.standard_maintenance_margin:,.6g}); equity {a.equity:,.6g}, ratio "
        f"{'n/a' if a.margin_ratio is None else f'{a.margin_ratio:.2%}'}, {a.state}"
    )


def _flag_best(rows: list[ComparisonRow], n_legs: int) -> list[ComparisonRow]:
    """Mark the safest (largest distance) and cheapest (lowest cost) venue of each leg among "ok" cells."""
    safest: dict[int, set[str]] = {}
    cheapest: dict[int, set[str]] = {}
    for i in range(n_legs):
        ok = [(r.profile_id, r.legs[i]) for r in rows if r.legs[i].status == "ok"]
        if not ok:
            continue
        dist = {pid: (math.inf if c.liquidation_price is None else (c.distance_to_liquidation or 0.0)) for pid, c in ok}
        best = max(dist.values())
        safest[i] = {pid for pid, d in dist.items() if d == best or (math.isfinite(best) and abs(d - best) <= 1e-12)}
        costs = {pid: c.cost_usd for pid, c in ok if c.cost_usd is not None}
        if costs:
            low = min(costs.values())
            cheapest[i] = {pid for pid, c in costs.items() if abs(c - low) <= 1e-9 * max(1.0, abs(low))}
    out = []
    for r in rows:
        legs = [
            replace(c, safest=r.profile_id in safest.get(i, set()), cheapest=r.profile_id in cheapest.get(i, set()))
            for i, c in enumerate(r.legs)
        ]
        out.append(replace(r, legs=legs))
    return out


def compare_profiles(plan: Plan, base_profile: ExchangeProfile, profiles: list[ExchangeProfile]) -> list[ComparisonRow]:
    """The plan on every profile as a leg x venue grid: one row per venue, one cell per leg.

    Legs are carried with :func:`planner.engine.venues.map_plan` (same coin,
    equal USD value). A leg a venue does not list, or cannot hold, is marked
    on its own cell; the venue is never dropped.
    """
    rows = [_venue_row(plan, base_profile, prof) for prof in profiles]
    return _flag_best(rows, len(plan.positions))
