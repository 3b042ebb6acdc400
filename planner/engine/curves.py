"""Curves for the plots: equity and requirement over a price grid and over time.

All arrays are in the settlement currency of the selected symbol. The price
curves move only the selected symbol's mark; every other leg stays at its
mark (the Binance cross form). Vectorised over the grid: a 2,000-point grid
for a 20-leg account costs one pass of array arithmetic per leg.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.engine.evaluate import LegInput, cross_wallet, dated_of, leg_requirement, leg_upnl, legs_and_figures, legs_at_marks
from planner.engine.expiry import ExpiryStep, expiry_steps
from planner.engine.funding import Schedule, accrued, clock_hour_utc, schedule_words, settlement_schedule, symbol_interval_hours
from planner.model.arrays import FloatArray
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile


@dataclass(frozen=True)
class IsolatedCurve:
    """One isolated leg of the selected symbol: its own equity and maintenance margin."""

    index: int
    equity: FloatArray
    requirement: FloatArray


@dataclass(frozen=True)
class PriceCurves:
    """Account figures as the selected symbol's mark moves over ``prices``.

    ``equity``/``requirement`` cover the whole account in ``currency``: the
    cross wallet and cross legs plus isolated legs (an isolated leg past its
    own liquidation contributes what the venue leaves the trader, usually 0).
    ``cross_equity``/``cross_requirement`` are the cross-margin group alone.
    """

    symbol: str
    currency: str
    prices: FloatArray
    equity: FloatArray
    requirement: FloatArray
    cross_equity: FloatArray
    cross_requirement: FloatArray
    isolated: list[IsolatedCurve] = field(default_factory=list)


def default_price_range(
    plan: Plan, profile: ExchangeProfile, symbol: str, liq_prices: list[float | None], marks: dict[str, float] | None = None
) -> tuple[float, float]:
    """A range that shows entry, mark and every liquidation price of the symbol with margin."""
    legs = [p for p in plan.positions if p.symbol == symbol]
    pts = [p.entry_price for p in legs] + [(marks or {}).get(symbol, p.mark) for p in legs]
    pts += [x for x in liq_prices if x is not None and x > 0]
    if not pts:
        return 1.0, 2.0
    lo, hi = min(pts), max(pts)
    center = 0.5 * (lo + hi)
    half = max(0.5 * (hi - lo), 0.05 * center)
    lo, hi = center - 1.25 * half, center + 1.25 * half
    return max(lo, center * 0.02), hi


def price_curves(
    plan: Plan,
    profile: ExchangeProfile,
    symbol: str,
    prices: FloatArray,
    *,
    marks: dict[str, float] | None = None,
    legs: list[LegInput] | None = None,
) -> PriceCurves:
    """Equity and requirement of the account as ``symbol``'s mark runs over ``prices``."""
    traits = profile.traits
    taker = profile.fees.taker
    if legs is None:
        legs, at = legs_and_figures(plan, profile, marks)
    else:
        at = legs_at_marks(legs, plan, traits, taker)
    spec = profile.symbols[symbol]
    ccy = spec.settle
    prices = np.asarray(prices, dtype=float)
    mine = [l for l in legs if l.spec.settle == ccy]
    cw = cross_wallet(plan, profile, legs, ccy)
    cross_eq = np.full(prices.shape, cw)
    cross_rq = np.zeros(prices.shape)
    iso_total = np.zeros(prices.shape)
    iso_curves: list[IsolatedCurve] = []
    keeps_leftover = profile.policies.leftover_margin == "trader"
    # A leg of another symbol stays at its mark: its figures there (the same numbers as at a one-price grid).
    alive_rq = np.zeros(prices.shape)
    for l in mine:
        upnl: FloatArray | float
        rq: FloatArray | float
        if l.pos.symbol == symbol:
            upnl = leg_upnl(l, prices)
            rq = leg_requirement(l, prices, traits, taker)
        else:
            upnl, rq = at.upnl[l.index], at.requirement[l.index]
        if l.cross:
            cross_eq = cross_eq + upnl
            cross_rq = cross_rq + rq
            continue
        eq = l.collateral + upnl
        alive = eq >= rq
        left = np.where(alive, eq, np.maximum(rq, 0.0) if keeps_leftover else 0.0)
        iso_total = iso_total + left
        alive_rq = alive_rq + np.where(alive, rq, 0.0)
        if l.pos.symbol == symbol:
            iso_curves.append(
                IsolatedCurve(l.index, np.broadcast_to(eq, prices.shape).astype(float), np.broadcast_to(rq, prices.shape).astype(float))
            )
    return PriceCurves(
        symbol=symbol,
        currency=ccy,
        prices=prices,
        equity=cross_eq + iso_total,
        requirement=cross_rq + alive_rq,
        cross_equity=cross_eq,
        cross_requirement=cross_rq,
        isolated=iso_curves,
    )


