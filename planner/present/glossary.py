"""Plain-language explanations of every figure the planner shows.

Qt-free so the window (tooltips), the CLI and the report share one wording.
``FIGURES`` maps a figure name (the :class:`planner.engine.evaluate.LegResult` /
``AccountResult`` attribute) to a short label, its unit kind and an
explanation. :func:`explain` joins the explanation with the exchange rule that
produced the number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One figure: short label, unit kind ("price", "money", "fraction", "ratio", "leverage", "text") and meaning."""

    label: str
    unit: str
    explanation: str


FIGURES: dict[str, Figure] = {
    "liquidation_price": Figure(
        "Liquidation price",
        "price",
        "Mark price at which the position's equity falls to its maintenance margin and the exchange takes it over. "
        "For a cross leg the other legs are held at their marks.",
    ),
    "bankruptcy_price": Figure(
        "Bankruptcy price",
        "price",
        "Mark price at which the margin behind the position is entirely lost (equity = 0). "
        "Losses beyond it fall on the insurance fund or, failing that, auto-deleveraging.",
    ),
    "margin_call_price": Figure(
        "Margin-call price",
        "price",
        "Mark price at which the margin ratio reaches the margin-call threshold of the profile (or the plan's override).",
    ),
    "distance_to_liquidation": Figure(
        "Distance to liquidation",
        "fraction",
        "How far the mark can move against the position before liquidation, as a fraction of the mark price (positive = still safe).",
    ),
    "distance_to_liquidation_price": Figure(
        "Distance (price)",
        "price",
        "The same distance in quote currency: (mark - liquidation price) x side sign.",
    ),
    "initial_margin": Figure(
        "Initial margin",
        "money",
        "Position value at entry divided by the chosen leverage: the margin needed to open the position.",
    ),
    "maintenance_margin": Figure(
        "Maintenance margin",
        "money",
        "Position value x the tier's maintenance rate, less the tier's maintenance amount: equity below this is liquidated.",
    ),
    "margin_ratio": Figure(
        "Margin ratio",
        "ratio",
        "The exchange's own margin ratio. Binance/Bybit-style: maintenance margin / equity (liquidation at 100 %). "
        "OKX-style: equity / (maintenance margin + close fee) (liquidation at 100 % from above).",
    ),
    "unrealized_pnl": Figure(
        "Unrealised PnL",
        "money",
        "Profit or loss at the mark price. Linear: side x quantity x (mark - entry); inverse: side x contracts x (1/entry - 1/mark).",
    ),
    "roe": Figure("ROE", "fraction", "Unrealised PnL divided by the initial margin (return on equity put up)."),
    "break_even_price": Figure(
        "Break-even price",
        "price",
        "Exit price that pays back the taker fee on opening and closing: entry x (1 + s x fee) / (1 - s x fee).",
    ),
    "max_leverage": Figure(
        "Max leverage (this size)",
        "leverage",
        "Largest leverage the exchange allows for a position of this value, from its tier (risk-limit) table.",
    ),
    "position_value": Figure("Position value", "money", "Quantity x mark price (inverse: contracts x size / mark), settlement currency."),
    "equity": Figure(
        "Equity",
        "money",
        "Margin behind the position plus its unrealised PnL. Cross legs share the cross wallet and every cross leg's PnL.",
    ),
    "funding_per_interval": Figure(
        "Funding / interval",
        "money",
        "Funding paid (+) or received (-) at each settlement at the plan's rate; positive rates: longs pay shorts.",
    ),
    "wallet_balance": Figure(
        "Wallet balance", "money", "Deposited balance of the account in its settlement currency, before unrealised PnL."
    ),
    "available_balance": Figure(
        "Available balance",
        "money",
        "Cross wallet less losses and the initial margin of cross positions: what can still open positions or be withdrawn.",
    ),
    "cross_liquidation_move_down": Figure(
        "Cross: move to liquidation (down)",
        "fraction",
        "Fraction by which every cross leg's mark can fall together before the cross account is liquidated.",
    ),
    "cross_liquidation_move_up": Figure(
        "Cross: move to liquidation (up)",
        "fraction",
        "Fraction by which every cross leg's mark can rise together before the cross account is liquidated.",
    ),
    "state": Figure(
        "State",
        "text",
        "safe: margin ratio inside the margin-call threshold; margin call: between the margin-call and liquidation thresholds; "
        "liquidation: at or past the liquidation threshold.",
    ),
}


def label(name: str) -> str:
    """Short label of a figure (the name itself when unknown)."""
    fig = FIGURES.get(name)
    return fig.label if fig else name


def explain(name: str, profile_name: str = "", formula: str = "") -> str:
    """Explanation of ``name``, followed by the profile and rule formula that produced it."""
    fig = FIGURES.get(name)
    text = f"{fig.label}: {fig.explanation}" if fig else name
    if profile_name:
        text += f"\n\nExchange profile: {profile_name}."
    if formula:
        text += f"\nRule: {formula}"
    return text
