"""Checks a plan against its exchange profile, with field paths and allowed ranges."""

from __future__ import annotations

import math

from planner.engine.close_fee import bankruptcy_close_fee, default_close_fee
from planner.engine.expiry import expiry_problems, plan_clock
from planner.engine.portfolio_margin import portfolio_problems
from planner.engine.tiers import (
    TierTable,
    leverage_cap_shown,
    maintenance_margin,
    max_leverage_at,
    position_value,
    tier_index,
    tier_measure,
)
from planner.model.enums import MarginMode
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan, Position
from planner.model.profile import ExchangeProfile, SymbolSpec, margin_call_problem
from planner.model.symbols import coin_key


def formula_quantity(pos: Position, spec: SymbolSpec) -> float:
    """Size in formula units: linear base units; inverse USD notional (contracts x contract size)."""
    return pos.quantity * spec.contract_size if spec.contract.value == "inverse" else pos.quantity


def default_isolated_margin(pos: Position, spec: SymbolSpec, close_fee_rate: float = 0.0) -> float:
    """Position margin of a fresh isolated leg, settlement currency.

    Position value at entry / leverage, plus, when ``close_fee_rate`` > 0 (Bybit,
    :attr:`RuleTraits.close_fee_at_bankruptcy`), the estimated fee to close at
    the bankruptcy price that Bybit's position margin holds.
    """
    table = TierTable.from_spec(spec)
    q = formula_quantity(pos, spec)
    im = float(position_value(q, pos.entry_price, table.inverse)) / pos.leverage
    if close_fee_rate > 0.0:
        im += default_close_fee(pos.side.sign, q, pos.entry_price, pos.leverage, table.inverse, close_fee_rate)
    return im


def effective_isolated_margin(pos: Position, spec: SymbolSpec, close_fee_rate: float = 0.0) -> float:
    """Isolated margin actually behind the leg: assigned (or default) plus added/removed."""
    base = default_isolated_margin(pos, spec, close_fee_rate) if pos.isolated_margin is None else pos.isolated_margin
    return base + pos.added_margin


def position_margin_fee_rate(profile: ExchangeProfile) -> float:
    """Taker rate of the fee to close that position margins hold (Bybit), else 0."""
    return profile.fees.taker if profile.traits.close_fee_at_bankruptcy else 0.0


def largest_size_message(pos: Position, spec: SymbolSpec, table: TierTable, profile_id: str) -> str | None:
    """Refusal for a position beyond the last tier of its table, naming the largest size allowed; None if inside.

    Size basis: the tier bounds are sizes (linear base units, inverse USD
    notional). Value basis: position value at entry, settlement currency; the
    largest size is that value at the entry price. Caps are inclusive.
    """
    cap = table.last_cap
    if not math.isfinite(cap) or table.size_scaled is not None:
        return None
    q = formula_quantity(pos, spec)
    measure = float(tier_measure(q, pos.entry_price, table))
    if measure <= cap * (1 + 1e-12):
        return None
    inverse = table.inverse
    if table.basis == "size":
        q_max = cap
        bound = f"{cap:,.10g} {'USD' if inverse else spec.base} of size"
    else:
        q_max = cap * pos.entry_price if inverse else cap / pos.entry_price
        bound = f"a position value of {cap:,.10g} {spec.settle}"
    if inverse:
        allowed = q_max / spec.contract_size
        unit = "contracts"
    else:
        allowed = q_max
        unit = spec.base
    extra = f" at {pos.entry_price:,.10g}" if table.basis == "value" else ""
    return (
        f"{pos.quantity:,.10g} {unit} is beyond the last tier of {pos.symbol} on {profile_id} (tier {table.n_tiers} ends at {bound});"
        f" the largest position the venue allows is {allowed:,.10g} {unit}{extra}; allowed: quantity <= {allowed:,.10g}"
    )


def wallet_for(plan: Plan, profile: ExchangeProfile, currency: str) -> float | None:
    """Wallet balance in ``currency``; None when the plan gives none."""
    if currency in plan.account.balances:
        return plan.account.balances[currency]
    if currency == profile.settle_currency:
        return plan.account.wallet_balance
    return None


#: Checks of single legs by (index, position, profile) identity; positions and profiles are frozen.
_LEG_CHECKS: dict[tuple[int, int, int], tuple[Position, ExchangeProfile, list[Problem], str | None, float | None]] = {}


