"""Scale-in ladder panel (issue 13 item 4): orders added to the selected leg, fill by fill.

The trader types orders (price, quantity) into a table, or pastes
``PRICE:QTY, …``; after each fill the panel shows the leg's quantity, average
entry, liquidation price, margins and margin ratio as
:func:`planner.drills.sizing.ladder` computes them (each row is the plan
evaluated with the fills so far). "Apply" puts every fill into the plan as one
undoable step (the document's QUndoStack). No figure is computed here.

A ladder evaluates the whole book once per fill (about 6 ms per fill for a
10-leg book), so it runs on the panel's own worker thread after a short pause
in typing; a newer input supersedes an older one (generation numbers), and a
result whose plan is no longer on screen is never shown nor applied.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner.drills.sizing import LadderRow, ladder, parse_orders
from planner.engine.tiers import TierTable
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_price, fmt_ratio
from planner.present.glossary import FIGURES
from planner.present.numbers import NumberError, parse_number
from ui.document import PlanDocument
from ui.widgets.number_edit import locale_format

#: Pause after the last keystroke before the ladder is computed (ms).
LADDER_DELAY_MS = 120
_ERROR = "color: #e03131;"
_STATE_COLOURS = {"liquidation": "#e03131", "margin_call": "#e8590c"}

#: Result columns: (key, header, tooltip).
RESULT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("fill", "Fill", "'start' is the leg before any order; then one row per order, in the order typed"),
    ("price", "Fill price", "Price the order fills at (quote currency)"),
    ("quantity", "Quantity", "The leg's quantity after this fill (base units; inverse: contracts)"),
    ("average_entry", "Avg entry", "Size-weighted average entry after this fill (inverse contracts: harmonic average)"),
    ("liquidation_price", "Liquidation", FIGURES["liquidation_price"].explanation),
    ("initial_margin", "Initial margin", FIGURES["initial_margin"].explanation),
    ("maintenance_margin", "Maint. margin", FIGURES["maintenance_margin"].explanation),
    ("margin_ratio", "Margin ratio", FIGURES["margin_ratio"].explanation),
    ("state", "State", FIGURES["state"].explanation),
)


@dataclass(frozen=True)
class LadderResult:
    """What the worker computed: the rows and the plan with every fill, for the plan and leg it was given."""

    base: Plan
    leg: int
    rows: list[LadderRow]
    final: Plan


class _Relay(QObject):
    done = Signal(int)


def _item(text: str, tip: str = "", editable: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if not editable:
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tip:
        item.setToolTip(tip)
    return item


class LadderPanel(QWidget):
    """Orders table, results table and Apply for the leg selected in the positions table.

    ``rows`` are the shown :class:`LadderRow` s (empty when there is nothing to
    show); ``error`` the shown one-line problem ("" when none). ``sigUpdated``
    is emitted whenever the results on screen change.
    """

    sigUpdated = Signal()

    def __init__(self, document: PlanDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.leg = 0 if document.plan.positions else -1
        self.rows: list[LadderRow] = []
        self.result: LadderResult | None = None
        self.error = ""
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._lock = threading.Lock()
        self._finished: dict[int, LadderResult | PlannerError] = {}
        self._generation = 0
        self._shown = 0
        self._job: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LADDER_DELAY_MS)
        self._timer.timeout.connect(self._launch)

        self.header = QLabel("No leg selected.")
        self.header.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (symbols)
        self.header.setWordWrap(True)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.orders = QTableWidget(0, 2)
        self.orders.setHorizontalHeaderLabels(["Price", "Quantity"])
        self.orders.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.orders.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.orders.setToolTip("One order per row: the price it fills at and the quantity added to the leg. Rows left empty are ignored.")
        self.orders.setMinimumHeight(110)
        self.orders.itemChanged.connect(lambda *_: self.schedule())
        self.add_button = QPushButton("Add order")
        self.add_button.setToolTip("Add an empty order row (type its price and quantity)")
        self.add_button.clicked.connect(self.add_order)
        self.remove_button = QPushButton("Remove order")
        self.remove_button.setToolTip("Remove the selected order rows")
        self.remove_button.clicked.connect(self.remove_orders)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove every order")
        self.clear_button.clicked.connect(self.clear_orders)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.clear_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.paste = QLineEdit()
        self.paste.setPlaceholderText("Paste orders: PRICE:QTY, … e.g. 58000:0.1, 56000:0.2")
        self.paste.setToolTip("Orders as PRICE:QTY separated by commas; Return replaces the table's orders with them")
        self.paste.returnPressed.connect(self.fill_from_text)
        self.paste_button = QPushButton("Fill table")
        self.paste_button.clicked.connect(self.fill_from_text)
        paste_row = QHBoxLayout()
        paste_row.addWidget(self.paste, 1)
        paste_row.addWidget(self.paste_button)
        self.mark_at_fill = QCheckBox("Mark moves to each fill price")
        self.mark_at_fill.setChecked(True)
        self.mark_at_fill.setToolTip(
            "On: each row is evaluated with the mark at its fill price (the market is there when the order fills).\n"
            "Off: the plan's mark stays, so the rows show the book at today's price."
        )
        self.mark_at_fill.toggled.connect(lambda *_: self.schedule())
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.results = QTableWidget(0, len(RESULT_COLUMNS))
        self.results.setHorizontalHeaderLabels([c[1] for c in RESULT_COLUMNS])
        for k, (_key, _head, tip) in enumerate(RESULT_COLUMNS):
            header_item = self.results.horizontalHeaderItem(k)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.results.verticalHeader().setVisible(False)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.results.setMinimumHeight(120)
        self.apply_button = QPushButton("Apply fills to the plan")
        self.apply_button.setToolTip("Put every fill into the plan as one step (Edit › Undo / Ctrl+Z restores the leg)")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        apply_row = QHBoxLayout()
        apply_row.addStretch(1)
        apply_row.addWidget(self.apply_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(QLabel("Orders"))
        lay.addWidget(self.orders, 1)
        lay.addLayout(buttons)
        lay.addLayout(paste_row)
        lay.addWidget(self.mark_at_fill)
        lay.addWidget(self.message)
        lay.addWidget(QLabel("The leg after each fill"))
        lay.addWidget(self.results, 2)
        lay.addLayout(apply_row)
        document.changed.connect(lambda *_: self._context_changed())
        self._context_changed()

    # -- context -------------------------------------------------------------
    def set_leg(self, row: int) -> None:
        """Ladder onto leg ``row`` (0-based) of the plan; -1: none."""
        if row != self.leg:
            self.leg = row
            self._context_changed()

    def _context_changed(self) -> None:
        doc = self.document
        plan, profile = doc.plan, doc.profile
        if not 0 <= self.leg < len(plan.positions):
            self.header.setText("Select a leg in the Plan to scale into it.")
            self._set_headers("", "")
        else:
            pos = plan.positions[self.leg]
            spec = profile.symbols.get(pos.symbol)
            tick = spec.tick_size if spec is not None else 0.01
            unit = ("contracts" if TierTable.from_spec(spec).inverse else spec.base) if spec is not None else ""
            self.header.setText(
                f"Leg #{self.leg + 1}: {pos.side.value} {pos.quantity:,.10g} {unit} {pos.symbol} at {fmt_price(pos.entry_price, tick)}, "
                f"{pos.leverage:g}x {pos.margin_mode.value}"
            )
            self._set_headers(spec.quote if spec is not None else "", unit)
        self.schedule()

    def _set_headers(self, quote: str, unit: str) -> None:
        self.orders.setHorizontalHeaderLabels([f"Price ({quote})" if quote else "Price", f"Quantity ({unit})" if unit else "Quantity"])

    # -- orders --------------------------------------------------------------
    def add_order(self) -> int:
        """Append an empty order row and start editing its price; returns the row."""
        row = self.orders.rowCount()
        self.orders.insertRow(row)
        self.orders.setCurrentCell(row, 0)
        self.orders.setFocus()
        self.orders.editItem(self._cell(row, 0))
        return row

    def _cell(self, row: int, col: int) -> QTableWidgetItem:
        item = self.orders.item(row, col)
        if item is None:
            item = QTableWidgetItem("")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.orders.setItem(row, col, item)
        return item

    def remove_orders(self) -> None:
        rows = sorted({i.row() for i in self.orders.selectedIndexes()} or {self.orders.currentRow()}, reverse=True)
        for r in rows:
            if r >= 0:
                self.orders.removeRow(r)
        self.schedule()

    def clear_orders(self) -> None:
        self.orders.setRowCount(0)
        self.schedule()

    def set_orders(self, orders: list[tuple[str, str]]) -> None:
        """Replace the table's orders by ``orders`` (price text, quantity text)."""
        self.orders.blockSignals(True)
        self.orders.setRowCount(0)
        for price, qty in orders:
            row = self.orders.rowCount()
            self.orders.insertRow(row)
            self._cell(row, 0).setText(price)
            self._cell(row, 1).setText(qty)
        self.orders.blockSignals(False)
        self.schedule()

    def fill_from_text(self) -> None:
        """Paste box → table: ``PRICE:QTY, …`` (a bad item is named and the table stays as it was)."""
        text = self.paste.text()
        try:
            orders = parse_orders(text, source="Paste orders")
        except PlannerError as exc:
            self._show_error(exc.describe())
            return
        self.set_orders([(f"{p:,.10g}", f"{q:.10g}") for p, q in orders])

    def typed_orders(self) -> list[tuple[float, float]]:
        """The table's orders, read like a typed number field; raises PlannerError naming the row and column."""
        fmt = locale_format()
        out = []
        heads = ("Price", "Quantity")
        for r in range(self.orders.rowCount()):
            texts = [(self.orders.item(r, c).text() if self.orders.item(r, c) is not None else "").strip() for c in (0, 1)]  # type: ignore[union-attr]
            if not any(texts):
                continue  # an empty row is not an order
            values = []
            for c, text in enumerate(texts):
                where = f"Order row {r + 1}, {heads[c]}"
                try:
                    v = parse_number(text, fmt)
                except NumberError as exc:
                    raise PlannerError([Problem(where, str(exc))], "ladder") from None
                if v <= 0:
                    raise PlannerError([Problem(where, f"must be greater than 0 (got {text})")], "ladder")
                values.append(v)
            out.append((values[0], values[1]))
        return out

    # -- computing -----------------------------------------------------------
    def schedule(self) -> None:
        """Recompute after a short pause (typing, a new plan, another leg)."""
        self._generation += 1
        gen = self._generation
        doc = self.document
        plan, profile, leg = doc.plan, doc.profile, self.leg
        self.apply_button.setEnabled(False)
        if doc.evaluation is None or not 0 <= leg < len(plan.positions):
            self._job = None
            self._show(gen, PlannerError([Problem("", "no figures: fix the marked fields first")]) if doc.evaluation is None else None)
            return
        try:
            orders = self.typed_orders()
        except PlannerError as exc:
            self._job = None
            self._show(gen, exc)
            return
        mark_at_fill = self.mark_at_fill.isChecked()
        relay, lock, finished = self._relay, self._lock, self._finished

        def job() -> None:
            result: LadderResult | PlannerError
            try:
                rows, final = ladder(plan, profile, leg, orders, mark_at_fill=mark_at_fill)
                result = LadderResult(plan, leg, rows, final)
            except PlannerError as exc:
                result = exc
            except Exception as exc:  # shown in the panel, never raised into Qt
                result = PlannerError([Problem("ladder", f"the ladder failed: {exc}")])
            with lock:
                finished[gen] = result
            with contextlib.suppress(RuntimeError):  # the panel is gone
                relay.done.emit(gen)

        self._job = job
        self.message.setStyleSheet("")
        self.message.setText("Updating…")
        self._timer.start()

    def _launch(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            self._pool.clear()
            self._pool.start(job)

    @Slot(int)
    def _on_done(self, gen: int) -> None:
        with self._lock:
            result = self._finished.pop(gen, None)
            for old in [g for g in self._finished if g < self._generation]:
                del self._finished[old]
        if gen != self._generation or result is None:
            return
        self._show(gen, result)

    @property
    def pending(self) -> bool:
        """True while the results on screen do not belong to the latest input."""
        return self._shown != self._generation

    def flush(self, timeout_ms: int = 30000) -> bool:
        """Compute the latest input now and show it (tests); True when shown."""
        if not self.pending:
            return True
        self._timer.stop()
        self._launch()
        self._pool.waitForDone(timeout_ms)
        self._on_done(self._generation)
        return not self.pending

    # -- showing -------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.error = text
        self.message.setStyleSheet(_ERROR)
        self.message.setText(text)

    def _show(self, gen: int, result: LadderResult | PlannerError | None) -> None:
        self._shown = gen
        self.results.setRowCount(0)
        self.rows = []
        self.result = None
        self.error = ""
        if isinstance(result, PlannerError):
            self._show_error(result.describe())
        elif result is None:
            self.message.setText("")
        else:
            self.result = result
            self.rows = result.rows
            self._fill_results(result)
            n = len(result.rows) - 1
            self.message.setStyleSheet("")
            self.message.setText(
                "Type orders above (price and quantity), or paste PRICE:QTY, …" if n == 0 else f"{n} fill(s) on leg #{result.leg + 1}."
            )
            self.apply_button.setEnabled(n > 0)
            self.apply_button.setText(f"Apply {n} fill(s) to leg #{result.leg + 1}" if n else "Apply fills to the plan")
        self.sigUpdated.emit()

    def _fill_results(self, result: LadderResult) -> None:
        pos = result.base.positions[result.leg]
        spec = self.document.profile.symbols.get(pos.symbol)
        tick = spec.tick_size if spec is not None else 0.01
        ccy = spec.settle if spec is not None else ""
        s = pos.side.sign
        self.results.setRowCount(len(result.rows))
        for r, row in enumerate(result.rows):
            cells = self.row_texts(row, tick, ccy, s)
            what = "before any order" if row.fill == 0 else f"after fill {row.fill} ({row.quantity_added:,.10g} at {cells[1]})"
            for c, text in enumerate(cells):
                item = _item(text, f"{RESULT_COLUMNS[c][1]} {what}: {text}\n{RESULT_COLUMNS[c][2]}")
                if RESULT_COLUMNS[c][0] == "state" and row.state in _STATE_COLOURS:
                    item.setForeground(QBrush(QColor(_STATE_COLOURS[row.state])))
                self.results.setItem(r, c, item)

    @staticmethod
    def row_texts(row: LadderRow, tick: float, ccy: str, side_sign: int) -> list[str]:
        """The texts of one result row (liquidation rounded to the safe side, as every view shows it)."""
        return [
            "start" if row.fill == 0 else str(row.fill),
            "" if row.price is None else fmt_price(row.price, tick),
            f"{row.quantity:,.10g}",
            fmt_price(row.average_entry, tick),
            fmt_price(row.liquidation_price, tick, side_sign),
            fmt_money(row.initial_margin, ccy),
            fmt_money(row.maintenance_margin, ccy),
            fmt_ratio(row.margin_ratio),
            row.state.replace("_", " "),
        ]

    # -- applying ------------------------------------------------------------
    def apply(self) -> bool:
        """Put the shown ladder's fills into the plan as one undoable step; the orders are then cleared."""
        result = self.result
        doc = self.document
        if result is None or self.pending or result.base is not doc.plan or len(result.rows) < 2:
            return False
        n = len(result.rows) - 1
        pos = result.base.positions[result.leg]
        if not doc.apply_plan(result.final, f"Scale into leg #{result.leg + 1} {pos.symbol} ({n} fill(s))"):
            return False
        self.orders.setRowCount(0)
        self.paste.clear()
        self.schedule()
        return True
