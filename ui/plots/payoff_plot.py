"""Payoff view: the book's PnL against the price of one chosen coin (issue 13 item 5).

Other coins move with the chosen one by a beta the trader sets (1 by default:
the same percent move). The curve, the break-evens and each leg's liquidation on
the axis come from :func:`planner.present.payoff.compute_payoff` (which calls
:func:`planner.drills.sizing.payoff`); this widget only draws them: profit zone
above zero, loss zone below, a marker per leg where it is liquidated, the
current mark. It follows the document's ``figuresChanged`` (one computation per
edit, a few milliseconds for a 20-leg book); in the window it is ``lazy``: while
its dock is hidden it only remembers the figures and computes when shown.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from planner.drills.marks import plan_at_marks
from planner.model.errors import PlannerError
from planner.present.format import fmt_price, fmt_signed_money, tick_decimals
from planner.present.payoff import DEFAULT_SPAN, PayoffView, compute_payoff, parse_betas, payoff_levels, payoff_symbols
from ui.document import Figures
from ui.plots.axes import GroupedAxis
from ui.plots.legend import OutsideLegend, add_reset_zoom
from ui.plots.style import LIGHT, PlotStyle

#: Points of the payoff's price grid.
PAYOFF_POINTS = 401
#: Rows of liquidation labels under the top of the view; each row this many pixels tall, labels this many pixels apart.
LABEL_ROWS, LABEL_ROW_PX, LABEL_GAP_PX = 4, 17.0, 30.0


def _label_rows(xs: list[float], gap: float, n_rows: int) -> list[int | None]:
    """A label row for each x (in order of x) so labels in one row are ``gap`` apart; None: no free row (label hidden)."""
    last: list[float] = [-math.inf] * n_rows
    out: list[int | None] = [None] * len(xs)
    for k in sorted(range(len(xs)), key=lambda j: xs[j]):
        for r in range(n_rows):
            if xs[k] - last[r] >= gap:
                out[k], last[r] = r, xs[k]
                break
    return out


_ERROR = "color: #e03131;"

BETA_TIP = (
    "How the other coins move when the chosen coin moves: P_other = mark_other x (P / mark) ^ beta.\n"
    "1 = the same percent move (default), 0 = they stay put, 0.8 = 80 % of the move in log terms.\n"
    "Type one number for every other coin, and/or COIN=BETA pairs: 0.9, ETH=0.8, SOL=1.2"
)


def _zones(style: PlotStyle) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int], str]:
    """Profit fill, loss fill and the curve colour for the theme."""
    dark = style.background.lower() != LIGHT.background
    if dark:
        return (105, 219, 124, 55), (255, 107, 107, 55), style.equity
    return (47, 158, 68, 45), (224, 49, 49, 40), style.equity


@dataclass(frozen=True)
class PayoffSettings:
    """The trader's payoff choices: coin on the axis (None: the liquidation plot's, else the first leg's), betas, range."""

    symbol: str | None = None
    beta: str = "1"
    span: float = DEFAULT_SPAN


def payoff_view(figures: Figures, settings: PayoffSettings) -> PayoffView | None:
    """The payoff of ``figures`` (at their what-if marks) for ``settings``; None without figures or legs.

    Raises PlannerError naming the control ("Others' beta") for input it cannot read.
    """
    symbols = payoff_symbols(figures.plan)
    if figures.evaluation is None or not symbols:
        return None
    symbol = settings.symbol if settings.symbol in symbols else (figures.symbol if figures.symbol in symbols else symbols[0])
    plan = plan_at_marks(figures.plan, figures.marks)
    betas = parse_betas(settings.beta, plan, figures.profile, field="Others' beta")
    return compute_payoff(plan, figures.profile, symbol, betas, span=settings.span, n=PAYOFF_POINTS)


