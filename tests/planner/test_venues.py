"""One mapping between venues: coin keys, equal-USD conversion, wallets, funding, reasons (hand-computed numbers)."""

from __future__ import annotations

import pytest

from planner.engine.evaluate import evaluate
from planner.engine.venues import map_leg_to, map_plan
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.symbols import canonical_coin, coin_key, parse_symbol


@pytest.mark.parametrize(
    ("symbol", "base", "coin", "mult"),
    [
        ("BTCUSDT", None, "BTC", 1.0),
        ("BTC-USDT-SWAP", None, "BTC", 1.0),
        ("PF_XBTUSD", None, "BTC", 1.0),
        ("PI_XBTUSD", "BTC", "BTC", 1.0),
        ("BTCUSD_PERP", None, "BTC", 1.0),
        ("BTC-PERPETUAL", None, "BTC", 1.0),
        ("BTC_USDC-PERPETUAL", None, "BTC", 1.0),
        ("SOL-PERP", None, "SOL", 1.0),
        ("1000PEPEUSDT", None, "PEPE", 1000.0),
        ("kPEPE", None, "PEPE", 1000.0),
        ("1000000MOGUSDT", None, "MOG", 1e6),
        ("1MBABYDOGEUSDT", None, "BABYDOGE", 1e6),
        ("1INCHUSDT", None, "1INCH", 1.0),
    ],
)
def test_coin_key(symbol: str, base: str | None, coin: str, mult: float) -> None:
    assert coin_key(symbol, base) == canonical_coin(base or parse_symbol(symbol).base)
    key = coin_key(symbol, base)
    assert (key.coin, key.multiplier) == (coin, mult)


def test_parse_symbol_quotes() -> None:
    assert parse_symbol("BTCUSDT") == parse_symbol("BTC-USDT-SWAP") == parse_symbol("BTC/USDT:USDT")
    assert parse_symbol("ETHUSD_PERP").quote == "USD"
    assert parse_symbol("BTC_USDC-PERPETUAL").quote == "USDC"
    assert parse_symbol("BTC").quote == ""


def _plan(**over) -> Plan:
    data = {
        "profile": "binance-usdm",
        "account": {"wallet_balance": 15000.0},
        "positions": [
            {
                "symbol": "BTCUSDT",
                "side": "long",
                "quantity": 1.0,
                "entry_price": 50000.0,
                "mark_price": 50000.0,
                "leverage": 10,
                "isolated_margin": 5000.0,
            },
            {
                "symbol": "ETHUSDT",
                "side": "long",
                "quantity": 20.0,
                "entry_price": 3000.0,
                "mark_price": 2950.0,
                "leverage": 20,
                "margin_mode": "cross",
            },
        ],
        "funding_rates": {"BTCUSDT": 0.0001, "ETHUSDT": 0.0001},
    }
    data.update(over)
    return Plan.model_validate(data)


def test_linear_to_inverse_at_equal_usd_value() -> None:
    usdm, coinm = get_profile("binance-usdm"), get_profile("binance-coinm")
    m = map_plan(_plan(), coinm, usdm)
    btc, eth = m.plan.positions
    # 1 BTC x 50,000 = 50,000 USD = 500 contracts of 100 USD; 20 ETH x 3,000 = 60,000 USD = 6,000 contracts of 10 USD.
    assert (btc.symbol, btc.quantity, eth.symbol, eth.quantity) == (
        "BTCUSD_PERP",
        pytest.approx(500.0),
        "ETHUSD_PERP",
        pytest.approx(6000.0),
    )
    # Isolated margin 5,000 USDT = 0.1 BTC at the 50,000 entry.
    assert btc.isolated_margin == pytest.approx(0.1)
    assert btc.leverage == 10 and eth.margin_mode.value == "cross"
    # Wallet 15,000 USD shared by margin used: BTC 5,000 (isolated) vs ETH 60,000/20 = 3,000 -> 9,375 USD / 50,000 and 5,625 USD / 2,950.
    assert m.plan.account.wallet_balance == pytest.approx(9375.0 / 50000.0)
    assert m.plan.account.balances == {"ETH": pytest.approx(5625.0 / 2950.0)}
    assert all(leg.mapped for leg in m.legs)
    evaluate(m.plan, coinm)  # valid on the target


