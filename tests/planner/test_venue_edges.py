"""Issue 12: exact at the edges of the tier tables and the venues' own conventions.

Items 2 (inclusive tier caps), 3 (no silent extrapolation past the last tier),
5 (Bybit's fee to close), 6 (Deribit's initial margin and displayed leverage),
7 (per-symbol liquidation fee, Hyperliquid margin tiers) and 8 (published
maintenance amounts used as published, with a warning). Every number comes
from the venue page cited next to it, or is computed by hand from one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.engine.close_fee import bankruptcy_close_fee, default_close_fee, leverage_bankruptcy_price
from planner.engine.evaluate import evaluate
from planner.engine.liquidation import price_at_level
from planner.engine.tiers import TierTable, initial_margin, maintenance_margin, max_leverage_at, tier_index
from planner.engine.validation import plan_problems
from planner.io.importers import apply_tiers, import_tiers
from planner.io.registry import get_profile, profile_from_data, profile_json_schema
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import round_price_safe

ROOT = Path(__file__).resolve().parents[2]
# GET /fapi/v1/leverageBracket for BTCUSDT, the live table of shared/reference/brackets_binance_btcusdt.json (2024-10-24).
BRACKETS = ROOT / "tests/data/importers/binance-leverageBracket.json"


def binance_2024() -> ExchangeProfile:
    """Binance USD-M with BTCUSDT's tiers of the 2024-10-24 bracket response (BRACKETS), the table these
    edge tests were written against (the bundled profile now carries a newer one)."""
    _, tiers = import_tiers(BRACKETS, get_profile("binance-usdm"), "BTCUSDT")
    return apply_tiers(get_profile("binance-usdm"), tiers, BRACKETS.name)


def plan_on(profile: ExchangeProfile | dict, positions: list[dict], wallet: float = 1e9, **account) -> Plan:
    prof = profile.model_dump(mode="json") if isinstance(profile, ExchangeProfile) else profile
    return Plan.model_validate({"profile": prof, "account": {"wallet_balance": wallet, **account}, "positions": positions})


def pos(symbol: str, q: float, e: float, lev: float, side: str = "long", mode: str = "isolated", mark: float | None = None, **kw) -> dict:
    return {
        "symbol": symbol,
        "side": side,
        "quantity": q,
        "entry_price": e,
        "mark_price": mark or e,
        "leverage": lev,
        "margin_mode": mode,
        **kw,
    }


def problems(plan: Plan) -> list[str]:
    assert isinstance(plan.profile, ExchangeProfile)
    return [f"{p.path}: {p.message}" for p in plan_problems(plan, plan.profile)]


def with_symbol(base: str, symbol: str, **spec_over) -> dict:
    data = get_profile(base).model_dump(mode="json")
    data["id"] = f"test-{base}"
    data["symbols"][symbol] = {**data["symbols"][symbol], **spec_over}
    return data


# ---------------------------------------------------------------------------
# Item 2: tier caps are inclusive
# ---------------------------------------------------------------------------


def test_binance_first_bracket_cap_allows_125x() -> None:
    """Binance BTCUSDT bracket 1: notionalCap 50,000 at initialLeverage 125
    (shared/reference/brackets_binance_btcusdt.json, GET /fapi/v1/leverageBracket via ccxt).
    1 BTC at 50,000 = 50,000 USDT is inside it; 50,000.05 USDT is in bracket 2 (100x)."""
    prof = binance_2024()
    at_cap = plan_on(prof, [pos("BTCUSDT", 1.0, 50000.0, 125)])
    assert problems(at_cap) == []
    ev = evaluate(at_cap, prof)
    assert (ev.legs[0].tier, ev.legs[0].max_leverage, ev.legs[0].maintenance_rate) == (1, 125.0, 0.004)
    assert ev.legs[0].maintenance_margin == pytest.approx(200.0)  # 50,000 x 0.4 % - 0
    past = plan_on(prof, [pos("BTCUSDT", 1.000001, 50000.0, 125)])
    assert problems(past) == [
        "positions.0.leverage: 125x exceeds the maximum 100x for a position value of 50,000.05 USDT (tier 2 of BTCUSDT on binance-usdm);"
        " allowed: 0 < leverage <= 100"
    ]


@pytest.mark.parametrize("n", range(1, 12))
def test_every_binance_bracket_boundary(n: int) -> None:
    """Both sides of every cap of the live table: at the cap the bracket's own
    initialLeverage, one cent past it the next bracket's (and not more)."""
    brackets = json.loads(BRACKETS.read_text())[0]["brackets"]
    prof = binance_2024()
    table = TierTable.from_spec(prof.symbols["BTCUSDT"])
    b, nxt = brackets[n - 1], brackets[n]
    cap = b["notionalCap"]
    assert int(tier_index(cap, table)) == n - 1
    assert float(max_leverage_at(cap, 1.0, table)) == b["initialLeverage"]
    assert int(tier_index(cap + 0.01, table)) == n
    assert float(max_leverage_at(cap + 0.01, 1.0, table)) == nxt["initialLeverage"]
    # MM is continuous across the cap (cum recurrence): cap x mmr_n - cum_n = cap x mmr_(n+1) - cum_(n+1).
    assert float(maintenance_margin(cap, 1.0, table)) == pytest.approx(cap * nxt["maintMarginRatio"] - nxt["cum"], rel=1e-12)
    e = 50000.0
    at = plan_on(prof, [pos("BTCUSDT", cap / e, e, b["initialLeverage"])])
    assert not [p for p in problems(at) if ".leverage" in p]
    past = plan_on(prof, [pos("BTCUSDT", (cap + 1.0) / e, e, b["initialLeverage"])])
    if nxt["initialLeverage"] < b["initialLeverage"]:
        assert any(f"exceeds the maximum {nxt['initialLeverage']:g}x" in p for p in problems(past))


