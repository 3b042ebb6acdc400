"""Action plan panel: the margin-call steps with numbers, each applicable (undoable)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget, QFrame,
)

from planner.actions import ActionPlan, ActionSettings, action_plan
from planner.errors import PlannerError


def _pct_spin(value: float, lo: float, hi: float, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(1)
    box.setSuffix(" %")
    box.setValue(value)
    box.setToolTip(tip)
    return box


class ActionPanel(QWidget):
    """Lists :func:`planner.actions.action_plan` for the document's plan at its what-if marks.

    ``sigApplyPlan(plan, text)`` asks the window to apply a step (the document
    pushes it on the undo stack). Recomputed a moment after the last edit, since
    the plan re-evaluates the account a few dozen times.
    """

    sigApplyPlan = Signal(object, str)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.plan: ActionPlan | None = None
        self.buffer = _pct_spin(5.0, 0.0, 100.0, "Safety buffer added on top of the top-up that reaches the margin-call threshold")
        self.distance = _pct_spin(10.0, 0.1, 95.0, "Distance from the mark the 'move liquidation away' top-up aims for")
        self.stop = _pct_spin(4.0, 0.1, 50.0, "Stop-loss distance beyond the mark (3-5 % is usual)")
        self.vol = _pct_spin(60.0, 0.1, 2000.0, "Annual volatility used for the size audit (n-sigma move over the plan's horizon)")
        form = QFormLayout()
        form.addRow("Top-up buffer", self.buffer)
        form.addRow("Target liquidation distance", self.distance)
        form.addRow("Stop-loss distance", self.stop)
        form.addRow("Volatility (annual)", self.vol)
        self.trigger = QLabel()
        self.trigger.setWordWrap(True)
        self.steps_box = QWidget()
        self.steps_layout = QVBoxLayout(self.steps_box)
        self.steps_layout.setAlignment(Qt.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.steps_box)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.trigger)
        lay.addWidget(scroll, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        for box in (self.buffer, self.distance, self.stop, self.vol):
            box.valueChanged.connect(self.schedule)
        document.changed.connect(lambda *_: self.schedule())
        document.marksChanged.connect(lambda *_: self.schedule())

    def settings(self) -> ActionSettings:
        return ActionSettings(buffer=self.buffer.value() / 100, target_distance=self.distance.value() / 100,
                              stop_distance=self.stop.value() / 100, volatility=self.vol.value() / 100)

    def schedule(self) -> None:
        self._timer.start()

    def refresh(self) -> None:
        doc = self.document
        try:
            self.plan = action_plan(doc.plan, doc.profile, marks=doc.marks or None, settings=self.settings())
        except PlannerError as exc:
            self.trigger.setText(f"Cannot build the action plan: {exc.describe()}")
            self._show([])
            return
        self.trigger.setText(("<b>" if self.plan.in_margin_call else "") + self.plan.trigger + ("</b>" if self.plan.in_margin_call else ""))
        self._show(self.plan.steps)

    def _show(self, steps) -> None:
        while self.steps_layout.count():
            item = self.steps_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for step in steps:
            self.steps_layout.addWidget(self._step_widget(step))

    def _step_widget(self, step) -> QWidget:
        box = QFrame()
        box.setFrameShape(QFrame.StyledPanel)
        lay = QVBoxLayout(box)
        title = QLabel(f"<b>{step.number}. {step.title}</b>")
        title.setWordWrap(True)
        detail = QLabel(step.detail)
        detail.setWordWrap(True)
        lay.addWidget(title)
        lay.addWidget(detail)
        if step.liquidation_after:
            plan = self.document.plan
            after = ", ".join(
                f"{plan.positions[i].symbol} liq {'none' if p is None else f'{p:,.2f}'}" for i, p in step.liquidation_after.items() if i < len(plan.positions)
            )
            ratio = "" if step.ratio_after is None else f"; worst margin ratio {step.ratio_after:.2%}"
            info = QLabel(f"After: {after}{ratio}; state {step.state_after}")
            info.setWordWrap(True)
            lay.addWidget(info)
        if step.plan_after is not None:
            row = QHBoxLayout()
            row.addStretch(1)
            apply = QPushButton("Apply")
            apply.setToolTip("Apply this step to the plan (Edit > Undo reverts it)")
            apply.clicked.connect(lambda _=False, s=step: self.sigApplyPlan.emit(s.plan_after, s.title))
            row.addWidget(apply)
            lay.addLayout(row)
        return box
