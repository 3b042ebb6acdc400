"""Safe size through an event: per leg, the largest leverage keeping P(liquidation) at or below a target, and a heat map.

Renders :func:`planner.drills.safe_size.safe_size`, :func:`~planner.drills.safe_size.heatmap`
and :func:`~planner.drills.safe_size.heatmap_volatility` (no math here beyond
placing cells on axes). A run happens on a :class:`ui.docks.worker.DrillWorker`
thread with progress and Cancel; it uses the plan and the what-if marks on
screen at the moment Run is pressed, and its answer says which marks.

Trust rule: the result keeps the plan, profile and marks it ran on. When the
plan on screen (or its marks) differs, a banner says what differs and
"Apply safe leverage" is disabled until the next run; a cancelled run leaves
the previous result on screen, marked as the previous run's.

Probabilities are fractions in the engine and shown in percent; leverage in x,
horizons in hours, volatility annualised.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pyqtgraph as pg
from pydantic import ValidationError
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from planner.drills.events import EventPreset, bundled_events
from planner.drills.marks import marks_in_use, plan_at_marks
from planner.drills.montecarlo import default_steps
from planner.drills.safe_size import Heatmap, SafeSizeLeg, heatmap, heatmap_volatility, safe_size
from planner.model.errors import PlannerError, Problem, problems_from_validation
from planner.model.plan import Plan, Position
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_pct, fmt_price
from planner.present.trust import plan_differences
from ui.docks.worker import DrillWorker
from ui.plots.style import LIGHT, PlotStyle
from ui.report import DrillRecord

TITLE = "Safe size"
CUSTOM = "custom"
#: The heat map's colours run over log10(probability) from 0.01 % to 100 %.
LOG_FLOOR = -4.0
BANNER_STYLE = "background: rgba(255, 243, 191, 235); color: #5c4400; padding: 3px 6px; border: 1px solid #e8a200; border-radius: 3px;"
HEADERS = ["Leg", "Now (P liq.)", "Safe leverage", "P(liq.) at safe ± 95 %", "One step more", "Liq. price at safe", "Limited by"]
#: Most paths x monitoring steps a run holds (float32: 80 MB an array, about 300 MB at the peak of a search).
MAX_PATH_STEPS = 20_000_000
#: Event fields (EventPreset name -> label, scale from the model's fraction to the field's unit).
FIELDS = {
    "volatility": ("Volatility", 100.0),
    "typical_move": ("Event move", 100.0),
    "expected_jumps": ("Moves expected", 1.0),
    "horizon_hours": ("Horizon", 1.0),
}


@dataclass
class SafeSizeRun:
    """One finished run: its inputs (plan as it ran, marks, event, target) and the engine's answers."""

    plan: Plan
    profile_id: str
    marks: dict[str, float]  # what-if marks on screen at the run (symbol -> price), empty = the plan's marks
    where: str  # "at marks on screen: BTCUSDT 60,000, ..."
    event: EventPreset
    target: float
    paths: int
    seed: int
    legs: list[SafeSizeLeg]
    heat_leg: int
    heat: Heatmap | None = None
    heat_vol: Heatmap | None = None
    notes: list[str] = field(default_factory=list)


def heat_values(probability: np.ndarray) -> np.ndarray:
    """Colour values of probabilities (fractions): log10, floored at 0.01 %."""
    with np.errstate(divide="ignore"):
        return np.log10(np.clip(probability, 10**LOG_FLOOR, 1.0))


def heat_leverages(leg: SafeSizeLeg, n: int = 20) -> np.ndarray:
    """``n`` leverages from 1x to where the picture stops being interesting (x).

    Up to 2.5 times the safe leverage or 1.5 times the current one (at least 5x),
    never past the venue's maximum for the leg's size: the target line then sits
    in the middle of the map instead of at its left edge.
    """
    hi = max(5.0, 1.5 * leg.current_leverage, 2.5 * (leg.safe_leverage or 0.0))
    hi = min(leg.max_leverage, hi)
    return np.linspace(1.0, hi, n) if hi > 1.0 else np.array([leg.max_leverage])


