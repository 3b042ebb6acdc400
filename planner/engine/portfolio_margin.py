"""Portfolio margin: the risk-matrix requirement of a whole account (Deribit S:PM and X:PM).

Method (profile data: :class:`planner.model.profile.PortfolioMarginRule`; sources
and what the venue did not publish are in the profile's ``portfolio_margin``
section):

* Scenario moves: ``2 x buckets_per_side + 1`` evenly spaced moves of the
  underlying from ``-price_range`` to ``+price_range``, zero included
  (Deribit: +/-16 % for BTC in 9 buckets).
* A leg's P&L per scenario is computed from its contract kind and its mark
  (so dated futures work the same way), in its settlement currency:

  - inverse (coin-settled, size = USD notional ``N``):
    ``q x (1 - 1/(1 + move))`` coin with ``q = s x N / mark`` (coin);
  - linear (size in base units ``Q``): ``s x Q x mark x move`` in the quote.

* Aggregation: the legs of one risk group are summed per scenario, gains then
  count at ``pnl_offset`` (losses whole). The worst loss is
  ``max(0, -min(vector))``.
* Initial margin = worst loss + roll shock (+ delta shock and correlation
  contingency, both unpublished and taken as 0); maintenance margin =
  initial margin x ``mm_factor``. Roll shock of a leg =
  ``min_annualised_move x |size in base coin| x mark`` (in quote) or
  ``x |q|`` (in coin) for a perpetual.
* Segregated (S:PM): one account per settlement currency; a risk group is
  (underlying, settlement currency). Cross (X:PM): one USD account; every
  currency's equity valued at its underlying's price; a risk group is an
  underlying, whose vector holds every leg on it in USD plus, where the coin's
  ``equity_side_impact`` is "both", the move of the coin equity itself.
  Groups' worst losses are summed (no offset between BTC and ETH: the
  correlation method is not published).

Sign convention: side +1 long, -1 short; P&L positive is a gain; losses and
requirements are non-negative amounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

import numpy as np

from planner.engine.liquidation import find_roots_near
from planner.model.arrays import ArrayLike, FloatArray
from planner.model.enums import ContractKind, MarginMode, MarginModel
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile, PortfolioMarginRule

State = Literal["safe", "margin_call", "liquidation"]

__all__ = [
    "PortfolioAccount",
    "PortfolioGroup",
    "PortfolioLevel",
    "PortfolioResult",
    "apply_pnl_offset",
    "leg_pnl",
    "portfolio_along",
    "portfolio_for_plan",
    "portfolio_levels",
    "portfolio_problems",
    "portfolio_surplus",
    "profiles_with_portfolio_rule",
    "scenario_moves",
    "worst_loss",
]


# --------------------------------------------------------------------------- pure array functions


def scenario_moves(price_range: float, buckets_per_side: int) -> FloatArray:
    """Evenly spaced underlying moves, fractions, from ``-price_range`` to ``+price_range`` (``2k + 1`` of them, zero included)."""
    return np.linspace(-price_range, price_range, 2 * buckets_per_side + 1)


def leg_pnl(inverse: ArrayLike, signed_size: ArrayLike, mark: ArrayLike, moves: ArrayLike) -> FloatArray:
    """P&L of each leg at each move, settlement currency; shape ``(..., legs, moves)``.

    ``signed_size``: side x size (inverse: USD notional; linear: base units);
    ``mark``: the leg's mark, quote per base unit (leading axes broadcast, e.g.
    a grid of marks ``(M, legs)``); ``moves``: fractions (``(moves,)``).
    Inverse: ``(N / mark) x (1 - 1 / (1 + move))`` coin; linear:
    ``Q x mark x move`` quote.
    """
    inv = np.asarray(inverse, dtype=bool)[..., None]
    size = np.asarray(signed_size, dtype=float)[..., None]
    m = np.asarray(mark, dtype=float)[..., None]
    mv = np.asarray(moves, dtype=float)
    inverse_pnl = size / m * (1.0 - 1.0 / (1.0 + mv))
    linear_pnl = size * m * mv
    return np.asarray(np.where(inv, inverse_pnl, linear_pnl), dtype=float)


def apply_pnl_offset(vector: ArrayLike, pnl_offset: ArrayLike) -> FloatArray:
    """Gains count at ``pnl_offset`` (a fraction), losses whole: the aggregated risk vector."""
    v = np.asarray(vector, dtype=float)
    return np.where(v > 0.0, v * np.asarray(pnl_offset, dtype=float), v)


def worst_loss(vector: ArrayLike, scale: ArrayLike = 0.0) -> tuple[FloatArray, FloatArray]:
    """``(loss, index)`` along the last axis: ``max(0, -min(vector))`` and the scenario giving it (>= 0).

    A loss below ``1e-9 x scale`` (rounding residue of legs that cancel; ``scale``
    = the gross P&L of the group at the widest move) counts as 0.
    """
    v = np.asarray(vector, dtype=float)
    idx = np.argmin(v, axis=-1)
    loss = np.maximum(0.0, -np.min(v, axis=-1))
    return np.where(loss <= 1e-9 * np.asarray(scale, dtype=float), 0.0, loss), idx


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PortfolioGroup:
    """One risk group: an underlying (and, segregated, its settlement currency). Money in ``currency``."""

    underlying: str
    currency: str
    legs: list[int]
    moves: list[float]
    pnl: list[float]
    worst_loss: float
    worst_move: float
    roll_shock: float
    delta_usd: float


@dataclass(frozen=True)
class PortfolioAccount:
    """The portfolio-margin requirement of one account (segregated: a settlement currency; cross: USD).

    ``standard_*``: the same legs under standard margin (sum of leg requirements),
    ``saving`` = standard MM - portfolio MM (negative when portfolio margin asks more).
    ``liquidation_move_*``: common fractional move of every underlying at which
    equity falls to the portfolio MM (None: none within 1/1000x .. 1000x or none
    at all).
    """

    currency: str
    equity: float
    initial_margin: float
    maintenance_margin: float
    margin_ratio: float | None
    state: State
    worst_loss: float
    roll_shock: float
    worst_move: float | None
    standard_initial_margin: float
    standard_maintenance_margin: float
    saving: float
    liquidation_move_down: float | None
    liquidation_move_up: float | None
    equity_for_initial: float


@dataclass(frozen=True)
class PortfolioResult:
    """Portfolio-margin figures of a plan (beside the standard ones of :class:`Evaluation`)."""

    collateral: str
    mm_factor: float
    accounts: list[PortfolioAccount]
    groups: list[PortfolioGroup]
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- errors


@lru_cache(maxsize=1)
def profiles_with_portfolio_rule() -> tuple[str, ...]:
    """Ids of the bundled profiles carrying a ``portfolio_margin`` section (for error messages)."""
    import json

    out: list[str] = []
    try:
        folder = resources.files("resources") / "profiles"
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".json"):
                data = json.loads(entry.read_text(encoding="utf-8"))
                if isinstance(data, dict) and data.get("portfolio_margin"):
                    out.append(str(data.get("id", entry.name)))
    except (OSError, ValueError):  # pragma: no cover - a broken install; the message still names the field
        pass
    return tuple(out)


def missing_rule_error(profile: ExchangeProfile) -> PlannerError:
    """One-line error: the plan asks for portfolio margin on a profile without a rule."""
    have = ", ".join(profiles_with_portfolio_rule()) or "none bundled"
    return PlannerError(
        [
            Problem(
                "account.margin_model",
                f"'portfolio' needs a profile with a portfolio_margin rule; profile '{profile.id}' has none"
                f" (profiles with one: {have}); use 'standard' or one of those",
            )
        ]
    )


# --------------------------------------------------------------------------- the account


@dataclass(frozen=True)
class _Book:
    """Column arrays of the plan's legs (one entry per leg)."""

    base: list[str]
    settle: list[str]
    inverse: np.ndarray
    signed_size: FloatArray
    entry: FloatArray
    mark: FloatArray