def left_after_liquidation(equity: float, profile: ExchangeProfile) -> float:
    """What a liquidated leg (or cross group) leaves in the account, settlement currency.

    ``equity`` is the leg's equity when the venue closes it (below its
    requirement). Margin left over goes to ``policies.leftover_margin`` (the
    trader keeps it only when that is ``"trader"``); a deficit (equity below 0)
    stays with the trader only on a venue without negative-balance protection.
    """
    pol = profile.policies
    if equity >= 0.0:
        return equity if pol.leftover_margin == "trader" else 0.0
    return 0.0 if pol.negative_balance_protection else equity


@dataclass(frozen=True)
class FundingCurves:
    """Equity over time under funding at the plan's rates (marks held).

    ``hours`` count from the plan's clock (``plan.as_of``, else now).
    ``settlement_hours`` are the times any leg pays or receives, at the venue's
    UTC settlement times after that clock (:func:`planner.engine.funding.clock_hour_utc`:
    as_of 09:30 UTC on an 8 h Binance symbol gives 6.5, 14.5, ... h; without
    ``as_of`` hour 0 is taken as 00:00 UTC, so 8, 16, ... h); ``schedule``
    says so in words, one phrase per funding interval of the legs. ``liquidation_hour``
    is when funding alone takes the account (cross group) below its requirement,
    ``None`` if not within the horizon; ``isolated_liquidation_hours`` per isolated
    leg index, where funding is taken from the leg's own margin (Bybit example:
    200 USDT of funding moves a 1 BTC long's liquidation price up by 200).
    Both are set only when funding is what liquidates: a leg (or the cross
    account) already below its requirement at the marks is listed in
    ``liquidated_at_mark`` (leg indices) instead, and a leg that pays no
    funding (rate 0 or receiving) never gets a funding liquidation hour.

    A liquidated leg (or cross account) is closed: from its liquidation hour it
    pays no funding, its maintenance margin leaves ``requirement`` and it adds
    to ``equity`` only what :func:`left_after_liquidation` gives the trader
    under the profile's policies. ``funding_paid`` is the funding paid while open.

    Dated futures (:mod:`planner.engine.expiry`) pay no funding; when the
    horizon crosses a leg's expiry, ``expiry_steps`` lists the settlement (and
    roll) at that hour from ``clock``: the equity steps down by the rollover
    cost (or the settlement fee of a leg that does not roll), and the
    requirement of a leg that does not roll ends there (a rolled leg keeps the
    same requirement: the next contract at the held mark and the same tiers).
    Liquidation hours count funding only; the steps are shown beside them.
    """

    currency: str
    hours: FloatArray
    equity: FloatArray
    requirement: FloatArray
    funding_paid: FloatArray
    settlement_hours: FloatArray
    liquidation_hour: float | None
    isolated_liquidation_hours: dict[int, float | None]
    liquidated_at_mark: tuple[int, ...] = ()
    expiry_steps: tuple[ExpiryStep, ...] = ()
    clock: str = ""
    schedule: str = ""


