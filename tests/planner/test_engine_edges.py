"""Engine correctness at the edges (issue 15 items 6-10, issue 12 items 1, 4 and 9).

Every number is hand-computed in the docstring or comment next to it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from planner.cli.evaluate import evaluation_table
from planner.drills.actions import action_plan
from planner.drills.paths import flash_crash, run_path
from planner.drills.scenarios import shock
from planner.engine.curves import price_curves
from planner.engine.evaluate import evaluate
from planner.engine.validation import plan_problems
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import RULE_TRAITS, ExchangeProfile
from planner.present.format import fmt_price, round_price_safe

BTC_TIERS = get_profile("binance-usdm").symbols["BTCUSDT"].model_dump(mode="json")


def inline_profile(rule: str, **over: object) -> dict:
    """An inline profile holding BTCUSDT with Binance's brackets (amounts dropped for rules without a deduction)."""
    tiers = BTC_TIERS["tiers"] if rule in ("binance", "bybit") else [{**t, "maintenance_amount": 0.0} for t in BTC_TIERS["tiers"]]
    prof = {
        "id": f"test-{rule}",
        "name": f"test {rule}",
        "version": "2026-01-01",
        "rule": rule,
        "settle_currency": "USDT",
        "fees": {"maker": 0.0002, "taker": 0.0005, "liquidation": 0.0125},
        "funding": {"interval_hours": 8},
        "policies": {"insurance_fund": True, "adl": True, "negative_balance_protection": True, "leftover_margin": "insurance_fund"},
        "symbols": {"BTCUSDT": {**BTC_TIERS, "tiers": tiers}},
        "sources": [{"url": "https://example.invalid/test"}],
    }
    prof.update(over)
    return prof


def _plan(profile: str | dict, positions: list[dict], wallet: float = 0.0, **extra) -> tuple[Plan, ExchangeProfile]:
    plan = Plan.model_validate({"profile": profile, "account": {"wallet_balance": wallet}, "positions": positions, **extra})
    prof = plan.profile if isinstance(plan.profile, ExchangeProfile) else get_profile(plan.profile)
    return plan, prof


def _leg(symbol: str, side: str, q: float, e: float, lev: float, mode: str = "isolated", mark: float | None = None, **kw) -> dict:
    return {
        "symbol": symbol,
        "side": side,
        "quantity": q,
        "entry_price": e,
        "mark_price": mark,
        "leverage": lev,
        "margin_mode": mode,
        **kw,
    }


def _gap(plan: Plan, prof: ExchangeProfile, symbol: str, price: float) -> float:
    """Cross equity minus requirement with ``symbol`` at ``price`` (the engine's own curves)."""
    c = price_curves(plan, prof, symbol, np.array([price]))
    return float(c.cross_equity[0] - c.cross_requirement[0])


# ---------------------------------------------------------------------------
# 15.6: every leg in its own settlement wallet
# ---------------------------------------------------------------------------


def test_path_drill_liquidates_coin_margined_leg_like_the_shock_drill() -> None:
    """binance-coinm ETHUSD_PERP (settles in ETH, the profile's wallet is BTC): 100
    contracts x 10 USD long @ 3,000 at 50x has 1,000/3,000/50 = 0.00667 ETH of margin.
    Its liquidation price is 1,000 x 1.005 / (0.00667 + 1,000/3,000) = 2,955.9: a 20 %
    flash crash takes it; the shock drill at -20 % says the same."""
    plan, prof = _plan_coinm()
    ev = evaluate(plan, prof)
    assert ev.legs[0].liquidation_price == pytest.approx(1000 * 1.005 / (1000 / 3000 / 50 + 1000 / 3000), rel=1e-9)
    assert shock(plan, prof, move=-0.2).liquidated == [0]
    r = run_path(plan, prof, flash_crash(drop=0.2, horizon_hours=24))
    assert 0 in r.liquidations
    hour, price = r.liquidations[0]
    # The crash passes 2,955.88 (-1.47 %) after 0.037 h; the first of the path's points
    # (600 over 24 h, 24/599 h apart) beyond it is the second one, at 3,000 x (1 - 0.2 x 0.0401/0.5) = 2,951.9.
    assert hour == pytest.approx(24 / 599)
    assert price <= ev.legs[0].liquidation_price and price > ev.legs[0].liquidation_price * 0.99
    assert set(r.accounts) == {"BTC", "ETH"}
    assert r.currency == "BTC" and float(r.accounts["BTC"].equity[-1]) == pytest.approx(1.0)  # the BTC wallet holds no leg
    # The ETH wallet loses the leg's margin (Binance: leftover to the insurance fund).
    eth = r.accounts["ETH"]
    assert float(eth.equity[0]) == pytest.approx(0.5) and float(eth.equity[-1]) == pytest.approx(0.5 - 1000 / 3000 / 50)


