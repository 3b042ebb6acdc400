"""``position-planner update-profiles [--venue ID ...] [--yes] [--dry-run]``: refresh tiers from the venues.

The app's only network access, and only on this explicit command. It names
every URL before calling any, asks for confirmation (``--yes`` confirms in
advance; with no terminal to ask on it refuses), fetches, prints the diff
tier by tier and saves user profiles after a second confirmation
(``--dry-run`` saves nothing).

Exit codes: 0 done (or declined at a prompt), 2 refused or failed (no
confirmation possible, unknown venue, nothing to fetch, timeout, DNS failure,
no network, HTTP error, unexpected response). Nothing is saved unless every
fetch succeeded.
"""

from __future__ import annotations

import argparse
import sys

from planner.io.online import DEFAULT_TIMEOUT_S, VenuePlan, VenueResult, plan_update, run_update
from planner.io.registry import bundled_profiles
from planner.model.errors import PlannerError, Problem
from planner.model.profile import ExchangeProfile


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "update-profiles",
        help="fetch current margin tiers from the venues' public APIs (the only network access; asks first)",
        description=(
            "Fetch the venues' public tier endpoints (Bybit risk-limit, OKX position-tiers, Hyperliquid meta, "
            "Kraken instruments, Deribit instruments), show the differences with the current profiles and save "
            "them as user profiles. Every URL is listed before any is called. Binance needs an API key: use import-tiers."
        ),
    )
    p.add_argument("--venue", action="append", metavar="PROFILE", help="profile id to update (repeatable; default: every venue)")
    p.add_argument("--yes", action="store_true", help="confirm in advance: call the URLs and save without asking")
    p.add_argument("--dry-run", action="store_true", help="fetch and show the differences, save nothing")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help=f"seconds per request (default {DEFAULT_TIMEOUT_S:g})")
    p.set_defaults(func=run_update_profiles)


def _error(message: str) -> PlannerError:
    return PlannerError([Problem("", message)])


def _all_profiles() -> dict[str, ExchangeProfile]:
    from planner.cli.common import user_profiles

    table = dict(bundled_profiles())
    table.update(user_profiles())
    return table


def choose_plans(venues: list[str] | None) -> tuple[list[VenuePlan], list[VenuePlan]]:
    """``(plans with URLs, plans that fetch nothing)`` for the chosen profile ids (default: all)."""
    table = _all_profiles()
    if venues:
        unknown = [v for v in venues if v not in table]
        if unknown:
            raise _error(f"unknown venue profile {', '.join(unknown)}; known: {', '.join(sorted(table))}")
        chosen = [table[v] for v in dict.fromkeys(venues)]
    else:
        chosen = list(table.values())
    plans = [plan_update(p) for p in chosen]
    return [p for p in plans if p.requests], [p for p in plans if not p.requests]


def _ask(question: str) -> bool:
    """Ask on the terminal; EOF counts as no."""
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        print()
        return False
    return answer.strip().lower() in ("y", "yes")


def _can_ask() -> bool:
    return sys.stdin is not None and hasattr(sys.stdin, "isatty") and sys.stdin.isatty()


def run_update_profiles(args: argparse.Namespace) -> int:
    plans, skipped = choose_plans(args.venue)
    for plan in skipped:
        print(f"{plan.profile.id}: not fetched: {plan.not_fetched}")
    if not plans:
        raise _error("nothing to fetch for the chosen venues (see above)")
    if not (args.timeout > 0):
        raise _error(f"--timeout must be a positive number of seconds (got {args.timeout:g})")
    urls = [r for plan in plans for r in plan.requests]
    print(f"update-profiles will call these {len(urls)} public URL(s) (no API key, nothing else is sent):")
    for plan in plans:
        for req in plan.requests:
            print(f"  [{plan.profile.id}] {req.describe()}")
    sys.stdout.flush()
    if not args.yes:
        if not _can_ask():
            raise _error("no terminal to confirm on; nothing was called. Pass --yes to confirm these calls in advance")
        if not _ask("Call them now?"):
            print("declined: no URL was called")
            return 0
    results: list[VenueResult] = []
    for plan in plans:
        result = run_update(
            plan,
            timeout=args.timeout,
            on_request=lambda r: print(f"fetching {r.url}", file=sys.stderr, flush=True),
        )
        assert result is not None  # no cancel event here
        results.append(result)
    print()
    for result in results:
        print("\n".join(result.diff_lines()))
    if args.dry_run:
        print("dry run: nothing saved")
        return 0
    if not args.yes and not _ask(f"Save {len(results)} updated profile(s) as user profiles?"):
        print("not saved")
        return 0
    from planner.io.user_profiles import save_user_profile

    for result in results:
        path = save_user_profile(result.updated)
        print(f"saved user profile {path}")
    return 0
