"""Helpers the sub-commands share: loading a plan with its profile, profile lookup, JSON printing."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from planner.io.plan_files import load_plan, resolve_profile
from planner.io.registry import get_profile
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile

EXIT_BAD_INPUT = 2


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


def load_and_resolve(path: str) -> tuple[Plan, ExchangeProfile]:
    """Load a plan file and its profile (user profiles included when available)."""
    plan = load_plan(path)
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
