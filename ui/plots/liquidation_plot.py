"""Liquidation plot: account equity and maintenance margin against the selected symbol's mark.

Every number drawn comes from the document's ``Figures`` (the curves of
``planner.engine.curves.price_curves`` and the evaluation, computed once per
change by ``ui.document.PlanDocument``); this widget only places them. Plot
items are created once and updated with ``setData``/``setValue`` on every edit.

Portfolio-margin plans also get "PM liq." lines: the common move of every
underlying at which the account's equity meets its portfolio MM, read as a
price of the shown symbol (``Figures.portfolio_levels``); the per-leg levels
are then labelled "Std" (standard margin, beside it), and a line under the plot
states the PM levels, also those outside the view.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QVBoxLayout, QWidget

from planner.engine.curves import PriceCurves
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_signed_money, tick_decimals
from ui.document import Figures
from ui.plots.axes import GroupedAxis
from ui.plots.legend import OutsideLegend, add_reset_zoom
from ui.plots.style import LIGHT, PlotStyle

_KINDS = ("entry", "margin_call", "liquidation", "bankruptcy", "stop", "take_profit")
_STANDARD_KINDS = ("margin_call", "liquidation", "bankruptcy")  # labelled "Std" under portfolio margin
_KIND_LABEL = {
    "entry": "Entry",
    "margin_call": "Margin call",
    "liquidation": "Liq.",
    "bankruptcy": "Bankr.",
    "stop": "Stop",
    "take_profit": "TP",
}
#: Line styles of the trader's exits (the venue's levels are solid or dashed).
_EXIT_KINDS = ("stop", "take_profit")


class LiquidationPlot(QWidget):
    """Equity vs mark price, with the draggable what-if mark line."""

    markDragged = Signal(str, float)  # symbol, what-if mark price (quote currency)
    zoomResetRequested = Signal()  # "Reset zoom" in the plot's context menu

    #: Pixels between a level label and the plot's edges or the next label.
    LABEL_GAP = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figures: Figures | None = None
        self.symbol: str | None = None
        self.curves: PriceCurves | None = None
        self.style_ = LIGHT
        self._tick = 0.0
        self._view_serial: int | None = None
        self._axes: tuple[str, str, str] | None = None
        self._updating = False
        # Label prices of the last two draws by (price, tick, rounding side): an edit moves few levels.
        self._texts: dict[tuple[float, float, int], str] = {}
        self._texts_before: dict[tuple[float, float, int], str] = {}
        #: True once the user pans or zooms: edits then leave the view alone until "Reset zoom".
        self.user_zoomed = False
        self.hidden_labels = 0  # level labels with no free row (very crowded books); their values are in the readout
        self.plot = pg.PlotWidget(axisItems={"bottom": GroupedAxis("bottom"), "left": GroupedAxis("left")})
        self.plot.setMinimumHeight(220)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        pi = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            pi.getAxis(name).setZValue(-200)  # the axes draw the grid: under the view (z -100), so not over the labels
        self.legend = OutsideLegend(pi)  # above the data, never over a curve or a label
        add_reset_zoom(pi, self.zoomResetRequested.emit)
        pi.getViewBox().sigRangeChangedManually.connect(self._on_user_zoom)
        self.equity_curve = self.plot.plot(name="Account equity")
        self.requirement_curve = self.plot.plot(name="Maintenance margin")
        self.legend.relayout()
        # Shaded where equity is below maintenance margin: one polygon set per change (see _set_shortfall).
        self.shortfall = QGraphicsPathItem()
        self.shortfall.setPen(pg.mkPen(None))
        self.shortfall.setZValue(-1)  # under the curves
        self._shortfall_data: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.plot.addItem(self.shortfall)
        self.iso_curves: list[tuple[pg.PlotDataItem, pg.PlotDataItem]] = []
        self.level_lines: list[pg.InfiniteLine] = []
        #: Translucent loss (entry..stop) and profit (entry..take-profit) zones, pooled like the level lines.
        self.zones: list[pg.LinearRegionItem] = []
        #: The leg selected in the plan (0-based): only its zones are shaded, so a book's zones never pile up.
        self.leg: int | None = None
        self.mark_line = pg.InfiniteLine(
            angle=90, movable=True, label="Mark {value:,.2f}", labelOpts={"position": 0.04, "movable": False, "anchors": [(0, 1), (1, 1)]}
        )
        _compact(self.mark_line.label)
        self.mark_line.setZValue(20)
        self.mark_line.setHoverPen(pg.mkPen(width=4))
        self.plot.addItem(self.mark_line)
        self.mark_line.sigPositionChanged.connect(self._on_mark_moved)
        self.cross_v = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((128, 128, 128, 120), style=Qt.PenStyle.DashLine))
        self.cross_h = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen((128, 128, 128, 120), style=Qt.PenStyle.DashLine))
        for item in (self.cross_v, self.cross_h):
            item.setZValue(5)
            self.plot.addItem(item, ignoreBounds=True)
        #: Portfolio-margin liquidation lines (one per direction), pooled like ``level_lines`` and laid out with them.
        self.pm_lines: list[pg.InfiniteLine] = []
        self.pm_note = QLabel("")
        self.pm_note.setObjectName("pm-liquidation-note")
        self.pm_note.setTextFormat(Qt.TextFormat.PlainText)
        self.pm_note.setWordWrap(True)
        self.pm_note.hide()
        self.readout = QLabel(" ")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._mouse_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse)
        self.plot.getViewBox().sigXRangeChanged.connect(lambda *_: self._layout_labels())
        self.plot.getViewBox().sigResized.connect(lambda *_: self._layout_labels())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.pm_note)
        lay.addWidget(self.readout)
        self.apply_style(LIGHT)

    # -- style -------------------------------------------------------------
    def apply_style(self, style: PlotStyle) -> None:
        self.style_ = style
        self.plot.setBackground(style.background)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(style.foreground)
            ax.setTextPen(style.foreground)
        self.equity_curve.setPen(pg.mkPen(style.equity, width=2))
        self.requirement_curve.setPen(pg.mkPen(style.requirement, width=2, style=Qt.PenStyle.DashLine))
        self.shortfall.setBrush(pg.mkBrush(*style.shortfall))
        self.mark_line.setPen(pg.mkPen(style.mark, width=2))
        self.mark_line.label.setColor(style.mark)
        self.mark_line.label.fill = pg.mkBrush(self._label_fill())
        self.legend.apply_style(style)
        self._restyle_lines()
        for zone in self.zones:
            self._style_zone(zone)
        if self.figures is not None:
            self._axes = None  # axis labels take the new foreground colour
            self.set_figures(self.figures)

    def _restyle_lines(self) -> None:
        for line in self.level_lines:
            if line.kind:
                self._style_line(line)
        for line in self.pm_lines:
            self._style_pm_line(line)
        for i, (eq, rq) in enumerate(self.iso_curves):
            c = self.style_.isolated[i % len(self.style_.isolated)]
            eq.setPen(pg.mkPen(c, width=1.5))
            rq.setPen(pg.mkPen(c, width=1, style=Qt.PenStyle.DotLine))

    def _label_fill(self) -> tuple[int, int, int, int]:
        """Level labels sit on an opaque patch of the background: no curve, grid or line shows through them."""
        c = pg.mkColor(self.style_.background)
        return (c.red(), c.green(), c.blue(), 255)

    # -- data --------------------------------------------------------------
    def set_figures(self, figures: Figures) -> None:
        """Draw ``figures`` (move every item, none re-created).

        The view zooms to the figures' range when its view serial is new (new symbol,
        profile or file, Reset zoom), and refits whenever an entry, the mark or a
        liquidation price has left the view, unless the user has zoomed or panned.
        """
        self.figures = figures
        self._updating = True
        try:
            self._draw(figures)
            self._draw_portfolio(figures)
        finally:
            self._updating = False
        if figures.price is None:
            return
        if figures.view_serial != self._view_serial:
            self._view_serial = figures.view_serial
            self.user_zoomed = False
            self._zoom(figures)
        elif not self.user_zoomed and not self._levels_in_view(figures):
            self._zoom(figures)

    def set_leg(self, index: int | None) -> None:
        """Shade the loss and profit zones of leg ``index`` only (None: of every leg of the shown symbol)."""
        if index != self.leg:
            self.leg = index
            if self.figures is not None:
                self.set_figures(self.figures)

    def key_levels(self, figures: Figures) -> list[float]:
        """Entry, liquidation, stop and take-profit prices of the shown symbol's legs and its mark (quote currency):
        what the view must show."""
        ev = figures.evaluation
        pts = [] if figures.mark is None else [figures.mark]
        if ev is not None:
            for leg in ev.legs:
                if leg.symbol == figures.symbol:
                    pts += [v for v in (leg.entry_price, leg.liquidation_price) if v is not None and v > 0]
                    t = figures.targets.get(leg.index)
                    if t is not None:
                        pts += [v for v in (t.stop_price, t.take_profit_price) if v is not None]
        return pts

    def _levels_in_view(self, figures: Figures) -> bool:
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        if not all(x0 <= v <= x1 for v in self.key_levels(figures)):
            return False
        c = figures.price
        if c is None or figures.mark is None:
            return True
        # The account's equity at the mark must be on screen too (a bigger size rescales it).
        i = int(np.clip(np.searchsorted(c.prices, figures.mark), 0, len(c.prices) - 1))
        eq = float(c.equity[i])
        return not np.isfinite(eq) or y0 <= eq <= y1

    def reset_zoom(self) -> None:
        """Follow the plan again: clear the user-zoomed flag and fit the view to the levels."""
        self.user_zoomed = False
        if self.figures is not None and self.figures.price is not None:
            self._zoom(self.figures)

    def _on_user_zoom(self, *_: object) -> None:
        self.user_zoomed = True

    def _zoom(self, figures: Figures) -> None:
        """Zoom to the figures' range: entry, mark and liquidation prices of the symbol, equity from 0."""
        if figures.view_range is None or figures.price is None:
            return
        lo, hi = figures.view_range
        vb = self.plot.getViewBox()
        vb.setXRange(lo, hi, padding=0.04)
        c = figures.price
        sel = (c.prices >= lo) & (c.prices <= hi)
        ys = np.concatenate([c.equity[sel], c.requirement[sel]])
        ys = ys[np.isfinite(ys)]
        if ys.size:
            y0, y1 = float(ys.min()), float(ys.max())
            pad = 0.08 * max(y1 - y0, abs(y1) * 0.05, 1e-9)
            vb.setYRange(min(y0, 0.0) - pad, y1 + pad, padding=0)
        self._layout_labels()

    def _draw(self, figures: Figures) -> None:
        ev, c, symbol = figures.evaluation, figures.price, figures.symbol
        self.symbol = symbol
        if symbol is None or ev is None or c is None or figures.mark is None:
            self.curves = None
            for item in (self.equity_curve, self.requirement_curve):
                item.setData([], [])
            self._shortfall_data = None
            self.shortfall.setPath(QPainterPath())
            self._set_lines([])
            self._set_zones([])
            self.mark_line.hide()
            return
        spec = figures.profile.symbols[symbol]
        self._tick = spec.tick_size
        self.curves = c
        _set_curve(self.equity_curve, c.prices, c.equity)
        _set_curve(self.requirement_curve, c.prices, c.requirement)
        self._set_shortfall(c.prices, c.equity, c.requirement)
        self._set_iso(c)
        # Legs that share a level (hedged cross legs share one liquidation price) share one line.
        merged: dict[tuple[str, str], tuple[float, list[str]]] = {}
        for leg in ev.legs:
            if leg.symbol != symbol:
                continue
            s = 1 if leg.side == "long" else -1
            for kind, value in (
                ("entry", leg.entry_price),
                ("margin_call", leg.margin_call_price),
                ("liquidation", leg.liquidation_price),
                ("bankruptcy", leg.bankruptcy_price),
            ):
                if value is not None:
                    shown = self._price_text(value, spec.tick_size, 0 if kind == "entry" else s)
                    merged.setdefault((kind, shown), (float(value), []))[1].append(f"#{leg.index + 1}")
        zones: list[tuple[str, float, float, str]] = []
        late: set[tuple[str, str]] = set()  # stops that liquidation comes before: the label says so
        for leg in ev.legs:
            t = figures.targets.get(leg.index)
            if leg.symbol != symbol or t is None:
                continue
            for kind, value in (("stop", t.stop_price), ("take_profit", t.take_profit_price)):
                if value is not None:
                    key = (kind, self._price_text(value, spec.tick_size, 0))
                    merged.setdefault(key, (float(value), []))[1].append(f"#{leg.index + 1}")
                    if kind == "stop" and t.liquidation_first:
                        late.add(key)
                    row = t.stop if kind == "stop" else t.take_profit
                    if row is not None and (self.leg is None or self.leg == leg.index):
                        zone = "Loss" if kind == "stop" else "Profit"
                        tip = (
                            f"{zone} zone of #{leg.index + 1}: entry {fmt_price(t.entry_price, spec.tick_size)} to "
                            f"{_KIND_LABEL[kind]} {key[1]}; closed there: PnL {fmt_signed_money(row.pnl, t.settle)}, "
                            f"ROE {fmt_pct(row.roe)} (taker fees on entry and exit included)"
                        )
                        zones.append(("loss_zone" if kind == "stop" else "profit_zone", t.entry_price, float(value), tip))
        self._set_zones(zones)
        # Under portfolio margin the per-leg levels are standard margin's, drawn beside the PM line: say so.
        std = "Std " if ev.portfolio is not None else ""
        lines = [
            (
                kind,
                value,
                f"{std if kind in _STANDARD_KINDS else ''}{_KIND_LABEL[kind]} {','.join(tags)} {shown}"
                + (" (after liq.)" if (kind, shown) in late else ""),
            )
            for (kind, shown), (value, tags) in merged.items()
        ]
        self._texts, self._texts_before = {}, self._texts  # keep this draw's texts for the next draw
        self._set_lines(lines)
        self.mark_line.show()
        if float(self.mark_line.value()) != figures.mark:
            self.mark_line.setValue(figures.mark)
        axes = (symbol, c.currency, self.style_.foreground)
        if axes != self._axes:
            self._axes = axes
            decimals = min(4, max(0, tick_decimals(spec.tick_size)))
            self.mark_line.label.setFormat(f"Mark {{value:,.{decimals}f}}")
            self.plot.setLabel("bottom", f"{symbol} mark price ({spec.quote})", **{"color": self.style_.foreground})
            self.plot.setLabel("left", f"Equity / maintenance margin ({c.currency})", **{"color": self.style_.foreground})
        self._layout_labels()

    def _price_text(self, value: float, tick: float, side: int) -> str:
        """``fmt_price(value, tick, side)``, reused from the last draw when the level did not move (most do not)."""
        key = (value, tick, side)
        text = self._texts.get(key) or self._texts_before.get(key)
        if text is None:
            text = fmt_price(value, tick, side)
        self._texts[key] = text
        return text

    def _set_shortfall(self, x: np.ndarray, equity: np.ndarray, requirement: np.ndarray) -> None:
        """Shade the region between equity and maintenance margin where equity is below it.

        One closed polygon: along the equity curve, back along max(equity, requirement),
        so the region has no area where equity covers the requirement. Rebuilt only when
        the curves changed; points where either curve is not finite are left out.
        """
        last = self._shortfall_data
        if last is not None and all(np.array_equal(a, b, equal_nan=True) for a, b in zip(last, (x, equity, requirement), strict=True)):
            return
        self._shortfall_data = (x, equity, requirement)
        ok = np.isfinite(equity) & np.isfinite(requirement)
        xs, low = x[ok], equity[ok]
        high = np.maximum(low, requirement[ok])
        if xs.size < 2:
            self.shortfall.setPath(QPainterPath())
            return
        path = pg.arrayToQPath(np.concatenate([xs, xs[::-1]]), np.concatenate([low, high[::-1]]))
        path.closeSubpath()
        path.setFillRule(Qt.FillRule.OddEvenFill)
        self.shortfall.setPath(path)

    def _set_iso(self, c: PriceCurves) -> None:
        while len(self.iso_curves) < len(c.isolated):
            eq = self.plot.plot(name=None)
            rq = self.plot.plot(name=None)
            self.iso_curves.append((eq, rq))
            self._restyle_lines()
        for i, (eq, rq) in enumerate(self.iso_curves):
            if i < len(c.isolated):
                ic = c.isolated[i]
                _set_curve(eq, c.prices, ic.equity)
                _set_curve(rq, c.prices, ic.requirement)
                self.legend.set_entry(eq, f"#{ic.index + 1} isolated equity")
                eq.show()
                rq.show()
            else:
                self.legend.set_entry(eq, None)
                eq.hide()
                rq.hide()

    def _set_zones(self, zones: list[tuple[str, float, float, str]]) -> None:
        """Move the pooled zones: ``(kind, entry, exit, tooltip)``, kind ``loss_zone`` or ``profit_zone`` (quote prices)."""
        while len(self.zones) < len(zones):
            zone = pg.LinearRegionItem(orientation="vertical", movable=False)
            zone.kind = ""
            zone.setZValue(-20)  # under the grid's curves and every line
            for ln in zone.lines:
                ln.setPen(pg.mkPen(None))
                ln.setHoverPen(pg.mkPen(None))
            self.plot.addItem(zone, ignoreBounds=True)
            self.zones.append(zone)
        for i, zone in enumerate(self.zones):
            if i < len(zones):
                kind, a, b, tip = zones[i]
                zone.setToolTip(tip)
                if zone.kind != kind:
                    zone.kind = kind
                    self._style_zone(zone)
                if tuple(zone.getRegion()) != (min(a, b), max(a, b)):
                    zone.setRegion((min(a, b), max(a, b)))
                if not zone.isVisible():
                    zone.show()
            elif zone.isVisible():
                zone.hide()

    def _style_zone(self, zone: pg.LinearRegionItem) -> None:
        if zone.kind:
            brush = pg.mkBrush(*getattr(self.style_, zone.kind))
            zone.setBrush(brush)
            zone.setHoverBrush(brush)  # not movable: no hover highlight

    def _style_line(self, line: pg.InfiniteLine) -> None:
        color = getattr(self.style_, line.kind)
        style = (
            Qt.PenStyle.SolidLine
            if line.kind == "liquidation"
            else Qt.PenStyle.DashDotLine
            if line.kind in _EXIT_KINDS
            else Qt.PenStyle.DashLine
        )
        line.setPen(pg.mkPen(color, width=1.5, style=style))
        line.label.setColor(color)
        line.label.fill = pg.mkBrush(self._label_fill())
        line.label.update()

    def _set_lines(self, lines: list[tuple[str, float, str]]) -> None:
        """Move the pooled level lines; only what changed is touched (labels and pens are costly)."""
        while len(self.level_lines) < len(lines):
            line = pg.InfiniteLine(angle=90, movable=False)
            line.label = _LevelLabel(line, text="", position=0.9, movable=False)
            _compact(line.label)
            line.kind = ""
            line.state = None
            line.level = -1
            line.setZValue(10)
            self.plot.addItem(line, ignoreBounds=True)
            self.level_lines.append(line)
        for i, line in enumerate(self.level_lines):
            if i < len(lines):
                kind, value, text = lines[i]
                if line.kind != kind:
                    line.kind = kind
                    self._style_line(line)
                if not line.isVisible():
                    line.show()
                if line.state != (value, text):
                    if line.state is None or line.state[0] != value:
                        line.setValue(value)  # the label moves with its line (it is its child)
                    # Set directly, shown or hidden: after New → Add leg a label never keeps the previous plan's price.
                    line.label.setText(text)
                    line.state = (value, text)
            elif line.isVisible():
                line.hide()

    def _layout_labels(self) -> None:
        """Place level labels in rows from the top of the view so no two overlap (pixel rectangles).

        Labels go right of their line, or left when that would leave the view; each takes the
        first row where it meets no label already placed. The bottom row is kept for the mark's
        label. A label with no free row is hidden (counted in ``hidden_labels``) rather than drawn
        over another; zooming in frees rows.
        """
        vb = self.plot.getViewBox()
        rect = vb.sceneBoundingRect()
        shown = sorted((l for l in [*self.level_lines, *self.pm_lines] if l.isVisible()), key=lambda l: l.value())
        if not shown or rect.height() <= 0:
            self.hidden_labels = 0
            return
        gap = self.LABEL_GAP
        to_scene = self._scene_x()
        sizes = [l.label.boundingRect() for l in shown]
        row_h = max(r.height() for r in sizes) + gap
        rows = max(1, int((rect.height() - 2 * row_h) // row_h))  # the bottom row belongs to the mark's label
        placed: list[list[tuple[float, float]]] = [[] for _ in range(rows)]
        hidden = 0
        for line, size in zip(shown, sizes, strict=True):
            w = size.width()
            px = to_scene(float(line.value()))
            right = px + gap + w <= rect.right()
            spans = [(px, px + w + gap), (px - w - gap, px)] if right else [(px - w - gap, px), (px, px + w + gap)]
            spot = None
            for span in spans:
                if span[0] < rect.left() - 1 or span[1] > rect.right() + 1:
                    continue
                for r in range(rows):
                    if all(span[1] <= a or span[0] >= b for a, b in placed[r]):
                        spot = (r, span)
                        break
                if spot is not None:
                    break
            if spot is None:
                hidden += 1
                line.label.setVisible(False)
                continue
            r, span = spot
            placed[r].append(span)
            anchor = (0.0, 0.5) if span[0] >= px else (1.0, 0.5)
            y = rect.top() + gap + (r + 0.5) * row_h
            pos = 1.0 - (y - rect.top()) / rect.height()
            label = line.label
            if not label.isVisible():
                label.setVisible(True)
            elif label.orthoPos == pos and label.anchors[0] == anchor:
                line.level = r
                continue  # already there: pyqtgraph moves a label with its line and with the view
            label.anchors = [anchor, anchor]
            label.setPosition(pos)
            line.level = r
        self.hidden_labels = hidden
        self._stack_labels(to_scene)

    def _scene_x(self) -> Callable[[float], float]:
        """Scene x of a price on the plot's x axis (the view maps x linearly to the scene)."""
        vb = self.plot.getViewBox()
        (x0, x1), _ = vb.viewRange()
        s0 = vb.mapViewToScene(QPointF(x0, 0.0)).x()
        scale = (vb.mapViewToScene(QPointF(x1, 0.0)).x() - s0) / (x1 - x0) if x1 != x0 else 0.0
        return lambda x: s0 + (x - x0) * scale

    def _stack_labels(self, to_scene: Callable[[float], float] | None = None) -> None:
        """Stack the vertical lines so every label is drawn over each line that crosses it.

        A label is its line's child, so it is above another line only when its own line is:
        a line whose x falls inside a label is put below that label's line (a topological
        order; in the rare cycle the line crossing the fewest labels goes lowest). The lines
        stay between the crosshair (z 5) and nothing else.
        """
        lines = [l for l in self.level_lines if l.isVisible()]
        if self.mark_line.isVisible():
            lines.append(self.mark_line)
        if not lines:
            return
        scene_x = to_scene or self._scene_x()
        xs = [scene_x(float(l.value())) for l in lines]
        below: list[set[int]] = [set() for _ in lines]  # below[a]: lines that must be drawn under a's label
        for a, line in enumerate(lines):
            if not line.label.isVisible():
                continue
            box = line.label.sceneBoundingRect()
            below[a] = {b for b, x in enumerate(xs) if b != a and box.left() < x < box.right()}
        order: list[int] = []
        left = set(range(len(lines)))
        while left:
            free = [i for i in left if not (below[i] & left)]
            pick = min(free) if free else min(left, key=lambda i: (len(below[i] & left), i))
            order.append(pick)
            left.discard(pick)
        for k, i in enumerate(order):
            z = 10.0 + k / len(order)
            if lines[i].zValue() != z:
                lines[i].setZValue(z)

    # -- portfolio margin ----------------------------------------------------
    def _style_pm_line(self, line: pg.InfiniteLine) -> None:
        color = self.style_.liquidation
        line.setPen(pg.mkPen(color, width=2.5, style=Qt.PenStyle.DashDotDotLine))  # dash-dot alone is a stop / TP
        line.label.setColor(color)
        line.label.fill = pg.mkBrush(self._label_fill())
        line.label.update()

    def _draw_portfolio(self, figures: Figures) -> None:
        """PM liquidation lines and the note under the plot (portfolio-margin plans); hidden otherwise."""
        ev = figures.evaluation
        pm = ev.portfolio if ev is not None else None
        levels = figures.portfolio_levels if figures.symbol is not None and figures.price is not None else ()
        _rename_entry(self.legend.item, self.requirement_curve, "Standard maintenance margin" if pm is not None else "Maintenance margin")
        while len(self.pm_lines) < len(levels):
            line = pg.InfiniteLine(angle=90, movable=False)
            line.label = _LevelLabel(line, text="", position=0.9, movable=False)  # placed by _layout_labels
            _compact(line.label)
            line.setZValue(11)
            line.level = -1
            self._style_pm_line(line)
            self.plot.addItem(line, ignoreBounds=True)  # off-view PM levels never widen the zoom; the note names them
            self.pm_lines.append(line)
        if pm is None or figures.symbol is None:
            for line in self.pm_lines:
                line.hide()
            self.pm_note.hide()
            return
        spec = figures.profile.symbols[figures.symbol]
        kind = "cross X:PM" if pm.collateral == "cross" else "segregated S:PM"
        mm = {a.currency: a.maintenance_margin for a in pm.accounts}
        parts: list[str] = []
        for i, line in enumerate(self.pm_lines):
            if i >= len(levels):
                line.hide()
                continue
            lv = levels[i]
            shown = fmt_price(lv.price, spec.tick_size, 1 if lv.direction == "down" else -1)
            text = f"PM liq. {shown} ({fmt_pct(lv.move)})"
            tip = (
                f"Portfolio-margin liquidation, {kind}, {lv.account} account: equity falls to the portfolio MM "
                f"({fmt_money(mm.get(lv.account), lv.account)}) if every underlying moves together by {fmt_pct(lv.move)}; "
                f"{figures.symbol} is then at {shown}.\nThe 'Std' lines are standard (leg-by-leg) margin's levels, shown for comparison."
            )
            line.setValue(lv.price)
            line.label.setText(text)
            line.setToolTip(tip)
            line.label.setToolTip(tip)
            line.show()
            parts.append(f"{'↓' if lv.direction == 'down' else '↑'} {fmt_pct(lv.move)} → {figures.symbol} {shown}")
        # The account the shown symbol belongs to (segregated: its settlement currency; cross: the USD account).
        accounts = levels[0].account if levels else ("USD" if pm.collateral == "cross" else spec.settle)
        if parts:
            note = f"PM liquidation ({kind}, {accounts} account): every underlying moving together " + " or ".join(parts)
        elif any(a.currency == accounts and a.state == "liquidation" for a in pm.accounts):
            note = f"PM liquidation ({kind}, {accounts} account): equity is already at or below the portfolio MM"
        else:
            note = f"PM liquidation ({kind}, {accounts} account): no common move of every underlying reaches the portfolio MM"
        self.pm_note.setText(note + " · Std = standard margin")
        self.pm_note.setToolTip(
            "Portfolio margin is the venue's risk matrix on the whole account: the liquidation is a common move of every "
            "underlying, not a price of one leg. Figures from the engine's evaluation of the plan on screen."
        )
        self.pm_note.show()
        self._layout_labels()

    # -- interaction ---------------------------------------------------------
    def _on_mark_moved(self, line: pg.InfiniteLine) -> None:
        if self._updating or self.symbol is None:
            return
        value = float(line.value())
        if value > 0:
            self.markDragged.emit(self.symbol, value)

    def _on_mouse(self, event) -> None:
        pos = event[0]
        vb = self.plot.getViewBox()
        if self.curves is None or not self.plot.sceneBoundingRect().contains(pos):
            return
        pt = vb.mapSceneToView(pos)
        self.cross_v.setValue(pt.x())
        self.cross_h.setValue(pt.y())
        c = self.curves
        i = int(np.clip(np.searchsorted(c.prices, pt.x()), 0, len(c.prices) - 1))
        self.readout.setText(
            f"{c.symbol} at {fmt_price(float(c.prices[i]), self._tick)}:  equity {fmt_money(float(c.equity[i]), c.currency)}"
            f"   maintenance margin {fmt_money(float(c.requirement[i]), c.currency)}"
            f"   cursor y {fmt_money(pt.y(), c.currency)}"
        )


def _rename_entry(legend: pg.LegendItem, item: pg.PlotDataItem, name: str) -> None:
    """Rename ``item``'s legend entry in place (keeps its colour; no-op when unchanged or absent)."""
    label = legend.getLabel(item)
    if label is not None and label.text != name:
        label.setText(name, color=label.opts.get("color"))
        item.opts["name"] = name


class _LevelLabel(pg.InfLineLabel):
    """A level line's label: its text is set by :meth:`LiquidationPlot._set_lines` and its place by ``_layout_labels``.

    pyqtgraph's label re-formats its text and re-places itself on every move of its line;
    here neither depends on the move (the text is the level's own, the place along a
    vertical line depends on the view only), so a move costs the line alone.
    """

    def valueChanged(self) -> None:
        return None


def _set_curve(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """``item.setData(x, y)`` unless it already shows exactly these points (a redraw costs far more than the check)."""
    xs, ys = item.xData, item.yData
    if xs is not None and ys is not None and np.array_equal(xs, x) and np.array_equal(ys, y, equal_nan=True):
        return
    item.setData(x, y)


def _compact(label: pg.InfLineLabel) -> None:
    """Small font and a 1 px text margin: a label row takes ~15 px, so 6 legs' levels fit a 1280x720 window."""
    font = label.textItem.font()
    font.setPointSizeF(8.0)
    label.setFont(font)
    label.textItem.document().setDocumentMargin(1.0)
