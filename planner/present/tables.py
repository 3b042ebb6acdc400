"""The positions table the CLI and the PDF report share: one column definition, one formatting.

Prices are rounded to the symbol's tick by the venue's display convention
(``RuleTraits.price_display``); money is in each leg's settlement currency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from planner.engine.evaluate import Evaluation, LegResult
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio, rounding_side

Cell = Callable[[LegResult, ExchangeProfile], str]


def _level(name: str) -> Cell:
    """A liquidation-type price of the leg, rounded towards the safe side of its mark."""

    def cell(leg: LegResult, profile: ExchangeProfile) -> str:
        side = rounding_side(leg.liquidation_price, leg.mark_price, 1 if leg.side == "long" else -1, leg.margin_mode == "cross")
        value: float | None = getattr(leg, name)
        return fmt_price(value, profile.symbols[leg.symbol].tick_size, side, profile.traits.price_display)

    return cell


def _price(name: str) -> Cell:
    return lambda leg, profile: fmt_price(getattr(leg, name), profile.symbols[leg.symbol].tick_size)


def _money(name: str) -> Cell:
    return lambda leg, _profile: fmt_money(getattr(leg, name), leg.settle)


#: Column key -> (header, cell). Keys name the figure; headers are what the table prints.
POSITION_COLUMNS: dict[str, tuple[str, Cell]] = {
    "index": ("#", lambda leg, _p: str(leg.index + 1)),
    "symbol": ("symbol", lambda leg, _p: leg.symbol),
    "side": ("side", lambda leg, _p: leg.side),
    "mode": ("mode", lambda leg, _p: leg.margin_mode),
    "quantity": ("qty", lambda leg, _p: f"{leg.quantity:g}"),
    "entry": ("entry", _price("entry_price")),
    "mark": ("mark", _price("mark_price")),
    "leverage": ("lev", lambda leg, _p: f"{leg.leverage:g}x"),
    "liquidation": ("liq", _level("liquidation_price")),
    "bankruptcy": ("bankr", _level("bankruptcy_price")),
    "margin_call": ("margin call", _level("margin_call_price")),
    "distance": ("to liq", lambda leg, _p: fmt_pct(leg.distance_to_liquidation)),
    "initial_margin": ("IM", _money("initial_margin")),
    "maintenance_margin": ("MM", _money("maintenance_margin")),
    "ratio": ("ratio", lambda leg, _p: fmt_ratio(leg.margin_ratio)),
    "upnl": ("uPnL", _money("unrealized_pnl")),
    "roe": ("ROE", lambda leg, _p: fmt_pct(leg.roe)),
    "state": ("state", lambda leg, _p: leg.state),
}

#: The CLI's ``evaluate`` table.
CLI_COLUMNS = (
    "index", "symbol", "side", "mode", "quantity", "entry", "mark", "leverage", "liquidation", "bankruptcy",
    "distance", "initial_margin", "maintenance_margin", "ratio", "upnl", "roe", "state",
)  # fmt: skip


def positions_table(ev: Evaluation, profile: ExchangeProfile, columns: Sequence[str] = CLI_COLUMNS) -> tuple[list[str], list[list[str]]]:
    """``(headers, rows)`` of the legs of ``ev``: one row per leg, cells as displayed text."""
    chosen = [POSITION_COLUMNS[c] for c in columns]
    return [h for h, _ in chosen], [[cell(leg, profile) for _, cell in chosen] for leg in ev.legs]
