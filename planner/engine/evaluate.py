"""Plan -> Evaluation: every figure the GUI, the CLI and the report show.

One function, :func:`evaluate`, computes all per-leg and account figures from
a validated plan and its profile. Views only render its result.

Conventions: side sign ``s`` +1 long / -1 short; money in the settlement
currency of the leg (USDT for linear, coin for inverse); prices in quote per
base unit; rates as fractions; ``None`` where a price does not exist (a 1x
long has no liquidation price).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np

from planner.engine.close_fee import bankruptcy_close_fee
from planner.engine.expiry import DatedLeg, clock_label, dated_legs, plan_clock
from planner.engine.funding import funding_payment, symbol_interval_hours
from planner.engine.liquidation import (
    MAX_MEANINGFUL_PRICE,
    MIN_PRICE_FRACTION,
    find_roots_near,
    first_crossing,
    nearest_root,
    piecewise_grid,
    price_at_level,
)
from planner.engine.portfolio_margin import PortfolioResult, portfolio_for_plan
from planner.engine.tiers import (
    TierTable,
    initial_margin_rate,
    maintenance_margin,
    maintenance_rate_amount,
    max_leverage_at,
    max_value_for_leverage,
    position_value,
    tier_index,
    tier_measure,
)
from planner.engine.validation import check_plan, effective_isolated_margin, formula_quantity, position_margin_fee_rate, wallet_for
from planner.model.arrays import ArrayLike, FloatArray
from planner.model.enums import MarginMode, MarginModel
from planner.model.plan import Plan, Position
from planner.model.profile import ExchangeProfile, RuleTraits, SymbolSpec

State = Literal["safe", "margin_call", "liquidation"]


@dataclass(frozen=True)
class LegResult:
    """Figures for one leg. Money in ``settle`` currency, prices in quote."""

    index: int
    symbol: str
    side: str
    margin_mode: str
    contract: str
    settle: str
    quantity: float
    entry_price: float
    mark_price: float
    leverage: float
    position_value: float
    notional_usd: float
    collateral: float
    initial_margin: float
    maintenance_margin: float
    maintenance_rate: float
    maintenance_amount: float
    tier: int
    unrealized_pnl: float
    roe: float
    equity: float
    margin_ratio: float | None
    liquidation_price: float | None
    bankruptcy_price: float | None
    margin_call_price: float | None
    distance_to_liquidation: float | None
    distance_to_liquidation_price: float | None
    break_even_price: float
    max_leverage: float
    max_position_value: float | None
    close_fee: float
    liquidation_fee: float
    funding_rate: float
    funding_interval_hours: float
    funding_per_interval: float
    state: State


@dataclass(frozen=True)
class AccountResult:
    """Account figures for one settlement currency."""

    currency: str
    wallet_balance: float
    cross_wallet_balance: float
    equity: float
    unrealized_pnl: float
    initial_margin: float
    maintenance_margin: float
    margin_ratio: float | None
    available_balance: float
    state: State
    cross_liquidation_move_down: float | None
    cross_liquidation_move_up: float | None


@dataclass(frozen=True)
class Thresholds:
    """Margin-ratio thresholds in the exchange's own meaning."""

    convention: str
    margin_call: float
    liquidation: float

    def describe(self) -> str:
        if self.convention == "mm_over_equity":
            return f"margin ratio = MM / equity: margin call at >= {self.margin_call:.0%}, liquidation at >= {self.liquidation:.0%}"
        return (
            f"margin ratio = equity / (MM + close fee): margin call at <= {self.margin_call:.0%}, liquidation at <= {self.liquidation:.0%}"
        )