def _book(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None) -> _Book:
    base, settle, inv, size, entry, mark = [], [], [], [], [], []
    for p in plan.positions:
        spec = profile.symbols[p.symbol]
        inverse = spec.contract is ContractKind.INVERSE
        base.append(spec.base)
        settle.append(spec.settle)
        inv.append(inverse)
        size.append(p.side.sign * p.quantity * spec.contract_size if inverse else p.side.sign * p.quantity)
        entry.append(p.entry_price)
        mark.append((marks or {}).get(p.symbol, p.mark))
    return _Book(base, settle, np.array(inv, dtype=bool), np.array(size, float), np.array(entry, float), np.array(mark, float))


def _upnl(book: _Book, mark: FloatArray) -> FloatArray:
    """Unrealised P&L of every leg at ``mark`` (``(..., legs)``), settlement currency."""
    inv_pnl = book.signed_size * (1.0 / book.entry - 1.0 / mark)
    lin_pnl = book.signed_size * (mark - book.entry)
    return np.where(book.inverse, inv_pnl, lin_pnl)


def _coin_size(book: _Book, mark: FloatArray) -> FloatArray:
    """Signed size of every leg in base coin at ``mark`` (inverse: N / mark)."""
    return np.where(book.inverse, book.signed_size / mark, book.signed_size)


