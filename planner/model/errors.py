"""Errors that carry the field path and a human reason (no tracebacks for users)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

#: A message lists at most this many problems, then "... and N more".
MAX_LISTED = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (dotted field path) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class PlannerError(Exception):
    """An input the planner refuses, with every problem found.

    ``source`` names the file (or "plan") the problems were found in.
    """

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        super().__init__(self.describe())

    def describe(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return head + str(self.problems[0])
        lines = [f"{head}{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            lines.append(f"  ... and {len(self.problems) - MAX_LISTED:,} more")
        return "\n".join(lines)


_PYDANTIC_HINTS = {
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "finite_number": "must be a finite number (not NaN or infinity)",
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "string_type": "must be text",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "too_short": "must have at least {min_length} item(s)",
    "string_too_long": "must be at most {max_length} characters",
    "string_too_short": "must be at least {min_length} character(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_pattern_mismatch": "must match {pattern}",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
}


def problems_from_validation(err: ValidationError) -> list[Problem]:
    """Turn a pydantic error into field-path problems with plain reasons."""
    out: list[Problem] = []
    for e in err.errors(include_url=False):
        loc = [str(x) for x in e.get("loc", ()) if not _is_union_tag(x)]
        path = ".".join(loc)
        kind = e.get("type", "")
        ctx = e.get("ctx") or {}
        template = _PYDANTIC_HINTS.get(kind)
        if template is not None:
            try:
                msg = template.format(**{k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()})
            except (KeyError, IndexError):
                msg = e.get("msg", "is invalid")
        else:
            msg = e.get("msg", "is invalid")
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
        given = e.get("input")
        if kind not in ("missing", "extra_forbidden") and _short_scalar(given):
            msg += f" (got {given!r})"
        out.append(Problem(path, msg))
    return _dedupe_union_noise(out)


def _is_union_tag(x: object) -> bool:
    return isinstance(x, str) and (x in ("str", "ExchangeProfile") or x.startswith("function-"))


def _short_scalar(v: object) -> bool:
    return isinstance(v, (int, float, str, bool)) and len(repr(v)) <= 60


def _dedupe_union_noise(problems: list[Problem]) -> list[Problem]:
    """``profile`` is "id or object": when an object fails, drop the "must be text" branch."""
    paths = {p.path for p in problems}
    out = []
    for p in problems:
        if p.path == "profile" and p.message.startswith("must be text") and any(q.startswith("profile.") for q in paths):
            continue
        out.append(p)
    return out
