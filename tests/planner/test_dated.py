"""Dated (quarterly / monthly) futures: calendar, profile schema, plan fields, expiry, settlement and roll."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from planner.engine.curves import funding_curves
from planner.engine.evaluate import evaluate
from planner.engine.expiry import roll_figures
from planner.io.plan_files import load_plan
from planner.io.registry import get_profile
from planner.model.dated import last_friday_settlement, next_settlement
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile, SymbolSpec
from planner.model.symbols import parse_symbol

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "dated-roll.plan.json"


def _plan(**over: object) -> Plan:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data.update(over)
    return Plan.model_validate(data)


# --- calendar -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "day"),
    [(2026, 12, 25), (2027, 3, 26), (2027, 6, 25), (2027, 9, 24), (2020, 9, 25)],  # 2020-09-25: Binance FAQ's own example
)
def test_last_friday_at_0800_utc(year: int, month: int, day: int) -> None:
    assert last_friday_settlement(year, month) == datetime(year, month, day, 8, tzinfo=UTC)


def test_next_settlement_cycles() -> None:
    dec = datetime(2026, 12, 25, 8, tzinfo=UTC)
    assert next_settlement(dec, "quarterly") == datetime(2027, 3, 26, 8, tzinfo=UTC)
    assert next_settlement(dec, "monthly") == datetime(2027, 1, 29, 8, tzinfo=UTC)
    # One second before expiry the current contract is still the next settlement.
    assert next_settlement(datetime(2026, 12, 25, 7, 59, 59, tzinfo=UTC), "quarterly") == dec


@pytest.mark.parametrize(
    ("symbol", "base", "quote"),
    [("BTCUSDT_261225", "BTC", "USDT"), ("BTCUSD_261225", "BTC", "USD"), ("BTC-25DEC26", "BTC", ""), ("ETH-26MAR27", "ETH", "")],
)
def test_dated_symbol_names_parse(symbol: str, base: str, quote: str) -> None:
    assert (parse_symbol(symbol).base, parse_symbol(symbol).quote) == (base, quote)


# --- profile schema ---------------------------------------------------------------------------

_SPEC = {
    "contract": "linear",
    "contract_size": 0.001,
    "tick_size": 0.1,
    "base": "BTC",
    "quote": "USDT",
    "settle": "USDT",
    "tiers": [{"notional_floor": 0, "max_leverage": 50, "maintenance_rate": 0.01}],
}


def test_dated_symbol_needs_expiry_and_perpetual_has_none() -> None:
    with pytest.raises(ValidationError, match="expiry: a quarterly future needs its settlement time"):
        SymbolSpec.model_validate({**_SPEC, "delivery": "quarterly"})
    with pytest.raises(ValidationError, match="expiry: only dated futures"):
        SymbolSpec.model_validate({**_SPEC, "expiry": "2026-12-25T08:00:00Z"})
    naive = SymbolSpec.model_validate({**_SPEC, "delivery": "monthly", "expiry": "2026-12-25T08:00:00"})
    assert naive.expiry == datetime(2026, 12, 25, 8, tzinfo=UTC)  # no zone = UTC


def test_minimal_profile_with_a_dated_symbol_and_a_bad_next_contract() -> None:
    minimal = {
        "id": "mini-dated",
        "name": "mini",
        "rule": "binance",
        "fees": {"maker": 0.0002, "taker": 0.0005, "liquidation": 0.01},
        "symbols": {
            "BTCUSDT_261225": {
                "contract": "linear",
                "contract_size": 0.001,
                "tiers": [{"notional_floor": 0, "max_leverage": 50, "maintenance_rate": 0.01}],
                "delivery": "quarterly",
                "expiry": "2026-12-25T08:00:00Z",
            }
        },
    }
    prof = ExchangeProfile.model_validate(minimal)
    spec = prof.symbols["BTCUSDT_261225"]
    assert (spec.base, spec.quote, spec.settle, spec.is_dated) == ("BTC", "USDT", "USDT", True)
    bad = json.loads(json.dumps(minimal))
    bad["symbols"]["BTCUSDT_261225"]["next_contract"] = "BTCUSDT"
    with pytest.raises(ValidationError, match="next_contract: 'BTCUSDT' is not a dated future"):
        ExchangeProfile.model_validate(bad)


def test_bundled_quarterlies() -> None:
    usdm, coinm, deribit = get_profile("binance-usdm"), get_profile("binance-coinm"), get_profile("deribit")
    q = usdm.symbols["BTCUSDT_261225"]
    assert (q.delivery, q.expiry, q.next_contract) == ("quarterly", datetime(2026, 12, 25, 8, tzinfo=UTC), "BTCUSDT_270326")
    # Binance delivery brackets (freqtrade dump 2832c6b8): 0-50,000 USDT at 50x / 1 %, cum 500 at the second bracket.
    assert (q.tiers[0].notional_cap, q.tiers[0].max_leverage, q.tiers[0].maintenance_rate) == (50_000, 50, 0.01)
    assert (q.tiers[1].maintenance_rate, q.tiers[1].maintenance_amount) == (0.02, 500.0)
    assert coinm.symbols["BTCUSD_261225"].contract_size == 100 and coinm.symbols["ETHUSD_261225"].contract_size == 10
    assert deribit.symbols["BTC-25DEC26"].contract_size == 10 and deribit.symbols["ETH-25DEC26"].contract_size == 1
    assert deribit.symbols["BTC-26MAR27"].expiry == datetime(2027, 3, 26, 8, tzinfo=UTC)
    assert deribit.symbols["BTC-25DEC26"].size_scaled == deribit.symbols["BTC-PERPETUAL"].size_scaled
    assert deribit.symbols["BTC-25DEC26"].delivery_fee == pytest.approx(0.00025)


# --- plan fields --------------------------------------------------------------------------------


def test_version_1_file_opens_unchanged() -> None:
    plan = load_plan(ROOT / "tests" / "data" / "plans" / "v1-example.plan.json")
    assert plan.version == 2 and plan.index_prices == {} and all(not p.roll and p.roll_basis is None for p in plan.positions)
    out = evaluate(plan, get_profile(plan.profile_id)).to_dict()
    assert "dated" not in out and "clock" not in out


def test_roll_basis_bounds_name_the_field() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["positions"][0]["roll_basis"] = 1.5
    with pytest.raises(ValidationError, match="roll_basis"):
        Plan.model_validate(data)


def test_expired_leg_is_refused_in_one_line() -> None:
    plan = _plan(as_of="2026-12-26T00:00:00Z")
    with pytest.raises(PlannerError) as err:
        evaluate(plan, get_profile("binance-usdm"))
    msg = str(err.value)
    assert "positions.0.symbol" in msg and "BTCUSDT_261225 expired 2026-12-25 08:00 UTC" in msg and "as_of 2026-12-26 00:00 UTC" in msg


def test_funding_rate_on_a_dated_symbol_and_roll_on_a_perpetual_are_refused() -> None:
    plan = _plan(funding_rates={"BTCUSDT_261225": 0.0001})
    with pytest.raises(PlannerError, match=r"funding_rates.BTCUSDT_261225: .*pays no funding"):
        evaluate(plan, get_profile("binance-usdm"))
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["positions"][1]["roll"] = True
    with pytest.raises(PlannerError, match=r"positions.1.roll: ETHUSDT is a perpetual"):
        evaluate(Plan.model_validate(data), get_profile("binance-usdm"))


# --- evaluation ----------------------------------------------------------------------------------


def test_example_roll_numbers_by_hand() -> None:
    ev = evaluate(_plan(), get_profile("binance-usdm"))
    (d,) = ev.dated
    assert ev.clock == "plan as_of 2026-12-20 08:00 UTC"
    assert (d.hours_to_expiry, d.days_to_expiry, d.in_horizon) == (120.0, 5.0, True)
    assert d.basis == pytest.approx(300.0)  # mark 99,000 - index 98,700
    f = 99_000 * (1 + 0.06 * 91 / 365)  # next quarterly 2027-03-26, 91 days after 2026-12-25
    assert d.next_symbol == "BTCUSDT_270326" and d.next_price == pytest.approx(f)
    assert d.settlement_fee == pytest.approx(0.0005 * 99_000)  # Binance: settlement charged at the taker rate
    assert d.open_fee == pytest.approx(0.0005 * f)
    assert d.basis_paid == pytest.approx(f - 99_000)
    assert d.rollover_cost == pytest.approx(49.5 + 0.0005 * f + f - 99_000)
    assert round(d.rollover_cost, 2) == 1580.67
    # Margin like the perpetual of the venue: the delivery table's 1 % / 50x bracket... at 99,000 USDT the second (2 %, cum 500).
    leg = ev.legs[0]
    assert leg.maintenance_margin == pytest.approx(99_000 * 0.02 - 500)
    assert leg.funding_rate == 0.0 and leg.funding_per_interval == 0.0


def test_inverse_short_roll_receives_the_basis() -> None:
    prof = get_profile("deribit")
    spec = prof.symbols["BTC-25DEC26"]
    r = roll_figures(-1, 10_000.0, 100_000.0, spec, prof, True, 0.05)
    f = 100_000 * (1 + 0.05 * 91 / 365)
    assert r.next_symbol == "BTC-26MAR27" and r.next_price == pytest.approx(f)
    assert r.settlement_fee == pytest.approx(0.00025 * 10_000 / 100_000)  # Deribit delivery fee: half the taker fee
    assert r.open_fee == pytest.approx(0.0005 * 10_000 / f)
    assert r.basis_paid == pytest.approx(-10_000 * (1 / 100_000 - 1 / f))
    assert r.basis_paid < 0  # a short in contango receives the basis


def test_equity_curve_steps_at_expiry_and_no_funding_on_the_quarterly() -> None:
    plan = _plan()
    fc = funding_curves(plan, get_profile("binance-usdm"), n_points=50)
    (step,) = fc.expiry_steps
    ev = evaluate(plan, get_profile("binance-usdm"))
    assert step.hour == 120.0 and step.amount == pytest.approx(ev.dated[0].rollover_cost) and step.rolled
    i_before = int((fc.hours < 120.0).nonzero()[0][-1])
    i_at = int((fc.hours >= 120.0).nonzero()[0][0])
    paid = fc.funding_paid[i_at] - fc.funding_paid[i_before]
    assert fc.equity[i_before] - fc.equity[i_at] == pytest.approx(step.amount + paid)
    # Funding settles for the ETH perpetual only: 0.01 % of 5 x 3,450 per 8 h over 240 h = 30 settlements.
    assert fc.funding_paid[-1] == pytest.approx(30 * 0.0001 * 5 * 3450)


def test_no_roll_ends_the_requirement_and_charges_the_settlement_fee() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["positions"][0]["roll"] = False
    plan = Plan.model_validate(data)
    fc = funding_curves(plan, get_profile("binance-usdm"), n_points=20)
    (step,) = fc.expiry_steps
    assert step.amount == pytest.approx(49.5) and not step.rolled
    assert fc.requirement[0] - fc.requirement[-1] == pytest.approx(99_000 * 0.02 - 500)


def test_expiry_after_the_horizon_is_shown_but_not_stepped() -> None:
    plan = _plan(horizon_hours=72)
    ev = evaluate(plan, get_profile("binance-usdm"))
    assert not ev.dated[0].in_horizon and ev.dated[0].rollover_cost > 0
    assert funding_curves(plan, get_profile("binance-usdm")).expiry_steps == ()


# --- venue mapping, action plan, CLI -------------------------------------------------------------


def test_dated_leg_maps_to_the_same_expiry_or_stays_unmapped() -> None:
    from planner.engine.venues import map_plan

    plan, usdm = _plan(), get_profile("binance-usdm")
    m = map_plan(plan, get_profile("deribit"), usdm)
    assert m.legs[0].target_symbol == "BTC-25DEC26"
    assert m.plan.positions[0].roll and m.plan.positions[0].roll_basis == 0.06
    assert m.plan.positions[0].quantity == pytest.approx(98_000 / 10)  # equal USD value at entry: 9,800 contracts of 10 USD
    assert evaluate(m.plan, get_profile("deribit")).dated[0].next_symbol == "BTC-26MAR27"
    assert map_plan(plan, get_profile("binance-coinm"), usdm).legs[0].target_symbol == "BTCUSD_261225"
    okx = map_plan(plan, get_profile("okx"), usdm).legs[0]
    assert okx.target_symbol is None and "expiring 2026-12-25 08:00 UTC" in (okx.reason or "")
    assert "never mapped to a perpetual" in (okx.reason or "")


def test_action_plan_states_the_rollover_cost() -> None:
    from planner.drills.actions import action_plan

    ap = action_plan(_plan(), get_profile("binance-usdm"))
    (step,) = [s for s in ap.steps if s.kind == "audit_rollover"]
    assert "costs 1,580.67 USDT" in step.title and step.amount == pytest.approx(1580.6719726)
    assert "as_of 2026-12-20 08:00 UTC" in step.detail


def test_cli_text_and_json_show_expiry_basis_and_rollover(capsys: pytest.CaptureFixture[str]) -> None:
    from planner.cli.main import main

    assert main(["evaluate", str(EXAMPLE)]) == 0
    text = capsys.readouterr().out
    assert "time to expiry from the plan as_of 2026-12-20 08:00 UTC" in text
    assert "expires 2026-12-25 08:00 UTC, in 5.00 days; basis +300.00 (mark - index)" in text
    assert "rollover cost 1,580.67 USDT" in text
    assert main(["evaluate", str(EXAMPLE), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["clock"] == "plan as_of 2026-12-20 08:00 UTC"
    assert out["dated"][0]["rollover_cost"] == pytest.approx(1580.6719726) and out["dated"][0]["days_to_expiry"] == 5.0


# --- drills ---------------------------------------------------------------------------------------


def test_flat_path_settles_and_rolls_at_expiry() -> None:
    import numpy as np

    from planner.drills.paths import PricePath, run_path

    plan, prof = _plan(), get_profile("binance-usdm")
    flat = PricePath(np.linspace(0.0, 240.0, 241), np.ones(241), True, None, "flat")
    r = run_path(plan, prof, flat)
    hour, price, cost = r.settlements[0]
    assert (hour, price) == (120.0, 99_000.0) and cost == pytest.approx(1580.6719726)
    funding = float(r.funding_paid[-1])
    assert float(r.equity[0] - r.equity[-1]) == pytest.approx(cost + funding)
    assert float(r.requirement[-1]) == pytest.approx(float(r.requirement[0]))  # rolled: still margined
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["positions"][0]["roll"] = False
    r2 = run_path(Plan.model_validate(data), prof, flat)
    assert r2.settlements[0][2] == pytest.approx(49.5)  # settlement fee only
    assert float(r2.requirement[0] - r2.requirement[-1]) == pytest.approx(99_000 * 0.02 - 500)  # the leg left the book


def test_event_drill_states_the_expiry_simplification() -> None:
    from planner.drills.montecarlo import MarketModel, liquidation_probability

    plan = _plan(as_of="2026-12-24T20:00:00Z")
    r = liquidation_probability(plan, get_profile("binance-usdm"), model=MarketModel(volatility=0.5), horizon_hours=24, paths=200)
    (note,) = r.notes
    assert "expires after 12.0 h" in note and "keeps it open to the horizon" in note
    assert liquidation_probability(_plan(), get_profile("binance-usdm"), model=MarketModel(0.5), horizon_hours=24, paths=200).notes == ()


@pytest.mark.parametrize(
    "drill",
    [["shock", "--move", "-0.1"], ["gap"], ["partial"], ["path"], ["event", "--paths", "300"], ["compare"], ["actions"]],
)
def test_every_drill_accepts_a_dated_leg(drill: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from planner.cli.main import main

    assert main(["drill", str(EXAMPLE), "--json", "--scenario", *drill]) == 0
    assert json.loads(capsys.readouterr().out)


def test_clock_without_as_of_is_now_and_says_so() -> None:
    from planner.engine.expiry import clock_label, plan_clock

    plan = _plan(as_of=None)
    now = datetime(2026, 12, 21, 8, tzinfo=UTC)
    clock = plan_clock(plan, now=now)
    assert clock == now and clock_label(plan, clock) == "now 2026-12-21 08:00 UTC (the plan has no as_of)"
    assert plan_clock(_plan()) == datetime(2026, 12, 20, 8, tzinfo=UTC)
