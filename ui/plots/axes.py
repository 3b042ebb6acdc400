"""Axis with thousands separators and no SI prefix: a price reads ``45,000``, never ``45 (x1e3)``."""

from __future__ import annotations

from math import ceil, log10

import pyqtgraph as pg


class GroupedAxis(pg.AxisItem):
    """``pg.AxisItem`` whose tick strings carry ``,`` grouping and as many decimals as the tick spacing needs."""

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # no "(x0.001)" on a price or money axis

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return grouped_ticks(values, scale, spacing)


def grouped_ticks(values: list[float], scale: float, spacing: float) -> list[str]:
    """Tick labels: ``values * scale`` with ``,`` thousands grouping, decimals from the spacing, never ``-0``."""
    step = abs(spacing * scale)
    places = max(0, ceil(-log10(step))) if step > 0 else 0
    out = []
    for v in values:
        text = f"{v * scale:,.{places}f}"
        if text.lstrip("-").strip("0.,") == "":
            text = text.lstrip("-")
        out.append(text)
    return out
