"""``position-planner drill PLAN --scenario ...``: every drill, headless."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypedDict

from planner.cli.common import add_as_of_option
from planner.drills.actions import ActionSettings, action_plan, leg_name
from planner.drills.events import bundled_events, load_event_file
from planner.drills.montecarlo import liquidation_probability, work_problem
from planner.drills.partial import partial_liquidation
from planner.drills.paths import flash_crash, parse_path_csv, run_path, steady_bleed
from planner.drills.scenarios import ComparisonRow, Slippage, compare_profiles, gap_waterfall, shock
from planner.engine.validation import check_plan
from planner.io.jsonread import read_text_file
from planner.io.registry import bundled_profiles
from planner.model.enums import MarginModel
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money

SCENARIOS = ("shock", "gap", "partial", "path", "event", "compare", "actions")


class DrillOutput(TypedDict):
    """A drill's printable text and its ``--json`` document."""

    text: str
    json: object


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("drill", help="what-if drills: shock, gap, partial, path, event, compare, actions")
    p.add_argument("plan", help="path to a *.plan.json file")
    p.add_argument("--scenario", required=True, choices=SCENARIOS)
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--move", type=float, help="shock: relative move of every mark, e.g. -0.1 for -10 %%")
    p.add_argument("--leg", type=int, default=1, help="gap/partial: leg number (1-based)")
    p.add_argument("--gap-beyond", type=float, default=0.02, help="gap: how far past the liquidation price the price jumps (fraction)")
    p.add_argument("--gap-price", type=float, help="gap: the price it jumps to")
    p.add_argument("--slippage", type=float, default=0.01, help="gap: fill this fraction beyond the gap price")
    p.add_argument("--insurance-fund", type=float, default=math.inf, help="gap: what the insurance fund can pay (default: all)")
    p.add_argument("--price", type=float, help="partial: trigger price (default: the leg's liquidation price)")
    p.add_argument("--path", default="flash-crash", help="path: flash-crash, bleed, or a CSV file of time_hours,price")
    p.add_argument("--symbol", help="path: the CSV prices are this symbol's (absolute); default relative to every mark")
    p.add_argument("--event", default="cpi", help="event: preset id (cpi, fomc, weekend, listing) or a preset JSON file")
    p.add_argument("--volatility", type=float, help="event: override annual volatility (fraction)")
    p.add_argument("--paths", type=int, default=100_000, help="event: Monte Carlo paths")
    p.add_argument("--seed", type=int, default=1, help="event: random seed")
    add_as_of_option(p)
    p.set_defaults(func=run_drill)


def _load(path: str, as_of: str | None = None) -> tuple[Plan, ExchangeProfile]:
    from planner.cli.common import load_and_resolve

    plan, profile = load_and_resolve(path, as_of)
    check_plan(plan, profile, source=path)
    return plan, profile


def run_drill(args: argparse.Namespace) -> int:
    plan, profile = _load(args.plan, args.as_of)
    out = DRILLS[args.scenario](plan, profile, args)
    if plan.account.margin_model is MarginModel.PORTFOLIO and args.scenario in STANDARD_ONLY:
        out = {**out, "text": f"Note: {STANDARD_ONLY_NOTE}\n{out['text']}"}
    if args.json:
        print(json.dumps(out["json"], indent=2, allow_nan=False, default=_default))
    else:
        print(out["text"])
    return 0


#: Drills that work leg by leg on the standard figures even for a portfolio-margin plan (said in their text).
STANDARD_ONLY = frozenset({"gap", "partial"})
STANDARD_ONLY_NOTE = (
    "portfolio-margin plan: this drill uses each leg's standard-margin figures (its liquidation price and margin);"
    " the portfolio requirement is in evaluate, shock, path, event, compare and actions"
)


def _default(o: Any) -> object:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    try:
        return o.tolist()
    except AttributeError:
        return str(o)


def _leg(plan: Plan, args: argparse.Namespace) -> int:
    if not 1 <= args.leg <= len(plan.positions):
        raise PlannerError([Problem("--leg", f"must be a leg number from 1 to {len(plan.positions)} (got {args.leg})")], "drill")
    leg: int = args.leg
    return leg - 1


