"""A deterministic multi-leg book for the speed benchmarks (binance-usdm, BTC/ETH/SOL).

``python benchmarks/book.py N [OUT] [--cross]`` writes an N-leg plan (default 20 legs to
``tests/data/plans/book-20-legs.plan.json``). About two thirds of the legs are
isolated at 5x, the rest cross at 10x; one mark per symbol; entries spread
+-5 % around the mark so some legs lose and some gain; a quarter are shorts.
With ``--cross`` (``cross_only=True``) every leg is cross at 10x (the 200-leg
cross book of the UI latency benchmark). Prices in USDT, quantities in base
units, wallet in USDT.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
MARKS = {"BTCUSDT": 60000.0, "ETHUSDT": 3000.0, "SOLUSDT": 150.0}
RATES = {"BTCUSDT": 0.0001, "ETHUSDT": -0.00005, "SOLUSDT": 0.0002}


def book_plan(n_legs: int = 20, cross_only: bool = False) -> dict:
    """Plan data (JSON-ready dict) with ``n_legs`` legs (all cross at 10x when ``cross_only``)."""
    legs = []
    for i in range(n_legs):
        sym = SYMBOLS[i % 3]
        cross = cross_only or i % 3 == (i // 3) % 3
        mark = MARKS[sym]
        entry = round(mark * (1 + 0.01 * ((i * 7) % 11 - 5)), 2)
        qty = {"BTCUSDT": 0.1 + 0.05 * (i % 5), "ETHUSDT": 2.0 + (i % 4), "SOLUSDT": 40.0 + 10.0 * (i % 6)}[sym]
        legs.append(
            {
                "symbol": sym,
                "side": "short" if i % 4 == 3 else "long",
                "quantity": round(qty, 4),
                "entry_price": entry,
                "mark_price": mark,
                "leverage": 10 if cross else 5,
                "margin_mode": "cross" if cross else "isolated",
            }
        )
    return {
        "format": "position-plan",
        "version": 1,
        "name": f"{n_legs}-leg cross book at 10x" if cross_only else f"{n_legs}-leg book: two thirds isolated at 5x, the rest cross",
        "profile": "binance-usdm",
        "account": {"wallet_balance": 2000.0 * n_legs},
        "positions": legs,
        "funding_rates": RATES,
        "horizon_hours": 72,
    }


def main(argv: list[str]) -> int:
    cross_only = "--cross" in argv
    args = [a for a in argv if a != "--cross"]
    n = int(args[0]) if args else 20
    name = f"cross-book-{n}-legs" if cross_only else f"book-{n}-legs"
    out = Path(args[1]) if len(args) > 1 else ROOT / "tests" / "data" / "plans" / f"{name}.plan.json"
    out.write_text(json.dumps(book_plan(n, cross_only), indent=2) + "\n", encoding="utf-8")
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