def leg_problems(i: int, pos: Position, profile: ExchangeProfile) -> tuple[list[Problem], str | None, float | None]:
    """Problems of leg ``i`` on its own, its settlement currency and its isolated margin.

    The symbol must be listed (else the currency is None and nothing else is
    checked), the leverage within the tier's maximum, the size within the last
    tier, an isolated margin (settlement currency, after added/removed margin;
    None for a cross leg) above the maintenance margin at entry. Kept per leg:
    an edit of one leg of a 200-leg book checks that leg again, not the others.
    """
    key = (i, id(pos), id(profile))
    hit = _LEG_CHECKS.get(key)
    if hit is not None and hit[0] is pos and hit[1] is profile:
        return list(hit[2]), hit[3], hit[4]
    problems, ccy, margin = _check_leg(i, pos, profile)
    if len(_LEG_CHECKS) > 4096:
        _LEG_CHECKS.clear()
    _LEG_CHECKS[key] = (pos, profile, problems, ccy, margin)
    return list(problems), ccy, margin


def _check_leg(i: int, pos: Position, profile: ExchangeProfile) -> tuple[list[Problem], str | None, float | None]:
    problems: list[Problem] = []
    where = f"positions.{i}"
    spec = profile.symbols.get(pos.symbol)
    if spec is None:
        problems.append(
            Problem(
                f"{where}.symbol",
                f"'{pos.symbol}' is not listed by profile '{profile.id}'; allowed: {_known_symbols(profile, pos.symbol)}",
            )
        )
        return problems, None, None
    table = TierTable.from_spec(spec)
    q = formula_quantity(pos, spec)
    value = float(position_value(q, pos.entry_price, table.inverse))
    cap = leverage_cap_shown(float(max_leverage_at(q, pos.entry_price, table)), table)
    if pos.leverage > cap * (1 + 1e-12) + 1e-12:
        tier = int(tier_index(tier_measure(q, pos.entry_price, table), table)) + 1
        problems.append(
            Problem(
                f"{where}.leverage",
                f"{pos.leverage:g}x exceeds the maximum {cap:g}x for a position value of {value:,.10g} {spec.settle}"
                f" (tier {tier} of {pos.symbol} on {profile.id}); allowed: 0 < leverage <= {cap:g}",
            )
        )
    beyond = largest_size_message(pos, spec, table, profile.id)
    if beyond is not None:
        problems.append(Problem(f"{where}.quantity", beyond))
    ccy = spec.settle
    margin = None
    if pos.margin_mode is MarginMode.ISOLATED:
        fee_rate = position_margin_fee_rate(profile)
        m = effective_isolated_margin(pos, spec, fee_rate)
        mm = float(maintenance_margin(q, pos.entry_price, table))
        if fee_rate > 0.0:
            mm += bankruptcy_close_fee(pos.side.sign, q, pos.entry_price, m, table.inverse, fee_rate)
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
        margin = m
    return problems, ccy, margin


def plan_problems(plan: Plan, profile: ExchangeProfile) -> list[Problem]:
    """Every reason the plan cannot be evaluated on ``profile`` (empty list = fine)."""
    problems: list[Problem] = []
    iso_used: dict[str, float] = {}
    for i, pos in enumerate(plan.positions):
        own, ccy, margin = leg_problems(i, pos, profile)
        problems += own
        if ccy is None:
            continue
        if margin is not None:
            iso_used[ccy] = iso_used.get(ccy, 0.0) + max(margin, 0.0)
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
    problems += mark_problems(plan) + threshold_problems(plan, profile) + portfolio_problems(plan, profile)
    if plan.as_of is not None or any(p.roll or p.roll_basis is not None for p in plan.positions) or _has_dated(plan, profile):
        problems += expiry_problems(plan, profile, plan_clock(plan))
    return _unique(problems)


def _has_dated(plan: Plan, profile: ExchangeProfile) -> bool:
    """True if a leg or a funding rate names a dated future of ``profile``."""
    names = {p.symbol for p in plan.positions} | set(plan.funding_rates)
    return any((spec := profile.symbols.get(n)) is not None and spec.is_dated for n in names)


def _known_symbols(profile: ExchangeProfile, wanted: str, limit: int = 12) -> str:
    """The profile's symbols for an error message: all of them if few, else those of the same coin and a count."""
    names = sorted(profile.symbols)
    if len(names) <= limit:
        return ", ".join(names)
    coin = coin_key(wanted).coin
    same = [n for n in names if coin_key(n, profile.symbols[n].base).coin == coin][:limit]
    head = ", ".join(same) + "; " if same else ""
    return f"{head}{len(names)} symbols in all (position-planner profiles show {profile.id})"


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