def okx_imported() -> ExchangeProfile:
    """OKX BTC-USDT-SWAP tiers read from a GET /api/v5/public/position-tiers response
    (tests/data/importers/okx-position-tiers.json): tier 1 minSz 0 / maxSz 500 contracts, MMR 0.4 %,
    125x (the published values, ccxt PR 11938); tier 2 minSz 501 / maxSz 1,000, 0.5 %, 100x (illustrative).
    OKX's bands are whole contracts: contract 500 is the last of tier 1, contract 501 the first of tier 2."""
    okx = get_profile("okx")
    _, tiers = import_tiers(ROOT / "tests/data/importers/okx-position-tiers.json", okx)
    return apply_tiers(okx, tiers, "okx-position-tiers.json")


def test_okx_last_contract_of_a_tier_and_no_jump() -> None:
    """The 500th contract (5 BTC) is still tier 1 (125x, MMR 0.4 %), and the liquidation price
    there is tier 1's closed form (OKX margin ratio = 1, as in freqtrade:
    LP = (E - M/q) / (1 - mmr - fee)), the same as just below the cap: no jump at the boundary."""
    prof = okx_imported()
    e, f = 40000.0, prof.fees.taker
    at = plan_on(prof, [pos("BTC-USDT-SWAP", 5.0, e, 125)])
    assert problems(at) == []
    ev = evaluate(at, prof)
    m = 5.0 * e / 125
    assert ev.legs[0].tier == 1 and ev.legs[0].maintenance_rate == 0.004 and ev.legs[0].max_leverage == 125
    assert ev.legs[0].liquidation_price == pytest.approx((e - m / 5.0) / (1 - 0.004 - f), rel=1e-12)
    below = evaluate(plan_on(prof, [pos("BTC-USDT-SWAP", 4.99, e, 125)]), prof).legs[0].liquidation_price
    assert below == pytest.approx(ev.legs[0].liquidation_price, rel=1e-12)  # same leverage -> same price
    # Contract 501 (5.01 BTC): tier 2, 100x at most, MMR 0.5 %.
    past = plan_on(prof, [pos("BTC-USDT-SWAP", 5.01, e, 125)])
    assert any("125x exceeds the maximum 100x" in p for p in problems(past))
    ev2 = evaluate(plan_on(prof, [pos("BTC-USDT-SWAP", 5.01, e, 100)]), prof)
    assert ev2.legs[0].tier == 2
    assert ev2.legs[0].liquidation_price == pytest.approx((e - e / 100) / (1 - 0.005 - f), rel=1e-12)


# ---------------------------------------------------------------------------
# Item 3: no silent extrapolation
# ---------------------------------------------------------------------------