def target_contour(hm: Heatmap, target: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the leverage where the probability reaches ``target`` (linear between rows); NaN-free arrays.

    Columns whose every leverage stays under the target, or that start above it, have no point.
    The probability is monotone in leverage on common random numbers, so each column crosses once.
    """
    cols = hm.horizons_hours if hm.axis == "horizon" else hm.volatilities
    xs: list[float] = []
    ys: list[float] = []
    for j in range(hm.probability.shape[1]):
        p = hm.probability[:, j]
        above = np.nonzero(p > target)[0]
        if above.size == 0 or above[0] == 0:
            continue
        k = int(above[0])
        p0, p1 = float(p[k - 1]), float(p[k])
        f = (target - p0) / (p1 - p0) if p1 > p0 else 0.0
        xs.append(float(hm.leverages[k - 1] + f * (hm.leverages[k] - hm.leverages[k - 1])))
        ys.append(float(cols[j]))
    return np.array(xs), np.array(ys)


class SafeSizePanel(QWidget):
    """Event, target and run controls; a per-leg answer table; a heat map; "Apply safe leverage" (one undo step).

    Signals: ``sigApplyPlan(plan, undo_text)`` for the document; ``recorded(DrillRecord)``
    for the report; ``finished()`` once a run's answer, error or cancellation is on screen.
    """

    sigApplyPlan = Signal(object, str)
    recorded = Signal(object)
    finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Plan | None = None
        self.draft: Plan | None = None  # the plan on screen when it is not valid (else None)
        self.profile: ExchangeProfile | None = None
        self.marks: dict[str, float] = {}
        self.result: SafeSizeRun | None = None
        self.worker: DrillWorker | None = None
        self._old_workers: list[DrillWorker] = []
        self._heat_job = False
        self._setting = False
        self.events = bundled_events()
        self._style = LIGHT
        self._build()

    # -- building -----------------------------------------------------------------
    def _build(self) -> None:
        form = QGridLayout()
        self.event_combo = QComboBox()
        for key, ev in self.events.items():
            self.event_combo.addItem(ev.name, key)
        self.event_combo.addItem("Custom event (the fields below)", CUSTOM)
        self.event_combo.setToolTip("A bundled event preset fills the fields; editing a field makes the event custom")
        # Wide ranges: out-of-range values are refused with a message when Run is pressed, never clamped.
        self.vol = QDoubleSpinBox(minimum=-1000.0, maximum=5000.0, decimals=1, suffix=" %/yr")
        self.vol.setToolTip("Annualised volatility of the price around the event (diffusion), e.g. 55 %/yr")
        self.jump_size = QDoubleSpinBox(minimum=-100.0, maximum=100.0, decimals=2, suffix=" %")
        self.jump_size.setToolTip("One standard deviation of the price jump the event causes (log-move), e.g. 2.5 %")
        self.jumps = QDoubleSpinBox(minimum=-10.0, maximum=1000.0, decimals=2)
        self.jumps.setToolTip("Jumps expected within the horizon: 1 for a scheduled release")
        self.horizon = QDoubleSpinBox(minimum=-1000.0, maximum=100000.0, decimals=1, suffix=" h")
        self.horizon.setToolTip("How long the position is held through the event, in hours")
        self.target = QDoubleSpinBox(minimum=-100.0, maximum=1000.0, decimals=2, suffix=" %", value=1.0, singleStep=0.25)
        self.target.setToolTip("Largest acceptable probability of liquidation through the event (default 1 %)")
        self.paths = QSpinBox(minimum=0, maximum=10_000_000, value=20_000, singleStep=5_000)
        self.paths.setGroupSeparatorShown(True)
        self.paths.setToolTip("Simulated price paths: more paths, smaller error bars, longer runs")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=7)
        self.seed.setToolTip("Random seed: the same seed gives the same answer (common random numbers across leverages)")
        self.heat_leg = QComboBox()
        self.heat_leg.setToolTip("The leg whose probability the heat map draws (also: click its row in the table)")
        self.heat_leg.currentIndexChanged.connect(self._heat_leg_changed)
        self.run_button = QPushButton("Find safe leverage")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        for spin in (self.vol, self.jump_size, self.jumps, self.horizon):
            spin.valueChanged.connect(self._field_edited)
        self.event_combo.currentIndexChanged.connect(self._preset_changed)
        self._preset_changed()
        # Two fields a row: the dock is short at 1280x720, so the answer should start high up.
        rows: list[tuple[tuple[str, QWidget], ...]] = [
            (("Event", self.event_combo),),
            ((FIELDS["volatility"][0], self.vol), (FIELDS["typical_move"][0], self.jump_size)),
            ((FIELDS["expected_jumps"][0], self.jumps), (FIELDS["horizon_hours"][0], self.horizon)),
            (("Target", self.target), ("Paths", self.paths)),
            (("Seed", self.seed), ("Map leg", self.heat_leg)),
        ]
        for r, row in enumerate(rows):
            for c, (text, widget) in enumerate(row):
                label = QLabel(text)
                label.setBuddy(widget)
                form.addWidget(label, r, 2 * c)
                form.addWidget(widget, r, 2 * c + 1, 1, 3 if len(row) == 1 else 1)
                # The range text sets a spin box's natural width; the dock is ~430 px wide at 1280x720.
                widget.setMinimumWidth(60)
                label.setToolTip(widget.toolTip())
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        form.addLayout(buttons, len(rows), 0, 1, 4)

        self.banner = QLabel()
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.hide()
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        self.summary = QLabel("Pick an event and a target, then Find safe leverage.")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(90)
        self.table.itemSelectionChanged.connect(self._row_selected)
        self.apply_button = QPushButton("Apply safe leverage")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply_selected)

        self.axis_combo = QComboBox()
        self.axis_combo.addItem("Leverage × horizon", "horizon")
        self.axis_combo.addItem("Leverage × event volatility", "volatility")
        self.axis_combo.setToolTip("Columns of the heat map: hours into the event, or the background volatility over its whole horizon")
        self.axis_combo.currentIndexChanged.connect(lambda *_: self._draw_heat())
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(260)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.image = pg.ImageItem(axisOrder="col-major")
        self.plot.addItem(self.image)
        cmap = pg.ColorMap([0.0, 0.45, 0.5, 0.7, 1.0], ["#2b8a3e", "#94d82d", "#fcc419", "#f76707", "#c92a2a"])
        self.colorbar = pg.ColorBarItem(values=(LOG_FLOOR, 0.0), colorMap=cmap, interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot.getPlotItem())
        self.colorbar.axis.setTicks([[(-4.0, "≤0.01%"), (-3.0, "0.1%"), (-2.0, "1%"), (-1.0, "10%"), (0.0, "100%")]])
        self.contour = pg.PlotDataItem(pen=pg.mkPen("#ffffff", width=2.5))
        self.contour_edge = pg.PlotDataItem(pen=pg.mkPen("#000000", width=4.5))
        self.plot.addItem(self.contour_edge)
        self.plot.addItem(self.contour)
        self.now_line = pg.InfiniteLine(angle=90, movable=False, label="now", labelOpts={"position": 0.92})
        self.safe_line = pg.InfiniteLine(angle=90, movable=False, label="safe", labelOpts={"position": 0.08})
        self.plot.addItem(self.now_line)
        self.plot.addItem(self.safe_line)
        self.plot.setLabel("bottom", "Leverage (x)")
        self.plot.setLabel("left", "Hours into the event")
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.heat_caption = QLabel()
        self.heat_caption.setTextFormat(Qt.TextFormat.PlainText)
        self.heat_caption.setWordWrap(True)
        self._show_heat_items(False)
        self.apply_style(self._style)

        apply_row = QHBoxLayout()
        apply_row.addWidget(self.apply_button)
        apply_row.addStretch(1)
        heat_row = QHBoxLayout()
        heat_row.addWidget(QLabel("Heat map"))
        heat_row.addWidget(self.axis_combo, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.banner)
        lay.addWidget(self.error)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addLayout(apply_row)
        lay.addLayout(heat_row)
        lay.addWidget(self.heat_caption)
        lay.addWidget(self.plot, 2)

    def apply_style(self, style: PlotStyle) -> None:
        """Plot background, axes and marker colours of the light or dark theme."""
        self._style = style
        self.plot.setBackground(style.background)
        for name in ("left", "bottom"):
            ax = self.plot.getAxis(name)
            ax.setPen(style.foreground)
            ax.setTextPen(style.foreground)
        self.colorbar.axis.setPen(style.foreground)
        self.colorbar.axis.setTextPen(style.foreground)
        self.colorbar.axis.setLabel("P(liquidation)", color=style.foreground)
        self.now_line.setPen(pg.mkPen(style.foreground, width=1.5))
        self.now_line.label.setColor(style.foreground)
        self.safe_line.setPen(pg.mkPen(style.foreground, width=1.5, style=Qt.PenStyle.DashLine))
        self.safe_line.label.setColor(style.foreground)

    # -- event fields -------------------------------------------------------------------
    def _preset_changed(self, *_: object) -> None:
        key = self.event_combo.currentData()
        if key not in self.events:
            return
        ev = self.events[key]
        self._setting = True
        try:
            self.vol.setValue(ev.volatility * 100.0)
            self.jump_size.setValue(ev.typical_move * 100.0)
            self.jumps.setValue(ev.expected_jumps)
            self.horizon.setValue(ev.horizon_hours)
        finally:
            self._setting = False

    def _field_edited(self, *_: object) -> None:
        if self._setting or self.event_combo.currentData() == CUSTOM:
            return
        base = self.events.get(self.event_combo.currentData())
        if base is not None and self._field_values(base) == {k: getattr(base, k) for k in FIELDS}:
            return
        self._base_key = self.event_combo.currentData()
        self.event_combo.blockSignals(True)
        self.event_combo.setCurrentIndex(self.event_combo.count() - 1)
        self.event_combo.blockSignals(False)

    def _field_values(self, base: EventPreset) -> dict[str, float]:
        """Each field in model units; a field still showing the preset's value keeps the preset's exact number."""
        out: dict[str, float] = {}
        for name, spin in (
            ("volatility", self.vol),
            ("typical_move", self.jump_size),
            ("expected_jumps", self.jumps),
            ("horizon_hours", self.horizon),
        ):
            scale = FIELDS[name][1]
            exact = float(getattr(base, name))
            out[name] = exact if spin.value() == round(exact * scale, spin.decimals()) else spin.value() / scale
        return out

    def event_preset(self) -> EventPreset:
        """The event the fields describe: the chosen preset, or a custom one validated field by field."""
        key = self.event_combo.currentData()
        if key in self.events:
            return self.events[key]
        base = self.events.get(getattr(self, "_base_key", ""), next(iter(self.events.values())))
        data = {**base.model_dump(), **self._field_values(base), "id": CUSTOM, "name": "Custom event"}
        try:
            return EventPreset.model_validate(data)
        except ValidationError as exc:
            problems = [Problem(FIELDS.get(p.path, (p.path, 1.0))[0], p.message) for p in problems_from_validation(exc)]
            raise PlannerError(problems, "Safe size") from None

    def event_text(self, ev: EventPreset) -> str:
        return (
            f"{ev.name}: {ev.horizon_hours:g} h, volatility {ev.volatility * 100:.1f} %/yr, "
            f"{ev.expected_jumps:g} event move{'s' if ev.expected_jumps != 1 else ''} of {ev.typical_move * 100:.2f} % (1 s.d.)"
        )

    # -- context --------------------------------------------------------------------
    def set_context(self, plan: Plan | None, profile: ExchangeProfile | None, marks: dict[str, float] | None = None) -> None:
        """The valid plan, profile and what-if marks on screen; a new plan or profile cancels a running search."""
        if self.worker is not None and (plan != self.plan or profile is not self.profile):
            self.cancel(reason="the plan changed while it ran" if not self._heat_job else "")
        self.plan, self.profile = plan, profile
        self.marks = dict(marks or {})
        self.draft = None
        names = [f"#{i + 1} {p.symbol}" for i, p in enumerate(plan.positions if plan is not None else [])]
        if names != getattr(self, "_heat_names", None):  # rebuilt only when the legs change, not on every edit
            self._heat_names = names
            current = self.heat_leg.currentIndex()
            self.heat_leg.blockSignals(True)
            self.heat_leg.clear()
            for i, name in enumerate(names):
                self.heat_leg.addItem(name, i)
            self.heat_leg.setCurrentIndex(min(max(current, 0), self.heat_leg.count() - 1))
            self.heat_leg.blockSignals(False)
        self._update_trust()

    def set_draft(self, draft: Plan | None) -> None:
        """The plan on screen when it differs from the last valid plan (an edit with problems); None when they agree."""
        self.draft = draft if draft is not None and draft != self.plan else None
        self._update_trust()

    def on_screen(self) -> Plan | None:
        return self.draft if self.draft is not None else self.plan

    def stale_reason(self) -> str:
        """What differs between the shown result's plan/marks and what is on screen ("" when the result is current)."""
        r, shown = self.result, self.on_screen()
        if r is None or shown is None:
            return ""
        diffs = plan_differences(r.plan, shown)
        if self.profile is not None and r.profile_id != self.profile.id and not any(d.startswith("profile") for d in diffs):
            diffs.insert(0, f"profile {r.profile_id} (on screen {self.profile.id})")
        if not diffs and r.marks != self.marks:
            diffs.append("the what-if marks moved")
        return "; ".join(diffs[:3]) + (" …" if len(diffs) > 3 else "")

    def is_stale(self) -> bool:
        return bool(self.stale_reason())

    def _update_trust(self, extra: str = "") -> None:
        reason = self.stale_reason()
        parts = []
        if extra:
            parts.append(extra)
        if reason:
            parts.append(f"Result for an earlier plan: {reason}. Run again for the plan on screen.")
        if parts:
            self.banner.setText(" ".join(parts))
            self.banner.show()
        else:
            self.banner.hide()
        self._update_apply()

    # -- running ------------------------------------------------------------------------
    def run(self) -> bool:
        """Start a search on the plan and marks on screen; False (with a message) when it cannot start."""
        if self.plan is None or self.profile is None or not self.plan.positions:
            self.error.setText("No positions to size.")
            return False
        if self.draft is not None:
            self.error.setText("The plan on screen has problems (marked at the fields): fix them to size it.")
            return False
        target_pct = self.target.value()
        if not 0.0 < target_pct < 100.0:
            self.error.setText(f"Target P(liquidation): must be between 0 and 100 % (got {target_pct:g} %)")
            return False
        try:
            ev = self.event_preset()
        except PlannerError as exc:
            self.error.setText(exc.describe())
            return False
        paths = self.paths.value()
        most = max(100, int(MAX_PATH_STEPS // default_steps(ev.horizon_hours)) // 1000 * 1000)
        if not 100 <= paths <= most:
            self.error.setText(f"Paths: must be a whole number from 100 to {most:,} for a {ev.horizon_hours:g} h event (got {paths:,})")
            return False
        self.error.setText("")
        plan, profile, marks = self.plan, self.profile, dict(self.marks)
        target, seed = target_pct / 100.0, self.seed.value()
        heat_leg = max(0, self.heat_leg.currentIndex())
        at_marks = plan_at_marks(plan, marks)
        used = marks_in_use(plan, marks)
        where = "at marks on screen: " + ", ".join(
            f"{sym} {fmt_price(px)}" + (" (what-if)" if sym in marks else "") for sym, px in used.items()
        )

        def job(progress: Callable[[float], bool]) -> SafeSizeRun | None:
            legs = safe_size(at_marks, profile, ev, target=target, paths=paths, seed=seed, progress=lambda f: progress(0.6 * f))
            if len(legs) < len(plan.positions) or not progress(0.6):
                return None
            levs = heat_leverages(legs[heat_leg])
            heat = heatmap(at_marks, profile, ev, leg=heat_leg, leverages=levs, seed=seed, progress=lambda f: progress(0.6 + 0.2 * f))
            if not progress(0.8):
                return None
            heat_vol = heatmap_volatility(
                at_marks, profile, ev, leg=heat_leg, leverages=levs, seed=seed, progress=lambda f: progress(0.8 + 0.2 * f)
            )
            return SafeSizeRun(plan, profile.id, marks, where, ev, target, paths, seed, legs, heat_leg, heat, heat_vol)

        self._start(job)
        return True

    def _start(self, job: Callable[[Callable[[float], bool]], SafeSizeRun | None], busy: str = "Searching…") -> None:
        self.cancel(reason="")
        self._heat_job = busy != "Searching…"  # another leg's heat map only: Apply stays available
        w = DrillWorker(job, self)
        w.progressed.connect(lambda f, w=w: self.progress.setValue(int(f * 1000)) if w is self.worker else None)
        w.finishedWith.connect(lambda res, err, w=w: self._done(w, res, err))
        self.worker = w
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self.run_button.setEnabled(False)
        self.summary.setText(busy + (" (the result below is the previous run's until this one ends)" if self.result else ""))
        w.start()
        self._update_apply()

    def cancel(self, *_: object, reason: str = "cancelled") -> None:
        """Stop a running search (its answer is dropped); the previous result stays, marked as the previous run's."""
        if self.worker is None:
            return
        self.worker.cancel()
        self._old_workers = [o for o in self._old_workers if o.isRunning()] + [self.worker]
        self.worker = None
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(True)
        self.progress.setValue(0)
        if reason:
            note = "Search cancelled." if reason == "cancelled" else f"Search stopped: {reason}."
            note += " Shown: the previous run's result." if self.result is not None else ""
            self.summary.setText(self._summary_text() if self.result is not None else "")
            self._update_trust(note)
            self.finished.emit()

    def wait_idle(self, ms: int = 30000) -> None:
        """Test/close helper: wait for every worker thread to end."""
        for w in self._old_workers + ([self.worker] if self.worker else []):
            w.wait(ms)

    def _done(self, w: DrillWorker, result: SafeSizeRun | None, err: str | None) -> None:
        if w is not self.worker:  # cancelled, or superseded by a newer run
            return
        self.worker = None
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(True)
        if err or result is None:
            self.error.setText(err or "Search stopped.")
            self.finished.emit()
            return
        self.progress.setValue(1000)
        heat_only = self.result is not None and result.legs is self.result.legs
        self.result = result
        if heat_only:  # another leg's heat map for the same answer: no scroll, the table stays
            self.summary.setText(self._summary_text())
            self._update_trust()
            self._draw_heat()
        else:
            self._show_result()
        self.finished.emit()

    def _row_selected(self) -> None:
        """A leg picked in the table is the leg the heat map draws."""
        self._update_apply()
        leg = self.selected_leg()
        if leg is not None and leg.index < self.heat_leg.count():
            self.heat_leg.setCurrentIndex(leg.index)

    def _heat_leg_changed(self, *_: object) -> None:
        """Draw the chosen leg's heat maps for the shown answer (same plan, marks, event and seed) on the worker."""
        r, i, profile = self.result, self.heat_leg.currentIndex(), self.profile
        if r is None or profile is None or i < 0 or i == r.heat_leg or self.is_stale() or self.worker is not None:
            return
        leg = next((x for x in r.legs if x.index == i), None)
        if leg is None:
            return
        at_marks = plan_at_marks(r.plan, r.marks)

        def job(progress: Callable[[float], bool]) -> SafeSizeRun | None:
            levs = heat_leverages(leg)
            heat = heatmap(at_marks, profile, r.event, leg=i, leverages=levs, seed=r.seed, progress=lambda f: progress(0.5 * f))
            if not progress(0.5):
                return None
            heat_vol = heatmap_volatility(
                at_marks, profile, r.event, leg=i, leverages=levs, seed=r.seed, progress=lambda f: progress(0.5 + 0.5 * f)
            )
            return replace(r, heat_leg=i, heat=heat, heat_vol=heat_vol)

        self._start(job, busy=f"Drawing the heat map of leg #{i + 1}…")

    # -- showing --------------------------------------------------------------------------
    def _summary_text(self) -> str:
        r = self.result
        if r is None:
            return ""
        return (
            f"Largest leverage with P(liquidation within {r.event.horizon_hours:g} h) ≤ {fmt_pct(r.target)}; "
            f"{self.event_text(r.event)}; {r.paths:,} paths, seed {r.seed}; {r.where}. "
            "Each leg alone, isolated (margin = value / leverage); a cross leg's 'now' is its account's."
        )

    def rows(self) -> list[list[str]]:
        """The table's texts of the shown result, one row per leg (HEADERS order)."""
        r = self.result
        if r is None:
            return []
        out = []
        for leg in r.legs:
            if leg.safe_leverage is None:
                safe, p_safe = "none", f"even {leg.next_leverage or 0:g}x exceeds"
            else:
                safe, p_safe = f"{leg.safe_leverage:g}x", f"{fmt_pct(leg.probability)} ± {fmt_pct(leg.half_width)}"
            nxt = (
                f"{leg.next_leverage:g}x: {fmt_pct(leg.next_probability)}"
                if leg.next_leverage and leg.next_probability is not None
                else "—"
            )
            limited = {"target": "target", "venue": f"venue max {leg.max_leverage:g}x", "none": "target at any leverage"}.get(
                leg.limited_by, leg.limited_by
            )
            out.append(
                [
                    f"#{leg.index + 1} {leg.side} {leg.symbol}" + (" (cross)" if leg.margin_mode == "cross" else ""),
                    f"{leg.current_leverage:g}x, {fmt_pct(leg.current_probability)}",
                    safe,
                    p_safe,
                    nxt,
                    fmt_price(leg.liquidation_price) if leg.liquidation_price is not None else "none",
                    limited,
                ]
            )
        return out

    def _show_result(self) -> None:
        r = self.result
        assert r is not None
        rows = self.rows()
        self.table.setRowCount(len(rows))
        for i, (row, leg) in enumerate(zip(rows, r.legs, strict=True)):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                tip = [text]
                if c == 2 and leg.safe_leverage is not None and leg.margin_mode == "cross":
                    # A cross leg's risk now is the account's ("Now"); its safe leverage is for the leg alone, isolated.
                    tip = [f"{leg.safe_leverage:g}x if this leg were isolated on its own; as a cross leg its risk now is the account's"]
                elif c == 2 and leg.safe_leverage is not None:
                    above = leg.safe_leverage < leg.current_leverage
                    item.setForeground(pg.mkColor("#c92a2a" if above else "#2b8a3e"))
                    tip = [
                        f"now {leg.current_leverage:g}x is "
                        + ("above the safe leverage: reduce it" if above else "within the safe leverage")
                    ]
                if leg.note:
                    tip.append(leg.note)
                item.setToolTip("\n".join(tip))
                self.table.setItem(i, c, item)
        self.table.resizeColumnsToContents()
        if rows:
            self.table.selectRow(min(r.heat_leg, len(rows) - 1))
        self.summary.setText(self._summary_text())
        self._update_trust()
        self._draw_heat()
        self._scroll_to_answer()
        setup = f"{self.event_text(r.event)}; target {fmt_pct(r.target)}; {r.paths:,} paths, seed {r.seed}; {r.where}"
        self.recorded.emit(DrillRecord(TITLE, setup, list(HEADERS), rows, self.summary.text(), plan=r.plan))

    def _scroll_to_answer(self) -> None:
        """In a scrolled dock, bring the answer (summary, table) to the top of the view."""
        area, w = None, self.parentWidget()
        while w is not None and area is None:
            area = w if isinstance(w, QScrollArea) else None
            w = w.parentWidget()
        inner = area.widget() if area is not None else None
        if area is None or inner is None:
            return
        y = self.summary.mapTo(inner, QPoint(0, 0)).y() - 6
        area.verticalScrollBar().setValue(max(0, y))

    def shown_heatmap(self) -> Heatmap | None:
        r = self.result
        if r is None:
            return None
        return r.heat if self.axis_combo.currentData() == "horizon" else r.heat_vol

    def _show_heat_items(self, on: bool) -> None:
        for item in (self.image, self.contour, self.contour_edge, self.now_line, self.safe_line):
            item.setVisible(on)

    def _draw_heat(self) -> None:
        hm, r = self.shown_heatmap(), self.result
        if hm is None or r is None:
            self._show_heat_items(False)
            self.heat_caption.setText("")
            return
        cols = hm.horizons_hours if hm.axis == "horizon" else hm.volatilities * 100.0
        x0, x1 = float(hm.leverages[0]), float(hm.leverages[-1])
        y0, y1 = float(cols[0]), float(cols[-1])
        dx = (x1 - x0) / max(1, len(hm.leverages) - 1) or 1.0
        dy = (y1 - y0) / max(1, len(cols) - 1) or 1.0
        self.image.setImage(heat_values(hm.probability), levels=(LOG_FLOOR, 0.0), autoLevels=False)
        self.image.setRect(QRectF(x0 - dx / 2, y0 - dy / 2, dx * len(hm.leverages), dy * len(cols)))
        xs, ys = target_contour(hm, r.target)
        ys_shown = ys * 100.0 if hm.axis == "volatility" else ys
        self.contour.setData(xs, ys_shown)
        self.contour_edge.setData(xs, ys_shown)
        leg = r.legs[[leg.index for leg in r.legs].index(r.heat_leg)] if any(leg.index == r.heat_leg for leg in r.legs) else None
        self._show_heat_items(True)
        if leg is not None:
            self.now_line.setValue(leg.current_leverage)
            self.now_line.label.setFormat(f"now {leg.current_leverage:g}x")
            self.now_line.setVisible(x0 - dx <= leg.current_leverage <= x1 + dx)
            if leg.safe_leverage is not None:
                self.safe_line.setValue(leg.safe_leverage)
                self.safe_line.label.setFormat(f"safe {leg.safe_leverage:g}x")
            self.safe_line.setVisible(leg.safe_leverage is not None)
        self.plot.setLabel("left", "Hours into the event (h)" if hm.axis == "horizon" else "Background volatility (%/yr)")
        self.plot.setXRange(x0 - dx / 2, x0 + dx * (len(hm.leverages) - 0.5), padding=0)
        self.plot.setYRange(y0 - dy / 2, y0 + dy * (len(cols) - 0.5), padding=0)
        what = "over hours into the event" if hm.axis == "horizon" else f"over background volatility, whole {r.event.horizon_hours:g} h"
        self.heat_caption.setText(
            f"Leg #{r.heat_leg + 1} {hm.symbol}: P(liquidation) {what}. Line: the {fmt_pct(r.target)} target "
            "(left of it is safer). Hover a cell for its figures."
        )

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """Row (leverage) and column of the shown heat map at data coordinates (x = leverage, y = column value)."""
        hm = self.shown_heatmap()
        if hm is None:
            return None
        cols = hm.horizons_hours if hm.axis == "horizon" else hm.volatilities * 100.0
        i = int(np.argmin(np.abs(hm.leverages - x)))
        j = int(np.argmin(np.abs(cols - y)))
        dx = abs(float(hm.leverages[-1] - hm.leverages[0])) / max(1, len(hm.leverages) - 1) or 1.0
        dy = abs(float(cols[-1] - cols[0])) / max(1, len(cols) - 1) or 1.0
        if abs(hm.leverages[i] - x) > dx / 2 + 1e-9 or abs(cols[j] - y) > dy / 2 + 1e-9:
            return None
        return i, j

    def cell_text(self, i: int, j: int) -> str:
        """Tooltip of heat-map cell (i, j): its leverage, column value, probability with error bar and liquidation price."""
        hm = self.shown_heatmap()
        if hm is None:
            return ""
        col = f"{hm.horizons_hours[j]:.3g} h into the event" if hm.axis == "horizon" else f"volatility {hm.volatilities[j] * 100:.0f} %/yr"
        lp = float(hm.liquidation_prices[i])
        liq = f"liquidation at {fmt_price(lp)}" if math.isfinite(lp) and lp > 0 else "no liquidation price"
        return (
            f"{hm.leverages[i]:.3g}x · {col}\nP(liquidation) {fmt_pct(float(hm.probability[i, j]))} "
            f"± {fmt_pct(float(hm.half_width[i, j]))} · {liq}"
        )

    def _hover(self, pos: QPointF) -> None:
        if self.shown_heatmap() is None:
            return
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return
        p = vb.mapSceneToView(pos)
        cell = self.cell_at(p.x(), p.y())
        text = self.cell_text(*cell) if cell is not None else ""
        self.plot.setToolTip(text)
        if text:
            QToolTip.showText(QCursor.pos(), text, self.plot)

    # -- applying --------------------------------------------------------------------------
    def selected_leg(self) -> SafeSizeLeg | None:
        r = self.result
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if r is None or not rows or rows[0].row() >= len(r.legs):
            return None
        return r.legs[rows[0].row()]

    def _update_apply(self) -> None:
        leg = self.selected_leg()
        searching = self.worker is not None and not self._heat_job
        ok = leg is not None and leg.safe_leverage is not None and not self.is_stale() and not searching
        if leg is None or leg.safe_leverage is None:
            self.apply_button.setText("Apply safe leverage")
            tip = "Select a leg with a safe leverage in the table"
        else:
            self.apply_button.setText(f"Apply {leg.safe_leverage:g}x to #{leg.index + 1} {leg.symbol} (now {leg.current_leverage:g}x)")
            tip = "Sets the leg's leverage (one undoable step)"
            if leg.margin_mode == "isolated":
                tip += "; its isolated margin becomes value at entry / leverage, as the search assumed"
            else:
                tip += "; a cross leg's liquidation depends on the whole account, so this changes its initial margin only"
        if self.is_stale():
            tip = "The plan changed since this result: run again to apply"
            ok = False
        self.apply_button.setEnabled(bool(ok and leg is not None and leg.safe_leverage != leg.current_leverage))
        self.apply_button.setToolTip(tip)

    def apply_selected(self) -> bool:
        """Emit the plan with the selected leg at its safe leverage (isolated: margin back to value / leverage)."""
        leg = self.selected_leg()
        r = self.result
        if leg is None or r is None or leg.safe_leverage is None or self.is_stale():
            return False
        pos = r.plan.positions[leg.index]
        changes: dict[str, object] = {"leverage": leg.safe_leverage}
        if pos.margin_mode.value == "isolated":
            changes["isolated_margin"] = None
        positions = list(r.plan.positions)
        positions[leg.index] = Position.model_validate({**pos.model_dump(), **changes})
        new_plan = r.plan.model_copy(update={"positions": positions})
        self.sigApplyPlan.emit(new_plan, f"Safe leverage: leg {leg.index + 1} {leg.symbol} {pos.leverage:g}x → {leg.safe_leverage:g}x")
        return True