def _plan_coinm(mode: str = "isolated") -> tuple[Plan, ExchangeProfile]:
    plan = Plan.model_validate(
        {
            "profile": "binance-coinm",
            "account": {"wallet_balance": 1.0, "balances": {"ETH": 0.5}},
            "positions": [_leg("ETHUSD_PERP", "long", 100, 3000.0, 50, mode, mark=3000.0)],
            "funding_rates": {"ETHUSD_PERP": 0.0001},
        }
    )
    return plan, get_profile("binance-coinm")


def test_funding_audit_covers_legs_settled_in_another_currency() -> None:
    """The ETH leg pays funding in ETH: 3 settlements in 24 h x 1,000 USD / 3,000 x 0.01 % = 0.0001 ETH."""
    plan, prof = _plan_coinm()
    plan = plan.model_copy(update={"horizon_hours": 24.0})
    audits = [s for s in action_plan(plan, prof).steps if s.kind == "audit_funding"]
    by_ccy = {s.currency: s.amount for s in audits}
    assert set(by_ccy) == {"ETH"}  # the BTC wallet pays no funding: "pays 0.000000 BTC" is not a step
    assert by_ccy["ETH"] == pytest.approx(3 * 1000 / 3000 * 0.0001)


# ---------------------------------------------------------------------------
# 15.7: band tables without a deduction
# ---------------------------------------------------------------------------


def test_kraken_band_long_liquidates_just_below_the_mark_not_above() -> None:
    """Kraken PF_ETHUSD long 330 @ 3,000 (990,000 USD, band 1: 1 %, MM 9,900) with
    isolated margin 9,950. A rise to 3,030.30 lifts it into band 2 (2 %), where it is
    under-margined too, but the nearest liquidation on the loss side is
    (330 x 3,000 - 9,950) / (330 x 0.99) = 2,999.8470, just below the mark."""
    plan, prof = _plan("kraken", [_leg("PF_ETHUSD", "long", 330, 3000.0, 50, mark=3000.0, isolated_margin=9950.0)], wallet=20000.0)
    leg = evaluate(plan, prof).legs[0]
    expected = (330 * 3000 - 9950) / (330 * 0.99)
    assert leg.liquidation_price == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(2999.8470, abs=1e-4)
    assert leg.liquidation_price < leg.mark_price and leg.distance_to_liquidation > 0
    # A 0.01 % fall (to 2,999.70) liquidates it: equity 9,851 < MM 9,899.0.
    p = 3000 * (1 - 0.0001)
    assert 9950 + 330 * (p - 3000) < 0.01 * 330 * p
    # The text table shows a positive distance, not "-1.02 %".
    assert "-1.02%" not in evaluation_table(plan, prof, evaluate(plan, prof))