def test_okx_beyond_last_tier_refused_naming_largest_size() -> None:
    """The bundled OKX table covers 0-10 BTC (tier 1 = 1,000 contracts x 0.01 BTC at 100x, position-tiers answer
    recorded live on 2026-09-25: BYTEX-TRADE/bytex tests/Bytex.Adapters.Tests/Fixtures/OkxPayloads.cs @ 134941fc):
    50 BTC at 100x is refused and the message names 10 BTC."""
    prof = get_profile("okx")
    plan = plan_on(prof, [pos("BTC-USDT-SWAP", 50.0, 40000.0, 100)])
    msgs = problems(plan)
    assert msgs == [
        "positions.0.quantity: 50 BTC is beyond the last tier of BTC-USDT-SWAP on okx (tier 1 ends at 10 BTC of size);"
        " the largest position the venue allows is 10 BTC; allowed: quantity <= 10"
    ]
    with pytest.raises(PlannerError):
        evaluate(plan, prof)
    assert problems(plan_on(prof, [pos("BTC-USDT-SWAP", 10.0, 40000.0, 100)])) == []
    assert len(problems(plan_on(prof, [pos("BTC-USDT-SWAP", 10.01, 40000.0, 100)]))) == 1  # one contract past


def test_okx_eth_tier_one_cap_and_closed_form() -> None:
    """ETH-USDT-SWAP tier 1 = 5,000 contracts x 0.1 ETH = 500 ETH at 100x, MMR 0.4 % (position-tiers answer recorded
    live on 2026-09-25: BYTEX-TRADE/bytex tests/Bytex.Adapters.Tests/Fixtures/OkxPayloads.cs @ 134941fc).
    500 ETH is allowed, 500.1 ETH (one more contract) is refused; isolated 20 ETH @ 3,000 at 20x:
    LP = (E - M/q) / (1 - mmr - taker) = (3,000 - 150) / (1 - 0.004 - 0.0005) = 2,862.88..."""
    prof = get_profile("okx")
    assert problems(plan_on(prof, [pos("ETH-USDT-SWAP", 500.0, 3000.0, 100)])) == []
    assert len(problems(plan_on(prof, [pos("ETH-USDT-SWAP", 500.1, 3000.0, 100)]))) == 1
    leg = evaluate(plan_on(prof, [pos("ETH-USDT-SWAP", 20.0, 3000.0, 20)]), prof).legs[0]
    assert (leg.tier, leg.maintenance_rate, leg.max_leverage) == (1, 0.004, 100)
    assert leg.liquidation_price == pytest.approx((3000.0 - 150.0) / (1 - 0.004 - 0.0005), rel=1e-12)


def test_bybit_value_table_names_largest_size_at_entry() -> None:
    """Bybit BTCUSDT risk limits end at 80,000,000 USDT (margin-parameters page, tier 21 at 14x):
    at 50,000 that is 1,600 BTC; 1,600 BTC is allowed, 1,600.001 BTC is refused."""
    prof = get_profile("bybit-linear")
    assert problems(plan_on(prof, [pos("BTCUSDT", 1600.0, 50000.0, 14)])) == []
    msgs = problems(plan_on(prof, [pos("BTCUSDT", 1600.001, 50000.0, 14)]))
    assert msgs == [
        "positions.0.quantity: 1,600.001 BTC is beyond the last tier of BTCUSDT on bybit-linear (tier 21 ends at a position value of"
        " 80,000,000 USDT); the largest position the venue allows is 1,600 BTC at 50,000; allowed: quantity <= 1,600"
    ]


def test_inverse_beyond_last_tier_in_contracts() -> None:
    """Bybit BTCUSD inverse risk limits end at 450 BTC of value (ccxt PR 13172): at 50,000 that is
    22,500,000 contracts of 1 USD."""
    prof = get_profile("bybit-inverse")
    assert problems(plan_on(prof, [pos("BTCUSD", 22_500_000, 50000.0, 50)], wallet=1000, balances={"BTC": 1000})) == []
    msgs = problems(plan_on(prof, [pos("BTCUSD", 22_500_001, 50000.0, 50)], wallet=1000, balances={"BTC": 1000}))
    assert any("the largest position the venue allows is 22,500,000 contracts at 50,000" in m for m in msgs), msgs


# ---------------------------------------------------------------------------
# Item 5: Bybit's estimated fee to close, at the bankruptcy price
# ---------------------------------------------------------------------------


