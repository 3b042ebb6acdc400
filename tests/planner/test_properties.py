"""Hypothesis invariants of the liquidation engine, for every rule family.

* equity equals the requirement at the liquidation price (1e-9 relative);
* the bankruptcy price lies beyond the liquidation price on the loss side;
* the liquidation price moves away from entry as leverage falls or margin is added;
* a cross position with spare balance is never liquidated closer than isolated;
* linear and inverse agree with their closed forms; vector == scalar;
* boundaries (issue 12): a size exactly at a tier's cap is in that tier and
  liquidates at that tier's closed form; one unit past the last tier is refused.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.engine.liquidation import bankruptcy_price, closed_form_price, price_at_level
from planner.engine.tiers import TierTable, maintenance_margin, max_leverage_at, position_value, tier_index
from planner.model.profile import RULE_TRAITS, Tier, rebuild_maintenance_amounts

settings.register_profile("planner", deadline=None, max_examples=150)
settings.load_profile("planner")

BINANCE_BTC = rebuild_maintenance_amounts(
    [
        Tier(notional_floor=a, notional_cap=b, max_leverage=c, maintenance_rate=d)
        for a, b, c, d in [
            (0, 5e4, 125, 0.004),
            (5e4, 6e5, 100, 0.005),
            (6e5, 3e6, 75, 0.0065),
            (3e6, 12e6, 50, 0.01),
            (12e6, 70e6, 25, 0.02),
            (70e6, 1e8, 20, 0.025),
            (1e8, 2.3e8, 10, 0.05),
            (2.3e8, 4.8e8, 5, 0.1),
            (4.8e8, 6e8, 4, 0.125),
            (6e8, 8e8, 3, 0.15),
            (8e8, 1.2e9, 2, 0.25),
            (1.2e9, None, 1, 0.5),
        ]
    ]
)


@st.composite
def tier_tables(draw, inverse: bool, continuous: bool) -> TierTable:
    n = draw(st.integers(1, 6))
    scale = 1.0 if inverse else 1e4
    floors = [0.0, *sorted(draw(st.lists(st.floats(0.5, 10000.0), min_size=n - 1, max_size=n - 1, unique=True)))]
    floors = [f * scale for f in floors]
    rates = sorted(draw(st.lists(st.floats(0.002, 0.2), min_size=n, max_size=n)))
    tiers = [
        Tier(notional_floor=floors[i], notional_cap=floors[i + 1] if i + 1 < n else None, max_leverage=100, maintenance_rate=rates[i])
        for i in range(n)
    ]
    if continuous:
        tiers = rebuild_maintenance_amounts(tiers)
    return TierTable.from_tiers(tiers, inverse=inverse)


positions = st.fixed_dictionaries(
    {
        "s": st.sampled_from([1, -1]),
        "q": st.floats(0.001, 50.0),
        "entry": st.floats(100.0, 100_000.0),
        "leverage": st.floats(1.0, 100.0),
    }
)


def requirement_gap(s, q, entry, m, table: TierTable, price: float, k: float, fee: float, basis: str) -> float:
    upnl = s * q * (1 / entry - 1 / price) if table.inverse else s * q * (price - entry)
    mm = maintenance_margin(q, entry if basis == "entry" else price, table)
    return float(m + upnl - (k * mm + fee * position_value(q, price, table.inverse)))


def scale_of(q, entry, table) -> float:
    return float(position_value(q, entry, table.inverse))


RULES = sorted(RULE_TRAITS)


@pytest.mark.parametrize("rule", RULES)
@given(pos=positions, data=st.data())
def test_equity_equals_requirement_at_liquidation(rule: str, pos: dict, data) -> None:
    traits = RULE_TRAITS[rule]
    inverse = data.draw(st.booleans())
    table = data.draw(tier_tables(inverse, continuous=traits.deduction == "recurrence"))
    q = pos["q"] * (pos["entry"] if inverse else 1.0)  # inverse: USD notional
    m = scale_of(q, pos["entry"], table) / pos["leverage"]
    fee = 0.0005 if traits.close_fee_reserved else 0.0
    lp = float(price_at_level(pos["s"], q, pos["entry"], m, table, fee=fee, mm_basis=traits.mm_price_basis)[0])
    assume(math.isfinite(lp))
    gap = requirement_gap(pos["s"], q, pos["entry"], m, table, lp, 1.0, fee, traits.mm_price_basis)
    if table.continuous or traits.mm_price_basis == "entry":
        assert abs(gap) <= 1e-9 * max(m, scale_of(q, lp, table) * 1e-3, 1e-12) + 1e-9 * m
    else:
        # Without a deduction the requirement can jump at a tier boundary: the
        # liquidation price is where the position turns under-margined, nearest
        # on the loss side of the reference (here the entry); for a position already
        # under-margined there, the edge of that stretch on the profit side.
        under = requirement_gap(pos["s"], q, pos["entry"], m, table, pos["entry"], 1.0, fee, "tested") < 0
        loss_side = (lp - pos["entry"]) * pos["s"] <= 1e-12 * pos["entry"]
        assert loss_side != under or abs(lp - pos["entry"]) <= 1e-12 * pos["entry"]
        eps = 1e-9 * lp
        beyond = lp - pos["s"] * eps  # on the loss side: under-margined
        before = lp + pos["s"] * eps  # on the profit side: margined
        tol = 1e-9 * (m + scale_of(q, lp, table))
        assert requirement_gap(pos["s"], q, pos["entry"], m, table, beyond, 1.0, fee, "tested") <= tol
        if abs(lp - pos["entry"]) > 1e-9 * pos["entry"]:
            # (At the entry itself the leg can sit exactly on its level and on a cap at once:
            # under-margined a tick either way, so there is no margined profit side to check.)
            assert requirement_gap(pos["s"], q, pos["entry"], m, table, before, 1.0, fee, "tested") >= -tol


@pytest.mark.parametrize("rule", RULES)
@given(pos=positions, inverse=st.booleans())
def test_bankruptcy_beyond_liquidation(rule: str, pos: dict, inverse: bool) -> None:
    traits = RULE_TRAITS[rule]
    table = TierTable.from_tiers(
        BINANCE_BTC if traits.deduction == "recurrence" else [Tier(notional_floor=0, max_leverage=100, maintenance_rate=0.005)],
        inverse=inverse,
    )
    if inverse:
        table = TierTable.from_tiers([Tier(notional_floor=0, max_leverage=100, maintenance_rate=0.005)], inverse=True)
    q = pos["q"] * (pos["entry"] if inverse else 1.0)
    m = scale_of(q, pos["entry"], table) / pos["leverage"]
    fee = 0.0005 if traits.close_fee_reserved else 0.0
    lp = float(price_at_level(pos["s"], q, pos["entry"], m, table, fee=fee, mm_basis=traits.mm_price_basis)[0])
    bp = float(bankruptcy_price(pos["s"], q, pos["entry"], m, table, fee=fee)[0])
    if math.isfinite(lp) and math.isfinite(bp):
        assert (bp < lp) if pos["s"] > 0 else (bp > lp)
    if math.isfinite(bp):  # equity is zero at bankruptcy (after the reserved fee)
        assert abs(requirement_gap(pos["s"], q, pos["entry"], m, table, bp, 0.0, fee, "tested")) <= 1e-9 * m
    # A position that can go bankrupt can also be liquidated (maintenance > 0).
    if math.isfinite(bp):
        assert math.isfinite(lp)


@given(pos=positions, extra=st.floats(0.0, 10.0), lower=st.floats(1.01, 5.0))
def test_liquidation_moves_away_with_margin_and_lower_leverage(pos: dict, extra: float, lower: float) -> None:
    table = TierTable.from_tiers(BINANCE_BTC)
    m = pos["q"] * pos["entry"] / pos["leverage"]
    base = float(price_at_level(pos["s"], pos["q"], pos["entry"], m, table)[0])
    more = float(price_at_level(pos["s"], pos["q"], pos["entry"], m * (1 + extra), table)[0])
    lev_down = float(price_at_level(pos["s"], pos["q"], pos["entry"], pos["q"] * pos["entry"] / (pos["leverage"] / lower), table)[0])
    for other in (more, lev_down):
        if pos["s"] > 0:
            assert not (other > base)  # nan (no liquidation) counts as "further"
        else:
            assert math.isnan(base) or other >= base


@given(pos=positions, spare=st.floats(0.0, 5.0))
def test_cross_with_spare_balance_not_closer_than_isolated(pos: dict, spare: float) -> None:
    """Alone in a cross wallet = isolated margin + spare balance."""
    table = TierTable.from_tiers(BINANCE_BTC)
    m = pos["q"] * pos["entry"] / pos["leverage"]
    iso = float(price_at_level(pos["s"], pos["q"], pos["entry"], m, table)[0])
    cross = float(price_at_level(pos["s"], pos["q"], pos["entry"], m * (1 + spare), table)[0])
    if pos["s"] > 0:
        assert math.isnan(cross) or cross <= iso
    else:
        assert cross >= iso


@given(pos=positions, mmr=st.floats(0.001, 0.3), fee=st.sampled_from([0.0, 0.0005]))
def test_closed_forms_linear_and_inverse(pos: dict, mmr: float, fee: float) -> None:
    s, e, lev = pos["s"], pos["entry"], pos["leverage"]
    lin = TierTable.from_tiers([Tier(notional_floor=0, max_leverage=100, maintenance_rate=mmr)])
    q = pos["q"]
    m = q * e / lev
    lp = float(price_at_level(s, q, e, m, lin, fee=fee)[0])
    expected = (q * e - m) / (q * (1 - mmr - fee)) if s > 0 else (q * e + m) / (q * (1 + mmr + fee))
    if expected > 0:
        assert lp == pytest.approx(expected, rel=1e-12)
    inv = TierTable.from_tiers([Tier(notional_floor=0, max_leverage=100, maintenance_rate=mmr)], inverse=True)
    qu = q * e
    mi = qu / e / lev
    lp_i = float(price_at_level(s, qu, e, mi, inv, fee=fee)[0])
    if s < 0 and qu / e <= mi * (1 + 1e-12):
        assert math.isnan(lp_i)  # a fully coin-collateralised short cannot be liquidated
        return
    exp_i = qu * (1 + mmr + fee) / (mi + qu / e) if s > 0 else qu * (1 - mmr - fee) / (qu / e - mi)
    if exp_i > 0:
        assert lp_i == pytest.approx(exp_i, rel=1e-12)


@given(st.lists(positions, min_size=1, max_size=40))
def test_vector_equals_scalar(rows: list[dict]) -> None:
    table = TierTable.from_tiers(BINANCE_BTC)
    s = np.array([r["s"] for r in rows], dtype=float)
    q = np.array([r["q"] * 1000 for r in rows])
    e = np.array([r["entry"] for r in rows])
    m = q * e / np.array([r["leverage"] for r in rows])
    vec = price_at_level(s, q, e, m, table)
    for i in range(len(rows)):
        one = float(price_at_level(s[i], q[i], e[i], m[i], table)[0])
        assert (math.isnan(one) and math.isnan(vec[i])) or one == pytest.approx(vec[i], rel=1e-12)


def test_one_x_long_has_no_liquidation_price() -> None:
    table = TierTable.from_tiers(BINANCE_BTC)
    lp = price_at_level(1, 1.0, 50000.0, 50000.0, table)
    assert math.isnan(lp[0])
    # ...but a 1x short does (the price can rise without bound).
    assert float(price_at_level(-1, 1.0, 50000.0, 50000.0, table)[0]) > 50000.0


def test_tier_reselected_at_liquidation_price() -> None:
    """A 20 BTC long at 50,000 (1,000,000 USDT, tier 3) at 2x liquidates inside tier 2's
    range; the answer uses tier 2's rate and amount (Binance FAQ)."""
    table = TierTable.from_tiers(BINANCE_BTC)
    lp = float(price_at_level(1, 20.0, 50000.0, 20 * 50000 / 2, table)[0])
    assert 5e4 <= 20 * lp < 6e5
    assert lp == pytest.approx((20 * 50000 - 500000 - 50) / (20 * (1 - 0.005)), rel=1e-12)
    # Tier 3's figures would give a different (wrong) price.
    assert abs(lp - (20 * 50000 - 500000 - 950) / (20 * (1 - 0.0065))) > 1.0


