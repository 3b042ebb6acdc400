"""Bundled exchange profiles: presence, published numbers and internal consistency."""

from __future__ import annotations

import itertools

import pytest

from planner.io.registry import bundled_profiles
from planner.model.profile import RULE_TRAITS, check_maintenance_amounts

EXPECTED_IDS = {
    "binance-usdm",
    "binance-coinm",
    "bybit-linear",
    "bybit-inverse",
    "okx",
    "deribit",
    "kraken",
    "hyperliquid",
    "dex-generic",
}

# Symbols each bundled profile must carry. Bybit and OKX only list what a
# published table was found for (see each profile's notes).
EXPECTED_SYMBOLS = {
    "binance-usdm": {"BTCUSDT", "ETHUSDT", "SOLUSDT"},
    "binance-coinm": {"BTCUSD_PERP", "ETHUSD_PERP", "SOLUSD_PERP"},
    "bybit-linear": {"BTCUSDT"},
    "bybit-inverse": {"BTCUSD"},
    "okx": {"BTC-USDT-SWAP", "ETH-USDT-SWAP"},
    "deribit": {"BTC-PERPETUAL", "ETH-PERPETUAL", "BTC_USDC-PERPETUAL", "SOL_USDC-PERPETUAL"},
    "kraken": {"PF_XBTUSD", "PF_ETHUSD", "PF_SOLUSD", "PI_XBTUSD"},
    "hyperliquid": {"BTC", "ETH", "SOL"},
    "dex-generic": {"BTC-PERP", "ETH-PERP", "SOL-PERP"},
}


@pytest.fixture(scope="module")
def profiles():
    return bundled_profiles()


def _tier(profile, symbol, n):
    return profile.symbols[symbol].tiers[n - 1]


def test_all_ids_present(profiles):
    assert set(profiles) >= EXPECTED_IDS


@pytest.mark.parametrize("pid", sorted(EXPECTED_IDS))
def test_symbols_present(profiles, pid):
    assert EXPECTED_SYMBOLS[pid] <= set(profiles[pid].symbols)


@pytest.mark.parametrize("pid", sorted(EXPECTED_IDS))
def test_sources_and_version(profiles, pid):
    prof = profiles[pid]
    assert prof.sources, pid
    assert all(s.url.startswith("https://") for s in prof.sources)
    assert prof.version.year >= 2022


@pytest.mark.parametrize("pid", sorted(EXPECTED_IDS))
def test_maintenance_amounts(profiles, pid):
    prof = profiles[pid]
    for sym, spec in prof.symbols.items():
        if RULE_TRAITS[prof.rule].deduction == "recurrence":
            assert check_maintenance_amounts(spec.tiers) is None, sym
        else:
            assert all(t.maintenance_amount == 0.0 for t in spec.tiers), sym


@pytest.mark.parametrize("pid", sorted(EXPECTED_IDS))
def test_tiers_monotonic(profiles, pid):
    for sym, spec in profiles[pid].symbols.items():
        tiers = spec.tiers
        assert tiers[0].notional_floor == 0.0
        for lo, hi in itertools.pairwise(tiers):
            assert lo.notional_cap == pytest.approx(hi.notional_floor), sym
            assert hi.maintenance_rate >= lo.maintenance_rate, sym
            assert hi.max_leverage <= lo.max_leverage, sym


def test_binance_usdm_numbers(profiles):
    # Source: freqtrade/exchange/binance_leverage_tiers.json at freqtrade commit 2832c6b8 (2026-03-05),
    # ccxt fetch_leverage_tiers of GET /fapi/v1/leverageBracket; values below copied from that file's "info".
    p = profiles["binance-usdm"]
    assert str(p.version) == "2026-03-05"
    t1, t2 = _tier(p, "BTCUSDT", 1), _tier(p, "BTCUSDT", 2)
    assert (t1.notional_cap, t1.max_leverage, t1.maintenance_rate) == (300_000, 150, 0.004)  # bracket 1: 150x, cap 300000, 0.004
    assert (t2.notional_floor, t2.notional_cap, t2.maintenance_rate, t2.maintenance_amount) == (
        300_000,
        800_000,
        0.005,
        300,
    )  # bracket 2, cum 300
    assert _tier(p, "BTCUSDT", 12).maintenance_amount == 421_482_000  # bracket 12: 1.2e9-1.8e9, 1x, 0.5, cum 421482000
    eth7 = _tier(p, "ETHUSDT", 7)
    assert (eth7.notional_floor, eth7.notional_cap, eth7.max_leverage, eth7.maintenance_rate) == (65e6, 150e6, 10, 0.05)
    assert eth7.maintenance_amount == pytest.approx(2_007_000)  # bracket 7 cum 2007000
    sol1, sol4 = _tier(p, "SOLUSDT", 1), _tier(p, "SOLUSDT", 4)
    assert (sol1.notional_cap, sol1.max_leverage, sol1.maintenance_rate) == (50_000, 100, 0.005)  # caps 50k / 400k / 1M
    assert (sol4.notional_floor, sol4.notional_cap, sol4.maintenance_amount) == (1_000_000, 4_000_000, pytest.approx(11_475))
    pepe3 = _tier(p, "1000PEPEUSDT", 3)  # bracket 3: 200000-300000, 40x, 0.015, cum 1070
    assert (pepe3.notional_floor, pepe3.notional_cap, pepe3.max_leverage, pepe3.maintenance_rate, pepe3.maintenance_amount) == (
        200_000,
        300_000,
        40,
        0.015,
        pytest.approx(1070),
    )
    assert (_tier(p, "BTCUSDC", 1).notional_cap, _tier(p, "BTCUSDC", 1).max_leverage) == (50_000, 125)
    # The whole published set: 644 USDT-margined and 38 USDC-margined perpetuals in that file.
    assert sum(s.settle == "USDT" and not s.is_dated for s in p.symbols.values()) == 644
    assert sum(s.settle == "USDC" for s in p.symbols.values()) == 38