def bybit_one_tier(inverse: bool, taker: float, mmr: float = 0.005) -> dict:
    base = "bybit-inverse" if inverse else "bybit-linear"
    sym = "BTCUSD" if inverse else "BTCUSDT"
    data = with_symbol(base, sym, tiers=[{"notional_floor": 0, "max_leverage": 100, "maintenance_rate": mmr, "maintenance_amount": 0.0}])
    data["fees"] = {**data["fees"], "taker": taker}
    return data


def test_bybit_linear_position_margin_holds_fee_to_close() -> None:
    """Bybit "Order Cost (USDT Contract)" (copy: https://mobie.io/faq/how-much-is-the-commission-fee-of-usdt-perpetual-contract-on-bybit):
    long 1 BTC at 10,000, 50x, taker 0.075 % -> IM 200, bankruptcy 9,800, fee to close 1 x 9,800 x 0.075 % = 7.35.
    Bybit "Liquidation Price (USDT Contract)" legacy page (https://help.bybit.com/hc/en-us/articles/900000181046):
    LP = 10,000 x (1 - 2 % + 0.5 %) = 9,850; "Bankruptcy Price (USDT Contract)": 9,800."""
    assert leverage_bankruptcy_price(1, 10000.0, 50, False) == pytest.approx(9800.0)
    assert default_close_fee(1, 1.0, 10000.0, 50, False, 0.00075) == pytest.approx(7.35)
    data = bybit_one_tier(False, 0.00075)
    plan = plan_on(data, [pos("BTCUSDT", 1.0, 10000.0, 50)])
    leg = evaluate(plan, plan.profile).legs[0]
    assert leg.collateral == pytest.approx(207.35)  # the position margin Bybit shows
    assert leg.bankruptcy_price == pytest.approx(9800.0, rel=1e-12)
    assert leg.liquidation_price == pytest.approx(9850.0, rel=1e-12)
    # Typing the 207.35 shown by Bybit as the position margin gives Bybit's prices back.
    typed = plan_on(data, [pos("BTCUSDT", 1.0, 10000.0, 50, isolated_margin=207.35)])
    leg2 = evaluate(typed, typed.profile).legs[0]
    assert (leg2.liquidation_price, leg2.bankruptcy_price) == pytest.approx((9850.0, 9800.0), rel=1e-12)
    # Requirement = MM on entry value (50) + the fee held (7.35).
    assert leg.margin_ratio is not None and leg.margin_ratio * leg.equity == pytest.approx(50.0 + 7.35)
    short = evaluate(plan_on(data, [pos("BTCUSDT", 1.0, 10000.0, 50, side="short")]), plan.profile).legs[0]
    assert short.collateral == pytest.approx(200 + 10200 * 0.00075)
    assert (short.bankruptcy_price, short.liquidation_price) == pytest.approx((10200.0, 10150.0), rel=1e-12)


def test_bybit_inverse_order_cost_fee_to_close() -> None:
    """Bybit "Order Cost (Inverse Contract)" (copy: https://mobie.io/?p=7385): 10,000 contracts at
    6,400, 25x, taker 0.075 % -> IM 0.0625 BTC, bankruptcy 6,400 x 25/26 = 6,153.85 (page: ~6,154),
    fee to close 10,000/6,153.85 x 0.075 % = 0.00121875 BTC (page, with 6,154: 0.00121872)."""
    fee = default_close_fee(1, 10000.0, 6400.0, 25, True, 0.00075)
    assert fee == pytest.approx(0.00121875, abs=1e-10)
    assert fee == pytest.approx(0.00121872, abs=5e-8)
    data = bybit_one_tier(True, 0.00075)
    plan = plan_on(data, [pos("BTCUSD", 10000, 6400.0, 25)], wallet=1.0)
    leg = evaluate(plan, plan.profile).legs[0]
    assert leg.collateral == pytest.approx(0.0625 + 0.00121875, abs=1e-10)
    assert leg.bankruptcy_price == pytest.approx(6400 * 25 / 26, rel=1e-12)


