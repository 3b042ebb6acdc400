"""Table of legs: a thin QAbstractTableModel over the document's draft plan."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QPushButton, QTableView, QVBoxLayout, QWidget

from planner.model.enums import MarginMode, Side
from planner.model.plan import Position

COLUMNS = [
    ("symbol", "Symbol"),
    ("side", "Side"),
    ("quantity", "Quantity"),
    ("entry_price", "Entry"),
    ("mark_price", "Mark"),
    ("leverage", "Leverage"),
    ("margin_mode", "Margin"),
    ("isolated_margin", "Isolated margin"),
]


class PositionsModel(QAbstractTableModel):
    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self._n = len(document.draft.positions)
        document.changed.connect(lambda *_: self.sync())
        document.problemsChanged.connect(lambda *_: self.sync())

    def sync(self) -> None:
        n = len(self.document.draft.positions)
        if n != self._n:
            self.beginResetModel()
            self._n = n
            self.endResetModel()
        elif n:
            self.dataChanged.emit(self.index(0, 0), self.index(n - 1, len(COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._n

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1] if orientation == Qt.Orientation.Horizontal else f"#{section + 1}"
        return None

    def flags(self, index):
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.document.draft.positions):
            return None
        pos: Position = self.document.draft.positions[index.row()]
        field = COLUMNS[index.column()][0]
        probs = self.document.problems_at(f"positions.{index.row()}.{field}")
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            v = getattr(pos, field)
            if role == Qt.ItemDataRole.EditRole:
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

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        field = COLUMNS[index.column()][0]
        if isinstance(value, str) and field in ("quantity", "entry_price", "mark_price", "leverage", "isolated_margin"):
            text = value.replace(",", "").strip().rstrip("x")
            if field == "isolated_margin" and text in ("", "initial"):
                value = None
            else:
                try:
                    value = float(text)
                except ValueError:
                    value = text  # pydantic reports "must be a number" at the field
        self.document.update_position(index.row(), **{field: value})
        return True


class PositionsTable(QWidget):
    """Legs table with add, duplicate and remove."""

    selectionChangedTo = Signal(int)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = PositionsModel(document, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setDefaultSectionSize(24)
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

    def add_leg(self) -> None:
        doc = self.document
        symbols = sorted(doc.profile.symbols)
        src = doc.draft.positions[self.current_row()] if doc.draft.positions else None
        symbol = src.symbol if src else symbols[0]
        price = src.mark if src else 100.0
        lev = min(10.0, max(1.0, float(doc.profile.symbols[symbol].tiers[0].max_leverage))) if symbol in doc.profile.symbols else 10.0
        pos = Position(
            symbol=symbol,
            side=Side.LONG,
            quantity=src.quantity if src else 1.0,
            entry_price=price,
            mark_price=price,
            leverage=lev,
            margin_mode=doc.draft.account.margin_mode_default,
        )
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