def test_inverse_to_linear_values_coin_wallets_at_the_mark() -> None:
    coinm, usdm = get_profile("binance-coinm"), get_profile("binance-usdm")
    plan = Plan.model_validate(
        {
            "profile": "binance-coinm",
            "account": {"wallet_balance": 0.5, "balances": {"ETH": 4.0}},
            "positions": [
                {
                    "symbol": "BTCUSD_PERP",
                    "side": "short",
                    "quantity": 300,
                    "entry_price": 60000.0,
                    "mark_price": 60500.0,
                    "leverage": 20,
                    "margin_mode": "cross",
                },
                {"symbol": "ETHUSD_PERP", "side": "long", "quantity": 500, "entry_price": 3000.0, "mark_price": 2980.0, "leverage": 10},
            ],
        }
    )
    m = map_plan(plan, usdm, coinm)
    btc, eth = m.plan.positions
    # 300 x 100 USD = 30,000 USD / 60,000 = 0.5 BTC; 500 x 10 USD = 5,000 / 3,000 = 1.6667 ETH.
    assert btc.quantity == pytest.approx(0.5) and eth.quantity == pytest.approx(5000.0 / 3000.0)
    # 0.5 BTC x 60,500 + 4 ETH x 2,980 = 30,250 + 11,920 = 42,170 USDT.
    assert m.plan.account.wallet_balance == pytest.approx(42170.0) and m.plan.account.balances == {}


def test_funding_carried_by_coin_at_the_same_rate_per_hour() -> None:
    m = map_plan(_plan(), get_profile("hyperliquid"), get_profile("binance-usdm"))
    # 0.01 % per 8 h on Binance = 0.00125 % per 1 h on Hyperliquid.
    assert m.plan.funding_rates == {"BTC": pytest.approx(0.0000125), "ETH": pytest.approx(0.0000125)}
    assert m.plan.account.wallet_balance == pytest.approx(15000.0)  # USDT counted 1:1 as USDC


def test_leverage_above_the_venue_max_is_reported_not_clamped() -> None:
    plan = _plan(positions=[{"symbol": "BTCUSDT", "side": "long", "quantity": 0.1, "entry_price": 50000.0, "leverage": 100}])
    m = map_plan(plan, get_profile("hyperliquid"), get_profile("binance-usdm"))
    assert m.plan.positions[0].leverage == 100
    assert m.legs[0].leverage_max == pytest.approx(40.0)
    assert any("maximum 40x" in n for n in m.legs[0].notes)


def test_unmappable_leg_keeps_its_place_with_a_reason() -> None:
    usdm = get_profile("binance-usdm")
    hl = get_profile("hyperliquid")
    btc_only = hl.model_copy(update={"id": "hl-btc", "symbols": {"BTC": hl.symbols["BTC"]}})
    m = map_plan(_plan(), btc_only, usdm)
    assert [leg.mapped for leg in m.legs] == [True, False]
    assert "no ETH perpetual" in (m.legs[1].reason or "")
    assert [p.symbol for p in m.plan.positions] == ["BTC"]
    assert any("#2 ETHUSDT" in n for n in m.account_notes)


def test_multiplier_symbols_convert_price_and_quantity() -> None:
    usdm = get_profile("binance-usdm")
    spec = usdm.symbols["SOLUSDT"]
    src = usdm.model_copy(update={"id": "src", "symbols": {"1000PEPEUSDT": spec.model_copy(update={"base": "1000PEPE"})}})
    tgt = usdm.model_copy(update={"id": "tgt", "symbols": {"PEPE-USDT-SWAP": spec.model_copy(update={"base": "PEPE"})}})
    plan = Plan.model_validate(
        {
            "profile": "src",
            "account": {"wallet_balance": 1000.0},
            "positions": [{"symbol": "1000PEPEUSDT", "side": "long", "quantity": 100000.0, "entry_price": 0.012, "leverage": 5}],
        }
    )
    pos = map_plan(plan, tgt, src).plan.positions[0]
    # 100,000 x 1000PEPE at 0.012 = 1,200 USD = 100,000,000 PEPE at 0.000012.
    assert pos.entry_price == pytest.approx(0.000012) and pos.quantity == pytest.approx(1e8)


