"""Margin-call action plan panel: lists planner.drills.actions steps; "Apply" emits the modified plan (no math here)."""

from __future__ import annotations

from PySide6.QtCore import Signal
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
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_ratio


class ActionPanel(QWidget):
    """Shows the ordered action plan for the current plan; Apply emits ``sigApplyPlan(plan, undo_text)``."""

    sigApplyPlan = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: ActionPlan | None = None
        self.marks: dict[str, float] | None = None
        self._context: tuple[Plan, ExchangeProfile, Evaluation | None] | None = None
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
        """Recompute the action plan (engine) for ``plan`` on ``profile`` at ``marks``."""
        self.marks = marks or None
        self._context = (plan, profile, evaluation)
        self.tree.clear()
        try:
            self.result = action_plan(plan, profile, marks=self.marks, settings=self.settings())
        except PlannerError as exc:
            self.result = None
            self.header.setText(exc.describe())
            self.apply_button.setEnabled(False)
            return
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

    def settings(self) -> ActionSettings:
        """The user's knobs (fractions); the engine validates them and names a bad one."""
        return ActionSettings(
            buffer=self.buffer.value() / 100.0,
            target_distance=self.target_distance.value() / 100.0,
            stop_distance=self.stop_distance.value() / 100.0,
        )

    def refresh(self, *_) -> None:
        if self._context is not None:
            self.set_context(*self._context, marks=self.marks)

    def step_at(self, row: int):
        return self.result.steps[row] if self.result is not None else None

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
