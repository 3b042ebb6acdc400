"""Results: every figure per leg and for the account, with state colours and explaining tooltips."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from planner.engine.evaluate import AccountResult, Evaluation, LegResult
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio
from planner.present.glossary import FIGURES, explain

LEG_ROWS = [
    "state",
    "liquidation_price",
    "distance_to_liquidation",
    "distance_to_liquidation_price",
    "margin_call_price",
    "bankruptcy_price",
    "margin_ratio",
    "initial_margin",
    "maintenance_margin",
    "unrealized_pnl",
    "roe",
    "break_even_price",
    "max_leverage",
    "equity",
    "funding_per_interval",
]
ACCOUNT_ROWS = [
    "state",
    "margin_ratio",
    "initial_margin",
    "maintenance_margin",
    "unrealized_pnl",
    "equity",
    "wallet_balance",
    "available_balance",
    "cross_liquidation_move_down",
    "cross_liquidation_move_up",
]
ROWS = LEG_ROWS + [r for r in ACCOUNT_ROWS if r not in LEG_ROWS]
STATE_COLORS = {"safe": QColor(47, 158, 68, 90), "margin_call": QColor(245, 159, 0, 110), "liquidation": QColor(224, 49, 49, 120)}
STATE_TEXT = {"safe": "safe", "margin_call": "margin-call zone", "liquidation": "liquidation"}


class ResultsModel(QAbstractTableModel):
    """Rows = figures, columns = legs then one column per account currency (values formatted lazily)."""

    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.ev: Evaluation | None = None
        self._shape = (len(ROWS), 0)

    def set_evaluation(self, ev) -> None:
        self.ev = ev
        cols = 0 if ev is None else len(ev.legs) + len(ev.accounts)
        if cols != self._shape[1]:
            self.beginResetModel()
            self._shape = (len(ROWS), cols)
            self.endResetModel()
        elif cols:
            self.dataChanged.emit(self.index(0, 0), self.index(len(ROWS) - 1, cols - 1))
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, cols - 1)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._shape[0]

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._shape[1]

    def _item(self, col: int) -> LegResult | AccountResult:
        ev = self.ev
        assert ev is not None  # callers return early without an evaluation
        return ev.legs[col] if col < len(ev.legs) else ev.accounts[col - len(ev.legs)]

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Vertical:
            name = ROWS[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return FIGURES[name].label
            if role == Qt.ItemDataRole.ToolTipRole and self.ev is not None:
                return explain(name, self.ev.profile_name, self.ev.formula)
            return None
        if role == Qt.ItemDataRole.DisplayRole and self.ev is not None:
            it = self._item(section)
            if isinstance(it, LegResult):
                return f"#{it.index + 1} {it.symbol}\n{it.side} {it.margin_mode}"
            return f"Account\n{it.currency}"
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if self.ev is None or not index.isValid():
            return None
        name = ROWS[index.row()]
        it = self._item(index.column())
        is_leg = index.column() < len(self.ev.legs)
        if not hasattr(it, name) or (not is_leg and name not in ACCOUNT_ROWS):
            return None
        value = getattr(it, name)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._fmt(name, value, it, is_leg)
        if role == Qt.ItemDataRole.ToolTipRole:
            return explain(name, self.ev.profile_name, self.ev.formula)
        if role == Qt.ItemDataRole.BackgroundRole and name == "state":
            return STATE_COLORS.get(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _fmt(self, name: str, value, it, is_leg: bool) -> str:
        unit = FIGURES[name].unit
        ccy = it.settle if is_leg else it.currency
        if unit == "text":
            return STATE_TEXT.get(value, str(value))
        if unit == "price":
            spec = self.document.profile.symbols.get(it.symbol) if is_leg else None
            tick = spec.tick_size if spec else 0.01
            s = (1 if it.side == "long" else -1) if name in ("liquidation_price", "bankruptcy_price", "margin_call_price") else 0
            return fmt_price(value, tick, s)
        if unit == "money":
            return fmt_money(value, "" if ccy in ("USDT", "USDC", "USD") else ccy, None if ccy in ("USDT", "USDC", "USD") else 6)
        if unit == "fraction":
            return fmt_pct(value)
        if unit == "ratio":
            return fmt_ratio(value)
        if unit == "leverage":
            return f"{value:g}x"
        return str(value)


class ResultsPanel(QWidget):
    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = ResultsModel(document, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        # Interactive, sized on reset only: ResizeToContents would query every cell on every edit.
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setMinimumSectionSize(70)
        self.model.modelReset.connect(self._fit)
        self.thresholds = QLabel()
        self.thresholds.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.thresholds)
        lay.addWidget(self.view, 1)

    def _fit(self) -> None:
        self.view.resizeColumnsToContents()
        self.view.verticalHeader().resizeSections(QHeaderView.ResizeMode.ResizeToContents)

    def refresh(self) -> None:
        ev = self.document.evaluation
        self.model.set_evaluation(ev)
        if ev is None:
            self.thresholds.setText("No figures: the plan has problems (marked in red at the fields).")
        else:
            what_if = ", ".join(f"{k} {v:,.6g}" for k, v in self.document.marks.items())
            self.thresholds.setText(f"{ev.profile_name} — {ev.thresholds.describe()}" + (f" — what-if mark: {what_if}" if what_if else ""))
            self.thresholds.setToolTip(f"Rule '{ev.rule}': {ev.formula}")