def payoff_report_html(figures: Figures, settings: PayoffSettings, image: str | None, width: int) -> str:
    """The report's payoff page: heading, the plot image and the break-even and liquidation lines (HTML-escaped)."""
    try:
        view = payoff_view(figures, settings)
    except PlannerError as exc:
        return f"<h2 class='newpage'>Payoff</h2><p>{html.escape(exc.describe())}</p>"
    if view is None:
        return ""
    po = view.payoff
    others = ", ".join(f"{s} {b:g}" for s, b in view.betas.items() if s != po.symbol) or "none"
    parts = [
        f"<h2 class='newpage'>Payoff: the book's PnL against {html.escape(po.symbol)}</h2>",
        f"<p>Unrealised PnL in {html.escape(view.currency)} before fees and funding, within ±{settings.span * 100:g} % of the mark "
        f"{html.escape(fmt_price(view.mark, view.tick))}; other coins move by beta: {html.escape(others)}.</p>",
    ]
    if image:
        parts.append(f"<p><img src='{html.escape(image)}' width='{width}'></p>")
    lines = payoff_levels(view, figures.plan)
    parts.append(f"<p>{html.escape(lines[0])}</p><ul>" + "".join(f"<li>{html.escape(x.strip())}</li>" for x in lines[1:]) + "</ul>")
    return "".join(parts)


