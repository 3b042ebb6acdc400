"""Safe reading of every file the app opens (plans, profiles, events, tier dumps, paths, autosaves).

Nothing in a file is ever executed (plain ``json``; no pickle, no eval). Every
check is linear in the file size, so a hostile file costs at most one pass:

* only regular files are opened (a FIFO, device, socket or a link to one such
  as ``/dev/zero`` is refused before it is read; the open never blocks);
* at most :data:`MAX_FILE_BYTES` + 1 bytes are ever read, whatever ``stat`` says;
* JSON nested deeper than :data:`MAX_DEPTH` is refused (the C parser stops at
  Python's recursion limit; the depth of the parsed document is then measured
  iteratively);
* duplicate keys in one object are refused with their field path (JSON's
  "last one wins" would hide an edit);
* NaN/Infinity literals are refused (a number too large for a float, such as
  ``1e400``, is infinite and refused by validation with its field path); an
  object may have at most :data:`MAX_KEYS` keys.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from planner.model.errors import PlannerError, Problem

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64
#: Most keys one JSON object may have (a profile lists a few hundred symbols at most).
MAX_KEYS = 20_000

_DEEP = f"JSON is nested deeper than {MAX_DEPTH} levels; refused"


class _Duplicates(dict[str, Any]):
    """An object that repeated a key (only built when it happens, to report it with its path)."""

    duplicates: list[str]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > MAX_KEYS:
        raise ValueError(f"an object has {len(pairs):,} keys; at most {MAX_KEYS:,} are allowed")
    d = dict(pairs)
    if len(d) == len(pairs):
        return d
    seen: set[str] = set()
    dups = []
    for k, _ in pairs:
        if k in seen and k not in dups:
            dups.append(k)
        seen.add(k)
    out = _Duplicates(d)
    out.duplicates = dups
    return out


_CONTAINERS = (dict, list, _Duplicates)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed; numbers must be finite")


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def check_structure(doc: Any, source: str) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH` or repeating a key (iterative, linear).

    The fast pass tracks depth only; field paths are worked out only when an
    object with a repeated key was found.
    """
    stack: list[tuple[Any, int]] = [(doc, 1)]
    dup_found = False
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PlannerError([Problem("", _DEEP)], source)
        if type(node) is list:
            kids = [v for v in node if type(v) in _CONTAINERS]
        elif type(node) in _CONTAINERS:
            dup_found = dup_found or type(node) is _Duplicates
            kids = [v for v in node.values() if type(v) in _CONTAINERS]
        else:
            continue
        stack += [(k, depth + 1) for k in kids]
    if dup_found:
        raise PlannerError(_duplicate_problems(doc), source)


def _duplicate_problems(doc: Any) -> list[Problem]:
    """Field paths of every repeated key (only called when there is one)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if isinstance(node, _Duplicates):
                problems += [Problem(_join(path, k), "appears more than once in the same object; keep one") for k in node.duplicates]
            stack += [(v, _join(path, k)) for k, v in node.items() if type(v) in _CONTAINERS]
        elif isinstance(node, list):
            stack += [(v, _join(path, i)) for i, v in enumerate(node) if type(v) in _CONTAINERS]
    return sorted(problems, key=lambda p: p.path)


def parse_json_text(text: str, source: str) -> Any:
    """Parse JSON, refusing NaN/Infinity literals, deep nesting and duplicate keys, with line/column on errors."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_pairs_hook)
    except json.JSONDecodeError as exc:
        raise PlannerError([Problem("", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")], source) from None
    except RecursionError:
        raise PlannerError([Problem("", _DEEP)], source) from None
    except ValueError as exc:
        raise PlannerError([Problem("", str(exc))], source) from None
    check_structure(doc, source)
    return doc


def read_file_bytes(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Refuses (one-line :class:`PlannerError` naming the file) a missing path, a
    folder, and anything that is not a regular file (FIFO, character or block
    device, socket; also a symlink to one). Opens without blocking and reads at
    most ``limit + 1`` bytes, so neither a FIFO nor ``/dev/zero`` can stall or
    exhaust memory.
    """
    source = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise PlannerError([Problem("", "file not found")], source) from None
    except OSError as exc:
        raise PlannerError([Problem("", f"cannot read file: {exc.strerror or exc}")], source) from None
    _require_regular(st.st_mode, source)
    if st.st_size > limit:
        raise PlannerError([Problem("", _too_big(st.st_size, limit))], source)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise PlannerError([Problem("", f"cannot read file: {exc.strerror or exc}")], source) from None
    try:
        _require_regular(os.fstat(fd).st_mode, source)  # the path may have been swapped since the stat
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except BlockingIOError:
        raise PlannerError([Problem("", "cannot read file: it would block (not a regular file)")], source) from None
    except OSError as exc:
        raise PlannerError([Problem("", f"cannot read file: {exc.strerror or exc}")], source) from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:
        raise PlannerError([Problem("", _too_big(len(raw), limit, more=True))], source)
    return raw


def _too_big(size: int, limit: int, more: bool = False) -> str:
    return f"file is {'over ' if more else ''}{size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB"


def _require_regular(mode: int, source: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise PlannerError([Problem("", "is a folder, not a file")], source)
    kind = (
        "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    raise PlannerError([Problem("", f"is {kind}, not a regular file; only regular files are read")], source)


def read_text_file(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> str:
    """UTF-8 text of a regular file (BOM allowed), with the checks of :func:`read_file_bytes`."""
    raw = read_file_bytes(path, limit)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlannerError([Problem("", f"not UTF-8 text (byte {exc.start})")], str(path)) from None


def read_json_file(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file with the file-type, size, encoding, nesting and duplicate-key checks above."""
    return parse_json_text(read_text_file(path), str(Path(path)))
