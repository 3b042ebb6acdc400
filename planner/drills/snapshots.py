"""Profile snapshots in saved plans.

Saving embeds the profile used (an inline profile object carrying its id), so
a plan re-opens with the same numbers after the bundled profiles change. On
open, :func:`snapshot_drift` compares the snapshot with the current profile of
the same id and lists what changed, with the figures side by side.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile


def with_snapshot(plan: Plan, profile: ExchangeProfile) -> Plan:
    """The plan with ``profile`` embedded inline (what Save writes)."""
    return plan if plan.profile == profile else plan.model_copy(update={"profile": profile})


@dataclass(frozen=True)
class Drift:
    """A saved snapshot versus today's profile of the same id."""

    current: ExchangeProfile
    changed_fields: list[str]
    figures: list[tuple[str, str, float | None, float | None]]  # (leg, figure, saved, current)


def _diff(a: object, b: object, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            _diff(a.get(k), b.get(k), f"{path}.{k}" if path else str(k), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(x, y, f"{path}.{i}", out)
    elif a != b:
        out.append(f"{path}: {a!r} -> {b!r}" if not isinstance(a, (dict, list)) else f"{path} changed")


def snapshot_drift(plan: Plan, user_profiles: dict[str, ExchangeProfile] | None = None) -> Drift | None:
    """None when the plan names a profile by id, or its snapshot equals today's profile."""
    if not isinstance(plan.profile, ExchangeProfile):
        return None
    try:
        current = get_profile(plan.profile.id, user_profiles)
    except KeyError:
        return None
    if current == plan.profile:
        return None
    fields: list[str] = []
    _diff(plan.profile.model_dump(mode="json"), current.model_dump(mode="json"), "", fields)
    figures: list[tuple[str, str, float | None, float | None]] = []
    try:
        old = evaluate(plan, plan.profile)
        new = evaluate(plan.model_copy(update={"profile": current.id}), current)
    except PlannerError:
        return Drift(current, fields, figures)
    for a, b in zip(old.legs, new.legs, strict=False):
        for name in ("liquidation_price", "bankruptcy_price", "initial_margin", "maintenance_margin"):
            va, vb = getattr(a, name), getattr(b, name)
            if va != vb:
                figures.append((f"#{a.index + 1} {a.symbol}", name.replace("_", " "), va, vb))
    return Drift(current, fields, figures)
