"""``position-planner payoff``: the book's PnL against one coin, betas typed as on the command line, break-evens."""

from __future__ import annotations

import json

import numpy as np
import pytest

from planner.cli.main import main
from planner.drills.sizing import payoff
from planner.io.plan_files import load_plan, resolve_profile
from planner.present.payoff import breakevens, parse_betas, resolve_coin

BOOK10 = "tests/data/screenshots/book-10-legs.plan.json"
EXAMPLE = "resources/examples/btc-10x-isolated.plan.json"


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_equals_payoff_and_hand_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "payoff", EXAMPLE, "--coin", "btc", "--beta", "ETH=0.5", "--points", "5", "--span", "0.2", "--json")
    assert code == 0
    d = json.loads(out)
    plan = load_plan(EXAMPLE)
    profile = resolve_profile(plan)
    po = payoff(plan, profile, "BTCUSDT", beta={"ETHUSDT": 0.5}, n=5, span=0.2)
    assert d["symbol"] == "BTCUSDT" and d["currency"] == "USDT" and d["mark"] == 50_000.0
    assert d["betas"] == {"BTCUSDT": 1.0, "ETHUSDT": 0.5}
    assert d["prices"] == po.prices.tolist()
    assert d["prices"] == pytest.approx([40_000.0, 45_000.0, 50_000.0, 55_000.0, 60_000.0], rel=1e-15)
    assert d["pnl"] == po.pnl.tolist()
    # By hand at BTC 40,000 (-20 %): BTC 1 long from 50,000 loses 10,000; ETH (mark 2,950) moves
    # 0.8 ** 0.5 and the 20 ETH long from 3,000 makes 20 x (2,950 x 0.894427... - 3,000).
    eth = 2_950.0 * 0.8**0.5
    assert d["pnl"][0] == pytest.approx(-10_000.0 + 20 * (eth - 3_000.0), rel=1e-12)
    # The isolated BTC leg loses at most its 5,000 margin once liquidated.
    assert d["pnl_capped"][0] == pytest.approx(-5_000.0 + 20 * (eth - 3_000.0), rel=1e-12)
    assert d["legs"][0]["liquidation_on_axis"] == po.liquidation_on_axis[0]
    (be,) = d["breakevens"]
    at = payoff(plan, profile, "BTCUSDT", np.array([be - 0.001, be + 0.001]), beta={"ETHUSDT": 0.5}).pnl
    assert at[0] < 0 < at[1]


def test_text_lists_rows_breakeven_and_liquidations(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "payoff", BOOK10, "--points", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Payoff of the book against BTCUSDT (mark 60,000.0)")
    assert "42,000.0  -13,995.00" in out and "60,000.0     +855.00" in out and "78,000.0  +15,705.00" in out
    assert "break-even BTCUSDT price: 58,963.6" in out
    assert "leg #4 short BTCUSDT: liquidated at BTCUSDT 75,298.8" in out
    assert "leg #1 long BTCUSDT: no liquidation price" in out


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--coin", "XRP"], "--coin: 'XRP' is not a coin of the plan; allowed: BTC, ETH"),
        (["--beta", "ETH=x"], "--beta: item 1 'ETH=x' is not a beta"),
        (["--beta", "DOGE=1"], "--beta: 'DOGE' is not a coin of the plan"),
        (["--beta", "99"], "--beta: item 1 '99': a beta must be a number from -10 to 10"),
        (["--span", "1.5"], "--span: must be a fraction above 0 and below 1"),
        (["--points", "1"], "--points: must be 2 to 2001"),
    ],
)
def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], extra: list[str], needle: str) -> None:
    code, out, err = _cli(capsys, "payoff", BOOK10, *extra)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1


def test_parse_betas_and_coin() -> None:
    plan = load_plan(BOOK10)
    profile = resolve_profile(plan)
    assert resolve_coin("sol", plan, profile) == "SOLUSDT" and resolve_coin("ETHUSDT", plan, profile) == "ETHUSDT"
    assert parse_betas("", plan, profile) == {"BTCUSDT": 1.0, "ETHUSDT": 1.0, "SOLUSDT": 1.0}
    assert parse_betas("0, SOL=1.5", plan, profile) == {"BTCUSDT": 0.0, "ETHUSDT": 0.0, "SOLUSDT": 1.5}
    # beta 0: the other coins stay put, so only BTC legs move with the axis.
    po = payoff(plan, profile, "BTCUSDT", np.array([60_000.0, 66_000.0]), beta=parse_betas("0", plan, profile))
    btc = [i for i, p in enumerate(plan.positions) if p.symbol == "BTCUSDT"]
    signed = sum(plan.positions[i].side.sign * plan.positions[i].quantity for i in btc)
    assert po.pnl[1] - po.pnl[0] == pytest.approx(6_000.0 * signed, rel=1e-12)
    assert breakevens(plan, profile, payoff(plan, profile, "BTCUSDT", np.linspace(70_000, 80_000, 11))) == []
