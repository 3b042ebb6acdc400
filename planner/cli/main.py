"""Headless command line: ``position-planner evaluate|profiles|schema|...``.

Every failure a user can cause ends with one clear message on stderr and a
non-zero exit code (2 for bad input); never a traceback. Input files are only
read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import TypeVar

from planner import __version__
from planner.engine.evaluate import Evaluation, evaluate
from planner.engine.validation import check_plan
from planner.engine.venues import VenueMapping, map_plan
from planner.io.plan_files import load_plan, resolve_profile
from planner.io.registry import bundled_profiles, dump_profile, get_profile, profile_json_schema
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio

#: Sub-commands that live in their own modules; each exposes ``register(subparsers)``.
EXTRA_COMMAND_MODULES: list[str] = ["planner.cli.drill", "planner.cli.import_tiers"]

EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 1

_Args = TypeVar("_Args")


def _print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False))


# ---------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------


def load_and_resolve(path: str) -> tuple[Plan, ExchangeProfile]:
    """Load a plan file and its profile (user profiles included when available)."""
    plan = load_plan(path)
    user = _user_profiles()
    return plan, resolve_profile(plan, user, source=path)


def _user_profiles() -> dict[str, ExchangeProfile]:
    try:
        from planner.io.user_profiles import load_user_profiles
    except ImportError:
        return {}
    return load_user_profiles()


def evaluation_table(plan: Plan, profile: ExchangeProfile, ev: Evaluation) -> str:
    """Readable text table of an evaluation."""
    lines = [
        f"Plan: {plan.name}",
        f"Profile: {ev.profile_name} ({ev.profile_id}, numbers of {ev.profile_version}), rule: {ev.rule}",
        f"Formula: {ev.formula}",
        f"Thresholds: {ev.thresholds.describe()}",
        "",
    ]
    header = [
        "#",
        "symbol",
        "side",
        "mode",
        "qty",
        "entry",
        "mark",
        "lev",
        "liq",
        "bankr",
        "to liq",
        "IM",
        "MM",
        "ratio",
        "uPnL",
        "ROE",
        "state",
    ]
    rows = []
    for leg in ev.legs:
        tick = profile.symbols[leg.symbol].tick_size
        s = 1 if leg.side == "long" else -1
        rows.append(
            [
                str(leg.index + 1),
                leg.symbol,
                leg.side,
                leg.margin_mode,
                f"{leg.quantity:g}",
                fmt_price(leg.entry_price, tick),
                fmt_price(leg.mark_price, tick),
                f"{leg.leverage:g}x",
                fmt_price(leg.liquidation_price, tick, s),
                fmt_price(leg.bankruptcy_price, tick, s),
                fmt_pct(leg.distance_to_liquidation),
                fmt_money(leg.initial_margin, leg.settle),
                fmt_money(leg.maintenance_margin, leg.settle),
                fmt_ratio(leg.margin_ratio),
                fmt_money(leg.unrealized_pnl, leg.settle),
                fmt_pct(leg.roe),
                leg.state,
            ]
        )
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows]
    lines.append("")
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
    return "\n".join(lines)


def cmd_evaluate(args: argparse.Namespace) -> int:
    plan, profile = load_and_resolve(args.plan)
    source = args.plan
    mapping: VenueMapping | None = None
    if args.profile:
        target = _lookup_profile(args.profile)
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
    if args.json:
        out = ev.to_dict()
        if mapping is not None:
            out["mapping"] = mapping.to_dict()
        _print_json(out)
    else:
        print(evaluation_table(plan, profile, ev))
        if mapping is not None:
            print(mapping_text(mapping))
    return 0


def print_warnings(warnings: Sequence[str]) -> None:
    """Each warning as one line on stderr (the data is used as published; the user should know)."""
    for w in warnings:
        print(f"position-planner: warning: {w}", file=sys.stderr)


def mapping_text(mapping: VenueMapping) -> str:
    """How the plan's legs and wallets were carried to another venue (text)."""
    lines = ["", f"Mapped from {mapping.source_id} at equal USD value:"]
    for m in mapping.legs:
        head = f"  #{m.index + 1} {m.source_symbol} -> {m.target_symbol or 'not listed'}"
        detail = m.reason if m.reason else "; ".join(m.notes)
        lines.append(head + (f": {detail}" if detail else ""))
    lines += [f"  {n}" for n in mapping.account_notes]
    return "\n".join(lines)


