"""Calendar of dated (quarterly and monthly) futures: when a contract settles and which one follows it.

Binance and Deribit settle dated futures at **08:00 UTC on the last Friday** of
the contract month:

* Binance, "Delivery & Settlement of Quarterly Futures": "Quarterly futures
  contracts deliver/settle at the expiration date, i.e. the last Friday of each
  calendar quarter at 08:00:00 UTC" on the March, June, September, December
  cycle (https://www.binance.com/en/support/faq/a3401595e1734084959c61491bc0dbe3);
  the same page says the settlement fee is charged like the taker fee.
* Deribit futures specification: "Expirations are always at 08.00 UTC at the
  end of the month ... monthly future expiring every month (last friday of the
  month), and there is a quarterly future expiring the end of the quarter"
  (https://www.deribit.com/docs/contract-specifications/,
  https://test.deribit.com/pages/docs/futures).

Pure functions, UTC-aware datetimes only.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Literal

Delivery = Literal["perpetual", "quarterly", "monthly"]

#: Hour of day (UTC) dated futures settle at on Binance and Deribit.
SETTLEMENT_HOUR_UTC = 8
QUARTER_MONTHS = (3, 6, 9, 12)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (a naive one is read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def last_friday_settlement(year: int, month: int) -> datetime:
    """08:00 UTC on the last Friday of ``month`` (the Binance / Deribit settlement time).

    >>> last_friday_settlement(2026, 12).isoformat()
    '2026-12-25T08:00:00+00:00'
    >>> last_friday_settlement(2027, 3).isoformat()
    '2027-03-26T08:00:00+00:00'
    """
    last_day = calendar.monthrange(year, month)[1]
    d = datetime(year, month, last_day, SETTLEMENT_HOUR_UTC, tzinfo=UTC)
    return d - timedelta(days=(d.weekday() - calendar.FRIDAY) % 7)


def next_settlement(after: datetime, delivery: Delivery) -> datetime:
    """First settlement of the ``delivery`` cycle strictly after ``after`` (UTC).

    Quarterly: last Friday of March, June, September or December; monthly:
    last Friday of every month; both at 08:00 UTC.

    >>> next_settlement(datetime(2026, 12, 25, 8, tzinfo=UTC), "quarterly").isoformat()
    '2027-03-26T08:00:00+00:00'
    """
    if delivery == "perpetual":
        raise ValueError("a perpetual has no settlement")
    t = as_utc(after)
    year, month = t.year, t.month
    for _ in range(40):
        if delivery == "monthly" or month in QUARTER_MONTHS:
            s = last_friday_settlement(year, month)
            if s > t:
                return s
        month += 1
        if month > 12:
            year, month = year + 1, 1
    raise AssertionError("unreachable: a settlement falls within 40 months")


def hour_of_day_utc(moment: datetime) -> float:
    """Hours since 00:00 UTC of ``moment``'s UTC day, in [0, 24) (a naive ``moment`` is read as UTC).

    >>> hour_of_day_utc(datetime(2026, 12, 20, 9, 30, tzinfo=UTC))
    9.5
    >>> from datetime import timezone
    >>> hour_of_day_utc(datetime(2026, 12, 20, 1, 15, tzinfo=timezone(timedelta(hours=2))))  # 23:15 UTC the day before
    23.25
    """
    t = as_utc(moment)
    return t.hour + t.minute / 60.0 + (t.second + t.microsecond / 1e6) / 3600.0


def hours_between(start: datetime, end: datetime) -> float:
    """Hours from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    return (as_utc(end) - as_utc(start)).total_seconds() / 3600.0


def year_fraction(hours: float) -> float:
    """Hours as a fraction of a 365-day year (the convention annualised bases are quoted in)."""
    return hours / (24.0 * 365.0)
