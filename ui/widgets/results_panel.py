"""Results: one row per leg (like an exchange's positions table) and the account summary pinned above.

Rows follow the legs table one to one (the document's draft). Every figure is
read from the document's Evaluation; none is computed here. When the draft
differs from the last valid plan, the figures that still belong to that plan
are greyed and italic, the banner says what differs, and legs without figures
show "—" with the reason.

Columns are fitted to the panel width: the leg and the state badge always
show; figures of lower priority are hidden when the panel is too narrow
(never a horizontal scrollbar), listed in the footer and in every row's tooltip.

Money is shown "to the account": funding received is +, funding paid is -.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from planner.engine.evaluate import AccountResult, Evaluation, LegResult
from planner.engine.portfolio_margin import PortfolioAccount, PortfolioResult
from planner.engine.venues import LegMapping
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio, fmt_signed_money, rounding_side
from planner.present.glossary import FIGURES, explain
from planner.present.trust import badge_text, distance_level, stale_banner, stale_summary, worse

STATE_COLORS = {"safe": QColor(47, 158, 68, 90), "margin_call": QColor(245, 159, 0, 110), "liquidation": QColor(224, 49, 49, 120)}
STATE_TEXT = {"safe": "safe", "margin_call": "margin call", "liquidation": "liquidation"}
STALE = QColor(134, 142, 150)
_STABLE = ("USDT", "USDC", "USD")

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One Results column: the LegResult field, its header, and its priority (0 = always shown)."""

    name: str
    header: str
    priority: int


COLUMNS = [
    Column("leg", "Leg", 0),
    Column("state", "State", 0),
    Column("liquidation_price", "Liq. price", 1),
    Column("margin_ratio", "Margin ratio", 2),
    Column("unrealized_pnl", "uPnL", 3),
    Column("equity", "Equity", 4),
    Column("roe", "ROE", 5),
    Column("initial_margin", "Margin", 6),
    Column("funding_to_account", "Funding / int.", 7),
    Column("maintenance_margin", "Maint. margin", 8),
    Column("margin_call_price", "Margin-call price", 9),
    Column("bankruptcy_price", "Bankruptcy", 10),
    Column("break_even_price", "Break-even", 11),
    Column("max_leverage", "Max lev.", 12),
]
#: Columns whose figures are standard margin's per-leg levels: headed "Std ..." when the account is portfolio-margined.
STANDARD_ONLY = {
    "state": "Std state",
    "liquidation_price": "Std liq.",
    "margin_call_price": "Std margin call",
    "bankruptcy_price": "Std bankr.",
    "maintenance_margin": "Std MM",
}
COL = {c.name: i for i, c in enumerate(COLUMNS)}
ACCOUNT_FIGURES = [
    ("equity", "Equity"),
    ("wallet_balance", "Wallet"),
    ("available_balance", "Available"),
    ("unrealized_pnl", "uPnL"),
    ("margin_ratio", "Margin ratio"),
    ("maintenance_margin", "Maint."),
    ("cross_liquidation_move_down", "Cross liq. ↓"),
    ("cross_liquidation_move_up", "Cross liq. ↑"),
]
FUNDING_TIP = "Funding at each settlement at the plan's rate, money to the account: + received, - paid (positive rates: longs pay)."


def account_tooltip(ev: Evaluation | None) -> str:
    """What each figure of the pinned account lines means (one line per settlement currency)."""
    if ev is None:
        return "No figures: the plan has problems (marked in red at the fields)."
    lines = ["One line per settlement wallet: the exchange's state of the account, then (in that currency):"]
    own = {
        "equity": "wallet balance plus every leg's unrealised PnL (an isolated leg loses at most its own margin).",
        "unrealized_pnl": "unrealised PnL of every leg at the marks, + = profit.",
        "maintenance_margin": "sum of the legs' maintenance margins: equity below it is liquidation.",
        "margin_ratio": "the account's margin ratio (see below).",
    }
    for name, label in ACCOUNT_FIGURES:
        fig = FIGURES.get(name)
        lines.append(f"• {label}: {own.get(name) or (fig.explanation if fig else name)}")
    lines.append(f"Margin ratio in {ev.profile_name}'s meaning: {ev.thresholds.describe()}")
    return "\n".join(lines)


