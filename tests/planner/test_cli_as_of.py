"""``--as-of TIME``: the plan's clock (UTC) for one CLI run, read by the same parser as the window's field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.model.clock import ClockError, parse_clock

ROOT = Path(__file__).resolve().parents[2]
DATED = ROOT / "examples" / "dated-roll.plan.json"

#: Binance USD-M BTCUSDT settles funding every 8 h at 00:00, 08:00, 16:00 UTC.
PLAN = {
    "format": "position-plan",
    "version": 2,
    "name": "as-of test",
    "profile": "binance-usdm",
    "as_of": "2026-12-20T02:00:00Z",
    "account": {"wallet_balance": 50000.0},
    "positions": [
        {
            "symbol": "BTCUSDT",
            "side": "long",
            "quantity": 1.0,
            "entry_price": 50000.0,
            "mark_price": 50000.0,
            "leverage": 10,
            "margin_mode": "isolated",
            "isolated_margin": 5000.0,
        }
    ],
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def settlement_line(out: str) -> str:
    (line,) = [x for x in out.splitlines() if "funding settlements:" in x]
    return line


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    p = tmp_path / "p.plan.json"
    p.write_text(json.dumps(PLAN), encoding="utf-8")
    return p


def test_drill_path_counts_funding_from_the_given_clock(plan_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = plan_file.read_bytes()
    code, out, err = run(capsys, "drill", str(plan_file), "--scenario", "path")
    assert code == 0, err
    # The plan's own as_of 02:00 UTC: next settlement 08:00, i.e. 6 h.
    assert "first settlement 6 h after the plan's as_of 2026-12-20 02:00 UTC" in settlement_line(out)
    code, out, err = run(capsys, "drill", str(plan_file), "--scenario", "path", "--as-of", "2026-12-20 09:30")
    assert code == 0, err
    # 09:30 UTC: next settlement 16:00, 6.5 h later.
    assert "first settlement 6.5 h after the plan's as_of 2026-12-20 09:30 UTC" in settlement_line(out)
    code, out, err = run(capsys, "drill", str(plan_file), "--scenario", "path", "--as-of", "2026-12-20T23:45:00Z")
    assert code == 0, err
    # 23:45 UTC: next settlement 00:00 the next day, 0.25 h later.
    assert "first settlement 0.25 h after the plan's as_of 2026-12-20 23:45 UTC" in settlement_line(out)
    assert plan_file.read_bytes() == before  # the override is for the run only


def test_as_of_now_ignores_the_plans_clock(plan_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "drill", str(plan_file), "--scenario", "path", "--as-of", "now")
    assert code == 0, err
    line = settlement_line(out)
    assert "the plan has no as_of" in line and "first settlement is counted at 8 h" in line
    assert "02:00" not in line


def test_evaluate_json_equals_the_plan_with_that_as_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(DATED.read_text(encoding="utf-8"))
    assert data["as_of"] == "2026-12-20T08:00:00Z"
    moved = tmp_path / "moved.plan.json"
    moved.write_text(json.dumps({**data, "as_of": "2026-12-20T09:30:00Z"}), encoding="utf-8")
    code, expected, err = run(capsys, "evaluate", str(moved), "--json")
    assert code == 0, err
    for text in ("2026-12-20 09:30", "2026-12-20T09:30", "2026-12-20 09:30:00 UTC", "2026-12-20T09:30Z", "2026-12-20 09:30+00:00"):
        code, out, err = run(capsys, "evaluate", str(DATED), "--json", "--as-of", text)
        assert code == 0, err
        assert out == expected, text
    (leg,) = json.loads(expected)["dated"]
    # Expiry 2026-12-25 08:00 UTC (last Friday of December): 5 days - 1.5 h = 118.5 h = 4.9375 days.
    assert leg["hours_to_expiry"] == pytest.approx(118.5)
    assert leg["days_to_expiry"] == pytest.approx(4.9375)
    # Basis 99,000 - 98,700 = 300 over 98,700, annualised over 118.5 h of a 8,760 h year.
    assert leg["annualised_basis"] == pytest.approx(300 / 98_700 * 8760 / 118.5)
    # Without --as-of the file's clock (08:00) holds: 120 h.
    code, out, err = run(capsys, "evaluate", str(DATED), "--json")
    assert json.loads(out)["dated"][0]["hours_to_expiry"] == pytest.approx(120.0)


def test_a_bare_date_is_midnight_utc(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", str(DATED), "--json", "--as-of", "2026-12-20")
    assert code == 0, err
    # 2026-12-20 00:00 to 2026-12-25 08:00 UTC = 128 h.
    assert json.loads(out)["dated"][0]["hours_to_expiry"] == pytest.approx(128.0)
    code, out, err = run(capsys, "evaluate", str(DATED), "--as-of", "2026-12-20")
    assert "time to expiry from the plan as_of 2026-12-20 00:00 UTC" in out
    assert "in 5.33 days" in out  # 128 h / 24


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("tomorrow", "'tomorrow' is not a date and time"),
        ("2026-13-01", "month must be in 1..12"),
        ("2026-12-20 25:00", "hour must be in 0..23"),
        ("1999-12-31", "outside the years 2000-2099"),
        ("", "is empty"),
        ("2026-12-20 09:30+02:00", "is not UTC; the clock is UTC: write 2026-12-20 07:30 for that moment"),
    ],
)
@pytest.mark.parametrize("command", [["evaluate"], ["drill", "--scenario", "path"], ["payoff"], ["safe-size", "--event", "cpi"]])
def test_bad_values_are_refused_in_one_line(
    plan_file: Path, capsys: pytest.CaptureFixture[str], value: str, why: str, command: list[str]
) -> None:
    before = plan_file.read_bytes()
    code, out, err = run(capsys, command[0], str(plan_file), *command[1:], "--as-of", value)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("position-planner: error: --as-of: ")
    assert why in err
    if "not UTC" not in why:
        assert "allowed: UTC 2026-12-20 09:30" in err and "or now" in err
    assert plan_file.read_bytes() == before


def test_one_parser_for_the_cli_and_the_window() -> None:
    assert parse_clock("2026-12-20T09:30:15 utc") == datetime(2026, 12, 20, 9, 30, 15, tzinfo=UTC)
    assert parse_clock("  NOW ") is None
    with pytest.raises(ClockError, match="allowed: UTC 2026-12-20 09:30, a date"):
        parse_clock("12/20/2026")
    clock_edit = pytest.importorskip("ui.widgets.clock_edit")
    assert clock_edit.parse_clock is parse_clock and clock_edit.ClockError is ClockError
