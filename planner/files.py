"""Plan and profile files: safe JSON reading, validation with field paths, atomic saving.

Nothing in a file is ever executed (plain ``json``; no pickle, no eval).
Files over :data:`MAX_FILE_BYTES` or nested deeper than :data:`MAX_DEPTH` are
refused before parsing.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.atomic import atomic_write_text
from planner.errors import PlannerError, Problem, problems_from_validation
from planner.models import PLAN_FORMAT, PLAN_VERSION, Plan
from planner.profiles import ExchangeProfile, get_profile

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64

_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|[\[\]{}]')


def json_depth(text: str) -> int:
    """Deepest bracket nesting in a JSON text, strings skipped (no parsing)."""
    depth = best = 0
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            best = max(best, depth)
        elif tok in "]}":
            depth -= 1
    return best


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed; numbers must be finite")


def parse_json_text(text: str, source: str) -> Any:
    """Parse JSON, refusing NaN/Infinity literals and deep nesting, with line/column on errors."""
    if json_depth(text) > MAX_DEPTH:
        raise PlannerError([Problem("", f"JSON is nested deeper than {MAX_DEPTH} levels; refused")], source)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PlannerError([Problem("", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")], source) from None
    except ValueError as exc:
        raise PlannerError([Problem("", str(exc))], source) from None
    except RecursionError:
        raise PlannerError([Problem("", "JSON is nested too deeply; refused")], source) from None


def read_json_file(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file with size, encoding and nesting checks."""
    p = Path(path)
    source = str(p)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise PlannerError([Problem("", "file not found")], source) from None
    except OSError as exc:
        raise PlannerError([Problem("", f"cannot read file: {exc.strerror or exc}")], source) from None
    if p.is_dir():
        raise PlannerError([Problem("", "is a folder, not a file")], source)
    if size > MAX_FILE_BYTES:
        raise PlannerError([Problem("", f"file is {size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")], source)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PlannerError([Problem("", f"cannot read file: {exc.strerror or exc}")], source) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlannerError([Problem("", f"not UTF-8 text (byte {exc.start})")], source) from None
    return parse_json_text(text, source)


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
        raise PlannerError([Problem(
            "version", f"this plan was written by a newer Position Planner (format version {version}); "
            f"this version reads up to {PLAN_VERSION}. Update the app to open it.",
        )], source)
    if version < 0:
        raise PlannerError([Problem("version", f"must be 0 or more (got {version})")], source)
    if version == 0:
        data = migrate_v0(data, source)
    return data


def migrate_v0(data: dict, source: str) -> dict:
    """Pre-release format (version 0) -> version 1.

    Version 0 named things differently: ``title`` (name), ``exchange`` (profile),
    ``wallet`` (account.wallet_balance), ``legs`` (positions) with ``size``,
    ``entry``, ``mark`` and ``margin_type``; funding rates did not exist.
    """
    rename_leg = {"size": "quantity", "entry": "entry_price", "mark": "mark_price", "margin_type": "margin_mode", "margin": "isolated_margin"}
    legs = data.get("legs", [])
    if not isinstance(legs, list):
        raise PlannerError([Problem("legs", "must be a list (version 0 plan)")], source)
    positions = []
    for i, leg in enumerate(legs):
        if not isinstance(leg, dict):
            raise PlannerError([Problem(f"legs.{i}", "must be an object (version 0 plan)")], source)
        positions.append({rename_leg.get(k, k): v for k, v in leg.items()})
    out = {
        "format": PLAN_FORMAT, "version": 1,
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


def profile_from_data(data: Any, source: str = "profile") -> ExchangeProfile:
    if not isinstance(data, dict):
        raise PlannerError([Problem("", "a profile file must hold a JSON object")], source)
    try:
        return ExchangeProfile.model_validate(data)
    except ValidationError as exc:
        raise PlannerError(problems_from_validation(exc), source) from None


def load_profile_file(path: str | os.PathLike[str]) -> ExchangeProfile:
    """Read and validate an exchange-profile JSON file."""
    return profile_from_data(read_json_file(path), str(path))


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
