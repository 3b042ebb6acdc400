"""Plan name and account: wallet balance per settlement currency and margin-mode default.

The plan name (first row) is what files, the window title and the PDF report
show; editing it is one undoable step (Return, Tab or leaving the field).

"Plan clock (UTC)" (second row) is the plan's ``as_of``: empty = "now" (the
wall clock at each evaluation), or a UTC date and time typed as
"2026-12-20 09:30" (:mod:`ui.widgets.clock_edit`). Funding settles at the
venue's UTC hours counted from its time of day, dated futures count their
time to expiry from it, and the equity plot's axis reads "Hours from" it.
A typed clock, or the "Now" button, is one undoable step.

The first field is the profile's settlement currency (``wallet_balance``, or
``balances[ccy]`` when the plan gives it there, as the engine reads it);
coin-margined plans get one more field per other currency their legs settle
in (``balances``), so a 4 ETH wallet is on screen, not only the BTC one.

"Margin model" chooses standard (leg by leg) or the venue's portfolio margin
(``account.margin_model``); it is offered only when the profile has a portfolio
rule (or the plan already asks for one, so a plan moved to a venue without one
can be set back to standard). "Portfolio collateral" (segregated / cross) shows
under portfolio margin. Each change is one undoable step; a combination the
profile refuses is marked at the field with the validation message.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from planner.engine.portfolio_margin import portfolio_problems, profiles_with_portfolio_rule
from planner.model.enums import MarginMode, MarginModel
from planner.model.plan import MAX_BALANCE, Plan
from planner.model.profile import ExchangeProfile
from ui.widgets.clock_edit import ClockEdit, format_clock
from ui.widgets.number_edit import NumberEdit
from ui.widgets.problem_marks import mark

CLOCK_TIP = (
    "The plan's clock (as_of), in UTC: the moment the plan is for, e.g. 2026-12-20 09:30 before a CPI print.\n"
    "Funding settlements fall at the venue's UTC hours counted from its time of day "
    "(09:30 on an 8 h symbol: first settlement 6.5 h later, at 16:00 UTC).\n"
    "Dated futures count their time to expiry, settlement and roll from it.\n"
    "The equity plot's axis reads 'Hours from' this time.\n"
    "Empty (Now) = follow the wall clock: each evaluation uses the current time, and funding takes hour 0 as 00:00 UTC.\n"
    "Saved in the plan file; Up/Down move a set clock by one hour; Escape drops what you typed."
)

_COLLATERAL_TIP = (
    "Segregated (Deribit S:PM): each settlement currency is its own portfolio account.\n"
    "Cross (Deribit X:PM): one USD account; every currency's equity is valued at its price."
)


class AccountPanel(QWidget):
    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.name = QLineEdit()
        self.name.setObjectName("plan-name")
        self.name.setPlaceholderText("Untitled plan")
        self.name.setMaxLength(Plan.model_fields["name"].metadata[0].max_length)
        self.name.setToolTip("Name of the plan: shown in the window title, saved in the file and printed on the report")
        self.name.editingFinished.connect(self._set_name)
        self.clock = ClockEdit()
        self.clock.setToolTip(CLOCK_TIP)
        self.clock.committed.connect(self._set_clock)
        # Commits on Return/Tab/focus out; -5000 or letters are refused at the field, never clamped.
        self.wallet = NumberEdit(decimals=2, step=100.0, minimum=0.0, maximum=MAX_BALANCE)
        self.mode = QComboBox()
        self.mode.setToolTip("Margin mode a new leg starts with (Add leg); each leg's own mode is in its form")
        for m in MarginMode:
            self.mode.addItem(m.value, m.value)
        self.model = QComboBox()
        self.model.setObjectName("margin-model")
        self.model.addItem("Standard (leg by leg)", MarginModel.STANDARD.value)
        self.model.addItem("Portfolio (risk matrix)", MarginModel.PORTFOLIO.value)
        self.collateral = QComboBox()
        self.collateral.setObjectName("portfolio-collateral")
        self.collateral.addItem("Segregated (each currency alone)", "segregated")
        self.collateral.addItem("Cross (all currencies in USD)", "cross")
        self.collateral.setToolTip(_COLLATERAL_TIP)
        self.model_problem = QLabel()  # why the chosen margin model does not fit this plan (validation's words)
        self.model_problem.setObjectName("margin-model-problem")
        self.model_problem.setTextFormat(Qt.TextFormat.PlainText)
        self.model_problem.setWordWrap(True)
        self.model_problem.setStyleSheet("color: #e03131;")
        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e03131;")
        form = QFormLayout(self)
        form.addRow("Plan name", self.name)
        form.addRow("Plan clock (UTC)", self.clock)
        form.addRow("Wallet balance", self.wallet)
        form.addRow("New legs default to", self.mode)
        form.addRow("Margin model", self.model)
        form.addRow("Portfolio collateral", self.collateral)
        form.addRow(self.model_problem)
        form.addRow(self.problem)
        self.wallet.valueChanged.connect(self._set_wallet)
        self.mode.currentIndexChanged.connect(
            lambda i: document.update_account(text="Edit margin-mode default", margin_mode_default=self.mode.itemData(i))
        )
        self.model.activated.connect(self._set_model)
        self.collateral.activated.connect(self._set_collateral)
        self.form = form
        self.balances: dict[str, NumberEdit] = {}
        document.changed.connect(lambda *_: self.sync())
        document.problemsChanged.connect(lambda *_: self.sync())
        # New / Open (a fresh undo history): the file's clock replaces any text left in the field.
        document.pathChanged.connect(lambda *_: self._reset_clock())
        self.sync()

    def currencies(self) -> list[str]:
        """Settlement currencies on screen: the profile's first, then every other one the legs or balances use."""
        doc = self.document
        settle = doc.profile.settle_currency
        used = {doc.profile.symbols[p.symbol].settle for p in doc.draft.positions if p.symbol in doc.profile.symbols}
        return [settle, *sorted((used | set(doc.draft.account.balances)) - {settle})]

    def _set_name(self, *_: object) -> None:
        """Commit the typed name (surrounding spaces dropped; an empty field means "Untitled plan")."""
        name = self.name.text().strip() or "Untitled plan"
        if name != self.document.draft.name:
            self.document.update_plan(text="Rename plan", name=name)
        self.name.setText(self.document.draft.name)
        self.name.setCursorPosition(0)

    def _set_clock(self, when: datetime | None) -> None:
        """Commit the typed clock (a UTC datetime) or "now" (None) as one undo step."""
        if when != self.document.draft.as_of:
            text = "Follow the wall clock" if when is None else f"Set plan clock {format_clock(when)} UTC"
            self.document.update_plan(text=text, as_of=when)

    def _reset_clock(self) -> None:
        if self.document.undo_stack.count() == 0:
            self.clock.showValue(self.document.draft.as_of, force=True)

    def _balance_box(self, ccy: str) -> NumberEdit:
        box = NumberEdit(decimals=4, step=0.1, minimum=0.0, maximum=MAX_BALANCE)
        box.setSuffix(ccy)
        box.valueChanged.connect(lambda v, c=ccy: self._set_balance(c, v))
        return box

    def _set_balance(self, ccy: str, value: float) -> None:
        balances = {**self.document.draft.account.balances, ccy: value}
        self.document.update_account(merge_key=f"account.balances.{ccy}", text=f"Edit {ccy} wallet", balances=balances)

    def _set_wallet(self, value: float) -> None:
        doc = self.document
        settle = doc.profile.settle_currency
        if settle in doc.draft.account.balances:  # the engine reads balances first: edit what it reads
            self._set_balance(settle, value)
        else:
            doc.update_account(merge_key="account.wallet", text="Edit wallet balance", wallet_balance=value)

    def _set_model(self, index: int) -> None:
        value = self.model.itemData(index)
        if value != self.document.draft.account.margin_model.value:
            label = "portfolio" if value == MarginModel.PORTFOLIO.value else "standard"
            self.document.update_account(text=f"Use {label} margin", margin_model=value)
        self.sync()

    def _set_collateral(self, index: int) -> None:
        value = self.collateral.itemData(index)
        if value != self.document.draft.account.portfolio_collateral:
            self.document.update_account(text=f"Portfolio collateral {value}", portfolio_collateral=value)
        self.sync()

    def _model_tip(self, profile: ExchangeProfile) -> str:
        """Why the margin-model choice is (not) offered on ``profile``: which venues have a portfolio rule."""
        have = ", ".join(profiles_with_portfolio_rule()) or "none"
        base = (
            "Standard: each leg is margined by its tier table.\n"
            "Portfolio: the venue's risk matrix margins the whole account (worst loss over price scenarios + roll shock).\n"
            f"Bundled profiles with a portfolio-margin rule: {have}."
        )
        if profile.portfolio_margin is None:
            return (
                f"{base}\nNot available on {profile.name}: its profile has no portfolio_margin section "
                "(the venue's method is not published in enough detail to compute, or not bundled)."
            )
        return base

    def _sync_models(self) -> None:
        doc = self.document
        acc = doc.draft.account
        pm = acc.margin_model is MarginModel.PORTFOLIO
        checked, _ = doc.check(doc.draft)
        profile = checked if checked is not None else doc.profile  # the draft's venue (after a switch, not the last valid one)
        for box, value in ((self.model, acc.margin_model.value), (self.collateral, acc.portfolio_collateral)):
            i = box.findData(value)
            if i != box.currentIndex():
                box.blockSignals(True)
                box.setCurrentIndex(i)
                box.blockSignals(False)
        # Offered when the venue has a rule, or when the plan asks for portfolio margin anyway (to set it back).
        self.model.setEnabled(profile.portfolio_margin is not None or pm)
        self.form.setRowVisible(self.collateral, pm)
        mark(self.model, doc.problems_at("account.margin_model"), self._model_tip(profile))
        mark(self.collateral, doc.problems_at("account.portfolio_collateral"), _COLLATERAL_TIP)
        # Every reason the draft cannot be portfolio-margined (a venue without a rule, a coin without parameters, ...),
        # in validation's words, next to the choice that caused it.
        why = portfolio_problems(doc.draft, profile) if checked is not None else []
        self.model_problem.setText("\n".join(p.message for p in why))
        self.form.setRowVisible(self.model_problem, bool(why))

    def sync(self) -> None:
        doc = self.document
        acc = doc.draft.account
        if not self.name.isModified() and self.name.text() != doc.draft.name:  # never under the user's typing
            self.name.setText(doc.draft.name)
            self.name.setCursorPosition(0)  # a long name shows its beginning
        self.clock.showValue(doc.draft.as_of)
        settle = doc.profile.settle_currency
        stable = settle in ("USDT", "USDC", "USD")
        self.wallet.setSuffix(f" {settle}")
        self.wallet.setDecimals(2 if stable else 4)
        self.wallet.showValue(acc.balances.get(settle, acc.wallet_balance))
        others = self.currencies()[1:]
        for ccy in [c for c in self.balances if c not in others]:
            self.form.removeRow(self.balances.pop(ccy))
        for ccy in others:
            if ccy not in self.balances:
                self.balances[ccy] = self._balance_box(ccy)
                self.form.insertRow(1 + len(self.balances), f"Wallet {ccy}", self.balances[ccy])
            self.balances[ccy].showValue(acc.balances.get(ccy, 0.0))
        i = self.mode.findData(acc.margin_mode_default.value)
        if i != self.mode.currentIndex():
            self.mode.blockSignals(True)
            self.mode.setCurrentIndex(i)
            self.mode.blockSignals(False)
        self._sync_models()
        self._marks()

    def _marks(self) -> None:
        at_clock = self.document.problems_at("as_of")
        self.clock.setProblem(at_clock[0].message if at_clock else "")
        probs = self.document.problems_at("account")
        mark(self.wallet, probs, "Wallet balance in the profile's settlement currency, before unrealised PnL")
        at_wallet = [p for p in probs if p.path == "account.wallet_balance"]
        at_model = ("account.margin_model", "account.portfolio_collateral")
        others = [p for p in probs if p not in at_wallet and p.path not in at_model]
        self.wallet.setProblem(at_wallet[0].message.split(" (")[0] if at_wallet else "")
        for ccy, box in self.balances.items():
            here = [p for p in probs if p.path == f"account.balances.{ccy}"]
            box.setProblem(here[0].message if here else "")
        self.problem.setText("\n".join(p.message for p in others))
        self.problem.setVisible(bool(others))
