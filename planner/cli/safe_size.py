"""``position-planner safe-size PLAN --event cpi --target 0.01``: the largest leverage per leg through an event."""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict

from planner.cli.common import add_as_of_option
from planner.drills.safe_size import SafeSizeLeg, safe_size
from planner.present.format import fmt_pct


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "safe-size",
        help="largest leverage per leg keeping the probability of liquidation through an event under a target",
        description=(
            "Each leg is tested isolated (margin = value at entry / leverage) on one set of simulated paths of the event "
            "(common random numbers), so the probability grows with leverage without noise; the answer is on a grid of "
            "--step x: its probability is at most the target and one step more exceeds it."
        ),
    )
    p.add_argument("plan", help="path to a *.plan.json file")
    p.add_argument("--event", required=True, help="bundled event preset (cpi, fomc, weekend, listing) or a preset *.json file")
    p.add_argument(
        "--target", type=float, default=0.01, help="largest acceptable probability of liquidation, fraction (default 0.01 = 1 %%)"
    )
    p.add_argument("--horizon", type=float, help="hours (default: the event's horizon)")
    p.add_argument("--volatility", type=float, help="annualised background volatility, fraction (default: the event's)")
    p.add_argument("--step", type=float, default=0.1, help="leverage grid step in x (default 0.1)")
    p.add_argument("--paths", type=int, default=20_000, help="simulated paths (default 20,000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same answer)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    add_as_of_option(p)
    p.set_defaults(func=run_safe_size)


def run_safe_size(args: argparse.Namespace) -> int:
    from planner.cli.common import load_and_resolve

    plan, profile = load_and_resolve(args.plan, args.as_of)
    rows = safe_size(
        plan,
        profile,
        args.event,
        target=args.target,
        horizon_hours=args.horizon,
        volatility=args.volatility,
        step=args.step,
        paths=args.paths,
        seed=args.seed,
    )
    if args.json:
        data = {"event": args.event, "target": args.target, "legs": [_clean(asdict(r)) for r in rows]}
        print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(safe_size_text(rows, args.event, args.target))
    return 0


def _clean(d: dict[str, object]) -> dict[str, object]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def safe_size_text(rows: list[SafeSizeLeg], event: str, target: float) -> str:
    lines = [f"Safe leverage through '{event}' for a probability of liquidation <= {fmt_pct(target)}:"]
    for r in rows:
        head = f"  #{r.index + 1} {r.side} {r.symbol} (now {r.current_leverage:g}x: {fmt_pct(r.current_probability)})"
        if r.safe_leverage is None:
            lines.append(f"{head}: none; even {r.next_leverage or 0:g}x exceeds the target")
            continue
        tail = (
            "the venue's maximum for this size"
            if r.limited_by == "venue"
            else f"{r.next_leverage:g}x would be {fmt_pct(r.next_probability)}"
        )
        lines.append(
            f"{head}: {r.safe_leverage:g}x, probability {fmt_pct(r.probability)} +/- {fmt_pct(r.half_width)}; {tail}"
            + (f" [{r.note}]" if r.note else "")
        )
    return "\n".join(lines)