@pytest.mark.parametrize("rule", ["okx", "kraken", "dex"])
@given(pos=positions, data=st.data())
def test_liquidation_is_the_nearest_on_the_loss_side_of_the_mark(rule: str, pos: dict, data) -> None:
    """Tables without a deduction can have several roots; the one reported is on the loss
    side of the mark and nothing between the mark and it is under-margined (issue 15 item 7)."""
    traits = RULE_TRAITS[rule]
    inverse = data.draw(st.booleans())
    table = data.draw(tier_tables(inverse, continuous=False))
    mark = pos["entry"] * data.draw(st.floats(0.5, 2.0))
    q = pos["q"] * (pos["entry"] if inverse else 1.0)
    m = scale_of(q, pos["entry"], table) / pos["leverage"]
    fee = 0.0005 if traits.close_fee_reserved else 0.0
    lp = float(price_at_level(pos["s"], q, pos["entry"], m, table, fee=fee, ref=mark)[0])
    tol = 1e-9 * (m + scale_of(q, mark, table) + scale_of(q, lp, table) if math.isfinite(lp) else m + scale_of(q, mark, table))
    if requirement_gap(pos["s"], q, pos["entry"], m, table, mark, 1.0, fee, "tested") < 0:
        # Liquidated now: the price is the edge of the under-margined stretch around the
        # mark, on the profit side (the price the mark must regain), as for one tier.
        assume(math.isfinite(lp))
        assert (lp >= mark) if pos["s"] > 0 else (lp <= mark)
        inside = np.linspace(mark, lp, 202)[1:-1]
        assert max(requirement_gap(pos["s"], q, pos["entry"], m, table, float(p), 1.0, fee, "tested") for p in inside) <= tol
        return
    assume(math.isfinite(lp))
    assert (lp < mark) if pos["s"] > 0 else (lp > mark)
    between = np.linspace(lp, mark, 202)[1:-1]
    gaps = [requirement_gap(pos["s"], q, pos["entry"], m, table, float(p), 1.0, fee, "tested") for p in between]
    assert min(gaps) >= -tol
    beyond = lp * (1 - pos["s"] * 1e-9)
    assert requirement_gap(pos["s"], q, pos["entry"], m, table, beyond, 1.0, fee, "tested") <= tol