def header_of(name: str) -> str:
    return next((c.header for c in COLUMNS if c.name == name), name)


def leg_level(leg: LegResult) -> str:
    """Badge level: the worse of the exchange's state and the distance to liquidation."""
    return worse(str(leg.state), distance_level(leg.distance_to_liquidation))


def money(value: float | None, ccy: str, signed: bool = False) -> str:
    """Money in ``ccy`` (stablecoins without a unit, 2 decimals; coins with 6), never "-0.00"."""
    stable = ccy in _STABLE
    f = fmt_signed_money if signed else fmt_money
    return f(value, "" if stable else ccy, None if stable else 6)


class ResultsModel(QAbstractTableModel):
    """Rows = the draft's legs (one to one with the legs table); columns = COLUMNS; values formatted lazily."""

    def __init__(self, document: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.ev: Evaluation | None = None
        self.stale = False
        self._rows = 0

    # -- feeding -----------------------------------------------------------------
    def set_evaluation(self, ev: Evaluation | None) -> None:
        doc = self.document
        was_pm = self.ev is not None and self.ev.portfolio is not None
        self.ev = ev
        self.stale = ev is None or doc.draft != doc.plan
        if was_pm != (ev is not None and ev.portfolio is not None):
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)  # "Std" prefixes come or go
        rows = len(doc.draft.positions) + len(doc.unmapped)
        if rows != self._rows:
            self.beginResetModel()
            self._rows = rows
            self.endResetModel()
        elif rows:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, len(COLUMNS) - 1))

    def leg_for_row(self, row: int) -> LegResult | None:
        """The figures shown on ``row``: the leg of the last valid plan at the same place and symbol, else None."""
        doc, ev = self.document, self.ev
        if ev is None or row >= len(ev.legs) or row >= len(doc.plan.positions) or row >= len(doc.draft.positions):
            return None
        if len(doc.plan.positions) != len(doc.draft.positions) or doc.plan.profile_id != doc.draft.profile_id:
            return None  # legs moved or another venue: an old figure would sit under the wrong leg or venue
        if doc.plan.positions[row].symbol != doc.draft.positions[row].symbol:
            return None
        return ev.legs[row]

    def row_is_stale(self, row: int) -> bool:
        """True when the row's figures belong to the last valid plan, not to the leg on screen."""
        # Any difference (a wallet, a rate, another leg) changes every figure, so all rows with figures are stale.
        return self.stale and row < len(self.document.draft.positions)

    def unmapped_for_row(self, row: int) -> LegMapping | None:
        """The leg a venue switch could not map shown on ``row`` (rows after the draft's legs), else None."""
        n = len(self.document.draft.positions)
        extra = self.document.unmapped
        return extra[row - n] if n <= row < n + len(extra) else None

    def why_no_figures(self, row: int) -> str:
        gone = self.unmapped_for_row(row)
        if gone is not None:
            return f"not mapped to {self.document.draft_profile_name()}: {gone.reason}"
        probs = self.document.problems_at(f"positions.{row}")
        if probs:
            return probs[0].message
        if self.ev is None:
            return "no figures: the plan has problems"
        return "not in the last valid plan"

    # -- Qt model ---------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            col = COLUMNS[section]
            pm = self.ev is not None and self.ev.portfolio is not None and col.name in STANDARD_ONLY
            if role == Qt.ItemDataRole.DisplayRole:
                # A portfolio-margined account: these per-leg levels are standard margin's, shown beside the PM figures.
                return STANDARD_ONLY[col.name] if pm else col.header  # no wider than the usual header
            if role == Qt.ItemDataRole.ToolTipRole:
                if pm and self.ev is not None:
                    return (
                        "Standard (leg-by-leg) margin's figure, for comparison: the account is portfolio-margined, so the venue "
                        "liquidates on the Portfolio margin line above (a common move of every underlying).\n\n"
                        + explain(col.name, self.ev.profile_name, self.ev.formula)
                    )
                if col.name == "funding_to_account":
                    return FUNDING_TIP
                if col.name in FIGURES and self.ev is not None:
                    return explain(col.name, self.ev.profile_name, self.ev.formula)
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"#{section + 1}"
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.row() >= len(self.document.draft.positions):
            return self._unmapped_data(index, role)
        row, col = index.row(), COLUMNS[index.column()]
        pos = self.document.draft.positions[row]
        leg = self.leg_for_row(row)
        stale = self.row_is_stale(row)
        if role == Qt.ItemDataRole.DisplayRole:
            if col.name == "leg":
                mode = "iso" if pos.margin_mode.value == "isolated" else pos.margin_mode.value
                return f"#{row + 1} {pos.symbol} {pos.side.value} {mode}"
            if leg is None:
                return "—"
            return self.text(col.name, leg)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, col.name, leg, stale)
        if role == Qt.ItemDataRole.BackgroundRole and col.name == "state" and leg is not None and not stale:
            return QBrush(STATE_COLORS[leg_level(leg)])
        if role == Qt.ItemDataRole.ForegroundRole and stale and col.name != "leg":
            return QBrush(STALE)
        if role == Qt.ItemDataRole.FontRole and stale and col.name != "leg":
            f = QFont()
            f.setItalic(True)
            return f
        if role == Qt.ItemDataRole.TextAlignmentRole and col.name not in ("leg", "state"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _unmapped_data(self, index: _Index, role: int) -> Any:
        """A leg the venue switch left out: its old symbol, "—" and the reason (never an old venue's figure)."""
        gone = self.unmapped_for_row(index.row())
        if gone is None:
            return None
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if col.name == "leg":
                return f"— {gone.source_symbol} (was #{gone.index + 1})"
            if col.name == "state":
                return f"— not mapped: {gone.reason}"  # spans the figure columns (ResultsPanel)
            return "—"
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"Leg #{gone.index + 1} {gone.source_symbol} is {self.why_no_figures(index.row())}. "
                "It is left out of the plan (no figures); Undo restores the previous venue's plan."
            )
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(STALE)
        return None

    # -- formatting ---------------------------------------------------------------
    def text(self, name: str, leg: LegResult) -> str:
        """The text of figure ``name`` of ``leg`` as the table shows it."""
        if name == "state":
            return badge_text(STATE_TEXT.get(str(leg.state), str(leg.state)), leg.distance_to_liquidation, short=True)
        if name == "funding_to_account":
            return money(-leg.funding_per_interval, leg.settle, signed=True)
        value = getattr(leg, name)
        unit = FIGURES[name].unit
        if unit == "price":
            spec = self.document.profile.symbols.get(leg.symbol)
            tick = spec.tick_size if spec else 0.01
            s = (1 if leg.side == "long" else -1) if name in ("liquidation_price", "bankruptcy_price", "margin_call_price") else 0
            if s:
                s = rounding_side(leg.liquidation_price, leg.mark_price, s, leg.margin_mode == "cross")
            return fmt_price(value, tick, s, self.document.profile.traits.price_display)
        if unit == "money":
            return money(value, leg.settle, signed=name == "unrealized_pnl")
        if unit == "fraction":
            return fmt_pct(value)
        if unit == "ratio":
            return fmt_ratio(value)
        if unit == "leverage":
            return f"{value:g}x"
        return str(value)

    def tooltip(self, row: int, name: str, leg: LegResult | None, stale: bool) -> str:
        if leg is None:
            return f"No figures for leg #{row + 1}: {self.why_no_figures(row)}"
        lines = [f"{c.header}: {self.text(c.name, leg)}" for c in COLUMNS if c.name != "leg"]
        if stale:
            lines.insert(0, "Greyed: these figures are for the last valid plan, not the leg on screen.")
        return "\n".join(lines)


