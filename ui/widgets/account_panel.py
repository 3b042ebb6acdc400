"""Account: wallet balance (settlement currency) and margin-mode default."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QWidget

from planner.model.enums import MarginMode
from planner.model.plan import MAX_BALANCE
from ui.widgets.problem_marks import mark


class AccountPanel(QWidget):
    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.wallet = QDoubleSpinBox()
        self.wallet.setRange(0.0, MAX_BALANCE)
        self.wallet.setDecimals(2)
        self.wallet.setSingleStep(100.0)
        self.wallet.setKeyboardTracking(True)
        self.wallet.setGroupSeparatorShown(True)
        self.mode = QComboBox()
        for m in MarginMode:
            self.mode.addItem(m.value, m.value)
        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e03131;")
        form = QFormLayout(self)
        form.addRow("Wallet balance", self.wallet)
        form.addRow("New legs default to", self.mode)
        form.addRow(self.problem)
        self.wallet.valueChanged.connect(
            lambda v: document.update_account(merge_key="account.wallet", text="Edit wallet balance", wallet_balance=v)
        )
        self.mode.currentIndexChanged.connect(
            lambda i: document.update_account(text="Edit margin-mode default", margin_mode_default=self.mode.itemData(i))
        )
        document.changed.connect(lambda *_: self.sync())
        document.problemsChanged.connect(lambda *_: self._marks())
        self.sync()

    def sync(self) -> None:
        acc = self.document.draft.account
        self.wallet.setSuffix(f" {self.document.profile.settle_currency}")
        if self.wallet.value() != acc.wallet_balance:
            self.wallet.blockSignals(True)
            self.wallet.setValue(acc.wallet_balance)
            self.wallet.blockSignals(False)
        i = self.mode.findData(acc.margin_mode_default.value)
        if i != self.mode.currentIndex():
            self.mode.blockSignals(True)
            self.mode.setCurrentIndex(i)
            self.mode.blockSignals(False)
        self._marks()

    def _marks(self) -> None:
        probs = self.document.problems_at("account")
        mark(self.wallet, probs, "Wallet balance in the profile's settlement currency, before unrealised PnL")
        self.problem.setText("\n".join(p.message for p in probs))
        self.problem.setVisible(bool(probs))