# ---------------------------------------------------------------------------
# 15.8: cross accounts already under water
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["long", "short"])
def test_cross_account_under_water_is_marked_liquidated_without_prices(side: str) -> None:
    """A 10x cross leg with wallet 0: equity 0 < MM 200 at the mark. It is evaluated as
    liquidated, with no liquidation, bankruptcy or margin-call price and a warning."""
    plan, prof = _plan("binance-usdm", [_leg("BTCUSDT", side, 1.0, 50000.0, 10, "cross", mark=50000.0)], wallet=0.0)
    ev = evaluate(plan, prof)
    leg = ev.legs[0]
    assert leg.state == "liquidation" and ev.account.state == "liquidation"
    assert leg.liquidation_price is None and leg.bankruptcy_price is None and leg.margin_call_price is None
    assert leg.distance_to_liquidation is None
    assert ev.account.cross_liquidation_move_down is None and ev.account.cross_liquidation_move_up is None
    assert len(ev.warnings) == 1 and "already liquidated" in ev.warnings[0] and "1 (BTCUSDT " + side + ")" in ev.warnings[0]
    assert ev.to_dict()["warnings"] == ev.warnings
    assert "Warning: cross USDT wallet already liquidated" in evaluation_table(plan, prof, ev)


def test_cross_account_with_a_little_wallet_keeps_prices_on_the_loss_side() -> None:
    """Wallet 300 > MM 200: long liquidates below the mark, short above it."""
    for side, s in (("long", 1), ("short", -1)):
        plan, prof = _plan("binance-usdm", [_leg("BTCUSDT", side, 1.0, 50000.0, 10, "cross", mark=50000.0)], wallet=300.0)
        leg = evaluate(plan, prof).legs[0]
        assert (50000.0 - leg.liquidation_price) * s > 0
        assert (leg.liquidation_price - leg.bankruptcy_price) * s > 0
        assert not evaluate(plan, prof).warnings


# ---------------------------------------------------------------------------
# 15.9: OKX isolated margin must cover maintenance plus the reserved close fee
# ---------------------------------------------------------------------------


def test_okx_isolated_margin_must_cover_the_close_fee() -> None:
    """OKX BTC-USDT-SWAP 400 contracts x 0.01 = 4 BTC @ 50,000 = 200,000 USDT: MM 0.4 % =
    800, close fee 0.05 % = 100. Margin 850 covers MM but not MM + fee: refused."""
    prof = get_profile("okx")
    taker = prof.fees.taker
    mm, fee = 200000 * 0.004, 200000 * taker
    plan, _ = _plan("okx", [_leg("BTC-USDT-SWAP", "long", 4.0, 50000.0, 100, isolated_margin=mm + fee / 2)], wallet=10000.0)
    problems = plan_problems(plan, prof)
    assert [p.path for p in problems] == ["positions.0.isolated_margin"]
    assert "reserved close fee" in problems[0].message and f"{mm + fee:,.6g}" in problems[0].message
    ok, _ = _plan("okx", [_leg("BTC-USDT-SWAP", "long", 4.0, 50000.0, 100, isolated_margin=mm + fee * 2)], wallet=10000.0)
    leg = evaluate(ok, prof).legs[0]
    assert leg.liquidation_price < 50000.0


# ---------------------------------------------------------------------------
# 15.10: one mark per symbol; same-symbol roots anywhere; margin call never beyond liquidation
# ---------------------------------------------------------------------------


def test_legs_of_one_symbol_with_different_marks_are_refused_naming_both() -> None:
    plan, prof = _plan(
        "binance-usdm",
        [
            _leg("BTCUSDT", "long", 1.0, 50000.0, 10, "cross", mark=50000.0),
            _leg("BTCUSDT", "short", 0.5, 51000.0, 10, "cross", mark=49000.0),
        ],
        wallet=20000.0,
    )
    with pytest.raises(PlannerError) as exc:
        evaluate(plan, prof)
    text = exc.value.describe()
    assert "positions.1.mark_price" in text and "leg 2 gives 49,000" in text and "leg 1 gives 50,000" in text
    # A leg without a mark takes its symbol's mark.
    same, _ = _plan(
        "binance-usdm",
        [_leg("BTCUSDT", "long", 1.0, 50000.0, 10, "cross", mark=52000.0), _leg("BTCUSDT", "short", 0.5, 51000.0, 10, "cross")],
        wallet=20000.0,
    )
    assert [l.mark_price for l in evaluate(same, prof).legs] == [52000.0, 52000.0]