class BadgeDelegate(QStyledItemDelegate):
    """The State cell keeps its colour on the selected row (the selection would hide a margin call's orange)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        if index.data(Qt.ItemDataRole.BackgroundRole) is not None:
            option = QStyleOptionViewItem(option)
            option.state &= ~QStyle.StateFlag.State_Selected
            painter.fillRect(option.rect, option.palette.base())  # the row's highlight is under the (translucent) badge
        super().paint(painter, option, index)


class ResultsPanel(QWidget):
    """Header (venue, thresholds), stale banner, pinned account summary, legs table, hidden-columns footer.

    The selected row is the window's selected leg: :meth:`select_leg` follows the legs table,
    and a row the user selects here is announced by ``legSelected`` (row index, 0-based).
    """

    legSelected = Signal(int)

    def __init__(self, document: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._leg = 0  # the window's selected leg (row), kept across model resets
        self._following = False  # True while select_leg moves the current row (not the user)
        self.model = ResultsModel(document, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setWordWrap(False)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        hh.setMinimumSectionSize(40)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().hide()  # the Leg column names the leg ("#4 BTCUSDT long isolated")
        self.view.verticalHeader().setDefaultSectionSize(22)
        self._badges = BadgeDelegate(self.view)
        self.view.setItemDelegateForColumn(COL["state"], self._badges)
        self.thresholds = QLabel()
        self.thresholds.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.thresholds.setWordWrap(True)
        self.thresholds.setTextFormat(Qt.TextFormat.PlainText)  # profile names and symbols are user text
        self.banner = QLabel()
        self.banner.setTextFormat(Qt.TextFormat.PlainText)  # names legs and symbols (user text)
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fff3bf; color: #5c4400; padding: 3px; border-radius: 3px;")
        self.account = QLabel()
        self.account.setWordWrap(True)
        self.account.setTextFormat(Qt.TextFormat.RichText)
        self.hidden_note = QLabel()
        self.hidden_note.setWordWrap(True)
        self.hidden_note.setStyleSheet("color: #868e96;")
        self.hidden_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.account_lines: list[str] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.thresholds)
        lay.addWidget(self.banner)
        lay.addWidget(self.account)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.hidden_note)
        self._widths: list[int] = []
        self._hidden: list[str] = []
        self.view.viewport().installEventFilter(self)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._measure)
        self.model.modelReset.connect(self._reselect)
        # Columns are refitted shortly after edits stop (figures change width: 9,999 -> 10,000), off the edit's path.
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(150)
        self._refit.timeout.connect(self._measure)
        self._shown: tuple[Any, ...] = ()
        self._spans = False
        # A refused edit changes the draft (and problems) but not the plan: rows and the banner must follow it.
        document.problemsChanged.connect(lambda *_: self.refresh())
        self.refresh()

    # -- column fitting -----------------------------------------------------------
    def _measure(self) -> None:
        """Natural width of every column (header and cells), measured on reset only (cheap per edit)."""
        fm = self.view.fontMetrics()
        hfm = self.view.horizontalHeader().fontMetrics()
        widths = []
        for c, col in enumerate(COLUMNS):
            w = hfm.horizontalAdvance(col.header) + 18
            for r in range(min(len(self.document.draft.positions), 40)):  # enough to size the columns, cheap at 200 legs
                text = self.model.data(self.model.index(r, c)) or ""
                w = max(w, fm.horizontalAdvance(str(text) + "0") + 12)  # one digit of headroom
            widths.append(w)
        self._widths = widths
        self._fit()

    def _fit(self) -> None:
        if not self._widths:
            return
        avail = self.view.viewport().width()
        order = sorted(range(len(COLUMNS)), key=lambda i: COLUMNS[i].priority)
        used, shown = 0, set()
        for i in order:
            if COLUMNS[i].priority == 0 or used + self._widths[i] <= avail:
                shown.add(i)
                used += self._widths[i]
        for i in range(len(COLUMNS)):
            self.view.setColumnHidden(i, i not in shown)
            if i in shown:
                self.view.setColumnWidth(i, self._widths[i])
        self._hidden = [COLUMNS[i].name for i in range(len(COLUMNS)) if i not in shown]
        self._detail()

    def needed_width(self, through: str = "equity") -> int:
        """Width (px) of the table showing every column up to ``through``'s priority whole (no sideways scrolling).

        Measured from the rows on screen (``_measure``), with room for the vertical scrollbar: a
        longer book (or the stale banner) makes the rows scroll without the columns changing.
        The window sizes Results with it (``default_dock_sizes``).
        """
        if not self._widths:
            self._measure()
        top = COLUMNS[COL[through]].priority
        table = sum(w for w, c in zip(self._widths, COLUMNS, strict=True) if c.priority <= top) + 2 * self.view.frameWidth()
        return table + self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self.view)

    def needed_height(self, rows: int) -> int:
        """Height (px) of the panel showing ``rows`` rows whole at its present width (labels wrapped as they are now).

        Includes room for a two-line stale banner while none is shown, and a line more for the detail
        line (it then ends "(last valid plan)"), so typing an invalid value hides no row.
        """
        layout = self.layout()
        if layout is not None:
            layout.activate()  # wrapped labels (header, detail line) take their heights for this width first
        view = self.view
        banner = 0
        if self.banner.isHidden():
            # Two lines, the style sheet's padding (3 px each side), the layout's spacing; one detail line more.
            lines = 2 * self.banner.fontMetrics().lineSpacing() + self.hidden_note.fontMetrics().lineSpacing()
            banner = lines + 6 + max(layout.spacing() if layout is not None else 0, 0)
        return self.height() - view.viewport().height() + rows * view.verticalHeader().defaultSectionSize() + banner

    # -- selection ----------------------------------------------------------------------
    def select_leg(self, row: int) -> None:
        """Show leg ``row`` (0-based) as selected, and its figures in the detail line; no ``legSelected``."""
        self._leg = max(row, 0)
        if not 0 <= row < self.model.rowCount() or self.view.currentIndex().row() == row:
            self._detail()
            return
        self._following = True
        try:
            self.view.setCurrentIndex(self.model.index(row, 0))
        finally:
            self._following = False

    def selected_leg(self) -> int:
        """The row whose figures the detail line shows: the selected one, else the first."""
        row = self.view.currentIndex().row()
        return row if 0 <= row < self.model.rowCount() else 0

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._detail()
        if current.isValid() and not self._following:
            self._leg = current.row()
            self.legSelected.emit(current.row())

    def _reselect(self) -> None:
        """After a reset (legs added or removed) the selected leg stays selected, as in the legs table."""
        if self.model.rowCount():
            self.select_leg(min(self._leg, self.model.rowCount() - 1))

    def _detail(self) -> None:
        """The figures the width hides, for the selected leg (else the first): nothing is only a hover away."""
        hidden = getattr(self, "_hidden", [])
        rows = self.model.rowCount()
        if not hidden or not rows:
            self.hidden_note.setText("")
            self.hidden_note.setVisible(False)
            return
        row = self.selected_leg()
        leg = self.model.leg_for_row(row)
        name = self.model.data(self.model.index(row, 0))
        if leg is None:
            text = f"{name}: {self.model.why_no_figures(row)}"
        else:
            header = {c.name: c.header for c in COLUMNS}
            text = f"{name}: " + " · ".join(f"{header[n]} {self.model.text(n, leg)}" for n in hidden)
            if self.model.stale:
                text += " (last valid plan)"
        self.hidden_note.setText(text + ("  — click a row for its figures" if rows > 1 else ""))
        self.hidden_note.setToolTip(
            "Figures of the selected leg whose columns the panel's width hides (widen Results to see them as columns):\n"
            + "\n".join(
                f"• {FIGURES[n].label if n in FIGURES else header_of(n)}: {FIGURES[n].explanation if n in FIGURES else FUNDING_TIP}"
                for n in hidden
            )
        )
        self.hidden_note.setVisible(True)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.view.viewport() and event.type() == QEvent.Type.Resize:
            self._fit()
        return super().eventFilter(obj, event)

    def visible_columns(self) -> list[str]:
        return [c.name for i, c in enumerate(COLUMNS) if not self.view.isColumnHidden(i)]

    # -- refresh ---------------------------------------------------------------------
    def is_parked(self) -> bool:
        """True while the panel's window is shown but the panel is not: its dock closed, or tabbed away.

        A dock behind another tab stays "visible" to Qt with nothing of it on screen, hence the region test.
        """
        window = self.window()
        return window is not self and window.isVisible() and (not self.isVisible() or self.visibleRegion().isEmpty())

    def showEvent(self, event: QShowEvent) -> None:
        """Shown again (dock reopened): render the figures on screen now, before the first paint.

        A dock whose tab is raised gets no show event; its owner calls :meth:`refresh` then
        (``QDockWidget.visibilityChanged``).
        """
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Render the document's figures (the latest evaluation, draft and problems).

        While the panel is parked (see :meth:`is_parked`) nothing is rendered: edits cost
        no table or label work for a panel nobody sees, and :meth:`showEvent` renders the
        figures of the moment it is shown.
        """
        if self.is_parked():
            return
        doc = self.document
        ev: Evaluation | None = doc.evaluation
        shown = (doc.plan, doc.draft, ev, doc.problems, len(doc.problems))
        if (
            len(shown) == len(self._shown)
            and all(a is b for a, b in zip(shown[:4], self._shown[:4], strict=True))
            and shown[4] == self._shown[4]
        ):
            return  # problemsChanged and changed both arrive for one edit: render once
        self._shown = shown
        rows_before = self.model.rowCount()
        self.model.set_evaluation(ev)
        self._span_unmapped()
        self._detail()
        if rows_before == self.model.rowCount():
            self._refit.start()
        if ev is None:
            self.thresholds.setText("No figures: the plan has problems (marked in red at the fields).")
        else:
            on_plan = {p.symbol for p in doc.plan.positions}
            what_if = ", ".join(f"{k} {v:,.6g}" for k, v in doc.marks.items() if k in on_plan)
            mapped, notes = self.mapping_lines()
            self.thresholds.setText(
                f"{ev.profile_name} — {ev.thresholds.describe()}"
                + (f" — what-if mark: {what_if}" if what_if else "")
                + (f"\n{mapped}" if mapped else "")
                + "".join(f"\nWarning: {w}" for w in ev.warnings)
            )
            self.thresholds.setToolTip("\n".join([f"Rule '{ev.rule}': {ev.formula}", *notes]))
        stale = stale_summary(doc.plan, doc.draft, doc.problems) if ev is not None else ""
        self.banner.setText(stale_banner(doc.plan, doc.draft, doc.problems) if stale else "")
        self.banner.setToolTip(stale)
        self.banner.setVisible(bool(stale))
        self._account(ev, stale=bool(stale))

    def mapping_lines(self) -> tuple[str, list[str]]:
        """One line naming how the last venue switch mapped the legs on screen, and its notes (tooltip)."""
        doc = self.document
        m = doc.mapping
        if m is None or m.target_id != doc.plan.profile_id or m.identity:
            return "", []
        pairs = ", ".join(f"{l.source_symbol} → {l.target_symbol}" for l in m.legs if l.mapped and l.source_symbol != l.target_symbol)
        gone = len(m.unmapped)
        line = f"Legs mapped from {doc.mapping_source_name}" + (f": {pairs}" if pairs else " (same symbols)")
        if gone:
            line += f"; {gone} leg{'s' if gone > 1 else ''} not listed here (rows with —)"
        notes = [f"#{l.index + 1} {l.source_symbol}: {n}" for l in m.legs for n in l.notes] + list(m.account_notes)
        return line, notes

    def _span_unmapped(self) -> None:
        """Rows of legs the venue switch left out: the reason spans the figure columns."""
        n = len(self.document.draft.positions)
        rows = self.model.rowCount()
        if rows == n and not self._spans:
            return
        self.view.clearSpans()
        for r in range(n, rows):
            self.view.setSpan(r, COL["state"], 1, len(COLUMNS) - COL["state"])
        self._spans = rows > n

    def _account(self, ev: Evaluation | None, stale: bool) -> None:
        lines = []
        if ev is not None:
            for acc in ev.accounts:
                lines.append(self.account_line(acc))
            if ev.portfolio is not None:
                lines += [self.portfolio_line(a) for a in ev.portfolio.accounts]
        tip = account_tooltip(ev)
        if ev is not None and ev.portfolio is not None:
            tip += "\n\n" + portfolio_tooltip(ev.portfolio)
        self.account.setToolTip(tip)
        self.account_lines = lines
        color = f"color: {STALE.name()}; font-style: italic;" if stale else ""
        html = "<br>".join(lines) if lines else "Account: —"
        self.account.setText(f"<div style='{color}'>{html}</div>")

    def portfolio_line(self, acc: PortfolioAccount) -> str:
        """One pinned line per portfolio-margin account: its state, PM IM/MM and the standard MM beside it."""
        state = STATE_TEXT.get(str(acc.state), str(acc.state))
        c = acc.currency
        bits = [
            f"<b>Portfolio margin {escape(c)}</b> <span style='background:{STATE_COLORS[str(acc.state)].name()}'>&nbsp;{state}&nbsp;</span>",
            f"Equity&nbsp;{escape(money(acc.equity, c))}",
            f"PM&nbsp;IM&nbsp;{escape(money(acc.initial_margin, c))}",
            f"PM&nbsp;MM&nbsp;{escape(money(acc.maintenance_margin, c))}",
            f"Standard&nbsp;MM&nbsp;{escape(money(acc.standard_maintenance_margin, c))}",
            f"{'Saves' if acc.saving >= 0 else 'Adds'}&nbsp;{escape(money(abs(acc.saving), c))}",
            f"Ratio&nbsp;{escape(fmt_ratio(acc.margin_ratio))}",
        ]
        if acc.worst_move is not None:
            bits.append(f"Worst&nbsp;at&nbsp;{escape(fmt_pct(acc.worst_move))}")
        return " · ".join(bits)

    def account_line(self, acc: AccountResult) -> str:
        """One pinned line per settlement currency: state then every account figure."""
        state = STATE_TEXT.get(str(acc.state), str(acc.state))
        bits = [
            f"<b>Account {escape(acc.currency)}</b> <span style='background:{STATE_COLORS[str(acc.state)].name()}'>&nbsp;{state}&nbsp;</span>"
        ]
        for name, label in ACCOUNT_FIGURES:
            value = getattr(acc, name)
            if name.startswith("cross_liquidation"):
                if value is None:
                    continue
                text = fmt_pct(value)
            elif name == "margin_ratio":
                text = fmt_ratio(value)
            else:
                text = money(value, acc.currency, signed=name == "unrealized_pnl")
            bits.append(f"{label}&nbsp;{escape(text)}")  # the currency is profile text: never markup
        return " · ".join(bits)


def portfolio_tooltip(pm: PortfolioResult) -> str:
    """How the portfolio-margin lines are computed (tooltip of the account summary)."""
    kind = "cross (X:PM): every currency valued in USD" if pm.collateral == "cross" else "segregated (S:PM): each settlement currency alone"
    ranges = ", ".join(sorted({f"{g.underlying} ±{fmt_pct(max(g.moves), 0)} in {len(g.moves)} scenarios" for g in pm.groups}))
    return "\n".join(
        [
            f"Portfolio margin, {kind}.",
            f"Every leg is repriced at evenly spaced moves of its underlying ({ranges or 'no legs'});",
            f"IM = the worst scenario loss + roll shock; MM = IM × {pm.mm_factor:g}. Standard MM: the same legs margined one by one.",
            *pm.notes,
        ]
    )
