"""``position-planner ladder PLAN --leg N --orders PRICE:QTY,...``: a scale-in ladder, fill by fill."""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict

from planner.drills.sizing import LadderRow, ladder, parse_orders
from planner.model.errors import PlannerError, Problem
from planner.present.format import fmt_money, fmt_price, fmt_ratio


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ladder",
        help="scale-in ladder: average entry, liquidation, margin and ratio after each fill",
        description=(
            "Adds orders to a leg one fill at a time; each row is the plan evaluated with the fills so far "
            "(entry = size-weighted average, inverse: harmonic; the mark moves to the fill price; an assigned "
            "isolated margin grows by each fill's value / leverage)."
        ),
    )
    p.add_argument("plan", help="path to a *.plan.json file")
    p.add_argument("--leg", required=True, type=int, help="leg number, 1 = first position (as in 'evaluate')")
    p.add_argument("--orders", required=True, help="PRICE:QTY,... quantity in the leg's units (base units, or contracts for inverse)")
    p.add_argument("--keep-mark", action="store_true", help="keep the plan's mark price instead of moving it to each fill")
    p.add_argument("--out", help="save the plan with every fill applied here")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=run_ladder)


def run_ladder(args: argparse.Namespace) -> int:
    from planner.cli.common import load_and_resolve

    plan, profile = load_and_resolve(args.plan)
    orders = parse_orders(args.orders)
    n = len(plan.positions)
    if not 1 <= args.leg <= n:
        raise PlannerError([Problem("--leg", f"must be 1 to {n} (the plan has {n} position(s)); got {args.leg}")], "ladder")
    rows, final = ladder(plan, profile, args.leg - 1, orders, mark_at_fill=not args.keep_mark)
    if args.out:
        from planner.io.plan_files import save_plan

        save_plan(final, args.out)
    pos = plan.positions[args.leg - 1]
    spec = profile.symbols[pos.symbol]
    if args.json:
        data = {
            "leg": args.leg,
            "symbol": pos.symbol,
            "side": pos.side.value,
            "settle": spec.settle,
            "rows": [_clean(asdict(r)) for r in rows],
        }
        print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(ladder_text(rows, pos.symbol, pos.side.sign, spec.tick_size, spec.settle))
        if args.out:
            print(f"saved {args.out}")
    return 0


def _clean(d: dict[str, object]) -> dict[str, object]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def ladder_text(rows: list[LadderRow], symbol: str, s: int, tick: float, ccy: str) -> str:
    header = ["fill", "price", "added", "qty", "avg entry", "liq", "IM", "MM", "ratio", "state"]
    body = [
        [
            "start" if r.fill == 0 else str(r.fill),
            "" if r.price is None else fmt_price(r.price, tick),
            "" if r.fill == 0 else f"{r.quantity_added:g}",
            f"{r.quantity:g}",
            fmt_price(r.average_entry, tick),
            fmt_price(r.liquidation_price, tick, s),
            fmt_money(r.initial_margin, ccy),
            fmt_money(r.maintenance_margin, ccy),
            fmt_ratio(r.margin_ratio),
            r.state,
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    lines = [f"Scale-in ladder for {symbol}", "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines)
