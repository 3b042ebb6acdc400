"""User exchange profiles: JSON files in the user data folder (``profiles/``).

A user profile with the id of a bundled one shadows it (an imported tier table
for binance-usdm, say). Bad files are reported, never fatal.
"""

from __future__ import annotations

from pathlib import Path

from planner.io.atomic import atomic_write_text
from planner.io.registry import dump_profile, load_profile_file
from planner.io.userdata import sub_dir
from planner.model.errors import PlannerError, Problem
from planner.model.profile import ExchangeProfile


def user_profile_dir() -> Path:
    return sub_dir("profiles")


def load_user_profiles_with_problems() -> tuple[dict[str, ExchangeProfile], list[PlannerError]]:
    """Every valid user profile by id, plus the errors of files that failed."""
    good: dict[str, ExchangeProfile] = {}
    bad: list[PlannerError] = []
    for path in sorted(user_profile_dir().glob("*.json")):
        try:
            prof = load_profile_file(path)
        except PlannerError as exc:
            bad.append(exc)
            continue
        good[prof.id] = prof
    return good, bad


def load_user_profiles() -> dict[str, ExchangeProfile]:
    """Valid user profiles by id (bad files are skipped; see the function above)."""
    return load_user_profiles_with_problems()[0]


def save_user_profile(profile: ExchangeProfile) -> Path:
    """Write a user profile atomically as ``<id>.json``; returns the path."""
    path = user_profile_dir() / f"{profile.id}.json"
    atomic_write_text(path, dump_profile(profile))
    return path


def delete_user_profile(profile_id: str) -> None:
    path = user_profile_dir() / f"{profile_id}.json"
    if not path.exists():
        raise PlannerError([Problem("profile", f"no user profile '{profile_id}'")], str(path))
    path.unlink()
