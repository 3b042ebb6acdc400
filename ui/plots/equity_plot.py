"""Equity plot: account equity over time under funding accrual.

Draws the document's ``Figures.funding`` (``planner.engine.curves.funding_curves``,
computed once per change by ``ui.document.PlanDocument``); no figure is computed here.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from planner.engine.curves import FundingCurves
from planner.present.format import fmt_money
from ui.document import Figures
from ui.plots.style import LIGHT, PlotStyle


class EquityPlot(QWidget):
    """Equity vs hours, maintenance-margin line, settlement markers, funding-liquidation marker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curves: FundingCurves | None = None
        self.style_ = LIGHT
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(160)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.addLegend(offset=(-10, -30))
        self.plot.getPlotItem().setMenuEnabled(False)
        self.equity_curve = self.plot.plot(name="Equity under funding")
        self.requirement_curve = self.plot.plot(name="Maintenance margin")
        self.settlements = pg.ScatterPlotItem(size=7, symbol="o", name="Funding settlement")
        self.plot.addItem(self.settlements)
        self.path_curve = self.plot.plot()
        self.path_curve.hide()
        self.liq_line = pg.InfiniteLine(angle=90, movable=False, label="Funding liquidation {value:,.1f} h", labelOpts={"position": 0.85})
        self.plot.addItem(self.liq_line, ignoreBounds=True)
        self.liq_line.hide()
        self.info = QLabel(" ")
        self.info.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.info.setWordWrap(True)  # a long funding sentence must not widen the window (issue 10 item 8)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.info)
        self.plot.setLabel("bottom", "Time from now (hours)")
        self.apply_style(LIGHT)

    def apply_style(self, style: PlotStyle) -> None:
        self.style_ = style
        self.plot.setBackground(style.background)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(style.foreground)
            ax.setTextPen(style.foreground)
        self.equity_curve.setPen(pg.mkPen(style.equity, width=2))
        self.requirement_curve.setPen(pg.mkPen(style.requirement, width=2, style=Qt.PenStyle.DashLine))
        self.settlements.setBrush(pg.mkBrush(style.settlement))
        self.settlements.setPen(pg.mkPen(style.settlement))
        self.path_curve.setPen(pg.mkPen(style.path, width=2))
        self.liq_line.setPen(pg.mkPen(style.liquidation, width=2))
        self.liq_line.label.setColor(style.liquidation)

    def set_figures(self, figures: Figures) -> None:
        """Draw ``figures.funding`` (hours from now; equity in the account's settlement currency)."""
        c = figures.funding
        horizon = figures.plan.horizon_hours
        if figures.evaluation is None or c is None:
            self.curves = None
            for item in (self.equity_curve, self.requirement_curve):
                item.setData([], [])
            self.settlements.setData([], [])
            self.liq_line.hide()
            self.info.setText("No figures: fix the marked fields first.")
            return
        self.curves = c
        self.equity_curve.setData(c.hours, c.equity)
        self.requirement_curve.setData(c.hours, c.requirement)
        eq_at = np.interp(c.settlement_hours, c.hours, c.equity) if c.settlement_hours.size else np.zeros(0)
        self.settlements.setData(c.settlement_hours, eq_at)
        self.plot.setLabel("left", f"Account equity ({c.currency})")
        if c.liquidation_hour is not None:
            self.liq_line.setValue(c.liquidation_hour)
            self.liq_line.show()
            note = f"funding alone liquidates the cross account after {c.liquidation_hour:,.1f} h"
        else:
            self.liq_line.hide()
            note = f"funding alone does not liquidate the cross account within {horizon:g} h"
        iso = [f"leg #{i + 1} at {h:,.1f} h" for i, h in c.isolated_liquidation_hours.items() if h is not None]
        if iso:
            note += "; isolated liquidation by funding: " + ", ".join(iso)
        if c.liquidated_at_mark:
            note += "; already liquidated at the marks on screen: " + ", ".join(f"leg #{i + 1}" for i in c.liquidated_at_mark)
        paid = float(c.funding_paid[-1]) if c.funding_paid.size else 0.0
        self.info.setText(f"Funding over {horizon:g} h: {fmt_money(-paid, c.currency)} to the account; {note}.")
        self.plot.setXRange(0.0, horizon, padding=0.02)
        self._fit_y()

    def _fit_y(self) -> None:
        """Fit the y axis to equity, requirement and any drawn path."""
        parts = []
        if self.curves is not None:
            parts += [self.curves.equity, self.curves.requirement]
        px = self.path_curve.getData()[1]
        if px is not None and len(px) and self.path_curve.isVisible():
            parts.append(np.asarray(px, dtype=float))
        if not parts:
            return
        ys = np.concatenate(parts)
        ys = ys[np.isfinite(ys)]
        if ys.size:
            lo, hi = float(ys.min()), float(ys.max())
            pad = 0.08 * max(hi - lo, abs(hi) * 0.002, 1e-9)
            self.plot.setYRange(lo - pad, hi + pad, padding=0)

    def show_path(self, hours, equity, label: str) -> None:
        """Draw a price-path equity curve (drills)."""
        self.path_curve.setData(np.asarray(hours, dtype=float), np.asarray(equity, dtype=float))
        self.path_curve.opts["name"] = label
        legend = self.plot.getPlotItem().legend
        if legend is not None:
            legend.removeItem(self.path_curve)
            legend.addItem(self.path_curve, label)
        self.path_curve.show()
        self._fit_y()

    def clear_path(self) -> None:
        self.path_curve.setData([], [])
        self.path_curve.hide()
