"""Plan files: version migration, validation with field paths, atomic saving."""

from __future__ import annotations

import json
import os
from typing import Any

from pydantic import ValidationError

from planner.io.atomic import atomic_write_text
from planner.io.jsonread import read_json_file
from planner.io.registry import get_profile
from planner.model.errors import PlannerError, Problem, problems_from_validation
from planner.model.plan import PLAN_FORMAT, PLAN_VERSION, Plan
from planner.model.profile import ExchangeProfile


def migrate_plan_data(data: Any, source: str) -> Any:
    """Bring an older plan document to the current version; refuse newer ones."""
    if not isinstance(data, dict):
        raise PlannerError([Problem("", "a plan file must hold a JSON object")], source)
    fmt = data.get("format", PLAN_FORMAT)
    if fmt != PLAN_FORMAT:
        raise PlannerError([Problem("format", f"must be '{PLAN_FORMAT}' (got {fmt!r})")], source)
    version = data.get("version", PLAN_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        raise PlannerError([Problem("version", f"must be a whole number (got {version!r})")], source)
    if version > PLAN_VERSION:
        raise PlannerError(
            [
                Problem(
                    "version",
                    f"this plan was written by a newer Position Planner (format version {version}); "
                    f"this version reads up to {PLAN_VERSION}. Update the app to open it.",
                )
            ],
            source,
        )
    if version < 0:
        raise PlannerError([Problem("version", f"must be 0 or more (got {version})")], source)
    if version == 0:
        data = migrate_v0(data, source)
    # Version 1 -> 2 needs no rewriting: every new field's default means "as before" (see Plan).
    return data


def migrate_v0(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Pre-release format (version 0) -> version 1.

    Version 0 named things differently: ``title`` (name), ``exchange`` (profile),
    ``wallet`` (account.wallet_balance), ``legs`` (positions) with ``size``,
    ``entry``, ``mark`` and ``margin_type``; funding rates did not exist.
    """
    rename_leg = {
        "size": "quantity",
        "entry": "entry_price",
        "mark": "mark_price",
        "margin_type": "margin_mode",
        "margin": "isolated_margin",
    }
    legs = data.get("legs", [])
    if not isinstance(legs, list):
        raise PlannerError([Problem("legs", "must be a list (version 0 plan)")], source)
    positions = []
    for i, leg in enumerate(legs):
        if not isinstance(leg, dict):
            raise PlannerError([Problem(f"legs.{i}", "must be an object (version 0 plan)")], source)
        positions.append({rename_leg.get(k, k): v for k, v in leg.items()})
    out = {
        "format": PLAN_FORMAT,
        "version": 1,
        "name": data.get("title", "Migrated plan"),
        "profile": data.get("exchange", data.get("profile")),
        "account": {"wallet_balance": data.get("wallet", 0.0)},
        "positions": positions,
    }
    known = {"version", "title", "exchange", "profile", "wallet", "legs", "format"}
    extra = sorted(set(data) - known)
    if extra:
        raise PlannerError([Problem(k, "is not a field of version 0 plans") for k in extra], source)
    return out


def plan_from_data(data: Any, source: str = "plan") -> Plan:
    """Validate a plan document (already parsed JSON)."""
    data = migrate_plan_data(data, source)
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlannerError(problems_from_validation(exc), source) from None


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Read and validate a ``*.plan.json`` file (never modifies it)."""
    return plan_from_data(read_json_file(path), str(path))


def resolve_profile(plan: Plan, user_profiles: dict[str, ExchangeProfile] | None = None, source: str = "plan") -> ExchangeProfile:
    """The profile a plan names (inline object, user profile or bundled one)."""
    if isinstance(plan.profile, ExchangeProfile):
        return plan.profile
    try:
        return get_profile(plan.profile, user_profiles)
    except KeyError as exc:
        raise PlannerError([Problem("profile", str(exc.args[0]))], source) from None


def plan_to_json(plan: Plan) -> str:
    """Serialise a plan exactly as files hold it."""
    return json.dumps(plan.model_dump(mode="json", exclude_defaults=False), indent=2, ensure_ascii=False) + "\n"


def save_plan(plan: Plan, path: str | os.PathLike[str]) -> None:
    """Save a plan atomically, keeping the previous version as ``*.bak``."""
    atomic_write_text(path, plan_to_json(plan))