def test_hedged_cross_root_far_beyond_a_thousand_times_the_mark_is_found() -> None:
    """Long and short 1 BTC @ 50,000 in a 300,000,000 USDT wallet: the uPnL cancels, so
    only the requirement grows with the price. Both legs' MM, 2 x (25 % x P - cum), reaches
    the wallet at P = 600,000,000 + 4 x cum = 1,085,925,800 (bracket 8e8-1.2e9), over
    20,000 x the mark. The old search of ±1000x around the mark said "none"."""
    plan, prof = _plan(
        "binance-usdm",
        [_leg("BTCUSDT", "long", 1.0, 50000.0, 10, "cross", mark=50000.0), _leg("BTCUSDT", "short", 1.0, 50000.0, 10, "cross")],
        wallet=3e8,
    )
    ev = evaluate(plan, prof)
    lp = ev.legs[0].liquidation_price
    assert lp == pytest.approx(6e8 + 4 * BTC_TIERS["tiers"][10]["maintenance_amount"], rel=1e-9)
    assert BTC_TIERS["tiers"][10]["maintenance_rate"] == 0.25 and lp > 20000 * 50000
    assert ev.legs[1].liquidation_price == lp
    assert _gap(plan, prof, "BTCUSDT", lp) == pytest.approx(0.0, abs=1e-6 * 3e8)
    assert _gap(plan, prof, "BTCUSDT", lp * 0.999) > 0 > _gap(plan, prof, "BTCUSDT", lp * 1.001)


def test_margin_call_price_is_now_in_a_margin_call_and_never_beyond_liquidation() -> None:
    """20x long 1 BTC @ 50,000 (margin 2,500), mark 47,720: MM/equity = 190.88 / 220 = 0.87
    >= 0.8: in a margin call, so the margin-call price is the mark ("now")."""
    plan, prof = _plan("binance-usdm", [_leg("BTCUSDT", "long", 1.0, 50000.0, 20, mark=47720.0)], wallet=5000.0)
    leg = evaluate(plan, prof).legs[0]
    assert leg.state == "margin_call"
    assert leg.margin_call_price == 47720.0
    assert leg.liquidation_price < leg.margin_call_price


# ---------------------------------------------------------------------------
# 12.1: hedge mode in one cross wallet shares one liquidation price
# ---------------------------------------------------------------------------


def _binance_hedge_lp(wb: float, ql: float, el: float, qs: float, es: float, tiers: list[dict]) -> float:
    """Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts",
    https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93 (variable table
    copied at https://binance-proxy.shuxipo.com/en/support/faq/detail/b3c689c1f50a44cabb3a84e663b81d93),
    hedge-mode terms only (no BOTH position, no other contracts):

        LP = (WB + cumL + cumS - Position1LONG x EP1LONG + Position1SHORT x EP1SHORT)
             / (Position1LONG x MMR_L + Position1SHORT x MMR_S - Position1LONG + Position1SHORT)

    with each position's bracket taken at the liquidation price ("substitute the maintenance
    margin rate and maintenance amount of the level at the liquidation price and recalculate").
    """

    def bracket(value: float) -> tuple[float, float]:
        for t in tiers:
            if t["notional_cap"] is None or value < t["notional_cap"]:
                return t["maintenance_rate"], t["maintenance_amount"]
        raise AssertionError

    lp = el
    for _ in range(20):
        (ml, cl), (ms, cs) = bracket(ql * lp), bracket(qs * lp)
        lp = (wb + cl + cs - ql * el + qs * es) / (ql * ml + qs * ms - ql + qs)
    return lp


