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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.model.arrays import ArrayLike, FloatArray
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


@dataclass(frozen=True)
class Schedule:
    """Settlement times (hours from now) and the share of the interval rate each one charges."""

    hours: FloatArray
    weights: FloatArray


def settlement_schedule(funding: FundingSpec, interval_hours: float, horizon_hours: float, start_hour_utc: float = 0.0) -> Schedule:
    """Settlements within ``(0, horizon]`` hours from a start at ``start_hour_utc``.

    Discrete venues settle at ``settlement_hours_utc`` (or every interval from
    00:00 UTC) with weight 1 (Binance 00/08/16 UTC,
    https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031).
    Continuous venues (Deribit, accrued every millisecond on an 8 h rate,
    https://support.deribit.com/hc/en-us/articles/31424939178397-Funding-Specifications)
    are charged hourly with weight ``1/interval_hours``.
    """
    if funding.accrual == "continuous":
        hours = np.arange(1.0, np.floor(horizon_hours) + 1.0)
        return Schedule(hours, np.full(hours.shape, 1.0 / interval_hours))
    if funding.settlement_hours_utc and interval_hours == funding.interval_hours:
        daily = np.asarray(sorted(funding.settlement_hours_utc), dtype=float)
    else:
        daily = np.arange(0.0, 24.0, interval_hours)
    days = np.arange(0.0, np.ceil(horizon_hours / 24.0) + 2.0)
    times = (days[:, None] * 24.0 + daily[None, :] - start_hour_utc).ravel()
    times = np.sort(times[(times > 0.0) & (times <= horizon_hours + 1e-9)])
    return Schedule(times, np.ones_like(times))


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
