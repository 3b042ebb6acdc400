"""Reading and writing the plan's clock (``Plan.as_of``, UTC) as text: one parser for the window and the CLI.

Accepted (all UTC): ``YYYY-MM-DD HH:MM`` (also with ``T`` between date and
time, with seconds, with a trailing ``UTC``, ``Z`` or ``+00:00``) and
``YYYY-MM-DD`` (00:00 UTC); ``now`` or nothing = follow the wall clock (None).
A time with another UTC offset is refused with the UTC time it denotes, so a
clock never moves by a time zone without the user seeing it. Years 2000-2099.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from planner.model.dated import as_utc

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2099, 12, 31, 23, 59, tzinfo=UTC)
#: What the window's field allows (its messages end with this).
ALLOWED = "allowed: UTC 2026-12-20 09:30, a date (00:00), or empty = now"

_PATTERN = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?"
    r"\s*(?P<tz>utc|gmt|z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


class ClockError(ValueError):
    """Text that is not a UTC clock: the message says what was typed, why it is refused and what is allowed."""


def parse_clock(text: str, allowed: str = ALLOWED) -> datetime | None:
    """The UTC datetime ``text`` denotes; None for "" or "now" (follow the wall clock).

    Raises :class:`ClockError`; ``allowed`` is the closing "allowed: ..." phrase of its messages
    (the window and the CLI name the wall clock differently).
    """
    raw = " ".join(text.split())
    if not raw or raw.lower() == "now":
        return None
    m = _PATTERN.match(raw)
    if m is None:
        raise ClockError(f"'{raw}' is not a date and time; {allowed}")
    parts = {k: int(v) for k, v in m.groupdict().items() if v is not None and k != "tz"}
    try:
        when = datetime(parts["y"], parts["mo"], parts["d"], parts.get("h", 0), parts.get("mi", 0), parts.get("s", 0), tzinfo=UTC)
    except ValueError as exc:  # month 13, 31 April, hour 25, ...
        raise ClockError(f"'{raw}': {exc}; {allowed}") from None
    tz = (m.group("tz") or "").lower()
    if tz and tz not in ("utc", "gmt", "z"):
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset:
            utc = when - sign * offset
            raise ClockError(f"'{raw}' is not UTC; the clock is UTC: write {format_clock(utc)} for that moment")
    if not (EARLIEST <= when <= LATEST):
        raise ClockError(f"'{raw}' is outside the years {EARLIEST.year}-{LATEST.year}; {allowed}")
    return when


def format_clock(when: datetime | None) -> str:
    """``2026-12-20 09:30`` (seconds only when the clock has them); "" for None (now)."""
    if when is None:
        return ""
    utc = as_utc(when)
    return f"{utc:%Y-%m-%d %H:%M:%S}" if utc.second or utc.microsecond else f"{utc:%Y-%m-%d %H:%M}"
