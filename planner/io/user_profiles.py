"""User exchange profiles: JSON files in the user data folder (``profiles/``).

A user profile with the id of a bundled one shadows it (an imported tier table
for binance-usdm, say). Bad files are reported, never fatal.
"""

from __future__ import annotations

from pathlib import Path

from planner.io.atomic import atomic_write_text
from planner.io.registry import dump_profile, load_profile_file
from planner.io.userdata import sub_dir, sub_dir_path
from planner.model.errors import PlannerError, Problem
from planner.model.profile import ExchangeProfile


def user_profile_dir() -> Path:
    """The user profiles folder, created if needed (raises ``UserDataError`` if it cannot be)."""
    return sub_dir("profiles")


def load_user_profiles_with_problems() -> tuple[dict[str, ExchangeProfile], list[PlannerError]]:
    """Every valid user profile by id, plus the errors of files that failed.

    Reads ``<data>/profiles/*.json`` without creating anything. Each error
    names its file (``source``) and the field; a FIFO, device or other
    non-regular entry is an error too (it is never opened for reading, so it
    cannot stall). A folder that cannot be listed is one error.
    """
    good: dict[str, ExchangeProfile] = {}
    bad: list[PlannerError] = []
    origin: dict[str, Path] = {}
    folder = sub_dir_path("profiles")
    try:
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    except OSError as exc:
        return good, [PlannerError([Problem("", f"cannot list user profiles: {exc.strerror or exc}")], str(folder))]
    for path in paths:
        try:
            prof = load_profile_file(path)
        except PlannerError as exc:
            bad.append(exc)
            continue
        if prof.id in good:  # two files, one id: the file named <id>.json wins, the other is reported
            loser = path if path.stem != prof.id else origin[prof.id]
            bad.append(
                PlannerError([Problem("id", f"'{prof.id}' is also the id of another user profile file; this one is not used")], str(loser))
            )
            if loser == path:
                continue
        good[prof.id] = prof
        origin[prof.id] = path
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
    path = sub_dir_path("profiles") / f"{profile_id}.json"
    if not path.exists():
        raise PlannerError([Problem("profile", f"no user profile '{profile_id}'")], str(path))
    path.unlink()