def test_hedge_mode_legs_share_binance_faq_liquidation_price() -> None:
    """Binance COIN-M FAQ (https://www.binance.com/es/support/faq/ceccfcfb4e3a45e3b48b0b1bb1a8ae46):
    "Under Cross margin, same ticker/symbol, both long and short position share the same
    liquidation price except isolated mode." Long 2 BTC @ 60,000 and short 0.5 BTC @ 62,000,
    wallet 40,000 USDT, mark 61,000 (tests/data/plans/cross-book-5legs without the other legs).
    The FAQ formula with the bundled BTCUSDT brackets (2026-03-05 table) gives 32,885.91 for both; the short leg, which
    does not face the loss, used to get none."""
    plan, prof = _plan(
        "binance-usdm",
        [
            _leg("BTCUSDT", "long", 2.0, 60000.0, 20, "cross", mark=61000.0),
            _leg("BTCUSDT", "short", 0.5, 62000.0, 20, "cross", mark=61000.0),
        ],
        wallet=40000.0,
    )
    ev = evaluate(plan, prof)
    expected = _binance_hedge_lp(40000.0, 2.0, 60000.0, 0.5, 62000.0, BTC_TIERS["tiers"])
    assert ev.legs[0].liquidation_price == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(32885.91, abs=0.01)
    assert ev.legs[1].liquidation_price == ev.legs[0].liquidation_price
    assert ev.legs[1].bankruptcy_price == ev.legs[0].bankruptcy_price
    assert (
        ev.legs[1].distance_to_liquidation == pytest.approx(ev.legs[0].distance_to_liquidation) and ev.legs[1].distance_to_liquidation > 0
    )
    # Net short hedge: the shared price is above the mark.
    short_net, _ = _plan(
        "binance-usdm",
        [
            _leg("BTCUSDT", "long", 0.5, 60000.0, 20, "cross", mark=61000.0),
            _leg("BTCUSDT", "short", 2.0, 62000.0, 20, "cross", mark=61000.0),
        ],
        wallet=40000.0,
    )
    ev2 = evaluate(short_net, prof)
    up = _binance_hedge_lp(40000.0, 0.5, 60000.0, 2.0, 62000.0, BTC_TIERS["tiers"])
    assert ev2.legs[0].liquidation_price == ev2.legs[1].liquidation_price == pytest.approx(up, rel=1e-9)
    assert up == pytest.approx(88741.72, abs=0.01)


# ---------------------------------------------------------------------------
# 12.4: margin-call threshold in the rule's own direction
# ---------------------------------------------------------------------------


def test_inline_okx_profile_without_threshold_gets_one_in_okx_direction() -> None:
    """OKX ratio = equity / (MM + fee), liquidation at <= 100 %: the default margin call
    is 300 %, so the margin-call price lies between the mark and the liquidation price.

    300 % is the planner's default, not an OKX figure: OKX's liquidation-warning channel
    (https://www.okx.com/docs-v5/en/#trading-account-websocket-liquidation-warning-channel)
    states no threshold, and no OKX page stating a warning level was found."""
    raw = inline_profile("okx")
    raw.pop("margin_call_ratio", None)
    plan, prof = _plan(raw, [_leg("BTCUSDT", "long", 1.0, 50000.0, 20, mark=50000.0)], wallet=10000.0)
    assert prof.margin_call_ratio == RULE_TRAITS["okx"].default_margin_call == 3.0
    leg = evaluate(plan, prof).legs[0]
    assert leg.state == "safe"
    assert leg.liquidation_price < leg.margin_call_price < leg.mark_price
    # Equity is three times the requirement at the margin-call price: 2,500 + (P - 50,000) = 3 x P x (0.4 % + 0.05 %).
    p = leg.margin_call_price
    assert 2500 + (p - 50000) == pytest.approx(3 * p * (0.004 + prof.fees.taker), rel=1e-9)


def test_threshold_on_the_wrong_side_of_liquidation_is_refused() -> None:
    raw = inline_profile("okx", margin_call_ratio=0.8)
    with pytest.raises(ValidationError, match="margin_call_ratio"):
        Plan.model_validate({"profile": raw, "account": {"wallet_balance": 1}, "positions": []})
    with pytest.raises(ValidationError, match="allowed: 0 < ratio < 1"):
        ExchangeProfile.model_validate(inline_profile("binance", margin_call_ratio=1.5))
    plan, prof = _plan("okx", [_leg("BTC-USDT-SWAP", "long", 1.0, 50000.0, 20)], wallet=10000.0, margin_call_ratio=0.9)
    problems = plan_problems(plan, prof)
    assert [p.path for p in problems] == ["margin_call_ratio"] and "allowed: 1 < ratio" in problems[0].message


# ---------------------------------------------------------------------------
# 12.9: display rounding per venue, as profile data
# ---------------------------------------------------------------------------