class PayoffPlot(QWidget):
    """PnL of the book (quote currency) against the chosen coin's price, with profit/loss zones and liquidations.

    ``computed`` counts payoff computations (one per edit when visible); ``view``
    is the last :class:`PayoffView` drawn (None when there is nothing to draw).
    """

    sigComputed = Signal()

    def __init__(self, parent: QWidget | None = None, *, lazy: bool = False) -> None:
        super().__init__(parent)
        self.lazy = lazy
        self.figures: Figures | None = None
        self.view: PayoffView | None = None
        self.computed = 0
        self.user_zoomed = False
        self.style_ = LIGHT
        self._key: tuple[object, ...] | None = None
        self._dirty = False
        # In a dock (lazy): set by the dock's visibilityChanged, since a tab behind another is "visible" to Qt.
        self._shown: bool | None = False if lazy else None
        self._symbols: list[str] = []
        # -- controls
        self.coin = QComboBox()
        self.coin.setToolTip("The coin on the price axis; every other coin moves with it by its beta")
        self.coin.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.beta = QLineEdit("1")
        self.beta.setPlaceholderText("1 or ETH=0.8, SOL=1.2")
        self.beta.setToolTip(BETA_TIP)
        self.span = QSpinBox()
        self.span.setRange(5, 95)
        self.span.setValue(round(DEFAULT_SPAN * 100))
        self.span.setSuffix(" %")
        self.span.setPrefix("± ")
        self.span.setToolTip("Price axis: this far below and above the chosen coin's mark")
        self.controls = QWidget()
        controls = QHBoxLayout(self.controls)
        controls.setContentsMargins(4, 2, 4, 0)
        for text, w in (("Price of", self.coin), ("Others' beta", self.beta), ("Range", self.span)):
            label = QLabel(text)
            label.setBuddy(w)
            controls.addWidget(label)
            controls.addWidget(w, 1 if w is self.beta else 0)
        self.message = QLabel("")
        self.message.setStyleSheet(_ERROR)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.hide()
        # -- plot: items created once, fed with setData
        self.plot = pg.PlotWidget(axisItems={"bottom": GroupedAxis("bottom"), "left": GroupedAxis("left")})
        self.plot.setMinimumHeight(180)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        pi = self.plot.getPlotItem()
        self.legend = OutsideLegend(pi)
        add_reset_zoom(pi, self.reset_zoom)
        pi.getViewBox().sigRangeChangedManually.connect(self._on_user_zoom)
        self.zero_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False)
        self.plot.addItem(self.zero_line, ignoreBounds=True)
        # Invisible edges of the zones (a PlotDataItem without a pen keeps no path to fill between).
        clear = pg.mkPen((0, 0, 0, 0))
        self._zero = pg.PlotDataItem(pen=clear)
        self._above = pg.PlotDataItem(pen=clear)
        self._below = pg.PlotDataItem(pen=clear)
        for item in (self._zero, self._above, self._below):
            self.plot.addItem(item)
        self.profit_fill = pg.FillBetweenItem(self._above, self._zero)
        self.loss_fill = pg.FillBetweenItem(self._below, self._zero)
        self.plot.addItem(self.profit_fill)
        self.plot.addItem(self.loss_fill)
        self.curve = self.plot.plot(name="Book PnL")
        self.capped_curve = self.plot.plot()
        self.liq_points = pg.ScatterPlotItem(size=10, symbol="x")
        self.plot.addItem(self.liq_points)
        self.liq_points.setZValue(15)
        self.break_points = pg.ScatterPlotItem(size=8, symbol="o")
        self.break_points.setZValue(15)
        self.plot.addItem(self.break_points)
        self.liq_lines: list[pg.InfiniteLine] = []
        self.mark_line = pg.InfiniteLine(
            angle=90, movable=False, label="Mark {value:,.2f}", labelOpts={"position": 0.03, "anchors": [(0, 1), (1, 1)]}
        )
        self.mark_line.setZValue(20)
        self.plot.addItem(self.mark_line, ignoreBounds=True)
        self.mark_line.hide()
        self.info = QLabel(" ")
        self.info.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (symbols, currencies)
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout = QLabel(" ")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self._mouse_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.controls)
        lay.addWidget(self.message)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.readout)
        lay.addWidget(self.info)
        self.coin.currentIndexChanged.connect(lambda *_: self._controls_changed())
        self.beta.editingFinished.connect(self._controls_changed)
        self.span.valueChanged.connect(lambda *_: self._controls_changed())
        self.apply_style(LIGHT)

    # -- style -------------------------------------------------------------
    def apply_style(self, style: PlotStyle) -> None:
        self.style_ = style
        profit, loss, line = _zones(style)
        self.plot.setBackground(style.background)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(style.foreground)
            ax.setTextPen(style.foreground)
        self.curve.setPen(pg.mkPen(line, width=2))
        self.capped_curve.setPen(pg.mkPen(style.requirement, width=1.5, style=Qt.PenStyle.DashLine))
        self.profit_fill.setBrush(pg.mkBrush(*profit))
        self.loss_fill.setBrush(pg.mkBrush(*loss))
        self.zero_line.setPen(pg.mkPen(style.foreground, width=1, style=Qt.PenStyle.DotLine))
        self.liq_points.setPen(pg.mkPen(style.liquidation, width=2))
        self.liq_points.setBrush(pg.mkBrush(style.liquidation))
        self.break_points.setPen(pg.mkPen(style.foreground, width=1))
        self.break_points.setBrush(pg.mkBrush(style.background))
        self.mark_line.setPen(pg.mkPen(style.mark, width=2))
        self.mark_line.label.setColor(style.mark)
        for line_item in self.liq_lines:
            line_item.setPen(pg.mkPen(style.liquidation, width=1, style=Qt.PenStyle.DashLine))
            line_item.label.setColor(style.liquidation)
        self.legend.apply_style(style)

    # -- data --------------------------------------------------------------
    def set_figures(self, figures: Figures) -> None:
        """Follow the document (``figuresChanged``): recompute now, or when next shown if lazy and hidden."""
        self.figures = figures
        self._sync_coins(figures)
        if self.lazy and not self.is_shown():
            self._dirty = True
            return
        self.refresh()

    def is_shown(self) -> bool:
        """True when the trader can see the plot (its dock is open and its tab in front)."""
        return self.isVisible() if self._shown is None else self._shown and self.isVisible()

    def set_shown(self, shown: bool) -> None:
        """The dock's ``visibilityChanged``: compute what was left while hidden."""
        self._shown = shown
        if shown and self._dirty:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty and self.is_shown():
            self.refresh()

    def _sync_coins(self, figures: Figures) -> None:
        symbols = payoff_symbols(figures.plan)
        if symbols == self._symbols:
            return
        current = self.coin.currentText()
        self._symbols = symbols
        self.coin.blockSignals(True)
        self.coin.clear()
        self.coin.addItems(symbols)
        wanted = current if current in symbols else (figures.symbol if figures.symbol in symbols else (symbols[0] if symbols else ""))
        self.coin.setCurrentIndex(max(0, self.coin.findText(wanted)))
        self.coin.blockSignals(False)

    def set_coin(self, symbol: str) -> None:
        """Put ``symbol`` (a symbol of the plan) on the price axis."""
        i = self.coin.findText(symbol)
        if i >= 0:
            self.coin.setCurrentIndex(i)

    def show_controls(self, shown: bool) -> None:
        """The controls, hover readout and summary line (hidden for the report, which prints them as text)."""
        for w in (self.controls, self.readout, self.info):
            w.setVisible(shown)

    def settings(self) -> PayoffSettings:
        """What the controls ask for (the report prints the same)."""
        return PayoffSettings(self.coin.currentText() or None, self.beta.text(), self.span.value() / 100.0)

    def apply_settings(self, settings: PayoffSettings) -> None:
        """Set the controls (the report's off-screen plot takes the window's choices)."""
        for w in (self.coin, self.beta, self.span):
            w.blockSignals(True)
        if settings.symbol is not None and self.coin.findText(settings.symbol) < 0:
            self.coin.addItem(settings.symbol)
        if settings.symbol is not None:
            self.coin.setCurrentIndex(self.coin.findText(settings.symbol))
        self.beta.setText(settings.beta)
        self.span.setValue(round(settings.span * 100))
        for w in (self.coin, self.beta, self.span):
            w.blockSignals(False)
        self._controls_changed()

    def _controls_changed(self) -> None:
        self.user_zoomed = False
        if self.figures is None:
            return
        if self.lazy and not self.is_shown():
            self._dirty = True
        else:
            self.refresh()

    def refresh(self) -> None:
        """Compute the payoff for the figures and the controls (skipped when nothing they depend on changed)."""
        self._dirty = False
        f = self.figures
        if f is None:
            return
        settings = self.settings()
        key = (f.plan, f.profile.id, tuple(sorted(f.marks.items())), settings)
        if key == self._key:
            return
        self._key = key
        try:
            view = payoff_view(f, settings)
        except PlannerError as exc:
            self._clear("")
            self.message.setText(exc.describe())
            self.message.show()
            return
        if view is None:
            self._clear("No figures: fix the marked fields first." if f.evaluation is None else "No positions: add a leg.")
            return
        self.message.hide()
        self.computed += 1
        self._draw(view, f)
        self.sigComputed.emit()

    def _clear(self, note: str) -> None:
        self.view = None
        for item in (self.curve, self.capped_curve, self._zero, self._above, self._below):
            item.setData([], [])
        self.liq_points.setData([], [])
        self.break_points.setData([], [])
        self.legend.set_entry(self.capped_curve, None)
        for line in self.liq_lines:
            line.hide()
        self.mark_line.hide()
        self.info.setText(note or " ")
        self.readout.setText(" ")

    def _draw(self, view: PayoffView, figures: Figures) -> None:
        self.view = view
        po, ccy, tick = view.payoff, view.currency, view.tick
        x, y = po.prices, po.pnl
        self.curve.setData(x, y)
        self._zero.setData(x, np.zeros_like(x))
        self._above.setData(x, np.maximum(y, 0.0))
        self._below.setData(x, np.minimum(y, 0.0))
        differs = bool(np.any(np.abs(po.pnl_capped - y) > 1e-9 * max(1.0, float(np.max(np.abs(y))))))
        self.capped_curve.setData(x, po.pnl_capped) if differs else self.capped_curve.setData([], [])
        self.legend.set_entry(self.capped_curve, "Loss capped at isolated margin" if differs else None)
        self.plot.setLabel("bottom", f"{po.symbol} price ({ccy})")
        self.plot.setLabel("left", f"Book PnL ({ccy})")
        self.mark_line.show()  # a hidden line's label does not follow its value
        self.mark_line.label.setFormat(f"Mark {{value:,.{tick_decimals(tick)}f}}")
        self.mark_line.setValue(view.mark)
        self.mark_line.label.valueChanged()
        self.break_points.setData(view.breakevens, [0.0] * len(view.breakevens))
        # Each leg's liquidation on the chosen coin's axis: a dashed line and a cross on the curve.
        lo, hi = float(x[0]), float(x[-1])
        on, off, none = [], [], []
        for i, lp in enumerate(po.liquidation_on_axis):
            pos = figures.plan.positions[i]
            name = f"#{i + 1} {pos.side.value} {pos.symbol}"
            if lp is None or not math.isfinite(lp):
                none.append(f"#{i + 1}")
            elif lo <= lp <= hi:
                on.append((i, lp, name))
            else:
                off.append(f"{name} at {fmt_price(lp, tick)}")
        while len(self.liq_lines) < len(on):
            line = pg.InfiniteLine(angle=90, movable=False, label="", labelOpts={"position": 0.95, "anchors": [(0.5, 0), (0.5, 0)]})
            line.setPen(pg.mkPen(self.style_.liquidation, width=1, style=Qt.PenStyle.DashLine))
            line.label.setColor(self.style_.liquidation)
            self.plot.addItem(line, ignoreBounds=True)
            self.liq_lines.append(line)
        # Labels are placed in pixels: a row is LABEL_ROW_PX tall, labels in one row LABEL_GAP_PX apart.
        vb = self.plot.getViewBox()
        w_px, h_px = max(vb.width(), 100.0), max(vb.height(), 60.0)
        rows = _label_rows([lp for _i, lp, _n in on], LABEL_GAP_PX * (hi - lo) / w_px, LABEL_ROWS)
        heights = [0.98 - k * LABEL_ROW_PX / h_px for k in range(LABEL_ROWS)]
        for k, line in enumerate(self.liq_lines):
            if k < len(on):
                i, lp, name = on[k]
                line.show()  # first: a hidden line's label does not follow its value
                line.setValue(lp)
                line.label.setFormat(f"#{i + 1}")
                line.label.setVisible(rows[k] is not None)
                line.label.setPosition(heights[rows[k] or 0])
                line.setToolTip(f"Leg {name} liquidated at {po.symbol} {fmt_price(lp, tick)}")
                line.label.valueChanged()
            else:
                line.hide()
        pts_x = [lp for _i, lp, _n in on]
        self.liq_points.setData(pts_x, list(np.interp(pts_x, x, y)) if pts_x else [])
        be = ", ".join(fmt_price(b, tick) for b in view.breakevens)
        summary = [f"Break-even {be}" if be else f"no break-even within ±{self.span.value()} %"]
        if on:
            summary.append(f"× = {len(on)} leg(s) liquidated on this axis (dashed lines, #leg)")
        if off:
            summary.append(f"{len(off)} beyond the axis")
        others = ", ".join(f"{s} {b:g}" for s, b in view.betas.items() if s != po.symbol)
        if others:
            summary.append(f"betas: {others}")
        self.info.setText(" · ".join(summary))
        detail = [f"Break-even {po.symbol}: {be or 'none on the axis'}"]
        detail += [f"{n} liquidated at {po.symbol} {fmt_price(lp, tick)}" for _i, lp, n in on]
        detail += [f"{t} (beyond the axis)" for t in off]
        if none:
            detail.append(f"no liquidation price (cross legs go with the account, or fully backed): {', '.join(none)}")
        detail.append("PnL unrealised, in quote currency, before fees and funding.")
        self.info.setToolTip("\n".join(detail))
        if not self.user_zoomed:
            self._fit()

    def _fit(self) -> None:
        if self.view is None:
            return
        po = self.view.payoff
        self.plot.setXRange(float(po.prices[0]), float(po.prices[-1]), padding=0.01)
        ys = np.concatenate([po.pnl, po.pnl_capped, np.zeros(1)])
        ys = ys[np.isfinite(ys)]
        lo, hi = float(ys.min()), float(ys.max())
        pad = 0.06 * max(hi - lo, 1e-9)
        self.plot.setYRange(lo - pad, hi + pad, padding=0)

    def reset_zoom(self) -> None:
        self.user_zoomed = False
        self._fit()

    def _on_user_zoom(self, *_: object) -> None:
        self.user_zoomed = True

    def _on_mouse(self, evt: tuple[object, ...]) -> None:
        view = self.view
        if view is None:
            return
        pos = evt[0]
        vb = self.plot.getViewBox()
        if not self.plot.sceneBoundingRect().contains(pos):
            return
        p = vb.mapSceneToView(pos)
        x = float(p.x())
        po = view.payoff
        if not float(po.prices[0]) <= x <= float(po.prices[-1]):
            self.readout.setText(" ")
            return
        pnl = float(np.interp(x, po.prices, po.pnl))
        self.readout.setText(f"{po.symbol} {fmt_price(x, view.tick)} → book PnL {fmt_signed_money(pnl, view.currency)}")

    def value_at(self, price: float) -> float:
        """The drawn curve's PnL at ``price`` (linear between grid points; tests compare it with ``payoff``)."""
        x, y = self.curve.getData()
        return float(np.interp(price, x, y))
