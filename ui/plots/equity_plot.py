"""Equity plot: the change of account equity over time under funding accrual.

The y axis is equity minus equity now (settlement currency), fitted to that curve, so
a 98 USDT funding drain on 14,000 USDT reads as a staircase to -98, not as a flat
line far above zero. The liquidation threshold (maintenance margin minus equity now)
is drawn when it is within reach of the scale and named in the text below otherwise.
Draws the document's ``Figures.funding`` (``planner.engine.curves.funding_curves``,
computed once per change by ``ui.document.PlanDocument``); no figure is computed here.
Hours count from the plan's clock; the settlement dots sit at the venue's UTC
settlement times after ``as_of`` (09:30 UTC on an 8 h Binance symbol: 6.5, 14.5, ... h),
or, without ``as_of``, as if now were 00:00 UTC (8, 16, ... h); the tooltip of the
text below the plot says which (``FundingCurves.schedule``).
Portfolio-margin plans: the threshold curve is standard margin's (so named), and
the portfolio account's MM is drawn as a "PM liquidation threshold" line when the
account is in the plot's currency (segregated), else stated in the text below.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from planner.engine.curves import FundingCurves
from planner.model.dated import as_utc
from planner.present.format import fmt_money
from ui.document import Figures
from ui.plots.axes import GroupedAxis
from ui.plots.legend import OutsideLegend, add_reset_zoom
from ui.plots.style import LIGHT, PlotStyle


class EquityPlot(QWidget):
    """Equity vs hours, maintenance-margin line, settlement markers, funding-liquidation marker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curves: FundingCurves | None = None
        self.style_ = LIGHT
        self.equity_now = 0.0  # equity at hour 0 (settlement currency): the curves are drawn relative to it
        self._left_label: str | None = None  # currency in the y-axis label (set when it changes)
        self._fitted: tuple[tuple[float, float, float, float], list[list[float]]] | None = None  # last _fit: asked, got
        self.user_zoomed = False
        self.plot = pg.PlotWidget(axisItems={"bottom": GroupedAxis("bottom"), "left": GroupedAxis("left")})
        self.plot.setMinimumHeight(160)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        pi = self.plot.getPlotItem()
        self.legend = OutsideLegend(pi)
        add_reset_zoom(pi, self.reset_zoom)
        pi.getViewBox().sigRangeChangedManually.connect(self._on_user_zoom)
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False)
        self.plot.addItem(self.zero_line, ignoreBounds=True)
        self.equity_curve = self.plot.plot(name="Equity change under funding")
        self.requirement_curve = self.plot.plot(name="Liquidation threshold")
        self.settlements = pg.ScatterPlotItem(size=7, symbol="o", name="Funding settlement")
        self.plot.addItem(self.settlements)
        # Dated futures: settlement (and roll) at expiry, drawn as a marked step (planner.engine.expiry).
        self.expiry_marks = pg.ScatterPlotItem(size=12, symbol="d", name="Expiry: settlement / roll")
        self.plot.addItem(self.expiry_marks)
        self.legend.item.removeItem(self.expiry_marks)  # in the legend only while a dated leg expires within the horizon
        self.legend.relayout()
        self.path_curve = self.plot.plot()
        self.path_curve.hide()
        self.liq_line = pg.InfiniteLine(angle=90, movable=False, label="Funding liquidation {value:,.1f} h", labelOpts={"position": 0.85})
        self.plot.addItem(self.liq_line, ignoreBounds=True)
        self.liq_line.hide()
        # Portfolio margin: the PM account's MM relative to its equity now (engine figures, Figures.evaluation.portfolio).
        self.pm_line = pg.InfiniteLine(
            angle=0, movable=False, label="PM liquidation threshold", labelOpts={"position": 0.15, "anchors": [(0, 1), (0, 1)]}
        )
        self.pm_line.setZValue(10)
        self.plot.addItem(self.pm_line, ignoreBounds=True)
        self.pm_line.hide()
        self.info = QLabel(" ")
        self.info.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.info.setWordWrap(True)  # a long funding sentence must not widen the window (issue 10 item 8)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.info)
        self._bottom_label = ""
        self._set_clock(None)
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
        self.expiry_marks.setBrush(pg.mkBrush(style.requirement))
        self.expiry_marks.setPen(pg.mkPen(style.foreground))
        self.path_curve.setPen(pg.mkPen(style.path, width=2))
        self.liq_line.setPen(pg.mkPen(style.liquidation, width=2))
        self.liq_line.label.setColor(style.liquidation)
        self.pm_line.setPen(pg.mkPen(style.liquidation, width=2, style=Qt.PenStyle.DashDotLine))
        self.pm_line.label.setColor(style.liquidation)
        self.zero_line.setPen(pg.mkPen(style.foreground, width=1, style=Qt.PenStyle.DotLine))
        self.legend.apply_style(style)

    def _set_clock(self, as_of: datetime | None) -> None:
        """x-axis title: hours from the plan's clock (``Plan.as_of``, UTC) when it has one, else from now."""
        label = f"Hours from {as_utc(as_of):%Y-%m-%d %H:%M} UTC" if as_of is not None else "Hours from now"
        if label != self._bottom_label:
            self._bottom_label = label
            self.plot.setLabel("bottom", label)

    def set_figures(self, figures: Figures) -> None:
        """Draw ``figures.funding`` (hours from the plan's clock; equity in the account's settlement currency)."""
        c = figures.funding
        horizon = figures.plan.horizon_hours
        self._set_clock(figures.plan.as_of)
        if figures.evaluation is None or c is None:
            self.curves = None
            for item in (self.equity_curve, self.requirement_curve):
                item.setData([], [])
            self.settlements.setData([], [])
            self.expiry_marks.setData([], [])
            self.liq_line.hide()
            self.pm_line.hide()
            self.info.setText("No figures: fix the marked fields first.")
            return
        self.curves = c
        self.equity_now = float(c.equity[0]) if c.equity.size else 0.0
        change = c.equity - self.equity_now
        # Items whose points did not change are left alone (an entry edit shifts equity, not its change).
        _set_curve(self.equity_curve, c.hours, change)
        _set_curve(self.requirement_curve, c.hours, c.requirement - self.equity_now)
        eq_at = np.interp(c.settlement_hours, c.hours, change) if c.settlement_hours.size else np.zeros(0)
        shown = self.settlements.getData()
        if not (np.array_equal(shown[0], c.settlement_hours) and np.array_equal(shown[1], eq_at)):
            self.settlements.setData(c.settlement_hours, eq_at)
        # The point after each settlement step (the curve holds a point just before it too).
        step_hours = np.asarray([st.hour for st in c.expiry_steps], dtype=float)
        step_eq = np.interp(step_hours, c.hours, change) if step_hours.size else np.zeros(0)
        marked = self.expiry_marks.getData()
        if not (np.array_equal(marked[0], step_hours) and np.array_equal(marked[1], step_eq)):
            self.expiry_marks.setData(step_hours, step_eq)
        self.legend.set_entry(self.expiry_marks, "Expiry: settlement / roll" if step_hours.size else None)
        if self._left_label != c.currency:
            self._left_label = c.currency
            self.plot.setLabel("left", f"Equity change ({c.currency})")
        if c.liquidation_hour is not None:
            self.liq_line.setValue(c.liquidation_hour)
            self.liq_line.show()
            note = f"funding alone liquidates the cross account after {c.liquidation_hour:,.1f} h"
        else:
            self.liq_line.hide()
            note = f"funding alone does not liquidate the cross account within {horizon:g} h"
        iso = [f"leg #{i + 1} at {h:,.1f} h" for i, h in c.isolated_liquidation_hours.items() if h is not None]
        if iso:
            note += "; isolated liquidation by funding: " + ", ".join(iso) + " (closed there: no funding after it)"
        if c.liquidated_at_mark:
            note += "; already liquidated at the marks on screen: " + ", ".join(f"leg #{i + 1}" for i in c.liquidated_at_mark)
        for st in c.expiry_steps:
            what = "settles and rolls" if st.rolled else "settles (no roll)"
            cost = "rollover cost" if st.rolled else "settlement fee"
            note += f"; leg #{st.index + 1} {st.symbol} {what} at {st.hour:,.1f} h ({c.clock}): {cost} {fmt_money(st.amount, c.currency)}"
        note += self._portfolio(figures, c)
        paid = float(c.funding_paid[-1]) if c.funding_paid.size else 0.0
        room = float(np.min(c.equity - c.requirement)) if c.equity.size else 0.0
        scale = (
            f"equity now {fmt_money(self.equity_now, c.currency)}, {fmt_money(room, c.currency)} above maintenance margin at its closest"
        )
        self.info.setText(f"Funding over {horizon:g} h{self._from()}: {fmt_money(-paid, c.currency)} to the account ({scale}); {note}.")
        self.info.setToolTip(
            f"Funding to the account over the plan's horizon at the plan's rates, {c.currency} wallet, marks held: "
            "+ received, - paid (positive rates: longs pay). A leg liquidated within the horizon pays nothing after it "
            "closes and leaves what the venue's policies give back.\n"
            "Equity now: the account's equity at the marks. Above maintenance margin at its closest: the smallest gap "
            "between equity and maintenance margin over the horizon (at 0 or below, funding alone liquidates).\n"
            "The plot shows equity minus equity now; the dashed line is the liquidation threshold on the same scale."
            + (f"\nFunding settlements (dots), hours from the plan's clock: {c.schedule}." if c.schedule else "")
        )
        if not self.user_zoomed:
            self._fit()

    def _from(self) -> str:
        """The clock for the text under the plot, as the x-axis names it: ' from 2026-12-20 08:00 UTC', or '' for now."""
        return self._bottom_label.removeprefix("Hours") if self._bottom_label != "Hours from now" else ""

    def _portfolio(self, figures: Figures, c: FundingCurves) -> str:
        """PM threshold line (when the PM account is in the plot's currency) and the sentence for the text; "" otherwise."""
        ev = figures.evaluation
        pm = ev.portfolio if ev is not None else None
        label = self.legend.item.getLabel(self.requirement_curve)
        want = "Standard liquidation threshold" if pm is not None else "Liquidation threshold"
        if label is not None and label.text != want:
            label.setText(want, color=label.opts.get("color"))
        if pm is None:
            self.pm_line.hide()
            self.info.setToolTip("")
            return ""
        kind = "cross X:PM" if pm.collateral == "cross" else "segregated S:PM"
        here = next((a for a in pm.accounts if a.currency == c.currency), None)
        if here is not None:
            self.pm_line.setValue(here.maintenance_margin - here.equity)
            tip = (
                f"Portfolio margin ({kind}): the {c.currency} account's equity may fall by "
                f"{fmt_money(here.equity - here.maintenance_margin, c.currency)} before it meets its portfolio MM "
                f"{fmt_money(here.maintenance_margin, c.currency)}. The dashed curve is standard margin's threshold."
            )
            self.pm_line.setToolTip(tip)
            self.pm_line.label.setToolTip(tip)
            self.pm_line.show()
        else:
            self.pm_line.hide()
        self.info.setToolTip(
            f"Portfolio margin ({kind}): each account's equity against its portfolio MM. The dashed threshold and the "
            "funding-liquidation hour are standard (leg-by-leg) margin's, shown for comparison"
            + ("." if here is not None else f"; the PM account is not in {c.currency}, so its threshold is not drawn on this axis.")
        )
        parts = [f"{fmt_money(a.equity, a.currency)} vs {fmt_money(a.maintenance_margin, a.currency)}" for a in pm.accounts]
        return f"; equity vs PM MM ({kind.split()[-1]}): " + ", ".join(parts)

    def reset_zoom(self) -> None:
        """Follow the plan again (context menu, View › Reset plot zoom)."""
        self.user_zoomed = False
        self._fit()

    def _on_user_zoom(self, *_: object) -> None:
        self.user_zoomed = True

    def _fit(self) -> None:
        """Hours 0..horizon; y fitted to the equity change (and any path), with 0 shown.

        The liquidation threshold joins the range only when it lies within three
        spans of the curve: otherwise it would flatten the funding effect again.
        """
        if self.curves is None:
            return
        c = self.curves
        x1 = float(c.hours[-1]) if c.hours.size else 1.0
        parts = [c.equity - self.equity_now, np.zeros(1)]
        px = self.path_curve.getData()[1]
        if px is not None and len(px) and self.path_curve.isVisible():
            parts.append(np.asarray(px, dtype=float))
        ys = np.concatenate(parts)
        ys = ys[np.isfinite(ys)]
        lo, hi = float(ys.min()), float(ys.max())
        span = max(hi - lo, 1e-4 * abs(self.equity_now), 1e-9)
        threshold = c.requirement - self.equity_now
        near = threshold[np.isfinite(threshold)]
        if near.size and float(near.max()) >= lo - 3 * span:
            lo = min(lo, float(near.max()))
            span = max(hi - lo, span)
        pad = 0.1 * span
        vb = self.plot.getViewBox()
        asked = (0.0, x1, lo - pad, hi + pad)
        if self._fitted is not None and self._fitted[1] == vb.targetRange():
            last = self._fitted[0]
            # The view already shows this range to within a ten-thousandth of its height (well under a pixel).
            if last[:2] == asked[:2] and max(abs(a - b) for a, b in zip(last[2:], asked[2:], strict=True)) <= 1e-4 * (last[3] - last[2]):
                return
        self.plot.setXRange(0.0, x1, padding=0.02)
        self.plot.setYRange(lo - pad, hi + pad, padding=0)
        self._fitted = (asked, vb.targetRange())

    def show_path(self, hours, equity, label: str) -> None:
        """Draw a price-path equity curve (drills)."""
        # Drawn relative to equity now, like the funding curve (the drill gives absolute equity).
        self.path_curve.setData(np.asarray(hours, dtype=float), np.asarray(equity, dtype=float) - self.equity_now)
        self.legend.set_entry(self.path_curve, label)
        self.path_curve.show()
        if not self.user_zoomed:
            self._fit()

    def clear_path(self) -> None:
        self.path_curve.setData([], [])
        self.legend.set_entry(self.path_curve, None)
        self.path_curve.hide()


def _set_curve(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """``item.setData(x, y)`` unless it already shows exactly these points (a redraw costs far more than the check)."""
    xs, ys = item.xData, item.yData
    if xs is not None and ys is not None and np.array_equal(xs, x) and np.array_equal(ys, y, equal_nan=True):
        return
    item.setData(x, y)