@dataclass(frozen=True)
class Evaluation:
    """Everything computed for one plan on one profile."""

    profile_id: str
    profile_name: str
    profile_version: str
    rule: str
    formula: str
    thresholds: Thresholds
    legs: list[LegResult]
    accounts: list[AccountResult]
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    dated: list[DatedLeg] = field(default_factory=list)
    clock: str = ""  # the clock dated legs count from (planner.engine.expiry.clock_label); "" without dated legs
    portfolio: PortfolioResult | None = None  # portfolio-margin requirement beside the standard one (PM plans only)

    @property
    def account(self) -> AccountResult:
        return self.accounts[0]

    def dated_for(self, index: int) -> DatedLeg | None:
        """Expiry figures of leg ``index`` (None for a perpetual)."""
        return next((d for d in self.dated if d.index == index), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``evaluate --json``); a ``portfolio`` key only for portfolio-margin plans."""
        out: dict[str, Any] = {
            "profile": {
                "id": self.profile_id,
                "name": self.profile_name,
                "version": self.profile_version,
                "rule": self.rule,
                "formula": self.formula,
            },
            "thresholds": asdict(self.thresholds),
            "positions": [_clean(asdict(leg)) for leg in self.legs],
            "account": _clean(asdict(self.account)),
            "accounts": [_clean(asdict(a)) for a in self.accounts],
            "warnings": list(self.warnings),
            # Only plans with dated futures carry these keys: the output of perpetual-only plans is unchanged.
            **({"clock": self.clock, "dated": [_clean(asdict(d)) for d in self.dated]} if self.dated else {}),
        }
        if self.portfolio is not None:
            pm = asdict(self.portfolio)
            pm["accounts"] = [_clean(a) for a in pm["accounts"]]
            out["portfolio"] = pm
        return out


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def _opt(x: float) -> float | None:
    return float(x) if math.isfinite(x) and x > 0 else None


# ---------------------------------------------------------------------------
# small formulas (scalar or vector)
# ---------------------------------------------------------------------------


def unrealized_pnl(s: ArrayLike, q: ArrayLike, entry: ArrayLike, price: ArrayLike, inverse: bool) -> FloatArray:
    """Linear ``s*q*(P - E)`` quote; inverse ``s*q*(1/E - 1/P)`` coin.

    Linear: Binance Futures calculator FAQ, "PnL long = (Exit - Entry) x Qty"
    (copy at http://binance-register.co/en/issues/item/2641.html); inverse: Binance COIN-M
    https://www.binance.com/es-MX/support/faq/how-to-calculate-liquidation-price-of-coin-m-futures-contracts-ceccfcfb4e3a45e3b48b0b1bb1a8ae46

    >>> float(unrealized_pnl(1, 1.0, 50_000.0, 45_000.0, inverse=False))
    -5000.0
    """
    if inverse:
        return s * q * (1.0 / entry - 1.0 / np.asarray(price, dtype=float))
    return s * q * (np.asarray(price, dtype=float) - entry)


def break_even_price(entry: float, s: int, taker: float) -> float:
    """Price that pays a taker fee on open and close: ``E*(1 + s*f)/(1 - s*f)`` (linear and inverse).

    Solves ``PnL(P) = f*E*q + f*P*q`` with the calculator FAQ's PnL (copy at
    http://binance-register.co/en/issues/item/2641.html); no venue publishes it as such.

    >>> round(break_even_price(50_000.0, 1, 0.0005), 2)
    50050.03
    """
    return entry * (1 + s * taker) / (1 - s * taker)


def target_price(entry: float, s: int, leverage: float, roe: float, inverse: bool) -> float | None:
    """Exit price for a return on initial margin ``roe`` (fraction).

    Linear ``E*(1 + s*roe/L)`` (Binance calculator FAQ, copy at
    http://binance-register.co/en/issues/item/2641.html); inverse ``E/(1 - s*roe/L)``
    (Bybit calculator: 7,000 at 5x for +20 % -> 7,291.67).

    >>> round(target_price(7_000.0, 1, 5.0, 0.2, inverse=True), 2)
    7291.67
    """
    if inverse:
        den = 1 - s * roe / leverage
        return entry / den if den > 0 else None
    p = entry * (1 + s * roe / leverage)
    return p if p > 0 else None


def average_entry(q1: float, e1: float, q2: float, e2: float, inverse: bool) -> float:
    """Entry after adding ``q2`` at ``e2`` to ``q1`` at ``e1`` (inverse: harmonic mean).

    Keeps the PnL of both fills: linear PnL is linear in ``P`` (size-weighted mean),
    inverse PnL is linear in ``1/P`` (Binance COIN-M,
    https://www.binance.com/es-MX/support/faq/how-to-calculate-liquidation-price-of-coin-m-futures-contracts-ceccfcfb4e3a45e3b48b0b1bb1a8ae46).

    >>> average_entry(1.0, 50_000.0, 1.0, 40_000.0, inverse=False)
    45000.0
    """
    if inverse:
        return (q1 + q2) / (q1 / e1 + q2 / e2)
    return (q1 * e1 + q2 * e2) / (q1 + q2)


def thresholds_for(profile: ExchangeProfile, plan: Plan | None = None) -> Thresholds:
    call = plan.margin_call_ratio if plan is not None and plan.margin_call_ratio is not None else profile.margin_call_ratio
    return Thresholds(profile.traits.margin_ratio, float(call), 1.0)


def level_multiplier(th: Thresholds, which: str) -> float:
    """Multiple ``m`` of the requirement where equity sits at a threshold (equity = m * requirement)."""
    if which == "liquidation":
        return 1.0
    if th.convention == "mm_over_equity":
        return 1.0 / th.margin_call
    return th.margin_call


def margin_ratio(equity: float, requirement: float, convention: str) -> float | None:
    """Ratio in the exchange's meaning; None when equity <= 0 under MM/equity (no finite ratio).

    ``mm_over_equity``: Binance margin ratio = MM / margin balance, liquidated at >= 100 %
    (https://dev.binance.vision/t/how-to-caculating-leverage-pnl-quantile/17801);
    otherwise OKX: equity / (MM + close fee), liquidated at <= 100 %
    (https://www.okx.com/support/hc/en-us/articles/360053909592).
    """
    if convention == "mm_over_equity":
        return requirement / equity if equity > 0 else None
    return equity / requirement if requirement > 0 else None


def state_for(ratio: float | None, equity: float, th: Thresholds) -> State:
    if ratio is None:
        return "liquidation" if equity <= 0 or th.convention == "mm_over_equity" else "safe"
    if th.convention == "mm_over_equity":
        return "liquidation" if ratio >= th.liquidation else "margin_call" if ratio >= th.margin_call else "safe"
    return "liquidation" if ratio <= th.liquidation else "margin_call" if ratio <= th.margin_call else "safe"


# ---------------------------------------------------------------------------
# Leg context: validated numbers the engine works on
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LegInput:
    """A leg in engine units."""

    index: int
    pos: Position
    spec: SymbolSpec
    table: TierTable
    s: int
    q: float
    entry: float
    mark: float
    cross: bool
    collateral: float  # isolated: effective margin; cross: 0 (the wallet is shared)
    close_fee_held: float = 0.0  # Bybit: estimated fee to close at the bankruptcy price, part of MM (settlement currency)


def leg_inputs(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None = None) -> list[LegInput]:
    """Engine view of the plan's legs; ``marks`` overrides mark prices by symbol (what-if).

    One symbol has one mark: a leg without ``mark_price`` takes the mark given
    on another leg of its symbol (validation refuses legs whose marks differ).
    The legs of the last plan, profile and marks asked for are kept (plans and
    profiles are frozen), so the evaluation and the curves of one edit build them once.
    """
    return list(_prepared(plan, profile, marks, figures=False)[0])


def legs_and_figures(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None = None) -> tuple[list[LegInput], LegsAtMarks]:
    """:func:`leg_inputs` and :func:`legs_at_marks` of the plan (kept for the last plan, profile and marks)."""
    legs, at = _prepared(plan, profile, marks, figures=True)
    assert at is not None
    return list(legs), at


#: (plan, profile, marks key, legs, figures at the marks or None) of the last call: one edit evaluates and draws one plan.
_LAST_PREPARED: tuple[Plan, ExchangeProfile, tuple[tuple[str, float], ...], tuple[LegInput, ...], LegsAtMarks | None] | None = None


def _prepared(
    plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, figures: bool
) -> tuple[tuple[LegInput, ...], LegsAtMarks | None]:
    global _LAST_PREPARED
    key = tuple(sorted(marks.items())) if marks else ()
    hit = _LAST_PREPARED  # one read: another thread may replace it
    if hit is not None and hit[0] is plan and hit[1] is profile and hit[2] == key:
        legs, at = hit[3], hit[4]
    else:
        legs, at = tuple(_build_leg_inputs(plan, profile, marks)), None
    if figures and at is None:
        at = legs_at_marks(list(legs), plan, profile.traits, profile.fees.taker)
    if hit is None or hit[3] is not legs or hit[4] is not at:
        _LAST_PREPARED = (plan, profile, key, legs, at)
    return legs, at


def _build_leg_inputs(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None = None) -> list[LegInput]:
    out = []
    tables: dict[str, TierTable] = {}
    symbol_marks = symbol_mark_prices(plan)
    fee_rate = position_margin_fee_rate(profile)
    for i, pos in enumerate(plan.positions):
        spec = profile.symbols[pos.symbol]
        table = tables.setdefault(pos.symbol, TierTable.from_spec(spec))
        mark = (marks or {}).get(pos.symbol, symbol_marks.get(pos.symbol, pos.entry_price))
        cross = pos.margin_mode is MarginMode.CROSS
        out.append(
            LegInput(
                i,
                pos,
                spec,
                table,
                pos.side.sign,
                formula_quantity(pos, spec),
                pos.entry_price,
                float(mark),
                cross,
                0.0 if cross else effective_isolated_margin(pos, spec, fee_rate),
            )
        )
    return _with_close_fees(plan, profile, out, fee_rate) if fee_rate > 0.0 else out


def _with_close_fees(plan: Plan, profile: ExchangeProfile, legs: list[LegInput], fee_rate: float) -> list[LegInput]:
    """Bybit: each leg's estimated fee to close at its bankruptcy price (``close_fee.py``).

    Isolated legs use their own position margin; a cross leg uses the cross
    wallet plus the other cross legs' uPnL at their marks (the balance its
    bankruptcy price is computed from in Bybit's cross example).
    """
    out = []
    upnl = [float(leg_upnl(o, o.mark)) for o in legs]
    wallets: dict[str, float] = {}
    for l in legs:
        if l.cross:
            ccy = l.spec.settle
            others = sum(upnl[k] for k, o in enumerate(legs) if o.cross and o.spec.settle == ccy and o.index != l.index)
            if ccy not in wallets:
                wallets[ccy] = cross_wallet(plan, profile, legs, ccy)
            collateral = wallets[ccy] + others
        else:
            collateral = l.collateral
        fee = bankruptcy_close_fee(l.s, l.q, l.entry, collateral, l.table.inverse, fee_rate)
        out.append(replace(l, close_fee_held=fee))
    return out


def symbol_mark_prices(plan: Plan) -> dict[str, float]:
    """The mark of each symbol that has one given (first ``mark_price`` among its legs)."""
    out: dict[str, float] = {}
    for pos in plan.positions:
        if pos.mark_price is not None:
            out.setdefault(pos.symbol, pos.mark_price)
    return out


def leg_requirement(leg: LegInput, price: ArrayLike, traits: RuleTraits, taker: float) -> FloatArray:
    """Maintenance margin plus any reserved close fee at ``price`` (array ok)."""
    basis_price = leg.entry if traits.mm_price_basis == "entry" else price
    mm = maintenance_margin(leg.q, basis_price, leg.table) * np.ones_like(np.asarray(price, dtype=np.float64))
    if traits.close_fee_reserved:
        mm = mm + taker * position_value(leg.q, price, leg.table.inverse)
    return mm + leg.close_fee_held


def leg_upnl(leg: LegInput, price: ArrayLike) -> FloatArray:
    return unrealized_pnl(leg.s, leg.q, leg.entry, price, leg.table.inverse)


def cross_wallet(plan: Plan, profile: ExchangeProfile, legs: list[LegInput], currency: str) -> float:
    """Wallet in ``currency`` less the margin assigned to isolated legs settling in it."""
    wallet = wallet_for(plan, profile, currency) or 0.0
    return wallet - sum(l.collateral for l in legs if not l.cross and l.spec.settle == currency)


@dataclass(frozen=True)
class LegsAtMarks:
    """Per-leg figures at the marks, indexed by :attr:`LegInput.index` (settlement currency; tier 1-based).

    ``upnl``/``requirement`` are :func:`leg_upnl`/:func:`leg_requirement` at the
    leg's mark; ``funding`` the payment per settlement at the plan's rate
    (positive: the account pays).
    """

    upnl: list[float]
    requirement: list[float]
    mm_rate: list[float]
    mm_amount: list[float]
    mm_here: list[float]
    value: list[float]
    tier: list[int]
    initial_margin: list[float]
    max_leverage: list[float]
    funding: list[float]


def legs_at_marks(legs: list[LegInput], plan: Plan, traits: RuleTraits, taker: float) -> LegsAtMarks:
    """uPnL, requirement, maintenance, value, tier, IM, max leverage and funding of every leg at its mark.

    The legs of one symbol share a tier table and are computed as columns:
    the same element-wise formulas as :func:`leg_upnl`, :func:`leg_requirement`,
    :func:`initial_margin`, :func:`max_leverage_at` and :func:`funding_payment`
    leg by leg, hence the same numbers, without a numpy call per leg and figure.
    """
    n = max((l.index for l in legs), default=-1) + 1
    out: dict[str, list[Any]] = {k: [0.0] * n for k in LegsAtMarks.__dataclass_fields__}
    by_symbol: dict[str, list[LegInput]] = {}
    for l in legs:
        by_symbol.setdefault(l.pos.symbol, []).append(l)
    for sym, group in by_symbol.items():
        t = group[0].table
        col: Callable[[list[float]], FloatArray] = lambda xs: np.asarray(xs, dtype=float)  # noqa: E731
        s, q = col([float(l.s) for l in group]), col([l.q for l in group])
        entry, mark = col([l.entry for l in group]), col([l.mark for l in group])
        basis = entry if traits.mm_price_basis == "entry" else mark
        mm = maintenance_margin(q, basis, t)
        requirement = mm + taker * position_value(q, mark, t.inverse) if traits.close_fee_reserved else mm
        requirement = requirement + col([l.close_fee_held for l in group])
        mm_rate, mm_amount = maintenance_rate_amount(q, basis, t)
        im_rate = initial_margin_rate(q, mark, t)
        if im_rate is not None:
            im = im_rate * position_value(q, mark, t.inverse)
        else:
            im = position_value(q, entry, t.inverse) / col([l.pos.leverage for l in group])
        columns = {
            "upnl": unrealized_pnl(s, q, entry, mark, t.inverse),
            "requirement": requirement,
            "mm_rate": np.broadcast_to(mm_rate, q.shape),
            "mm_amount": np.broadcast_to(mm_amount, q.shape),
            "mm_here": mm,
            "value": position_value(q, mark, t.inverse),
            "tier": tier_index(tier_measure(q, mark, t), t) + 1,
            "initial_margin": im,
            "max_leverage": max_leverage_at(q, entry, t),
            "funding": funding_payment(s, q, mark, plan.funding_rates.get(sym, 0.0), t.inverse),
        }
        for key, values in columns.items():
            target = out[key]
            for l, v in zip(group, np.asarray(values).tolist(), strict=True):
                target[l.index] = v
    return LegsAtMarks(**out)


# ---------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------


def evaluate(
    plan: Plan,
    profile: ExchangeProfile,
    *,
    marks: dict[str, float] | None = None,
    validate: bool = True,
) -> Evaluation:
    """Evaluate ``plan`` on ``profile``.

    Parameters
    ----------
    marks : what-if mark prices by symbol (the dragged mark line), overriding the plan's.
    validate : check the plan against the profile first (raises PlannerError).
    """
    t0 = time.perf_counter()
    if validate:
        check_plan(plan, profile)
    traits = profile.traits
    taker = profile.fees.taker
    fee_res = taker if traits.close_fee_reserved else 0.0
    th = thresholds_for(profile, plan)
    m_call = level_multiplier(th, "margin_call")
    legs, at = legs_and_figures(plan, profile, marks)

    currencies = sorted({l.spec.settle for l in legs} | {profile.settle_currency}, key=lambda c: (c != profile.settle_currency, c))
    cw = {c: cross_wallet(plan, profile, legs, c) for c in currencies}
    # Per-leg values at the current marks, computed per symbol as columns (the same numbers as leg by leg).
    upnl_at_mark, req_at_mark = at.upnl, at.requirement

    results: list[LegResult] = []
    warnings: list[str] = []
    root_cache: dict[tuple[str, str], tuple[float | None, float | None, float | None]] = {}
    under_water = _cross_groups_under_water(legs, cw, upnl_at_mark, req_at_mark)
    for ccy in sorted(under_water):
        eq, rq = under_water[ccy]
        names = ", ".join(f"{o.index + 1} ({o.pos.symbol} {o.pos.side.value})" for o in legs if o.cross and o.spec.settle == ccy)
        warnings.append(
            f"cross {ccy} wallet already liquidated at the current marks: equity {eq:,.6g} {ccy} is below the requirement"
            f" {rq:,.6g} {ccy}; no liquidation, bankruptcy or margin-call price for leg(s) {names}"
        )
    # Cross groups (one per settlement currency) and their symbols: members and sums once, not once per leg.
    groups: dict[str, list[LegInput]] = {}
    for l in legs:
        if l.cross:
            groups.setdefault(l.spec.settle, []).append(l)
    group_equity = {c: cw[c] + sum(upnl_at_mark[o.index] for o in g) for c, g in groups.items()}
    group_requirement = {c: sum(req_at_mark[o.index] for o in g) for c, g in groups.items()}
    symbol_parts: dict[tuple[str, str], tuple[list[LegInput], float, float]] = {}
    for c, g in groups.items():
        for sym in dict.fromkeys(o.pos.symbol for o in g):
            others = [o for o in g if o.pos.symbol != sym]
            symbol_parts[(c, sym)] = (
                [o for o in g if o.pos.symbol == sym],
                sum(upnl_at_mark[o.index] for o in others),
                sum(req_at_mark[o.index] for o in others),
            )
    caps: dict[tuple[float, int], float] = {}
    for l in legs:
        mm_rate, mm_amount = at.mm_rate[l.index], at.mm_amount[l.index]
        mm_here = at.mm_here[l.index]
        value = at.value[l.index]
        upnl = upnl_at_mark[l.index]
        if l.cross:
            equity = group_equity[l.spec.settle]
            requirement = group_requirement[l.spec.settle]
            if l.spec.settle in under_water:
                lp = bp = mcp = None
            else:
                same, upnl_others, req_others = symbol_parts[(l.spec.settle, l.pos.symbol)]
                lp, bp, mcp = _cross_prices(l, same, cw[l.spec.settle], upnl_others, req_others, traits, taker, fee_res, m_call, root_cache)
        else:
            equity = l.collateral + upnl
            requirement = req_at_mark[l.index]
            lp = _solo_price(l, traits, fee_res, 1.0)
            bp = _solo_price(l, traits, fee_res, 0.0)
            mcp = _solo_price(l, traits, fee_res, m_call)
        ratio = margin_ratio(equity, requirement, th.convention)
        state = state_for(ratio, equity, th)
        if l.cross and l.spec.settle in under_water:
            state = "liquidation"
        mcp = _margin_call_price_shown(mcp, lp, l, state)
        dist_price: float | None
        dist: float | None
        if lp is not None:
            dist_price = abs(l.mark - lp) if l.cross else (l.mark - lp) * l.s
            dist = dist_price / l.mark
        else:
            dist_price = dist = None
        im = at.initial_margin[l.index]
        cap_key = (l.pos.leverage, id(l.table))
        if cap_key not in caps:
            caps[cap_key] = max_value_for_leverage(l.pos.leverage, l.table)
        cap = caps[cap_key]
        rate = plan.funding_rates.get(l.pos.symbol, 0.0)
        results.append(
            LegResult(
                index=l.index,
                symbol=l.pos.symbol,
                side=l.pos.side.value,
                margin_mode=l.pos.margin_mode.value,
                contract=l.spec.contract.value,
                settle=l.spec.settle,
                quantity=l.pos.quantity,
                entry_price=l.entry,
                mark_price=l.mark,
                leverage=l.pos.leverage,
                position_value=value,
                notional_usd=l.q if l.table.inverse else value,
                collateral=l.collateral if not l.cross else cw[l.spec.settle],
                initial_margin=im,
                maintenance_margin=mm_here,
                maintenance_rate=mm_rate,
                maintenance_amount=mm_amount,
                tier=at.tier[l.index],
                unrealized_pnl=upnl,
                roe=upnl / im if im > 0 else 0.0,
                equity=equity,
                margin_ratio=ratio,
                liquidation_price=lp,
                bankruptcy_price=bp,
                margin_call_price=mcp,
                distance_to_liquidation=dist,
                distance_to_liquidation_price=dist_price,
                break_even_price=break_even_price(l.entry, l.s, taker),
                max_leverage=at.max_leverage[l.index],  # same basis as validation: entry notional
                max_position_value=cap if math.isfinite(cap) else None,
                close_fee=taker * value,
                liquidation_fee=profile.liquidation_fee_for(l.pos.symbol)
                * (float(position_value(l.q, lp, l.table.inverse)) if lp else value),
                funding_rate=rate,
                funding_interval_hours=symbol_interval_hours(profile, l.pos.symbol),
                funding_per_interval=at.funding[l.index],
                state=state,
            )
        )

    accounts = [_account(c, plan, profile, legs, results, cw[c], upnl_at_mark, req_at_mark, th, traits, taker) for c in currencies]
    clock, dated = dated_of(plan, profile, legs)
    ev = Evaluation(
        profile_id=profile.id,
        profile_name=profile.name,
        profile_version=profile.version.isoformat(),
        rule=profile.rule,
        formula=traits.formula,
        thresholds=th,
        legs=results,
        accounts=accounts,
        seconds=time.perf_counter() - t0,
        warnings=profile.warnings_for({l.pos.symbol for l in legs}) + warnings,
        dated=dated,
        clock=clock,
    )
    return with_portfolio(ev, plan, profile, marks, th)


def dated_of(plan: Plan, profile: ExchangeProfile, legs: list[LegInput]) -> tuple[str, list[DatedLeg]]:
    """The plan's clock label and the settlement/roll figures of ``legs``' dated futures ("" and [] when none is dated)."""
    if not any(l.spec.is_dated for l in legs):
        return "", []
    now = plan_clock(plan)
    return clock_label(plan, now), dated_legs(plan, profile, now, [(l.index, l.pos, l.spec, l.s, l.q, l.mark) for l in legs])


def with_portfolio(ev: Evaluation, plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, th: Thresholds) -> Evaluation:
    """Add the portfolio-margin requirement (a PM plan) beside the standard figures; ``ev`` unchanged otherwise."""
    if plan.account.margin_model is not MarginModel.PORTFOLIO:
        return ev
    t0 = time.perf_counter()
    standard = {a.currency: (a.initial_margin, a.maintenance_margin) for a in ev.accounts}
    pm = portfolio_for_plan(plan, profile, standard, marks=marks, margin_call=th.margin_call)
    return replace(ev, portfolio=pm, seconds=ev.seconds + time.perf_counter() - t0)


def _solo_price(l: LegInput, traits: RuleTraits, fee_res: float, m: float) -> float | None:
    collateral = l.collateral - (m if m else 1.0) * l.close_fee_held
    p = price_at_level(
        l.s, l.q, l.entry, collateral, l.table, k=m, fee=fee_res * m if m else fee_res, mm_basis=traits.mm_price_basis, ref=l.mark
    )
    return _opt(float(p[0]))


def _cross_groups_under_water(
    legs: list[LegInput], cw: dict[str, float], upnl_at_mark: list[float], req_at_mark: list[float]
) -> dict[str, tuple[float, float]]:
    """Cross wallets whose equity is already below their requirement at the marks: currency -> (equity, requirement).

    Such an account is liquidated now; no price on either side of the mark is
    its liquidation price (issue 15 item 8), so callers report none.
    """
    out: dict[str, tuple[float, float]] = {}
    for ccy in {l.spec.settle for l in legs if l.cross}:
        group = [l for l in legs if l.cross and l.spec.settle == ccy]
        eq = cw[ccy] + sum(upnl_at_mark[l.index] for l in group)
        rq = sum(req_at_mark[l.index] for l in group)
        if eq < rq * (1 - 1e-12):
            out[ccy] = (eq, rq)
    return out


def _margin_call_price_shown(mcp: float | None, lp: float | None, l: LegInput, state: State) -> float | None:
    """Margin-call price as shown: the mark when the margin call is on now, never beyond the liquidation price.

    Beyond = further from the mark than the liquidation price, on the
    liquidation price's side (issue 15 item 10).
    """
    if state == "margin_call":
        return l.mark
    if state == "liquidation" and l.cross:
        return None
    if mcp is not None and lp is not None:
        # Loss side: the leg's own for isolated legs (their price does not move with the mark);
        # for cross legs (one price per symbol, hedged legs included) the side the price lies on.
        towards = float(l.s) if not l.cross or lp == l.mark else 1.0 if lp < l.mark else -1.0
        if (mcp - lp) * towards < 0:  # on the far side of the liquidation price
            return lp
    return mcp


@dataclass(frozen=True)
class SymbolStack:
    """Legs of one symbol stacked as columns (shape (L, 1)) for grid evaluation."""

    table: TierTable
    s: FloatArray
    q: FloatArray
    entry: FloatArray
    mark: FloatArray
    held: float = 0.0  # summed Bybit fee to close held in maintenance margin

    @classmethod
    def of(cls, legs: list[LegInput]) -> SymbolStack:
        col: Callable[[list[float]], FloatArray] = lambda xs: np.asarray(xs, dtype=float)[:, None]  # noqa: E731
        return cls(
            legs[0].table,
            col([l.s for l in legs]),
            col([l.q for l in legs]),
            col([l.entry for l in legs]),
            col([l.mark for l in legs]),
            sum(l.close_fee_held for l in legs),
        )

    def upnl(self, prices: FloatArray) -> FloatArray:
        """Summed uPnL at each price of ``prices`` (shape (G,) shared, or (L, G) per leg)."""
        total: FloatArray = unrealized_pnl(self.s, self.q, self.entry, prices, self.table.inverse).sum(axis=0)
        return total

    def requirement(self, prices: FloatArray, traits: RuleTraits, taker: float) -> FloatArray:
        """Summed maintenance margin (+ reserved close fee) at each price."""
        basis = self.entry if traits.mm_price_basis == "entry" else prices
        mm = maintenance_margin(self.q, basis, self.table)
        if mm.shape != np.broadcast_shapes(mm.shape, np.shape(prices)):  # entry basis: one value per leg, spread over the prices
            mm = mm * np.ones_like(np.asarray(prices, dtype=np.float64))
        if traits.close_fee_reserved:
            mm = mm + taker * position_value(self.q, prices, self.table.inverse)
        total: FloatArray = (
            np.broadcast_to(mm, np.broadcast_shapes(mm.shape, (self.q.shape[0], np.shape(prices)[-1]))).sum(axis=0) + self.held
        )
        return total

    def break_prices(self) -> FloatArray:
        """Prices where a leg's maintenance margin changes form at a price-tested tier (quote per base unit, flat).

        The tier boundaries of value-based tables, and any price where ``value x rate - amount`` reaches its
        floor of zero (only a table whose amount exceeds ``value x rate`` somewhere has one; the venues'
        published tables have none, but the solvers must not assume it).
        """
        t = self.table
        if t.size_scaled is not None:
            return np.zeros(0)
        keep = (t.cum > 0) & (t.mmr > 0)
        values = np.concatenate([t.inner_floors if t.basis == "value" else np.zeros(0), t.cum[keep] / t.mmr[keep]])
        prices: FloatArray = (self.q / values if t.inverse else values / self.q).ravel()
        return prices

    def close_fees(self, prices: FloatArray, fee: float) -> FloatArray:
        total: FloatArray = (fee * position_value(self.q, prices, self.table.inverse)).sum(axis=0)
        return total


def _cross_prices(
    l: LegInput,
    same: list[LegInput],
    wallet: float,
    upnl_others: float,
    req_others: float,
    traits: RuleTraits,
    taker: float,
    fee_res: float,
    m_call: float,
    cache: dict[tuple[str, str], tuple[float | None, float | None, float | None]],
) -> tuple[float | None, float | None, float | None]:
    """Liquidation, bankruptcy and margin-call price of a cross leg, the other legs at their marks.

    ``same`` are the cross legs of the leg's symbol in its wallet (the leg
    included); ``upnl_others``/``req_others`` the summed uPnL and requirement
    of the wallet's other cross legs at their marks (settlement currency).
    Several legs of one symbol in one wallet (hedge mode) move together and
    share one liquidation price (Binance FAQ: "same ticker/symbol, both long
    and short position share the same liquidation price except isolated
    mode"). Their common root is solved on both sides of the mark over every
    meaningful price (:func:`_symbol_roots`); the nearer one is the symbol's
    price, given to every leg of it. Cached per symbol.
    """
    levels = (1.0, 0.0, m_call)
    if len(same) == 1:
        out: list[float | None] = []
        for m in levels:
            collateral = wallet + upnl_others - m * req_others - (m if m else 1.0) * l.close_fee_held
            fee = fee_res * m if m else fee_res
            p = float(price_at_level(l.s, l.q, l.entry, collateral, l.table, k=m, fee=fee, mm_basis=traits.mm_price_basis, ref=l.mark)[0])
            out.append(_opt(p))
        return out[0], out[1], out[2]
    key = (l.spec.settle, l.pos.symbol)
    if key not in cache:
        roots = _symbol_roots(same, l.mark, wallet + upnl_others, req_others, traits, taker, fee_res, levels)
        cache[key] = (roots[0], roots[1], roots[2])
    return cache[key]


def _symbol_roots(
    same: list[LegInput],
    mark: float,
    base: float,
    req_others: float,
    traits: RuleTraits,
    taker: float,
    fee_res: float,
    levels: tuple[float, ...],
) -> list[float | None]:
    """Nearest price to ``mark`` of each level (1 liquidation, 0 bankruptcy, else margin call) for one symbol's cross legs.

    ``base`` is the wallet plus the other symbols' uPnL (settlement currency).
    Between tier breaks the wallet's equity minus requirement is linear in the
    price (linear contracts) or in its reciprocal (inverse), so one vectorised
    pass over the breaks' two sides gives every level's root exactly
    (:func:`first_crossing`); Deribit's size-scaled rate on inverse contracts is
    quadratic in ``1/P`` and is searched numerically instead (:func:`nearest_root`).
    """
    stack = SymbolStack.of(same)
    tested = traits.mm_price_basis == "tested"
    breaks = stack.break_prices() if tested else np.zeros(0)

    def level_values(m: float, upnl: FloatArray, requirement: Callable[[], FloatArray], fees: Callable[[], FloatArray]) -> FloatArray:
        if m == 0.0:
            return base + upnl - fees() - stack.held
        return base + upnl - m * (req_others + requirement())

    roots: list[float] = []
    if not (tested and stack.table.inverse and stack.table.size_scaled is not None):
        down = piecewise_grid(mark, breaks, down=True, end=mark * MIN_PRICE_FRACTION)
        up = piecewise_grid(mark, breaks, down=False, end=MAX_MEANINGFUL_PRICE)
        prices = np.concatenate([down, up])
        upnl = stack.upnl(prices)
        req = stack.requirement(prices, traits, taker)
        fees = stack.close_fees(prices, fee_res)
        n = down.size
        for m in levels:
            vals = level_values(m, upnl, lambda: req, lambda: fees)
            roots.append(
                _nearer(
                    first_crossing(down, vals[:n], reciprocal=stack.table.inverse),
                    first_crossing(up, vals[n:], reciprocal=stack.table.inverse),
                    mark,
                )
            )
        return [_opt(r) for r in roots]
    for m in levels:

        def f(price: FloatArray, m: float = m) -> FloatArray:
            return level_values(
                m, stack.upnl(price), lambda: stack.requirement(price, traits, taker), lambda: stack.close_fees(price, fee_res)
            )

        roots.append(_nearer(nearest_root(f, mark, down=True, breaks=breaks), nearest_root(f, mark, down=False, breaks=breaks), mark))
    return [_opt(r) for r in roots]


def _nearer(down: float, up: float, mark: float) -> float:
    """The root nearer to ``mark`` (log distance) of a search down and one up; nan when neither exists."""
    found = [p for p in (down, up) if math.isfinite(p) and p > 0]
    return min(found, key=lambda p: abs(math.log(p / mark))) if found else float("nan")


#: The common move of every cross price searched by :func:`_account`: prices times 1/span .. span.
COMMON_MOVE_SPAN = 1e4


def _common_move_roots(
    f: Callable[[FloatArray], FloatArray], stacks: list[SymbolStack], traits: RuleTraits, *, span: float
) -> tuple[float, float]:
    """Nearest price multiples below and above 1 where ``f`` (cross equity minus requirement) turns negative; nan if none.

    Every price moves by the same factor. With one contract kind in the wallet
    ``f`` is linear in the factor (or its reciprocal, inverse) between the legs'
    tier breaks, so the roots are exact (:func:`first_crossing`); a wallet that
    mixes kinds, or Deribit's size-scaled inverse rate, is searched numerically.
    """
    tested = traits.mm_price_basis == "tested"
    kinds = {st.table.inverse for st in stacks}
    if len(kinds) != 1 or (tested and any(st.table.inverse and st.table.size_scaled is not None for st in stacks)):
        return find_roots_near(f, 1.0, down=True, span=span, n_grid=401), find_roots_near(f, 1.0, down=False, span=span, n_grid=401)
    breaks = np.concatenate([(st.break_prices().reshape(st.q.shape[0], -1) / st.mark).ravel() for st in stacks]) if tested else np.zeros(0)
    down = piecewise_grid(1.0, breaks, down=True, end=1.0 / span)
    up = piecewise_grid(1.0, breaks, down=False, end=span)
    vals = f(np.concatenate([down, up]))
    inverse = kinds.pop()
    return first_crossing(down, vals[: down.size], reciprocal=inverse), first_crossing(up, vals[down.size :], reciprocal=inverse)


def _account(
    currency: str,
    plan: Plan,
    profile: ExchangeProfile,
    legs: list[LegInput],
    results: list[LegResult],
    cwallet: float,
    upnl_at_mark: list[float],
    req_at_mark: list[float],
    th: Thresholds,
    traits: RuleTraits,
    taker: float,
) -> AccountResult:
    mine = [l for l in legs if l.spec.settle == currency]
    wallet = wallet_for(plan, profile, currency) or 0.0
    # An isolated leg can lose at most its own margin (past that it is liquidated).
    upnl = sum(upnl_at_mark[l.index] if l.cross else max(upnl_at_mark[l.index], -l.collateral) for l in mine)
    equity = wallet + upnl
    req = sum(req_at_mark[l.index] for l in mine)
    im = sum(results[l.index].initial_margin for l in mine)
    ratio = margin_ratio(equity, req, th.convention)
    cross = [l for l in mine if l.cross]
    down = up = None
    if cross:
        cross_eq0 = cwallet

        by_symbol: dict[str, list[LegInput]] = {}
        for l in cross:
            by_symbol.setdefault(l.pos.symbol, []).append(l)
        stacks = [SymbolStack.of(ls) for ls in by_symbol.values()]

        def f(mult: FloatArray) -> FloatArray:
            mult = np.asarray(mult, dtype=float)[None, :]
            total = np.full(mult.shape[1], cross_eq0)
            for st in stacks:
                prices = st.mark * mult
                total += st.upnl(prices) - st.requirement(prices, traits, taker)
            return total

        d, u = _common_move_roots(f, stacks, traits, span=COMMON_MOVE_SPAN)
        down = d - 1.0 if math.isfinite(d) and d > 1e-4 else None
        up = u - 1.0 if math.isfinite(u) and u < COMMON_MOVE_SPAN * 0.999 else None
        if float(f(np.array([1.0]))[0]) < 0:  # under water already: no move liquidates it, it is liquidated now
            down = up = None
    cross_upnl = sum(upnl_at_mark[l.index] for l in cross)
    available = cwallet + min(cross_upnl, 0.0) - sum(results[l.index].initial_margin for l in cross)
    return AccountResult(
        currency=currency,
        wallet_balance=wallet,
        cross_wallet_balance=cwallet,
        equity=equity,
        unrealized_pnl=upnl,
        initial_margin=im,
        maintenance_margin=req,
        margin_ratio=ratio,
        available_balance=available,
        state=state_for(ratio, equity, th),
        cross_liquidation_move_down=down,
        cross_liquidation_move_up=up,
    )