def _lookup_profile(profile_id: str) -> ExchangeProfile:
    try:
        return get_profile(profile_id, _user_profiles())
    except KeyError as exc:
        raise _cli_error(str(exc.args[0])) from None


def _cli_error(message: str) -> PlannerError:
    from planner.model.errors import Problem

    return PlannerError([Problem("", message)])


# ---------------------------------------------------------------------------
# profiles / schema
# ---------------------------------------------------------------------------


def profile_text(p: ExchangeProfile) -> str:
    lines = [
        f"{p.name} ({p.id})",
        f"  numbers of {p.version.isoformat()}, rule '{p.rule}': {p.traits.formula}",
        f"  settlement currency {p.settle_currency}; margin call at {p.margin_call_ratio:g} ({p.traits.margin_ratio})",
        f"  fees: maker {fmt_pct(p.fees.maker, 3)}, taker {fmt_pct(p.fees.taker, 3)}, liquidation {fmt_pct(p.fees.liquidation, 3)}",
        f"  funding every {p.funding.interval_hours:g} h ({p.funding.accrual}, {p.funding.price_basis} price), "
        f"interest {fmt_pct(p.funding.interest_rate_per_interval, 4)} per interval, cap {fmt_pct(p.funding.cap_per_interval, 3)}",
        f"  insurance fund: {'yes' if p.policies.insurance_fund else 'no'}; ADL: {'yes' if p.policies.adl else 'no'}; "
        f"negative-balance protection: {'yes' if p.policies.negative_balance_protection else 'no'}; "
        f"leftover margin: {p.policies.leftover_margin}; partial liquidation: {p.policies.partial_liquidation.kind}",
    ]
    if p.policies.description:
        lines.append(f"  {p.policies.description}")
    for sym, spec in p.symbols.items():
        lines.append("")
        unit = "value" if spec.tier_basis == "value" else "size"
        lines.append(
            f"  {sym}: {spec.contract.value}, contract size {spec.contract_size:g}, tick {spec.tick_size:g}, settles in {spec.settle}, tiers by {unit}"
        )
        if spec.size_scaled is not None:
            ss = spec.size_scaled
            lines.append(
                f"    size-scaled margin: IM {fmt_pct(ss.initial_rate)} / MM {fmt_pct(ss.maintenance_rate)} + {fmt_pct(ss.rate_per_unit, 4)} per {spec.base}"
            )
        lines.append(f"    {'tier':>4}  {'floor':>16}  {'cap':>16}  {'max lev':>7}  {'MM rate':>8}  {'MM amount':>14}")
        for i, t in enumerate(spec.tiers, start=1):
            cap = "unbounded" if t.notional_cap is None else f"{t.notional_cap:,.6g}"
            lines.append(
                f"    {i:>4}  {t.notional_floor:>16,.6g}  {cap:>16}  {t.max_leverage:>6g}x  {fmt_pct(t.maintenance_rate, 3):>8}  {t.maintenance_amount:>14,.6g}"
            )
    lines.append("")
    lines.append("  sources:")
    lines += [f"    - {s.title + ': ' if s.title else ''}{s.url}" + (f" (captured {s.captured})" if s.captured else "") for s in p.sources]
    return "\n".join(lines)


