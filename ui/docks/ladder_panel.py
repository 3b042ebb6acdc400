"""Scale-in ladder panel (issue 13 item 4): orders added to the selected leg, fill by fill.

The trader types orders (price, quantity) into the first two columns of one
table, or pastes ``PRICE:QTY, …``; the rest of each row shows the leg after
that fill (quantity, average entry, liquidation price, margins, margin ratio,
state; the first row is the leg now) as
:func:`planner.drills.sizing.ladder` computes them (each row is the plan
evaluated with the fills so far). "Apply" puts every fill into the plan as one
undoable step (the document's QUndoStack). No figure is computed here.

A ladder evaluates the whole book once per fill (about 6 ms per fill for a
10-leg book), so it runs on the panel's own worker thread after a short pause
in typing; a newer input supersedes an older one (generation numbers), and a
result whose plan is no longer on screen is never shown nor applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
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
from planner.present.format import fmt_money, fmt_price, fmt_ratio
from planner.present.glossary import FIGURES
from planner.present.numbers import NumberError, parse_number
from ui.docks.worker import LatestJob
from ui.document import PlanDocument
from ui.widgets.number_edit import locale_format

#: Pause after the last keystroke before the ladder is computed (ms).
LADDER_DELAY_MS = 120
_ERROR = "color: #e03131;"
_STATE_COLOURS = {"liquidation": "#e03131", "margin_call": "#e8590c"}

#: Order columns (typed), then result columns: (key, header, tooltip).
ORDER_COLUMNS = 2
RESULT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("price", "Price", "Price the order fills at (quote currency); type it"),
    ("quantity_added", "Add qty", "Quantity the order adds to the leg (base units; inverse: contracts); type it"),
    ("average_entry", "Avg entry", "Size-weighted average entry after this fill (inverse contracts: harmonic average)"),
    ("liquidation_price", "Liquidation", FIGURES["liquidation_price"].explanation),
    ("margin_ratio", "Margin ratio", FIGURES["margin_ratio"].explanation),
    ("state", "State", FIGURES["state"].explanation),
    ("quantity", "Leg qty", "The leg's quantity after this fill"),
    ("initial_margin", "Initial margin", FIGURES["initial_margin"].explanation),
    ("maintenance_margin", "Maint. margin", FIGURES["maintenance_margin"].explanation),
)


@dataclass(frozen=True)
class LadderResult:
    """What the worker computed: the rows and the plan with every fill, for the plan and leg it was given."""

    base: Plan
    leg: int
    rows: list[LadderRow]
    final: Plan
    table_rows: list[int]  # the table row showing each ladder row (empty order rows are skipped)


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

    def __init__(self, document: PlanDocument, parent: QWidget | None = None, *, lazy: bool = False) -> None:
        super().__init__(parent)
        self.document = document
        # In a dock (lazy): nothing is computed while the dock is hidden; set_shown (its visibilityChanged) catches up.
        self._on_screen = not lazy
        self._stale = False
        self.leg = 0 if document.plan.positions else -1
        self.rows: list[LadderRow] = []
        self.result: LadderResult | None = None
        self.error = ""
        self._jobs = LatestJob(LADDER_DELAY_MS, self)
        self._jobs.ready.connect(self._show)
        self._shown = 0

        self.header = QLabel("No leg selected.")
        self.header.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (symbols)
        self.header.setWordWrap(True)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        # One table: row 0 is the leg now; each further row an order (typed price and quantity) and the leg after it.
        self.table = QTableWidget(1, len(RESULT_COLUMNS))
        self.table.setHorizontalHeaderLabels([c[1] for c in RESULT_COLUMNS])
        for k, (_key, _head, tip) in enumerate(RESULT_COLUMNS):
            header_item = self.table.horizontalHeaderItem(k)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setMinimumSectionSize(64)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setToolTip(
            "Type each order's price and quantity in the first two columns; the rest of the row is the leg after that fill.\n"
            "The first row is the leg now. Rows left empty are ignored."
        )
        self.table.setMinimumHeight(96)
        self._start_row()
        self.table.itemChanged.connect(self._on_item_changed)
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add an empty order row (type its price and quantity)")
        self.add_button.clicked.connect(self.add_order)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected order rows")
        self.remove_button.clicked.connect(self.remove_orders)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove every order")
        self.clear_button.clicked.connect(self.clear_orders)
        self.mark_at_fill = QCheckBox("Mark at fill")
        self.mark_at_fill.setChecked(True)
        self.mark_at_fill.setToolTip(
            "On: each row is evaluated with the mark at its fill price (the market is there when the order fills).\n"
            "Off: the plan's mark stays, so the rows show the book at today's price."
        )
        self.mark_at_fill.toggled.connect(lambda *_: self.schedule())
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.clear_button):
            buttons.addWidget(b)
        buttons.addWidget(self.mark_at_fill)
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
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.apply_button = QPushButton("Apply fills")
        self.apply_button.setToolTip("Put every fill into the plan as one step (Edit › Undo / Ctrl+Z restores the leg)")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        buttons.addWidget(self.apply_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addLayout(buttons)
        lay.addWidget(self.table, 1)
        lay.addLayout(paste_row)
        lay.addWidget(self.message)
        document.changed.connect(lambda *_: self._context_changed())
        self._context_changed()

    # -- context -------------------------------------------------------------
    def set_leg(self, row: int) -> None:
        """Ladder onto leg ``row`` (0-based) of the plan; -1: none."""
        if row != self.leg:
            self.leg = row
            self._context_changed()

    def _context_changed(self) -> None:
        if not self._on_screen:  # hidden: an edit costs nothing here; set_shown catches up
            self._stale = True
            self._jobs.bump()
            return
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
        for col, (name, u) in enumerate((("Price", quote), ("Add qty", unit))):
            item = self.table.horizontalHeaderItem(col)
            if item is not None:
                item.setText(f"{name} ({u})" if u else name)

    # -- orders --------------------------------------------------------------
    def _start_row(self) -> None:
        """Row 0: the leg now (its order cells cannot be edited)."""
        self.table.blockSignals(True)
        self.table.setVerticalHeaderItem(0, QTableWidgetItem("now"))
        for c in range(ORDER_COLUMNS):
            self.table.setItem(0, c, _item("—", "The leg as it is in the plan, before any order"))
        self.table.blockSignals(False)

    def order_count(self) -> int:
        """Order rows in the table (empty ones included)."""
        return self.table.rowCount() - 1

    def _new_row(self) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setVerticalHeaderItem(row, QTableWidgetItem(str(row)))
        for c in range(self.table.columnCount()):
            self.table.setItem(row, c, _item("", editable=c < ORDER_COLUMNS))
        return row

    def _renumber(self) -> None:
        for r in range(1, self.table.rowCount()):
            self.table.setVerticalHeaderItem(r, QTableWidgetItem(str(r)))

    def add_order(self) -> int:
        """Append an empty order row and start editing its price; returns the row (1 = first order)."""
        self.table.blockSignals(True)
        row = self._new_row()
        self.table.blockSignals(False)
        self.table.setCurrentCell(row, 0)
        self.table.setFocus()
        self.table.editItem(self._result_item(row, 0))
        return row

    def remove_orders(self) -> None:
        """Remove the selected order rows (the "now" row stays)."""
        rows = {i.row() for i in self.table.selectedIndexes()} or {self.table.currentRow()}
        for r in sorted(rows, reverse=True):
            if r >= 1:
                self.table.removeRow(r)
        self._renumber()
        self.schedule()

    def clear_orders(self) -> None:
        self.table.setRowCount(1)
        self.schedule()

    def set_orders(self, orders: list[tuple[str, str]]) -> None:
        """Replace the table's orders by ``orders`` (price text, quantity text)."""
        self.table.blockSignals(True)
        self.table.setRowCount(1)
        for price, qty in orders:
            row = self._new_row()
            self._result_item(row, 0).setText(price)
            self._result_item(row, 1).setText(qty)
        self.table.blockSignals(False)
        self.schedule()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() < ORDER_COLUMNS and item.row() >= 1:
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
        return [o for _r, o in self._typed()]

    def _typed(self) -> list[tuple[int, tuple[float, float]]]:
        fmt = locale_format()
        out = []
        heads = ("Price", "Add qty")
        for r in range(1, self.table.rowCount()):
            cells = [self.table.item(r, c) for c in range(ORDER_COLUMNS)]
            texts = [(c.text() if c is not None else "").strip() for c in cells]
            if not any(texts):
                continue  # an empty row is not an order
            values = []
            for c, text in enumerate(texts):
                where = f"Order {r}, {heads[c]}"
                try:
                    v = parse_number(text, fmt)
                except NumberError as exc:
                    raise PlannerError([Problem(where, str(exc))], "ladder") from None
                if v <= 0:
                    raise PlannerError([Problem(where, f"must be greater than 0 (got {text})")], "ladder")
                values.append(v)
            out.append((r, (values[0], values[1])))
        return out

    # -- computing -----------------------------------------------------------
    def set_shown(self, shown: bool) -> None:
        """The dock's ``visibilityChanged``: compute what changed while it was hidden."""
        self._on_screen = shown
        if shown and self._stale:
            self._context_changed()

    def schedule(self) -> None:
        """Recompute after a short pause (typing, a new plan, another leg); while hidden, only remember to."""
        if not self._on_screen:
            self._stale = True
            self._jobs.bump()  # what is on screen is no longer the latest input
            return
        self._stale = False
        doc = self.document
        plan, profile, leg = doc.plan, doc.profile, self.leg
        self.apply_button.setEnabled(False)
        if doc.evaluation is None or not 0 <= leg < len(plan.positions):
            gen = self._jobs.bump()
            self._show(gen, PlannerError([Problem("", "no figures: fix the marked fields first")]) if doc.evaluation is None else None)
            return
        try:
            typed = self._typed()
        except PlannerError as exc:
            self._show(self._jobs.bump(), exc)
            return
        orders = [o for _r, o in typed]
        table_rows = [0] + [r for r, _o in typed]
        mark_at_fill = self.mark_at_fill.isChecked()

        def compute() -> LadderResult:
            rows, final = ladder(plan, profile, leg, orders, mark_at_fill=mark_at_fill)
            return LadderResult(plan, leg, rows, final, table_rows)

        self._jobs.submit(compute, field="ladder", what="the ladder")
        self.message.setStyleSheet("")
        self.message.setText("Updating…")

    @property
    def pending(self) -> bool:
        """True while the results on screen do not belong to the latest input."""
        return self._shown != self._jobs.generation

    def flush(self, timeout_ms: int = 30000) -> bool:
        """Compute the latest input now and show it (tests, even while hidden); True when shown."""
        if self._stale:
            on_screen, self._on_screen = self._on_screen, True
            self._context_changed()
            self._on_screen = on_screen
        if not self.pending:
            return True
        self._jobs.flush(timeout_ms)
        return not self.pending

    # -- showing -------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.error = text
        self.message.setStyleSheet(_ERROR)
        self.message.setText(text)

    def _show(self, gen: int, result: LadderResult | PlannerError | None) -> None:
        self._shown = gen
        self.rows = []
        self.result = None
        self.error = ""
        self._clear_results()
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
                "Type an order's price and quantity (Add order), or paste PRICE:QTY, … below."
                if n == 0
                else f"{n} fill(s) on leg #{result.leg + 1}: each row is the leg after that fill."
            )
            self.apply_button.setEnabled(n > 0)
            self.apply_button.setText(f"Apply {n} fill(s)" if n else "Apply fills")
        self.sigUpdated.emit()

    def _result_item(self, row: int, col: int) -> QTableWidgetItem:
        """The cell's item, created once: cells are updated in place, so an open editor is never disturbed."""
        item = self.table.item(row, col)
        if item is None:
            item = _item("")
            self.table.setItem(row, col, item)
        return item

    def _clear_results(self) -> None:
        self.table.blockSignals(True)
        for r in range(self.table.rowCount()):
            for c in range(ORDER_COLUMNS, self.table.columnCount()):
                item = self._result_item(r, c)
                item.setText("")
                item.setToolTip("")
        self.table.blockSignals(False)

    def _fill_results(self, result: LadderResult) -> None:
        pos = result.base.positions[result.leg]
        spec = self.document.profile.symbols.get(pos.symbol)
        tick = spec.tick_size if spec is not None else 0.01
        ccy = spec.settle if spec is not None else ""
        s = pos.side.sign
        normal = self.table.palette().text()
        self.table.blockSignals(True)
        for row, r in zip(result.rows, result.table_rows, strict=True):
            if r >= self.table.rowCount():
                continue
            cells = self.row_texts(row, tick, ccy, s)
            what = "now, before any order" if row.fill == 0 else f"after order {r} ({row.quantity_added:,.10g} at {cells[0]})"
            for c in range(ORDER_COLUMNS, len(cells)):
                text = cells[c]
                item = self._result_item(r, c)
                item.setText(text)
                item.setToolTip(f"{RESULT_COLUMNS[c][1]} {what}: {text}\n{RESULT_COLUMNS[c][2]}")
                colour = _STATE_COLOURS.get(row.state) if RESULT_COLUMNS[c][0] == "state" else None
                item.setForeground(QBrush(QColor(colour)) if colour else normal)
        self.table.blockSignals(False)

    def shown_texts(self, table_row: int) -> list[str]:
        """The result texts shown on ``table_row`` (0 = the leg now), from the Leg qty column on."""
        items = [self.table.item(table_row, c) for c in range(ORDER_COLUMNS, self.table.columnCount())]
        return [item.text() if item is not None else "" for item in items]

    @staticmethod
    def row_texts(row: LadderRow, tick: float, ccy: str, side_sign: int) -> list[str]:
        """Texts of one ladder row in column order (liquidation rounded to the safe side, as every view shows it)."""
        return [
            "" if row.price is None else fmt_price(row.price, tick),
            "" if row.fill == 0 else f"{row.quantity_added:,.10g}",
            fmt_price(row.average_entry, tick),
            fmt_price(row.liquidation_price, tick, side_sign),
            fmt_ratio(row.margin_ratio),
            row.state.replace("_", " "),
            f"{row.quantity:,.10g}",
            fmt_money(row.initial_margin, ccy),
            fmt_money(row.maintenance_margin, ccy),
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
        self.table.setRowCount(1)
        self.paste.clear()
        self.schedule()
        return True
