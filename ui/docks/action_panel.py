"""Margin-call action plan panel: lists planner.drills.actions steps; "Apply" emits the modified plan (no math here).

Each step is a card of word-wrapped labels (title, detail, figures) in a scroll
area as wide as the dock, so nothing is cut; the ranking rule is the tooltip.

The action plan costs a few dozen evaluations of the book (0.1-0.3 s for 20
legs), so it runs on the panel's own worker thread: :meth:`ActionPanel.set_context`
shows "Updating…" at once and returns; the steps appear when the worker is
done. A newer context supersedes an older one: each computation carries a
generation number and a result whose generation is not the latest is dropped,
so a stale plan is never shown nor applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from planner.drills.actions import RANKING_RULE, ActionPlan, ActionSettings, ActionStep, action_plan
from planner.engine.evaluate import Evaluation
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_pct, fmt_ratio
from ui.docks.worker import LatestJob

UPDATING = "Updating…"
#: Delay between a new context and the start of its computation (ms): a frame or two, so the figures
#: of a window being opened or edited are drawn first (the action plan costs 0.1-0.2 s of interpreter time).
LAUNCH_DELAY_MS = 50


def _wrapped(text: str, *, bold: bool = False) -> QLabel:
    """A plain-text label that wraps to the width it is given and never cuts its text."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)  # width from the dock, height from the text
    policy.setHeightForWidth(True)  # the layouts ask the label how tall its wrapped text is at the width it gets
    label.setSizePolicy(policy)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


def step_figures(step: ActionStep) -> str:
    """One line of the step's numbers: amount, cost, distance restored, ratio and state after (empty when none)."""
    parts = []
    same_as_cost = step.cost is not None and step.currency == step.cost_currency and step.amount == step.cost
    if step.amount is not None and not same_as_cost:  # a deposit's amount is its cost: shown once
        if step.currency == "price":
            parts.append(f"at {step.amount:,.2f}")
        elif step.currency == "x":
            parts.append(f"{step.amount:g}x")
        elif step.kind in ("reduce", "audit_size"):  # a quantity of the leg, in its symbol's units
            parts.append(f"{step.amount:,.6g} {step.currency}")
        else:
            parts.append(fmt_money(step.amount, step.currency))
    if step.cost is not None:
        parts.append(f"costs {fmt_money(step.cost, step.cost_currency)}")
    if step.restored is not None:
        away = "further away" if step.restored >= 0 else "closer"
        parts.append(f"moves liquidation {fmt_pct(abs(step.restored))} of the mark {away} for the legs at risk")
    if step.ratio_after is not None:
        parts.append(f"worst ratio after {fmt_ratio(step.ratio_after)}")
    if step.state_after:
        parts.append(f"state after: {step.state_after.replace('_', ' ')}")
    return " · ".join(parts)