def _cols(values: FloatArray, legs: list[int]) -> FloatArray:
    """Sum of the columns ``legs`` of ``values`` (``(M, legs)`` -> ``(M,)``; zeros for no legs)."""
    return np.asarray(values[:, legs].sum(axis=1), dtype=float) if legs else np.zeros(values.shape[0])


def _wallets(plan: Plan, profile: ExchangeProfile, currencies: set[str]) -> dict[str, float]:
    out = {c: float(plan.account.balances.get(c, 0.0)) for c in currencies}
    out[profile.settle_currency] = plan.account.wallet_balance
    for c, v in plan.account.balances.items():
        out.setdefault(c, float(v))
    return out


def _check(plan: Plan, profile: ExchangeProfile, rule: PortfolioMarginRule) -> list[Problem]:
    problems: list[Problem] = []
    for i, p in enumerate(plan.positions):
        spec = profile.symbols.get(p.symbol)
        if spec is None:
            continue  # an unlisted symbol is its own problem (validation)
        if spec.base not in rule.pairs:
            problems.append(
                Problem(
                    f"positions.{i}.symbol",
                    f"{p.symbol}: profile '{profile.id}' publishes no portfolio-margin parameters for {spec.base}"
                    f" (has: {', '.join(sorted(rule.pairs))}); use standard margin for this plan",
                )
            )
        if rule.currency_params(spec.settle) is None:
            problems.append(
                Problem(f"positions.{i}.symbol", f"{p.symbol}: no portfolio-margin parameters for settlement currency {spec.settle}")
            )
    return problems


def portfolio_problems(plan: Plan, profile: ExchangeProfile) -> list[Problem]:
    """Why ``plan`` cannot be portfolio-margined on ``profile`` (empty for standard plans or when it can).

    Part of plan validation, so the window and the CLI report it like any other field problem.
    """
    if plan.account.margin_model is not MarginModel.PORTFOLIO:
        return []
    rule = profile.portfolio_margin
    if rule is None:
        return list(missing_rule_error(profile).problems)
    problems = _check(plan, profile, rule)
    if plan.account.portfolio_collateral == "cross":
        bases = {profile.symbols[p.symbol].base for p in plan.positions if p.symbol in profile.symbols}
        for c, v in plan.account.balances.items():
            params = rule.currency_params(c)
            if v != 0.0 and not (params is not None and params.stable) and c not in bases:
                problems.append(
                    Problem(f"account.balances.{c}", f"a cross portfolio account values {c} in USD, but no leg on {c} gives its price")
                )
    return problems


def _state(ratio: float | None, equity: float, margin_call: float) -> State:
    if equity <= 0.0 or (ratio is not None and ratio >= 1.0):
        return "liquidation"
    if ratio is not None and ratio >= margin_call:
        return "margin_call"
    return "safe"