hedge_legs = st.fixed_dictionaries(
    {
        "q_long": st.floats(0.01, 20.0),
        "q_short": st.floats(0.01, 20.0),
        "e_long": st.floats(20000.0, 80000.0),
        "e_short": st.floats(20000.0, 80000.0),
        "mark": st.floats(20000.0, 80000.0),
        "wallet": st.floats(0.0, 500000.0),
    }
)


@settings(max_examples=60)
@given(h=hedge_legs)
def test_hedged_legs_of_one_symbol_share_one_price(h: dict) -> None:
    """Long and short of one symbol in one cross wallet (Binance hedge mode): one
    liquidation price for both, where the account's equity equals its requirement, with
    the account margined everywhere between the mark and it, and the bankruptcy price
    beyond it on the same side (issue 12 item 1)."""
    from planner.engine.curves import price_curves
    from planner.engine.evaluate import evaluate
    from planner.io.registry import get_profile
    from planner.model.plan import Plan

    legs = [
        {"symbol": "BTCUSDT", "side": "long", "quantity": h["q_long"], "entry_price": h["e_long"], "mark_price": h["mark"], "leverage": 20},
        {"symbol": "BTCUSDT", "side": "short", "quantity": h["q_short"], "entry_price": h["e_short"], "leverage": 20},
    ]
    for leg in legs:
        leg["margin_mode"] = "cross"
    plan = Plan.model_validate({"profile": "binance-usdm", "account": {"wallet_balance": h["wallet"]}, "positions": legs})
    prof = get_profile("binance-usdm")
    ev = evaluate(plan, prof)
    a, b = ev.legs
    assert a.liquidation_price == b.liquidation_price and a.bankruptcy_price == b.bankruptcy_price

    def gap(prices: np.ndarray) -> np.ndarray:
        c = price_curves(plan, prof, "BTCUSDT", prices)
        return c.cross_equity - c.cross_requirement

    if any("already liquidated" in w for w in ev.warnings):  # under water at the mark: liquidated now, no price
        assert a.state == "liquidation" and a.liquidation_price is None and gap(np.array([h["mark"]]))[0] < 0
        return
    lp = a.liquidation_price
    assume(lp is not None)
    scale = h["wallet"] + (h["q_long"] + h["q_short"]) * h["mark"]
    assert abs(gap(np.array([lp]))[0]) <= 1e-9 * scale
    assert gap(np.linspace(lp, h["mark"], 101)[1:-1]).min() >= -1e-9 * scale
    side = 1 if lp < h["mark"] else -1  # the side the account loses on
    assert gap(np.array([lp * (1 - side * 1e-6)]))[0] < 0
    if a.bankruptcy_price is not None:
        assert (lp - a.bankruptcy_price) * side > 0


