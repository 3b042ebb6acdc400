"""Reading numbers typed by a person: never a silent misreading.

``parse_number`` accepts what a trader types and refuses, with a short
message, anything it cannot read without guessing:

* the locale's decimal mark and group separator (passed in, so this module
  stays free of Qt), plus plain ``,`` (or ``.`` where ``,`` is the decimal
  mark), spaces, no-break spaces and apostrophes as thousands grouping;
  grouping must be in threes (``97,123.5`` -> 97123.5, ``1,23`` is refused);
* the suffixes ``k`` (x 1e3), ``m`` (x 1e6) and ``b`` (x 1e9), e.g. ``1.5k``;
* scientific notation, ``1e5``, ``2.5E-4``;
* a leading ``+`` or ``-`` (also the typographic minus ``−``).

Messages are kept under about 50 characters so they fit whole on one line
under a form field.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9}
_SPACES = (" ", "\u00a0", "\u202f", "\u2009", "'", "\u2019")
_EXP = re.compile(r"^(?P<mant>.*?)[eE](?P<exp>[+-]?\d{1,3})$")


class NumberError(ValueError):
    """A text that is not a number, with a one-line message for the field."""


@dataclass(frozen=True)
class NumberFormat:
    """Decimal mark and group separator of the user's locale (e.g. ``.`` and ``,``; ``,`` and ``.``)."""

    decimal: str = "."
    group: str = ","


def _short(text: str, n: int = 14) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def parse_number(text: str, fmt: NumberFormat = NumberFormat()) -> float:
    """The number ``text`` denotes, or :class:`NumberError` saying why not.

    >>> parse_number("97,123.5")
    97123.5
    >>> parse_number("1.5k")
    1500.0
    >>> parse_number("1e5")
    100000.0
    >>> parse_number("97.123,5", NumberFormat(",", "."))
    97123.5
    """
    raw = text.strip()
    if not raw:
        raise NumberError("enter a number")
    s = raw.replace("\u2212", "-")
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:].lstrip()
    scale = 1.0
    if s and s[-1].lower() in SUFFIXES:
        scale = SUFFIXES[s[-1].lower()]
        s = s[:-1].rstrip()
    exp = 0
    m = _EXP.match(s)
    if m and scale == 1.0:
        s, exp = m.group("mant"), int(m.group("exp"))
    dec = fmt.decimal
    groups = set(_SPACES) | {fmt.group}
    groups.add("." if dec == "," else ",")
    groups.discard(dec)
    if not s:
        raise NumberError(f"'{_short(raw)}' is not a number (e.g. 1,234.5 · 1.5k · 1e5)")
    whole, _, frac = s.partition(dec)
    if dec in frac:
        raise NumberError(f"'{_short(raw)}' has two decimal marks '{dec}'")
    if not frac.isdigit() and frac != "":
        bad = next((c for c in frac if not c.isdigit()), "")
        raise NumberError(f"'{_short(raw)}' is not a number: '{bad}' after '{dec}'")
    parts = [whole]
    used = ""
    for ch in whole:
        if not ch.isdigit():
            if ch not in groups:
                raise NumberError(f"'{_short(raw)}' is not a number (e.g. 1,234.5 · 1.5k · 1e5)")
            if used and ch != used:
                raise NumberError(f"'{_short(raw)}' mixes separators '{used}' and '{ch}'")
            used = ch
    if used:
        parts = whole.split(used)
        if not (1 <= len(parts[0]) <= 3) or any(len(p) != 3 for p in parts[1:]):
            raise NumberError(f"'{_short(raw)}': '{used.strip() or 'space'}' groups thousands (1{used}234{dec}5)")
    digits = "".join(parts)
    if not digits and not frac:
        raise NumberError(f"'{_short(raw)}' is not a number (e.g. 1,234.5 · 1.5k · 1e5)")
    value = sign * float(f"{digits or '0'}.{frac or '0'}e{exp}") * scale
    if not math.isfinite(value):
        raise NumberError(f"'{_short(raw)}' is too large")
    return value


def range_problem(value: float, minimum: float | None = None, maximum: float | None = None, *, min_exclusive: bool = False) -> str | None:
    """A one-line message when ``value`` is outside [minimum, maximum] (or (minimum, ...]), else None."""
    if minimum is not None and (value < minimum or (min_exclusive and value == minimum)):
        if minimum == 0.0:
            return "must be greater than 0" if min_exclusive else "must not be negative"
        return f"must be {'above' if min_exclusive else 'at least'} {minimum:,.10g}"
    if maximum is not None and value > maximum:
        return f"must be at most {maximum:,.10g}"
    return None
