"""Engine speed: vectorised liquidation prices, the scalar loop they replace, cross curves.

Run ``python benchmarks/engine.py`` for readable figures or ``--json`` for one
JSON object with ``liq_positions_per_s``, ``scalar_loop_positions_per_s``,
``speedup``, ``cross20_curve_ms``. Single process, one core (numpy's element-wise
kernels are single-threaded).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.engine.curves import price_curves
from planner.engine.liquidation import liquidation_price
from planner.engine.tiers import TierTable
from planner.io.registry import get_profile
from planner.model.plan import Plan

N_POSITIONS = 1_000_000
N_SCALAR = 100_000


def random_positions(n: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    """Random isolated BTCUSDT positions: 0.001-500 BTC, 1-100x, long and short."""
    rng = np.random.default_rng(seed)
    entry = rng.uniform(10_000.0, 120_000.0, n)
    qty = np.exp(rng.uniform(np.log(0.001), np.log(500.0), n))
    lev = rng.uniform(1.0, 100.0, n)
    side = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    margin = qty * entry / lev
    return side, qty, entry, margin


def tier_for(notional: float, tiers: list[dict]) -> dict:
    """Bracket lookup as bots do it: scan the bracket dicts from the top (freqtrade's
    ``get_maintenance_ratio_and_amt`` pattern)."""
    for tier in reversed(tiers):
        if notional >= tier["minNotional"]:
            return tier
    return tiers[0]


def scalar_liquidation(s: float, q: float, e: float, m: float, tiers: list[dict]) -> float:
    """One position through the closed form, re-selecting the bracket at the result (Binance FAQ)."""
    tier = tier_for(q * e, tiers)
    for _ in range(len(tiers) + 1):
        p = (m + tier["cum"] - s * q * e) / (q * tier["mmr"] - s * q)
        again = tier_for(q * p, tiers) if p > 0 else tiers[0]
        if again is tier:
            break
        tier = again
    return p if p > 0 else float("nan")


def bench_vectorised(table: TierTable, arrays: tuple[np.ndarray, ...], repeats: int = 5) -> tuple[float, np.ndarray]:
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = liquidation_price(*arrays, table)
        times.append(time.perf_counter() - t0)
    return min(times), out  # type: ignore[return-value]


def bench_scalar(table: TierTable, arrays: tuple[np.ndarray, ...], n: int) -> tuple[float, list[float]]:
    tiers = [
        {"minNotional": f, "mmr": r, "cum": c}
        for f, r, c in zip(table.floors.tolist(), table.mmr.tolist(), table.cum.tolist(), strict=False)
    ]
    s, q, e, m = (a[:n].tolist() for a in arrays)
    t0 = time.perf_counter()
    out = [scalar_liquidation(s[i], q[i], e[i], m[i], tiers) for i in range(n)]
    return time.perf_counter() - t0, out


def cross_plan(n_legs: int = 20) -> Plan:
    rng = np.random.default_rng(3)
    legs = []
    profile = get_profile("binance-usdm")
    symbols = list(profile.symbols)
    for i in range(n_legs):
        sym = symbols[i % len(symbols)]
        entry = {"BTCUSDT": 60000.0, "ETHUSDT": 3000.0, "SOLUSDT": 150.0}.get(sym, 100.0)
        legs.append(
            {
                "symbol": sym,
                "side": "long" if i % 3 else "short",
                "quantity": float(rng.uniform(0.1, 2.0)) * 60000.0 / entry / 10,
                "entry_price": entry,
                "mark_price": entry * float(rng.uniform(0.97, 1.03)),
                "leverage": 10,
                "margin_mode": "cross",
            }
        )
    return Plan.model_validate(
        {"name": "20-leg cross", "profile": "binance-usdm", "account": {"wallet_balance": 200000.0}, "positions": legs}
    )


def bench_cross_curves(repeats: int = 200) -> float:
    plan = cross_plan()
    profile = get_profile("binance-usdm")
    prices = np.linspace(30000.0, 90000.0, 2000)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        price_curves(plan, profile, "BTCUSDT", prices)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--n", type=int, default=N_POSITIONS)
    args = ap.parse_args()
    table = TierTable.from_spec(get_profile("binance-usdm").symbols["BTCUSDT"])
    arrays = random_positions(args.n)
    vec_s, vec_out = bench_vectorised(table, arrays)
    n_scalar = min(N_SCALAR, args.n)
    sc_s, sc_out = bench_scalar(table, arrays, n_scalar)
    # Both must give the same prices (otherwise the comparison is meaningless).
    diff = np.nanmax(np.abs(np.asarray(sc_out) - vec_out[:n_scalar]) / vec_out[:n_scalar])
    result = {
        "n_positions": args.n,
        "liq_positions_per_s": args.n / vec_s,
        "scalar_loop_positions_per_s": n_scalar / sc_s,
        "speedup": (args.n / vec_s) / (n_scalar / sc_s),
        "max_rel_diff_vector_vs_scalar": float(diff),
        "cross20_curve_ms": bench_cross_curves(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"vectorised liquidation price, 12-tier BTCUSDT table: {result['liq_positions_per_s']:,.0f} positions/s ({args.n:,} positions)"
        )
        print(
            f"plain Python loop of the same closed form:           {result['scalar_loop_positions_per_s']:,.0f} positions/s ({n_scalar:,} positions)"
        )
        print(f"speed-up: {result['speedup']:.0f}x (max relative difference {diff:.1e})")
        print(f"cross account, 20 legs, 2,000-point equity + MM curves: {result['cross20_curve_ms']:.3f} ms per evaluation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