def test_display_rounding_convention_is_rule_data() -> None:
    """Every rule, OKX included, shows liquidation prices on the safe side: no venue page found
    documents another rounding (OKX's API returns liqPx unrounded and documents no display rule)."""
    assert {t.price_display for t in RULE_TRAITS.values()} == {"safe"}
    # Safe: a long's 19,698.43 up to 19,698.5 (tick 0.1); an exact multiple stays.
    assert round_price_safe(19698.43, 0.1, 1) == pytest.approx(19698.5)
    assert round_price_safe(19698.4, 0.1, 1) == pytest.approx(19698.4)
    assert round_price_safe(20301.57, 0.1, -1) == pytest.approx(20301.5)
    # The other convention stays available for a venue that documents it: cut away from the
    # mark, then one tick nearer, so exact multiples move too.
    assert round_price_safe(19698.43, 0.1, 1, "tick_towards_mark") == pytest.approx(19698.5)
    assert round_price_safe(19698.4, 0.1, 1, "tick_towards_mark") == pytest.approx(19698.5)
    assert round_price_safe(20301.6, 0.1, -1, "tick_towards_mark") == pytest.approx(20301.5)
    assert fmt_price(19698.4, 0.1, 1, "tick_towards_mark") == "19,698.5"


def test_okx_api_liquidation_price_is_shown_on_the_safe_side() -> None:
    """OKX's docs-v5 positions example (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-positions):
    a long with markPx 2353.849 has liqPx "2352.8496681818233", unrounded. On a 0.01 tick the safe side
    is up, towards the mark: 2,352.85; a short's price at the same figure would show 2,352.84."""
    liq_px, mark_px = 2352.8496681818233, 2353.849
    side = 1 if liq_px < mark_px else -1
    assert round_price_safe(liq_px, 0.01, side, RULE_TRAITS["okx"].price_display) == pytest.approx(2352.85)
    assert fmt_price(liq_px, 0.01, side, RULE_TRAITS["okx"].price_display) == "2,352.85"
    assert fmt_price(liq_px, 0.01, -1, RULE_TRAITS["okx"].price_display) == "2,352.84"
    # An exact multiple of the tick is shown as it is, not one tick nearer the mark.
    assert fmt_price(2352.8, 0.1, 1, RULE_TRAITS["okx"].price_display) == "2,352.8"


def test_okx_text_table_uses_its_convention() -> None:
    """OKX 1 BTC long @ 50,000, 100x, isolated margin 500: LP = (50,000 - 500) / (1 - 0.4 % - 0.05 %)
    = 49,723.757; the table shows it rounded up (towards the mark) to the 0.1 tick: 49,723.8."""
    prof = get_profile("okx")
    plan, _ = _plan("okx", [_leg("BTC-USDT-SWAP", "long", 1.0, 50000.0, 100, isolated_margin=500.0)], wallet=10000.0)
    leg = evaluate(plan, prof).legs[0]
    lp = 49500 / (1 - 0.004 - prof.fees.taker)
    assert leg.liquidation_price == pytest.approx(lp, rel=1e-12)
    shown = fmt_price(lp, 0.1, 1, prof.traits.price_display)
    assert shown == "49,723.8"
    assert shown in evaluation_table(plan, prof, evaluate(plan, prof))
    assert float(shown.replace(",", "")) == pytest.approx(math.ceil(lp * 10) / 10)