def test_bybit_inverse_cross_example_reserves_fee_at_bankruptcy() -> None:
    """Bybit "How to calculate Liquidation Price (Inverse Contract)", cross margin
    (https://help.bybit.com/hc/en-us/articles/360039261334): balance 0.5 BTC, long 10,000 contracts
    at 8,000, MMR 0.5 %, fee 0.075 %: BP = 1.00075 x 10,000 / (10,000/8,000 + 0.5) = 5,718.57 and
    LP = 5,739.50 as shown (5,739.11 unrounded; long prices are shown rounded up to the 0.5 tick)."""
    data = bybit_one_tier(True, 0.00075)
    plan = plan_on(data, [pos("BTCUSD", 10000, 8000.0, 10, mode="cross")], wallet=0.5)
    leg = evaluate(plan, plan.profile).legs[0]
    assert leg.bankruptcy_price == pytest.approx(1.00075 * 10000 / (10000 / 8000 + 0.5), rel=1e-12)
    assert round(leg.bankruptcy_price, 2) == 5718.57
    fee = 10000 * 0.00075 / leg.bankruptcy_price
    assert fee == pytest.approx(bankruptcy_close_fee(1, 10000, 8000.0, 0.5, True, 0.00075), rel=1e-12)
    expected = 1 / (1 / 8000 + (0.5 - 10000 / 8000 * 0.005 - fee) / 10000)
    assert leg.liquidation_price == pytest.approx(expected, rel=1e-9)
    assert round_price_safe(leg.liquidation_price, 0.5, 1) == 5739.5


def test_bybit_inverse_adl_example_unchanged_by_fee() -> None:
    """Bybit ADL example (https://help.bybit.com/hc/en-us/articles/900000031623): 5,000 contracts at
    7,890.08, 50x: BP = E x L/(L+1) = 7,735.37 (shown 7,735.50), LP = E x L/(L+1-MMR x L) = 7,773.48
    (shown 7,773.50). A position margin holding the fee to close gives the same two prices."""
    data = bybit_one_tier(True, 0.00055)
    plan = plan_on(data, [pos("BTCUSD", 5000, 7890.08, 50)], wallet=1.0)
    leg = evaluate(plan, plan.profile).legs[0]
    assert leg.bankruptcy_price == pytest.approx(7890.08 * 50 / 51, rel=1e-12)
    assert leg.liquidation_price == pytest.approx(7890.08 * 50 / (51 - 0.005 * 50), rel=1e-12)
    assert round_price_safe(leg.liquidation_price, 0.5, 1) == 7773.5


# ---------------------------------------------------------------------------
# Item 6: Deribit initial margin and displayed leverage
# ---------------------------------------------------------------------------


def test_deribit_initial_margin_on_value_at_mark() -> None:
    """Deribit "Linear Perpetual" (https://support.deribit.com/hc/en-us/articles/25944738177565-Linear-Perpetual):
    BTC_USDC 25 BTC at 100,000: IM 2 % + 25 x 0.005 % = 2.125 % = 53,125 USDC; MM 1.125 % = 28,125 USDC.
    Entered at 90,000, the IM is still taken on the value at the mark (not entry value / leverage)."""
    prof = get_profile("deribit")
    plan = plan_on(prof, [pos("BTC_USDC-PERPETUAL", 25.0, 90000.0, 10, mode="cross", mark=100000.0)], balances={"USDC": 1e7})
    leg = evaluate(plan, prof).legs[0]
    assert leg.initial_margin == pytest.approx(53125.0, rel=1e-12)
    assert leg.maintenance_margin == pytest.approx(28125.0, rel=1e-12)
    table = TierTable.from_spec(prof.symbols["BTC_USDC-PERPETUAL"])
    assert initial_margin(25.0, 90000.0, 100000.0, 10, table) == pytest.approx(53125.0)


def test_deribit_displayed_leverage_accepted() -> None:
    """Deribit BTC IM = 2 % + size x 0.005 % (https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022).
    400.06 BTC -> IM 4.0003 % -> 24.998x, shown as 25x: 25x is accepted. 401 BTC -> 24.97x: 25x is refused."""
    prof = get_profile("deribit")
    e = 50000.0
    contracts = 400.06 * e / 10  # BTC-PERPETUAL: 10 USD per contract
    ok = plan_on(prof, [pos("BTC-PERPETUAL", contracts, e, 25, mode="cross")], balances={"BTC": 100})
    cap = 1 / (0.02 + 400.06 * 0.00005)
    assert cap == pytest.approx(24.998, abs=5e-4)
    assert problems(ok) == []
    over = plan_on(prof, [pos("BTC-PERPETUAL", contracts, e, 25.01, mode="cross")], balances={"BTC": 100})
    assert any("25.01x exceeds the maximum" in p for p in problems(over))
    big = plan_on(prof, [pos("BTC-PERPETUAL", 401 * e / 10, e, 25, mode="cross")], balances={"BTC": 100})
    assert any("25x exceeds the maximum 24.97" in p for p in problems(big))


