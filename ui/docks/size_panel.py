"""Size from risk: the trader types wallet, risk, entry, stop, side and leverage; the panel shows the answer.

Every figure comes from :meth:`ui.document.PlanDocument.size_trade`
(:func:`planner.drills.sizing.size_from_risk` on the plan's profile); the panel
formats it and computes nothing. A problem is shown at the field it is about
(the stop on the wrong side, a risk larger than the wallet, a leverage whose
liquidation comes before the stop, with the leverage to use) and the typed text
stays. "Add as leg" puts the sized leg into the plan as one undoable step.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from planner.drills.sizing import DEFAULT_SLIPPAGE, SizeResult
from planner.model.enums import Side
from planner.model.errors import PlannerError
from planner.model.plan import MAX_BALANCE, MAX_PRICE
from planner.present.format import fmt_money, fmt_pct, fmt_price, tick_decimals
from ui.widgets.number_edit import ERROR_STYLE, HINT_STYLE, NumberEdit
from ui.widgets.symbol_combo import symbol_combo

#: What each shown figure means (tooltips of the figure and of its label).
FIGURE_TIPS = {
    "quantity": "Size whose loss at the stop, taker fee on entry and on exit included, equals the risk. "
    "'Order' is that size rounded down to the symbol's quantity step (what Add as leg puts in the plan)",
    "risk_amount": "The risk in the settlement currency: a percent or fraction of the wallet, or the amount typed",
    "loss_at_stop": "Loss if the stop fills at its price: price move plus the taker fee on entry and on exit. Equals the risk",
    "position_value": "Position value at the entry price, and the leverage used (auto: the largest whole leverage "
    "whose liquidation lies beyond the stop's gap fill)",
    "initial_margin": "Margin the position takes: position value / leverage (isolated); the opening fee is paid on top",
    "liquidation_price": "Isolated liquidation price of the sized position at this leverage (same solver as the plan's figures)",
    "loss_at_gap": "Loss if the stop gaps: it fills 'gap' beyond the stop price (against you), taker fees included. "
    "Profiles publish no slippage figure; type the one you expect",
    "max_open": "Max Open (Binance's name): the largest position the wallet can open at this leverage, "
    "margin plus opening fee within the wallet and the size within the largest tier that still allows the leverage",
    "take_profit": "PnL and return on initial margin at the take-profit, after taker fees; R:R = that PnL / the loss at the stop",
}


def _price_edit(empty_text: str = "") -> NumberEdit:
    return NumberEdit(decimals=2, step=1.0, minimum=0.0, maximum=MAX_PRICE, min_exclusive=True, allow_empty=True, empty_text=empty_text)


def _figure() -> QLabel:
    label = QLabel("—")
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class RiskEdit(QWidget):
    """The risk as typed ("1%", "0.01", "250", "0.05BTC"), with a message line like NumberEdit's."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit("1%")
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.edit.setPlaceholderText("1% or 250")
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        font = self.message.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        self.message.setFont(font)
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.edit)
        lay.addWidget(self.message)
        self.setFocusProxy(self.edit)
        self.setHint("")

    def text(self) -> str:
        return self.edit.text()

    def setProblem(self, text: str) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)

    def setHint(self, text: str) -> None:
        self.message.setStyleSheet(HINT_STYLE)
        self.message.setText(text)

    def messageText(self) -> str:
        return self.message.text()


