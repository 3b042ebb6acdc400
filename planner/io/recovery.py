"""Autosave and crash recovery (the Qt side only decides *when* to call these).

An autosave is one JSON file per running session in ``<data>/autosave/``:
``{"format": "position-plan-autosave", "saved_at", "pid", "process_start",
"token", "original_path", "plan"}``, written atomically. A file whose process
is gone is a crashed session's work and is offered for recovery at the next
start; every such file is offered (newest first) and none is deleted unless the
user restores or discards it.

A process id can be reused by an unrelated process after a crash; the
autosave therefore records the process start time (Linux ``/proc/<pid>/stat``,
clock ticks since boot). A live process with that id but another start time is
not the session that wrote the file, so the file is offered.
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
from planner.io.userdata import sub_dir, sub_dir_path
from planner.model.errors import PlannerError
from planner.model.plan import Plan

FORMAT = "position-plan-autosave"


def autosave_dir() -> Path:
    return sub_dir("autosave")


def autosave_path(pid: int | None = None) -> Path:
    """This session's (or process ``pid``'s) autosave file: ``session-<pid>[-<start>].json``.

    The start time in the name keeps a new process that happens to get a
    crashed session's id from overwriting that session's autosave.
    """
    owner = pid or os.getpid()
    started = process_start(owner)
    return autosave_dir() / (f"session-{owner}-{started}.json" if started else f"session-{owner}.json")


def process_start(pid: int) -> str | None:
    """Start time of process ``pid`` (an opaque string), or None where unknown (not Linux, gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat_line = fh.read()
        # The command name (field 2) may hold spaces and parentheses: split after its last ")".
        return stat_line[stat_line.rindex(")") + 2 :].split()[19]
    except (OSError, ValueError, IndexError):
        return None


def write_autosave(plan: Plan, original_path: str | None = None, pid: int | None = None) -> Path:
    """Save the current plan for crash recovery; returns the autosave path."""
    path = autosave_path(pid)
    owner = pid or os.getpid()
    doc = {
        "format": FORMAT,
        "saved_at": time.time(),
        "pid": owner,
        "process_start": process_start(owner),
        "original_path": original_path,
        "plan": json.loads(plan.model_dump_json()),
    }
    atomic_write_text(path, json.dumps(doc, indent=1), keep_backup=False)
    return path


def discard_autosave(path: Path | None = None) -> None:
    """Remove this session's (or the given) autosave, e.g. after a clean save or close."""
    if path is None:
        owner = os.getpid()
        started = process_start(owner)
        path = sub_dir_path("autosave") / (f"session-{owner}-{started}.json" if started else f"session-{owner}.json")
    with contextlib.suppress(OSError):
        path.unlink()


@dataclass(frozen=True)
class Recoverable:
    path: Path
    saved_at: float
    original_path: str | None
    plan: Plan


def _alive(pid: int, started: str | None = None) -> bool:
    """Is the session that wrote an autosave still running? (``started``: its recorded start time)."""
    if pid == os.getpid():
        return started is None or started == process_start(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    except OSError:
        return False
    if started is not None:
        now = process_start(pid)
        if now is not None and now != started:
            return False  # the id now belongs to another process
    return True


def recoverable_sessions() -> list[Recoverable]:
    """Autosaves left by sessions that are no longer running, newest first (all of them)."""
    out = []
    folder = sub_dir_path("autosave")
    try:
        paths = list(folder.glob("session-*.json")) if folder.is_dir() else []
    except OSError:
        return []
    for path in paths:
        try:
            doc = read_json_file(path)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                continue
            pid = int(doc.get("pid", 0))
            started = doc.get("process_start")
            if pid and _alive(pid, started if isinstance(started, str) else None):
                continue
            plan = plan_from_data(doc.get("plan"), str(path))
            saved_at = float(doc.get("saved_at", 0.0))
        except (PlannerError, ValueError, TypeError, OverflowError):
            continue
        original = doc.get("original_path")
        out.append(Recoverable(path, saved_at, original if isinstance(original, str) else None, plan))
    return sorted(out, key=lambda r: -r.saved_at)
