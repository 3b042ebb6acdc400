"""Portfolio margin (Deribit risk matrix): Deribit's own numbers, hand-computed books and invariants."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner.cli.main import main
from planner.engine.evaluate import evaluate
from planner.engine.portfolio_margin import apply_pnl_offset, leg_pnl, scenario_moves, worst_loss
from planner.io.registry import bundled_profiles
from planner.model.errors import PlannerError
from planner.model.plan import Plan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "deribit-hedged-portfolio.plan.json"
DERIBIT = bundled_profiles()["deribit"]


def _plan(positions: list[dict[str, Any]], *, wallet: float = 0.0, balances: dict[str, float] | None = None, cross: bool = False) -> Plan:
    return Plan.model_validate(
        {
            "profile": "deribit",
            "account": {
                "wallet_balance": wallet,
                "balances": balances or {},
                "margin_model": "portfolio",
                "portfolio_collateral": "cross" if cross else "segregated",
            },
            "positions": [{"leverage": 10, "margin_mode": "cross", **p} for p in positions],
        }
    )


def _pm(plan: Plan) -> Any:
    ev = evaluate(plan, DERIBIT)
    assert ev.portfolio is not None
    return ev.portfolio


# --------------------------------------------------------------------------- Deribit's published numbers

# private/pme/simulate, ETH-PERPETUAL short of 0.999487053 ETH at mark 1949.49 (cross_pm account, 15 Feb 2026):
ETH_Q = 0.999487053
ETH_MARK = 1949.49
ETH_STANDARD = [0.21939959699999997, 0.155989308849711, 0.09885036787912087, 0.04709624857068063, 0.0]
ETH_STANDARD += [-0.04304011233014354, -0.08252645391743119, -0.11888171996035243, -0.15246412672881357]
ETH_AGGREGATED = [0.13163975819999998, 0.09359358530982659, 0.05931022072747252, 0.028257749142408375, 0.0, *ETH_STANDARD[5:]]


def test_deribit_eth_example_risk_vector_offset_and_margins() -> None:
    moves = scenario_moves(0.18, 4)
    pre = leg_pnl(True, -ETH_Q * ETH_MARK, ETH_MARK, moves)
    np.testing.assert_allclose(pre, ETH_STANDARD, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(apply_pnl_offset(pre, 0.6), ETH_AGGREGATED, rtol=1e-8, atol=1e-12)

    plan = _plan(
        [{"symbol": "ETH-PERPETUAL", "side": "short", "quantity": ETH_Q * ETH_MARK, "entry_price": ETH_MARK}], balances={"ETH": 1.0}
    )
    pm = _pm(plan)
    eth = next(a for a in pm.accounts if a.currency == "ETH")
    assert eth.worst_loss == pytest.approx(0.15246412672881357, rel=1e-8)
    assert eth.worst_move == pytest.approx(0.18)
    assert eth.roll_shock == pytest.approx(0.004997435265, rel=1e-8)
    assert eth.initial_margin == pytest.approx(0.157461562265, rel=1e-8)
    assert eth.maintenance_margin == pytest.approx(0.125969249812, rel=1e-8)
    np.testing.assert_allclose(pm.groups[0].pnl, ETH_AGGREGATED, rtol=1e-8, atol=1e-12)


def test_deribit_btc_docs_example_vector_follows_one_size() -> None:
    """docs.deribit.com private/pme/simulate example: BTC-PERPETUAL standard vector (+/-16 %, 4 buckets a side)."""
    published = {-0.16: -0.05991206933333334, -0.12: -0.04289159509090909, -0.08: -0.027351162086956524}
    published |= {-0.04: -0.013105765166666668, 0.0: 0.0, 0.04: 0.012097629384615385}
    q = published[-0.16] / (1.0 - 1.0 / 0.84)  # size in BTC implied by the first entry
    moves = scenario_moves(0.16, 4)
    np.testing.assert_allclose(moves, [-0.16, -0.12, -0.08, -0.04, 0.0, 0.04, 0.08, 0.12, 0.16], atol=1e-15)
    got = leg_pnl(True, q * 60000.0, 60000.0, moves)  # the mark cancels: q x (1 - 1/(1+move))
    for mv, value in published.items():
        assert got[int(np.argmin(np.abs(moves - mv)))] == pytest.approx(value, rel=1e-9, abs=1e-15)
    # btc pnl_offset was 0 then: the published aggregated vector has zeros where the leg gains.
    assert np.all(apply_pnl_offset(got, 0.0)[4:] == 0.0)


# --------------------------------------------------------------------------- hand-computed books


def test_linear_usdc_short_segregated_by_hand() -> None:
    plan = _plan([{"symbol": "BTC_USDC-PERPETUAL", "side": "short", "quantity": 1.0, "entry_price": 100000.0}], balances={"USDC": 20000.0})
    usdc = next(a for a in _pm(plan).accounts if a.currency == "USDC")
    assert usdc.worst_loss == pytest.approx(16000.0)  # 1 BTC x 100,000 x 16 %
    assert usdc.worst_move == pytest.approx(0.16)
    assert usdc.roll_shock == pytest.approx(1000.0)  # BTC min_annualised_move 1 % of 100,000
    assert usdc.initial_margin == pytest.approx(17000.0)
    assert usdc.maintenance_margin == pytest.approx(13600.0)
    assert usdc.margin_ratio == pytest.approx(0.68)
    assert usdc.state == "safe"
    # standard beside it: 1 % + 1 BTC x 0.005 % of 100,000
    assert usdc.standard_maintenance_margin == pytest.approx(1005.0)
    assert usdc.saving == pytest.approx(1005.0 - 13600.0)


def test_hedged_example_saves_exactly_the_method_amount() -> None:
    plan = Plan.model_validate(json.loads(EXAMPLE.read_text()))
    pm = _pm(plan)
    (usd,) = pm.accounts
    assert usd.currency == "USD" and pm.collateral == "cross"
    assert usd.equity == pytest.approx(0.2 * 100000 + 5000)
    assert usd.worst_loss == pytest.approx(0.0, abs=1e-9)  # 0.2 BTC wallet + 100,000 USD inverse long - 1.2 BTC short = 0
    assert usd.roll_shock == pytest.approx(0.01 * (1.0 + 1.2) * 100000)
    assert usd.maintenance_margin == pytest.approx(0.8 * 2200.0)
    standard = 0.01005 * 100000 + (0.01 + 1.2 * 0.00005) * 1.2 * 100000  # BTC-PERPETUAL + BTC_USDC-PERPETUAL MM in USD
    assert usd.standard_maintenance_margin == pytest.approx(standard)
    assert usd.saving == pytest.approx(standard - 1760.0)
    assert usd.saving == pytest.approx(452.2)


def test_btc_long_against_eth_short_gets_no_cross_underlying_offset() -> None:
    """The correlation method is not published: each underlying's worst loss counts whole (no BTC/ETH offset)."""
    plan = _plan(
        [
            {"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 10000, "entry_price": 100000.0},
            {"symbol": "ETH-PERPETUAL", "side": "short", "quantity": 100000, "entry_price": 4000.0},
        ],
        balances={"USDC": 50000.0, "ETH": 0.0},
        cross=True,
    )
    (usd,) = _pm(plan).accounts
    assert usd.worst_loss == pytest.approx(100000 * 0.16 + 100000 * 0.18)
    assert usd.roll_shock == pytest.approx(0.01 * 100000 + 0.005 * 100000)
    assert usd.maintenance_margin == pytest.approx(0.8 * (34000 + 1500))
    standard = 0.01005 * 100000 + (0.01 + 25 * 0.000004) * 100000
    assert usd.saving == pytest.approx(standard - 28400.0)


# --------------------------------------------------------------------------- invariants


def test_scaling_every_position_and_wallet_scales_the_matrix() -> None:
    legs = [
        {"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 5000, "entry_price": 90000.0, "mark_price": 95000.0},
        {"symbol": "BTC_USDC-PERPETUAL", "side": "short", "quantity": 0.3, "entry_price": 97000.0, "mark_price": 95100.0},
    ]
    one = _pm(_plan(legs, wallet=0.1, balances={"USDC": 3000.0}, cross=True))
    three = _pm(_plan([{**p, "quantity": 3 * p["quantity"]} for p in legs], wallet=0.3, balances={"USDC": 9000.0}, cross=True))
    np.testing.assert_allclose(np.array(three.groups[0].pnl), 3 * np.array(one.groups[0].pnl), rtol=1e-9, atol=1e-9)
    assert three.accounts[0].initial_margin == pytest.approx(3 * one.accounts[0].initial_margin)
    assert three.accounts[0].maintenance_margin == pytest.approx(3 * one.accounts[0].maintenance_margin)
    assert three.accounts[0].margin_ratio == pytest.approx(one.accounts[0].margin_ratio)


def test_worst_loss_is_never_negative() -> None:
    rng = np.random.default_rng(7)
    v = rng.normal(size=(200, 9))
    loss, idx = worst_loss(v)
    assert np.all(loss >= 0.0)
    np.testing.assert_allclose(loss, np.maximum(0.0, -v.min(axis=1)))
    assert np.all(v[np.arange(200), idx] == v.min(axis=1))
    assert worst_loss(np.abs(v))[0].max() == 0.0


def test_liquidation_move_is_where_equity_meets_pm_mm() -> None:
    plan = _plan([{"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 30000, "entry_price": 100000.0}], wallet=1.0)
    btc = next(a for a in _pm(plan).accounts if a.currency == "BTC")
    assert btc.state == "safe"
    assert btc.liquidation_move_down is not None and -0.5 < btc.liquidation_move_down < 0
    at = evaluate(plan, DERIBIT, marks={"BTC-PERPETUAL": 100000.0 * (1 + btc.liquidation_move_down)}).portfolio
    assert at is not None
    after = next(a for a in at.accounts if a.currency == "BTC")
    assert after.equity == pytest.approx(after.maintenance_margin, rel=1e-6)


# --------------------------------------------------------------------------- errors and output


def test_portfolio_on_a_profile_without_a_rule_is_one_line_naming_the_field() -> None:
    plan = Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": 1000.0, "margin_model": "portfolio"},
            "positions": [{"symbol": "BTCUSDT", "side": "long", "quantity": 0.01, "entry_price": 50000.0, "leverage": 5}],
        }
    )
    with pytest.raises(PlannerError) as err:
        evaluate(plan, bundled_profiles()["binance-usdm"])
    text = str(err.value)
    assert "\n" not in text and "account.margin_model" in text and "deribit" in text and "binance-usdm" in text


def test_leg_without_published_parameters_is_refused() -> None:
    plan = _plan([{"symbol": "SOL_USDC-PERPETUAL", "side": "long", "quantity": 10.0, "entry_price": 150.0}], balances={"USDC": 1000.0})
    with pytest.raises(PlannerError, match=r"positions\.0\.symbol: SOL_USDC-PERPETUAL.*no portfolio-margin parameters for SOL"):
        evaluate(plan, DERIBIT)


def test_standard_plans_carry_no_portfolio_block() -> None:
    plan = _plan([{"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 1000, "entry_price": 100000.0}], wallet=1.0)
    std = plan.model_copy(update={"account": plan.account.model_copy(update={"margin_model": "standard"})})
    ev = evaluate(std, DERIBIT)
    assert ev.portfolio is None and "portfolio" not in ev.to_dict()


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = main(list(argv))
    return rc, out.getvalue()


def test_cli_evaluate_shows_pm_beside_standard_text_and_json() -> None:
    rc, text = _cli("evaluate", str(EXAMPLE))
    assert rc == 0
    assert "Portfolio USD: equity 25,000.00 USD, IM 2,200.00 USD, MM 1,760.00 USD" in text
    assert "standard margin beside it: IM 4,412.20 USD, MM 2,212.20 USD; portfolio MM saves 452.20 USD" in text
    rc, raw = _cli("evaluate", str(EXAMPLE), "--json")
    pm = json.loads(raw)["portfolio"]
    assert pm["collateral"] == "cross" and pm["accounts"][0]["saving"] == pytest.approx(452.2)
    assert pm["groups"][0]["moves"][0] == pytest.approx(-0.16)


# --------------------------------------------------------------------------- drills and the action plan on PM accounts


def _call_plan(model: str) -> Plan:
    return Plan.model_validate(
        {
            "profile": "deribit",
            "account": {"wallet_balance": 0.5, "margin_model": model},
            "positions": [
                {"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 30000, "entry_price": 100000.0, "mark_price": 95000.0,
                 "leverage": 10, "margin_mode": "isolated"},
                {"symbol": "BTC-PERPETUAL", "side": "short", "quantity": 10000, "entry_price": 100000.0, "mark_price": 95000.0,
                 "leverage": 10, "margin_mode": "cross"},
                {"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 20000, "entry_price": 99000.0, "mark_price": 95000.0,
                 "leverage": 10, "margin_mode": "cross"},
            ],
        }
    )  # fmt: skip


def test_action_plan_on_pm_proposes_no_isolated_steps() -> None:
    from planner.drills.actions import PORTFOLIO_NOT_ALLOWED, action_plan

    standard = {s.kind for s in action_plan(_call_plan("standard"), DERIBIT).steps}
    assert standard & PORTFOLIO_NOT_ALLOWED  # the same book under standard margin gets isolate / isolated top-up steps
    ap = action_plan(_call_plan("portfolio"), DERIBIT)
    kinds = [s.kind for s in ap.steps]
    assert not set(kinds) & PORTFOLIO_NOT_ALLOWED
    assert not any("isolated" in s.title and s.kind == "note" for s in ap.steps)
    assert ap.in_margin_call and "portfolio-margin account BTC" in ap.trigger
    top = next(s for s in ap.steps if s.kind == "top_up_portfolio")
    pm = _pm(_call_plan("portfolio"))
    btc = pm.accounts[0]
    assert top.amount == pytest.approx((btc.maintenance_margin / 0.8 - btc.equity) * 1.05)
    assert top.state_after == "safe" and top.ratio_after is not None and top.ratio_after < 0.8


def test_shock_uses_the_pm_requirement() -> None:
    from planner.drills.scenarios import shock

    hedged = Plan.model_validate(json.loads(EXAMPLE.read_text()))
    r = shock(hedged, DERIBIT, move=-0.3)
    assert r.evaluation.portfolio is not None
    assert r.evaluation.legs[0].state == "liquidation"  # the inverse leg alone, under its standard figures
    assert r.liquidated == [] and r.evaluation.portfolio.accounts[0].state == "safe"  # the PM account survives
    naked = _plan([{"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 30000, "entry_price": 100000.0}], wallet=1.0)
    hit = shock(naked, DERIBIT, move=-0.3)
    assert hit.liquidated == [0] and hit.cross_close_order == [0]


def test_compare_shows_pm_on_deribit_and_standard_elsewhere() -> None:
    from planner.drills.scenarios import compare_profiles

    hedged = Plan.model_validate(json.loads(EXAMPLE.read_text()))
    rows = {r.profile_id: r for r in compare_profiles(hedged, DERIBIT, list(bundled_profiles().values()))}
    assert any(n.startswith("portfolio margin (cross) USD: IM 2,200, MM 1,760 USD (standard MM 2,212.2)") for n in rows["deribit"].notes)
    assert any("has no portfolio margin" in n for n in rows["okx"].notes)


def test_path_walks_the_pm_account_and_finds_its_liquidation_hour() -> None:
    from planner.drills.paths import PricePath, run_path

    hours = np.linspace(0.0, 10.0, 101)
    factors = 1.0 - 0.03 * hours  # a steady 30 % fall over 10 h
    path = PricePath(hours, factors, relative=True, label="fall")
    plan = _plan([{"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 30000, "entry_price": 100000.0}], wallet=1.0)
    r = run_path(plan, DERIBIT, path)
    hour = r.portfolio_liquidation_hours["BTC"]
    move = _pm(plan).accounts[0].liquidation_move_down
    assert hour is not None and move is not None
    # no funding in this plan: the first path point past the PM liquidation move
    assert hour == pytest.approx(float(hours[np.nonzero(factors - 1.0 < move)[0][0]]))
    assert r.portfolio["BTC"].requirement[0] == pytest.approx(_pm(plan).accounts[0].maintenance_margin)
    std = plan.model_copy(update={"account": plan.account.model_copy(update={"margin_model": "standard"})})
    assert run_path(std, DERIBIT, path).portfolio == {}


def test_leg_by_leg_drills_say_they_use_standard_figures_on_pm_plans() -> None:
    rc, text = _cli("drill", str(EXAMPLE), "--scenario", "gap")
    assert rc == 0 and text.startswith("Note: portfolio-margin plan: this drill uses each leg's standard-margin figures")
    rc, text = _cli("drill", str(EXAMPLE), "--scenario", "shock", "--move", "-0.3")
    assert rc == 0 and "Portfolio USD: equity 25,000.00 USD, IM 1,840.00 USD, MM 1,472.00 USD" in text


@pytest.mark.parametrize("cross", [False, True])
def test_vectorised_requirement_equals_the_leg_by_leg_risk_vectors(cross: bool) -> None:
    """The account IM (legs summed before the scenarios, on a grid) equals worst loss + roll shock of the leg-by-leg vectors."""
    rng = np.random.default_rng(3)
    marks = {"BTC-PERPETUAL": 94100.0, "ETH-PERPETUAL": 3710.0, "BTC_USDC-PERPETUAL": 94160.0}  # one mark per symbol
    legs = []
    for _ in range(9):
        sym = str(rng.choice(["BTC-PERPETUAL", "ETH-PERPETUAL", "BTC_USDC-PERPETUAL"]))
        entry = {"BTC-PERPETUAL": 95000.0, "ETH-PERPETUAL": 3500.0, "BTC_USDC-PERPETUAL": 95100.0}[sym]
        qty = float(rng.integers(1, 50)) * (1000.0 if sym != "BTC_USDC-PERPETUAL" else 0.01)
        side = str(rng.choice(["long", "short"]))
        legs.append({"symbol": sym, "side": side, "quantity": qty, "entry_price": entry, "mark_price": marks[sym]})
    pm = _pm(_plan(legs, wallet=2.0, balances={"ETH": 10.0, "USDC": 50000.0}, cross=cross))
    for a in pm.accounts:
        assert a.initial_margin == pytest.approx(a.worst_loss + a.roll_shock, rel=1e-9, abs=1e-9)
        assert a.maintenance_margin == pytest.approx(0.8 * a.initial_margin)
        assert a.worst_loss >= 0.0


def test_event_monte_carlo_on_pm_matches_the_barrier_at_the_pm_liquidation_move() -> None:
    """One inverse long: the PM account is liquidated when the mark crosses mark x (1 + PM liquidation move)."""
    from planner.drills.montecarlo import MarketModel, barrier_hit_probability, liquidation_probability

    plan = _plan([{"symbol": "BTC-PERPETUAL", "side": "long", "quantity": 30000, "entry_price": 100000.0}], wallet=1.0)
    move = _pm(plan).accounts[0].liquidation_move_down
    assert move is not None
    model = MarketModel(volatility=0.6, correlation=1.0)
    hours, steps = 720.0, 480
    r = liquidation_probability(plan, DERIBIT, model=model, horizon_hours=hours, paths=4000, steps=steps, seed=5)
    # discrete monitoring: the barrier moves away by exp(-0.5826 sigma sqrt(dt)) (Broadie-Glasserman-Kou)
    dt = hours / (24 * 365) / steps
    barrier = 100000.0 * (1 + move) * np.exp(-0.5826 * 0.6 * np.sqrt(dt))
    expected = barrier_hit_probability(100000.0, barrier, 0.6, 0.0, hours / (24 * 365))
    assert 0.05 < expected < 0.95
    assert r.probability == pytest.approx(expected, abs=3 * r.half_width + 0.01)
    hedged = Plan.model_validate(json.loads(EXAMPLE.read_text()))
    assert liquidation_probability(hedged, DERIBIT, model=model, horizon_hours=24.0, paths=500, seed=1).probability == 0.0


def test_pm_stop_loss_sits_before_the_accounts_pm_liquidation() -> None:
    from planner.drills.actions import action_plan

    full = _call_plan("portfolio")
    plan = full.model_copy(update={"positions": full.positions[:2]})  # in a margin call, not yet liquidated
    btc = _pm(plan).accounts[0]
    assert btc.state == "margin_call" and btc.liquidation_move_down is not None
    pm_liq = 95000.0 * (1 + btc.liquidation_move_down)
    stop = next(s for s in action_plan(plan, DERIBIT).steps if s.kind == "stop_loss" and s.legs == (0,))
    assert f"before liquidation at {pm_liq:,.2f}" in stop.title
    assert stop.amount == pytest.approx(pm_liq + 0.005 * 95000.0)  # the 0.5 % buffer above the PM liquidation price


def test_perpetual_long_against_dated_short_nets_in_the_risk_matrix() -> None:
    """Issue 14's hedge: long BTC-PERPETUAL, short BTC-25DEC26 (both inverse, BTC-settled): each leg is repriced
    from its own contract kind and mark, so the matrix nets to the basis residue and the requirement is ~ the roll shock."""
    perp, fut = 100000.0, 101500.0  # the future trades at a basis
    n = 1_000_000.0  # USD notional of each leg
    plan = Plan.model_validate(
        {
            "profile": "deribit",
            "as_of": "2026-11-25T00:00:00Z",
            "account": {"wallet_balance": 2.0, "margin_model": "portfolio"},
            "positions": [
                {
                    "symbol": "BTC-PERPETUAL",
                    "side": "long",
                    "quantity": n / 10,
                    "entry_price": perp,
                    "leverage": 10,
                    "margin_mode": "cross",
                },
                {"symbol": "BTC-25DEC26", "side": "short", "quantity": n / 10, "entry_price": fut, "leverage": 10, "margin_mode": "cross"},
            ],
        }
    )
    btc = next(a for a in _pm(plan).accounts if a.currency == "BTC")
    moves = scenario_moves(0.16, 4)
    vec = leg_pnl(True, n, perp, moves) + leg_pnl(True, -n, fut, moves)  # (n/perp - n/fut) x (1 - 1/(1+move))
    assert btc.worst_loss == pytest.approx(float(worst_loss(apply_pnl_offset(vec, 0.0))[0]), rel=1e-9)
    assert btc.worst_loss == pytest.approx((n / perp - n / fut) * (1 / 0.84 - 1), rel=1e-9)  # the long's larger coin size at -16 %
    assert btc.roll_shock == pytest.approx(0.01 * (n / perp + n / fut), rel=1e-9)
    standard = btc.standard_maintenance_margin
    assert btc.maintenance_margin == pytest.approx(0.8 * (btc.worst_loss + btc.roll_shock))
    assert btc.saving == pytest.approx(standard - btc.maintenance_margin) and btc.saving > 0
