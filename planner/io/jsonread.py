"""Safe JSON reading for every file the app opens.

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

from planner.model.errors import PlannerError, Problem

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
