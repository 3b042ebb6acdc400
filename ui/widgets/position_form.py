"""Form for the selected leg: unit-carrying spin boxes, ranges from the profile, problems at the field."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from planner.io.plan_files import resolve_profile
from planner.model.enums import MarginMode, Side
from planner.model.errors import PlannerError
from planner.model.plan import MAX_BALANCE, MAX_PRICE, MAX_QUANTITY
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_pct, fmt_price
from planner.present.targets import TARGET_HELP, target_row_texts
from ui.widgets.number_edit import NumberEdit
from ui.widgets.problem_marks import mark
from ui.widgets.symbol_combo import symbol_combo

_TIPS = {
    "symbol": "Symbol as listed by the exchange profile",
    "side": "Long profits when the price rises; short when it falls",
    "quantity": "Size: base units for linear contracts, number of contracts for inverse ones",
    "entry_price": "Average entry price",
    "mark_price": "Mark price the exchange uses for margin (what-if: drag the mark line)",
    "leverage": "Chosen leverage: initial margin = position value / leverage",
    "margin_mode": "Isolated: the leg has its own margin. Cross: it shares the wallet",
    "isolated_margin": (
        "Margin assigned to an isolated leg; empty ('initial') = position value at entry / leverage. "
        "A cross leg has none of its own: it uses the wallet"
    ),
    "stop_price": "Stop-loss price (quote currency): below the entry for a long, above it for a short; empty = none. "
    "The loss there includes the taker fee on entry and exit",
    "take_profit_price": "Take-profit price (quote currency): above the entry for a long, below it for a short; empty = none",
    "roll": "Dated futures: at expiry close this contract and reopen the next one (settlement fee, taker fee, basis paid)",
    "roll_basis": "Dated futures: the next contract's basis to the index, percent a year (365 days); empty = 0",
}


def _number(decimals: int, step: float, maximum: float, *, allow_empty: bool = False, empty_text: str = "") -> NumberEdit:
    """A field that takes values > 0 up to ``maximum`` and commits when editing finishes."""
    return NumberEdit(
        decimals=decimals,
        step=step,
        minimum=0.0,
        maximum=maximum,
        min_exclusive=True,
        allow_empty=allow_empty,
        empty_text=empty_text,
    )


def short_problem(message: str) -> str:
    """The head of a document problem for the one-line field message (the form's footer shows it whole)."""
    for cut in (" (", "; "):
        if cut in message:
            message = message.split(cut, 1)[0]
    return message


class PositionForm(QWidget):
    """Edits one leg; every change goes to the document as one merged undo step per field."""

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.row = -1
        self.symbol = symbol_combo()
        self._listed_symbols: tuple[str, ...] = ()
        self._listed_profile: ExchangeProfile | None = None
        self._sorted_symbols: tuple[str, ...] = ()
        self.side = QComboBox()
        for s in Side:
            self.side.addItem(s.value, s.value)
        self.mode = QComboBox()
        for m in MarginMode:
            self.mode.addItem(m.value, m.value)
        self.quantity = _number(4, 0.001, MAX_QUANTITY)
        self.entry = _number(2, 1.0, MAX_PRICE)
        self.mark_ = _number(2, 1.0, MAX_PRICE, allow_empty=True, empty_text="= entry price")
        self.leverage = _number(2, 1.0, 1000.0)
        self.leverage.setSuffix("x")
        # Short texts: the field shares its row with the margin button in a 350 px dock (the tooltip says the rest).
        self.isolated = _number(2, 10.0, MAX_BALANCE, allow_empty=True, empty_text="initial")
        self.stop = _number(2, 1.0, MAX_PRICE, allow_empty=True, empty_text="none")
        self.take_profit = _number(2, 1.0, MAX_PRICE, allow_empty=True, empty_text="none")
        # Figures at the stop and the take-profit (from the document's Figures.targets; the form computes nothing).
        self.targets_label = QLabel()
        self.targets_label.setTextFormat(Qt.TextFormat.PlainText)
        self.targets_label.setWordWrap(True)
        self.targets_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.target_roe = NumberEdit(decimals=0, step=10.0, minimum=-100.0, maximum=100_000.0, allow_empty=True, empty_text="e.g. 50")
        self.target_roe.setSuffix("%")
        self.target_roe.setToolTip(
            "Target return on the initial margin, percent (50 = +50 %, -30 = a 30 % loss): "
            "the form shows the price at which this leg reaches it (the exchanges' target-price tab)"
        )
        self.lev_hint = self.leverage.message  # the leverage field's message line carries the allowed maximum
        self.lev_hint.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        # "max 150x for this size on Binance USDS-M perpetuals" is wider than the field in a 1280 px window:
        # two lines, always reserved (the form does not jump when the venue changes).
        self.leverage.setMessageLines(2)
        self.margin_btn = QPushButton("± Margin…")
        self.margin_btn.setToolTip("Add or remove margin of this isolated leg (shows the most you can add and remove)")
        # Dated futures: the expiry comes from the symbol (read-only); Roll reopens the next contract at expiry.
        self.expiry = QLabel("perpetual (no expiry)")
        self.expiry.setTextFormat(Qt.TextFormat.PlainText)
        self.expiry.setWordWrap(True)
        self.roll = QCheckBox("Roll into the next contract at expiry")
        self.roll_basis = NumberEdit(decimals=2, step=0.5, minimum=-100.0, maximum=100.0, allow_empty=True, empty_text="0")
        self.roll_basis.setSuffix(" % a year")
        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e03131;")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Reserved: the footer shows every problem of the leg whole, and the form does not jump when one appears.
        self.problem.setMinimumHeight(2 * self.problem.fontMetrics().lineSpacing())
        self.fields = {
            "symbol": self.symbol,
            "side": self.side,
            "quantity": self.quantity,
            "entry_price": self.entry,
            "mark_price": self.mark_,
            "leverage": self.leverage,
            "margin_mode": self.mode,
            "isolated_margin": self.isolated,
            "stop_price": self.stop,
            "take_profit_price": self.take_profit,
            "roll": self.roll,
            "roll_basis": self.roll_basis,
        }
        form = QFormLayout(self)
        form.addRow("Symbol", self.symbol)
        form.addRow("Side", self.side)
        form.addRow("Quantity", self.quantity)
        form.addRow("Entry price", self.entry)
        form.addRow("Mark price", self.mark_)
        form.addRow("Leverage", self.leverage)
        form.addRow("Margin mode", self.mode)
        iso_row = QHBoxLayout()
        iso_row.addWidget(self.isolated, 1)
        iso_row.addWidget(self.margin_btn)
        form.addRow("Iso. margin", iso_row)
        form.addRow("Stop price", self.stop)
        form.addRow("Take profit", self.take_profit)
        form.addRow(self.targets_label)
        form.addRow("Target ROE", self.target_roe)
        form.addRow("Expiry", self.expiry)
        form.addRow("Roll", self.roll)
        form.addRow("Roll basis", self.roll_basis)
        form.addRow(self.problem)
        for name, edit in (
            ("quantity", self.quantity),
            ("entry_price", self.entry),
            ("mark_price", self.mark_),
            ("leverage", self.leverage),
            ("isolated_margin", self.isolated),
            ("stop_price", self.stop),
            ("take_profit_price", self.take_profit),
        ):
            edit.committed.connect(lambda v, n=name: self._edit(n, v))
        self.target_roe.committed.connect(lambda v: document.set_target_roe(None if v is None else v / 100.0))
        self.side.currentIndexChanged.connect(lambda i: self._edit("side", self.side.itemData(i)))
        self.mode.currentIndexChanged.connect(lambda i: self._edit("margin_mode", self.mode.itemData(i)))
        self.roll.toggled.connect(lambda on: self._edit("roll", bool(on)))
        # Percent a year on screen, a fraction in the plan.
        self.roll_basis.committed.connect(lambda v: self._edit("roll_basis", None if v is None else v / 100.0))
        self.symbol.activated.connect(lambda _i: self._edit("symbol", self.symbol.currentText().strip()))
        symbol_edit = self.symbol.lineEdit()
        assert symbol_edit is not None  # the combo is editable
        symbol_edit.editingFinished.connect(self._symbol_typed)
        self.margin_btn.clicked.connect(self._adjust_margin)
        document.changed.connect(lambda *_: self.sync())
        # A refused edit moves the draft without a new plan: the form follows the draft (profile, hints) too.
        document.problemsChanged.connect(lambda *_: self.sync())
        self.set_row(0 if document.draft.positions else -1)

    def everyday_height(self) -> int:
        """Height (px) of the form down to the stop / take-profit figures: the fields every perpetual leg uses.

        Below them come Target ROE, the dated-futures rows (Expiry, Roll, Roll basis) and the
        problem footer; the Plan dock lets those scroll before it hides legs (MainWindow._fit_plan_split).
        """
        layout = self.layout()
        assert isinstance(layout, QFormLayout)
        spacing = max(layout.verticalSpacing(), 0)
        below = 0
        for field in (self.target_roe, self.expiry, self.roll, self.roll_basis, self.problem):
            label = layout.labelForField(field)
            row = max(field.sizeHint().height(), label.sizeHint().height() if label is not None else 0)
            below += row + spacing
        return self.sizeHint().height() - below

    def _symbol_typed(self) -> None:
        text = self.symbol.currentText().strip()
        if 0 <= self.row < len(self.document.draft.positions) and text != self.document.draft.positions[self.row].symbol:
            self._edit("symbol", text)

    def set_row(self, row: int) -> None:
        self.row = row
        self.sync(force=True)

    def _edit(self, field: str, value) -> None:
        if self._syncing or self.row < 0 or self.row >= len(self.document.draft.positions):
            return
        label = field.replace("_", " ")
        changes = {field: value}
        if field == "symbol":
            profile = self._draft_profile()
            spec = profile.symbols.get(str(value)) if profile is not None else None
            if spec is None or not spec.is_dated:
                changes.update(roll=False, roll_basis=None)  # only dated futures roll: a perpetual drops the roll with the symbol
        widget = self.fields.get(field)
        typed = widget.text() if isinstance(widget, NumberEdit) else ""
        before = self.document.draft
        ok = self.document.update_position(
            self.row, text=f"Edit leg {self.row + 1} {label}", merge_key=f"positions.{self.row}.{field}", **changes
        )
        if not ok and self.document.draft is before and isinstance(widget, NumberEdit):
            # Refused outright (no plan can hold it, e.g. a stop on the wrong side of the entry): keep the typed text.
            probs = self.document.problems_at(f"positions.{self.row}.{field}")
            if probs:
                widget.showRefused(typed, short_problem(probs[0].message))

    _syncing = False
    _cap: float | None = None  # max leverage of the leg on screen (entry notional), for the field's message

    def sync(self, force: bool = False) -> None:
        doc = self.document
        positions = doc.draft.positions
        self.setEnabled(0 <= self.row < len(positions))
        if not (0 <= self.row < len(positions)):
            self.row = 0 if positions else -1
            if self.row < 0:
                return
            self.setEnabled(True)
        pos = positions[self.row]
        profile = self._draft_profile()
        spec = profile.symbols.get(pos.symbol) if profile is not None else None
        self._syncing = True
        try:
            if profile is not self._listed_profile:  # sorted once per venue, not per edit
                self._listed_profile = profile
                self._sorted_symbols = tuple(sorted(profile.symbols)) if profile is not None else ()
            listed = self._sorted_symbols
            if force or self._listed_symbols != listed:  # 682 Binance symbols: rebuild only when the venue changes
                self._listed_symbols = listed
                self.symbol.clear()
                self.symbol.addItems(listed)
            if self.symbol.currentText() != pos.symbol:
                self.symbol.setEditText(pos.symbol)
            if spec is not None:
                tick = spec.tick_size
                dec = max(0, min(8, round(-math.log10(tick)) if tick < 1 else 0))
                for s in (self.entry, self.mark_, self.stop, self.take_profit):
                    s.setDecimals(dec)
                    s.setSingleStep(tick)
                    s.setSuffix(f" {spec.quote}")
                inverse = spec.contract.value == "inverse"
                self.quantity.setSuffix(" contracts" if inverse else f" {spec.base}")
                step = 1.0 if inverse else max(spec.contract_size, 1e-4)
                self.quantity.setSingleStep(step)
                self.quantity.setDecimals(0 if inverse else max(3, min(8, round(-math.log10(step)) if step < 1 else 0)))
                self.isolated.setSuffix(f" {spec.settle}")
            self.quantity.showValue(pos.quantity, force)
            self.entry.showValue(pos.entry_price, force)
            what_if = doc.marks.get(pos.symbol)
            self.mark_.showValue(what_if if what_if is not None else pos.mark_price, force)
            self.mark_.edit.setPlaceholderText(f"{pos.entry_price:,.10g} (= entry)")
            self.mark_.setHint(
                f"what-if mark (plan: {pos.mark:,.10g})"
                if what_if is not None
                else "follows the entry until you type a mark"
                if pos.mark_price is None
                else "empty: follow the entry"
            )
            self.leverage.showValue(pos.leverage, force)
            self.stop.showValue(pos.stop_price, force)
            self.take_profit.showValue(pos.take_profit_price, force)
            self._show_targets(profile)
            self.isolated.showValue(pos.isolated_margin, force)
            self._combo(self.side, pos.side.value)
            self._combo(self.mode, pos.margin_mode.value)
            dated = spec is not None and spec.is_dated
            if dated and spec is not None and spec.expiry is not None:
                ev = doc.evaluation
                # The figures belong to the last valid plan: shown only while it holds this symbol in this row.
                same = ev is not None and self.row < len(doc.plan.positions) and doc.plan.positions[self.row].symbol == pos.symbol
                d = ev.dated_for(self.row) if same and ev is not None else None
                days = f", {d.days_to_expiry:,.2f} days from the {ev.clock}" if d is not None and ev is not None else ""
                self.expiry.setText(f"{spec.expiry:%Y-%m-%d %H:%M} UTC ({spec.delivery}){days}")
            else:
                self.expiry.setText("perpetual (no expiry)")
            if self.roll.isChecked() != pos.roll:
                self.roll.setChecked(pos.roll)
            self.roll.setEnabled(dated or pos.roll)
            self.roll_basis.showValue(None if pos.roll_basis is None else pos.roll_basis * 100.0, force)
            self.roll_basis.setEnabled((dated and pos.roll) or pos.roll_basis is not None)
            iso = pos.margin_mode is MarginMode.ISOLATED
            self.isolated.setEnabled(iso)
            self.isolated.edit.setPlaceholderText("initial" if iso else "n/a: cross")
            self.margin_btn.setEnabled(iso and doc.evaluation is not None)
            # The document's figure (same basis as validation and evaluate: the position value at entry).
            cap = doc.max_leverage(self.row) if spec is not None else None
            self._cap = cap
            if cap is None:
                self.leverage.setHint("")
            else:  # the venue named whole when it fits two lines; else the figure alone (the tooltip names the venue)
                short = f"max {cap:g}x for this size"
                self.leverage.setHint(f"{short} on {profile.name}" if profile is not None else short, short=short)
        finally:
            self._syncing = False
        self._marks()

    def _show_targets(self, profile: ExchangeProfile | None) -> None:
        """Figures at the stop and take-profit and the target-ROE price of the leg on screen (document's Figures)."""
        doc = self.document
        figures = doc.figures
        t = figures.targets.get(self.row) if figures.plan is doc.draft and profile is not None else None
        roe = doc.target_roe
        self.target_roe.showValue(None if roe is None else roe * 100.0)
        if t is None or profile is None:
            self.targets_label.setText("" if figures.plan is doc.draft else "Stop / take-profit figures: fix the marked fields")
            self.targets_label.setToolTip("")
            self.target_roe.setHint("type a ROE to see the price that reaches it" if figures.plan is doc.draft else "")
            return
        x = target_row_texts(t, profile)
        lines = []
        if t.stop is not None:
            lines.append(f"At stop: PnL {x['stop_pnl']} · ROE {x['stop_roe']}")
        if t.take_profit is not None:
            rr = f" · R:R {x['rr']}" if t.reward_risk is not None else ""
            lines.append(f"At take profit: PnL {x['tp_pnl']} · ROE {x['tp_roe']}{rr}")
        if t.liquidation_first:
            tick = profile.symbols[t.symbol].tick_size
            lines.append(f"Liquidation at {fmt_price(t.liquidation_price, tick)} comes before the stop: the stop never fills")
        self.targets_label.setText("\n".join(lines))
        style = "color: #e03131;" if t.liquidation_first else ""
        if self.targets_label.styleSheet() != style:  # a style sheet re-polishes the label: only on change
            self.targets_label.setStyleSheet(style)
        self.targets_label.setToolTip(
            "\n".join(TARGET_HELP[k] for k in ("pnl", "roe", "reward_risk")) + ("\n" + TARGET_HELP["liquidation_first"])
        )
        if roe is None:
            self.target_roe.setHint("type a ROE to see the price that reaches it")
        else:
            tick = profile.symbols[t.symbol].tick_size
            where = fmt_price(t.roe_price, tick) if t.roe_price is not None else "never reached"
            self.target_roe.setHint(f"{fmt_pct(roe, 0)} ROE at {where} (before fees)")

    def _draft_profile(self) -> ExchangeProfile | None:
        """The profile of the plan on screen (the draft), which may not be the one the figures use yet."""
        doc = self.document
        if doc.draft.profile_id == doc.profile.id:
            return doc.profile
        try:
            return resolve_profile(doc.draft, doc.user_profiles)
        except PlannerError:
            return None

    @staticmethod
    def _combo(combo: QComboBox, value: str) -> None:
        i = combo.findData(value)
        if i != combo.currentIndex():
            combo.blockSignals(True)
            combo.setCurrentIndex(i)
            combo.blockSignals(False)

    def _marks(self) -> None:
        if self.row < 0:
            return
        doc = self.document
        probs_all = doc.problems_at(f"positions.{self.row}")
        for name, w in self.fields.items():
            probs = doc.problems_at(f"positions.{self.row}.{name}")
            mark(w, probs, _TIPS[name])
            if isinstance(w, NumberEdit):
                short = short_problem(probs[0].message) if probs else ""
                if probs and name == "leverage" and self._cap is not None:
                    short = f"above this size's maximum {self._cap:g}x"
                w.setProblem(short)
        self.problem.setText("\n".join(p.message for p in probs_all))

    def _adjust_margin(self) -> None:
        from ui.dialogs.margin_adjust import MarginAdjustDialog

        MarginAdjustDialog(self.document, self.row, self).exec()