def _shock(plan: Plan, profile: ExchangeProfile, args: argparse.Namespace) -> DrillOutput:
    if args.move is None:
        raise PlannerError([Problem("--move", "give the move of every mark, e.g. --move -0.1 for -10 %")], "drill")
    r = shock(plan, profile, move=args.move)
    lines = [f"Every mark moves {args.move:+.2%}"]
    for l in r.legs:
        lines.append(
            f"  {l.index + 1}. {l.symbol} {l.side} {l.margin_mode}: mark {l.mark_price:,.2f}, equity {l.equity:,.2f} {l.settle}, "
            f"ratio {'n/a' if l.margin_ratio is None else f'{l.margin_ratio:.2%}'}, {l.state}"
        )
    a = r.account
    lines.append(f"  account: equity {a.equity:,.2f} {a.currency}, requirement {a.maintenance_margin:,.2f}, state {a.state}")
    if r.evaluation.portfolio is not None:
        from planner.present.format import portfolio_lines

        lines += ["  " + x for x in portfolio_lines(r.evaluation.portfolio)]
    if r.cross_close_order:
        lines.append("  a cross liquidation closes, in order: " + ", ".join(f"{i + 1}. {r.legs[i].symbol}" for i in r.cross_close_order))
    js = {
        "move": args.move,
        "marks": r.marks,
        "liquidated": r.liquidated,
        "cross_close_order": r.cross_close_order,
        **r.evaluation.to_dict(),
    }
    return {"text": "\n".join(lines), "json": js}


def _gap(plan: Plan, profile: ExchangeProfile, args: argparse.Namespace) -> DrillOutput:
    i = _leg(plan, args)
    w = gap_waterfall(
        plan,
        profile,
        i,
        gap_price=args.gap_price,
        gap_beyond=args.gap_beyond,
        slippage=Slippage(fixed=args.slippage),
        insurance_fund_capacity=args.insurance_fund,
    )
    c = w.currency
    lines = [
        f"{w.symbol}: price gaps to {w.trigger_price:,.2f}, liquidation fills at {w.fill_price:,.2f} "
        f"(bankruptcy {'none' if w.bankruptcy_price is None else f'{w.bankruptcy_price:,.2f}'}) on {profile.name}"
    ]
    lines += [f"  {name:<34} {value:>16,.2f} {c}" for name, value in w.rows]
    lines.append(f"  {'your total loss':<34} {w.trader_total_loss:>16,.2f} {c}  (margin {w.margin:,.2f})")
    lines.append("Can you lose more than your margin? " + w.describe())
    return {"text": "\n".join(lines), "json": asdict(w)}


def _partial(plan: Plan, profile: ExchangeProfile, args: argparse.Namespace) -> DrillOutput:
    i = _leg(plan, args)
    from planner.engine.evaluate import evaluate

    ev = evaluate(plan, profile)
    price = args.price if args.price is not None else (ev.legs[i].liquidation_price or ev.legs[i].mark_price)
    steps = partial_liquidation(plan, profile, i, price)
    rule = profile.policies.partial_liquidation
    lines = [f"{ev.legs[i].symbol} at {price:,.2f} on {profile.name} ({rule.kind}{': ' + rule.description if rule.description else ''})"]
    if not steps:
        lines.append("  equity covers maintenance margin at this price: nothing is liquidated")
    for s in steps:
        lines.append(
            f"  step {s.number}: close {s.closed:,.6g}, left {s.left:,.6g}; equity {s.equity:,.2f}, requirement {s.requirement:,.2f} ({s.note})"
        )
    return {"text": "\n".join(lines), "json": {"price": price, "rule": rule.kind, "steps": [asdict(s) for s in steps]}}