def test_same_venue_is_the_identity() -> None:
    plan = _plan()
    m = map_plan(plan, get_profile("binance-usdm"), get_profile("binance-usdm"))
    assert m.plan is plan and m.identity and all(not leg.notes for leg in m.legs)


def test_carried_legs_map_from_the_venue_they_were_entered_on() -> None:
    """Binance -> Bybit (ETH left out) -> Hyperliquid with ETH carried: ETH maps from Binance, at its place.

    ETH: 20 x 3,000 = 60,000 USD -> 20 ETH on Hyperliquid; funding 0.01 % per 8 h (Binance) = 0.00125 % per 1 h.
    """
    usdm, bybit, hl = get_profile("binance-usdm"), get_profile("bybit-linear"), get_profile("hyperliquid")
    plan = _plan()
    first = map_plan(plan, bybit, usdm)
    assert [p.symbol for p in first.plan.positions] == ["BTCUSDT"]
    (eth,) = first.unmapped
    assert eth.position == plan.positions[1] and eth.origin is usdm and eth.funding_rate == 0.0001 and eth.index == 1
    # The Bybit plan edited (the wallet), then mapped on with ETH carried.
    edited = first.plan.model_copy(update={"account": first.plan.account.model_copy(update={"wallet_balance": 20000.0})})
    m = map_plan(edited, hl, bybit, carried=first.unmapped)
    assert [p.symbol for p in m.plan.positions] == ["BTC", "ETH"] and m.unmapped == []
    assert m.legs[1].carried and m.legs[1].source_symbol == "ETHUSDT" and m.legs[1].target_index == 1
    assert any("mapped from Binance" in n for n in m.legs[1].notes)
    assert (m.plan.positions[1].quantity, m.plan.positions[1].entry_price) == (pytest.approx(20.0), 3000.0)
    assert m.plan.funding_rates["ETH"] == pytest.approx(0.0000125)
    assert m.plan.account.wallet_balance == pytest.approx(20000.0)  # USDT counted 1:1 as USDC
    evaluate(m.plan, hl)
    # Back on Binance: the carried leg exactly as entered, at its place, with its rate.
    back = map_plan(edited, usdm, bybit, carried=first.unmapped)
    assert back.plan.positions[1] is plan.positions[1] and back.plan.funding_rates["ETHUSDT"] == 0.0001
    assert back.plan.positions[0].symbol == "BTCUSDT" and back.plan.account.wallet_balance == 20000.0
    # A venue that lacks it too: still unmapped, as entered on Binance, the reason naming both venues.
    btc_only = hl.model_copy(update={"id": "hl-btc", "name": "HL BTC", "symbols": {"BTC": hl.symbols["BTC"]}})
    again = map_plan(edited, btc_only, bybit, carried=first.unmapped)
    (still,) = again.unmapped
    assert still.position is plan.positions[1] and still.origin is usdm and still.funding_rate == 0.0001 and still.index == 1
    assert still.reason is not None and "HL BTC lists no ETH perpetual" in still.reason and "kept as it was on Binance" in still.reason


def test_carried_leg_past_the_end_goes_last() -> None:
    usdm, bybit = get_profile("binance-usdm"), get_profile("bybit-linear")
    first = map_plan(_plan(), bybit, usdm)
    empty = first.plan.model_copy(update={"positions": []})  # the user removed BTC on Bybit
    m = map_plan(empty, usdm, bybit, carried=first.unmapped)
    assert [p.symbol for p in m.plan.positions] == ["ETHUSDT"] and m.legs[0].index == 0


