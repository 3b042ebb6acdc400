"""Price paths over time with funding accrual: when is each leg liquidated?

A path gives one price per time (hours from the plan's clock: ``plan.as_of``,
else now) as a *relative* move applied to every leg's mark (a market-wide
crash moves every coin), unless it names one symbol, in which case only that
symbol moves. Funding is charged at each settlement at the path price of that
moment (positive rate: longs pay); isolated legs pay from their own margin,
cross legs from the wallet. Settlements fall at the venue's UTC settlement
times after the plan's clock (:func:`planner.engine.funding.plan_schedule`:
as_of 09:30 UTC, 8 h Binance symbol -> 6.5, 14.5, ... h); a plan without
``as_of`` takes hour 0 as 00:00 UTC (8, 16, ... h).

Dated futures pay no funding. When the path crosses a dated leg's expiry
(hours from the plan's clock, :func:`planner.engine.expiry.plan_clock`), the
leg settles at the path price of that hour (:mod:`planner.engine.expiry`): a
leg that rolls pays its rollover cost there and follows the path on in the
next contract; a leg that does not roll keeps the PnL it settled at, less the
settlement fee, and needs no margin after it.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np

from planner.drills.marks import plan_at_marks
from planner.engine.curves import left_after_liquidation
from planner.engine.evaluate import LegInput, cross_wallet, leg_inputs, leg_requirement, leg_upnl
from planner.engine.expiry import plan_clock, roll_figures
from planner.engine.funding import Schedule, funding_payment, plan_schedule, schedule_words, symbol_interval_hours
from planner.engine.portfolio_margin import portfolio_along
from planner.model.dated import hours_between
from planner.model.errors import MAX_LISTED, PlannerError, Problem
from planner.model.plan import MAX_PRICE, MIN_PRICE, Plan
from planner.model.profile import ExchangeProfile

#: Longest path (hours; one leap year) and most rows a path file may have.
MAX_PATH_HOURS = 24.0 * 366
MAX_PATH_ROWS = 100_000
#: Largest relative factor of a path without a symbol (a 1000-fold rise).
MAX_RELATIVE_FACTOR = 1000.0


@dataclass(frozen=True)
class PricePath:
    """Times in hours from the plan's clock (increasing, first 0) and prices (or relative factors)."""

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
    ``symbol`` is given, else relative factors (1.0 = today's mark).

    Bounds (so a small file cannot ask for billions of funding settlements or
    overflow the formulas): times from 0 to :data:`MAX_PATH_HOURS` hours,
    absolute prices from ``MIN_PRICE`` to ``MAX_PRICE``, relative factors from
    ``MIN_PRICE`` to :data:`MAX_RELATIVE_FACTOR`, at most :data:`MAX_PATH_ROWS`
    rows. Problems name the line; at most 20 are listed.
    """
    hours: list[float] = []
    prices: list[float] = []
    problems: list[Problem] = []
    top = MAX_PRICE if symbol is not None else MAX_RELATIVE_FACTOR
    what = "price" if symbol is not None else "relative price (1.0 = today's mark)"
    reader = csv.reader(io.StringIO(text))
    n = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"line {reader.line_num}", f"not readable as CSV: {exc}"))
            break
        n = reader.line_num
        if not row or all(not c.strip() for c in row) or row[0].strip().startswith("#"):
            continue
        if len(row) != 2:
            problems.append(Problem(f"line {n}", f"needs two values 'time_hours,price' (got {len(row)})"))
            continue
        try:
            t, p = float(row[0]), float(row[1])
        except ValueError:
            if not hours and not problems:
                continue  # header
            problems.append(Problem(f"line {n}", f"not numbers: {','.join(row)[:80]!r}"))
            continue
        if not (math.isfinite(t) and 0.0 <= t <= MAX_PATH_HOURS):
            problems.append(Problem(f"line {n}", f"time must be from 0 to {MAX_PATH_HOURS:g} hours (got {t!r})"))
            continue
        if not (math.isfinite(p) and MIN_PRICE <= p <= top):
            problems.append(Problem(f"line {n}", f"{what} must be from {MIN_PRICE:g} to {top:g} (got {p!r})"))
            continue
        if hours and t <= hours[-1]:
            problems.append(Problem(f"line {n}", f"times must increase (got {t:g} after {hours[-1]:g})"))
            continue
        if len(hours) >= MAX_PATH_ROWS:
            problems.append(Problem(f"line {n}", f"a path has at most {MAX_PATH_ROWS:,} rows"))
            break
        hours.append(t)
        prices.append(p)
        if len(problems) > MAX_LISTED:
            break
    if not problems and len(hours) < 2:
        problems.append(Problem("", "a path needs at least two rows"))
    if problems:
        raise PlannerError(problems, source)
    return PricePath(np.array(hours), np.array(prices), symbol is None, symbol, "custom path")


@dataclass(frozen=True)
class PathAccount:
    """One settlement wallet along the path (money in ``currency``)."""

    currency: str
    equity: np.ndarray
    requirement: np.ndarray
    funding_paid: np.ndarray


@dataclass(frozen=True)
class PathResult:
    """Equity over the path and the liquidation events (leg index -> hour, price).

    Every leg is walked in its own settlement wallet (a coin-margined leg in
    its coin, issue 15 item 6). ``equity``, ``requirement``, ``funding_paid``
    and ``currency`` are those of the profile's settlement wallet;
    ``accounts`` holds it and every other wallet with a leg, by currency.
    """

    hours: np.ndarray
    equity: np.ndarray
    requirement: np.ndarray
    funding_paid: np.ndarray
    liquidations: dict[int, tuple[float, float]] = field(default_factory=dict)
    currency: str = ""
    accounts: dict[str, PathAccount] = field(default_factory=dict)
    #: dated legs settled on the path: leg index -> (hour, settlement price, amount paid: rollover cost or settlement fee)
    settlements: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    portfolio: dict[str, PathAccount] = field(default_factory=dict)
    portfolio_liquidation_hours: dict[str, float | None] = field(default_factory=dict)
    #: when funding settles along the path and what clock that assumes (:func:`planner.engine.funding.schedule_words`)
    schedule: str = ""


def run_path(plan: Plan, profile: ExchangeProfile, path: PricePath, marks: dict[str, float] | None = None) -> PathResult:
    """Walk the plan along ``path`` with funding; isolated legs stop at their own
    liquidation, each cross wallet when its equity falls below its requirement.
    A stopped leg pays no more funding and leaves what the profile's policies give
    back (:func:`planner.engine.curves.left_after_liquidation`). Every settlement
    currency is its own wallet.

    ``marks`` (symbol -> price in quote currency, e.g. the what-if marks on screen)
    are where the path starts: a relative path scales them instead of the plan's marks."""
    plan = plan_at_marks(plan, marks)
    legs = leg_inputs(plan, profile)
    held = {l.spec.settle for l in legs}
    currencies = sorted(held | {profile.settle_currency}, key=lambda c: (c != profile.settle_currency, c))
    events: dict[int, tuple[float, float]] = {}
    settled: dict[int, tuple[float, float, float]] = {}
    accounts = {c: _run_wallet(plan, profile, path, legs, c, events, settled) for c in currencies}
    first = accounts[currencies[0]]
    pm, pm_hours = _portfolio_walk(plan, profile, path, accounts)
    return PathResult(
        path.hours,
        first.equity,
        first.requirement,
        first.funding_paid,
        events,
        first.currency,
        accounts,
        settled,
        pm,
        pm_hours,
        schedule_words(plan, profile, (p.symbol for p in plan.positions)),
    )


def _portfolio_walk(
    plan: Plan, profile: ExchangeProfile, path: PricePath, accounts: dict[str, PathAccount]
) -> tuple[dict[str, PathAccount], dict[str, float | None]]:
    """A portfolio-margin account along a market-wide relative path: equity less funding against the PM MM.

    Only for a relative path without a symbol (every mark moves by the same
    factor, the common move the risk matrix is solved on); funding is the
    standard walk's per wallet (a cross USD account adds each wallet's at its
    coin's path price). Empty for standard plans and single-symbol paths.
    """
    if not path.relative or path.symbol is not None:
        return {}, {}
    along = portfolio_along(plan, profile, path.prices)
    if along is None:
        return {}, {}
    out: dict[str, PathAccount] = {}
    hours: dict[str, float | None] = {}
    for acc, (eq, mm) in along.items():
        if acc in accounts:
            paid = accounts[acc].funding_paid
        else:  # cross, in USD: every wallet's funding at its price along the path
            paid = np.zeros_like(eq)
            for c, a in accounts.items():
                price = next((pos.mark for pos in plan.positions if profile.symbols[pos.symbol].base == c), None)
                paid = paid + a.funding_paid * (1.0 if price is None else price * path.prices)
        net = eq - paid
        out[acc] = PathAccount(acc, net, mm, paid)
        below = np.nonzero(net < mm)[0]
        hours[acc] = float(path.hours[below[0]]) if below.size else None
    return out, hours


def _leg_prices(path: PricePath, mark: float, symbol: str, n: int) -> np.ndarray:
    """The path's price of one leg: relative moves scale its mark; a path naming another symbol leaves it at its mark."""
    if path.symbol is not None and symbol != path.symbol:
        return np.full(n, mark)
    return path.prices * mark if path.relative else path.prices


def _run_wallet(
    plan: Plan,
    profile: ExchangeProfile,
    path: PricePath,
    legs: list[LegInput],
    ccy: str,
    events: dict[int, tuple[float, float]],
    settled: dict[int, tuple[float, float, float]] | None = None,
) -> PathAccount:
    """One settlement wallet along the path; records its legs' liquidations in ``events``, settlements in ``settled``."""
    traits, taker = profile.traits, profile.fees.taker
    t = path.hours
    n = t.shape[0]
    equity = np.zeros(n)
    requirement = np.zeros(n)
    paid_total = np.zeros(n)
    cross_eq = np.full(n, cross_wallet(plan, profile, legs, ccy))
    cross_rq = np.zeros(n)
    cross_paid = np.zeros(n)
    cross_legs = []
    schedules: dict[float, Schedule] = {}
    at_cache: dict[tuple[float, str, float], np.ndarray] = {}
    done_cache: dict[float, np.ndarray] = {}
    for l in legs:
        if l.spec.settle != ccy:
            continue
        price = _leg_prices(path, l.mark, l.pos.symbol, n)
        rate = plan.funding_rates.get(l.pos.symbol, 0.0)
        interval = symbol_interval_hours(profile, l.pos.symbol)
        if interval not in schedules:  # one schedule per interval, not per leg
            schedules[interval] = plan_schedule(plan, profile, interval, float(t[-1]))
        sched = schedules[interval]
        paid = np.zeros(n)
        if rate and sched.hours.size:
            # Legs of one symbol and mark share the path prices at the settlements
            # and every leg of an interval the settlement index (same numbers, computed once).
            key = (interval, l.pos.symbol if path.symbol is not None else "", l.mark)
            if key not in at_cache:
                at_cache[key] = np.interp(sched.hours, t, price)
            if interval not in done_cache:
                done_cache[interval] = np.searchsorted(sched.hours, t, side="right")
            pays = funding_payment(l.s, l.q, at_cache[key], rate, l.table.inverse) * sched.weights
            paid = np.concatenate([[0.0], np.cumsum(pays)])[done_cache[interval]]
        upnl = leg_upnl(l, price)
        rq = leg_requirement(l, price, traits, taker)
        if l.spec.is_dated and l.spec.expiry is not None:
            hour = hours_between(plan_clock(plan), l.spec.expiry)
            if 0.0 < hour <= float(t[-1]):
                after = t >= hour
                s_price = float(np.interp(hour, t, price))
                r = roll_figures(l.s, l.q, s_price, l.spec, profile, l.pos.roll, l.pos.roll_basis)
                if l.pos.roll:
                    upnl = upnl - r.rollover_cost * after
                else:
                    upnl = np.where(after, float(leg_upnl(l, s_price)) - r.settlement_fee, upnl)
                    rq = np.where(after, 0.0, rq)
                if settled is not None:
                    settled[l.index] = (hour, s_price, r.rollover_cost)
        if l.cross:
            cross_eq += upnl - paid
            cross_rq += rq
            cross_paid += paid
            cross_legs.append(l.index)
            continue
        eq = l.collateral + upnl - paid
        gone = np.flatnonzero(eq < rq)
        if gone.size:
            # Closed at its liquidation: no funding afterwards, and it leaves what the policies give back.
            k = int(gone[0])
            events[l.index] = (float(t[k]), float(price[k]))
            eq = eq.copy()
            rq = rq.copy()
            paid = paid.copy()
            eq[k:] = left_after_liquidation(float(eq[k]), profile)
            rq[k:] = 0.0
            paid[k:] = paid[k]
        paid_total += paid
        equity += eq
        requirement += rq
    if cross_legs:
        gone = np.flatnonzero(cross_eq < cross_rq)
        if gone.size:
            k = int(gone[0])
            for i in cross_legs:
                events[i] = (float(t[k]), float(_leg_prices(path, legs[i].mark, legs[i].pos.symbol, n)[k]))
            cross_eq = cross_eq.copy()
            cross_eq[k:] = left_after_liquidation(float(cross_eq[k]), profile)  # what the wallet keeps after the close
            cross_rq = cross_rq.copy()
            cross_rq[k:] = 0.0
            cross_paid = cross_paid.copy()
            cross_paid[k:] = cross_paid[k]  # closed: no funding afterwards
    paid_total += cross_paid
    if settled:
        for i in [i for i, st in settled.items() if i in events and events[i][0] < st[0]]:
            del settled[i]  # liquidated before its expiry: nothing left to settle
    # The cross wallet (the wallet less isolated margins) is part of the account either way.
    equity += cross_eq
    requirement += cross_rq
    return PathAccount(ccy, equity, requirement, paid_total)
