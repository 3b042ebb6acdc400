"""Crash-safe file writes (standard library only, so it starts fast anywhere).

The file on disk is always either the old or the new content, whole:
temporary file in the same folder, flush + fsync, optional ``.bak`` copy of the
previous version, atomic rename, fsync of the folder.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_text(path: str | os.PathLike[str], text: str, *, keep_backup: bool = True) -> None:
    """Replace ``path`` with ``text`` atomically; keep the previous version as ``<name>.bak``."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if keep_backup and target.exists():
            _backup(target)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _backup(target: Path) -> None:
    """Copy the current file to ``.bak`` atomically (a torn backup is never left behind)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bak.tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(target.read_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target.with_name(target.name + ".bak"))
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)