@pytest.mark.parametrize(
    ("profile", "symbol", "qty", "entry", "lev", "ccy"),
    [
        ("kraken", "PI_XBTUSD", 50000.0, 50000.0, 40, "BTC"),
        ("deribit", "ETH-PERPETUAL", 30000.0, 3000.0, 40, "ETH"),
        ("deribit", "BTC_USDC-PERPETUAL", 0.5, 50000.0, 40, "USDC"),
        ("deribit", "BTC-PERPETUAL", 5000.0, 50000.0, 40, "BTC"),
    ],
)
def test_path_drill_agrees_with_shock_drill_in_every_wallet(
    profile: str, symbol: str, qty: float, entry: float, lev: float, ccy: str
) -> None:
    """Issue 15 item 6 names Deribit's ETH and USDC legs and Kraken's PI_XBTUSD: at 40x a
    20 % crash liquidates each in the shock drill, and the path drill now agrees."""
    plan = Plan.model_validate(
        {
            "profile": profile,
            "account": {"wallet_balance": 1000.0, "balances": {ccy: 1000.0}},
            "positions": [_leg(symbol, "long", qty, entry, lev, mark=entry)],
        }
    )
    prof = get_profile(profile)
    assert shock(plan, prof, move=-0.2).liquidated == [0]
    r = run_path(plan, prof, flash_crash(drop=0.2, horizon_hours=24))
    assert 0 in r.liquidations and ccy in r.accounts
    lp = evaluate(plan, prof).legs[0].liquidation_price
    assert r.liquidations[0][1] <= lp


def test_compare_drops_a_threshold_of_the_other_direction() -> None:
    """A plan's margin call of 0.9 (MM / equity) cannot hold on OKX (equity / requirement):
    the comparison uses OKX's own default there instead of refusing the row."""
    from planner.drills.scenarios import compare_profiles

    plan, prof = _plan("binance-usdm", [_leg("BTCUSDT", "long", 1.0, 50000.0, 10, mark=50000.0)], wallet=10000.0, margin_call_ratio=0.9)
    rows = {r.profile_id: r for r in compare_profiles(plan, prof, [get_profile("okx"), get_profile("bybit-linear")])}
    assert not rows["okx"].status.startswith("cannot hold"), rows["okx"].status
    assert rows["okx"].legs and rows["bybit-linear"].legs


def test_position_at_a_cap_without_deduction_is_liquidated_on_its_loss_side() -> None:
    """Found by the property test: a short inverse leg whose value (1 coin at 100) sits exactly on a
    tier cap (caps inclusive) of a table without a deduction. A dip lifts it into the 12.5 % tier,
    but at the entry it is margined, so its liquidation is on the loss side, where
    1/9 - 1 + (100/P)(1 - 0.0625) = 0, i.e. P = 100 x 0.9375 / 0.8889 = 105.47, not the far end of
    the profit-side stretch (98.4375) that was returned before."""
    from planner.engine.liquidation import liquidation_price
    from planner.engine.tiers import TierTable
    from planner.model.profile import Tier

    table = TierTable.from_tiers(
        [
            Tier(notional_floor=0.0, notional_cap=1.0, max_leverage=100, maintenance_rate=0.0625, maintenance_amount=0.0),
            Tier(notional_floor=1.0, notional_cap=None, max_leverage=100, maintenance_rate=0.125, maintenance_amount=0.0),
        ],
        inverse=True,
    )
    lp = float(liquidation_price(-1, 100.0, 100.0, 1 / 9, table)[0])
    assert lp == pytest.approx(100.0 * 0.9375 / (1 - 1 / 9), rel=1e-12)


def test_hedged_cross_legs_with_one_on_a_cap_meet_the_next_tier_at_once() -> None:
    """Found by the property test of the exact cross solver: on dex-generic (tiers without a
    deduction: 0.5 % to 100,000 USD, 1 % above) a 100,000 USD short sits exactly on the cap at the
    mark, so any rise puts it in the 1 % tier. With a 1,000 USD long, both at 60,000 and a
    101,000 USDT wallet, equity 200,000 - 1.65 P meets the requirement 0.01675 P at
    P = 200,000 / 1.66675 = 119,994.0003 (not 120,260.51, which takes the jump at the mark for none)."""
    legs = [
        _leg("BTC-PERP", "long", 1000.0 / 60000.0, 60000.0, 5, "cross", mark=60000.0),
        _leg("BTC-PERP", "short", 100000.0 / 60000.0, 60000.0, 5, "cross", mark=60000.0),
    ]
    plan, prof = _plan("dex-generic", legs, wallet=101000.0)
    lp = [leg.liquidation_price for leg in evaluate(plan, prof).legs]
    assert lp == [pytest.approx(200000.0 / 1.66675, rel=1e-12)] * 2