# ---------------------------------------------------------------------------
# Boundary cases (issue 12): exactly at each cap, one unit past it, past the last tier
# ---------------------------------------------------------------------------


@given(data=st.data(), inverse=st.booleans(), continuous=st.booleans())
def test_each_cap_belongs_to_its_tier(data, inverse: bool, continuous: bool) -> None:
    """A measure exactly at tier i's cap is in tier i (caps inclusive); the next float up is in tier i+1."""
    table = data.draw(tier_tables(inverse, continuous=continuous))
    for i, cap in enumerate(table.caps[:-1]):
        assert int(tier_index(cap, table)) == i
        assert int(tier_index(np.nextafter(cap, np.inf), table)) == i + 1
        assert float(max_leverage_at(cap, 1.0, table)) == table.max_leverage[i]


@given(
    pos=positions,
    caps=st.lists(st.integers(1, 2000), min_size=1, max_size=4, unique=True),
    rates=st.lists(st.floats(0.002, 0.1), min_size=5, max_size=5),
)
def test_size_table_price_at_cap_uses_its_own_tier(pos: dict, caps: list[int], rates: list[float]) -> None:
    """OKX-style size table (no deduction): at exactly each cap the liquidation price is the
    closed form of that tier, i.e. the limit from below (no jump at the boundary itself)."""
    caps = sorted(caps)
    rates = sorted(rates)[: len(caps) + 1]
    floors = [0.0, *map(float, caps)]
    tiers = [
        Tier(
            notional_floor=floors[i],
            notional_cap=floors[i + 1] if i + 1 < len(floors) else None,
            max_leverage=100,
            maintenance_rate=rates[i],
        )
        for i in range(len(floors))
    ]
    table = TierTable.from_tiers(tiers, basis="size")
    s, e, lev, fee = pos["s"], pos["entry"], pos["leverage"], 0.0005
    for i, cap in enumerate(caps):
        q = float(cap)
        m = q * e / lev
        lp = float(price_at_level(s, q, e, m, table, fee=fee)[0])
        expected = float(closed_form_price(s, q, e, m, rates[i], 0.0, fee=fee))
        assert (math.isnan(lp) and math.isnan(expected)) or lp == pytest.approx(expected, rel=1e-12)


