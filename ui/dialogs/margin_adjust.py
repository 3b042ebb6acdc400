"""Add or remove margin on an isolated leg, previewing the new liquidation price before applying."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from planner.engine.evaluate import evaluate
from planner.model.errors import PlannerError
from planner.present.format import fmt_money, fmt_price


class MarginAdjustDialog(QDialog):
    def __init__(self, document, row: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.row = document, row
        pos = document.plan.positions[row]
        self.spec = document.profile.symbols[pos.symbol]
        self.setWindowTitle(f"Add / remove margin — leg #{row + 1} {pos.symbol}")
        self.amount = QDoubleSpinBox()
        self.amount.setRange(-1e12, 1e12)
        self.amount.setDecimals(2)
        self.amount.setSingleStep(100.0)
        self.amount.setSuffix(f" {self.spec.settle}")
        self.amount.setKeyboardTracking(True)
        self.now = QLabel()
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        leg = document.evaluation.legs[row]
        self.now.setText(
            f"{fmt_price(leg.liquidation_price, self.spec.tick_size, 1 if leg.side == 'long' else -1)} "
            f"(margin {fmt_money(leg.collateral, leg.settle)})"
        )
        form = QFormLayout(self)
        form.addRow("Change (+ add, − remove)", self.amount)
        form.addRow("Liquidation price now", self.now)
        form.addRow("After the change", self.preview)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.amount.valueChanged.connect(self._preview)
        self._preview(0.0)

    def candidate(self):
        positions = list(self.document.plan.positions)
        pos = positions[self.row]
        positions[self.row] = pos.model_copy(update={"added_margin": pos.added_margin + self.amount.value()})
        return self.document.plan.model_copy(update={"positions": positions})

    def _preview(self, _value: float) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        try:
            ev = evaluate(self.candidate(), self.document.profile, marks=self.document.marks or None)
        except PlannerError as exc:
            self.preview.setText("refused: " + "; ".join(p.message for p in exc.problems))
            self.preview.setStyleSheet("color: #e03131;")
            ok.setEnabled(False)
            return
        leg = ev.legs[self.row]
        self.preview.setStyleSheet("")
        self.preview.setText(
            f"{fmt_price(leg.liquidation_price, self.spec.tick_size, 1 if leg.side == 'long' else -1)} "
            f"(margin {fmt_money(leg.collateral, leg.settle)})"
        )
        ok.setEnabled(self.amount.value() != 0.0)

    def apply(self) -> None:
        if self.document.apply_plan(self.candidate(), f"Adjust margin of leg {self.row + 1}"):
            self.accept()