# ---------------------------------------------------------------------------
# Item 7: per-symbol liquidation fee, Hyperliquid margin tiers, schema
# ---------------------------------------------------------------------------


def test_deribit_liquidation_fee_per_symbol() -> None:
    """Deribit liquidation fee from 11 January 2022: BTC 0.75 %, ETH 0.9 %
    (https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022)."""
    prof = get_profile("deribit")
    assert prof.liquidation_fee_for("BTC-PERPETUAL") == 0.0075
    assert prof.liquidation_fee_for("ETH-PERPETUAL") == 0.009
    assert prof.liquidation_fee_for("SOL_USDC-PERPETUAL") == prof.fees.liquidation
    plan = plan_on(prof, [pos("ETH-PERPETUAL", 30000, 3000.0, 20, mode="cross")], balances={"ETH": 1.0})
    leg = evaluate(plan, prof).legs[0]
    assert leg.liquidation_fee == pytest.approx(0.009 * 30000 / leg.liquidation_price, rel=1e-12)


def test_liquidation_fee_schema_and_validation() -> None:
    schema = profile_json_schema()
    spec_props = schema["$defs"]["SymbolSpec"]["properties"]
    assert "liquidation_fee" in spec_props and "overrides fees.liquidation" in spec_props["liquidation_fee"]["description"]
    assert "leverage_display_decimals" in schema["$defs"]["SizeScaledMargin"]["properties"]
    assert "inclusive" in schema["$defs"]["Tier"]["description"]
    bad = with_symbol("deribit", "ETH-PERPETUAL", liquidation_fee=0.2)
    with pytest.raises(PlannerError) as exc:
        profile_from_data(bad)
    assert "symbols.ETH-PERPETUAL.liquidation_fee" in exc.value.describe()


def test_hyperliquid_btc_margin_tiers() -> None:
    """Hyperliquid "Margin tiers" (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/margin-tiers):
    BTC 0-150M USDC at 40x, >150M at 20x; MMR = IM rate at the tier's max leverage / 2 (1.25 %, 2.5 %);
    deduction(1) = 150M x (2.5 % - 1.25 %) = 1,875,000. At 150M exactly: 40x allowed, MM 1,875,000."""
    prof = get_profile("hyperliquid")
    tiers = prof.symbols["BTC"].tiers
    assert [(t.notional_cap, t.max_leverage, t.maintenance_rate, t.maintenance_amount) for t in tiers] == [
        (150e6, 40, 0.0125, 0.0),
        (None, 20, 0.025, 1_875_000.0),
    ]
    table = TierTable.from_spec(prof.symbols["BTC"])
    assert table.continuous
    assert float(maintenance_margin(1500.0, 100000.0, table)) == pytest.approx(1_875_000.0)
    assert float(maintenance_margin(2000.0, 100000.0, table)) == pytest.approx(200e6 * 0.025 - 1_875_000.0)
    assert problems(plan_on(prof, [pos("BTC", 1500.0, 100000.0, 40)])) == []
    assert any("40x exceeds the maximum 20x" in p for p in problems(plan_on(prof, [pos("BTC", 1500.01, 100000.0, 40)])))
    # Liquidation: M + upnl = MM at the liquidation price, tier re-selected there (freqtrade / docs formula).
    q, e = 2000.0, 100000.0  # 200M notional at 10x
    plan = plan_on(prof, [pos("BTC", q, e, 10)])
    lp = evaluate(plan, prof).legs[0].liquidation_price
    m = q * e / 10
    assert m + q * (lp - e) == pytest.approx(float(maintenance_margin(q, lp, table)), rel=1e-9)


