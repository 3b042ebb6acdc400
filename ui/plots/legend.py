"""Plot furniture shared by both plots: a legend above the data and the "Reset zoom" context-menu entry."""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtGui import QAction

from ui.plots.style import PlotStyle


class OutsideLegend:
    """A ``pg.LegendItem`` laid out in rows above the view box (in the plot's title row), so it never covers data.

    Entries flow left to right and wrap to as many rows as the plot's width needs;
    the title row grows to the legend's height.
    """

    def __init__(self, plot_item: pg.PlotItem) -> None:
        self.plot_item = plot_item
        self.item = pg.LegendItem(offset=None, colCount=1, labelTextSize="8pt", frame=False, horSpacing=4, verSpacing=-6)
        self.item.setParentItem(plot_item)
        plot_item.legend = self.item  # named curves added later join it
        self._names: dict[int, str] = {}
        plot_item.vb.sigResized.connect(lambda *_: self.relayout())

    def apply_style(self, style: PlotStyle) -> None:
        self.item.setLabelTextColor(style.foreground)

    def add(self, item: pg.PlotDataItem | pg.ScatterPlotItem, name: str) -> None:
        self.item.addItem(item, name)
        self.relayout()

    def set_entry(self, item: pg.PlotDataItem, name: str | None) -> None:
        """Show ``item`` under ``name`` (None removes it); unchanged names cost nothing."""
        if self._names.get(id(item)) == name:
            return
        if id(item) in self._names:
            self.item.removeItem(item)
            del self._names[id(item)]
        if name is not None:
            item.opts["name"] = name
            self.item.addItem(item, name)
            self._names[id(item)] = name
        self.relayout()

    def relayout(self) -> None:
        """Columns to fit the view box's width; the title row reserves the legend's height."""
        legend, pi = self.item, self.plot_item
        n = len(legend.items)
        if n == 0:
            pi.layout.setRowFixedHeight(0, 0)
            legend.hide()
            return
        legend.show()
        widest = max(sample.width() + label.width() + 10 for sample, label in legend.items)
        cols = max(1, min(n, int(pi.vb.width() // max(widest, 1.0)) or 1))
        legend.setColumnCount(cols)
        legend.updateSize()
        rows = -(-n // cols)
        height = rows * max((label.height() for _s, label in legend.items), default=16.0) - 6 * (rows - 1)
        pi.layout.setRowFixedHeight(0, height + 2)
        pi.titleLabel.setMaximumHeight(height + 2)
        legend.setPos(pi.vb.pos().x(), 0)


def add_reset_zoom(plot_item: pg.PlotItem, slot: Callable[[], None]) -> QAction:
    """Replace the view box's context menu with one "Reset zoom" entry (plus pyqtgraph's Export…)."""
    plot_item.setMenuEnabled(enableMenu=False, enableViewBoxMenu=True)
    menu = plot_item.vb.menu
    for act in menu.actions():
        act.setVisible(False)
    reset = QAction("Reset zoom", menu)
    reset.triggered.connect(slot)
    menu.addAction(reset)
    return reset
