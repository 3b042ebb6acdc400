"""Helpers the sub-commands share: loading a plan with its profile, profile lookup, JSON printing."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime

from planner.io.plan_files import load_plan, resolve_profile
from planner.io.registry import get_profile
from planner.model.clock import ClockError, parse_clock
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile

EXIT_BAD_INPUT = 2

#: The closing phrase of a refused ``--as-of`` (the window's field names the wall clock "empty").
AS_OF_ALLOWED = "allowed: UTC 2026-12-20 09:30 (or 2026-12-20T09:30Z, seconds optional), a date (00:00 UTC), or now"


def print_json(obj: object) -> None:
    """Print ``obj`` as indented JSON; NaN/Infinity are refused (callers map them to null first)."""
    print(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False))


def print_warnings(warnings: Sequence[str]) -> None:
    """Each warning as one line on stderr (the data is used as published; the user should know)."""
    for w in warnings:
        print(f"position-planner: warning: {w}", file=sys.stderr)


def user_profiles() -> dict[str, ExchangeProfile]:
    """Valid user profiles by id; empty when the user data folder cannot be used."""
    from planner.io.user_profiles import load_user_profiles

    return load_user_profiles()


def add_as_of_option(parser: argparse.ArgumentParser) -> None:
    """``--as-of TIME``: the plan's clock (UTC) for this run only; the file is not changed."""
    parser.add_argument(
        "--as-of",
        metavar="TIME",
        help="the plan's clock for this run (UTC), e.g. '2026-12-20 09:30' or 2026-12-20; "
        "'now' = the wall clock; overrides the plan's as_of, the file is not changed",
    )


def parse_as_of(text: str | None) -> tuple[bool, datetime | None]:
    """``(given, clock)`` from an ``--as-of`` value: (False, None) when absent, (True, None) for ``now``.

    The clock is an aware UTC datetime. Raises a one-line ``--as-of`` error for text that is not a
    UTC date and time (an empty value included).
    """
    if text is None:
        return False, None
    if not text.strip():
        raise cli_error(f"is empty; {AS_OF_ALLOWED}", "--as-of")
    try:
        return True, parse_clock(text, AS_OF_ALLOWED)
    except ClockError as exc:
        raise cli_error(str(exc), "--as-of") from None


def load_and_resolve(path: str, as_of: str | None = None) -> tuple[Plan, ExchangeProfile]:
    """Load a plan file and its profile (user profiles included when available).

    ``as_of`` is the raw ``--as-of`` text: when given it replaces the plan's ``as_of`` for this run
    (``now``: no as_of, the wall clock); it is read before the file so a bad value is named first.
    """
    given, clock = parse_as_of(as_of)
    plan = load_plan(path)
    if given:
        plan = plan.model_copy(update={"as_of": clock})
    if isinstance(plan.profile, ExchangeProfile):
        return plan, plan.profile
    return plan, resolve_profile(plan, user_profiles(), source=path)


def lookup_profile(profile_id: str) -> ExchangeProfile:
    """A bundled or user profile by id, or a one-line error listing the known ids."""
    try:
        return get_profile(profile_id, user_profiles())
    except KeyError as exc:
        raise cli_error(str(exc.args[0])) from None


def cli_error(message: str, field: str = "") -> PlannerError:
    """A bad-input error that the CLI prints as one line (exit 2)."""
    return PlannerError([Problem(field, message)])
