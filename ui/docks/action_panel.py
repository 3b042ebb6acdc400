"""Margin-call action plan panel: lists planner.drills.actions steps; "Apply" emits the modified plan (no math here).

The action plan costs a few dozen evaluations of the book (0.1-0.3 s for 20
legs), so it runs on the panel's own worker thread: :meth:`ActionPanel.set_context`
shows "Updating…" at once and returns; the steps appear when the worker is
done. A newer context supersedes an older one: each computation carries a
generation number and a result whose generation is not the latest is dropped,
so a stale plan is never shown nor applied.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner.drills.actions import ActionPlan, ActionSettings, action_plan
from planner.engine.evaluate import Evaluation
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_ratio

UPDATING = "Updating…"
#: Delay between a new context and the start of its computation (ms): a frame or two, so the figures
#: of a window being opened or edited are drawn first (the action plan costs 0.1-0.2 s of interpreter time).
LAUNCH_DELAY_MS = 50


class _Relay(QObject):
    """Carries a finished computation's generation from the worker thread to the panel (queued)."""

    done = Signal(int)


class ActionPanel(QWidget):
    """Shows the ordered action plan for the current plan; Apply emits ``sigApplyPlan(plan, undo_text)``.

    ``sigUpdated`` is emitted once the steps (or the reason there are none)
    of the latest context are on screen; :meth:`flush` waits for that.
    """

    sigApplyPlan = Signal(object, str)
    sigUpdated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: ActionPlan | None = None
        self.marks: dict[str, float] | None = None
        self._context: tuple[Plan, ExchangeProfile, Evaluation | None] | None = None
        # One worker thread, owned by the panel: its destructor waits for a running computation.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._lock = threading.Lock()
        self._finished: dict[int, ActionPlan | PlannerError] = {}  # written by the worker, read here
        self._generation = 0  # of the latest context
        self._shown = 0  # generation on screen
        # The computation is handed to the worker LAUNCH_DELAY_MS after the context arrives, from the
        # event loop: the window being built (or the edit) is painted before the worker competes with
        # the GUI thread for the interpreter, and a burst of contexts starts only the last.
        self._job: Callable[[], None] | None = None
        self._launch_timer = QTimer(self)
        self._launch_timer.setSingleShot(True)
        self._launch_timer.setInterval(LAUNCH_DELAY_MS)
        self._launch_timer.timeout.connect(self._launch)
        self.buffer = QDoubleSpinBox(minimum=-100.0, maximum=100.0, decimals=1, suffix=" %", value=5.0)
        self.target_distance = QDoubleSpinBox(minimum=0.0, maximum=95.0, decimals=1, suffix=" %", value=10.0)
        self.stop_distance = QDoubleSpinBox(minimum=0.0, maximum=50.0, decimals=1, suffix=" %", value=4.0)
        form = QFormLayout()
        form.addRow("Top-up safety buffer", self.buffer)
        form.addRow("Liquidation distance wanted", self.target_distance)
        form.addRow("Stop-loss beyond mark", self.stop_distance)
        for box in (self.buffer, self.target_distance, self.stop_distance):
            box.valueChanged.connect(self.refresh)
        self.header = QLabel("No plan yet.")
        self.header.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.header.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Step", "Amount", "Ratio after", "State after"])
        self.tree.setWordWrap(True)
        self.apply_button = QPushButton("Apply step")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply_selected)
        self.tree.currentItemChanged.connect(self._on_current)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.header)
        lay.addWidget(self.tree, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.apply_button)
        lay.addLayout(row)

    def set_context(
        self, plan: Plan, profile: ExchangeProfile, evaluation: Evaluation | None = None, marks: dict[str, float] | None = None
    ) -> None:
        """Recompute the action plan (engine) for ``plan`` on ``profile`` at ``marks``, on the worker thread.

        ``evaluation`` is the caller's evaluation of ``plan`` at ``marks`` (reused,
        not recomputed) or None. Returns at once with "Updating…" shown; any
        computation still running for an older context is superseded.
        """
        self.marks = marks or None
        self._context = (plan, profile, evaluation)
        self._start()

    @property
    def pending(self) -> bool:
        """True while the shown steps do not belong to the latest context."""
        return self._shown != self._generation

    def _start(self) -> None:
        assert self._context is not None
        plan, profile, evaluation = self._context
        marks, settings = self.marks, self.settings()
        self._generation += 1
        gen = self._generation
        self._pool.clear()  # superseded computations that have not started never run
        self.header.setText(UPDATING)
        self.tree.setEnabled(False)
        self.apply_button.setEnabled(False)
        relay, lock, finished = self._relay, self._lock, self._finished

        def job() -> None:
            try:
                result: ActionPlan | PlannerError = action_plan(plan, profile, marks=marks, settings=settings, evaluation=evaluation)
            except PlannerError as exc:
                result = exc
            except Exception as exc:  # reported in the panel, never raised into Qt
                result = PlannerError([Problem("actions", f"the action plan failed: {exc}")])
            with lock:
                finished[gen] = result
            with contextlib.suppress(RuntimeError):  # the panel is gone
                relay.done.emit(gen)

        self._job = job
        self._launch_timer.start()

    def _launch(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            self._pool.start(job)

    @Slot(int)
    def _on_done(self, gen: int) -> None:
        """A computation finished: show it if it belongs to the latest context, drop it otherwise."""
        with self._lock:
            result = self._finished.pop(gen, None)
            for old in [g for g in self._finished if g < self._generation]:
                del self._finished[old]
        if gen != self._generation or result is None or not self.pending:
            return
        self._show(result)

    def flush(self, timeout_ms: int = 30000) -> bool:
        """Wait for the latest context's computation and show it now (tests, report); True when shown."""
        if not self.pending:
            return True
        self._launch_timer.stop()
        self._launch()
        self._pool.waitForDone(timeout_ms)
        self._on_done(self._generation)
        return not self.pending

    def _show(self, result: ActionPlan | PlannerError) -> None:
        self._shown = self._generation
        self.tree.clear()
        self.tree.setEnabled(True)
        if isinstance(result, PlannerError):
            self.result = None
            self.header.setText(result.describe())
            self.apply_button.setEnabled(False)
            self.sigUpdated.emit()
            return
        self.result = result
        self.header.setText(self.result.trigger)
        for step in self.result.steps:
            if step.amount is None:
                amount = ""
            elif step.currency == "price":
                amount = f"at {step.amount:,.2f}"
            elif step.currency == "x":
                amount = f"{step.amount:g}x"
            else:
                amount = fmt_money(step.amount, step.currency)
            ratio = "" if step.ratio_after is None else fmt_ratio(step.ratio_after)
            item = QTreeWidgetItem([f"{step.number}. {step.title}", amount, ratio, step.state_after or ""])
            item.setToolTip(0, step.detail)
            child = QTreeWidgetItem([step.detail])
            child.setFirstColumnSpanned(True)
            item.addChild(child)
            item.setData(0, 256, step.number - 1)
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(1)
        self._on_current(self.tree.currentItem(), None)
        self.sigUpdated.emit()

    def settings(self) -> ActionSettings:
        """The user's knobs (fractions); the engine validates them and names a bad one."""
        return ActionSettings(
            buffer=self.buffer.value() / 100.0,
            target_distance=self.target_distance.value() / 100.0,
            stop_distance=self.stop_distance.value() / 100.0,
        )

    def refresh(self, *_: Any) -> None:
        """Recompute for the current context (a knob changed)."""
        if self._context is not None:
            self._start()

    def step_at(self, row: int):
        """The shown step at ``row``; None while the shown steps are stale (updating)."""
        return self.result.steps[row] if self.result is not None and not self.pending else None

    def _on_current(self, item, _prev) -> None:
        idx = item.data(0, 256) if item is not None else None
        step = self.step_at(idx) if isinstance(idx, int) else None
        self.apply_button.setEnabled(step is not None and step.plan_after is not None)

    def apply_step(self, row: int) -> bool:
        step = self.step_at(row)
        if step is None or step.plan_after is None:
            return False
        self.sigApplyPlan.emit(step.plan_after, f"Action: {step.title}")
        return True

    def apply_selected(self) -> None:
        item = self.tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        if item is not None:
            self.apply_step(item.data(0, 256))
