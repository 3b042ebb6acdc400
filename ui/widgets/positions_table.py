"""Table of legs: a thin QAbstractTableModel over the document's draft plan."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableView, QVBoxLayout, QWidget

from planner.engine.tiers import TierTable, max_leverage_at
from planner.engine.validation import formula_quantity
from planner.model.enums import MarginMode, Side
from planner.model.errors import Problem
from planner.model.plan import Plan, Position
from planner.present.numbers import NumberError, parse_number
from planner.present.targets import TARGET_HELP, target_row_texts
from ui.widgets.number_edit import locale_format

NUMERIC = ("quantity", "entry_price", "mark_price", "leverage", "isolated_margin", "stop_price", "take_profit_price")
#: Columns the document computes (from Figures.targets): shown, not edited.
COMPUTED = ("reward_risk",)

#: Notional (quote currency) of a new leg when nothing else says how big it should be.
NEW_LEG_NOTIONAL = 1000.0

COLUMNS = [
    ("symbol", "Symbol"),
    ("side", "Side"),
    ("quantity", "Quantity"),
    ("entry_price", "Entry"),
    ("mark_price", "Mark"),
    ("leverage", "Lev."),
    ("margin_mode", "Mode"),
    ("isolated_margin", "Iso. margin"),
    ("stop_price", "Stop"),
    ("take_profit_price", "TP"),
    ("reward_risk", "R:R"),
    ("expiry", "Expiry"),  # dated futures: from the symbol, read-only
    ("roll", "Roll"),  # dated futures: check box, roll into the next contract at expiry
]
#: Columns that are not fields a user types into.
READ_ONLY = ("expiry", *COMPUTED)

HEADER_TIPS = {
    "stop_price": "Stop-loss price; hover a cell for the PnL and ROE there (taker fees on entry and exit included)",
    "take_profit_price": "Take-profit price; hover a cell for the PnL and ROE there (taker fees on entry and exit included)",
    "reward_risk": "Reward-to-risk: net PnL at the take-profit / net loss at the stop",
}


class PositionsModel(QAbstractTableModel):
    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._n = len(document.draft.positions)
        self._shown = self._state()
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
        n = len(self.document.draft.positions)
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
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1] if orientation == Qt.Orientation.Horizontal else f"#{section + 1}"
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            return HEADER_TIPS.get(COLUMNS[section][0])
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        field = COLUMNS[index.column()][0] if index.isValid() else ""
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

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.document.draft.positions):
            return None
        pos: Position = self.document.draft.positions[index.row()]
        field = COLUMNS[index.column()][0]
        probs = self.document.problems_at(f"positions.{index.row()}.{field}")
        if field in ("stop_price", "take_profit_price", "reward_risk"):
            return self._target_data(index.row(), pos, field, role, probs)
        if field in ("expiry", "roll"):
            return self._dated_data(index.row(), pos, field, role, probs)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            v = getattr(pos, field)
            if role == Qt.ItemDataRole.EditRole:
                if field in NUMERIC:
                    # Text, so the editor is a plain line edit read by parse_number (a spin box editor would
                    # misread "97,123.5" and clamp to its range); empty = initial margin / mark follows entry.
                    return "" if v is None else f"{v:.12g}"
                return v.value if hasattr(v, "value") else v
            if field == "mark_price":
                v = self.document.marks.get(pos.symbol, pos.mark)
                return f"{v:,.6g}" + (" (what-if)" if pos.symbol in self.document.marks else "")
            if field == "leverage":
                return f"{v:g}x"
            if field == "isolated_margin":
                if pos.margin_mode is MarginMode.CROSS:
                    return "—"
                return "initial" if v is None else f"{v:,.2f}" + (f" {pos.added_margin:+,.2f}" if pos.added_margin else "")
            if field == "margin_mode":
                return "iso" if v is MarginMode.ISOLATED else v.value  # narrow enough for a 400 px plan dock
            if hasattr(v, "value"):
                return v.value
            return f"{v:,.8g}" if isinstance(v, float) else str(v)
        if role == Qt.ItemDataRole.BackgroundRole and probs:
            return QColor(224, 49, 49, 70)
        if role == Qt.ItemDataRole.ToolTipRole and probs:
            return "\n".join(p.message for p in probs)
        if role == Qt.ItemDataRole.TextAlignmentRole and field not in ("symbol", "side", "margin_mode"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
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
        if field == "roll" and role == Qt.ItemDataRole.CheckStateRole:
            on = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
            self.document.update_position(index.row(), text=f"Edit leg {index.row() + 1} roll", roll=bool(on))
            return True
        if role != Qt.ItemDataRole.EditRole or field in READ_ONLY or field == "roll":
            return False
        if isinstance(value, str) and field in NUMERIC:
            text = value.strip().removesuffix("x").removesuffix("(what-if)").strip()
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


class PositionsTable(QWidget):
    """Legs table with add, duplicate and remove."""

    selectionChangedTo = Signal(int)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = PositionsModel(document, self)
        self.last_prices: dict[str, float] = {}
        self._remember_prices()
        document.changed.connect(lambda *_: self._remember_prices())
        document.marksChanged.connect(lambda *_: self._remember_prices())
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
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
        self.view.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.selectionChangedTo.emit(cur.row()))
        self.model.modelReset.connect(self._reselect)
        self.model.modelReset.connect(self.view.resizeColumnsToContents)
        self.view.resizeColumnsToContents()

    def current_row(self) -> int:
        r = self.view.currentIndex().row()
        return r if r >= 0 else (0 if self.document.draft.positions else -1)

    def select(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(row, 0))

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
        src = doc.draft.positions[self.current_row()] if doc.draft.positions else None
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
        if r >= 0:
            self._last = r + 1
            self.document.add_position(self.document.draft.positions[r], at=r + 1)
            self.select(r + 1)

    def remove_leg(self) -> None:
        r = self.current_row()
        if r >= 0:
            self._last = max(r - 1, 0)
            self.document.remove_position(r)
