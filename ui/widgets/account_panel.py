"""Account: wallet balance (settlement currency) and margin-mode default."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from planner.model.enums import MarginMode
from planner.model.plan import MAX_BALANCE
from ui.widgets.number_edit import NumberEdit
from ui.widgets.problem_marks import mark


class AccountPanel(QWidget):
    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        # Commits on Return/Tab/focus out; -5000 or letters are refused at the field, never clamped.
        self.wallet = NumberEdit(decimals=2, step=100.0, minimum=0.0, maximum=MAX_BALANCE)
        self.mode = QComboBox()
        for m in MarginMode:
            self.mode.addItem(m.value, m.value)
        self.problem = QLabel()
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
        self.wallet.showValue(acc.wallet_balance)
        i = self.mode.findData(acc.margin_mode_default.value)
        if i != self.mode.currentIndex():
            self.mode.blockSignals(True)
            self.mode.setCurrentIndex(i)
            self.mode.blockSignals(False)
        self._marks()

    def _marks(self) -> None:
        probs = self.document.problems_at("account")
        mark(self.wallet, probs, "Wallet balance in the profile's settlement currency, before unrealised PnL")
        at_wallet = [p for p in probs if p.path == "account.wallet_balance"]
        others = [p for p in probs if p not in at_wallet]
        self.wallet.setProblem(at_wallet[0].message.split(" (")[0] if at_wallet else "")
        self.problem.setText("\n".join(p.message for p in others))
        self.problem.setVisible(bool(others))