class StepCard(QFrame):
    """One step, shown whole: number and title, detail and figures wrapped to the panel's width; Apply when it changes the plan."""

    def __init__(self, step: ActionStep, row: int, apply: Callable[[int], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.step = step
        self.title = _wrapped(f"{step.number}. {step.title}", bold=True)
        self.detail = _wrapped(step.detail)
        self.figures = _wrapped(step_figures(step))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(2)
        lay.addWidget(self.title)
        lay.addWidget(self.detail)
        lay.addWidget(self.figures)
        # Hidden only once it has a parent: showing a parentless label opens it as a window of its own,
        # which takes the focus and closes any open popup (the profile dropdown) when a result arrives.
        self.figures.setHidden(not self.figures.text())
        self.apply_button: QPushButton | None = None
        if step.plan_after is not None:
            self.apply_button = QPushButton(f"Apply step {step.number}")
            self.apply_button.setToolTip("Replace the plan on screen by the plan after this step (undoable)")
            self.apply_button.clicked.connect(lambda: apply(row))
            row_lay = QHBoxLayout()
            row_lay.addStretch(1)
            row_lay.addWidget(self.apply_button)
            lay.addLayout(row_lay)


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
        # The computation is handed to one worker thread LAUNCH_DELAY_MS after the context arrives:
        # the window being built (or the edit) is painted before the worker competes with the GUI
        # thread for the interpreter, and a burst of contexts starts only the last.
        self._jobs = LatestJob(LAUNCH_DELAY_MS, self)
        self._jobs.ready.connect(self._on_done)
        self._shown = 0  # generation on screen
        self.buffer = QDoubleSpinBox(minimum=-100.0, maximum=100.0, decimals=1, suffix=" %", value=5.0)
        self.target_distance = QDoubleSpinBox(minimum=0.0, maximum=95.0, decimals=1, suffix=" %", value=10.0)
        self.stop_distance = QDoubleSpinBox(minimum=0.0, maximum=50.0, decimals=1, suffix=" %", value=4.0)
        self.buffer.setToolTip("A top-up deposits this much more than the exact amount that reaches the margin-call threshold")
        self.target_distance.setToolTip("Distance from the mark to liquidation (fraction of the mark) the distance steps aim for")
        self.stop_distance.setToolTip("How far beyond the mark a stop-loss goes, unless liquidation comes first (then it moves in)")
        form = QFormLayout()
        form.addRow("Top-up safety buffer", self.buffer)
        form.addRow("Liquidation distance wanted", self.target_distance)
        form.addRow("Stop-loss beyond mark", self.stop_distance)
        for box in (self.buffer, self.target_distance, self.stop_distance):
            box.valueChanged.connect(self.refresh)
        self.header = _wrapped("No plan yet.", bold=True)
        self.header.setToolTip(RANKING_RULE)
        # The steps: one card each, in a scroll area that gives them the dock's full width (labels wrap, never cut).
        self.cards: list[StepCard] = []
        self.steps_widget = QWidget()
        self.steps_layout = QVBoxLayout(self.steps_widget)
        self.steps_layout.setContentsMargins(0, 0, 0, 0)
        self.steps_layout.addStretch(1)
        self.steps_view = QScrollArea()
        self.steps_view.setWidgetResizable(True)
        self.steps_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps_view.setWidget(self.steps_widget)
        self.steps_view.setToolTip(RANKING_RULE)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.header)
        lay.addWidget(self.steps_view, 1)

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
        return self._shown != self._jobs.generation

    def _start(self) -> None:
        assert self._context is not None
        plan, profile, evaluation = self._context
        marks, settings = self.marks, self.settings()
        self.header.setText(UPDATING)
        self.steps_view.setEnabled(False)
        self._jobs.submit(
            lambda: action_plan(plan, profile, marks=marks, settings=settings, evaluation=evaluation),
            field="actions",
            what="the action plan",
        )

    @Slot(int, object)
    def _on_done(self, gen: int, result: ActionPlan | PlannerError) -> None:
        """The latest context's computation finished: show it (once)."""
        if self.pending:
            self._show(result)

    def flush(self, timeout_ms: int = 30000) -> bool:
        """Wait for the latest context's computation and show it now (tests, report); True when shown."""
        if not self.pending:
            return True
        self._jobs.flush(timeout_ms)
        return not self.pending

    def _clear_cards(self) -> None:
        for card in self.cards:
            self.steps_layout.removeWidget(card)
            card.deleteLater()
        self.cards = []

    def _show(self, result: ActionPlan | PlannerError) -> None:
        self._shown = self._jobs.generation
        self._clear_cards()
        self.steps_view.setEnabled(True)
        if isinstance(result, PlannerError):
            self.result = None
            self.header.setText(result.describe())
            self.sigUpdated.emit()
            return
        self.result = result
        self.header.setText(result.trigger)
        for row, step in enumerate(result.steps):
            card = StepCard(step, row, self.apply_step)
            self.steps_layout.insertWidget(self.steps_layout.count() - 1, card)  # before the stretch
            self.cards.append(card)
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

    def step_at(self, row: int) -> ActionStep | None:
        """The shown step at ``row``; None while the shown steps are stale (updating)."""
        return self.result.steps[row] if self.result is not None and not self.pending and 0 <= row < len(self.result.steps) else None

    def apply_step(self, row: int) -> bool:
        step = self.step_at(row)
        if step is None or step.plan_after is None:
            return False
        self.sigApplyPlan.emit(step.plan_after, f"Action: {step.title}")
        return True
