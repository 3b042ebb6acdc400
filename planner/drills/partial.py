"""Partial liquidation: the sequence of reductions a venue makes before (or
instead of) closing the whole position, at a fixed trigger price.

Rules (profile ``policies.partial_liquidation.kind``):

* ``reduce_to_lower_tier`` (Binance): reduce to the cap of the next lower tier, re-check
  (Binance Liquidation Protocol, copy at
  https://docs.traderwagon.com/faq/futures-trading-introduction/liquidation-protocol);
* ``two_tiers_per_round`` (OKX): from tier 3 up, drop two tiers per round, re-check
  (https://supdljgzdhc.okx.com/hc/en-us/articles/360020411711-V-Forced-Partial-or-Full-Liquidation);
* ``fraction_then_full`` (Hyperliquid): above ``min_value`` close ``fraction``, wait
  ``cooldown_seconds``, then the rest if still short
  (https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations);
* ``increments`` (Deribit): close ``increment_size`` per step until equity covers MM
  (https://www.deribit.com/docs/auto-liquidation/);
* ``none``: one full liquidation.

At a fixed price closing part of a position turns unrealised into realised
PnL, so equity only changes by the fee on the closed part; the requirement
shrinks with the size (and may drop a tier). A position still short of its
requirement after the partial steps is liquidated in full.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from planner.engine.evaluate import leg_inputs, leg_requirement, leg_upnl, margin_ratio
from planner.engine.tiers import TierTable, position_value, tier_index, tier_measure
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile


@dataclass(frozen=True)
class Step:
    """One reduction: size closed and left (formula units), equity and requirement after."""

    number: int
    closed: float
    left: float
    equity: float
    requirement: float
    fee: float
    note: str
    margin_ratio: float | None = None  # after the step, in the profile's convention (planner.engine.evaluate.margin_ratio)


def partial_liquidation(plan: Plan, profile: ExchangeProfile, leg_index: int, price: float, max_steps: int = 200) -> list[Step]:
    """Steps an isolated leg goes through when the mark sits at ``price``.

    Sizes are in formula units (base units for linear, USD for inverse).
    """
    leg = leg_inputs(plan, profile)[leg_index]
    rule = profile.policies.partial_liquidation
    traits, taker, liq_fee = profile.traits, profile.fees.taker, profile.liquidation_fee_for(leg.pos.symbol)
    equity = leg.collateral + float(leg_upnl(leg, price))
    q = leg.q
    steps: list[Step] = []

    def req(size: float) -> float:
        held = leg.close_fee_held * size / leg.q  # Bybit fee to close scales with the size left
        return float(leg_requirement(replace(leg, q=size, close_fee_held=held), price, traits, taker)) if size > 0 else 0.0

    if equity >= req(q):
        return steps
    table = leg.table
    for n in range(1, max_steps + 1):
        target = None
        note = ""
        j = int(tier_index(tier_measure(q, price, table), table))
        if rule.kind == "reduce_to_lower_tier" and j > 0:
            target = _size_at_bound(table.floors[j], price, table) * (1 - 1e-12)
            note = f"reduce to tier {j} (value below {table.floors[j]:,.6g})"
        elif rule.kind == "two_tiers_per_round" and j >= 2:
            target = _size_at_bound(table.floors[j - 1], price, table) * (1 - 1e-12)
            note = f"drop two tiers, to tier {j - 1}"
        elif (
            rule.kind == "fraction_then_full"
            and n == 1
            and float(position_value(q, price, table.inverse)) * (1 if not table.inverse else price) > (rule.min_value or 0.0)
        ):
            target = q * (1 - (rule.fraction or 0.2))
            note = f"close {100 * (rule.fraction or 0.2):.0f} %, then wait {rule.cooldown_seconds or 0:g} s"
        elif rule.kind == "increments" and rule.increment_size:
            # increment_size is in contracts (Deribit: 200 contracts of 10 USD); formula units = contracts x contract size.
            target = max(q - rule.increment_size * leg.spec.contract_size, 0.0)
            note = f"close {rule.increment_size:g} contracts per step"
        if target is None or target <= 0 or target >= q:
            fee = liq_fee * float(position_value(q, price, table.inverse))
            steps.append(Step(n, q, 0.0, equity - fee, 0.0, fee, "full liquidation of the rest", None))
            return steps
        closed = q - target
        fee = liq_fee * float(position_value(closed, price, table.inverse))
        equity -= fee
        q = target
        steps.append(Step(n, closed, q, equity, req(q), fee, note, margin_ratio(equity, req(q), traits.margin_ratio)))
        if equity >= req(q):
            return steps
    return steps


def _size_at_bound(bound: float, price: float, table: TierTable) -> float:
    """Size at a tier bound: the bound itself for size tiers, else the size worth ``bound`` at ``price``."""
    if table.basis == "size":
        return bound
    return bound * price if table.inverse else bound / price
