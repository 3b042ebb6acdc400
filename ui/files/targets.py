"""Writing a file the user chose: refuse impossible targets up front, write whole or not at all.

Errors are ``PlannerError`` naming the target (never the temporary file), so the
CLI's handler prints them in one line and the window shows them in a box.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from planner.model.errors import PlannerError, Problem


def _out_error(target: Path, message: str) -> PlannerError:
    return PlannerError([Problem("", message)], source=str(target))


def check_target(target: Path) -> None:
    """Refuse a target that cannot become a file: a folder, or a file in a folder that does not exist."""
    if target.is_dir():
        raise _out_error(target, "is a folder; give a file name such as report.pdf")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise _out_error(target, f"folder {folder} does not exist")
    if target.exists() and not target.is_file():
        raise _out_error(target, "is not a regular file; give a file name such as report.pdf")


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``target``, fsync, rename over ``target``; errors name ``target``."""
    check_target(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _out_error(target, f"cannot write in folder {folder}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # a report is an ordinary document (mkstemp makes 0600)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _out_error(target, f"cannot write: {exc.strerror or exc}; the previous file, if any, is unchanged") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
