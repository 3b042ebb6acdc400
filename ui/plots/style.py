"""Plot colours and pens for light and dark themes (one place, both plots)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlotStyle:
    background: str
    foreground: str
    grid_alpha: float
    equity: str
    requirement: str
    isolated: tuple[str, ...]
    entry: str
    mark: str
    margin_call: str
    liquidation: str
    bankruptcy: str
    shortfall: tuple[int, int, int, int]
    path: str
    settlement: str
    #: Stop-loss and take-profit lines, and the translucent loss (entry..stop) and profit (entry..take-profit) zones.
    stop: str = "#d6336c"
    take_profit: str = "#2f9e44"
    loss_zone: tuple[int, int, int, int] = (214, 51, 108, 26)
    profit_zone: tuple[int, int, int, int] = (47, 158, 68, 26)


LIGHT = PlotStyle(
    background="#ffffff",
    foreground="#30343a",
    grid_alpha=0.25,
    equity="#1f6fd1",
    requirement="#d9480f",
    isolated=("#2b8a3e", "#7048e8", "#0c8599", "#c2255c"),
    entry="#495057",
    mark="#1f6fd1",
    margin_call="#e67700",
    liquidation="#c92a2a",
    bankruptcy="#5f3dc4",
    shortfall=(224, 49, 49, 45),
    path="#7048e8",
    settlement="#868e96",
)
DARK = PlotStyle(
    background="#1e2024",
    foreground="#d0d4da",
    grid_alpha=0.2,
    equity="#4dabf7",
    requirement="#ff922b",
    isolated=("#69db7c", "#b197fc", "#3bc9db", "#f783ac"),
    entry="#adb5bd",
    mark="#74c0fc",
    margin_call="#ffd43b",
    liquidation="#ff6b6b",
    bankruptcy="#b197fc",
    shortfall=(255, 107, 107, 50),
    path="#e599f7",
    settlement="#868e96",
    stop="#f06595",
    take_profit="#51cf66",
    loss_zone=(240, 101, 149, 30),
    profit_zone=(81, 207, 102, 26),
)


def style_for(dark: bool) -> PlotStyle:
    return DARK if dark else LIGHT