def profiles_markdown(profiles: list[ExchangeProfile]) -> str:
    """Markdown table of profiles (the README's exchange table is generated by this)."""
    lines = [
        "| profile | venue / product | rule | symbols | numbers of | fees maker / taker / liquidation | funding | beyond bankruptcy | sources |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for p in profiles:
        pol = p.policies
        beyond = []
        if pol.insurance_fund:
            beyond.append("insurance fund")
        if pol.adl:
            beyond.append("ADL")
        if pol.socialized_loss:
            beyond.append("socialised loss")
        beyond.append("no negative balance" if pol.negative_balance_protection else "**trader owes the deficit**")
        beyond.append(f"leftover margin: {pol.leftover_margin.replace('_', ' ')}")
        src = " ".join(f"[{i}]({s.url})" for i, s in enumerate(p.sources, start=1))
        names = list(p.symbols)
        shown = ", ".join(names) if len(names) <= 8 else f"{', '.join(names[:3])} and {len(names) - 3} more"
        lines.append(
            f"| `{p.id}` | {p.name} | `{p.rule}` | {shown} | {p.version.isoformat()} | "
            f"{fmt_pct(p.fees.maker, 3)} / {fmt_pct(p.fees.taker, 3)} / {fmt_pct(p.fees.liquidation, 3)} | "
            f"every {p.funding.interval_hours:g} h{' (continuous)' if p.funding.accrual == 'continuous' else ''} | "
            f"{'; '.join(beyond)} | {src} |"
        )
    return "\n".join(lines)


def cmd_profiles(args: argparse.Namespace) -> int:
    table = dict(bundled_profiles())
    user = _user_profiles()
    if args.action == "show":
        if not args.id:
            raise _cli_error("profiles show: give a profile id, for example 'profiles show binance-usdm'")
        p = _lookup_profile(args.id)
        print_warnings(p.warnings)
        print(dump_profile(p).rstrip() if args.json else profile_text(p))
        return 0
    rows = [(p, "bundled") for p in table.values()] + [(p, "user") for p in user.values()]
    if args.markdown:
        print(profiles_markdown([p for p, origin in rows if origin == "bundled"]))
        return 0
    if args.json:
        _print_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "version": p.version.isoformat(),
                    "rule": p.rule,
                    "origin": origin,
                    "symbols": list(p.symbols),
                    "sources": [s.url for s in p.sources],
                }
                for p, origin in rows
            ]
        )
        return 0
    w = max(len(p.id) for p, _ in rows)
    for p, origin in rows:
        print(f"{p.id.ljust(w)}  {p.version.isoformat()}  {p.rule:<11}  {origin:<7}  {p.name}  [{p.sources[0].url}]")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    if args.kind == "plan":
        _print_json(Plan.model_json_schema())
    else:
        _print_json(profile_json_schema())
    return 0


# ---------------------------------------------------------------------------
# parser and main
# ---------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"position-planner: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="position-planner", description="Plan leveraged futures positions offline: liquidation, margin calls, funding.")
    parser.add_argument("--version", action="version", version=f"position-planner {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    p = sub.add_parser("evaluate", help="evaluate a plan file and print every figure")
    p.add_argument("plan", help="path to a *.plan.json file")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--profile", help="evaluate on this profile id instead of the plan's")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("profiles", help="list bundled and user exchange profiles, or show one")
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("id", nargs="?", help="profile id for 'show'")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--markdown", action="store_true", help="print the bundled profiles as a Markdown table")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("schema", help="print the JSON Schema of a file format")
    p.add_argument("kind", choices=["plan", "profile"])
    p.set_defaults(func=cmd_schema)

    for name in EXTRA_COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


COMMANDS = ("evaluate", "profiles", "schema")


def command_names() -> set[str]:
    """Names of every sub-command (used by the launcher to route to the CLI)."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set(COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 bad input, 1 unexpected)."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    func: Callable[[argparse.Namespace], int] = args.func
    return run_guarded(func, args)


def run_guarded(func: Callable[[_Args], int], args: _Args) -> int:
    """Run one sub-command under the CLI's single error handler; returns its exit code.

    A ``PlannerError`` (bad input: file, field, what is wrong) prints one line and
    gives 2; a broken pipe gives 0, Ctrl+C 130; anything unexpected prints one
    line naming the exception and gives 1. Never a traceback. Every sub-command,
    including ``report`` on the window side, goes through here.
    """
    try:
        return func(args)
    except PlannerError as exc:
        print(f"position-planner: error: {exc.describe()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"position-planner: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    raise SystemExit(main())
