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
        self.item = pg.LegendItem(offset=None, colCount=1, labelTextSize="8pt", frame=False, horSpacing=4, verSpacing=0)
        self.item.setParentItem(plot_item)
        self.item.layout.setContentsMargins(0, 0, 0, 0)
        plot_item.legend = self.item  # named curves added later join it
        self._names: dict[int, str] = {}
        self._color: str | None = None
        plot_item.vb.sigResized.connect(lambda *_: self.relayout())

    def apply_style(self, style: PlotStyle) -> None:
        self._color = style.foreground
        self._recolor()

    def _recolor(self) -> None:
        """Every entry in the theme's text colour (pyqtgraph colours only the entries that exist when asked)."""
        if self._color is not None:
            self.item.setLabelTextColor(self._color)
            for _sample, label in self.item.items:
                label.setText(label.text, color=self._color)

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
        self._recolor()
        # Entries fill rows left to right; the most columns whose widest entries fit beside the legend's left
        # offset. Widths from the text itself: a LabelItem stretches to its layout cell.
        for _sample, label in legend.items:  # each label as wide as its text, so the columns sit side by side
            label.setMaximumWidth(label.item.boundingRect().width() + 4)
        widths = [sample.width() + label.item.boundingRect().width() + 10 for sample, label in legend.items]
        room = pi.width() - max(pi.vb.pos().x() - 20, 0) - 10
        cols = next(
            (c for c in range(n, 0, -1) if sum(max(widths[j::c]) for j in range(c)) + 4 * c <= room),
            1,
        )
        legend.columnCount = 0  # forces setColumnCount to lay every entry out again (entries added later can leave gaps)
        legend.setColumnCount(cols)
        legend.updateSize()
        rows = max(1, legend.layout.rowCount())  # pyqtgraph's own fill order decides the row count
        # Row height from the text itself (a LabelItem stretches with its layout) and the 20 px sample.
        row = max(20.0, max(label.item.boundingRect().height() for _s, label in legend.items))
        for _s, label in legend.items:
            label.setMaximumHeight(row)
        legend.updateSize()
        legend.layout.activate()
        height = max(rows * row, max(label.pos().y() + row for _s, label in legend.items))
        pi.layout.setRowFixedHeight(0, height + 2)
        pi.titleLabel.setMaximumHeight(height + 2)
        legend.setPos(max(pi.vb.pos().x() - 20, 0), 0)


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
