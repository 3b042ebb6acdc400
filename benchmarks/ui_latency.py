"""UI latency benchmark (offscreen): edit and drag round-trips, cold start, memory.

``python benchmarks/ui_latency.py [--json]``. An edit is timed from the spin
box value change to both plots and the results model updated (all of it runs
synchronously in the valueChanged slot chain). Targets: median <= 8 ms and
p99 <= 16 ms for 20 legs; cold start <= 2 s; <= 300 MB.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
N_EDITS = 500


def twenty_leg_plan(example):
    """20 cross legs on the symbols the example's profile lists (alternating sides and sizes)."""
    from planner.io.registry import get_profile
    from planner.model.plan import Position

    prof = get_profile(example.profile_id)
    # The profile's first three symbols (BTC, ETH, SOL: Binance USD-M now lists 682, some settling in USDC).
    symbols = sorted(list(prof.symbols)[:3])
    base = {p.symbol: p.entry_price for p in example.positions}
    legs = []
    for i in range(20):
        sym = symbols[i % len(symbols)]
        price = base.get(sym, 100.0) * (1 + 0.004 * (i - 10))
        spec = prof.symbols[sym]
        qty = 0.05 + 0.01 * i if spec.contract.value == "linear" else 100.0 + 10 * i
        legs.append(
            Position(
                symbol=sym, side="long" if i % 3 else "short", quantity=qty, entry_price=round(price, 1), leverage=5, margin_mode="cross"
            )
        )
    return example.model_copy(
        update={
            "positions": legs,
            "funding_rates": {s: 0.0001 for s in symbols[:20]},
            "account": example.account.model_copy(update={"wallet_balance": 500000.0}),
        }
    )


def _edits(win, app, n: int) -> list[float]:
    spin = win.position_form.entry  # entry price: every step is a real change of one tick or more
    v0 = spin.value()
    step = spin.singleStep()
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        spin.setValue(v0 + step * (10 * ((i % 20) + 1)))
        times.append((time.perf_counter() - t0) * 1000)
    app.processEvents()
    return times


def _drags(win, app, n: int) -> list[float]:
    line = win.liquidation_plot.mark_line
    m0 = float(line.value())
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        line.setValue(m0 * (1.0 - 0.0005 * ((i % 40) + 1)))  # emits sigPositionChanged -> set_mark -> redraw
        times.append((time.perf_counter() - t0) * 1000)
    app.processEvents()
    return times


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def _window(plan):
    from ui.document import PlanDocument
    from ui.main_window import MainWindow

    win = MainWindow(PlanDocument(plan), restore=False)
    win.resize(1600, 1000)
    win.show()
    return win


def _usable(plan):
    """Legs whose symbol the profile lists (the bundled profile may still be partial)."""
    from planner.io.registry import get_profile

    prof = get_profile(plan.profile_id)
    return plan.model_copy(
        update={
            "positions": [p for p in plan.positions if p.symbol in prof.symbols],
            "funding_rates": {k: v for k, v in plan.funding_rates.items() if k in prof.symbols},
        }
    )


def cold_start(runs: int = 5) -> float:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "ui", "--smoke"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from planner.io.plan_files import load_plan
    from ui.document import EXAMPLE_PLAN

    pg.setConfigOptions(antialias=True)
    app = QApplication.instance() or QApplication([])
    example = _usable(load_plan(EXAMPLE_PLAN))
    win = _window(example)
    app.processEvents()
    memory = rss_mb()
    ex = _edits(win, app, N_EDITS)
    win.document.undo_stack.setClean()
    win.close()
    win20 = _window(twenty_leg_plan(example))
    app.processEvents()
    e20 = _edits(win20, app, N_EDITS)
    d20 = _drags(win20, app, N_EDITS)
    win20.document.undo_stack.setClean()
    win20.close()
    result = {
        "edit_ms_median_example": round(statistics.median(ex), 3),
        "edit_ms_median_20": round(statistics.median(e20), 3),
        "edit_ms_p99_20": round(_pct(e20, 0.99), 3),
        "drag_ms_median_20": round(statistics.median(d20), 3),
        "cold_start_s": round(cold_start(), 3),
        "rss_mb": round(memory, 1),
    }
    if "--json" in argv:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:24s} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