@given(cap_contracts=st.integers(1, 100_000), lev=st.integers(1, 50), past=st.integers(1, 1000))
def test_validation_refuses_past_last_tier(cap_contracts: int, lev: int, past: int) -> None:
    """Exactly the last cap is accepted; one contract (or more) past it is refused, naming the cap."""
    from planner.engine.validation import plan_problems
    from planner.model.plan import Plan

    cs = 0.01
    cap = cap_contracts * cs
    prof = {
        "id": "okx-like",
        "name": "okx-like",
        "version": "2026-01-01",
        "rule": "okx",
        "settle_currency": "USDT",
        "fees": {"maker": 0.0002, "taker": 0.0005, "liquidation": 0.0005},
        "funding": {"interval_hours": 8},
        "policies": {"insurance_fund": True, "adl": True, "negative_balance_protection": True, "leftover_margin": "insurance_fund"},
        "symbols": {
            "X": {
                "contract": "linear",
                "contract_size": cs,
                "tick_size": 0.1,
                "base": "X",
                "quote": "USDT",
                "settle": "USDT",
                "tier_basis": "size",
                "tiers": [{"notional_floor": 0, "notional_cap": cap, "max_leverage": 50, "maintenance_rate": 0.004}],
            }
        },
        "sources": [{"url": "https://example.invalid/x"}],
    }

    def plan(q: float) -> Plan:
        p = {
            "symbol": "X",
            "side": "long",
            "quantity": q,
            "entry_price": 100.0,
            "mark_price": 100.0,
            "leverage": lev,
            "margin_mode": "cross",
        }
        return Plan.model_validate({"profile": prof, "account": {"wallet_balance": 1e12}, "positions": [p]})

    at = plan(cap)
    assert plan_problems(at, at.profile) == []  # type: ignore[arg-type]
    beyond = plan(cap + past * cs)
    msgs = [p.message for p in plan_problems(beyond, beyond.profile)]  # type: ignore[arg-type]
    assert len(msgs) == 1 and f"the largest position the venue allows is {cap:,.10g} X" in msgs[0]