def test_binance_coinm_numbers(profiles):
    p = profiles["binance-coinm"]
    btc = p.symbols["BTCUSD_PERP"]
    assert btc.contract.value == "inverse" and btc.contract_size == 100 and btc.settle == "BTC"
    # FAQ: a 300 BTC position sits at 12.5 % with a maintenance amount of 11.605 BTC.
    tier = next(t for t in btc.tiers if t.notional_floor < 300 <= (t.notional_cap or float("inf")))
    assert tier.maintenance_rate == 0.125
    assert tier.maintenance_amount == pytest.approx(11.605)
    sol = p.symbols["SOLUSD_PERP"]
    assert sol.contract_size == 10 and sol.settle == "SOL"
    assert (sol.tiers[0].notional_cap, sol.tiers[0].maintenance_rate, sol.tiers[0].max_leverage) == (400, 0.01, 50)
    assert sol.tiers[-1].notional_cap == 187_200


def test_bybit_numbers(profiles):
    lin = profiles["bybit-linear"].symbols["BTCUSDT"]
    # GET /v5/market/risk-limit recordings dated 2026-09 (see the profile's sources):
    # tier 1 = 300,000 USDT / MMR 0.33 % / 150x, tier 2 = 2,000,000 / 0.5 % / 100x with mmDeduction 510.
    assert (lin.tiers[0].notional_cap, lin.tiers[0].maintenance_rate, lin.tiers[0].max_leverage) == (300_000, 0.0033, 150)
    assert (lin.tiers[1].notional_cap, lin.tiers[1].maintenance_rate, lin.tiers[1].max_leverage) == (2_000_000, 0.005, 100)
    assert lin.tiers[1].maintenance_amount == pytest.approx(510)
    # Bybit margin-parameters page (bybitx.global/pt-PT/announcement-info/margin-parameters), BTCUSDT:
    # 2,600,000 / 90x / 0.56 % / deduction 1,200; 8,500,000 / 50x / 1 % / 20,500; 80,000,000 / 14x / 4.5 % / 1,482,000.
    # The page's deductions carry no 150x tier; with it every deduction is 510 larger (the recordings give 1,710 at tier 3).
    page = {2_600_000: (90, 0.0056, 1_200), 8_500_000: (50, 0.01, 20_500), 80_000_000: (14, 0.045, 1_482_000)}
    for cap, (lev, mmr, ded) in page.items():
        tier = next(t for t in lin.tiers if t.notional_cap == cap)
        assert (tier.max_leverage, tier.maintenance_rate) == (lev, mmr)
        assert tier.maintenance_amount == pytest.approx(ded + 510)
    assert len(lin.tiers) == 21 and lin.tiers[-1].notional_cap == 80_000_000
    inv = profiles["bybit-inverse"].symbols["BTCUSD"]
    assert inv.contract_size == 1.0 and inv.settle == "BTC"
    assert (inv.tiers[0].notional_cap, inv.tiers[0].maintenance_rate) == (150, 0.005)
    # Tiers 1-2 as Bybit answered GET /v5/market/risk-limit?category=inverse on 2026-09-26 (BYTEX-TRADE/bytex,
    # tests/Bytex.Adapters.Tests/Fixtures/BybitPayloads.cs): 150 BTC / 0.5 % / 100x; 300 BTC / 1 % / 66.67x, mmDeduction 0.75.
    assert [(t.notional_cap, t.maintenance_rate, t.max_leverage, t.maintenance_amount) for t in inv.tiers[:2]] == [
        (150, 0.005, 100, 0.0),
        (300, 0.01, 66.67, pytest.approx(0.75)),
    ]


