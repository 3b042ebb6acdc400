"""Price paths over time with funding accrual: when is each leg liquidated?

A path gives one price per time (hours from now) as a *relative* move applied
to every leg's mark (a market-wide crash moves every coin), unless it names
one symbol, in which case only that symbol moves. Funding is charged at each
settlement at the path price of that moment (positive rate: longs pay);
isolated legs pay from their own margin, cross legs from the wallet.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np

from planner.engine.evaluate import cross_wallet, leg_inputs, leg_requirement, leg_upnl
from planner.engine.funding import funding_payment, settlement_schedule, symbol_interval_hours
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile


@dataclass(frozen=True)
class PricePath:
    """Times in hours from now (increasing, first 0) and prices (or relative factors)."""

    hours: np.ndarray
    prices: np.ndarray
    relative: bool = True
    symbol: str | None = None
    label: str = "path"


def flash_crash(
    drop: float = 0.2,
    down_hours: float = 0.5,
    recover: float = 0.75,
    recover_hours: float = 6.0,
    horizon_hours: float = 24.0,
    points: int = 600,
) -> PricePath:
    """Relative path: falls by ``drop`` over ``down_hours``, wins back ``recover`` of it over ``recover_hours``."""
    if not (0 < drop < 1):
        raise PlannerError([Problem("path.drop", f"must be a fraction between 0 and 1 (got {drop!r})")], "drill")
    t = np.linspace(0.0, horizon_hours, points)
    low = 1.0 - drop
    back = low + drop * recover
    f = np.where(
        t <= down_hours,
        1.0 - drop * t / down_hours,
        np.where(t <= down_hours + recover_hours, low + (back - low) * (t - down_hours) / recover_hours, back),
    )
    return PricePath(t, f, True, None, f"flash crash -{drop:.0%}, {recover:.0%} recovered")


def steady_bleed(per_day: float = 0.05, horizon_hours: float = 72.0, points: int = 300) -> PricePath:
    """Relative path losing ``per_day`` (compounded) every 24 hours."""
    if not (0 < per_day < 1):
        raise PlannerError([Problem("path.per_day", f"must be a fraction between 0 and 1 (got {per_day!r})")], "drill")
    t = np.linspace(0.0, horizon_hours, points)
    return PricePath(t, (1.0 - per_day) ** (t / 24.0), True, None, f"steady bleed -{per_day:.0%}/day")


def parse_path_csv(text: str, symbol: str | None = None, source: str = "path CSV") -> PricePath:
    """``time_hours,price`` rows (a header line is allowed). Prices are absolute when
    ``symbol`` is given, else relative factors (1.0 = today's mark)."""
    hours: list[float] = []
    prices: list[float] = []
    problems: list[Problem] = []
    rows = list(csv.reader(io.StringIO(text)))
    for n, row in enumerate(rows, start=1):
        if not row or all(not c.strip() for c in row) or row[0].strip().startswith("#"):
            continue
        if len(row) != 2:
            problems.append(Problem(f"line {n}", f"needs two values 'time_hours,price' (got {len(row)})"))
            continue
        try:
            t, p = float(row[0]), float(row[1])
        except ValueError:
            if n == 1 and not hours:
                continue  # header
            problems.append(Problem(f"line {n}", f"not numbers: {','.join(row)!r}"))
            continue
        if not (math.isfinite(t) and math.isfinite(p)) or p <= 0 or t < 0:
            problems.append(Problem(f"line {n}", f"time must be >= 0 and price > 0, both finite (got {t!r}, {p!r})"))
            continue
        if hours and t <= hours[-1]:
            problems.append(Problem(f"line {n}", f"times must increase (got {t:g} after {hours[-1]:g})"))
            continue
        hours.append(t)
        prices.append(p)
    if not problems and len(hours) < 2:
        problems.append(Problem("", "a path needs at least two rows"))
    if problems:
        raise PlannerError(problems[:20], source)
    return PricePath(np.array(hours), np.array(prices), symbol is None, symbol, "custom path")


@dataclass(frozen=True)
class PathResult:
    """Equity over the path and the liquidation events (leg index -> hour, price)."""

    hours: np.ndarray
    equity: np.ndarray
    requirement: np.ndarray
    funding_paid: np.ndarray
    liquidations: dict[int, tuple[float, float]] = field(default_factory=dict)
    currency: str = ""


def run_path(plan: Plan, profile: ExchangeProfile, path: PricePath) -> PathResult:
    """Walk the plan along ``path`` with funding; isolated legs stop at their own
    liquidation (their margin is lost), the cross group when its equity falls
    below its requirement."""
    legs = leg_inputs(plan, profile)
    ccy = profile.settle_currency
    traits, taker = profile.traits, profile.fees.taker
    t = path.hours
    n = t.shape[0]
    equity = np.zeros(n)
    requirement = np.zeros(n)
    paid_total = np.zeros(n)
    events: dict[int, tuple[float, float]] = {}
    cross_eq = np.full(n, cross_wallet(plan, profile, legs, ccy))
    cross_rq = np.zeros(n)
    cross_legs = []
    for l in legs:
        if l.spec.settle != ccy:
            continue
        if path.symbol is not None and l.pos.symbol != path.symbol:
            price = np.full(n, l.mark)
        else:
            price = path.prices * l.mark if path.relative else path.prices
        rate = plan.funding_rates.get(l.pos.symbol, 0.0)
        sched = settlement_schedule(profile.funding, symbol_interval_hours(profile, l.pos.symbol), float(t[-1]))
        paid = np.zeros(n)
        if rate and sched.hours.size:
            at = np.interp(sched.hours, t, price)
            pays = funding_payment(l.s, l.q, at, rate, l.table.inverse) * sched.weights
            paid = np.concatenate([[0.0], np.cumsum(pays)])[np.searchsorted(sched.hours, t, side="right")]
        upnl = leg_upnl(l, price)
        rq = leg_requirement(l, price, traits, taker)
        paid_total += paid
        if l.cross:
            cross_eq += upnl - paid
            cross_rq += rq
            cross_legs.append(l.index)
            continue
        eq = l.collateral + upnl - paid
        gone = np.flatnonzero(eq < rq)
        if gone.size:
            k = int(gone[0])
            events[l.index] = (float(t[k]), float(price[k]))
            keep = profile.policies.leftover_margin == "trader"
            eq = eq.copy()
            rq = rq.copy()
            eq[k:] = max(float(eq[k]), 0.0) if keep else 0.0
            rq[k:] = 0.0
        equity += eq
        requirement += rq
    if cross_legs:
        gone = np.flatnonzero(cross_eq < cross_rq)
        if gone.size:
            k = int(gone[0])
            for i in cross_legs:
                events[i] = (float(t[k]), float(path.prices[k] * legs[i].mark if path.relative else path.prices[k]))
            cross_eq = cross_eq.copy()
            cross_eq[k:] = max(float(cross_eq[k]) - float(cross_rq[k]), 0.0)  # what the wallet keeps after the close
            cross_rq = cross_rq.copy()
            cross_rq[k:] = 0.0
    # The cross wallet (the wallet less isolated margins) is part of the account either way.
    equity += cross_eq
    requirement += cross_rq
    return PathResult(t, equity, requirement, paid_total, events, ccy)