# ---------------------------------------------------------------------------
# Cross legs of one symbol: the exact piecewise root against a numeric search
# ---------------------------------------------------------------------------

#: (profile, symbol): every margin rule and contract kind the bundled profiles have (issue 10 speed work).
CROSS_SYMBOLS = [
    ("binance-usdm", "BTCUSDT"),  # tested basis, deducted tiers
    ("binance-coinm", "BTCUSD_PERP"),  # inverse
    ("okx", "BTC-USDT-SWAP"),  # close fee reserved, size tiers
    ("bybit-linear", "BTCUSDT"),  # entry basis
    ("bybit-inverse", "BTCUSD"),
    ("kraken", "PF_XBTUSD"),  # tiers without a deduction
    ("dex-generic", "BTC-PERP"),
    ("deribit", "BTC-PERPETUAL"),  # size-scaled rate on an inverse contract: the numeric path
]

cross_book_legs = st.lists(
    st.tuples(st.sampled_from(["long", "short"]), st.floats(1_000.0, 500_000.0), st.floats(0.7, 1.3)), min_size=2, max_size=4
)


@settings(max_examples=60, deadline=None)
@pytest.mark.parametrize(("profile_id", "symbol"), CROSS_SYMBOLS)
@given(legs=cross_book_legs, wallet_share=st.floats(0.02, 1.5))
def test_cross_symbol_liquidation_is_the_nearest_root_of_the_account(
    profile_id: str, symbol: str, legs: list[tuple[str, float, float]], wallet_share: float
) -> None:
    """Several cross legs of one symbol share one liquidation price: the nearest price to the mark,
    on either side, where the wallet's equity meets its requirement. The engine solves it exactly
    between tier breaks; here a numeric search over the plot's own curves finds the same price."""
    from planner.engine.curves import price_curves
    from planner.engine.evaluate import evaluate
    from planner.engine.liquidation import nearest_root
    from planner.io.registry import get_profile
    from planner.model.errors import PlannerError
    from planner.model.plan import Plan

    prof = get_profile(profile_id)
    spec = prof.symbols[symbol]
    mark = 60_000.0
    inverse = spec.contract.value == "inverse"
    positions = []
    for side, usd, entry_share in legs:
        qty = usd / spec.contract_size if inverse else usd / mark
        positions.append(
            {
                "symbol": symbol,
                "side": side,
                "quantity": qty,
                "entry_price": round(mark * entry_share, 1),
                "mark_price": mark,
                "leverage": 5,
                "margin_mode": "cross",
            }
        )
    total_usd = sum(usd for _, usd, _ in legs)
    wallet = total_usd * wallet_share / (mark if inverse else 1.0)
    plan = Plan.model_validate({"profile": profile_id, "account": {"wallet_balance": wallet}, "positions": positions})
    try:
        ev = evaluate(plan, prof)
    except PlannerError:
        assume(False)
        return
    lp = ev.legs[0].liquidation_price
    assert all(leg.liquidation_price == lp for leg in ev.legs)

    def gap(prices: np.ndarray) -> np.ndarray:
        c = price_curves(plan, prof, symbol, np.asarray(prices, dtype=float))
        return np.asarray(c.cross_equity - c.cross_requirement)

    found = [p for p in (nearest_root(gap, mark, down=True), nearest_root(gap, mark, down=False)) if math.isfinite(p) and p > 0]
    want = min(found, key=lambda p: abs(math.log(p / mark))) if found else None
    if want is None or want == mark:
        assert lp is None or lp == pytest.approx(mark, rel=1e-9)
        return
    # Both solve wallet + uPnL(P) = requirement(P), whose terms are of the size of the entry value:
    # a root far below the mark (a near fully collateralised long) is only defined to ~1e-16 x mark.
    assert lp == pytest.approx(want, rel=1e-9, abs=1e-11 * mark)