def test_okx_numbers(profiles):
    p = profiles["okx"]
    assert (p.fees.maker, p.fees.taker, p.fees.liquidation) == (0.0002, 0.0005, 0.0005)
    assert p.margin_call_ratio > 1.0
    # Position-tiers and instruments answers recorded live on 2026-09-25 (BYTEX-TRADE/bytex,
    # tests/Bytex.Adapters.Tests/Fixtures/OkxPayloads.cs @ 134941fc): tier 1 only.
    btc = p.symbols["BTC-USDT-SWAP"]
    assert btc.tier_basis == "size" and btc.contract_size == 0.01 and btc.tick_size == 0.1
    # BTC-USDT: maxSz 1,000 contracts x 0.01 BTC, mmr 0.004, maxLever 100
    assert [(t.notional_cap, t.maintenance_rate, t.max_leverage) for t in btc.tiers] == [(10.0, 0.004, 100)]
    eth = p.symbols["ETH-USDT-SWAP"]
    assert eth.tier_basis == "size" and eth.contract_size == 0.1 and eth.tick_size == 0.01
    # ETH-USDT: maxSz 5,000 contracts x 0.1 ETH, mmr 0.004, maxLever 100
    assert [(t.notional_cap, t.maintenance_rate, t.max_leverage) for t in eth.tiers] == [(500.0, 0.004, 100)]
    assert p.version.isoformat() == "2026-09-25"


def test_deribit_size_scaled(profiles):
    p = profiles["deribit"]
    expect = {
        "BTC-PERPETUAL": (0.02, 0.01, 0.00005, 10.0, "inverse"),
        "ETH-PERPETUAL": (0.02, 0.01, 0.000004, 1.0, "inverse"),
        "BTC_USDC-PERPETUAL": (0.02, 0.01, 0.00005, None, "linear"),
        "SOL_USDC-PERPETUAL": (0.04, 0.02, 0.000005, None, "linear"),
    }
    for sym, (im, mm, slope, cs, kind) in expect.items():
        spec = p.symbols[sym]
        ss = spec.size_scaled
        assert (ss.initial_rate, ss.maintenance_rate, ss.rate_per_unit) == (im, mm, slope), sym
        assert spec.contract.value == kind
        if cs is not None:
            assert spec.contract_size == cs
        assert len(spec.tiers) == 1 and spec.tiers[0].notional_cap is None
        assert spec.tiers[0].maintenance_rate == mm
        assert spec.tiers[0].max_leverage == pytest.approx(1 / im)
    assert p.funding.accrual == "continuous"
    assert p.fees.liquidation == 0.0075


def test_kraken_numbers(profiles):
    p = profiles["kraken"]
    assert p.funding.interval_hours == 1
    assert p.policies.leftover_margin == "trader"
    pi = p.symbols["PI_XBTUSD"]
    assert pi.contract.value == "inverse" and pi.contract_size == 1.0 and pi.settle == "BTC"
    assert [t.maintenance_rate for t in pi.tiers][:4] == [0.01, 0.02, 0.03, 0.05]
    assert [t.max_leverage for t in pi.tiers][:4] == [50, 25, 17, 10]
    assert pi.tiers[0].notional_cap == 500_000
    assert pi.tiers[-1].notional_cap == 75_000_000
    # PF_XBTUSD marginLevels from the instruments answer recorded live on 2026-09-25 (BYTEX-TRADE/bytex,
    # tests/Bytex.Adapters.Tests/Fixtures/KrakenPayloads.cs @ 67b3e103): numNonContractUnits 0 / 1,000,000 /
    # 3,000,000 USD, initialMargin 1 / 2 / 4 %, maintenanceMargin 0.5 / 1 / 2 %; tickSize 1, precision 4.
    pf = p.symbols["PF_XBTUSD"]
    assert pf.tier_basis == "value" and pf.tick_size == 1.0 and pf.contract_size == 0.0001
    assert [(t.notional_floor, t.notional_cap, t.max_leverage, t.maintenance_rate) for t in pf.tiers] == [
        (0.0, 1_000_000.0, 100, 0.005),
        (1_000_000.0, 3_000_000.0, 50, 0.01),
        (3_000_000.0, None, 25, 0.02),
    ]


def test_hyperliquid_numbers(profiles):
    p = profiles["hyperliquid"]
    assert p.funding.price_basis == "oracle" and p.funding.interval_hours == 1
    assert p.funding.cap_per_interval == 0.04
    assert p.fees.liquidation == 0.0
    pl = p.policies.partial_liquidation
    assert (pl.kind, pl.fraction, pl.cooldown_seconds, pl.min_value) == ("fraction_then_full", 0.2, 30, 100_000)
    assert {s: spec.tiers[0].max_leverage for s, spec in p.symbols.items()} == {"BTC": 40, "ETH": 25, "SOL": 20}
    for spec in p.symbols.values():
        for t in spec.tiers:
            assert t.maintenance_rate == pytest.approx(1 / (2 * t.max_leverage), abs=1e-15)


def test_dex_generic_policies(profiles):
    p = profiles["dex-generic"]
    pol = p.policies
    assert not pol.insurance_fund and not pol.adl and not pol.negative_balance_protection
    assert pol.leftover_margin == "liquidator"
    assert "model" in p.notes.lower()
    assert all(spec.settle == "USDC" for spec in p.symbols.values())
