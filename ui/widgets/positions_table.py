"""Table of legs: a thin QAbstractTableModel over the document's draft plan."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QProxyStyle,
    QPushButton,
    QStyle,
    QStyleOption,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from planner.engine.tiers import TierTable, max_leverage_at
from planner.engine.validation import formula_quantity
from planner.engine.venues import LegMapping, map_leg_to
from planner.model.enums import MarginMode, Side
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan, Position
from planner.present.numbers import NumberError, parse_number
from planner.present.targets import TARGET_HELP, target_row_texts
from ui.widgets.number_edit import locale_format

NUMERIC = ("quantity", "entry_price", "mark_price", "leverage", "isolated_margin", "stop_price", "take_profit_price")
#: Columns of words, left-aligned; the numbers in every other column are right-aligned.
TEXT_FIELDS = ("symbol", "side", "margin_mode")
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
#: Columns the document computes (from Figures.targets): shown, not edited.
COMPUTED = ("reward_risk",)

#: Notional (quote currency) of a new leg when nothing else says how big it should be.
NEW_LEG_NOTIONAL = 1000.0

COLUMNS = [
    ("symbol", "Symbol"),
    ("side", "Side"),
    ("quantity", "Qty"),
    ("entry_price", "Entry"),
    ("mark_price", "Mark"),
    ("leverage", "Lev."),
    ("margin_mode", "Mode"),
    ("isolated_margin", "IM"),  # isolated margin (Bybit's "IM"): the full name is in the header tooltip
    ("stop_price", "Stop"),
    ("take_profit_price", "TP"),
    ("reward_risk", "R:R"),
    ("expiry", "Expiry"),  # dated futures: from the symbol, read-only
    ("roll", "Roll"),  # dated futures: check box, roll into the next contract at expiry
]
#: Full names of the (short) headers: the header menu and the header tooltips.
COLUMN_NAMES = {
    "symbol": "Symbol",
    "side": "Side",
    "quantity": "Quantity",
    "entry_price": "Entry price",
    "mark_price": "Mark price",
    "leverage": "Leverage",
    "margin_mode": "Margin mode",
    "isolated_margin": "Isolated margin",
    "stop_price": "Stop-loss price",
    "take_profit_price": "Take-profit price",
    "reward_risk": "Reward-to-risk",
    "expiry": "Expiry",
    "roll": "Roll at expiry",
}
#: Columns that are not fields a user types into.
READ_ONLY = ("expiry", *COMPUTED)
#: Hidden until the user shows them (right-click the header): the leg form shows them for the selected leg.
#: What stays is what sets the liquidation: symbol, side, size, entry, mark, leverage, mode, isolated margin,
#: readable without sideways scrolling in the Plan dock of a 1280 px window.
DEFAULT_HIDDEN = ("stop_price", "take_profit_price", "reward_risk", "expiry", "roll")
#: Rows read to size the columns (those on screen first): enough for a 200-leg book to fit cheaply.
FIT_ROWS = 50
#: QSettings key of the hidden columns (comma-separated field names; "" = every column shown).
HIDDEN_KEY = "legs/hidden_columns"
#: Suffix of a what-if mark (dragged on the plot) in the Mark column; the cell's tooltip says the plan's mark.
WHAT_IF = "*"

HEADER_TIPS = {
    "stop_price": "Stop-loss price; hover a cell for the PnL and ROE there (taker fees on entry and exit included)",
    "take_profit_price": "Take-profit price; hover a cell for the PnL and ROE there (taker fees on entry and exit included)",
    "reward_risk": "Reward-to-risk: net PnL at the take-profit / net loss at the stop",
}

#: Header tooltips: what each (short) column header means, with its unit.
COLUMN_TIPS = {
    "symbol": "Symbol as the exchange profile lists it",
    "side": "long profits when the price rises, short when it falls",
    "quantity": "Quantity: base units for a linear contract (BTC of BTCUSDT), number of contracts for an inverse one",
    "entry_price": "Average entry price, quote currency",
    "mark_price": f"Mark price the exchange uses for margin, quote currency; '{WHAT_IF}' (italic) = a what-if mark dragged on the plot",
    "leverage": "Chosen leverage: initial margin = position value at entry / leverage",
    "margin_mode": "iso = isolated (the leg has its own margin), cross = shares the wallet",
    "isolated_margin": (
        "Margin of an isolated leg, settlement currency: 'initial' = position value at entry / leverage, "
        "then any margin added (+) or removed (-); '—' for a cross leg, which uses the wallet"
    ),
    "expiry": "Dated futures: when the contract settles (UTC, from the symbol); '—' for a perpetual",
    "roll": "Dated futures: checked = close at expiry and reopen the next contract (settlement fee, taker fee, basis)",
}


class DenseStyle(QProxyStyle):
    """Fusion with 2 px (not 3) between a cell's text and its grid line, 1 px (not 2) in headers.

    Eight columns of the legs table then fit the Plan dock of a 1280 px window beside plots
    at least 400 px wide; text is still never cut (widths are measured with these margins).
    """

    def __init__(self) -> None:
        super().__init__("Fusion")

    def pixelMetric(self, metric: QStyle.PixelMetric, option: QStyleOption | None = None, widget: QWidget | None = None) -> int:
        if metric == QStyle.PixelMetric.PM_FocusFrameHMargin:
            return 1
        if metric == QStyle.PixelMetric.PM_HeaderMargin:
            return 1
        return super().pixelMetric(metric, option, widget)


class PositionsModel(QAbstractTableModel):
    #: An unmapped leg came back: its row in the plan, and a note for the user ("" when none), e.g. the
    #: funding rate kept when the plan already had one for its symbol.
    broughtBack = Signal(int, str)

    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._n = len(document.draft.positions) + len(document.unmapped)
        self._shown = self._state()
        self._unmapped_shown = list(document.unmapped)
        document.changed.connect(lambda *_: self.sync())
        document.problemsChanged.connect(lambda *_: self.sync())

    def _state(self) -> tuple[tuple[Position, ...], dict[str, float], dict[int, list[Problem]], object]:
        """What the cells show: the draft's legs, the what-if marks, the problems by row and the profile (expiries)."""
        doc = self.document
        by_row: dict[int, list[Problem]] = {}
        for p in doc.problems:
            head, _, rest = p.path.partition(".")
            row = rest.split(".", 1)[0]
            if head == "positions" and row.isdigit():
                by_row.setdefault(int(row), []).append(p)
        return tuple(doc.draft.positions), dict(doc.marks), by_row, doc.profile

    def sync(self) -> None:
        """Follow the draft: a reset when legs are added or removed, else ``dataChanged`` over the rows that changed.

        A row changed when its leg is another object (edits copy only the edited leg), its
        symbol's what-if mark moved, or its problems differ; every row when the profile changed.
        """
        old, self._shown = self._shown, self._state()
        n = len(self.document.draft.positions) + len(self.document.unmapped)
        extra, self._unmapped_shown = self._unmapped_shown, list(self.document.unmapped)
        if n != self._n:
            self.beginResetModel()
            self._n = n
            self.endResetModel()
            return
        legs, marks, problems, profile = self._shown
        moved = {s for s in marks.keys() | old[1].keys() if marks.get(s) != old[1].get(s)}
        rows = [
            i
            for i, pos in enumerate(legs)
            if profile is not old[3] or i >= len(old[0]) or pos is not old[0][i] or pos.symbol in moved or problems.get(i) != old[2].get(i)
        ]
        if extra != self._unmapped_shown or (self._unmapped_shown and profile is not old[3]):
            rows += range(len(legs), n)  # the greyed rows of unmapped legs (their venue named in the tooltip)
        else:
            rows += [r for r in range(len(legs), n) if problems.get(r) != old[2].get(r)]  # a refused symbol typed there
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return COLUMNS[section][1]
            return f"#{section + 1}" if self.unmapped_at(section) is None else "—"
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            name, header = COLUMNS[section]
            full = COLUMN_NAMES[name] + ("" if COLUMN_NAMES[name] == header else f" ({header})")
            tip = COLUMN_TIPS.get(name) or HEADER_TIPS.get(name) or ""
            return f"{full}\n{tip}\n(Right-click the header to show or hide columns.)"
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Vertical:
            gone = self.unmapped_at(section)
            return self.unmapped_tooltip(gone) if gone is not None else None
        return None

    def unmapped_at(self, row: int) -> LegMapping | None:
        """The leg a venue switch could not map shown on ``row`` (rows after the draft's legs, as in Results)."""
        n = len(self.document.draft.positions)
        extra = self.document.unmapped
        return extra[row - n] if n <= row < n + len(extra) else None

    def unmapped_tooltip(self, gone: LegMapping) -> str:
        venue = self.document.draft_profile_name()
        return (
            f"Leg #{gone.index + 1} {gone.source_symbol} is not mapped to {venue}: {gone.reason}. "
            f"It is left out of the plan, so it has no figures. Type a symbol of the same coin that {venue} lists into its "
            "Symbol cell to bring it back (converted at equal USD value), or select it and press Remove; "
            "Undo restores the previous venue's plan."
        )

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        field = COLUMNS[index.column()][0] if index.isValid() else ""
        if self.unmapped_at(index.row()) is not None:
            return base | Qt.ItemFlag.ItemIsEditable if field == "symbol" else base  # only its symbol can be changed
        if field in READ_ONLY:
            return base
        if field == "roll":
            return base | Qt.ItemFlag.ItemIsUserCheckable if self._spec_of(index.row(), dated=True) or self._roll(index.row()) else base
        return base | Qt.ItemFlag.ItemIsEditable

    def _spec_of(self, row: int, dated: bool = False):
        """The symbol spec of leg ``row`` on the document's profile (None if unlisted, or not dated when ``dated``)."""
        if not 0 <= row < len(self.document.draft.positions):
            return None
        spec = self.document.profile.symbols.get(self.document.draft.positions[row].symbol)
        return None if spec is None or (dated and not spec.is_dated) else spec

    def _roll(self, row: int) -> bool:
        return 0 <= row < len(self.document.draft.positions) and self.document.draft.positions[row].roll

    def _display(self, pos: Position, field: str, marks: dict[str, float]) -> str:
        """The cell text of ``field`` of ``pos`` (``marks``: what-if marks by symbol)."""
        v = getattr(pos, field)
        if field == "mark_price":
            v = marks.get(pos.symbol, pos.mark)
            return f"{v:,.6g}" + (WHAT_IF if pos.symbol in marks else "")
        if field == "leverage":
            return f"{v:g}x"
        if field == "isolated_margin":
            if pos.margin_mode is MarginMode.CROSS:
                return "—"
            return "initial" if v is None else f"{v:,.2f}" + (f" {pos.added_margin:+,.2f}" if pos.added_margin else "")
        if field == "margin_mode":
            return "iso" if v is MarginMode.ISOLATED else v.value  # narrow enough for a 400 px plan dock
        if hasattr(v, "value"):
            return str(v.value)
        return f"{v:,.8g}" if isinstance(v, float) else str(v)

    def _unmapped_data(self, gone: LegMapping, field: str, role: int, row: int = -1):
        """A leg the venue switch left out: its fields as the previous venue had them, greyed, the reason as tooltip.

        A symbol typed to bring it back and refused marks the Symbol cell red, the message first in its tooltip.
        """
        probs = self.document.problems_at(f"positions.{row}.symbol") if field == "symbol" else []
        if probs and role == Qt.ItemDataRole.BackgroundRole:
            return QColor(224, 49, 49, 70)
        if probs and role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(p.message for p in probs) + "\n\n" + self.unmapped_tooltip(gone)
        if role == Qt.ItemDataRole.DisplayRole:
            if gone.position is None or field in ("expiry", "roll", "reward_risk"):
                return gone.source_symbol if field == "symbol" else "—"
            if field in ("stop_price", "take_profit_price"):
                v = getattr(gone.position, field)
                return "—" if v is None else f"{v:,.8g}"
            return self._display(gone.position, field, {})
        if role == Qt.ItemDataRole.EditRole:
            return gone.source_symbol if field == "symbol" else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.unmapped_tooltip(gone)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(134, 142, 150)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and field not in TEXT_FIELDS:
            return RIGHT_ALIGNED
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        field = COLUMNS[index.column()][0]
        if index.row() >= len(self.document.draft.positions):
            gone = self.unmapped_at(index.row())
            return None if gone is None else self._unmapped_data(gone, field, role, index.row())
        pos: Position = self.document.draft.positions[index.row()]
        probs = self.document.problems_at(f"positions.{index.row()}.{field}")
        if field in ("stop_price", "take_profit_price", "reward_risk"):
            return self._target_data(index.row(), pos, field, role, probs)
        if field in ("expiry", "roll"):
            return self._dated_data(index.row(), pos, field, role, probs)
        if role == Qt.ItemDataRole.EditRole:
            v = getattr(pos, field)
            if field in NUMERIC:
                # Text, so the editor is a plain line edit read by parse_number (a spin box editor would
                # misread "97,123.5" and clamp to its range); empty = initial margin / mark follows entry.
                return "" if v is None else f"{v:.12g}"
            return v.value if hasattr(v, "value") else v
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(pos, field, self.document.marks)
        if role == Qt.ItemDataRole.BackgroundRole and probs:
            return QColor(224, 49, 49, 70)
        if role == Qt.ItemDataRole.ToolTipRole and probs:
            return "\n".join(p.message for p in probs)
        what_if = field == "mark_price" and pos.symbol in self.document.marks
        if role == Qt.ItemDataRole.ToolTipRole and what_if:
            return f"What-if mark {self.document.marks[pos.symbol]:,.10g} (dragged on the plot); the plan's mark is {pos.mark:,.10g}"
        if role == Qt.ItemDataRole.FontRole and what_if:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and field not in TEXT_FIELDS:
            return RIGHT_ALIGNED
        return None

    def _target_data(self, row: int, pos: Position, field: str, role, probs: list[Problem]):
        """Stop, take-profit and R:R cells; their tooltips carry the PnL and ROE the document computed."""
        doc = self.document
        figures = doc.figures
        t = figures.targets.get(row) if figures.plan is doc.draft else None
        if role == Qt.ItemDataRole.EditRole:
            v = getattr(pos, field, None)
            return "" if v is None else f"{v:.12g}"
        if role == Qt.ItemDataRole.DisplayRole:
            if field == "reward_risk":
                return "—" if t is None or t.reward_risk is None else f"{t.reward_risk:.2f}"
            v = getattr(pos, field)
            return "—" if v is None else f"{v:,.8g}"
        if role == Qt.ItemDataRole.BackgroundRole and probs:
            return QColor(224, 49, 49, 70)
        if role == Qt.ItemDataRole.ForegroundRole and field == "stop_price" and t is not None and t.liquidation_first:
            return QColor(224, 49, 49)
        if role == Qt.ItemDataRole.ToolTipRole:
            if probs:
                return "\n".join(p.message for p in probs)
            if t is None:
                return HEADER_TIPS[field] + ("" if figures.plan is doc.draft else " (figures: fix the marked fields first)")
            x = target_row_texts(t, doc.profile)
            lines = []
            if t.stop is not None:
                lines.append(f"At the stop {x['stop']}: PnL {x['stop_pnl']}, ROE {x['stop_roe']}")
            if t.take_profit is not None:
                lines.append(f"At the take-profit {x['tp']}: PnL {x['tp_pnl']}, ROE {x['tp_roe']}")
            if t.reward_risk is not None:
                lines.append(f"R:R {x['rr']} (net PnL at the take-profit / net loss at the stop)")
            if t.liquidation_first:
                lines.append(TARGET_HELP["liquidation_first"])
            return "\n".join(lines) or HEADER_TIPS[field] + " (type one here or in the form)"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _dated_data(self, row: int, pos: Position, field: str, role, probs: list[Problem]):
        """Expiry (UTC, from the symbol) and the Roll check box; '—' for perpetuals."""
        spec = self._spec_of(row, dated=True)
        if field == "expiry":
            if role == Qt.ItemDataRole.DisplayRole:
                return "—" if spec is None or spec.expiry is None else f"{spec.expiry:%Y-%m-%d %H:%M} UTC"
            if role == Qt.ItemDataRole.ToolTipRole:
                return "perpetual: no expiry" if spec is None else f"{spec.delivery} future: settles at this time (UTC)"
            return None
        if role == Qt.ItemDataRole.CheckStateRole and (spec is not None or pos.roll):
            return Qt.CheckState.Checked if pos.roll else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole and spec is None and not pos.roll:
            return "—"
        if role == Qt.ItemDataRole.BackgroundRole and probs:
            return QColor(224, 49, 49, 70)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(p.message for p in probs) if probs else "roll into the next contract at expiry"
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        field = COLUMNS[index.column()][0]
        gone = self.unmapped_at(index.row())
        if gone is not None:
            return role == Qt.ItemDataRole.EditRole and field == "symbol" and self.bring_back(gone, str(value).strip())
        if field == "roll" and role == Qt.ItemDataRole.CheckStateRole:
            on = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
            self.document.update_position(index.row(), text=f"Edit leg {index.row() + 1} roll", roll=bool(on))
            return True
        if role != Qt.ItemDataRole.EditRole or field in READ_ONLY or field == "roll":
            return False
        if isinstance(value, str) and field in NUMERIC:
            text = value.strip().removesuffix("x").removesuffix(WHAT_IF).removesuffix("(what-if)").strip()
            if field in ("stop_price", "take_profit_price") and text in ("", "—", "none"):
                value = None  # no stop / no take-profit
            elif field in ("isolated_margin", "mark_price") and text in ("", "initial"):
                value = None  # initial margin / mark follows the entry
            else:
                try:
                    value = parse_number(text, locale_format())
                except NumberError as exc:
                    self.document.refuse([Problem(f"positions.{index.row()}.{field}", str(exc))])
                    return False
        changes = {field: value}
        if field == "symbol":
            spec = self.document.profile.symbols.get(str(value))
            if spec is None or not spec.is_dated:
                changes.update(roll=False, roll_basis=None)  # only dated futures roll
        self.document.update_position(index.row(), **changes)
        return True

    def bring_back(self, gone: LegMapping, symbol: str) -> bool:
        """Put an unmapped leg back into the plan under ``symbol`` (one undoable step; checked like any edit).

        The leg's numbers are for ``gone.origin``: :func:`planner.engine.venues.map_leg_to`
        converts them to ``symbol`` on the draft's venue at equal USD value at entry and carries
        its funding rate by coin (same rate per hour), as a venue switch does; its what-if mark
        follows (price unit converted). A symbol that is not the leg's coin, a perpetual for a
        dated leg (or the reverse) or not listed is refused with a message at the row's Symbol
        cell, and the leg stays as it was.
        """
        doc = self.document
        row = len(doc.draft.positions) + next((k for k, m in enumerate(doc.unmapped) if m is gone), 0)
        venue, _problems = doc.check(doc.draft)
        if gone.position is None or not symbol or venue is None:
            return False
        if symbol == gone.source_symbol and symbol not in venue.symbols:
            return False  # the editor closed unchanged
        if gone.origin is None:
            doc.refuse(
                [Problem(f"positions.{row}.symbol", f"Symbol: the venue leg #{gone.index + 1} was written for is unknown; remove the leg")]
            )
            return False
        try:
            moved = map_leg_to(gone.position, gone.origin, venue, symbol, gone.funding_rate)
        except PlannerError as exc:
            doc.refuse([Problem(f"positions.{row}.{p.path}", p.message) for p in exc.problems])
            return False
        if gone.source_symbol in doc.marks and symbol not in doc.marks:
            doc.marks[symbol] = doc.marks[gone.source_symbol] * moved.price_scale
        # At its place (#2 stays #2); a leg already on the symbol keeps its rate, as in a switch (the note says so).
        ok, at, note = doc.bring_back(gone, moved.position, moved.funding_rate, f"Bring back {gone.source_symbol} leg as {symbol}")
        if ok:
            self.broughtBack.emit(at, note)
        return True

    def drop_unmapped(self, gone: LegMapping) -> None:
        """Remove an unmapped leg for good (one undoable step)."""
        doc = self.document
        rest = [m for m in doc.unmapped if m is not gone]
        doc.apply_plan(doc.draft, f"Remove unmapped {gone.source_symbol} leg", unmapped=rest)