BTC_ETH_SOL = {
    "format": "position-plan",
    "version": 1,
    "name": "BTC ETH SOL",
    "profile": "binance-usdm",
    "account": {"wallet_balance": 30000.0},
    "positions": [
        {
            "symbol": "BTCUSDT",
            "side": "long",
            "quantity": 0.5,
            "entry_price": 60000.0,
            "mark_price": 61000.0,
            "leverage": 10,
            "margin_mode": "isolated",
        },
        {"symbol": "ETHUSDT", "side": "short", "quantity": 5.0, "entry_price": 3000.0, "leverage": 10, "margin_mode": "cross"},
        {"symbol": "SOLUSDT", "side": "long", "quantity": 50.0, "entry_price": 150.0, "leverage": 5, "margin_mode": "cross"},
    ],
    "funding_rates": {"BTCUSDT": 0.0001, "ETHUSDT": 0.0001, "SOLUSDT": -0.0002},
}


@pytest.mark.parametrize(
    "pid", ["binance-usdm", "binance-coinm", "deribit", "kraken", "hyperliquid", "dex-generic", "bybit-linear", "bybit-inverse", "okx"]
)
def test_evaluate_profile_maps_a_binance_btc_eth_sol_plan(tmp_path, capsys, pid: str) -> None:
    import json

    from planner.cli.main import main

    path = tmp_path / "bes.plan.json"
    path.write_text(json.dumps(BTC_ETH_SOL), encoding="utf-8")
    code = main(["evaluate", str(path), "--profile", pid, "--json"])
    out, err = capsys.readouterr()
    prof = get_profile(pid)
    coins = {coin_key(s, spec.base).coin for s, spec in prof.symbols.items()}
    if {"BTC", "ETH", "SOL"} <= coins:
        assert code == 0, err
        data = json.loads(out)
        assert data["profile"]["id"] == pid and len(data["positions"]) == 3
        # Equal USD value at entry: 0.5 BTC x 60,000 = 30,000 USD; 5 ETH x 3,000 = 15,000 USD; 50 SOL x 150 = 7,500 USD.
        for leg, usd in zip(data["positions"], (30000.0, 15000.0, 7500.0), strict=True):
            assert leg["notional_usd"] == pytest.approx(
                usd if leg["contract"] == "inverse" else usd * leg["mark_price"] / leg["entry_price"]
            )
    else:
        # Bybit and OKX carry BTC only (no newer public ETH/SOL table was found): a one-line refusal per missing coin.
        assert code == 2 and out == ""
        missing = sorted({"ETH", "SOL"} - coins)
        assert all(f"no {c} perpetual" in err for c in missing)


# -- one leg under a chosen symbol (the window's "bring it back") ------------------------------
def _coinm_btc(symbol: str = "BTCUSD_PERP") -> Plan:
    return Plan.model_validate(
        {
            "profile": "binance-coinm",
            "account": {"wallet_balance": 1.0},
            "positions": [
                {
                    "symbol": symbol,
                    "side": "long",
                    "quantity": 50,
                    "entry_price": 60000.0,
                    "mark_price": 61000.0,
                    "leverage": 10,
                    "margin_mode": "cross",
                }
            ],
            "funding_rates": {symbol: 0.0001},
        }
    )


