"""Funding: schedule, payments and accrual over a horizon.

Sign convention (every venue's own docs, e.g. Binance
https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031):
a **positive rate means longs pay shorts**. A *payment* here is what the account pays, so it is positive for a
long under a positive rate and negative (received) for a short.

* linear: ``payment = s * q * mark * rate`` in quote currency;
* inverse: ``payment = s * q_usd / mark * rate`` in coin.

Rates are per funding interval of the symbol (8 h on most venues, 1 h on
Hyperliquid and Kraken). Continuous-accrual venues (Deribit) are modelled as
hourly settlements of ``rate * 1/interval_hours`` each.

**Clock.** Times are hours from the plan's clock. Discrete venues settle at
fixed times of the UTC day (Binance 00:00, 08:00, 16:00), so a schedule
starts at the time of day of that clock, :func:`clock_hour_utc`: with
``plan.as_of`` = 09:30 UTC an 8 h symbol first settles 6.5 h later (16:00).
A plan without ``as_of`` counts hours from now and takes hour 0 as 00:00 UTC:
it is assumed to settle at each interval boundary from hour 0 (8, 16, 24 h; a
1 h venue at 1, 2, 3 h), which may be up to one interval later than the real
next settlement. Every caller (curves, path drills, the action plan, the
window, the report) takes its start hour from :func:`clock_hour_utc`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from planner.model.arrays import ArrayLike, FloatArray
from planner.model.dated import as_utc, hour_of_day_utc
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile, FundingSpec


def funding_payment(s: ArrayLike, q: ArrayLike, mark: ArrayLike, rate: ArrayLike, inverse: bool) -> FloatArray:
    """Payment per settlement, settlement currency; positive = the account pays.

    ``Funding Amount = Nominal Value of Positions x Funding Rate``, nominal = mark x
    size (USDⓈ-M) or contracts x multiplier / mark (COIN-M); Binance
    https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031

    Examples
    --------
    Binance: 20,000 USDT long notional at 0.01 % pays 2 USDT per settlement.

    >>> float(funding_payment(1, 0.4, 50000.0, 0.0001, inverse=False))
    2.0
    """
    s = np.asarray(s, dtype=float)
    value = (
        np.asarray(q, dtype=np.float64) / np.asarray(mark, dtype=np.float64)
        if inverse
        else np.asarray(q, dtype=np.float64) * np.asarray(mark, dtype=np.float64)
    )
    return s * value * np.asarray(rate, dtype=np.float64)


#: Most settlements one schedule may hold (one a minute for a leap year is 527,040).
MAX_SETTLEMENTS = 2_000_000


@dataclass(frozen=True)
class Schedule:
    """Settlement times (hours from the plan's clock) and the share of the interval rate each one charges."""

    hours: FloatArray
    weights: FloatArray


def clock_hour_utc(plan: Plan) -> float:
    """Hour of the UTC day (in [0, 24)) at which the plan's funding schedules start.

    The time of day of ``plan.as_of`` (09:30 UTC -> 9.5); 0.0 for a plan
    without ``as_of``, whose hour 0 ("now") is taken as 00:00 UTC, i.e.
    settlements are assumed at each interval boundary from hour 0. The one
    place that reads the plan's clock for funding: pass it to
    :func:`settlement_schedule` (or use :func:`plan_schedule`).

    >>> from datetime import datetime, UTC
    >>> clock_hour_utc(Plan.model_validate({"profile": "binance-usdm", "account": {"wallet_balance": 1000},
    ...     "positions": [], "as_of": datetime(2026, 12, 20, 9, 30, tzinfo=UTC)}))
    9.5
    """
    return hour_of_day_utc(plan.as_of) if plan.as_of is not None else 0.0


def settlement_hours_of_day(funding: FundingSpec, interval_hours: float) -> FloatArray:
    """Hours of the UTC day (sorted, in [0, 24)) a discrete ``interval_hours`` symbol settles at.

    The profile's ``settlement_hours_utc`` when the symbol has the profile's
    interval, else every ``interval_hours`` from 00:00 UTC (a 4 h symbol on
    Binance: 00, 04, ..., 20; a 1 h venue: every hour).
    """
    if funding.settlement_hours_utc and interval_hours == funding.interval_hours:
        return np.asarray(sorted(funding.settlement_hours_utc), dtype=float)
    return np.arange(0.0, 24.0, interval_hours)


def settlement_schedule(funding: FundingSpec, interval_hours: float, horizon_hours: float, start_hour_utc: float = 0.0) -> Schedule:
    """Settlements within ``(0, horizon]`` hours of a clock that reads ``start_hour_utc`` (hour of the UTC day).

    Discrete venues settle at ``settlement_hours_utc`` (or every interval from
    00:00 UTC, :func:`settlement_hours_of_day`) with weight 1 (Binance 00/08/16 UTC,
    https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031);
    with ``start_hour_utc`` = 9.5 an 8 h Binance symbol settles at 6.5, 14.5,
    22.5, ... h. A settlement exactly at the clock (hour 0) has already been
    paid and is not counted. ``start_hour_utc`` should come from
    :func:`clock_hour_utc`; its default 0.0 is the clock of a plan without ``as_of``.
    Continuous venues (Deribit, accrued every millisecond on an 8 h rate,
    https://support.deribit.com/hc/en-us/articles/31424939178397-Funding-Specifications)
    are charged hourly from hour 0 with weight ``1/interval_hours``, whatever the time of day.

    The number of settlements is bounded before anything is allocated
    (:data:`MAX_SETTLEMENTS`): validation already keeps intervals at one minute
    or more and horizons within 366 days, so this only guards direct callers.

    >>> from planner.model.profile import FundingSpec
    >>> spec = FundingSpec(interval_hours=8, settlement_hours_utc=[0, 8, 16], cap_per_interval=0.003)
    >>> settlement_schedule(spec, 8.0, 24.0, start_hour_utc=9.5).hours.tolist()
    [6.5, 14.5, 22.5]
    """
    if not (math.isfinite(interval_hours) and math.isfinite(horizon_hours) and interval_hours > 0 and horizon_hours >= 0):
        raise PlannerError([Problem("funding.interval_hours", f"must be a positive finite number of hours (got {interval_hours!r})")])
    if not (math.isfinite(start_hour_utc) and 0.0 <= start_hour_utc < 24.0):
        raise PlannerError([Problem("funding.start_hour_utc", f"must be an hour of the day in [0, 24) (got {start_hour_utc!r})")])
    fixed_hours = bool(funding.settlement_hours_utc) and interval_hours == funding.interval_hours
    per_day = len(funding.settlement_hours_utc) if fixed_hours else 24.0 / interval_hours
    count = (horizon_hours + 48.0) / 24.0 * per_day if funding.accrual == "discrete" else horizon_hours
    if count > MAX_SETTLEMENTS:
        raise PlannerError(
            [
                Problem(
                    "funding.interval_hours",
                    f"{interval_hours:g} h over {horizon_hours:g} h is about {count:,.0f} settlements; "
                    f"at most {MAX_SETTLEMENTS:,} are computed (use an interval of at least one minute)",
                )
            ]
        )
    if funding.accrual == "continuous":
        hours = np.arange(1.0, np.floor(horizon_hours) + 1.0)
        return Schedule(hours, np.full(hours.shape, 1.0 / interval_hours))
    daily = settlement_hours_of_day(funding, interval_hours)
    days = np.arange(0.0, np.ceil(horizon_hours / 24.0) + 2.0)
    times = (days[:, None] * 24.0 + daily[None, :] - start_hour_utc).ravel()
    times = np.sort(times[(times > 1e-9) & (times <= horizon_hours + 1e-9)])
    return Schedule(times, np.ones_like(times))


def plan_schedule(plan: Plan, profile: ExchangeProfile, interval_hours: float, horizon_hours: float) -> Schedule:
    """The settlements of an ``interval_hours`` symbol of ``plan`` within ``horizon_hours`` of its clock (:func:`clock_hour_utc`)."""
    return settlement_schedule(profile.funding, interval_hours, horizon_hours, clock_hour_utc(plan))


def _clock_time(hour: float) -> str:
    """An hour of the day as ``HH:MM`` (9.5 -> ``09:30``)."""
    minutes = round(hour * 60.0) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule_note(plan: Plan, profile: ExchangeProfile, interval_hours: float) -> str:
    """What the funding schedule of an ``interval_hours`` symbol assumes, in one phrase (for tooltips and reports).

    With ``as_of`` 2026-12-20 09:30 UTC on Binance: ``8 h funding settled at 00:00,
    08:00, 16:00 UTC: first settlement 6.5 h after the plan's as_of 2026-12-20 09:30 UTC``.
    Without ``as_of`` it says that hour 0 is taken as 00:00 UTC.
    """
    funding = profile.funding
    if funding.accrual == "continuous":
        return f"a {interval_hours:g} h rate accrued continuously, charged hourly from hour 0 (the time of day does not matter)"
    daily = settlement_hours_of_day(funding, interval_hours)
    times = (
        "at " + ", ".join(_clock_time(float(h)) for h in daily) + " UTC"
        if daily.size <= 6
        else f"every {interval_hours:g} h from {_clock_time(float(daily[0]))} UTC"
    )
    start = clock_hour_utc(plan)
    first = settlement_schedule(funding, interval_hours, 24.0 + interval_hours, start).hours
    nxt = f"{float(first[0]):g} h" if first.size else "beyond one day"
    if plan.as_of is not None:
        return f"{interval_hours:g} h funding settled {times}: first settlement {nxt} after the plan's as_of {as_utc(plan.as_of):%Y-%m-%d %H:%M} UTC"
    return (
        f"{interval_hours:g} h funding settled {times}: the plan has no as_of, so hour 0 (now) is taken as 00:00 UTC "
        f"and the first settlement is counted at {nxt} (set as_of for the real settlement times)"
    )


def schedule_words(plan: Plan, profile: ExchangeProfile, symbols: Iterable[str]) -> str:
    """``BTCUSDT, ETHUSDT: <schedule_note>; SOLUSDT: ...``: the schedule of each funding interval among the perpetual ``symbols``.

    Dated futures (no funding) and symbols the profile does not list are left
    out; "" when none is left.
    """
    by_interval: dict[float, list[str]] = {}
    for sym in dict.fromkeys(symbols):
        spec = profile.symbols.get(sym)
        if spec is None or spec.is_dated:
            continue
        by_interval.setdefault(symbol_interval_hours(profile, sym), []).append(sym)
    return "; ".join(f"{', '.join(syms)}: {schedule_note(plan, profile, interval)}" for interval, syms in by_interval.items())


def symbol_interval_hours(profile: ExchangeProfile, symbol: str) -> float:
    """Funding interval of ``symbol`` (its own override, else the profile's)."""
    spec = profile.symbols.get(symbol)
    if spec is not None and spec.funding_interval_hours is not None:
        return spec.funding_interval_hours
    return profile.funding.interval_hours


def hourly_equivalent(rate_per_interval: float, interval_hours: float) -> float:
    """Convert a per-interval rate to a per-hour rate (for comparing venues).

    Hyperliquid pays hourly at an eighth of its 8 h rate
    (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/funding).

    >>> hourly_equivalent(0.0001, 8.0)
    1.25e-05
    """
    return rate_per_interval / interval_hours


def accrued(payment_per_settlement: ArrayLike, schedule: Schedule, times_hours: ArrayLike) -> FloatArray:
    """Cumulative payment at each time (hours from now), settlement currency.

    ``payment_per_settlement`` may be an array of legs (shape (L,)); the result
    then has shape (L, len(times)).
    """
    times = np.asarray(times_hours, dtype=float)
    n_done = np.searchsorted(schedule.hours, times, side="right")
    cum_weight: FloatArray = np.concatenate([[0.0], np.cumsum(schedule.weights)])[n_done]
    pay = np.asarray(payment_per_settlement, dtype=np.float64)
    return pay[..., None] * cum_weight if pay.ndim else pay * cum_weight


def funding_rate_from_premium(premium: float, interest: float, clamp: float = 0.0005) -> float:
    """Per-interval funding rate ``F = P + clamp(I - P, -c, +c)`` (Binance, Bybit, Hyperliquid).

    Sources: Binance https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031;
    Hyperliquid https://hyperliquid.gitbook.io/hyperliquid-docs/trading/funding

    Examples
    --------
    Hyperliquid docs: premium 1 %, interest 0.01 % per 8 h -> F = 0.95 % per 8 h,
    charged hourly at F/8 = 0.11875 %.

    >>> round(funding_rate_from_premium(0.01, 0.0001), 10)
    0.0095
    """
    return premium + min(max(interest - premium, -clamp), clamp)