class PositionsTable(QWidget):
    """Legs table with add, duplicate and remove."""

    selectionChangedTo = Signal(int)
    #: A line for the status bar (e.g. the funding rate kept when an unmapped leg came back).
    message = Signal(str)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = PositionsModel(document, self)
        self.last_prices: dict[str, float] = {}
        self._remember_prices()
        document.changed.connect(lambda *_: self._remember_prices())
        document.marksChanged.connect(lambda *_: self._remember_prices())
        self.view = QTableView()
        self._dense = DenseStyle()  # kept alive with the table (a widget does not own its style)
        for w in (self.view, self.view.horizontalHeader(), self.view.verticalHeader()):
            w.setStyle(self._dense)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Right-click the header: show or hide columns (persisted in QSettings, see restore_columns).
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        self._apply_hidden(DEFAULT_HIDDEN)
        self.view.verticalHeader().setDefaultSectionSize(24)
        # Four legs stay in view however tall the leg form below grows (the Plan area scrolls instead).
        self.view.setMinimumHeight(
            self.view.horizontalHeader().sizeHint().height()
            + 4 * self.view.verticalHeader().defaultSectionSize()
            + self.view.horizontalScrollBar().sizeHint().height()
            + 2 * self.view.frameWidth()
        )
        self.add_btn = QPushButton("Add leg")
        self.dup_btn = QPushButton("Duplicate")
        self.del_btn = QPushButton("Remove")
        row = QHBoxLayout()
        for b in (self.add_btn, self.dup_btn, self.del_btn):
            row.addWidget(b)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        self.add_btn.clicked.connect(self.add_leg)
        self.dup_btn.clicked.connect(self.duplicate_leg)
        self.del_btn.clicked.connect(self.remove_leg)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._reselect)
        self.model.broughtBack.connect(self._brought_back)
        self.model.modelReset.connect(self.fit_columns)
        # Cells change width with edits (9,999 -> 10,000, a what-if mark): columns grow shortly after, never clip.
        self._grow = QTimer(self)
        self._grow.setSingleShot(True)
        self._grow.setInterval(150)
        self._grow.timeout.connect(self._grow_columns)
        self._changed: set[int] = set()  # rows changed since the last growth
        self.model.dataChanged.connect(self._rows_changed)
        # Widths from the rows on screen plus some (Qt's default reads 1,000 rows: 47 ms at 200 legs).
        header.setResizeContentsPrecision(FIT_ROWS)
        self.fit_columns()
        # Another venue renames the legs (BTCUSDT -> BTC-USDT-SWAP) without changing their number: refit then only.
        self._symbols = tuple(p.symbol for p in document.draft.positions)
        document.changed.connect(lambda *_: self._refit_symbols())

    def _refit_symbols(self) -> None:
        symbols = tuple(p.symbol for p in self.document.draft.positions)
        if symbols != self._symbols:
            self._symbols = symbols
            self.view.resizeColumnToContents(0)

    # -- columns -------------------------------------------------------------------
    def column_need(self, column: int) -> int:
        """Width (px) column ``column`` needs to show its header and its cells whole."""
        return max(self.view.sizeHintForColumn(column), self.view.horizontalHeader().sectionSizeHint(column))

    def fit_columns(self, grow_only: bool = False) -> None:
        """Every shown column as wide as its header and cells (``grow_only``: widen, never narrow a column)."""
        header = self.view.horizontalHeader()
        for c in range(len(COLUMNS)):
            if header.isSectionHidden(c):
                continue
            need = self.column_need(c)
            if not grow_only or header.sectionSize(c) < need:
                self.view.setColumnWidth(c, need)

    def _rows_changed(self, top: QModelIndex, bottom: QModelIndex, *_: object) -> None:
        self._changed.update(range(top.row(), min(bottom.row(), top.row() + FIT_ROWS) + 1))
        self._grow.start()

    def _grow_columns(self) -> None:
        """Widen the shown columns whose changed cells no longer fit (only those rows are measured: one edit, one row)."""
        rows, self._changed = sorted(r for r in self._changed if r < self.model.rowCount()), set()
        header = self.view.horizontalHeader()
        for c in range(len(COLUMNS)):
            if header.isSectionHidden(c):
                continue
            need = max((self.view.sizeHintForIndex(self.model.index(r, c)).width() for r in rows), default=0)
            need += 1 if self.view.showGrid() else 0  # as QTableView.sizeHintForColumn counts the grid line
            if header.sectionSize(c) < need:
                self.view.setColumnWidth(c, need)

    def needed_width(self) -> int:
        """Width (px) of the table that shows every shown column whole, with the row numbers and a vertical scrollbar.

        Plus one digit of room: a what-if mark ("58,500*") widens its column into the last (stretched)
        column's slack instead of calling for sideways scrolling.
        """
        v = self.view
        header = v.horizontalHeader()
        cols = sum(self.column_need(c) for c in range(len(COLUMNS)) if not header.isSectionHidden(c))
        room = v.fontMetrics().horizontalAdvance("0")
        return cols + room + v.verticalHeader().sizeHint().width() + v.verticalScrollBar().sizeHint().width() + 2 * v.frameWidth()

    def hidden_columns(self) -> tuple[str, ...]:
        """Field names of the hidden columns, in column order."""
        header = self.view.horizontalHeader()
        return tuple(name for c, (name, _h) in enumerate(COLUMNS) if header.isSectionHidden(c))

    def _apply_hidden(self, hidden: tuple[str, ...] | list[str]) -> None:
        for c, (name, _h) in enumerate(COLUMNS):
            self.view.setColumnHidden(c, name in hidden and name != "symbol")  # the symbol names the leg: always shown

    def set_column_shown(self, field: str, shown: bool) -> None:
        """Show or hide the column of ``field`` and remember the choice (QSettings)."""
        hidden = set(self.hidden_columns())
        hidden.discard(field) if shown else hidden.add(field)
        self.set_hidden_columns(tuple(hidden))

    def set_hidden_columns(self, hidden: tuple[str, ...]) -> None:
        """Hide exactly the columns of ``hidden`` (field names), fit the others and remember the choice."""
        self._apply_hidden(hidden)
        self.fit_columns()
        QSettings().setValue(HIDDEN_KEY, ",".join(self.hidden_columns()))

    def restore_columns(self, settings: QSettings) -> None:
        """The columns the user chose last time (View › Reset layout returns to :data:`DEFAULT_HIDDEN`)."""
        value = settings.value(HIDDEN_KEY)
        if isinstance(value, str):
            known = {name for name, _h in COLUMNS}
            self._apply_hidden(tuple(n for n in value.split(",") if n in known))
            self.fit_columns()

    def reset_columns(self) -> None:
        """The default columns (:data:`DEFAULT_HIDDEN` hidden), remembered."""
        self.set_hidden_columns(DEFAULT_HIDDEN)

    def column_menu(self) -> QMenu:
        """The header's context menu: one check box per column, and the defaults."""
        menu = QMenu(self)
        header = self.view.horizontalHeader()
        for c, (name, _title) in enumerate(COLUMNS):
            act = QAction(COLUMN_NAMES[name], menu)
            act.setCheckable(True)
            act.setChecked(not header.isSectionHidden(c))
            act.setEnabled(name != "symbol")
            act.setData(name)
            act.toggled.connect(lambda on, n=name: self.set_column_shown(n, on))
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction("Default columns", self.reset_columns)
        return menu

    def _column_menu(self, pos: QPoint) -> None:
        self.column_menu().exec(self.view.horizontalHeader().mapToGlobal(pos))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # An unmapped leg is not in the plan: the leg form keeps the leg it shows (the row's tooltip says why).
        if self.model.unmapped_at(current.row()) is None:
            self.selectionChangedTo.emit(current.row())

    def current_row(self) -> int:
        r = self.view.currentIndex().row()
        return r if r >= 0 else (0 if self.document.draft.positions else -1)

    def select(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(row, 0))

    def _brought_back(self, row: int, note: str) -> None:
        """Select the leg that came back (form, plot and Results follow) once its editor has closed; say ``note``."""
        self._last = row

        def follow() -> None:
            if self.view.currentIndex().row() == row:
                self.selectionChangedTo.emit(row)  # same row as the greyed one was: its leg is new all the same
            else:
                self.select(row)

        QTimer.singleShot(0, follow)
        if note:
            self.message.emit(note)

    def _reselect(self) -> None:
        n = self.model.rowCount()
        if n:
            self.select(min(max(self._last, 0), n - 1) if hasattr(self, "_last") else 0)

    def _remember_prices(self) -> None:
        """Keep the last price used per symbol (what-if mark, else the leg's mark), across New and Open."""
        doc = self.document
        for pos in doc.draft.positions:
            self.last_prices[pos.symbol] = doc.marks.get(pos.symbol, pos.mark)

    def _seed_prices(self) -> None:
        """Prices of the bundled example: a start for a symbol never used in this session."""
        from planner.io.plan_files import load_plan
        from ui.document import EXAMPLE_PLAN

        try:
            example: Plan = load_plan(EXAMPLE_PLAN)
        except Exception:
            return
        for pos in example.positions:
            self.last_prices.setdefault(pos.symbol, pos.mark)

    def new_leg(self) -> Position:
        """The leg Add leg inserts: the selected leg's symbol (else the last symbol used), at the last price
        used for that symbol; its mark follows the entry (``mark_price=None``) until the user types one."""
        doc = self.document
        symbols = sorted(doc.profile.symbols)
        r = self.current_row()
        src = doc.draft.positions[r] if 0 <= r < len(doc.draft.positions) else (doc.draft.positions[-1] if doc.draft.positions else None)
        known = [s for s in self.last_prices if s in doc.profile.symbols]
        symbol = src.symbol if src else (known[0] if known else symbols[0])
        if symbol not in self.last_prices:
            self._seed_prices()
        price = self.last_prices.get(symbol, src.mark if src else 100.0)
        spec = doc.profile.symbols.get(symbol)
        if src is not None:
            quantity = src.quantity
        elif spec is not None and spec.contract.value == "inverse":
            quantity = max(1.0, round(NEW_LEG_NOTIONAL / spec.contract_size))
        else:
            step = spec.contract_size if spec is not None else 0.001
            quantity = max(step, round(round(NEW_LEG_NOTIONAL / price / step) * step, 10))
        pos = Position(
            symbol=symbol,
            side=Side.LONG,
            quantity=quantity,
            entry_price=price,
            mark_price=None,
            leverage=10.0,
            margin_mode=doc.draft.account.margin_mode_default,
        )
        if spec is not None:  # 10x, or less where the tier of this size allows less (same basis as validation: entry)
            cap = float(max_leverage_at(formula_quantity(pos, spec), pos.entry_price, TierTable.from_spec(spec)))
            pos = pos.model_copy(update={"leverage": min(10.0, cap)})
        return pos

    def add_leg(self) -> None:
        doc = self.document
        pos = self.new_leg()
        self._last = len(doc.draft.positions)
        doc.add_position(pos)
        self.select(self._last)

    def duplicate_leg(self) -> None:
        r = self.current_row()
        if 0 <= r < len(self.document.draft.positions):
            self._last = r + 1
            self.document.add_position(self.document.draft.positions[r], at=r + 1)
            self.select(r + 1)

    def remove_leg(self) -> None:
        r = self.current_row()
        gone = self.model.unmapped_at(r)
        if gone is not None:
            self._last = max(r - 1, 0)
            self.model.drop_unmapped(gone)
            return
        if r >= 0:
            self._last = max(r - 1, 0)
            self.document.remove_position(r)