def _path(plan: Plan, profile: ExchangeProfile, args: argparse.Namespace) -> DrillOutput:
    if args.path == "flash-crash":
        path = flash_crash(horizon_hours=plan.horizon_hours)
    elif args.path == "bleed":
        path = steady_bleed(horizon_hours=plan.horizon_hours)
    else:
        p = Path(args.path)
        if not p.exists():
            raise PlannerError([Problem("--path", "use flash-crash, bleed, or an existing CSV file of time_hours,price")], str(p))
        path = parse_path_csv(read_text_file(p), args.symbol, str(p))
    r = run_path(plan, profile, path)
    lines = [f"Path: {path.label} over {path.hours[-1]:g} h"]
    for i, pos in enumerate(plan.positions):
        ev = r.liquidations.get(i)
        lines.append(f"  {i + 1}. {pos.symbol}: " + (f"liquidated at {ev[0]:.2f} h, price {ev[1]:,.2f}" if ev else "survives"))
        st = r.settlements.get(i)
        if st is not None:
            ccy = profile.symbols[pos.symbol].settle
            what = "settled and rolled, rollover cost" if pos.roll else "settled (no roll), settlement fee"
            lines.append(f"     expiry at {st[0]:.2f} h: {what} {fmt_money(st[2], ccy)} at {st[1]:,.2f}")
    for acc in r.accounts.values():
        lines.append(
            f"  {acc.currency} wallet: equity {fmt_money(float(acc.equity[0]), acc.currency)} -> {fmt_money(float(acc.equity[-1]), acc.currency)};"
            f" funding paid {fmt_money(float(acc.funding_paid[-1]), acc.currency)}"
        )
    if r.schedule:
        lines.append(f"  funding settlements: {r.schedule}")
    for ccy, hour in r.portfolio_liquidation_hours.items():
        pa = r.portfolio[ccy]
        lines.append(
            f"  portfolio account {ccy}: equity {fmt_money(float(pa.equity[0]), ccy)} -> {fmt_money(float(pa.equity[-1]), ccy)} against the"
            f" portfolio MM; " + ("survives" if hour is None else f"liquidated at {hour:.2f} h")
        )
    js_pm = (
        {
            "portfolio": {
                c: {"equity": a.equity, "requirement": a.requirement, "liquidation_hour": r.portfolio_liquidation_hours[c]}
                for c, a in r.portfolio.items()
            }
        }
        if r.portfolio
        else {}
    )
    return {
        "text": "\n".join(lines),
        "json": js_pm
        | {
            "label": path.label,
            "hours": r.hours,
            "equity": r.equity,
            "requirement": r.requirement,
            "liquidations": {str(k): v for k, v in r.liquidations.items()},
            **({"settlements": {str(k): v for k, v in r.settlements.items()}} if r.settlements else {}),
            "currency": r.currency,
            "other_wallets": {
                c: {"equity": a.equity, "requirement": a.requirement, "funding_paid": a.funding_paid}
                for c, a in r.accounts.items()
                if c != r.currency
            },
        },
    }


def _event(plan: Plan, profile: ExchangeProfile, args: argparse.Namespace) -> DrillOutput:
    events = bundled_events()
    preset = events.get(args.event) or (load_event_file(args.event) if Path(args.event).exists() else None)
    if preset is None:
        raise PlannerError(
            [Problem("--event", f"unknown preset '{args.event}'; bundled: {', '.join(events)} (or a preset JSON file)")], "drill"
        )
    model = preset.model(args.volatility)
    too_much = work_problem(len(plan.positions), args.paths, preset.horizon_hours)
    if too_much is not None:
        raise PlannerError([Problem("--paths", too_much.message)], "drill")
    r = liquidation_probability(plan, profile, model=model, horizon_hours=preset.horizon_hours, paths=args.paths, seed=args.seed)
    lines = [
        f"{preset.name}: {preset.horizon_hours:g} h, volatility {model.volatility:.0%}/yr, jumps ~{preset.expected_jumps:g} of {preset.typical_move:.1%}",
        f"  probability of liquidation: {r.probability:.2%} (+/- {r.half_width:.2%}, {r.paths:,} paths, {r.steps} steps, seed {r.seed})",
    ]
    for i, p in r.per_leg.items():
        lines.append(f"    {i + 1}. {plan.positions[i].symbol}: {p:.2%}")
    for i in r.already_liquidated:
        lines.append(f"    {i + 1}. {plan.positions[i].symbol}: already liquidated at its mark (no probability)")
    if r.closed_form is not None:
        lines.append(f"  closed form (no jumps): {r.closed_form:.2%}")
    lines += [f"  note: {n}" for n in r.notes]
    out = asdict(r)
    if not r.already_liquidated:
        del out["already_liquidated"]  # the key appears only when a leg is past liquidation at its mark
    if not r.notes:
        del out["notes"]  # only plans with a dated leg expiring within the horizon carry notes
    return {"text": "\n".join(lines), "json": out | {"event": preset.id}}