class _Engine:
    """Vectorised requirement of one plan at a grid of common multipliers of every mark."""

    def __init__(self, plan: Plan, profile: ExchangeProfile, rule: PortfolioMarginRule, marks: dict[str, float] | None) -> None:
        self.plan, self.profile, self.rule = plan, profile, rule
        self._memo: dict[bytes, dict[str, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]] = {}
        self.book = _book(plan, profile, marks)
        self.cross = plan.account.portfolio_collateral == "cross"
        currencies = set(self.book.settle) | {profile.settle_currency}
        self.wallets = _wallets(plan, profile, currencies)
        n = len(self.book.base)
        bases = sorted(set(self.book.base))
        self.bases = bases
        self.moves = {b: scenario_moves(rule.pairs[b].price_range, rule.buckets_per_side) for b in bases}
        self.roll_rate = np.array([rule.currencies[b].min_annualised_move for b in self.book.base]) if n else np.zeros(0)
        if self.cross:
            # The price of each currency in USD: stable ones 1, a coin its legs' mark (first leg on it).
            self.price_leg: dict[str, int | None] = {}
            for c in self.wallets:
                params = rule.currency_params(c)
                if params is not None and params.stable:
                    self.price_leg[c] = None
                elif c in self.book.base:
                    self.price_leg[c] = self.book.base.index(c)
                elif self.wallets[c] != 0.0:
                    raise PlannerError(
                        [
                            Problem(
                                f"account.balances.{c}", f"a cross portfolio account values {c} in USD, but no leg on {c} gives its price"
                            )
                        ]
                    )
            self.groups = [(b, "USD", [i for i in range(n) if self.book.base[i] == b]) for b in bases]
            self.accounts = ["USD"]
        else:
            keys = sorted({(self.book.base[i], self.book.settle[i]) for i in range(n)})
            self.groups = [(b, c, [i for i in range(n) if (self.book.base[i], self.book.settle[i]) == (b, c)]) for b, c in keys]
            self.accounts = sorted(currencies, key=lambda c: (c != profile.settle_currency, c))

    # ---- prices
    def _ccy_price(self, c: str, mark: FloatArray) -> FloatArray:
        leg = self.price_leg.get(c)
        return np.ones(mark.shape[:-1]) if leg is None else mark[..., leg]

    def figures(self, mult: FloatArray) -> dict[str, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
        """Per account: (equity, equity for IM, IM, MM) at each multiplier (shape ``(M,)``); the root scans of
        several accounts share their first grid, so the last few answers are kept."""
        key = np.asarray(mult, dtype=float).tobytes() + bytes(str(np.shape(mult)), "ascii")
        hit = self._memo.get(key)
        if hit is None:
            hit = self._figures(np.asarray(mult, dtype=float))
            if len(self._memo) > 8:
                self._memo.clear()
            self._memo[key] = hit
        return hit

    def _figures(self, mult: FloatArray) -> dict[str, tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
        """As :meth:`figures`; ``mult`` is ``(M,)`` (one factor for every mark) or ``(M, legs)`` (one per leg)."""
        mult = np.asarray(mult, float)
        mark = self.book.mark[None, :] * (mult[:, None] if mult.ndim == 1 else mult)  # (M, L)
        upnl = _upnl(self.book, mark)
        out: dict[str, tuple[FloatArray, FloatArray, FloatArray, FloatArray]] = {}
        m = mark.shape[0]
        if self.cross:
            eq = np.zeros(m)
            eq_im = np.zeros(m)
            coin_equity: dict[str, FloatArray] = {}
            for c, w in self.wallets.items():
                if c not in self.price_leg:
                    continue
                legs_c = [i for i, s in enumerate(self.book.settle) if s == c]
                e_c = w + _cols(upnl, legs_c)
                coin_equity[c] = e_c
                px = self._ccy_price(c, mark)
                params = self.rule.currency_params(c)
                hair = params.haircut if params is not None else 0.0
                eq = eq + e_c * px
                eq_im = eq_im + e_c * px * np.where(e_c > 0, 1.0 - hair, 1.0)
            im = np.zeros(m)
            for b, _, legs in self.groups:
                mv = self.moves[b]
                # Every leg of the group moves with the same underlying move, so the legs sum before the scenarios:
                # an inverse leg's coin P&L valued at the shocked price is N x move (USD), a linear leg's is
                # Q x mark x move x its settlement currency's price (the same numbers as leg_pnl leg by leg).
                usd = np.zeros((m, len(legs)))
                for k, i in enumerate(legs):
                    if self.book.inverse[i]:
                        usd[:, k] = self.book.signed_size[i]
                    else:
                        usd[:, k] = self.book.signed_size[i] * mark[:, i] * self._ccy_price(self.book.settle[i], mark)
                vec = usd.sum(axis=1)[:, None] * mv[None, :]
                gross = np.abs(usd).sum(axis=1)[:, None] * np.abs(mv)[None, :]
                params_b = self.rule.currencies[b]
                if params_b.equity_side_impact == "both" and b in coin_equity:
                    # the coin equity itself moves with its underlying (value in USD, before its legs' P&L above)
                    legs_b = [i for i, s in enumerate(self.book.settle) if s == b]
                    e_wallet = self.wallets[b] + _cols(upnl, legs_b)
                    vec += e_wallet[:, None] * self._ccy_price(b, mark)[:, None] * mv[None, :]
                agg = apply_pnl_offset(vec, params_b.pnl_offset)
                loss, _ = worst_loss(agg, gross.max(axis=1))
                px_b = mark[:, legs[0]] if legs else self._ccy_price(b, mark)
                roll = (np.abs(_coin_size(self.book, mark)[:, legs]) * self.roll_rate[legs]).sum(axis=1) * px_b if legs else 0.0
                im = im + loss + roll
            out["USD"] = (eq, eq_im, im, im * self.rule.mm_factor)
            return out
        for c in self.accounts:
            legs_c = [i for i, s in enumerate(self.book.settle) if s == c]
            eq = self.wallets.get(c, 0.0) + _cols(upnl, legs_c)
            im = np.zeros(m)
            for b, cc, legs in self.groups:
                if cc != c:
                    continue
                mv = self.moves[b]
                # Legs of one group share the move: sum their coin sizes (inverse) and values (linear) first,
                # then P&L = coin x (1 - 1/(1 + move)) + value x move (leg_pnl's formulas, summed).
                inv = self.book.inverse[legs]
                size = self.book.signed_size[legs][None, :]
                coin_part = np.where(inv, size / mark[:, legs], 0.0)
                value_part = np.where(inv, 0.0, size * mark[:, legs])
                shape_inv, shape_lin = 1.0 - 1.0 / (1.0 + mv), mv
                vec = coin_part.sum(axis=1)[:, None] * shape_inv[None, :] + value_part.sum(axis=1)[:, None] * shape_lin[None, :]
                gross = np.abs(coin_part).sum(axis=1)[:, None] * np.abs(shape_inv)[None, :] + (
                    np.abs(value_part).sum(axis=1)[:, None] * np.abs(shape_lin)[None, :]
                )
                params = self.rule.currency_params(c)
                offset = params.pnl_offset if params is not None else 0.0
                loss, _ = worst_loss(apply_pnl_offset(vec, offset), gross.max(axis=1))
                coin = np.abs(_coin_size(self.book, mark)[:, legs]) * self.roll_rate[legs]
                roll_units = np.where(self.book.inverse[legs], coin, coin * mark[:, legs])  # coin, or quote for linear legs
                im = im + loss + roll_units.sum(axis=1)
            eq_arr = np.broadcast_to(np.asarray(eq, float), (m,)).copy()
            out[c] = (eq_arr, eq_arr, im, im * self.rule.mm_factor)
        return out

    def groups_at_marks(self) -> list[PortfolioGroup]:
        """Risk groups at the current marks, with their aggregated vectors."""
        mark = self.book.mark
        out: list[PortfolioGroup] = []
        coin = _coin_size(self.book, mark)
        for b, c, legs in self.groups:
            mv = self.moves[b]
            gross = np.zeros(mv.size)
            if self.cross:
                vec = np.zeros(mv.size)
                for i in legs:
                    pnl = leg_pnl(self.book.inverse[i], self.book.signed_size[i], mark[i], mv)
                    usd = (
                        pnl * mark[i] * (1.0 + mv) if self.book.inverse[i] else pnl * self._ccy_price(self.book.settle[i], mark[None, :])[0]
                    )
                    vec += usd
                    gross += np.abs(usd)
                params = self.rule.currencies[b]
                if params.equity_side_impact == "both" and b in self.wallets:
                    legs_b = [i for i, s in enumerate(self.book.settle) if s == b]
                    e_wallet = self.wallets[b] + float(_upnl(self.book, mark)[legs_b].sum())
                    vec += e_wallet * float(self._ccy_price(b, mark[None, :])[0]) * mv
                roll = float((np.abs(coin[legs]) * self.roll_rate[legs]).sum() * mark[legs[0]])
            else:
                each = leg_pnl(self.book.inverse[legs], self.book.signed_size[legs], mark[legs], mv)
                vec = each.sum(axis=0)
                gross = np.abs(each).sum(axis=0)
                params_c = self.rule.currency_params(c)
                params = params_c if params_c is not None else self.rule.currencies[b]
                r = np.abs(coin[legs]) * self.roll_rate[legs]
                roll = float(np.where(self.book.inverse[legs], r, r * mark[legs]).sum())
            agg = apply_pnl_offset(vec, params.pnl_offset)
            agg = np.where(np.abs(agg) <= 1e-9 * gross.max(), 0.0, agg)  # rounding residue of legs that cancel
            loss, idx = worst_loss(agg, gross.max())
            delta_usd = float((coin[legs] * mark[legs]).sum())
            out.append(
                PortfolioGroup(
                    underlying=b,
                    currency=c,
                    legs=list(legs),
                    moves=[float(x) for x in mv],
                    pnl=[float(x) for x in agg],
                    worst_loss=float(loss),
                    worst_move=float(mv[int(idx)]),
                    roll_shock=roll,
                    delta_usd=delta_usd,
                )
            )
        return out


def _engine_for(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None) -> _Engine | None:
    """The risk-matrix engine of a portfolio-margin plan (None for a standard-margin plan).

    Raises :class:`PlannerError` naming ``account.margin_model`` when the profile has no
    portfolio rule, or the legs the rule cannot margin.
    """
    if plan.account.margin_model is not MarginModel.PORTFOLIO:
        return None
    rule = profile.portfolio_margin
    if rule is None:
        raise missing_rule_error(profile)
    problems = _check(plan, profile, rule)
    if problems:
        raise PlannerError(problems)
    return _Engine(plan, profile, rule, marks)


def portfolio_along(
    plan: Plan, profile: ExchangeProfile, multipliers: ArrayLike, marks: dict[str, float] | None = None
) -> dict[str, tuple[FloatArray, FloatArray]] | None:
    """``{account: (equity, MM)}`` of a portfolio-margin plan at each common multiplier of every mark.

    ``multipliers``: factors applied to every leg's mark at once (1 = now), shape
    ``(M,)``. Equity before funding; money in the account's currency (cross: USD).
    None for a standard-margin plan.
    """
    eng = _engine_for(plan, profile, marks)
    if eng is None:
        return None
    return {acc: (eq, mm) for acc, (eq, _, _, mm) in eng.figures(np.asarray(multipliers, dtype=float)).items()}


def portfolio_surplus(
    plan: Plan, profile: ExchangeProfile, leg_multipliers: ArrayLike, marks: dict[str, float] | None = None
) -> dict[str, tuple[FloatArray, list[int]]] | None:
    """``{account: (equity - PM MM per row, legs of the account)}`` for per-leg mark factors ``(M, legs)``.

    Each row moves every leg's mark by its own factor (a Monte Carlo step);
    negative surplus = the account is past its portfolio MM. Legs of an account:
    segregated, those settled in its currency; cross, all. None for a standard plan.
    """
    if plan.account.margin_model is not MarginModel.PORTFOLIO:
        return None
    problems = portfolio_problems(plan, profile)
    if problems:
        raise PlannerError(problems)
    rule = profile.portfolio_margin
    assert rule is not None  # portfolio_problems refuses a profile without one
    eng = _Engine(plan, profile, rule, marks)
    out: dict[str, tuple[FloatArray, list[int]]] = {}
    for acc, (eq, _, _, mm) in eng._figures(np.asarray(leg_multipliers, dtype=float)).items():
        legs = list(range(len(eng.book.base))) if eng.cross else [i for i, c in enumerate(eng.book.settle) if c == acc]
        out[acc] = (eq - mm, legs)
    return out


def _ratio(equity: float, mm: float) -> float | None:
    if equity <= 0.0:
        return None
    return mm / equity


def portfolio_for_plan(
    plan: Plan,
    profile: ExchangeProfile,
    standard: dict[str, tuple[float, float]],
    *,
    marks: dict[str, float] | None = None,
    margin_call: float | None = None,
) -> PortfolioResult | None:
    """Portfolio-margin figures of ``plan`` (None for a standard-margin plan).

    ``standard``: the standard requirement beside it, ``{currency: (IM, MM)}``
    in each settlement currency (from the evaluation). Raises
    :class:`PlannerError` naming ``account.margin_model`` when the profile has
    no portfolio rule, or naming the leg whose underlying has no parameters.
    """
    eng = _engine_for(plan, profile, marks)
    if eng is None:
        return None
    rule = eng.rule
    call = profile.margin_call_ratio if margin_call is None else margin_call
    now = eng.figures(np.array([1.0]))
    groups = eng.groups_at_marks()
    notes: list[str] = []
    for g in groups:
        th = rule.pairs[g.underlying].delta_total_liq_shock_threshold
        if th > 0 and abs(g.delta_usd) > th:
            notes.append(
                f"{g.underlying} delta {g.delta_usd:,.0f} USD exceeds the delta-shock threshold {th:,.0f} USD;"
                " the delta-shock formula is not published, so no delta shock is included"
            )
    isolated = [i + 1 for i, p in enumerate(plan.positions) if p.margin_mode is MarginMode.ISOLATED]
    if isolated:
        notes.append(
            "portfolio margin margins every leg together; the isolated mode of leg(s) "
            + ", ".join(f"#{i}" for i in isolated)
            + " does not apply"
        )
    notes.append("not included (not published): delta shock, extended-table dampener, correlation contingency")

    def price_of(c: str) -> float:
        if not eng.cross:
            return 1.0
        return float(eng._ccy_price(c, eng.book.mark[None, :])[0]) if c in eng.price_leg else math.nan

    accounts: list[PortfolioAccount] = []
    for acc, (eq, eq_im, im, mm) in now.items():
        e, e_im, i0, m0 = float(eq[0]), float(eq_im[0]), float(im[0]), float(mm[0])
        if eng.cross:
            std_im = sum(v[0] * price_of(c) for c, v in standard.items() if math.isfinite(price_of(c)))
            std_mm = sum(v[1] * price_of(c) for c, v in standard.items() if math.isfinite(price_of(c)))
            mine = groups
        else:
            std_im, std_mm = standard.get(acc, (0.0, 0.0))
            mine = [g for g in groups if g.currency == acc]
        if not mine and e == 0.0 and std_mm == 0.0:
            continue  # a currency with neither legs nor money
        ratio = _ratio(e, m0)
        worst = max(mine, key=lambda g: g.worst_loss, default=None)

        def f(mult: FloatArray, acc: str = acc) -> FloatArray:
            eq_m, _, _, mm_m = eng.figures(mult)[acc]
            return eq_m - mm_m

        down = up = None
        if mine and e - m0 > 0:
            d = find_roots_near(f, 1.0, down=True, span=1e3, n_grid=401)
            u = find_roots_near(f, 1.0, down=False, span=1e3, n_grid=401)
            down = d - 1.0 if math.isfinite(d) else None
            up = u - 1.0 if math.isfinite(u) else None
        accounts.append(
            PortfolioAccount(
                currency=acc,
                equity=e,
                initial_margin=i0,
                maintenance_margin=m0,
                margin_ratio=ratio,
                state=_state(ratio, e, call) if mine else "safe",
                worst_loss=sum(g.worst_loss for g in mine),
                roll_shock=sum(g.roll_shock for g in mine),
                worst_move=worst.worst_move if worst is not None and worst.worst_loss > 0 else None,
                standard_initial_margin=std_im,
                standard_maintenance_margin=std_mm,
                saving=std_mm - m0,
                liquidation_move_down=down,
                liquidation_move_up=up,
                equity_for_initial=e_im,
            )
        )
    return PortfolioResult(
        collateral=plan.account.portfolio_collateral,
        mm_factor=rule.mm_factor,
        accounts=accounts,
        groups=groups,
        notes=notes,
    )


@dataclass(frozen=True)
class PortfolioLevel:
    """A portfolio-margin liquidation of one account read as a price of one symbol.

    ``move``: the common fractional move of every underlying at which the
    account's equity falls to its portfolio MM (negative = down); ``price`` =
    ``mark x (1 + move)`` in the symbol's quote currency, ``mark`` being the
    symbol's mark the result was computed at.
    """

    account: str
    direction: Literal["down", "up"]
    move: float
    price: float


def portfolio_levels(result: PortfolioResult, profile: ExchangeProfile, symbol: str, mark: float) -> list[PortfolioLevel]:
    """The PM liquidation moves of the account ``symbol`` belongs to, as prices of ``symbol``.

    Segregated: the account of the symbol's settlement currency; cross: the one
    USD account. ``mark``: the symbol's mark (quote currency) the result was
    computed at. Empty when the account has no liquidation move (or the symbol
    is not listed).
    """
    spec = profile.symbols.get(symbol)
    if spec is None or mark <= 0.0:
        return []
    want = "USD" if result.collateral == "cross" else spec.settle
    out: list[PortfolioLevel] = []
    for a in result.accounts:
        if a.currency != want:
            continue
        down, up = a.liquidation_move_down, a.liquidation_move_up
        if down is not None and math.isfinite(down) and down > -1.0:
            out.append(PortfolioLevel(a.currency, "down", float(down), mark * (1.0 + down)))
        if up is not None and math.isfinite(up):
            out.append(PortfolioLevel(a.currency, "up", float(up), mark * (1.0 + up)))
    return out
