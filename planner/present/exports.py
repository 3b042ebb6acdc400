"""CSV exports of the figures the window shows (positions; the liquidation plot's grid)."""

from __future__ import annotations

import csv
import io

from planner.engine.curves import PriceCurves
from planner.engine.evaluate import Evaluation

POSITION_COLUMNS = [
    "index",
    "symbol",
    "side",
    "margin_mode",
    "quantity",
    "entry_price",
    "mark_price",
    "leverage",
    "settle",
    "liquidation_price",
    "bankruptcy_price",
    "margin_call_price",
    "distance_to_liquidation",
    "initial_margin",
    "maintenance_margin",
    "margin_ratio",
    "unrealized_pnl",
    "roe",
    "break_even_price",
    "max_leverage",
    "state",
]


def positions_csv(evaluation: Evaluation) -> str:
    """One row per leg, unrounded numbers, empty cells where a price does not exist."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(POSITION_COLUMNS)
    for leg in evaluation.legs:
        row = []
        for col in POSITION_COLUMNS:
            v = getattr(leg, col)
            row.append("" if v is None else (v + 1 if col == "index" else v))
        w.writerow(row)
    return buf.getvalue()


def price_grid_csv(curves: PriceCurves) -> str:
    """The liquidation plot's grid: price, account equity and requirement, cross group, isolated legs."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = [f"{curves.symbol}_price", f"equity_{curves.currency}", f"requirement_{curves.currency}", "cross_equity", "cross_requirement"]
    for iso in curves.isolated:
        head += [f"leg{iso.index + 1}_equity", f"leg{iso.index + 1}_requirement"]
    w.writerow(head)
    cols = [curves.prices, curves.equity, curves.requirement, curves.cross_equity, curves.cross_requirement]
    for iso in curves.isolated:
        cols += [iso.equity, iso.requirement]
    for row in zip(*cols, strict=False):
        w.writerow([repr(float(x)) for x in row])
    return buf.getvalue()
