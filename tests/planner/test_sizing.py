"""Size from risk, Max Open, targets, ladder and payoff: hand-computed cases and invariants."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from planner.cli.main import main
from planner.drills.sizing import (
    apply_fill,
    isolated_liquidation,
    ladder,
    leg_targets,
    max_open,
    parse_orders,
    parse_risk,
    payoff,
    size_from_risk,
)
from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan

USDM = get_profile("binance-usdm")
COINM = get_profile("binance-coinm")


def test_linear_long_loss_at_stop_equals_risk_by_hand() -> None:
    # per BTC: 1,000 price loss + 0.05 % x 50,000 entry fee + 0.05 % x 49,000 exit fee = 1,049.5 USDT
    r = size_from_risk(USDM, "BTCUSDT", "long", entry=50_000, stop=49_000, wallet=10_000, risk="1%", leverage=10)
    assert r.risk_amount == pytest.approx(100.0)
    assert r.quantity == pytest.approx(100.0 / 1049.5, rel=1e-12)
    assert r.loss_at_stop == pytest.approx(100.0, rel=1e-12)
    assert r.entry_fee == pytest.approx(0.0005 * 50_000 * 100 / 1049.5)
    assert r.initial_margin == pytest.approx(50_000 * 100 / 1049.5 / 10)
    # isolated 10x, tier 1 (0.4 %): LP = E (1 - 1/L) / (1 - 0.004)
    assert r.liquidation_price == pytest.approx(50_000 * 0.9 / 0.996, rel=1e-9)
    # leverage where the liquidation reaches the stop: 1 - 1/L = 49,000 x 0.996 / 50,000
    assert r.max_safe_leverage == pytest.approx(1 / (1 - 49_000 * 0.996 / 50_000), rel=1e-6)
    # the stop gaps 0.2 % to 48,902: 1,098 + 0.0005 x (50,000 + 48,902) per BTC
    assert r.gap_fill_price == pytest.approx(48_902.0)
    assert r.loss_at_gap == pytest.approx(r.quantity * (1098 + 0.0005 * 98_902), rel=1e-12)
    assert r.quantity_rounded == pytest.approx(0.095)


def test_inverse_short_loss_at_stop_equals_risk_by_hand() -> None:
    # Q (USD) = 0.01 / ((1/50,000 - 1/51,000) + 0.0005 (1/50,000 + 1/51,000)); 100 USD per contract
    per_usd = (1 / 50_000 - 1 / 51_000) + 0.0005 * (1 / 50_000 + 1 / 51_000)
    r = size_from_risk(COINM, "BTCUSD_PERP", "short", entry=50_000, stop=51_000, wallet=1.0, risk="0.01BTC", leverage=20)
    assert r.quantity == pytest.approx(0.01 / per_usd / 100.0, rel=1e-12)
    assert r.quantity_unit == "contracts"
    assert r.loss_at_stop == pytest.approx(0.01, rel=1e-12)
    assert r.initial_margin == pytest.approx(0.01 / per_usd / 50_000 / 20, rel=1e-12)
    assert r.quantity_rounded == math.floor(r.quantity)


@pytest.mark.parametrize(
    "profile_id,symbol", [("bybit-linear", "BTCUSDT"), ("okx", "BTC-USDT-SWAP"), ("hyperliquid", "BTC"), ("bybit-inverse", "BTCUSD")]
)
@pytest.mark.parametrize("side,stop", [("long", 48_500.0), ("short", 51_500.0)])
def test_loss_equals_risk_and_liquidation_matches_evaluate(profile_id: str, symbol: str, side: str, stop: float) -> None:
    prof = get_profile(profile_id)
    inverse = prof.symbols[symbol].contract.value == "inverse"
    wallet = 2.0 if inverse else 20_000.0
    r = size_from_risk(prof, symbol, side, entry=50_000, stop=stop, wallet=wallet, risk=0.02)
    assert r.loss_at_stop == pytest.approx(0.02 * wallet, rel=1e-12)
    plan = Plan(
        profile=prof,
        account={"wallet_balance": wallet, "balances": {prof.symbols[symbol].settle: wallet}},
        positions=[{"symbol": symbol, "side": side, "quantity": r.quantity, "entry_price": 50_000.0, "leverage": r.leverage}],
    )
    ev = evaluate(plan, prof)
    assert r.liquidation_price == pytest.approx(ev.legs[0].liquidation_price, rel=1e-9)
    assert r.initial_margin == pytest.approx(ev.legs[0].initial_margin, rel=1e-12)
    # the chosen leverage keeps the liquidation beyond the gapped fill; one more x does not
    s = 1 if side == "long" else -1
    assert s * (r.gap_fill_price - r.liquidation_price) > 0
    if r.leverage < ev.legs[0].max_leverage:
        lp_next = float(
            isolated_liquidation(
                prof, prof.symbols[symbol], s, r.quantity * (prof.symbols[symbol].contract_size if inverse else 1), 50_000.0, r.leverage + 1
            )[0]
        )
        assert s * (r.gap_fill_price - lp_next) <= 0


def test_refusal_names_the_leverage_to_use() -> None:
    with pytest.raises(PlannerError) as err:
        size_from_risk(USDM, "BTCUSDT", "long", entry=50_000, stop=49_000, wallet=10_000, risk=0.01, leverage=60)
    assert err.value.problems[0].path == "leverage"
    assert "use at most 41x" in str(err.value)
    # 41x is accepted (liquidation 48,976 beyond the stop) but warned about the gap
    r = size_from_risk(USDM, "BTCUSDT", "long", entry=50_000, stop=49_000, wallet=10_000, risk=0.01, leverage=41)
    assert r.liquidation_price is not None and r.liquidation_price < 49_000
    assert r.liquidation_before_gap_fill


def test_size_beyond_the_last_tier_is_refused() -> None:
    # OKX's bundled table stops at 5 BTC (500 contracts)
    with pytest.raises(PlannerError) as err:
        size_from_risk(get_profile("okx"), "BTC-USDT-SWAP", "long", entry=50_000, stop=49_900, wallet=100_000, risk=0.05)
    assert err.value.problems[0].path == "risk" and "largest tier" in str(err.value)


def test_wallet_too_small_for_margin() -> None:
    with pytest.raises(PlannerError) as err:
        size_from_risk(USDM, "BTCUSDT", "long", entry=50_000, stop=49_900, wallet=1_000, risk=0.05, leverage=1)
    assert err.value.problems[0].path == "wallet"
    assert "use at least" in str(err.value)


@pytest.mark.parametrize(
    "text,expected",
    [("1%", 100.0), ("0.01", 100.0), ("1", 10_000.0), (0.02, 200.0), ("250", 250.0), ("25 USDT", 25.0), ("0.5usdt", 0.5)],
)
def test_parse_risk_rule(text: str | float, expected: float) -> None:
    assert parse_risk(text, 10_000.0, "USDT") == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "-1", "0", "101%", "20000", "5BTC", ""])
def test_parse_risk_refuses(text: str) -> None:
    with pytest.raises(PlannerError) as err:
        parse_risk(text, 10_000.0, "USDT")
    assert err.value.problems[0].path == "risk"


def test_max_open_by_hand_and_tier_cap() -> None:
    # 1,000 USDT at 10x: value (1/10 + 0.0005) = 1,000 -> 9,950.25 USDT
    q, v = max_open(USDM, "BTCUSDT", 50_000.0, 1_000.0, 10)
    assert v == pytest.approx(1_000 / 0.1005)
    assert q == pytest.approx(v / 50_000)
    # a huge wallet at 125x is held by the tier cap of the tiers allowing 125x
    spec = USDM.symbols["BTCUSDT"]
    cap = max(t.notional_cap or math.inf for t in spec.tiers if t.max_leverage >= 125)
    _, v = max_open(USDM, "BTCUSDT", 50_000.0, 1e9, 125)
    assert v == pytest.approx(cap)


def test_targets_net_of_fees_and_roe_price() -> None:
    r = size_from_risk(
        USDM, "BTCUSDT", "long", entry=50_000, stop=49_000, wallet=10_000, risk="1%", leverage=10, take_profits=[52_000], target_roes=[0.5]
    )
    stop_row, tp = r.targets
    assert stop_row.pnl == pytest.approx(-100.0)
    # 2,000 - 0.0005 x (50,000 + 52,000) = 1,949 per BTC
    assert tp.pnl == pytest.approx(r.quantity * 1949.0)
    assert tp.pnl_gross == pytest.approx(r.quantity * 2000.0)
    assert tp.reward_risk == pytest.approx(1949.0 / 1049.5)
    assert tp.roe == pytest.approx(r.quantity * 1949.0 / r.initial_margin)
    assert r.target_roe_prices["0.5"] == pytest.approx(52_500.0)


def _plan() -> Plan:
    return Plan(
        profile="binance-usdm",
        account={"wallet_balance": 20_000.0},
        positions=[
            {"symbol": "BTCUSDT", "side": "long", "quantity": 0.1, "entry_price": 50_000.0, "leverage": 10},
            {"symbol": "ETHUSDT", "side": "short", "quantity": 2.0, "entry_price": 3_000.0, "leverage": 20, "margin_mode": "cross"},
        ],
    )


def test_leg_targets() -> None:
    rows, roe = leg_targets(_plan(), USDM, 1, stop=3_100.0, take_profits=[2_800.0], target_roes=[1.0])
    assert rows[0].pnl == pytest.approx(-2 * (100 + 0.0005 * 6_100))
    assert rows[1].pnl == pytest.approx(2 * (200 - 0.0005 * 5_800))
    assert roe["1"] == pytest.approx(3_000 * (1 - 1 / 20))


def test_ladder_rows_equal_evaluate_of_the_filled_plan() -> None:
    plan = _plan()
    orders = parse_orders("48000:0.1, 46000:0.2")
    rows, final = ladder(plan, USDM, 0, orders)
    assert [r.fill for r in rows] == [0, 1, 2]
    assert rows[1].average_entry == pytest.approx(49_000.0)
    assert rows[2].average_entry == pytest.approx((5_000 + 4_800 + 9_200) / 0.4)
    assert rows[2].quantity == pytest.approx(0.4)
    current = plan
    for row, (price, qty) in zip(rows[1:], orders, strict=True):
        current = apply_fill(current, USDM, 0, price, qty)
        leg = evaluate(current, USDM).legs[0]
        assert row.liquidation_price == leg.liquidation_price
        assert row.initial_margin == leg.initial_margin
        assert row.margin_ratio == leg.margin_ratio
    assert final == current
    # an assigned isolated margin grows by each fill's initial margin
    fixed = plan.model_copy(update={"positions": [plan.positions[0].model_copy(update={"isolated_margin": 600.0}), plan.positions[1]]})
    assert apply_fill(fixed, USDM, 0, 48_000.0, 0.1).positions[0].isolated_margin == pytest.approx(600 + 480)


@pytest.mark.parametrize("text", ["", "48000", "48000:x", "48000:0.1:2", "-1:0.1", "48000:0"])
def test_parse_orders_refuses(text: str) -> None:
    with pytest.raises(PlannerError) as err:
        parse_orders(text)
    assert err.value.problems[0].path == "--orders"


def test_ladder_names_the_order_that_breaks_the_plan() -> None:
    with pytest.raises(PlannerError) as err:
        ladder(_plan(), USDM, 0, [(48_000.0, 0.1), (48_000.0, 100.0)])
    assert "order 2" in str(err.value)


def test_payoff_beta_and_caps() -> None:
    plan = _plan()
    grid = np.array([40_000.0, 50_000.0, 60_000.0])
    po = payoff(plan, USDM, "BTCUSDT", grid, beta={"ETHUSDT": 2.0})
    eth = 3_000.0 * (grid / 50_000.0) ** 2
    assert po.pnl_legs[0] == pytest.approx(0.1 * (grid - 50_000))
    assert po.pnl_legs[1] == pytest.approx(-2 * (eth - 3_000))
    assert po.pnl == pytest.approx(po.pnl_legs.sum(axis=0))
    # the isolated BTC leg loses at most its 500 USDT margin
    assert po.pnl_capped[0] == pytest.approx(-500.0 + po.pnl_legs[1][0])
    lp = evaluate(plan, USDM).legs[0].liquidation_price
    assert po.liquidation_on_axis[0] == pytest.approx(lp)
    flat = payoff(plan, USDM, "BTCUSDT", grid, beta=0.0)
    assert flat.pnl_legs[1] == pytest.approx(0.0)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


SIZE = [
    "size",
    "--profile",
    "binance-usdm",
    "--symbol",
    "BTCUSDT",
    "--side",
    "long",
    "--entry",
    "50000",
    "--stop",
    "49000",
    "--wallet",
    "10000",
]


def test_cli_size_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, *SIZE, "--risk", "1%", "--leverage", "10", "--json")
    assert code == 0
    d = json.loads(out)
    for key in ("quantity", "risk_amount", "loss_at_stop", "liquidation_price", "initial_margin", "max_quantity"):
        assert key in d
    assert d["loss_at_stop"] == pytest.approx(100.0)
    assert d["max_quantity"] == pytest.approx(10_000 / 0.1005 / 50_000)


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--risk", "1%", "--leverage", "60"], "--leverage: at 60x liquidation"),
        (["--risk", "lots"], "--risk:"),
        (["--risk", "1%", "--take-profit", "52000,x"], "--take-profit:"),
    ],
)
def test_cli_size_errors(capsys: pytest.CaptureFixture[str], extra: list[str], needle: str) -> None:
    code, out, err = _cli(capsys, *SIZE, *extra)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1


EXAMPLE = "resources/examples/btc-10x-isolated.plan.json"


def test_cli_ladder_json_matches_engine(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    code, out, _ = _cli(capsys, "ladder", EXAMPLE, "--leg", "1", "--orders", "48000:0.5,46000:0.5", "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [r["average_entry"] for r in rows] == pytest.approx([50_000.0, 49_333.333333, 48_500.0])
    # isolated margin 5,000 assigned: + 0.5 x 48,000 / 10 + 0.5 x 46,000 / 10
    assert rows[-1]["initial_margin"] == pytest.approx(9_700.0)


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--leg", "3", "--orders", "1:1"], "--leg: must be 1 to 2"),
        (["--leg", "1", "--orders", "48000:x"], "--orders: order 1"),
        (["--leg", "1", "--orders", "48000:10"], "order 1 (48000:10)"),
    ],
)
def test_cli_ladder_errors(capsys: pytest.CaptureFixture[str], extra: list[str], needle: str) -> None:
    code, out, err = _cli(capsys, "ladder", EXAMPLE, *extra)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1


# ---------------------------------------------------------------------------
# invariants over random trades (every bundled profile's first symbol)
# ---------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from planner.io.registry import bundled_profiles  # noqa: E402

_CASES = [(pid, next(iter(p.symbols))) for pid, p in sorted(bundled_profiles().items())]


@settings(deadline=None, max_examples=60)
@given(
    case=st.sampled_from(_CASES),
    long=st.booleans(),
    entry=st.floats(100.0, 100_000.0),
    stop_pct=st.floats(0.002, 0.2),
    risk=st.floats(0.001, 0.05),
)
def test_loss_at_stop_equals_risk_and_liquidation_beyond_stop(
    case: tuple[str, str], long: bool, entry: float, stop_pct: float, risk: float
) -> None:
    pid, sym = case
    prof = get_profile(pid)
    inverse = prof.symbols[sym].contract.value == "inverse"
    wallet = 10.0 if inverse else 100_000.0
    s = 1 if long else -1
    stop = entry * (1 - s * stop_pct)
    try:
        r = size_from_risk(prof, sym, "long" if long else "short", entry=entry, stop=stop, wallet=wallet, risk=risk)
    except PlannerError as exc:
        # only refusals that name a field and say what to do
        assert exc.problems[0].path in ("wallet", "stop", "leverage", "risk"), exc.describe()
        return
    assert r.loss_at_stop == pytest.approx(risk * wallet, rel=1e-9)
    assert r.loss_at_gap >= r.loss_at_stop
    assert r.initial_margin + r.entry_fee <= wallet * (1 + 1e-9)
    if r.liquidation_price is not None:
        assert s * (r.stop - r.liquidation_price) > 0  # the stop triggers first
    assert r.quantity <= r.max_quantity * (1 + 1e-9) or r.leverage < 1.0


def test_inverse_ladder_harmonic_entry_and_payoff_in_quote() -> None:
    plan = Plan(
        profile="binance-coinm",
        account={"wallet_balance": 1.0},
        positions=[{"symbol": "BTCUSD_PERP", "side": "long", "quantity": 100, "entry_price": 50_000.0, "leverage": 10}],
    )
    rows, final = ladder(plan, COINM, 0, [(40_000.0, 100.0)])
    # 200 contracts x 100 USD over (10,000/50,000 + 10,000/40,000) BTC
    assert rows[1].average_entry == pytest.approx(20_000 / (0.2 + 0.25))
    assert rows[1].initial_margin == pytest.approx((0.2 + 0.25) / 10)  # coin: each fill's value / leverage
    start_of_final = ladder(final, COINM, 0, [])[0][0]
    assert (rows[1].liquidation_price, rows[1].margin_ratio) == (start_of_final.liquidation_price, start_of_final.margin_ratio)
    po = payoff(plan, COINM, "BTCUSD_PERP", np.array([40_000.0, 60_000.0]))
    # 10,000 USD x (1/50,000 - 1/P) BTC, converted at P
    assert po.pnl == pytest.approx([10_000 * (1 / 50_000 - 1 / 40_000) * 40_000, 10_000 * (1 / 50_000 - 1 / 60_000) * 60_000])


def test_cli_size_text_and_ladder_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, *SIZE, "--risk", "100", "--leverage", "10", "--take-profit", "52000")
    assert code == 0
    assert "quantity 0.095283468 BTC" in out and "loss at the stop 100.00 USDT" in out
    assert "liquidation 45,180.8" in out and "R:R 1.86" in out
    code, out, _ = _cli(capsys, "ladder", EXAMPLE, "--leg", "1", "--orders", "48000:0.5")
    # value 1.5 x 48,000 stays in tier 1 (0.4 %): (74,000 - 7,400) / (1.5 x 0.996)
    assert code == 0 and "49,333.3" in out and "44,578.4" in out


def test_bybit_position_margin_holds_the_fee_to_close() -> None:
    bybit = get_profile("bybit-linear")
    r = size_from_risk(bybit, "BTCUSDT", "long", entry=50_000, stop=49_000, wallet=10_000, risk=100, leverage=10)
    q = 100 / (1_000 + 0.00055 * 99_000)
    assert r.quantity == pytest.approx(q, rel=1e-12)
    # bankruptcy of a 10x long = 45,000; fee to close there 0.055 %
    assert r.position_margin == pytest.approx(q * 5_000 + q * 45_000 * 0.00055, rel=1e-12)
    plan = Plan(
        profile="bybit-linear",
        account={"wallet_balance": 10_000.0},
        positions=[{"symbol": "BTCUSDT", "side": "long", "quantity": q, "entry_price": 50_000.0, "leverage": 10}],
    )
    leg = evaluate(plan, bybit).legs[0]
    assert r.position_margin == pytest.approx(leg.collateral, rel=1e-12)
    assert r.liquidation_price == pytest.approx(leg.liquidation_price, rel=1e-12)
    _, v = max_open(bybit, "BTCUSDT", 50_000.0, 1_000.0, 10)
    assert v == pytest.approx(1_000 / (0.1 + 0.00055 + 0.00055 * 1.1))
