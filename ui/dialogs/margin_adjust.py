"""Add or remove margin on an isolated leg, previewing the new liquidation price before applying.

Shows the most that can be added (the account's available balance) and removed
(before the leg is liquidated at the current mark, or its margin no longer
covers maintenance); a removal beyond that is refused with the reason, and a
removal that leaves the leg in the margin-call zone is applied only after a
loud warning in the preview. Every figure comes from the engine
(planner.drills.margin / evaluate) at the marks on screen.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from planner.drills.margin import MarginLimits, margin_limits, removal_outcome, with_added_margin
from planner.engine.evaluate import Evaluation
from planner.model.plan import Plan
from planner.present.format import fmt_money, fmt_price, rounding_side
from planner.present.numbers import NumberError
from ui.widgets.number_edit import NumberEdit

WARN = "color: #e8590c; font-weight: bold;"
ERROR = "color: #e03131;"


def _floor(value: float, digits: int) -> float:
    """``value`` rounded down to ``digits`` decimals (a limit shown must itself be allowed)."""
    return math.floor(value * 10**digits + 1e-9) / 10**digits


class MarginAdjustDialog(QDialog):
    def __init__(self, document: Any, row: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.row = document, row
        pos = document.plan.positions[row]
        self.spec = document.profile.symbols[pos.symbol]
        self.digits = 2 if self.spec.settle in ("USDT", "USDC", "USD") else 8
        self.setWindowTitle(f"Add / remove margin — leg #{row + 1} {pos.symbol}")
        self.limits: MarginLimits = margin_limits(document.plan, document.profile, row, document.marks or None)
        self.max_add = _floor(self.limits.max_add, self.digits)
        self.max_remove = _floor(self.limits.max_remove, self.digits)
        self.amount = NumberEdit(decimals=2, step=100.0, minimum=-self.max_remove, maximum=self.max_add)
        self.amount.setSuffix(self.spec.settle)
        self.amount.setValue(0.0)
        self.amount.setHint(f"from -{self.max_remove:,.{self.digits}f} to +{self.max_add:,.{self.digits}f}")
        self.limits_label = QLabel(
            f"most you can add: {fmt_money(self.max_add, self.spec.settle, self.digits)} (available balance)\n"
            f"most you can remove: {fmt_money(self.max_remove, self.spec.settle, self.digits)} "
            f"(more liquidates the leg at the mark {fmt_price(self._mark(), self.spec.tick_size)})"
        )
        self.limits_label.setWordWrap(True)
        self.now = QLabel()
        self.now.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.preview = QLabel()
        self.preview.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.preview.setWordWrap(True)
        leg = document.evaluation.legs[row]
        self.now.setText(self._describe(leg))
        form = QFormLayout(self)
        form.addRow("Change (+ add, − remove)", self.amount)
        form.addRow("Limits", self.limits_label)
        form.addRow("Liquidation price now", self.now)
        form.addRow("After the change", self.preview)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.amount.edit.textEdited.connect(self._preview_text)
        self.amount.committed.connect(lambda _v: self._preview_text(self.amount.text()))
        self.amount.refused.connect(self._refused)
        self._preview_text(self.amount.text())

    def _mark(self) -> float:
        pos = self.document.plan.positions[self.row]
        return float(self.document.marks.get(pos.symbol, pos.mark))

    def _describe(self, leg: Any) -> str:
        side = rounding_side(leg.liquidation_price, leg.mark_price, 1 if leg.side == "long" else -1, leg.margin_mode == "cross")
        shown = fmt_price(leg.liquidation_price, self.spec.tick_size, side, self.document.profile.traits.price_display)
        return f"{shown} (margin {fmt_money(leg.collateral, leg.settle)})"

    def typed_amount(self) -> float | None:
        """The amount typed so far (None when it cannot be read; the field says why)."""
        try:
            value = self.amount.parse(self.amount.text())
        except NumberError:
            return None
        return value

    def candidate(self) -> Plan:
        """The plan after the typed change (unchanged plan when nothing valid is typed)."""
        amount = self.typed_amount() or 0.0
        return with_added_margin(self.document.plan, self.row, amount)

    def _refused(self, message: str) -> None:
        self.preview.setText(f"refused: {message}")
        self.preview.setStyleSheet(ERROR)
        self.buttons.button(QDialogButtonBox.StandardButton.Apply).setEnabled(False)

    def _preview_text(self, text: str) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        try:
            amount = self.amount.parse(text)
        except NumberError as exc:
            self._refused(str(exc))
            return
        amount = amount or 0.0
        doc = self.document
        outcome = removal_outcome(doc.plan, doc.profile, self.row, amount, doc.marks or None)
        if not isinstance(outcome, Evaluation):
            self._refused(outcome)
            return
        leg = outcome.legs[self.row]
        text = self._describe(leg)
        if leg.state == "margin_call":
            self.preview.setStyleSheet(WARN)
            text += " — WARNING: the leg is in the margin-call zone after this change"
        else:
            self.preview.setStyleSheet("")
        self.preview.setText(text)
        ok.setEnabled(amount != 0.0)

    def apply(self) -> None:
        amount = self.typed_amount()
        if amount is None or amount == 0.0 or not self.amount.commit():
            return
        if self.document.apply_plan(self.candidate(), f"Adjust margin of leg {self.row + 1}"):
            self.accept()
