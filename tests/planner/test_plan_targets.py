"""Stop / take-profit figures per leg (issue 13 item 3): hand-computed cases and the evaluate CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.drills.plan_targets import plan_targets
from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.plan import Plan

USDM = get_profile("binance-usdm")
COINM = get_profile("binance-coinm")


def _plan(**btc: float) -> Plan:
    return Plan(
        profile="binance-usdm",
        account={"wallet_balance": 10_000.0},
        positions=[
            {"symbol": "BTCUSDT", "side": "long", "quantity": 1.0, "entry_price": 50_000.0, "leverage": 10, **btc},
            {"symbol": "ETHUSDT", "side": "short", "quantity": 2.0, "entry_price": 3_000.0, "leverage": 5},
        ],
    )


def test_linear_long_by_hand() -> None:
    plan = _plan(stop_price=49_000.0, take_profit_price=52_000.0)
    (t,) = plan_targets(plan, USDM, evaluate(plan, USDM), target_roe=0.5)
    # taker 0.05 %: stop 1,000 + 25 + 24.5 = 1,049.5 lost; TP 2,000 - 25 - 26 = 1,949 won; margin 5,000.
    assert t.index == 0 and t.stop is not None and t.take_profit is not None
    assert t.stop.pnl == pytest.approx(-1_049.5) and t.stop.roe == pytest.approx(-1_049.5 / 5_000)
    assert t.take_profit.pnl == pytest.approx(1_949.0) and t.take_profit.roe == pytest.approx(1_949.0 / 5_000)
    assert t.reward_risk == pytest.approx(1_949.0 / 1_049.5)
    assert t.roe_price == pytest.approx(52_500.0)  # 50,000 x (1 + 0.5 / 10)
    assert not t.liquidation_first


def test_only_legs_with_a_stop_or_take_profit_unless_every_leg() -> None:
    plan = _plan(take_profit_price=55_000.0)
    assert [t.index for t in plan_targets(plan, USDM)] == [0]
    assert plan_targets(plan, USDM)[0].stop is None and plan_targets(plan, USDM)[0].reward_risk is None
    assert [t.index for t in plan_targets(plan, USDM, every_leg=True)] == [0, 1]
    assert plan_targets(_plan(), USDM) == []


def test_stop_beyond_liquidation_is_flagged() -> None:
    # 10x isolated long: liquidation near 45,181, so a stop at 44,000 never fills.
    plan = _plan(stop_price=44_000.0)
    (t,) = plan_targets(plan, USDM, evaluate(plan, USDM))
    assert t.liquidation_price == pytest.approx(45_180.72289, rel=1e-9)
    assert t.liquidation_first


def test_inverse_short_by_hand() -> None:
    plan = Plan(
        profile="binance-coinm",
        account={"wallet_balance": 1.0, "balances": {"BTC": 1.0}},
        positions=[
            {
                "symbol": "BTCUSD_PERP",
                "side": "short",
                "quantity": 100,
                "entry_price": 50_000.0,
                "leverage": 10,
                "stop_price": 52_000.0,
                "take_profit_price": 40_000.0,
            }
        ],
    )
    (t,) = plan_targets(plan, COINM)
    f = COINM.fees.taker
    q = 100 * COINM.symbols["BTCUSD_PERP"].contract_size  # USD
    # inverse short: PnL = Q (1/P - 1/E) * (-1) ... in coin; fees f * Q / price on entry and exit.
    stop_pnl = -q * (1 / 50_000 - 1 / 52_000) - f * q * (1 / 50_000 + 1 / 52_000)
    tp_pnl = q * (1 / 40_000 - 1 / 50_000) - f * q * (1 / 50_000 + 1 / 40_000)
    assert t.stop is not None and t.take_profit is not None
    assert t.stop.pnl == pytest.approx(stop_pnl, rel=1e-12)
    assert t.take_profit.pnl == pytest.approx(tp_pnl, rel=1e-12)
    assert t.stop.roe == pytest.approx(stop_pnl / (q / 50_000 / 10), rel=1e-12)
    assert t.settle == "BTC"


def _write(tmp_path: Path, plan: Plan) -> str:
    path = tmp_path / "p.plan.json"
    path.write_text(plan.model_dump_json())
    return str(path)


def test_evaluate_cli_prints_targets_only_for_legs_that_have_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _plan(stop_price=49_000.0, take_profit_price=52_000.0))
    assert main(["evaluate", path]) == 0
    out = capsys.readouterr().out
    assert (
        "  #1 BTCUSDT long: stop 49,000.0: PnL -1,049.50 USDT, ROE -20.99%; take-profit 52,000.0: PnL +1,949.00 USDT, ROE 38.98%; R:R 1.86"
        in out
    )
    assert "#2 ETHUSDT short:" not in out
    assert main(["evaluate", path, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["leg"] for r in data["targets"]] == [1]
    row = data["targets"][0]
    assert row["stop"]["pnl"] == pytest.approx(-1_049.5) and row["take_profit"]["pnl"] == pytest.approx(1_949.0)
    assert row["reward_risk"] == pytest.approx(1_949.0 / 1_049.5) and row["liquidation_first"] is False


def test_evaluate_cli_without_targets_is_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _plan())
    assert main(["evaluate", path]) == 0
    assert "Stops and take-profits" not in capsys.readouterr().out
    assert main(["evaluate", path, "--json"]) == 0
    assert "targets" not in json.loads(capsys.readouterr().out)


def test_venue_mapping_scales_stop_and_take_profit_with_the_price_unit() -> None:
    from planner.engine.venues import map_plan

    spec = USDM.symbols["SOLUSDT"]
    src = USDM.model_copy(update={"id": "src", "symbols": {"1000PEPEUSDT": spec.model_copy(update={"base": "1000PEPE"})}})
    tgt = USDM.model_copy(update={"id": "tgt", "symbols": {"PEPE-USDT-SWAP": spec.model_copy(update={"base": "PEPE"})}})
    leg = {"symbol": "1000PEPEUSDT", "side": "long", "quantity": 1e5, "entry_price": 0.012, "leverage": 5}
    plan = Plan.model_validate(
        {"profile": "src", "account": {"wallet_balance": 1000.0}, "positions": [{**leg, "stop_price": 0.011, "take_profit_price": 0.015}]}
    )
    pos = map_plan(plan, tgt, src).plan.positions[0]
    # price per PEPE = price per 1000 PEPE / 1000: the exits stay below / above the entry 0.000012.
    assert pos.stop_price == pytest.approx(0.000011) and pos.take_profit_price == pytest.approx(0.000015)
    Plan.model_validate(map_plan(plan, tgt, src).plan.model_dump())  # still a valid plan