def test_hyperliquid_tier_rate_checked() -> None:
    data = with_symbol(
        "hyperliquid",
        "ETH",
        tiers=[
            {"notional_floor": 0, "notional_cap": 1e8, "max_leverage": 25, "maintenance_rate": 0.02},
            {"notional_floor": 1e8, "max_leverage": 15, "maintenance_rate": 0.03, "maintenance_amount": 1e6},
        ],
    )
    with pytest.raises(PlannerError) as exc:
        profile_from_data(data)
    assert "symbols.ETH.tiers.2: hyperliquid maintenance_rate must be 1/(2 x max_leverage) = 0.0333333" in exc.value.describe()


# ---------------------------------------------------------------------------
# Item 8: maintenance amounts off the recurrence are used as published, with a warning
# ---------------------------------------------------------------------------


def off_recurrence() -> dict:
    """Binance BTCUSDT with bracket 3's cum changed from 950 to 1,000 (a stale or edited table)."""
    data = binance_2024().model_dump(mode="json")
    data["id"] = "binance-stale"
    data["symbols"]["BTCUSDT"]["tiers"][2]["maintenance_amount"] = 1000.0
    return data


def test_off_recurrence_table_used_as_published_with_warning(tmp_path: Path, capsys) -> None:
    prof = profile_from_data(off_recurrence())
    assert prof.warnings == [
        "profile 'binance-stale': symbols.BTCUSDT.tiers.3.maintenance_amount 1,000 does not follow the recurrence"
        " cum_n = cum_(n-1) + floor_n x (rate_n - rate_(n-1)) (expected 950); used as published, so maintenance margin jumps at tier 3"
    ]
    table = TierTable.from_spec(prof.symbols["BTCUSDT"])
    assert not table.continuous
    assert float(maintenance_margin(20.0, 50000.0, table)) == pytest.approx(1e6 * 0.0065 - 1000.0)  # the published amount
    # A 1,000,000 USDT long at 20x: equity meets the published requirement at the liquidation price.
    plan = plan_on(prof, [pos("BTCUSDT", 20.0, 50000.0, 20)])
    ev = evaluate(plan, prof)
    assert ev.warnings == prof.warnings
    lp = ev.legs[0].liquidation_price
    assert 5e4 + 20 * (lp - 50000) == pytest.approx(float(maintenance_margin(20.0, lp, table)), rel=1e-9)
    # The CLI: one line per warning on stderr, the JSON carries the list.
    path = tmp_path / "stale.plan.json"
    path.write_text(json.dumps(json.loads(plan.model_dump_json())))
    assert main(["evaluate", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["warnings"] == prof.warnings
    assert err == f"position-planner: warning: {prof.warnings[0]}\n"
    # A plan that does not use the symbol gets no warning on its evaluation.
    assert evaluate(plan_on(prof, [pos("ETHUSDT", 1.0, 3000.0, 20)]), prof).warnings == []


def test_bundled_profiles_have_no_warnings() -> None:
    for pid in ("binance-usdm", "binance-coinm", "bybit-linear", "bybit-inverse", "hyperliquid"):
        assert get_profile(pid).warnings == [], pid


def test_price_at_level_uses_published_amount_across_jump() -> None:
    """With the stale cum, MM jumps by 50 USDT at 600,000: the liquidation price is where the
    position turns under-margined (it may sit on the boundary), never past it."""
    prof = profile_from_data(off_recurrence())
    table = TierTable.from_spec(prof.symbols["BTCUSDT"])
    q, e = 20.0, 50000.0
    lp = float(price_at_level(1, q, e, q * e / 2.0, table)[0])
    assert math.isfinite(lp)
    gap = lambda p: q * e / 2.0 + q * (p - e) - float(maintenance_margin(q, p, table))  # noqa: E731
    assert gap(lp * (1 + 1e-9)) >= -1e-6 and gap(lp * (1 - 1e-9)) <= 1e-6


def test_import_tiers_warns_on_published_amounts_off_recurrence(tmp_path: Path, capsys) -> None:
    """A saved /fapi/v1/leverageBracket response whose bracket-3 cum is 1,000 instead of 950 is
    imported as published; the CLI says so on stderr, naming the tier."""
    data = json.loads(BRACKETS.read_text())
    data[0]["brackets"][2]["cum"] = 1000.0
    path = tmp_path / "stale-brackets.json"
    path.write_text(json.dumps(data))
    assert main(["import-tiers", str(path), "--profile", "binance-usdm", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert "dry run: nothing saved" in out
    assert err.startswith("position-planner: warning: profile 'binance-usdm': symbols.BTCUSDT.tiers.3.maintenance_amount 1,000")
    assert err.count("\n") == 1


def _bundled_symbols() -> list[tuple[str, str]]:
    from planner.io.registry import bundled_profiles

    # Binance USD-M lists hundreds of symbols: the full check runs on the majors here and the
    # boundary lookup on every symbol in test_every_bundled_cap_is_inclusive.
    majors = {"BTCUSDT", "ETHUSDT", "SOLUSDT", "1000PEPEUSDT", "BTCUSDC"}
    return [(pid, sym) for pid, p in sorted(bundled_profiles().items()) for sym in p.symbols if pid != "binance-usdm" or sym in majors]


def test_every_bundled_cap_is_inclusive() -> None:
    """Every tier of every bundled symbol: the cap belongs to its tier, just past it to the next."""
    from planner.io.registry import bundled_profiles

    for prof in bundled_profiles().values():
        for sym, spec in prof.symbols.items():
            table = TierTable.from_spec(spec)
            if table.size_scaled is not None:
                continue
            for i, t in enumerate(spec.tiers[:-1]):
                assert t.notional_cap is not None
                assert int(tier_index(t.notional_cap, table)) == i, (prof.id, sym, i)
                assert int(tier_index(t.notional_cap * (1 + 1e-9), table)) == i + 1, (prof.id, sym, i)


@pytest.mark.parametrize(("pid", "sym"), _bundled_symbols())
def test_bundled_tables_both_sides_of_every_cap(pid: str, sym: str) -> None:
    """Every bundled table: exactly at each cap the tier's own max leverage and rate, just past
    it the next tier's; exactly at the last cap accepted, one part in a million past it refused."""
    prof = get_profile(pid)
    spec = prof.symbols[sym]
    table = TierTable.from_spec(spec)
    if table.size_scaled is not None:
        return
    for i, t in enumerate(spec.tiers[:-1]):
        assert t.notional_cap is not None
        assert int(tier_index(t.notional_cap, table)) == i
        assert int(tier_index(t.notional_cap * (1 + 1e-9), table)) == i + 1
    last = spec.tiers[-1]
    if last.notional_cap is None:
        return
    e = 1000.0
    inverse = table.inverse
    q_formula = last.notional_cap if table.basis == "size" else (last.notional_cap * e if inverse else last.notional_cap / e)
    quantity = q_formula / spec.contract_size if inverse else q_formula
    balances = {spec.settle: 1e12}

    def plan(qty: float) -> Plan:
        return plan_on(prof, [pos(sym, qty, e, last.max_leverage, mode="cross")], wallet=1e12, balances=balances)

    assert problems(plan(quantity)) == []
    msgs = problems(plan(quantity * (1 + 1e-6)))
    assert len(msgs) == 1 and msgs[0].startswith("positions.0.quantity:") and "the largest position the venue allows is" in msgs[0]


def test_bybit_hedged_cross_legs_hold_their_fees() -> None:
    """Two Bybit legs of one symbol in one cross wallet: at the common liquidation price the
    wallet plus both uPnLs equals both entry-value MMs plus both held fees to close; at the
    bankruptcy price it equals the held fees (hand check of the item-5 model in hedge mode)."""
    from planner.engine.evaluate import leg_inputs

    data = bybit_one_tier(False, 0.00055)
    plan = plan_on(
        data,
        [pos("BTCUSDT", 1.0, 50000.0, 50, mode="cross"), pos("BTCUSDT", 0.5, 50000.0, 50, side="short", mode="cross")],
        wallet=600.0,
    )
    ev = evaluate(plan, plan.profile)
    legs = leg_inputs(plan, plan.profile)
    held = sum(l.close_fee_held for l in legs)
    assert all(l.close_fee_held > 0 for l in legs)
    mm = (1.0 + 0.5) * 50000.0 * 0.005

    def equity(p: float) -> float:
        return 600.0 + 1.0 * (p - 50000.0) - 0.5 * (p - 50000.0)

    lp, bp = ev.legs[0].liquidation_price, ev.legs[0].bankruptcy_price
    assert lp is not None and bp is not None and bp < lp < 50000.0
    assert equity(lp) == pytest.approx(mm + held, abs=1e-6)
    assert equity(bp) == pytest.approx(held, abs=1e-6)
