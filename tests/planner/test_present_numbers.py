"""Typed numbers: what the number fields accept, refuse and how figures are formatted."""

from __future__ import annotations

import pytest

from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio, fmt_signed_money
from planner.present.numbers import NumberError, NumberFormat, parse_number, range_problem

GERMAN = NumberFormat(decimal=",", group=".")
FRENCH = NumberFormat(decimal=",", group="\u202f")


@pytest.mark.parametrize(
    ("text", "fmt", "value"),
    [
        ("97,123.5", NumberFormat(), 97123.5),
        ("97123.5", NumberFormat(), 97123.5),
        ("1,234,567.89", NumberFormat(), 1234567.89),
        ("97 123.5", NumberFormat(), 97123.5),
        ("97\u00a0123.5", NumberFormat(), 97123.5),
        ("1.5k", NumberFormat(), 1500.0),
        ("2m", NumberFormat(), 2_000_000.0),
        ("2M", NumberFormat(), 2_000_000.0),
        ("1e5", NumberFormat(), 100000.0),
        ("2.5E-4", NumberFormat(), 0.00025),
        ("-5000", NumberFormat(), -5000.0),
        ("\u22123", NumberFormat(), -3.0),
        (".5", NumberFormat(), 0.5),
        ("  42  ", NumberFormat(), 42.0),
        ("97.123,5", GERMAN, 97123.5),
        ("1,5", GERMAN, 1.5),
        ("97\u202f123,5", FRENCH, 97123.5),
        ("97 123,5", FRENCH, 97123.5),
    ],
)
def test_accepts(text: str, fmt: NumberFormat, value: float) -> None:
    assert parse_number(text, fmt) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "enter a number"),
        ("12a", "is not a number"),
        ("abc", "is not a number"),
        ("1,23", "groups thousands"),  # never read as 123 or 1.23
        ("9,71.0", "groups thousands"),
        ("1.2.3", "two decimal marks"),
        ("1,234 567", "mixes separators"),
        ("--1", "is not a number"),
        ("1e5k", "is not a number"),
        ("1e999", "too large"),
    ],
)
def test_refuses_with_short_message(text: str, fragment: str) -> None:
    with pytest.raises(NumberError) as info:
        parse_number(text)
    assert fragment in str(info.value)
    assert len(str(info.value)) <= 56, "must fit one line under a field"


def test_range_problem() -> None:
    assert range_problem(-5000.0, 0.0) == "must not be negative"
    assert range_problem(0.0, 0.0, min_exclusive=True) == "must be greater than 0"
    assert range_problem(5.0, 0.0, 1000.0) is None
    assert range_problem(1001.0, 0.0, 1000.0) == "must be at most 1,000"


def test_no_negative_zero_anywhere() -> None:
    assert fmt_money(-0.001) == "0.00"
    assert fmt_money(-0.0000001, "BTC") == "0.000000 BTC"
    assert fmt_pct(-0.000001) == "0.00%"
    assert fmt_ratio(-1e-12) == "0.00%"
    assert fmt_price(-0.001, 0.01) == "0.00"
    assert fmt_money(-1.234) == "-1.23"


def test_signed_money_to_the_account_positive() -> None:
    assert fmt_signed_money(2.0, "USDT") == "+2.00 USDT"
    assert fmt_signed_money(-98.1, "USDT") == "-98.10 USDT"
    assert fmt_signed_money(-0.001, "USDT") == "0.00 USDT"
