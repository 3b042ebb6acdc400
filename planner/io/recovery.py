"""Autosave and crash recovery (the Qt side only decides *when* to call these).

An autosave is one JSON file per running session in ``<data>/autosave/``:
``{"format": "position-plan-autosave", "saved_at", "pid", "original_path", "plan"}``,
written atomically. A file whose process is gone is a crashed session's work
and is offered for recovery at the next start.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from planner.io.atomic import atomic_write_text
from planner.io.jsonread import read_json_file
from planner.io.plan_files import plan_from_data
from planner.io.userdata import sub_dir
from planner.model.errors import PlannerError
from planner.model.plan import Plan

FORMAT = "position-plan-autosave"


def autosave_dir() -> Path:
    return sub_dir("autosave")


def autosave_path(pid: int | None = None) -> Path:
    return autosave_dir() / f"session-{pid or os.getpid()}.json"


def write_autosave(plan: Plan, original_path: str | None = None, pid: int | None = None) -> Path:
    """Save the current plan for crash recovery; returns the autosave path."""
    path = autosave_path(pid)
    doc = {
        "format": FORMAT,
        "saved_at": time.time(),
        "pid": pid or os.getpid(),
        "original_path": original_path,
        "plan": json.loads(plan.model_dump_json()),
    }
    atomic_write_text(path, json.dumps(doc, indent=1), keep_backup=False)
    return path


def discard_autosave(path: Path | None = None) -> None:
    """Remove this session's (or the given) autosave, e.g. after a clean save or close."""
    with contextlib.suppress(FileNotFoundError):
        (path or autosave_path()).unlink()


@dataclass(frozen=True)
class Recoverable:
    path: Path
    saved_at: float
    original_path: str | None
    plan: Plan


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def recoverable_sessions() -> list[Recoverable]:
    """Autosaves left by sessions that are no longer running, newest first."""
    out = []
    for path in autosave_dir().glob("session-*.json"):
        try:
            doc = read_json_file(path)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                continue
            pid = int(doc.get("pid", 0))
            if pid and _alive(pid):
                continue
            plan = plan_from_data(doc.get("plan"), str(path))
        except (PlannerError, ValueError, TypeError):
            continue
        out.append(Recoverable(path, float(doc.get("saved_at", 0.0)), doc.get("original_path"), plan))
    return sorted(out, key=lambda r: -r.saved_at)
