"""``position-planner payoff PLAN [--coin BTC] [--beta ETH=0.8,...] [--json]``: the book's PnL against one coin's price."""

from __future__ import annotations

import argparse
import math

from planner.cli.common import add_as_of_option
from planner.drills.sizing import payoff
from planner.present.payoff import DEFAULT_SPAN, compute_payoff, parse_betas, payoff_text, resolve_coin


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "payoff",
        help="the book's PnL against one coin's price, other coins moving with it by a beta",
        description=(
            "PnL of every leg (unrealised, quote currency, before fees and funding) when the chosen coin trades at each "
            "price; another coin j moves as mark_j * (P / mark) ** beta_j (beta 1: the same percent move, 0: stays put). "
            "Also the break-even prices and where each leg is liquidated on that axis."
        ),
    )
    p.add_argument("plan", help="path to a *.plan.json file")
    p.add_argument("--coin", help="coin or symbol of the plan for the price axis (default: the first leg's)")
    p.add_argument(
        "--beta", default="", help="betas of the other coins: a number for all (0.9) and/or COIN=BETA,... (ETH=0.8,SOL=1.2); default 1"
    )
    p.add_argument(
        "--span",
        type=float,
        default=DEFAULT_SPAN,
        help=f"half-width of the price axis as a fraction of the mark (default {DEFAULT_SPAN:g})",
    )
    p.add_argument("--points", type=int, default=13, help="prices listed, evenly over the axis (default 13; 2 to 2001)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    add_as_of_option(p)
    p.set_defaults(func=run_payoff)


def run_payoff(args: argparse.Namespace) -> int:
    from planner.cli.common import cli_error, load_and_resolve, print_json
    from planner.engine.validation import check_plan

    plan, profile = load_and_resolve(args.plan, args.as_of)
    check_plan(plan, profile, source=args.plan)
    if not 2 <= args.points <= 2001:
        raise cli_error(f"must be 2 to 2001 (got {args.points})", "--points")
    if not (math.isfinite(args.span) and 0.0 < args.span < 1.0):
        raise cli_error(f"must be a fraction above 0 and below 1, e.g. 0.3 for +/-30 % (got {args.span:g})", "--span")
    symbol = resolve_coin(args.coin, plan, profile) if args.coin else (plan.positions[0].symbol if plan.positions else "")
    if not symbol:
        raise cli_error("the plan has no positions", "positions")
    betas = parse_betas(args.beta, plan, profile)
    view = compute_payoff(plan, profile, symbol, betas, span=args.span)  # the fine grid finds every break-even
    if not args.json:
        print(payoff_text(view, plan, args.points))
        return 0
    po = payoff(plan, profile, symbol, beta=betas, n=args.points, span=args.span)

    def num(x: float | None) -> float | None:
        return None if x is None or not math.isfinite(x) else float(x)

    print_json(
        {
            "symbol": po.symbol,
            "currency": view.currency,
            "mark": view.mark,
            "betas": view.betas,
            "prices": [float(x) for x in po.prices],
            "pnl": [float(x) for x in po.pnl],
            "pnl_capped": [float(x) for x in po.pnl_capped],
            "breakevens": view.breakevens,
            "legs": [
                {
                    "leg": i + 1,
                    "symbol": pos.symbol,
                    "side": pos.side.value,
                    "pnl": [float(x) for x in po.pnl_legs[i]],
                    "liquidation_on_axis": num(po.liquidation_on_axis[i]),
                }
                for i, pos in enumerate(plan.positions)
            ],
        }
    )
    return 0