def funding_curves(
    plan: Plan,
    profile: ExchangeProfile,
    *,
    horizon_hours: float | None = None,
    currency: str | None = None,
    marks: dict[str, float] | None = None,
    start_hour_utc: float | None = None,
    n_points: int = 0,
) -> FundingCurves:
    """Account equity over ``horizon_hours`` (hours from the plan's clock) as funding accrues (positive rate: longs pay).

    Settlements start from ``start_hour_utc`` (hour of the UTC day), by default
    the plan's own clock, :func:`planner.engine.funding.clock_hour_utc`
    (``as_of``'s time of day; 0.0 = 00:00 UTC without ``as_of``).
    """
    horizon = float(horizon_hours if horizon_hours is not None else plan.horizon_hours)
    start = clock_hour_utc(plan) if start_hour_utc is None else start_hour_utc
    ccy = currency or profile.settle_currency
    all_legs, at = legs_and_figures(plan, profile, marks)
    legs = [l for l in all_legs if l.spec.settle == ccy]
    cw = cross_wallet(plan, profile, all_legs, ccy)
    schedules: dict[float, Schedule] = {}
    intervals: dict[str, float] = {}
    pays = []
    iso_liq: dict[int, float | None] = {}
    at_mark: list[int] = []
    for l in legs:
        if l.spec.is_dated:  # dated futures pay no funding: no schedule, no settlement markers
            if not l.cross:
                iso_liq[l.index] = None
                if l.collateral + at.upnl[l.index] < at.requirement[l.index]:
                    at_mark.append(l.index)
            continue
        sym = l.pos.symbol
        if sym not in intervals:
            intervals[sym] = symbol_interval_hours(profile, sym)
        interval = intervals[sym]
        if interval not in schedules:
            schedules[interval] = settlement_schedule(profile.funding, interval, horizon, start)
        pays.append((l, interval, at.funding[l.index]))
    settle_times = np.unique(np.concatenate([s.hours for s in schedules.values()])) if schedules else np.zeros(0)
    clock, dated = dated_of(plan, profile, legs)
    steps: list[ExpiryStep] = [st for st in expiry_steps(dated) if st.hour <= horizon]
    step_times = np.asarray([st.hour for st in steps], dtype=float)
    # Step curve: evaluate just before and at each settlement so the steps draw square.
    base = np.linspace(0.0, horizon, max(n_points, 2))
    hours = np.unique(
        np.concatenate([base, settle_times, np.maximum(settle_times - 1e-6, 0.0), step_times, np.maximum(step_times - 1e-6, 0.0)])
    )
    paid_total = np.zeros(hours.shape)
    cross_paid = np.zeros(hours.shape)
    iso_value = np.zeros(hours.shape)  # isolated legs: margin + uPnL - funding while open, what liquidation leaves after
    requirement = np.full(hours.shape, sum(at.requirement[l.index] for l in legs))
    for l in legs:
        if l.spec.is_dated and not l.cross:  # no funding: its margin and uPnL at the marks throughout
            eq0 = l.collateral + at.upnl[l.index]
            if l.index in at_mark:  # closed now: it loses at most its margin, as Results counts it
                iso_value += max(eq0, 0.0)
                requirement -= at.requirement[l.index]
            else:
                iso_value += eq0
    cross_req = sum(at.requirement[l.index] for l in legs if l.cross)
    cross_upnl = sum(at.upnl[l.index] for l in legs if l.cross)
    # Share of one payment settled by each time (per schedule): a leg's accrued funding is its payment times it.
    done = {interval: accrued(1.0, sched, hours) for interval, sched in schedules.items()}
    done_own: dict[float, FloatArray] = {}
    for l, interval, pay in pays:
        paid = pay * done[interval]
        if l.cross:
            cross_paid += paid
            continue
        eq0 = l.collateral + at.upnl[l.index]
        rq = at.requirement[l.index]
        if eq0 < rq:
            # Liquidated before any funding is paid: closed, so it pays nothing; it loses at most its
            # margin (as the account equity in Results counts it).
            at_mark.append(l.index)
            iso_liq[l.index] = None
            iso_value += max(eq0, 0.0)
            requirement -= rq
            continue
        below = np.zeros(0, dtype=np.intp)
        if pay > 0.0:  # a leg that pays nothing (or receives) cannot be liquidated by funding
            sched = schedules[interval]
            if interval not in done_own:
                done_own[interval] = accrued(1.0, sched, sched.hours)
            below = np.nonzero(eq0 - pay * done_own[interval] < rq)[0]
        if not below.size:
            iso_liq[l.index] = None
            paid_total += paid
            iso_value += eq0 - paid
            continue
        # Funding takes the leg below its requirement at this settlement: the venue closes it there,
        # so it pays nothing afterwards and leaves what the profile's policies give back.
        liq_at = float(schedules[interval].hours[below[0]])
        iso_liq[l.index] = liq_at
        paid_at = pay * float(done_own[interval][below[0]])
        closed = hours >= liq_at
        paid_total += np.where(closed, paid_at, paid)
        iso_value += np.where(closed, left_after_liquidation(eq0 - paid_at, profile), eq0 - paid)
        requirement -= np.where(closed, rq, 0.0)
    liq_hour = None
    if not any(l.cross for l in legs):
        cross_value = np.full(hours.shape, cw)  # the wallet outside isolated margins; nothing in it pays funding
    elif cw + cross_upnl < cross_req:
        # The cross account is liquidated before any funding: closed, it pays nothing.
        at_mark.extend(l.index for l in legs if l.cross)
        cross_value = np.full(hours.shape, cw + cross_upnl)
        requirement -= cross_req
    else:
        cross_value = cw + cross_upnl - cross_paid
        below = np.nonzero(cross_value < cross_req)[0]
        if below.size:
            # Funding liquidates the cross account here: its legs close, funding stops and the
            # wallet keeps what the policies leave (never below 0 with negative-balance protection).
            k = int(below[0])
            liq_hour = float(hours[k])
            closed = hours >= liq_hour
            cross_paid = np.where(closed, cross_paid[k], cross_paid)
            cross_value = np.where(closed, left_after_liquidation(float(cross_value[k]), profile), cross_value)
            requirement -= np.where(closed, cross_req, 0.0)
        paid_total += cross_paid
    equity = cross_value + iso_value
    for st in steps:
        after = hours >= st.hour
        equity = equity - st.amount * after
        if not st.rolled:
            requirement = requirement - at.requirement[st.index] * after
    return FundingCurves(
        currency=ccy,
        hours=hours,
        equity=equity,
        requirement=requirement,
        funding_paid=paid_total,
        settlement_hours=settle_times,
        liquidation_hour=liq_hour,
        isolated_liquidation_hours=iso_liq,
        liquidated_at_mark=tuple(sorted(at_mark)),
        expiry_steps=tuple(steps),
        clock=clock,
        schedule=schedule_words(plan, profile, intervals),
    )
