"""Monte Carlo: closed form with drift, bridge correction at coarse steps, chunked memory, monotonic in volatility."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.drills.montecarlo import MarketModel, barrier_hit_probability, liquidation_probability, single_barrier_mc
from planner.io.registry import get_profile
from planner.model.plan import Plan


@pytest.mark.parametrize("barrier,vol,drift", [(93.0, 0.7, 1.5), (108.0, 0.6, -2.0)])
def test_closed_form_with_drift(barrier: float, vol: float, drift: float) -> None:
    model = MarketModel(volatility=vol, drift=drift)
    t0 = time.perf_counter()
    p, _, n, _ = single_barrier_mc(100.0, barrier, model=model, horizon_hours=48.0, steps=48, paths=100_000, seed=11)
    cf = barrier_hit_probability(100.0, barrier, vol, drift, 48.0 / 8760)
    assert abs(p - cf) <= 0.005, (p, cf)
    assert n == 100_000 and time.perf_counter() - t0 < 10


def test_bridge_correction_catches_hits_between_coarse_steps() -> None:
    """At 8 steps a day the discrete minimum misses crossings; the bridge term restores the closed form."""
    model = MarketModel(volatility=0.8)
    cf = barrier_hit_probability(100.0, 95.0, 0.8, 0.0, 24 / 8760)
    raw, *_ = single_barrier_mc(100.0, 95.0, model=model, horizon_hours=24, steps=8, paths=100_000, seed=5, bridge=False)
    fixed, *_ = single_barrier_mc(100.0, 95.0, model=model, horizon_hours=24, steps=8, paths=100_000, seed=5)
    assert cf - raw > 0.02  # the discrete check alone is biased low by > 2 pp
    assert abs(fixed - cf) <= 0.005


def test_memory_stays_bounded_by_the_chunk() -> None:
    model = MarketModel(volatility=0.6)
    tracemalloc.start()
    single_barrier_mc(100.0, 95.0, model=model, horizon_hours=24, steps=96, paths=400_000, seed=1, chunk=8192)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 60e6  # a few chunk-sized arrays, independent of the 400,000 paths


def test_cross_plan_seeded_and_reproducible() -> None:
    prof = get_profile("binance-usdm")
    plan = Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": 4000.0},
            "positions": [
                {"symbol": "BTCUSDT", "side": "long", "quantity": 0.5, "entry_price": 50000.0, "leverage": 20, "margin_mode": "cross"},
                {"symbol": "ETHUSDT", "side": "long", "quantity": 5.0, "entry_price": 3000.0, "leverage": 20, "margin_mode": "cross"},
            ],
        }
    )
    a = liquidation_probability(plan, prof, model=MarketModel(volatility=0.6), horizon_hours=24, paths=20000, seed=9)
    b = liquidation_probability(plan, prof, model=MarketModel(volatility=0.6), horizon_hours=24, paths=20000, seed=9)
    c = liquidation_probability(plan, prof, model=MarketModel(volatility=0.6), horizon_hours=24, paths=20000, seed=10)
    assert a.probability == b.probability and a.probability != c.probability
    assert 0.0 < a.probability < 1.0 and abs(a.probability - c.probability) < 4 * a.half_width + 1e-9


@settings(max_examples=50, deadline=None)
@given(barrier=st.floats(50.0, 99.0), v1=st.floats(0.05, 3.0), dv=st.floats(0.01, 1.0), hours=st.floats(1.0, 720.0))
def test_closed_form_monotonic_in_volatility(barrier: float, v1: float, dv: float, hours: float) -> None:
    """Zero drift: the chance of touching a lower barrier never falls as volatility rises."""
    p1 = barrier_hit_probability(100.0, barrier, v1, 0.0, hours / 8760)
    p2 = barrier_hit_probability(100.0, barrier, v1 + dv, 0.0, hours / 8760)
    assert 0.0 <= p1 <= p2 + 1e-12 <= 1.0 + 1e-12


def test_monte_carlo_monotonic_in_volatility() -> None:
    probs = [
        single_barrier_mc(100.0, 95.0, model=MarketModel(volatility=v), horizon_hours=24, steps=48, paths=20000, seed=2)[0]
        for v in (0.3, 0.6, 0.9, 1.2)
    ]
    assert probs == sorted(probs) and probs[-1] - probs[0] > 0.2


def _cross_plan(legs: list[tuple[str, str, float, float, float]], wallet: float) -> Plan:
    return Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": wallet},
            "positions": [
                {"symbol": s, "side": side, "quantity": q, "entry_price": e, "mark_price": m, "leverage": 20, "margin_mode": "cross"}
                for s, side, q, e, m in legs
            ],
        }
    )


def test_legs_of_one_symbol_move_together() -> None:
    """A long and a short of the same size on one symbol cancel: the price path is the symbol's, not each leg's."""
    prof = get_profile("binance-usdm")
    # Equity stays 2,000 (the PnL cancels) against a requirement of about 0.9 % of 2 x price: liquidated only
    # above 111,000, out of reach in 3 days; a path per leg (1 - rho = 20 % own noise) would liquidate it often.
    plan = _cross_plan([("BTCUSDT", "long", 1.0, 50000.0, 50000.0), ("BTCUSDT", "short", 1.0, 50000.0, 50000.0)], 2000.0)
    r = liquidation_probability(plan, prof, model=MarketModel(volatility=1.5), horizon_hours=72, paths=8000, seed=4)
    assert r.probability == 0.0 and r.paths == 8000


def test_multi_leg_early_stop_agrees_with_a_high_path_reference() -> None:
    """Stopping at +/-0.5 pp gives an estimate within its interval of a 100,000-path run with another seed."""
    prof = get_profile("binance-usdm")
    plan = _cross_plan(
        [
            ("BTCUSDT", "long", 0.4, 60000.0, 60000.0),
            ("ETHUSDT", "long", 6.0, 3000.0, 3000.0),
            ("ETHUSDT", "short", 2.0, 3050.0, 3000.0),
            ("SOLUSDT", "short", 100.0, 150.0, 150.0),
        ],
        3000.0,
    )
    model = MarketModel(volatility=0.8, correlation=0.7)
    fast = liquidation_probability(plan, prof, model=model, horizon_hours=48, paths=400_000, steps=48, seed=3, target_half_width=0.005)
    ref = liquidation_probability(plan, prof, model=model, horizon_hours=48, paths=100_000, steps=48, seed=123)
    assert fast.half_width <= 0.005 and fast.paths < 100_000
    assert 0.02 < ref.probability < 0.98
    assert abs(fast.probability - ref.probability) <= fast.half_width + ref.half_width


def test_affine_cross_margin_matches_price_by_price(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-symbol affine shortcut for cross legs gives the same hits as evaluating every leg at every price."""
    import planner.drills.montecarlo as mc

    prof = get_profile("binance-usdm")
    # BTC 5 x 60,000 = 300,000 notional spans Binance's tier boundary at 250,000 within a few % moves:
    # that leg must fall back to price-by-price evaluation in chunks whose range crosses it.
    plan = _cross_plan(
        [
            ("BTCUSDT", "long", 5.0, 60000.0, 60000.0),
            ("BTCUSDT", "short", 1.0, 61000.0, 60000.0),
            ("ETHUSDT", "long", 6.0, 3000.0, 3000.0),
            ("SOLUSDT", "short", 100.0, 150.0, 150.0),
        ],
        25000.0,
    )
    model = MarketModel(volatility=0.9, correlation=0.6)
    fast = liquidation_probability(plan, prof, model=model, horizon_hours=48, paths=8192, steps=48, seed=5)
    legs = mc.leg_inputs(plan, prof)
    assert mc._affine_margin(legs[0], 50000.0, 70000.0, prof.traits, prof.fees.taker) is None  # crosses a tier
    assert mc._affine_margin(legs[2], 2900.0, 3100.0, prof.traits, prof.fees.taker) is not None
    monkeypatch.setattr(mc, "_affine_margin", lambda *a, **k: None)
    slow = liquidation_probability(plan, prof, model=model, horizon_hours=48, paths=8192, steps=48, seed=5)
    assert 0.02 < fast.probability < 0.98
    assert fast.probability == slow.probability and fast.per_leg == slow.per_leg