def test_map_leg_to_converts_inverse_to_linear_like_a_switch() -> None:
    """50 BTCUSD_PERP contracts x 100 USD = 5,000 USD at entry 60,000 -> 5,000 / 60,000 = 0.0833... BTC on Hyperliquid.

    Funding 0.01 % per 8 h (Binance COIN-M) -> 0.00125 % per 1 h (Hyperliquid), the same rate per hour.
    """
    coinm, hl = get_profile("binance-coinm"), get_profile("hyperliquid")
    plan = _coinm_btc()
    out = map_leg_to(plan.positions[0], coinm, hl, "BTC", 0.0001)
    pos = out.position
    assert (pos.symbol, pos.quantity, pos.entry_price, pos.mark_price) == ("BTC", 5000.0 / 60000.0, 60000.0, 61000.0)
    assert (pos.side.value, pos.leverage, pos.margin_mode.value) == ("long", 10.0, "cross")
    assert out.funding_rate == pytest.approx(0.0000125, rel=1e-12) and out.usd_value == 5000.0 and out.price_scale == 1.0
    assert any("inverse -> linear at equal USD value 5,000.00" in n for n in out.notes)
    assert any("per 8 h -> 0.0013% per 1 h" in n for n in out.notes)
    # Exactly what a switch of the whole plan gives for that leg.
    switched = map_plan(plan, hl, coinm)
    assert switched.plan.positions[0] == pos and switched.plan.funding_rates["BTC"] == out.funding_rate


def test_map_leg_to_same_units_keeps_every_number() -> None:
    usdm = get_profile("binance-usdm")
    eth = _plan().positions[1]
    tgt = usdm.model_copy(update={"id": "tgt", "name": "Target", "symbols": {"ETHUSDT": usdm.symbols["ETHUSDT"]}})
    out = map_leg_to(eth, usdm, tgt, "ETHUSDT", 0.0001)
    assert out.position == eth and out.funding_rate == 0.0001 and out.notes == ()
    iso = _plan().positions[0]  # isolated, 5,000 USDT of margin
    tgt_btc = usdm.model_copy(
        update={"id": "tgt", "symbols": {"BTCUSDC": usdm.symbols["BTCUSDT"].model_copy(update={"quote": "USDC", "settle": "USDC"})}}
    )
    out = map_leg_to(iso, usdm, tgt_btc, "BTCUSDC")
    assert (out.position.quantity, out.position.entry_price, out.position.isolated_margin) == (1.0, 50000.0, 5000.0)
    assert out.funding_rate is None and "USDT price taken as USDC 1:1" in out.notes
    # Back on its own venue under its own symbol: the leg itself.
    assert map_leg_to(eth, usdm, usdm, "ETHUSDT").position is eth


@pytest.mark.parametrize(
    ("leg", "target", "symbol", "said"),
    [
        (
            "BTCUSD_PERP",
            "binance-usdm",
            "SOLUSDT",
            ["Symbol SOLUSDT: SOLUSDT is SOL, this leg is BTC", "allowed for this BTC perpetual: BTCUSDT, BTCUSDC"],
        ),
        (
            "BTCUSD_PERP",
            "kraken",
            "PF_DOGEUSD",
            ["Symbol PF_DOGEUSD: not listed by Kraken Futures perpetuals", "allowed for this BTC perpetual: PF_XBTUSD, PI_XBTUSD"],
        ),
        (
            "BTCUSD_PERP",
            "binance-usdm",
            "BTCUSDT_261225",
            ["is a future expiring 2026-12-25 08:00 UTC, this leg is a BTC perpetual", "allowed for this BTC perpetual: BTCUSDT"],
        ),
        ("BTCUSD_261225", "okx", "BTC-USDT-SWAP", ["is a perpetual, this leg is a BTC future expiring 2026-12-25", "lists no BTC future"]),
        (
            "BTCUSD_261225",
            "binance-usdm",
            "BTCUSDT_270326",
            ["expiring 2027-03-26", "allowed for this BTC future expiring 2026-12-25 08:00 UTC: BTCUSDT_261225"],
        ),
    ],
)
def test_map_leg_to_refuses_a_symbol_a_switch_could_not_choose(leg: str, target: str, symbol: str, said: list[str]) -> None:
    with pytest.raises(PlannerError) as err:
        map_leg_to(_coinm_btc(leg).positions[0], get_profile("binance-coinm"), get_profile(target), symbol, 0.0001)
    (problem,) = err.value.problems
    assert problem.path == "symbol"
    for text in said:
        assert text in problem.message, problem.message
    assert "\n" not in problem.message
