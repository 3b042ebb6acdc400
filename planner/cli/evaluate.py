"""``position-planner evaluate PLAN``: every figure of a plan, as a table or JSON."""

from __future__ import annotations

import argparse

from planner.cli.common import add_as_of_option, load_and_resolve, lookup_profile, print_json, print_warnings
from planner.drills.plan_targets import plan_targets
from planner.engine.evaluate import Evaluation, evaluate
from planner.engine.validation import check_plan
from planner.engine.venues import VenueMapping, map_plan
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.dated import dated_lines
from planner.present.format import fmt_money, fmt_pct, fmt_ratio, portfolio_lines
from planner.present.tables import positions_table
from planner.present.targets import targets_json, targets_lines


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("evaluate", help="evaluate a plan file and print every figure")
    p.add_argument("plan", help="path to a *.plan.json file")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--profile", help="evaluate on this profile id instead of the plan's")
    add_as_of_option(p)
    p.set_defaults(func=cmd_evaluate)


def evaluation_table(plan: Plan, profile: ExchangeProfile, ev: Evaluation) -> str:
    """Readable text table of an evaluation."""
    lines = [
        f"Plan: {plan.name}",
        f"Profile: {ev.profile_name} ({ev.profile_id}, numbers of {ev.profile_version}), rule: {ev.rule}",
        f"Formula: {ev.formula}",
        f"Thresholds: {ev.thresholds.describe()}",
        "",
    ]
    header, rows = positions_table(ev, profile)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows]
    lines.append("")
    lines += [f"Warning: {w}" for w in ev.warnings]
    for acc in ev.accounts:
        ccy = acc.currency
        lines.append(
            f"Account {ccy}: wallet {fmt_money(acc.wallet_balance, ccy)}, equity {fmt_money(acc.equity, ccy)}, "
            f"MM {fmt_money(acc.maintenance_margin, ccy)}, margin ratio {fmt_ratio(acc.margin_ratio)}, state {acc.state}"
        )
        if acc.cross_liquidation_move_down is not None or acc.cross_liquidation_move_up is not None:
            lines.append(
                f"  cross account liquidated if every mark moves together by {fmt_pct(acc.cross_liquidation_move_down)} "
                f"(down) or {fmt_pct(acc.cross_liquidation_move_up)} (up)"
            )
    dated = dated_lines(ev)
    if dated:
        lines += ["", *dated]
    if ev.portfolio is not None:
        lines += ["", *portfolio_lines(ev.portfolio)]
    return "\n".join(lines)


def cmd_evaluate(args: argparse.Namespace) -> int:
    plan, profile = load_and_resolve(args.plan, args.as_of)
    source = args.plan
    mapping: VenueMapping | None = None
    if args.profile:
        target = lookup_profile(args.profile)
        if target.id != profile.id:
            mapping = map_plan(plan, target, profile)
            if mapping.unmapped:
                raise PlannerError(
                    [Problem(f"positions.{m.index}.symbol", m.reason or "cannot be mapped") for m in mapping.unmapped],
                    f"{args.plan} on {target.id}",
                )
            plan, source = mapping.plan, f"{args.plan} mapped to {target.id}"
        profile = target
    check_plan(plan, profile, source=source)
    ev = evaluate(plan, profile, validate=False)
    print_warnings(ev.warnings)
    # Stop / take-profit figures only for legs that carry them (plans without any print as before).
    targets = plan_targets(plan, profile, ev)
    if args.json:
        out = ev.to_dict()
        if targets:
            out["targets"] = targets_json(targets)
        if mapping is not None:
            out["mapping"] = mapping.to_dict()
        print_json(out)
    else:
        print(evaluation_table(plan, profile, ev))
        if targets:
            print("\n".join(targets_lines(targets, profile)))
        if mapping is not None:
            print(mapping_text(mapping))
    return 0


def mapping_text(mapping: VenueMapping) -> str:
    """How the plan's legs and wallets were carried to another venue (text)."""
    lines = ["", f"Mapped from {mapping.source_id} at equal USD value:"]
    for m in mapping.legs:
        head = f"  #{m.index + 1} {m.source_symbol} -> {m.target_symbol or 'not listed'}"
        detail = m.reason if m.reason else "; ".join(m.notes)
        lines.append(head + (f": {detail}" if detail else ""))
    lines += [f"  {n}" for n in mapping.account_notes]
    return "\n".join(lines)
