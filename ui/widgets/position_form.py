"""Form for the selected leg: unit-carrying spin boxes, ranges from the profile, problems at the field."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from planner.engine.tiers import TierTable, max_leverage_at
from planner.engine.validation import formula_quantity
from planner.model.enums import MarginMode, Side
from planner.model.plan import MAX_BALANCE, MAX_PRICE, MAX_QUANTITY
from ui.widgets.problem_marks import mark

_TIPS = {
    "symbol": "Symbol as listed by the exchange profile",
    "side": "Long profits when the price rises; short when it falls",
    "quantity": "Size: base units for linear contracts, number of contracts for inverse ones",
    "entry_price": "Average entry price",
    "mark_price": "Mark price the exchange uses for margin (what-if: drag the mark line)",
    "leverage": "Chosen leverage: initial margin = position value / leverage",
    "margin_mode": "Isolated: the leg has its own margin. Cross: it shares the wallet",
    "isolated_margin": "Margin assigned to an isolated leg; 'initial' = position value at entry / leverage",
}


def _spin(decimals: int, step: float, lo: float, hi: float) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setDecimals(decimals)
    s.setSingleStep(step)
    s.setRange(lo, hi)
    s.setKeyboardTracking(True)
    s.setGroupSeparatorShown(True)
    s.setAccelerated(True)
    return s


class PositionForm(QWidget):
    """Edits one leg; every change goes to the document as one merged undo step per field."""

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.row = -1
        self.symbol = QComboBox()
        self.symbol.setEditable(True)
        self.symbol.setMaxVisibleItems(20)
        # Hundreds of symbols (Binance USD-M): typing filters by any part of the name ("pepe" -> 1000PEPEUSDT).
        completer = self.symbol.completer()
        assert completer is not None  # an editable combo box always has one
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._listed_symbols: tuple[str, ...] = ()
        self.side = QComboBox()
        for s in Side:
            self.side.addItem(s.value, s.value)
        self.mode = QComboBox()
        for m in MarginMode:
            self.mode.addItem(m.value, m.value)
        self.quantity = _spin(4, 0.001, 0.0, MAX_QUANTITY)
        self.entry = _spin(2, 1.0, 0.0, MAX_PRICE)
        self.mark_ = _spin(2, 1.0, 0.0, MAX_PRICE)
        self.leverage = _spin(2, 1.0, 0.0, 1000.0)
        self.leverage.setSuffix(" x")
        self.isolated = _spin(2, 10.0, 0.0, MAX_BALANCE)
        self.isolated.setSpecialValueText("initial (value / leverage)")
        self.lev_hint = QLabel()
        self.lev_hint.setWordWrap(True)
        self.margin_btn = QPushButton("Add / remove margin…")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e03131;")
        self.fields = {
            "symbol": self.symbol,
            "side": self.side,
            "quantity": self.quantity,
            "entry_price": self.entry,
            "mark_price": self.mark_,
            "leverage": self.leverage,
            "margin_mode": self.mode,
            "isolated_margin": self.isolated,
        }
        form = QFormLayout(self)
        form.addRow("Symbol", self.symbol)
        form.addRow("Side", self.side)
        form.addRow("Quantity", self.quantity)
        form.addRow("Entry price", self.entry)
        form.addRow("Mark price", self.mark_)
        form.addRow("Leverage", self.leverage)
        form.addRow("", self.lev_hint)
        form.addRow("Margin mode", self.mode)
        iso_row = QHBoxLayout()
        iso_row.addWidget(self.isolated, 1)
        iso_row.addWidget(self.margin_btn)
        form.addRow("Iso. margin", iso_row)
        form.addRow(self.problem)
        for name, spin in (
            ("quantity", self.quantity),
            ("entry_price", self.entry),
            ("mark_price", self.mark_),
            ("leverage", self.leverage),
        ):
            spin.valueChanged.connect(lambda v, n=name: self._edit(n, v))
        self.isolated.valueChanged.connect(lambda v: self._edit("isolated_margin", None if v == 0.0 else v))
        self.side.currentIndexChanged.connect(lambda i: self._edit("side", self.side.itemData(i)))
        self.mode.currentIndexChanged.connect(lambda i: self._edit("margin_mode", self.mode.itemData(i)))
        self.symbol.currentTextChanged.connect(lambda t: self._edit("symbol", t.strip()))
        self.margin_btn.clicked.connect(self._adjust_margin)
        document.changed.connect(lambda *_: self.sync())
        document.problemsChanged.connect(lambda *_: self._marks())
        self.set_row(0 if document.draft.positions else -1)

    def set_row(self, row: int) -> None:
        self.row = row
        self.sync(force=True)

    def _edit(self, field: str, value) -> None:
        if self._syncing or self.row < 0 or self.row >= len(self.document.draft.positions):
            return
        if field in ("quantity", "entry_price", "mark_price", "leverage") and value == 0.0:
            from planner.model.errors import Problem

            self.document.refuse([Problem(f"positions.{self.row}.{field}", "must be greater than 0")])
            return
        label = field.replace("_", " ")
        self.document.update_position(
            self.row, text=f"Edit leg {self.row + 1} {label}", merge_key=f"positions.{self.row}.{field}", **{field: value}
        )

    _syncing = False

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
        spec = doc.profile.symbols.get(pos.symbol)
        self._syncing = True
        try:
            listed = tuple(doc.profile.symbols)
            if force or self._listed_symbols != listed:
                self._listed_symbols = listed
                self.symbol.clear()
                self.symbol.addItems(sorted(doc.profile.symbols))
            if self.symbol.currentText() != pos.symbol:
                self.symbol.setEditText(pos.symbol)
            if spec is not None:
                tick = spec.tick_size
                dec = max(0, min(8, round(-math.log10(tick)) if tick < 1 else 0))
                for s in (self.entry, self.mark_):
                    s.setDecimals(dec)
                    s.setSingleStep(tick)
                    s.setSuffix(f" {spec.quote}")
                inverse = spec.contract.value == "inverse"
                self.quantity.setSuffix(" contracts" if inverse else f" {spec.base}")
                step = 1.0 if inverse else max(spec.contract_size, 1e-4)
                self.quantity.setSingleStep(step)
                self.quantity.setDecimals(0 if inverse else max(3, min(8, round(-math.log10(step)) if step < 1 else 0)))
                self.isolated.setSuffix(f" {spec.settle}")
            self._set(self.quantity, pos.quantity)
            self._set(self.entry, pos.entry_price)
            self._set(self.mark_, doc.marks.get(pos.symbol, pos.mark))
            self._set(self.leverage, pos.leverage)
            self._set(self.isolated, 0.0 if pos.isolated_margin is None else pos.isolated_margin)
            self._combo(self.side, pos.side.value)
            self._combo(self.mode, pos.margin_mode.value)
            iso = pos.margin_mode is MarginMode.ISOLATED
            self.isolated.setEnabled(iso)
            self.margin_btn.setEnabled(iso and doc.evaluation is not None)
            if spec is not None:
                table = TierTable.from_spec(spec)
                cap = float(max_leverage_at(formula_quantity(pos, spec), pos.entry_price, table))
                self.lev_hint.setText(f"max {cap:g}x for this size on {doc.profile.name}")
            else:
                self.lev_hint.setText("")
        finally:
            self._syncing = False
        self._marks()

    @staticmethod
    def _set(spin: QDoubleSpinBox, value: float) -> None:
        if abs(spin.value() - value) > 1e-12 * max(1.0, abs(value)):
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)

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
            mark(w, doc.problems_at(f"positions.{self.row}.{name}"), _TIPS[name])
        self.problem.setText("\n".join(p.message for p in probs_all))
        self.problem.setVisible(bool(probs_all))

    def _adjust_margin(self) -> None:
        from ui.dialogs.margin_adjust import MarginAdjustDialog

        MarginAdjustDialog(self.document, self.row, self).exec()
