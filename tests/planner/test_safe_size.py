"""Safe-size finder and heat map: common random numbers, bisection, closed-form checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from planner.cli.main import main
from planner.drills.events import bundled_events
from planner.drills.montecarlo import MarketModel, barrier_hit_probability
from planner.drills.safe_size import heatmap, hit_probability, safe_size, simulate_paths
from planner.drills.sizing import isolated_liquidation
from planner.engine.evaluate import leg_inputs
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan

USDM = get_profile("binance-usdm")


def _plan(side: str = "long") -> Plan:
    return Plan(
        profile="binance-usdm",
        account={"wallet_balance": 10_000.0},
        positions=[{"symbol": "BTCUSDT", "side": side, "quantity": 0.5, "entry_price": 60_000.0, "leverage": 10}],
    )


@pytest.mark.parametrize("barrier,hours", [(95.0, 12.0), (95.0, 24.0), (104.0, 24.0), (90.0, 24.0)])
def test_hit_probability_matches_closed_form(barrier: float, hours: float) -> None:
    ps = simulate_paths(MarketModel(volatility=0.8), 24.0, steps=48, paths=40_000, seed=3)
    p, hw = hit_probability(ps, 100.0, barrier, [int(48 * hours / 24)])
    exact = barrier_hit_probability(100.0, barrier, 0.8, 0.0, hours / 8760.0)
    assert abs(p[0] - exact) <= max(1.5 * hw[0], 1e-3)


@pytest.mark.parametrize("side", ["long", "short"])
def test_safe_size_is_the_largest_step_under_the_target(side: str) -> None:
    plan = _plan(side)
    (r,) = safe_size(plan, USDM, "cpi", target=0.01, paths=20_000, seed=7)
    assert r.limited_by == "target" and r.safe_leverage is not None and r.next_leverage is not None
    # recompute both neighbours on the same paths, independently of the finder
    preset = bundled_events()["cpi"]
    ps = simulate_paths(preset.model(), preset.horizon_hours, steps=96, paths=20_000, seed=7)
    leg = leg_inputs(plan, USDM)[0]
    s = leg.s
    lps = isolated_liquidation(USDM, leg.spec, s, leg.q, leg.entry, np.array([r.safe_leverage, r.next_leverage]))
    p_at, hw_at = hit_probability(ps, leg.mark, float(lps[0]), [96])
    p_next, _ = hit_probability(ps, leg.mark, float(lps[1]), [96])
    assert p_at[0] == pytest.approx(r.probability) and p_next[0] == pytest.approx(r.next_probability)
    assert p_at[0] <= 0.01 < p_next[0]
    assert abs(p_at[0] - 0.01) <= hw_at[0]  # the grid is fine enough that the answer sits at the target
    # a different seed moves the answer by at most a few steps
    (r2,) = safe_size(plan, USDM, "cpi", target=0.01, paths=20_000, seed=8)
    assert r2.safe_leverage == pytest.approx(r.safe_leverage, abs=0.5)


def test_safe_size_venue_limit_and_none() -> None:
    calm = bundled_events()["weekend"].model_copy(update={"volatility": 0.01, "expected_jumps": 0.0})
    (r,) = safe_size(_plan(), USDM, calm, target=0.01, paths=2_000)
    assert r.limited_by == "venue" and r.safe_leverage == pytest.approx(r.max_leverage)
    (r,) = safe_size(_plan(), USDM, "cpi", target=1e-9, paths=2_000)
    # a tiny target still has an answer under it (the bridge gives every path a small probability)
    assert r.safe_leverage is not None and r.next_probability is not None
    assert r.probability <= 1e-9 < r.next_probability


def test_safe_size_refuses_bad_input() -> None:
    with pytest.raises(PlannerError, match="--target"):
        safe_size(_plan(), USDM, "cpi", target=0.0)
    with pytest.raises(PlannerError, match="--event"):
        safe_size(_plan(), USDM, "nope")


def test_heatmap_shape_monotone_and_consistent() -> None:
    h = heatmap(_plan(), USDM, "cpi", n=20)
    assert h.probability.shape == (20, 20)
    assert h.probability[0].max() == 0.0  # 1x long: no liquidation price
    assert np.all(np.diff(h.probability, axis=0) >= -1e-12)  # more leverage, more risk (same paths)
    assert np.all(np.diff(h.probability, axis=1) >= -1e-12)  # longer horizon, more risk
    assert h.horizons_hours[-1] == pytest.approx(24.0)


def test_cli_safe_size(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["safe-size", "resources/examples/btc-10x-isolated.plan.json", "--event", "cpi", "--paths", "5000", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    legs = json.loads(out)["legs"]
    assert [leg["symbol"] for leg in legs] == ["BTCUSDT", "ETHUSDT"]
    for leg in legs:
        assert leg["probability"] <= 0.01 < leg["next_probability"]
    code = main(["safe-size", "resources/examples/btc-10x-isolated.plan.json", "--event", "cpi", "--target", "1.5"])
    _, err = capsys.readouterr()
    assert code == 2 and "--target" in err and err.count("\n") == 1


def test_heatmap_over_volatility_is_monotone() -> None:
    from planner.drills.safe_size import heatmap_volatility

    h = heatmap_volatility(_plan(), USDM, "cpi", n=8, paths=4_000)
    assert h.axis == "volatility" and h.probability.shape == (8, 8)
    assert h.volatilities[0] == pytest.approx(0.275) and h.volatilities[-1] == pytest.approx(1.1)
    assert np.all(np.diff(h.probability, axis=0) >= -1e-12)  # more leverage, more risk
    assert np.all(np.diff(h.probability[1:], axis=1) >= -1e-12)  # more volatility, more risk (same draws)


def test_safe_size_progress_stops_after_a_leg_with_the_full_runs_answer() -> None:
    plan = Plan(
        profile="binance-usdm",
        account={"wallet_balance": 10_000.0},
        positions=[
            {"symbol": "BTCUSDT", "side": "long", "quantity": 0.5, "entry_price": 60_000.0, "leverage": 10},
            {"symbol": "ETHUSDT", "side": "short", "quantity": 5.0, "entry_price": 3_000.0, "leverage": 10},
        ],
    )
    seen: list[float] = []
    full = safe_size(plan, USDM, "cpi", paths=3_000, progress=lambda f: seen.append(f) or True)
    assert seen == [0.5, 1.0] and len(full) == 2
    part = safe_size(plan, USDM, "cpi", paths=3_000, progress=lambda f: False)
    assert part == full[:1]
