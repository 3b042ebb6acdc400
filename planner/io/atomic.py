"""Crash-safe file writes (standard library only, so it starts fast anywhere).

The file on disk is always either the old or the new content, whole:
temporary file in the same folder, flush + fsync, ``.bak`` copy of the
previous version, atomic rename, fsync of the folder.

* Saving through a symbolic link writes the file the link points to (the link
  stays a link).
* An existing file keeps its permission bits; a new file gets the default of
  the process umask (as any editor would create it), not 0600.
* A read-only file is not overwritten (:class:`WriteError`, errno EACCES) unless
  ``overwrite_read_only=True``.
* If the ``.bak`` copy cannot be written (full disk, say), nothing is saved and
  the error says so: the previous version is never lost silently.
* Temporary files left by a killed save of the same file (older than
  :data:`STALE_TEMP_SECONDS`) are removed on the next save.

Every failure is a :class:`WriteError` (an ``OSError``) whose message and
``filename`` name the target, never a temporary file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from pathlib import Path

#: A temporary file of a save older than this is a leftover of a killed save.
STALE_TEMP_SECONDS = 120.0


class WriteError(OSError):
    """A file could not be written; the message names the target file."""

    def __init__(self, code: int, message: str, target: Path) -> None:
        super().__init__(code, message, str(target))
        self.message = message

    def __str__(self) -> str:
        return f"{self.filename}: {self.message}"


def _umask_mode() -> int:
    """Permission bits a new file gets (0o666 less the process umask)."""
    try:  # Linux: read it without changing it (os.umask is process-wide)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` must replace (symbolic links followed)."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def atomic_write_text(path: str | os.PathLike[str], text: str, *, keep_backup: bool = True, overwrite_read_only: bool = False) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically; keep the previous version as ``<name>.bak``."""
    target = resolve_target(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteError(exc.errno or errno.EIO, f"cannot write: {exc.strerror or exc}", target) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise WriteError(errno.EISDIR, "is a folder, not a file", target)
        if not stat.S_ISREG(st.st_mode):
            raise WriteError(errno.EINVAL, "is not a regular file; choose another name", target)
        read_only = not (st.st_mode & 0o222) or not os.access(target, os.W_OK)
        if read_only and not overwrite_read_only:
            raise WriteError(errno.EACCES, "the file is read-only; not overwritten (save under another name)", target)
    if not folder.is_dir():
        raise WriteError(errno.ENOENT, f"the folder {folder} does not exist", target)
    mode = stat.S_IMODE(st.st_mode) if st is not None else _umask_mode()
    _remove_stale_temps(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(exc.errno or errno.EIO, f"cannot write in {folder}: {exc.strerror or exc}", target) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if keep_backup and st is not None:
            _backup(target, mode)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, WriteError) or not isinstance(exc, OSError):
            raise
        raise WriteError(exc.errno or errno.EIO, f"cannot write: {exc.strerror or exc}; the file was not changed", target) from None


def _backup(target: Path, mode: int) -> None:
    """Copy the current file to ``.bak`` atomically (a torn backup is never left behind).

    Raises :class:`WriteError` when the copy cannot be made, so the save stops
    before the previous version is replaced.
    """
    bak = target.with_name(target.name + ".bak")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bak.tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)
            fh.write(target.read_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, bak)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise WriteError(
            exc.errno or errno.EIO,
            f"cannot keep the previous version as {bak.name} ({exc.strerror or exc}); nothing was saved",
            target,
        ) from None


def _remove_stale_temps(target: Path) -> None:
    """Delete temporary files of earlier saves of ``target`` that were killed mid-write."""
    now = time.time()
    prefix = f".{target.name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent if str(target.parent) else "."):
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            middle = name[len(prefix) : -len(".tmp")].removesuffix(".bak")
            if not middle or "." in middle:  # mkstemp's random part has no dots
                continue
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(entry.path)


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
