"""Checks a plan against its exchange profile, with field paths and allowed ranges."""

from __future__ import annotations

import math

from planner.engine.tiers import TierTable, maintenance_margin, max_leverage_at, position_value, tier_index, tier_measure
from planner.model.enums import MarginMode
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan, Position
from planner.model.profile import ExchangeProfile, SymbolSpec, margin_call_problem


def formula_quantity(pos: Position, spec: SymbolSpec) -> float:
    """Size in formula units: linear base units; inverse USD notional (contracts x contract size)."""
    return pos.quantity * spec.contract_size if spec.contract.value == "inverse" else pos.quantity


def default_isolated_margin(pos: Position, spec: SymbolSpec) -> float:
    """Initial margin at entry: position value at entry / leverage (settlement currency)."""
    table = TierTable.from_spec(spec)
    return float(position_value(formula_quantity(pos, spec), pos.entry_price, table.inverse)) / pos.leverage


def effective_isolated_margin(pos: Position, spec: SymbolSpec) -> float:
    """Isolated margin actually behind the leg: assigned (or initial) plus added/removed."""
    base = default_isolated_margin(pos, spec) if pos.isolated_margin is None else pos.isolated_margin
    return base + pos.added_margin


def wallet_for(plan: Plan, profile: ExchangeProfile, currency: str) -> float | None:
    """Wallet balance in ``currency``; None when the plan gives none."""
    if currency in plan.account.balances:
        return plan.account.balances[currency]
    if currency == profile.settle_currency:
        return plan.account.wallet_balance
    return None


def plan_problems(plan: Plan, profile: ExchangeProfile) -> list[Problem]:
    """Every reason the plan cannot be evaluated on ``profile`` (empty list = fine)."""
    problems: list[Problem] = []
    iso_used: dict[str, float] = {}
    for i, pos in enumerate(plan.positions):
        where = f"positions.{i}"
        spec = profile.symbols.get(pos.symbol)
        if spec is None:
            known = ", ".join(sorted(profile.symbols))
            problems.append(Problem(f"{where}.symbol", f"'{pos.symbol}' is not listed by profile '{profile.id}'; allowed: {known}"))
            continue
        table = TierTable.from_spec(spec)
        q = formula_quantity(pos, spec)
        value = float(position_value(q, pos.entry_price, table.inverse))
        cap = float(max_leverage_at(q, pos.entry_price, table))
        if pos.leverage > cap + 1e-9:
            tier = int(tier_index(tier_measure(q, pos.entry_price, table), table)) + 1
            problems.append(
                Problem(
                    f"{where}.leverage",
                    f"{pos.leverage:g}x exceeds the maximum {cap:g}x for a position value of {value:,.6g} {spec.settle}"
                    f" (tier {tier} of {pos.symbol} on {profile.id}); allowed: 0 < leverage <= {cap:g}",
                )
            )
        if table.size_scaled is None and table.basis == "value" and math.isfinite(table.caps[-1]) and value > table.caps[-1]:
            problems.append(
                Problem(
                    f"{where}.quantity",
                    f"position value {value:,.6g} {spec.settle} exceeds the largest tier cap {table.caps[-1]:,.6g} of {pos.symbol}",
                )
            )
        ccy = spec.settle
        if pos.margin_mode is MarginMode.ISOLATED:
            m = effective_isolated_margin(pos, spec)
            mm = float(maintenance_margin(q, pos.entry_price, table))
            fee = profile.fees.taker * value if profile.traits.close_fee_reserved else 0.0
            if m <= mm + fee:
                what = f"the maintenance margin {mm:,.6g} {ccy}" + (f" plus the reserved close fee {fee:,.6g} {ccy}" if fee else "")
                problems.append(
                    Problem(
                        f"{where}.isolated_margin",
                        f"isolated margin {m:,.6g} {ccy} (after added/removed margin) does not cover {what} at entry;"
                        f" allowed: more than {mm + fee:,.6g}",
                    )
                )
            iso_used[ccy] = iso_used.get(ccy, 0.0) + max(m, 0.0)
        wallet = wallet_for(plan, profile, ccy)
        if wallet is None:
            problems.append(
                Problem(
                    "account.balances",
                    f"{pos.symbol} settles in {ccy}; give a wallet for it as account.balances.{ccy}",
                )
            )
    for ccy, used in iso_used.items():
        wallet = wallet_for(plan, profile, ccy)
        if wallet is not None and used > wallet * (1 + 1e-12) + 1e-12:
            path = (
                "account.wallet_balance"
                if ccy == profile.settle_currency and ccy not in plan.account.balances
                else f"account.balances.{ccy}"
            )
            problems.append(
                Problem(
                    path,
                    f"isolated margins use {used:,.6g} {ccy} but the wallet holds {wallet:,.6g} {ccy}; allowed: at least {used:,.6g}",
                )
            )
    for sym in plan.funding_rates:
        if sym not in profile.symbols:
            problems.append(Problem(f"funding_rates.{sym}", f"'{sym}' is not listed by profile '{profile.id}'"))
    problems += mark_problems(plan) + threshold_problems(plan, profile)
    return _unique(problems)


def mark_problems(plan: Plan) -> list[Problem]:
    """One symbol has one mark: legs of a symbol whose marks differ, naming both legs.

    A leg without ``mark_price`` takes the mark given on another leg of its
    symbol; when no leg of the symbol gives one, each leg's entry stands in for
    it, so their entries must then agree.
    """
    problems: list[Problem] = []
    given: dict[str, tuple[int, float]] = {}
    for i, pos in enumerate(plan.positions):
        if pos.mark_price is not None:
            given.setdefault(pos.symbol, (i, pos.mark_price))
    stand_in: dict[str, tuple[int, float]] = {}
    for i, pos in enumerate(plan.positions):
        if pos.symbol in given:
            j, mark = given[pos.symbol]
            own, what = pos.mark_price, "mark_price"
        else:
            j, mark = stand_in.setdefault(pos.symbol, (i, pos.entry_price))
            own, what = pos.entry_price, "mark (no mark_price given: the entry stands in)"
        if own is None or j == i or abs(own - mark) <= 1e-12 * max(abs(own), abs(mark)):
            continue
        problems.append(
            Problem(
                f"positions.{i}.mark_price",
                f"{pos.symbol} has one mark, but leg {i + 1} gives {own:,.10g} and leg {j + 1} gives {mark:,.10g} as its {what};"
                f" allowed: the same mark_price on every leg of {pos.symbol}",
            )
        )
    return problems


def threshold_problems(plan: Plan, profile: ExchangeProfile) -> list[Problem]:
    """A plan's margin-call threshold must lie before liquidation in the rule's own direction."""
    if plan.margin_call_ratio is None:
        return []
    problem = margin_call_problem(plan.margin_call_ratio, profile.traits)
    if problem is None:
        return []
    return [Problem("margin_call_ratio", f"{problem} (profile '{profile.id}' uses {profile.traits.margin_ratio.replace('_', ' ')})")]


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def check_plan(plan: Plan, profile: ExchangeProfile, source: str = "plan") -> None:
    """Raise :class:`PlannerError` listing every problem, or return None."""
    problems = plan_problems(plan, profile)
    if problems:
        raise PlannerError(problems, source)
