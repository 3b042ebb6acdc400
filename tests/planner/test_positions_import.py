"""Import positions from saved venue responses (samples built from the documented shapes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.engine.evaluate import evaluate
from planner.io.plan_files import load_plan, resolve_profile
from planner.io.positions_import import detect_format, import_positions, positions_from_data
from planner.io.registry import get_profile
from planner.model.errors import PlannerError

DATA = Path(__file__).resolve().parent.parent / "data" / "positions"


def test_binance_position_risk() -> None:
    r = import_positions(DATA / "binance_positionrisk_v2.json", wallet=20_000.0)
    assert r.format == "binance" and r.plan.profile == "binance-usdm"
    btc, eth = r.plan.positions  # the zero-size SOLUSDT row is skipped
    assert (btc.side.value, btc.quantity, btc.entry_price, btc.mark_price, btc.leverage) == ("long", 0.5, 60_000.0, 61_000.0, 10.0)
    assert btc.margin_mode.value == "isolated" and btc.isolated_margin == 3_000.0  # isolatedWallet, not wallet + uPnL
    assert (eth.side.value, eth.quantity, eth.margin_mode.value, eth.isolated_margin) == ("short", 4.0, "cross", None)
    assert r.plan.account.wallet_balance == 20_000.0 and r.notes == []
    # the venue's own liquidation price for the isolated leg (54,216.87 in the response)
    ev = evaluate(r.plan, get_profile("binance-usdm"))
    assert ev.legs[0].liquidation_price == pytest.approx(54_216.867469879515)


def test_binance_without_wallet_uses_margins_in_use() -> None:
    r = import_positions(DATA / "binance_positionrisk_v2.json")
    # 3,000 isolated + 4 x 3,000 / 20 cross initial margin
    assert r.plan.account.wallet_balance == pytest.approx(3_600.0)
    assert "--wallet" in r.notes[0]


def test_bybit_position_list() -> None:
    r = import_positions(DATA / "bybit_position_list.json")
    assert r.format == "bybit" and r.plan.profile == "bybit-linear"
    (leg,) = r.plan.positions
    assert (leg.side.value, leg.quantity, leg.entry_price, leg.mark_price, leg.isolated_margin) == (
        "long",
        0.2,
        60_000.0,
        60_500.0,
        1_200.0,
    )


def test_okx_contracts_become_base_units() -> None:
    r = import_positions(DATA / "okx_positions.json")
    (leg,) = r.plan.positions
    # 50 contracts x 0.01 BTC
    assert leg.symbol == "BTC-USDT-SWAP" and leg.quantity == pytest.approx(0.5) and leg.side.value == "long"
    assert leg.isolated_margin == 1_500.0 and leg.leverage == 20.0


def test_hyperliquid_clearinghouse_state() -> None:
    r = import_positions(DATA / "hyperliquid_clearinghouse_state.json")
    eth, btc = r.plan.positions
    assert (eth.side.value, eth.quantity, eth.mark_price, eth.margin_mode.value) == ("short", 2.0, 2_950.0, "cross")
    assert (btc.side.value, btc.quantity, btc.mark_price, btc.margin_mode.value) == ("long", 0.1, 61_000.0, "isolated")
    assert btc.isolated_margin == pytest.approx(600.0)  # marginUsed 700 less uPnL 100
    assert r.plan.account.wallet_balance == pytest.approx(10_000.0)  # accountValue 10,200 less uPnL 200


def test_ccxt_needs_profile_and_maps_symbols() -> None:
    with pytest.raises(PlannerError, match="--profile"):
        import_positions(DATA / "ccxt_fetch_positions.json")
    r = import_positions(DATA / "ccxt_fetch_positions.json", profile=get_profile("binance-usdm"), wallet=15_000.0)
    btc, eth = r.plan.positions
    assert btc.symbol == "BTCUSDT" and btc.isolated_margin == pytest.approx(3_000.0)
    assert eth.symbol == "ETHUSDT" and eth.side.value == "short"


@pytest.mark.parametrize(
    "data,path",
    [
        ([{"positionAmt": "1", "symbol": "BTCUSDT", "entryPrice": "abc", "leverage": "10"}], "0.entryPrice"),
        ([{"positionAmt": "1", "symbol": "BTCUSDT", "leverage": "10"}], "0.entryPrice"),
        ([{"positionAmt": "1", "symbol": "NOSUCHCOINUSDT", "entryPrice": "1", "leverage": "10"}], "0.symbol"),
        ({"retCode": 0, "result": {"list": [{"symbol": "BTCUSDT", "side": "Up", "size": "1"}]}}, "result.list.0.side"),
        (
            {"code": "0", "data": [{"instId": "BTC-USDT-SWAP", "pos": "1", "avgPx": "1", "mgnMode": "portfolio", "lever": "5"}]},
            "data.0.mgnMode",
        ),
        (
            {"assetPositions": [{"position": {"coin": "BTC", "szi": "0.1", "entryPx": "60000", "leverage": 5}}]},
            "assetPositions.0.position.leverage",
        ),
    ],
)
def test_errors_name_the_field(data: object, path: str) -> None:
    with pytest.raises(PlannerError) as err:
        positions_from_data(data, source="x.json")
    assert err.value.problems[0].path == path


def test_unknown_shape_and_empty() -> None:
    assert detect_format({"a": 1}) is None
    with pytest.raises(PlannerError, match="not a recognised positions response"):
        positions_from_data({"a": 1})
    with pytest.raises(PlannerError, match="no open positions"):
        positions_from_data([{"positionAmt": "0", "symbol": "BTCUSDT"}])


def test_cli_import_positions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "imported.plan.json"
    code = main(["import-positions", str(DATA / "hyperliquid_clearinghouse_state.json"), "--out", str(out_file)])
    out, _ = capsys.readouterr()
    assert code == 0 and "saved" in out
    plan = load_plan(out_file)
    assert len(plan.positions) == 2 and resolve_profile(plan).id == "hyperliquid"
    code = main(["import-positions", str(DATA / "okx_positions.json")])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["positions"][0]["quantity"] == pytest.approx(0.5)
    bad = tmp_path / "bad.json"
    bad.write_text('[{"positionAmt": "1", "symbol": "BTCUSDT", "entryPrice": "50000", "leverage": "500"}]')
    code = main(["import-positions", str(bad)])
    _, err = capsys.readouterr()
    assert code == 2 and "0 (plan positions.0.leverage): 500x exceeds" in err and err.count("\n") == 1
