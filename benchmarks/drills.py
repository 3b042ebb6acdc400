"""Drill speed: Monte Carlo path-steps per second, a 10-leg cross plan, memory, accuracy.

``python benchmarks/drills.py`` prints figures; ``--json`` one JSON object with
``mc_path_steps_per_s``, ``mc10_seconds``, ``mc_peak_mb``, ``closed_form_vs_mc_pp``,
``safe_size_seconds`` (one leg, CPI, target 1 %) and ``heatmap_seconds`` (20 x 20 leverage x horizon);
``*_cpu_seconds`` is the process CPU time of the same run (steadier than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.drills.montecarlo import MarketModel, barrier_hit_probability, liquidation_probability, single_barrier_mc
from planner.drills.safe_size import heatmap, heatmap_volatility, safe_size
from planner.io.registry import get_profile
from planner.model.plan import Plan

PRICES = {"BTCUSDT": 60000.0, "ETHUSDT": 3000.0, "SOLUSDT": 150.0}


def ten_leg_cross_plan() -> Plan:
    legs = []
    syms = list(PRICES)
    for i in range(10):
        sym = syms[i % 3]
        e = PRICES[sym] * (1 + 0.01 * (i - 5))
        legs.append(
            {
                "symbol": sym,
                "side": "long" if i % 5 else "short",
                "quantity": 20000.0 / e,
                "entry_price": e,
                "mark_price": PRICES[sym],
                "leverage": 10,
                "margin_mode": "cross",
            }
        )
    return Plan.model_validate(
        {"name": "10-leg cross", "profile": "binance-usdm", "account": {"wallet_balance": 12000.0}, "positions": legs}
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    model = MarketModel(volatility=0.8)
    # 1. One leg: 100,000 paths x 1,440 one-minute steps over a day, with memory tracked.
    tracemalloc.start()
    t0 = time.perf_counter()
    p, _hw, _n, _ = single_barrier_mc(100.0, 95.0, model=model, horizon_hours=24.0, steps=1440, paths=100_000, seed=11)
    one_s = time.perf_counter() - t0
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    # 2. Closed form vs Monte Carlo (no jumps), several barriers and volatilities, 100,000 paths.
    gaps = []
    for barrier, vol, hours in ((95.0, 0.8, 24.0), (90.0, 0.6, 72.0), (104.0, 0.7, 24.0), (80.0, 1.2, 168.0)):
        pm, *_ = single_barrier_mc(100.0, barrier, model=MarketModel(volatility=vol), horizon_hours=hours, steps=96, paths=100_000, seed=5)
        gaps.append(abs(pm - barrier_hit_probability(100.0, barrier, vol, 0.0, hours / 8760.0)) * 100.0)
    # 3. Ten correlated cross legs, to +/-0.5 pp (95 %).
    plan = ten_leg_cross_plan()
    prof = get_profile("binance-usdm")
    t0, c0 = time.perf_counter(), time.process_time()
    r = liquidation_probability(
        plan,
        prof,
        model=MarketModel(volatility=0.8, correlation=0.7),
        horizon_hours=72.0,
        paths=400_000,
        steps=96,
        seed=3,
        target_half_width=0.005,
    )
    mc10, mc10_cpu = time.perf_counter() - t0, time.process_time() - c0
    # 4. Safe-size finder (one leg, CPI, target 1 %) and a 20 x 20 heat map, peak memory tracked.
    one = Plan.model_validate(
        {
            "profile": "binance-usdm",
            "account": {"wallet_balance": 10_000.0},
            "positions": [{"symbol": "BTCUSDT", "side": "long", "quantity": 0.5, "entry_price": 60_000.0, "leverage": 10}],
        }
    )
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    (ss,) = safe_size(one, prof, "cpi", target=0.01)
    safe_s, safe_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    hm = heatmap(one, prof, "cpi", n=20)
    heat_s, heat_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    heatmap_volatility(one, prof, "cpi", n=20)
    heat_vol_s = time.perf_counter() - t0
    ss_peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    out = {
        "mc_path_steps_per_s": 100_000 * 1440 / one_s,
        "mc_one_leg_seconds": one_s,
        "mc10_seconds": mc10,
        "mc10_cpu_seconds": mc10_cpu,
        "mc10_probability": r.probability,
        "mc10_half_width_pp": r.half_width * 100.0,
        "mc10_paths": r.paths,
        "mc_peak_mb": peak_mb,
        "closed_form_vs_mc_pp": max(gaps),
        "safe_size_seconds": safe_s,
        "safe_size_cpu_seconds": safe_cpu,
        "safe_size_leverage": ss.safe_leverage,
        "safe_size_probability": ss.probability,
        "heatmap_seconds": heat_s,
        "heatmap_cpu_seconds": heat_cpu,
        "heatmap_cells": int(hm.probability.size),
        "heatmap_volatility_seconds": heat_vol_s,
        "safe_size_peak_mb": ss_peak_mb,
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"one leg, 100,000 paths x 1,440 steps: {one_s:.2f} s = {out['mc_path_steps_per_s']:,.0f} path-steps/s (p = {p:.4f})")
        print(f"peak traced memory during that run: {peak_mb:.0f} MB (chunks of 8,192 paths)")
        print(f"closed form vs Monte Carlo (100,000 paths, bridge-corrected): largest gap {max(gaps):.3f} pp")
        print(f"10-leg correlated cross plan: p = {r.probability:.2%} +/- {r.half_width:.2%} with {r.paths:,} paths in {mc10:.2f} s")
        print(f"safe size through CPI (one leg, target 1 %): {ss.safe_leverage}x (p = {ss.probability:.2%}) in {safe_s:.2f} s")
        print(f"heat map 20 x 20 (leverage x horizon): {heat_s:.2f} s; peak traced memory {ss_peak_mb:.0f} MB")
        print(f"heat map 20 x 20 (leverage x volatility): {heat_vol_s:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
