"""Checks a plan against its exchange profile, with field paths and allowed ranges."""

from __future__ import annotations

import math

from planner.engine.tiers import TierTable, maintenance_margin, max_leverage_at, position_value, tier_index, tier_measure
from planner.model.enums import MarginMode
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan, Position
from planner.model.profile import ExchangeProfile, SymbolSpec
from planner.model.symbols import coin_key


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
            problems.append(
                Problem(
                    f"{where}.symbol",
                    f"'{pos.symbol}' is not listed by profile '{profile.id}'; allowed: {_known_symbols(profile, pos.symbol)}",
                )
            )
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
            if m <= mm:
                problems.append(
                    Problem(
                        f"{where}.isolated_margin",
                        f"isolated margin {m:,.6g} {ccy} (after added/removed margin) does not cover the maintenance margin"
                        f" {mm:,.6g} {ccy} at entry; allowed: more than {mm:,.6g}",
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
    return _unique(problems)


def _known_symbols(profile: ExchangeProfile, wanted: str, limit: int = 12) -> str:
    """The profile's symbols for an error message: all of them if few, else those of the same coin and a count."""
    names = sorted(profile.symbols)
    if len(names) <= limit:
        return ", ".join(names)
    coin = coin_key(wanted).coin
    same = [n for n in names if coin_key(n, profile.symbols[n].base).coin == coin][:limit]
    head = ", ".join(same) + "; " if same else ""
    return f"{head}{len(names)} symbols in all (position-planner profiles show {profile.id})"


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