class SizePanel(QWidget):
    """The size box: inputs on top, the answer below, Add as leg at the bottom."""

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.result: SizeResult | None = None
        self._listed: tuple[str, ...] = ()
        self.symbol = symbol_combo()
        self.side = QComboBox()
        for s in Side:
            self.side.addItem(s.value, s.value)
        self.symbol.setToolTip("Symbol to size, as the plan's exchange profile lists it (type any part of the name)")
        self.side.setToolTip("long: the stop is below the entry; short: above it")
        self.wallet = NumberEdit(decimals=2, step=100.0, minimum=0.0, maximum=MAX_BALANCE, min_exclusive=True, allow_empty=True)
        self.risk = RiskEdit()
        self.entry = _price_edit("entry price")
        self.stop = _price_edit("stop price")
        self.leverage = NumberEdit(decimals=2, step=1.0, minimum=0.0, maximum=1000.0, min_exclusive=True, allow_empty=True)
        self.leverage.setSuffix("x")
        self.leverage.edit.setPlaceholderText("auto")
        self.slippage = NumberEdit(decimals=2, step=0.05, minimum=0.0, maximum=50.0)
        self.slippage.setSuffix("%")
        self.slippage.setValue(DEFAULT_SLIPPAGE * 100.0)
        self.take_profit = _price_edit("optional")
        self.fields: dict[str, NumberEdit | RiskEdit] = {
            "wallet": self.wallet,
            "risk": self.risk,
            "entry": self.entry,
            "stop": self.stop,
            "leverage": self.leverage,
            "slippage": self.slippage,
            "take_profit": self.take_profit,
        }
        self.wallet.setToolTip("Wallet balance in the symbol's settlement currency; empty = the plan's wallet")
        self.risk.edit.setToolTip(
            "Risk per trade: 1% (percent of the wallet), 0.01 (a fraction, up to 1), 250 (an amount above 1), "
            "or an amount with its currency (0.05BTC, always an amount)"
        )
        self.entry.setToolTip("Entry price, quote currency (the entry fills as a taker order)")
        self.stop.setToolTip("Stop price, quote currency: below the entry for a long, above it for a short")
        self.leverage.setToolTip("Leverage; empty = the largest whole leverage whose liquidation lies beyond the stop's gap fill")
        self.slippage.setToolTip("How far beyond the stop price a gapped stop fills, percent of the stop (profiles publish none)")
        self.take_profit.setToolTip("Optional take-profit price: PnL, ROE and R:R there; Add as leg puts it on the leg")

        self.out = {k: _figure() for k in FIGURE_TIPS}
        self.refusal = QLabel()
        self.refusal.setTextFormat(Qt.TextFormat.PlainText)
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet(ERROR_STYLE)
        self.refusal.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.refusal.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The answer's headline above the inputs: visible without scrolling in a short dock (1280x720).
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = self.summary.font()
        bold.setBold(True)
        self.summary.setFont(bold)
        self.summary.setToolTip("The size, the loss at the stop (fees included) and the liquidation price; details below")
        self.add_btn = QPushButton("Add as leg")
        self.add_btn.setToolTip("Put the sized leg (isolated, this leverage and stop, the order quantity) into the plan; Ctrl+Z undoes it")
        self.add_btn.setEnabled(False)

        # Two fields a row (label, field, label, field): the answer fits under them in a 720 px window.
        form = QGridLayout()
        form.setHorizontalSpacing(6)
        form.setVerticalSpacing(2)
        pairs = [
            (("Symbol", self.symbol), ("Side", self.side)),
            (("Wallet", self.wallet), ("Risk", self.risk)),
            (("Entry", self.entry), ("Stop", self.stop)),
            (("Leverage", self.leverage), ("Stop gap", self.slippage)),
            (("Take profit", self.take_profit), ("", self.add_btn)),
        ]
        for r, row in enumerate(pairs):
            for c, (title, widget) in enumerate(row):
                label = QLabel(title)
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                label.setContentsMargins(0, 4, 0, 0)
                label.setToolTip(widget.toolTip() if not isinstance(widget, RiskEdit) else widget.edit.toolTip())
                form.addWidget(label, r, 2 * c)
                form.addWidget(widget, r, 2 * c + 1, Qt.AlignmentFlag.AlignTop)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        answer = QFormLayout()
        answer.setVerticalSpacing(2)
        titles = {
            "quantity": "Quantity",
            "risk_amount": "Risk",
            "loss_at_stop": "Loss at stop",
            "position_value": "Position",
            "initial_margin": "Initial margin",
            "liquidation_price": "Liquidation",
            "loss_at_gap": "Gapped stop",
            "max_open": "Max Open",
            "take_profit": "At take profit",
        }
        for key, title in titles.items():
            label = QLabel(title)
            label.setToolTip(FIGURE_TIPS[key])
            self.out[key].setToolTip(FIGURE_TIPS[key])
            answer.addRow(label, self.out[key])
        lay = QVBoxLayout(self)
        lay.setSpacing(4)
        lay.addWidget(self.summary)
        lay.addWidget(self.refusal)
        lay.addLayout(form)
        lay.addLayout(answer)
        lay.addStretch(1)

        for edit in (self.wallet, self.entry, self.stop, self.leverage, self.slippage, self.take_profit):
            edit.committed.connect(lambda *_: self.recompute())
        self.risk.edit.editingFinished.connect(self.recompute)
        self.side.currentIndexChanged.connect(lambda *_: self.recompute())
        self.symbol.activated.connect(lambda *_: self._symbol_changed())
        symbol_edit = self.symbol.lineEdit()
        assert symbol_edit is not None
        symbol_edit.editingFinished.connect(self._symbol_changed)
        self.add_btn.clicked.connect(self.add_as_leg)
        document.changed.connect(lambda *_: self._sync_profile())
        self._symbol_shown = ""
        self._doc_key: tuple[object, object] | None = None
        self._sync_profile()

    # -- inputs ------------------------------------------------------------------
    def _sync_profile(self) -> None:
        """List the profile's symbols (on a venue switch) and follow the plan's wallet; then recompute.

        Only the profile and the plan's account feed the size box, so other edits cost nothing here.
        """
        doc = self.document
        key = (doc.profile, doc.plan.account)
        if key == self._doc_key:
            return
        self._doc_key = key
        listed = tuple(sorted(doc.profile.symbols))
        if listed != self._listed:
            self._listed = listed
            current = self.symbol.currentText().strip()
            self.symbol.blockSignals(True)
            self.symbol.clear()
            self.symbol.addItems(listed)
            if current not in doc.profile.symbols:
                current = doc.plan.positions[0].symbol if doc.plan.positions else (listed[0] if listed else "")
            self.symbol.setEditText(current)
            self.symbol.blockSignals(False)
            self._symbol_changed()
        else:
            self._show_wallet()
            self.recompute()

    def _symbol_changed(self) -> None:
        """A new symbol: units and decimals; the entry from the plan's mark for it (empty when the plan does not
        hold it) and the previous symbol's stop and take-profit cleared (another coin's prices mean nothing here)."""
        doc = self.document
        sym = self.symbol.currentText().strip()
        spec = doc.profile.symbols.get(sym)
        if spec is not None and sym != self._symbol_shown:
            self._symbol_shown = sym
            dec = max(0, min(8, tick_decimals(spec.tick_size)))
            mark = doc.marks.get(sym, next((p.mark for p in doc.plan.positions if p.symbol == sym), None))
            for e in (self.entry, self.stop, self.take_profit):
                e.setDecimals(dec)
                e.setSingleStep(spec.tick_size)
                e.setSuffix(spec.quote)
                e.blockSignals(True)  # one recompute below, not one per field
                e.setValue(mark if e is self.entry else None)
                e.blockSignals(False)
            self.wallet.setSuffix(spec.settle)
        self._show_wallet()
        self.recompute()

    def _show_wallet(self) -> None:
        spec = self.document.profile.symbols.get(self.symbol.currentText().strip())
        plan_wallet = self.document.wallet_in(spec.settle) if spec is not None else None
        self.wallet.edit.setPlaceholderText(f"plan's: {plan_wallet:,.2f}" if plan_wallet is not None else "type a wallet")

    # -- answer ------------------------------------------------------------------
    def _clear(self, refusal: str = "", prompt: str = "") -> None:
        """No answer: ``refusal`` (red, why not) or ``prompt`` (what to type next) instead."""
        self.result = None
        for label in self.out.values():
            label.setText("—")
        self._say(self.refusal, refusal)
        self._say(self.summary, prompt)
        self.add_btn.setEnabled(False)

    def recompute(self) -> None:
        """Size the trade from what is on screen; show the answer or the problem at its field."""
        doc = self.document
        for w in self.fields.values():
            w.setProblem("")
        self.risk.setHint("")
        self.leverage.setHint("empty: the largest safe leverage")
        sym = self.symbol.currentText().strip()
        entry, stop = self.entry.value(), self.stop.value()
        if entry is None or stop is None:
            self._clear(prompt="Type an entry and a stop price to size the trade.")
            return
        slip = self.slippage.value()
        try:
            r = doc.size_trade(
                sym,
                str(self.side.currentData()),
                entry=entry,
                stop=stop,
                risk=self.risk.text(),
                wallet=self.wallet.value(),
                leverage=self.leverage.value(),
                slippage=(slip if slip is not None else 0.0) / 100.0,
                take_profit=self.take_profit.value(),
            )
        except PlannerError as exc:
            messages = []
            for p in exc.problems:
                field = self.fields.get(p.path)
                if field is None and p.path == "take_profit":
                    field = self.take_profit
                if field is not None:
                    # The leverage refusal ends with the leverage to use: that is what the field's one line shows.
                    short = p.message.rsplit("; ", 1)[-1] if p.path == "leverage" else p.message
                    field.setProblem(short)
                messages.append(p.message if field is not None else f"{p.path}: {p.message}")
            self._clear("Cannot size: " + "; ".join(messages))
            return
        self.result = r
        self._show(r)

    def _show(self, r: SizeResult) -> None:
        spec = self.document.profile.symbols[r.symbol]
        tick, c, u = spec.tick_size, r.settle, r.quantity_unit
        s = 1 if r.side == "long" else -1
        o = self.out
        o["quantity"].setText(f"{r.quantity:,.8g} {u}  (order {r.quantity_rounded:,.8g} {u})")
        o["risk_amount"].setText(f"{fmt_money(r.risk_amount, c)}  ({fmt_pct(r.risk_fraction)} of {fmt_money(r.wallet, c)})")
        o["loss_at_stop"].setText(
            f"{fmt_money(r.loss_at_stop, c)}  (fees {fmt_money(r.entry_fee + r.exit_fee_at_stop, c)} included; "
            f"order size: {fmt_money(r.loss_at_stop_rounded, c)})"
        )
        chosen = " (auto)" if r.leverage_chosen else ""
        o["position_value"].setText(f"{fmt_money(r.position_value, c)} at {r.leverage:g}x{chosen}")
        o["initial_margin"].setText(f"{fmt_money(r.initial_margin, c)}  + opening fee {fmt_money(r.entry_fee, c)}")
        liq = fmt_price(r.liquidation_price, tick, s)
        o["liquidation_price"].setText(f"{liq}  (beyond the stop up to {math.floor(r.max_safe_leverage * 100) / 100:g}x)")
        warn = "  — liquidation comes before this fill!" if r.liquidation_before_gap_fill else ""
        o["loss_at_gap"].setText(
            f"{fmt_money(r.loss_at_gap, c)}  (stop gaps {fmt_pct(r.slippage)} to {fmt_price(r.gap_fill_price, tick)}){warn}"
        )
        o["loss_at_gap"].setStyleSheet(ERROR_STYLE if warn else "")
        o["max_open"].setText(f"{r.max_quantity:,.6g} {u}  (value {fmt_money(r.max_position_value, c)}) at {r.leverage:g}x")
        tp = next((t for t in r.targets if t.kind == "take_profit"), None)
        if tp is None:
            o["take_profit"].setText("—")
        else:
            rr = f" · R:R {tp.reward_risk:.2f}" if tp.reward_risk is not None else ""
            o["take_profit"].setText(f"PnL {fmt_money(tp.pnl, c)} · ROE {fmt_pct(tp.roe)}{rr}")
        self.leverage.setHint(
            f"{r.leverage:g}x (auto)" if r.leverage_chosen else f"safe up to {math.floor(r.max_safe_leverage * 100) / 100:g}x"
        )
        self.risk.setHint(f"= {fmt_money(r.risk_amount, c)}")
        self._say(
            self.summary,
            f"{'Buy' if s > 0 else 'Sell'} {r.quantity_rounded:,.8g} {u} at {r.leverage:g}x: "
            f"loss at stop {fmt_money(r.loss_at_stop_rounded, c)}, liquidation {liq}",
        )
        too_small = r.quantity_rounded <= 0
        self._say(
            self.refusal,
            f"The size is below one quantity step ({spec.contract_size:g}); risk more or move the stop closer." if too_small else "",
        )
        self.add_btn.setEnabled(not too_small)

    @staticmethod
    def _say(label: QLabel, text: str) -> None:
        """Set ``label``'s text; an empty label takes no room."""
        label.setText(text)
        label.setVisible(bool(text))

    # -- action ------------------------------------------------------------------
    def add_as_leg(self) -> None:
        """Put the sized leg into the plan (one undo step)."""
        if self.result is None:
            return
        try:
            self.document.add_sized_leg(self.result, take_profit=self.take_profit.value())
        except PlannerError as exc:
            self._say(self.refusal, "Cannot add: " + "; ".join(p.message for p in exc.problems))
