"""What-if drills: instant shocks and the side-by-side profile comparison.

The gap/slippage loss waterfall lives in :mod:`planner.drills.waterfall` (re-exported
here). All figures come from :func:`planner.engine.evaluate.evaluate`; this module
only moves prices.
Money is in the leg's settlement currency; a *loss* is a positive number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypedDict

from planner.drills.waterfall import Slippage, Waterfall, gap_waterfall
from planner.engine.evaluate import AccountResult, Evaluation, LegResult, evaluate
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile

__all__ = [
    "ComparisonRow",
    "ShockResult",
    "Slippage",
    "Waterfall",
    "compare_profiles",
    "gap_waterfall",
    "map_symbol",
    "shock",
    "shock_marks",
]


# ---------------------------------------------------------------------------
# Instant shock
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShockResult:
    """Every leg and account after all marks move at once."""

    move: float | None
    marks: dict[str, float]
    evaluation: Evaluation
    liquidated: list[int]
    cross_close_order: list[int]

    @property
    def legs(self) -> list[LegResult]:
        return self.evaluation.legs

    @property
    def account(self) -> AccountResult:
        return self.evaluation.account


def shock_marks(plan: Plan, move: float | None = None, prices: dict[str, float] | None = None) -> dict[str, float]:
    """Marks after a relative ``move`` (-0.1 = -10 %) of every symbol, or explicit ``prices``."""
    problems: list[Problem] = []
    if move is not None and (not math.isfinite(move) or move <= -1.0 or move > 100.0):
        problems.append(Problem("shock.move", f"must be above -100 % and at most +10,000 % (got {move!r}); a price cannot fall below zero"))
    for sym, price in (prices or {}).items():
        if not math.isfinite(price) or price <= 0:
            problems.append(Problem(f"shock.prices.{sym}", f"must be a positive price (got {price!r})"))
    if problems:
        raise PlannerError(problems, "drill")
    marks = {}
    for pos in plan.positions:
        if prices and pos.symbol in prices:
            marks[pos.symbol] = prices[pos.symbol]
        elif move is not None:
            marks[pos.symbol] = pos.mark * (1.0 + move)
    return marks


def shock(plan: Plan, profile: ExchangeProfile, move: float | None = None, prices: dict[str, float] | None = None) -> ShockResult:
    """Evaluate the plan with every mark moved by ``move`` (or set to ``prices``).

    ``cross_close_order`` lists the cross legs a liquidation of the cross wallet
    would close, largest unrealised loss first. Rule and source: the
    loss-cut rule published by IS6 ("when you own multiple positions, we
    execute from large amount of loss position until margin rate goes up",
    https://is6.com/en/faq/detail/Terms%20and%20Conditions/What%20is%20liquidation%20process%3F%20,
    captured 2026-11-24). The large venues (Binance, Bybit, OKX) do not publish
    an order for one-way cross accounts, so this is a modelling assumption for
    them; Binance publishes only the ADL queue of the *counterparties*
    (margin ratio x PnL %, https://www.binance.com/en/support/faq/360033525471).
    """
    marks = shock_marks(plan, move, prices)
    ev = evaluate(plan, profile, marks=marks)
    liquidated = [l.index for l in ev.legs if l.state == "liquidation"]
    cross = [l for l in ev.legs if l.margin_mode == "cross"]
    order = [l.index for l in sorted(cross, key=lambda l: l.unrealized_pnl)] if any(l.state == "liquidation" for l in cross) else []
    return ShockResult(move, marks, ev, liquidated, order)


# ---------------------------------------------------------------------------
# Profile comparison
# ---------------------------------------------------------------------------


class ComparedLeg(TypedDict):
    """One leg of a comparison row (prices in quote, money in ``currency``)."""

    symbol: str
    liquidation_price: float | None
    bankruptcy_price: float | None
    initial_margin: float
    maintenance_margin: float
    liquidation_fee: float
    currency: str


@dataclass(frozen=True)
class ComparisonRow:
    profile_id: str
    profile_name: str
    rule: str
    status: str
    legs: list[ComparedLeg]
    beyond_bankruptcy: str


def map_symbol(symbol: str, base: str, profile: ExchangeProfile) -> str | None:
    """The profile's symbol for the same base coin (BTC/XBT, ETH, SOL), if any."""
    if symbol in profile.symbols:
        return symbol
    aliases = {base.upper()} | ({"XBT"} if base.upper() == "BTC" else set()) | ({"BTC"} if base.upper() == "XBT" else set())
    for sym, spec in profile.symbols.items():
        if spec.base.upper() in aliases:
            return sym
    return None


def beyond_bankruptcy_text(profile: ExchangeProfile) -> str:
    """Who pays a deficit beyond the bankruptcy price, in order."""
    pol = profile.policies
    parts = [
        name
        for name, on in (("insurance fund", pol.insurance_fund), ("auto-deleveraging", pol.adl), ("socialised loss", pol.socialized_loss))
        if on
    ]
    text = " then ".join(parts) if parts else ""
    if not pol.negative_balance_protection:
        return (text + "; " if text else "") + "the trader owes whatever is left (negative balance)"
    return text or "the venue absorbs it"


def compare_profiles(plan: Plan, base_profile: ExchangeProfile, profiles: list[ExchangeProfile]) -> list[ComparisonRow]:
    """Evaluate the same plan on every profile, legs mapped by base coin."""
    rows = []
    for prof in profiles:
        positions = []
        missing = []
        for pos in plan.positions:
            base = base_profile.symbols[pos.symbol].base if pos.symbol in base_profile.symbols else pos.symbol[:3]
            sym = map_symbol(pos.symbol, base, prof)
            if sym is None or prof.symbols[sym].contract != base_profile.symbols[pos.symbol].contract:
                missing.append(pos.symbol)
                continue
            lev = min(pos.leverage, float(prof.symbols[sym].tiers[0].max_leverage))
            positions.append(
                pos.model_copy(
                    update={"symbol": sym, "leverage": lev, "isolated_margin": None if pos.isolated_margin is None else pos.isolated_margin}
                )
            )
        if missing:
            rows.append(ComparisonRow(prof.id, prof.name, prof.rule, f"not listed: {', '.join(missing)}", [], beyond_bankruptcy_text(prof)))
            continue
        balances = {
            prof.symbols[p.symbol].settle: plan.account.wallet_balance
            for p in positions
            if prof.symbols[p.symbol].settle != prof.settle_currency
        }
        candidate = plan.model_copy(
            update={
                "profile": prof.id,
                "positions": positions,
                "funding_rates": {},
                "account": plan.account.model_copy(update={"balances": {**plan.account.balances, **balances}}),
            }
        )
        try:
            ev = evaluate(candidate, prof)
        except PlannerError as exc:
            rows.append(
                ComparisonRow(prof.id, prof.name, prof.rule, f"cannot hold this plan: {exc.problems[0]}", [], beyond_bankruptcy_text(prof))
            )
            continue
        rows.append(
            ComparisonRow(
                prof.id,
                prof.name,
                prof.rule,
                "ok",
                [
                    {
                        "symbol": l.symbol,
                        "liquidation_price": l.liquidation_price,
                        "bankruptcy_price": l.bankruptcy_price,
                        "initial_margin": l.initial_margin,
                        "maintenance_margin": l.maintenance_margin,
                        "liquidation_fee": l.liquidation_fee,
                        "currency": l.settle,
                    }
                    for l in ev.legs
                ],
                beyond_bankruptcy_text(prof),
            )
        )
    return rows