def _compare(plan: Plan, profile: ExchangeProfile, args: argparse.Namespace) -> DrillOutput:
    rows = compare_profiles(plan, profile, list(bundled_profiles().values()))
    return {"text": compare_text(plan, rows), "json": [asdict(r) for r in rows]}


def compare_text(plan: Plan, rows: list[ComparisonRow]) -> str:
    """The leg x venue grid as text: one block per leg, one line per venue (S = safest, C = cheapest)."""
    from planner.present.format import fmt_money, fmt_pct

    lines = []
    w = max(len(r.profile_id) for r in rows) if rows else 8
    for i, pos in enumerate(plan.positions):
        lines.append(
            f"#{i + 1} {pos.symbol} {pos.side.value} {pos.quantity:g} at {pos.entry_price:,.6g}, {pos.leverage:g}x {pos.margin_mode.value}"
        )
        lines.append(
            f"  {'venue':<{w}}  SC  {'symbol':<18} {'liq price':>12} {'to liq':>8} {'IM':>18} {'MM':>18} {'liq fee':>18} {'funding/day':>18}"
        )
        for r in rows:
            c = r.legs[i]
            flags = ("S" if c.safest else "-") + ("C" if c.cheapest else "-")
            if not c.has_figures:
                lines.append(f"  {r.profile_id:<{w}}  {flags}  {c.symbol or '-':<18} {c.status}: {c.note}")
                continue
            ccy = c.currency or ""
            lp = "none" if c.liquidation_price is None else f"{c.liquidation_price:,.2f}"
            lines.append(
                f"  {r.profile_id:<{w}}  {flags}  {c.symbol:<18} {lp:>12} {fmt_pct(c.distance_to_liquidation):>8} "
                f"{fmt_money(c.initial_margin, ccy):>18} {fmt_money(c.maintenance_margin, ccy):>18} "
                f"{fmt_money(c.liquidation_fee, ccy):>18} {fmt_money(c.funding_per_day, ccy):>18}"
                + (f"  ({c.status})" if c.status != "ok" else "")
            )
        lines.append("")
    lines.append("Beyond bankruptcy:")
    for r in rows:
        lines.append(f"  {r.profile_id:<{w}}  {r.beyond_bankruptcy}")
        lines += [f"  {'':<{w}}  note: {n}" for n in r.notes]
    return "\n".join(lines)


def _actions(plan: Plan, profile: ExchangeProfile, args: argparse.Namespace) -> DrillOutput:
    ap = action_plan(plan, profile, settings=ActionSettings())
    lines = [ap.trigger]
    for s in ap.steps:
        after = ", ".join(
            f"{leg_name(i, plan.positions[i].symbol, plan.positions[i].margin_mode.value)} liq {'none' if p is None else f'{p:,.2f}'}"
            for i, p in s.liquidation_after.items()
        )
        lines.append(f"{s.number}. {s.title}\n   {s.detail}" + (f"\n   after: {after}; state {s.state_after}" if after else ""))
    js = {
        "trigger": ap.trigger,
        "in_margin_call": ap.in_margin_call,
        "legs_in_call": list(ap.legs_in_call),
        "ranking": ap.ranking,
        "steps": [{k: v for k, v in asdict(s).items() if k != "plan_after"} | {"applicable": s.plan_after is not None} for s in ap.steps],
    }
    return {"text": "\n".join(lines), "json": js}


DRILLS: dict[str, Callable[[Plan, ExchangeProfile, argparse.Namespace], DrillOutput]] = {
    "shock": _shock,
    "gap": _gap,
    "partial": _partial,
    "path": _path,
    "event": _event,
    "compare": _compare,
    "actions": _actions,
}
