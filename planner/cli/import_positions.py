"""``position-planner import-positions FILE [--out PLAN]``: a plan from a venue's saved positions response."""

from __future__ import annotations

import argparse

from planner.engine.validation import plan_problems
from planner.io.plan_files import plan_to_json, resolve_profile, save_plan
from planner.io.positions_import import import_positions
from planner.model.errors import PlannerError, Problem


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "import-positions",
        help="build a plan from saved positions (Binance positionRisk, Bybit position list, OKX positions, Hyperliquid clearinghouseState, ccxt)",
        description=(
            "Reads a positions response saved as JSON (offline; nothing is fetched) and builds a plan with those legs, "
            "marks, leverage, margin mode and wallet. Without --out the plan is printed (JSON). The wallet comes from the "
            "response when it has one (Hyperliquid), else from --wallet, else the margins in use."
        ),
    )
    p.add_argument("file", help="the saved response (JSON)")
    p.add_argument("--out", help="save the plan here (*.plan.json)")
    p.add_argument("--profile", help="profile id (required for ccxt files; overrides the venue's default profile otherwise)")
    p.add_argument("--wallet", type=float, help="wallet balance in the profile's settlement currency")
    p.set_defaults(func=run_import_positions)


def run_import_positions(args: argparse.Namespace) -> int:
    from planner.cli.common import lookup_profile as _lookup_profile
    from planner.cli.common import user_profiles as _user_profiles

    profile = _lookup_profile(args.profile) if args.profile else None
    result = import_positions(args.file, profile=profile, wallet=args.wallet, user_profiles=_user_profiles())
    plan = result.plan
    problems = plan_problems(plan, resolve_profile(plan, _user_profiles(), source=args.file))
    if problems:
        raise PlannerError([_to_source(p, result.sources) for p in problems], args.file)
    if not args.out:
        print(plan_to_json(plan), end="")
        return 0
    save_plan(plan, args.out)
    print(f"{args.file}: {result.format} positions -> {len(plan.positions)} leg(s) on profile '{plan.profile_id}'")
    for pos, where in zip(plan.positions, result.sources, strict=True):
        print(
            f"  {pos.side.value} {pos.quantity:g} {pos.symbol} @ {pos.entry_price:g} ({pos.margin_mode.value}, {pos.leverage:g}x) from {where}"
        )
    for note in result.notes:
        print(f"note: {note}")
    print(f"saved {args.out}")
    return 0


def _to_source(p: Problem, sources: list[str]) -> Problem:
    """``positions.1.leverage`` -> ``1.leverage (plan positions.1.leverage)`` so the message names the file's field."""
    parts = p.path.split(".")
    if len(parts) >= 2 and parts[0] == "positions" and parts[1].isdigit() and int(parts[1]) < len(sources):
        return Problem(f"{sources[int(parts[1])]} (plan {p.path})", p.message)
    return p
