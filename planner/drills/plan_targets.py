"""Stop and take-profit figures of a plan's legs (the exchanges' target-price tab, per leg).

For every leg that carries a ``stop_price`` or ``take_profit_price`` (plan
format 2): PnL net of the taker fee on entry and exit, ROE on the initial
margin at entry (value at entry / leverage), the reward-to-risk ratio (net PnL
at the take-profit / net loss at the stop), and the price at which the leg
reaches a target ROE. All of it comes from :func:`planner.drills.sizing.targets`
and :func:`planner.engine.evaluate.target_price`; this module only picks the
legs and says whether liquidation comes before the stop.

Units: prices in quote currency per base unit; PnL in the leg's settlement
currency; ROE and rates as fractions; side +1 long, -1 short. A loss is a
negative PnL here (the stop row's ``pnl`` is below zero).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from planner.drills.sizing import TargetRow, leg_targets
from planner.engine.evaluate import Evaluation, target_price
from planner.engine.tiers import TierTable
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile

__all__ = ["LegTargets", "plan_targets", "roe_price"]


@dataclass(frozen=True)
class LegTargets:
    """Stop / take-profit figures of one leg (``index`` 0-based).

    ``stop`` and ``take_profit`` are None when the leg has no such price.
    ``reward_risk`` = net PnL at the take-profit / net loss at the stop (None
    unless both are set). ``liquidation_first`` is True when the leg's
    liquidation price lies between the entry and the stop: the stop would
    never fill, the leg is liquidated first (the loss is the whole margin).
    ``roe_price`` is the price for ``target_roe`` (None without a target or
    when no price reaches it, e.g. an inverse short at ROE >= leverage).
    """

    index: int
    symbol: str
    side: str
    settle: str
    entry_price: float
    stop_price: float | None
    take_profit_price: float | None
    stop: TargetRow | None
    take_profit: TargetRow | None
    reward_risk: float | None
    liquidation_price: float | None
    liquidation_first: bool
    target_roe: float | None
    roe_price: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def roe_price(plan: Plan, profile: ExchangeProfile, leg: int, roe: float) -> float | None:
    """Exit price of plan leg ``leg`` (0-based) for a return ``roe`` (fraction) on its initial margin."""
    pos = plan.positions[leg]
    inv = TierTable.from_spec(profile.symbols[pos.symbol]).inverse
    return target_price(pos.entry_price, pos.side.sign, pos.leverage, roe, inv)


def plan_targets(
    plan: Plan, profile: ExchangeProfile, evaluation: Evaluation | None = None, *, target_roe: float | None = None, every_leg: bool = False
) -> list[LegTargets]:
    """Targets of the legs that have a stop or a take-profit (every leg with ``every_leg``).

    ``evaluation`` (of ``plan``) supplies the liquidation prices for
    ``liquidation_first``; without it that flag is False. The plan must be
    valid for ``profile`` (every symbol listed).

    >>> from planner.io.registry import get_profile
    >>> plan = Plan(profile="binance-usdm", account={"wallet_balance": 10_000.0},
    ...     positions=[{"symbol": "BTCUSDT", "side": "long", "quantity": 1.0, "entry_price": 50_000.0, "leverage": 10,
    ...                 "stop_price": 49_000.0, "take_profit_price": 52_000.0}])
    >>> t = plan_targets(plan, get_profile("binance-usdm"))[0]
    >>> round(t.stop.pnl, 2), round(t.take_profit.pnl, 2), round(t.reward_risk, 4)
    (-1049.5, 1949.0, 1.8571)
    """
    out: list[LegTargets] = []
    liq = {l.index: l.liquidation_price for l in evaluation.legs} if evaluation is not None else {}
    for i, pos in enumerate(plan.positions):
        if not every_leg and pos.stop_price is None and pos.take_profit_price is None:
            continue
        tps = [pos.take_profit_price] if pos.take_profit_price is not None else []
        rows, _ = leg_targets(plan, profile, i, stop=pos.stop_price, take_profits=tps)
        stop = next((r for r in rows if r.kind == "stop"), None)
        tp = next((r for r in rows if r.kind == "take_profit"), None)
        lp = liq.get(i)
        s = pos.side.sign
        first = pos.stop_price is not None and lp is not None and s * (lp - pos.stop_price) >= 0
        out.append(
            LegTargets(
                index=i,
                symbol=pos.symbol,
                side=pos.side.value,
                settle=profile.symbols[pos.symbol].settle,
                entry_price=pos.entry_price,
                stop_price=pos.stop_price,
                take_profit_price=pos.take_profit_price,
                stop=stop,
                take_profit=tp,
                reward_risk=tp.reward_risk if tp is not None else None,
                liquidation_price=lp,
                liquidation_first=first,
                target_roe=target_roe,
                roe_price=roe_price(plan, profile, i, target_roe) if target_roe is not None else None,
            )
        )
    return out
