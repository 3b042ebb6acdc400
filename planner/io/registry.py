"""Profile registry: the bundled profiles and profile files (reading, lookup, schema, dump)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from planner.io.jsonread import read_json_file
from planner.model.errors import PlannerError, Problem, problems_from_validation
from planner.model.profile import ExchangeProfile

MAX_PROFILE_BYTES = 10 * 1024 * 1024


def bundled_profile_dir() -> Path:
    """Folder of the profiles shipped with the app."""
    return Path(str(resources.files("resources") / "profiles"))


@lru_cache(maxsize=1)
def bundled_profiles() -> dict[str, ExchangeProfile]:
    """All bundled profiles by id (validated once, cached)."""
    out: dict[str, ExchangeProfile] = {}
    for path in sorted(bundled_profile_dir().glob("*.json")):
        prof = load_profile_file(path)
        out[prof.id] = prof
    return out


def get_profile(profile_id: str, extra: dict[str, ExchangeProfile] | None = None) -> ExchangeProfile:
    """Look a profile up by id among user profiles (``extra``) then bundled ones.

    Raises
    ------
    KeyError with a message listing the known ids.
    """
    if extra and profile_id in extra:
        return extra[profile_id]
    table = bundled_profiles()
    if profile_id in table:
        return table[profile_id]
    known = sorted(set(table) | set(extra or {}))
    raise KeyError(f"unknown profile '{profile_id}'; known profiles: {', '.join(known)}")


def profile_json_schema() -> dict[str, Any]:
    """JSON Schema of the profile file format."""
    return ExchangeProfile.model_json_schema()


def dump_profile(profile: ExchangeProfile) -> str:
    """Serialise a profile as the JSON its files hold."""
    return json.dumps(profile.model_dump(mode="json", exclude_none=True), indent=2) + "\n"


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
