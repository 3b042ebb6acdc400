"""What-if drills panel: renders planner.drills.scenarios / partial / paths / montecarlo results (no math here).

Monte Carlo and path drills run on a QThread worker with a progress bar and
Cancel; a new context (an edit) cancels the stale worker.

Every drill runs at the marks on screen (the document's what-if marks, passed
with the context) and its answer says which marks those were.

The last result of each tab is kept (:meth:`DrillsPanel.report_records`) with
the plan it ran on, so File › Export › Report prints the drills of the session.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.drills.events import bundled_events
from planner.drills.marks import marks_in_use, plan_at_marks
from planner.drills.montecarlo import liquidation_probability
from planner.drills.partial import partial_liquidation
from planner.drills.paths import flash_crash, parse_path_csv, run_path, steady_bleed
from planner.drills.scenarios import ComparisonCell, Slippage, compare_profiles, gap_waterfall, shock
from planner.drills.waterfall import parse_depth_levels
from planner.engine.evaluate import Evaluation
from planner.io.registry import bundled_profiles
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio, fmt_signed_money
from planner.present.glossary import FIGURES
from ui.docks.safe_size_panel import TITLE as SAFE_SIZE_TITLE
from ui.docks.safe_size_panel import SafeSizePanel
from ui.docks.worker import DrillWorker
from ui.report import DrillRecord

__all__ = ["DrillWorker", "DrillsPanel"]


def _compare_cell_text(cell: ComparisonCell) -> str:
    """Text of one leg x venue cell (S = safest, C = cheapest for this leg)."""
    if not cell.has_figures:
        return f"{cell.status}\n{cell.note}"
    ccy = cell.currency or ""
    flags = " ".join(f for f, on in (("S safest", cell.safest), ("C cheapest", cell.cheapest)) if on)
    lines = [
        f"{cell.symbol}" + (f"  [{flags}]" if flags else "") + (f"  ({cell.status})" if cell.status != "ok" else ""),
        f"liq {fmt_price(cell.liquidation_price)} ({fmt_pct(cell.distance_to_liquidation)})",
        f"IM {fmt_money(cell.initial_margin, ccy)}, MM {fmt_money(cell.maintenance_margin, ccy)}",
        f"liq. fee {fmt_money(cell.liquidation_fee, ccy)}, funding/day {fmt_money(cell.funding_per_day, ccy)}",
    ]
    return "\n".join(lines)


#: What each drill-table column means (by header; "Amount (USDT)" by its first word).
HEADER_TIPS = {
    "Leg": "Leg number and symbol, as in the Plan and Results tables",
    "Mark": "The leg's mark after the move, quote currency",
    "uPnL": "Unrealised PnL at that mark, settlement currency (+ = profit)",
    "Equity": "Equity behind the leg (its margin plus unrealised PnL; cross legs: the cross wallet's), settlement currency",
    "Margin ratio": FIGURES["margin_ratio"].explanation,
    "State": FIGURES["state"].explanation,
    "Liquidated": "yes: the moved mark is at or past the leg's liquidation price",
    "Part": "Where the loss of a gapped liquidation goes, in the venue's order",
    "Amount": "Money of each part, settlement currency",
    "Step": "Partial-liquidation step of the venue's rule, in order",
    "Closed": "Size closed at this step (base units for linear contracts, contracts for inverse ones)",
    "Left": "Size left open after this step (same units)",
    "Requirement": "Maintenance margin (plus any fee to close the venue holds) of what is left, settlement currency",
    "Fee": "Liquidation fee charged on the closed part, settlement currency",
    "Note": "The venue's rule for this step",
    "P(liquidated)": "Probability that the leg is liquidated within the horizon (Monte Carlo); the error bar is in the summary",
}


def _fill(table: QTableWidget, headers: list[str], rows: list[list[str]]) -> None:
    table.clear()
    table.setColumnCount(len(headers))
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels(headers)
    for c, head in enumerate(headers):
        item = table.horizontalHeaderItem(c)
        tip = HEADER_TIPS.get(head) or HEADER_TIPS.get(head.split(" ")[0])
        if item is not None and tip:
            item.setToolTip(tip)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()


class DrillsPanel(QWidget):
    """Tabs: shock, gap/slippage waterfall, partial liquidation, price path, event drill, profile comparison, safe size."""

    sigEquityPath = Signal(object, object, str)  # hours, equity, label
    mcFinished = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Plan | None = None
        self.profile: ExchangeProfile | None = None
        self.evaluation: Evaluation | None = None
        self.marks: dict[str, float] = {}  # what-if marks on screen (symbol -> price), empty = the plan's marks
        self.worker: DrillWorker | None = None
        self._old_workers: list[DrillWorker] = []
        self._records: dict[str, DrillRecord] = {}
        self._runs: dict[str, tuple[Plan | None, str]] = {}  # tab -> (plan, settings) of the run being shown
        self.tabs = QTabWidget()
        self.error = QLabel("")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.error)
        self._build_shock()
        self._build_gap()
        self._build_partial()
        self._build_path()
        self._build_event()
        self._build_compare()
        self._build_safe_size()

    # -- building -----------------------------------------------------------------
    def _tab(self, title: str) -> tuple[QWidget, QFormLayout, QTableWidget]:
        w = QWidget()
        form = QFormLayout()
        table = QTableWidget()
        v = QVBoxLayout(w)
        v.addLayout(form)
        v.addWidget(table, 1)
        self.tabs.addTab(w, title)
        return w, form, table

    def _build_shock(self) -> None:
        _, form, self.shock_table = self._tab("Shock")
        self.shock_move = QDoubleSpinBox(minimum=-500.0, maximum=1000.0, decimals=2, suffix=" %", value=-10.0)
        self.shock_run = QPushButton("Run shock")
        self.shock_run.clicked.connect(self.run_shock)
        self.shock_move.setToolTip("Every leg's mark moves by this percentage at once (from the marks on screen); -10 % = a 10 % drop")
        form.addRow("Move of every mark", self.shock_move)
        form.addRow(self.shock_run)
        self.shock_summary = QLabel()
        self.shock_summary.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.shock_summary.setWordWrap(True)
        self.shock_summary.setToolTip("The account after the move: its equity, margin ratio and state, and the cross legs closed first")
        form.addRow(self.shock_summary)

    def _build_gap(self) -> None:
        _, form, self.gap_table = self._tab("Gap / slippage")
        self.gap_leg = QSpinBox(minimum=1, maximum=500)
        self.gap_beyond = QDoubleSpinBox(minimum=0.0, maximum=99.0, decimals=2, suffix=" %", value=2.0)
        self.gap_slip = QDoubleSpinBox(minimum=0.0, maximum=99.0, decimals=2, suffix=" %", value=1.0)
        self.gap_model = QComboBox()
        self.gap_model.addItems(["Fixed slippage", "Order-book depth"])
        self.gap_depth = QPlainTextEdit()
        self.gap_depth.setPlaceholderText("percent_away,notional\n0,200000\n0.5,500000\n1,2000000")
        self.gap_depth.setMaximumHeight(80)
        self.gap_run = QPushButton("Run gap")
        self.gap_run.clicked.connect(self.run_gap)
        self.gap_answer = QLabel()
        self.gap_answer.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.gap_answer.setWordWrap(True)
        self.gap_answer.setToolTip("Can you lose more than the leg's margin? The answer under this venue's policies, from the table above")
        self.gap_leg.setToolTip("Leg number (#) as in the Plan and Results tables")
        self.gap_beyond.setToolTip("How far past its liquidation price the mark jumps before the venue can act, % of that price")
        self.gap_slip.setToolTip("The liquidation order fills this % worse than the gapped price (fixed slippage model)")
        self.gap_model.setToolTip("Fixed slippage, or walk an order book given as depth levels (% away, notional available there)")
        form.addRow("Leg", self.gap_leg)
        form.addRow("Gap past liquidation", self.gap_beyond)
        form.addRow("Slippage model", self.gap_model)
        form.addRow("Fill slippage", self.gap_slip)
        form.addRow("Depth levels", self.gap_depth)
        form.addRow(self.gap_run)
        form.addRow(self.gap_answer)

    def _build_partial(self) -> None:
        _, form, self.partial_table = self._tab("Partial liquidation")
        self.partial_leg = QSpinBox(minimum=1, maximum=500)
        self.partial_price = QDoubleSpinBox(minimum=0.0, maximum=1e9, decimals=2)
        self.partial_run = QPushButton("Run steps")
        self.partial_run.clicked.connect(self.run_partial)
        self.partial_leg.setToolTip("Leg number (#) as in the Plan and Results tables")
        self.partial_price.setToolTip(
            "Mark price (quote currency) at which the venue's partial-liquidation steps are played; 0 = the leg's liquidation price"
        )
        form.addRow("Leg", self.partial_leg)
        form.addRow("Mark at (0 = liquidation price)", self.partial_price)
        form.addRow(self.partial_run)

    def _build_path(self) -> None:
        _, form, self.path_table = self._tab("Price path")
        self.path_kind = QComboBox()
        self.path_kind.addItems(["Flash crash", "Steady bleed", "Custom CSV"])
        self.path_csv = QPlainTextEdit()
        self.path_csv.setPlaceholderText("time_hours,price\n0,60000\n1,57000\n...")
        self.path_csv.setMaximumHeight(90)
        self.path_run = QPushButton("Run path")
        self.path_run.clicked.connect(self.run_path)
        self.path_summary = QLabel()
        self.path_summary.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.path_summary.setWordWrap(True)
        self.path_summary.setToolTip(
            "Where the path starts, the legs it liquidates (hour, price) and the funding to the account in every wallet "
            "(+ received, - paid); the equity along the path is drawn on the equity plot"
        )
        self.path_kind.setToolTip(
            "Flash crash: every mark falls 20 % over 30 minutes, then wins back 75 % of the fall over 6 hours; "
            "steady bleed: -5 % a day (compounded) over the horizon; "
            "custom: your own CSV of hours and prices. Funding is paid along the way in every settlement wallet."
        )
        form.addRow("Path", self.path_kind)
        form.addRow("CSV", self.path_csv)
        form.addRow(self.path_run)
        form.addRow(self.path_summary)

    def _build_event(self) -> None:
        _, form, self.event_table = self._tab("Event drill")
        self.events = bundled_events()
        self.event_combo = QComboBox()
        for key, ev in self.events.items():
            self.event_combo.addItem(ev.name, key)
        self.event_vol = QDoubleSpinBox(minimum=-1000.0, maximum=2000.0, decimals=1, suffix=" %/yr")
        self.event_jumps = QDoubleSpinBox(minimum=-10.0, maximum=100.0, decimals=2)
        self.event_jump_size = QDoubleSpinBox(minimum=-100.0, maximum=99.0, decimals=2, suffix=" %")
        self.event_seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=1)
        self.event_paths = QSpinBox(minimum=0, maximum=10_000_000, value=100_000, singleStep=10_000)
        self.event_combo.currentIndexChanged.connect(self._preset_changed)
        self._preset_changed()
        self.mc_run = QPushButton("Run Monte Carlo")
        self.mc_run.clicked.connect(self.run_event)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_worker)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.mc_summary = QLabel()
        self.mc_summary.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.mc_summary.setWordWrap(True)
        self.mc_summary.setToolTip(
            "Probability of a liquidation within the horizon, ± the half-width of its 95 % confidence interval (Monte Carlo error)"
        )
        row = QHBoxLayout()
        row.addWidget(self.mc_run)
        row.addWidget(self.cancel_button)
        self.event_combo.setToolTip("Preset of the event (volatility and jumps from its source); every field below can be changed")
        self.event_vol.setToolTip("Annualised volatility of the price paths, % per year")
        self.event_jumps.setToolTip("Expected number of price jumps within the horizon (Merton jump model)")
        self.event_jump_size.setToolTip("Standard deviation of one jump, % of the price")
        self.event_seed.setToolTip("Random seed: the same seed gives the same paths and the same probability")
        self.event_paths.setToolTip("Number of simulated price paths: more paths, smaller error bar, longer run")
        form.addRow("Event", self.event_combo)
        form.addRow("Volatility", self.event_vol)
        form.addRow("Jumps expected in horizon", self.event_jumps)
        form.addRow("Jump size (1 s.d.)", self.event_jump_size)
        form.addRow("Seed", self.event_seed)
        form.addRow("Paths", self.event_paths)
        form.addRow(row)
        form.addRow(self.progress)
        form.addRow(self.mc_summary)

    def _build_compare(self) -> None:
        _, form, self.compare_table = self._tab("Profiles")
        self.compare_run = QPushButton("Compare all bundled profiles")
        self.compare_run.clicked.connect(self.run_compare)
        self.compare_rows: list = []
        form.addRow(self.compare_run)

    def _build_safe_size(self) -> None:
        self.safe_size = SafeSizePanel()
        self.safe_size.recorded.connect(lambda rec: self._records.__setitem__(rec.title, rec))
        self.tabs.addTab(self.safe_size, SAFE_SIZE_TITLE)

    # -- results kept for the report -------------------------------------------------
    def _keep(self, title: str, table: QTableWidget, summary: str, setup: str, plan: Plan | None = None) -> None:
        """Keep what tab ``title`` now shows (table cells, summary) with the plan it ran on."""

        def text(item: QTableWidgetItem | None) -> str:
            return item.text() if item is not None else ""

        headers = [text(table.horizontalHeaderItem(c)) for c in range(table.columnCount())]
        labels: list[str] = []
        if title == "Profiles":
            labels = [text(table.verticalHeaderItem(r)) for r in range(table.rowCount())]
        rows = [[text(table.item(r, c)) for c in range(table.columnCount())] for r in range(table.rowCount())]
        self._records[title] = DrillRecord(title, setup, headers, rows, summary, row_labels=labels, plan=plan or self.plan)

    def report_records(self) -> list[DrillRecord]:
        """The last result of every drill tab run in this session, in tab order (each with the plan it ran on)."""
        order = [self.tabs.tabText(i) for i in range(self.tabs.count())]
        return [self._records[t] for t in order if t in self._records]

    # -- context ------------------------------------------------------------------
    def set_context(self, plan, profile, evaluation=None, marks: dict[str, float] | None = None) -> None:
        """The plan, profile and marks on screen (``marks``: what-if marks by symbol, quote currency).

        A new plan/profile cancels a stale drill; a what-if mark drag (same plan) lets it finish
        (its answer names the marks it ran at).
        """
        if plan != self.plan or profile is not self.profile:
            self.cancel_worker()
        self.plan, self.profile, self.evaluation = plan, profile, evaluation
        self.marks = dict(marks or {})
        n = max(1, len(plan.positions)) if plan is not None else 1
        self.gap_leg.setMaximum(n)
        self.partial_leg.setMaximum(n)
        self.error.setText("")
        self.safe_size.set_context(plan, profile, marks)

    def _ready(self) -> bool:
        if self.plan is None or self.profile is None or not self.plan.positions:
            self.error.setText("No positions to drill.")
            return False
        self.error.setText("")
        return True

    def _fail(self, exc: PlannerError) -> None:
        self.error.setText(exc.describe())

    def marks_text(self) -> str:
        """Which marks a drill runs at, e.g. "at marks on screen: BTCUSDT 45,000 (what-if), ETHUSDT 2,500"."""
        if self.plan is None:
            return ""
        used = marks_in_use(self.plan, self.marks)
        parts = [f"{sym} {fmt_price(px)}" + (" (what-if)" if sym in self.marks else "") for sym, px in used.items()]
        return "at marks on screen: " + ", ".join(parts)

    # -- synchronous drills -----------------------------------------------------------
    def run_shock(self) -> None:
        if not self._ready():
            return
        assert self.plan is not None and self.profile is not None  # checked by _ready()
        try:
            r = shock(self.plan, self.profile, move=self.shock_move.value() / 100.0, marks=self.marks)
        except PlannerError as exc:
            return self._fail(exc)
        rows = []
        for leg in r.legs:
            rows.append(
                [
                    f"{leg.index + 1} {leg.symbol}",
                    fmt_price(leg.mark_price),
                    fmt_money(leg.unrealized_pnl, leg.settle),
                    fmt_money(leg.equity, leg.settle),
                    fmt_ratio(leg.margin_ratio),
                    leg.state,
                    "yes" if leg.index in r.liquidated else "no",
                ]
            )
        _fill(self.shock_table, ["Leg", "Mark", "uPnL", "Equity", "Margin ratio", "State", "Liquidated"], rows)
        order = ", ".join(str(i + 1) for i in r.cross_close_order) or "none"
        a = r.account
        self.shock_summary.setText(
            f"Move of {self.shock_move.value():+g} % from the marks on screen ({self.marks_text()[len('at marks on screen: ') :]}). "
            f"Account equity {fmt_money(a.equity, a.currency)}, ratio {fmt_ratio(a.margin_ratio)} ({a.state}); "
            f"cross legs closed first: {order}"
        )
        self._keep(
            "Shock", self.shock_table, self.shock_summary.text(), f"every mark moved {self.shock_move.value():+.2f} %, {self.marks_text()}"
        )

    def run_gap(self) -> None:
        if not self._ready():
            return
        assert self.plan is not None and self.profile is not None  # checked by _ready()
        try:
            if self.gap_model.currentIndex() == 1:
                slip = parse_depth_levels(self.gap_depth.toPlainText())
            else:
                slip = Slippage(fixed=self.gap_slip.value() / 100.0)
            w = gap_waterfall(
                self.plan,
                self.profile,
                self.gap_leg.value() - 1,
                gap_beyond=self.gap_beyond.value() / 100.0,
                slippage=slip,
                marks=self.marks,
            )
        except PlannerError as exc:
            return self._fail(exc)
        _fill(self.gap_table, ["Part", f"Amount ({w.currency})"], [[name, fmt_money(v, w.currency)] for name, v in w.rows])
        self.gap_answer.setText(f"{w.describe()} (gap drill starting {self.marks_text()})")
        model = "order-book depth" if self.gap_model.currentIndex() == 1 else f"{self.gap_slip.value():.2f} % slippage"
        setup = f"leg #{self.gap_leg.value()} {w.symbol}, gap {self.gap_beyond.value():.2f} % past liquidation, {model}"
        self._keep("Gap / slippage", self.gap_table, self.gap_answer.text(), f"{setup}, {self.marks_text()}")

    def run_partial(self) -> None:
        if not self._ready():
            return
        assert self.plan is not None and self.profile is not None  # checked by _ready()
        i = self.partial_leg.value() - 1
        price = self.partial_price.value()
        where = ""
        try:
            if price <= 0:
                from planner.engine.evaluate import evaluate

                lp = evaluate(plan_at_marks(self.plan, self.marks), self.profile).legs[i].liquidation_price
                if lp is None:
                    self.error.setText("This leg has no liquidation price; enter a mark to test.")
                    return
                # One tick past it, on the leg's loss side: exactly at the price, equity equals the requirement
                # and whether a step shows would depend on the last digit of a float.
                pos = self.plan.positions[i]
                spec = self.profile.symbols.get(pos.symbol)
                tick = spec.tick_size if spec is not None else 0.01
                price = lp - tick if pos.side.value == "long" else lp + tick
                where = f" (one tick past its liquidation price {fmt_price(lp, tick)})"
            steps = partial_liquidation(plan_at_marks(self.plan, self.marks), self.profile, i, price)
        except PlannerError as exc:
            return self._fail(exc)
        _fill(
            self.partial_table,
            ["Step", "Closed", "Left", "Equity", "Requirement", "Margin ratio", "Fee", "Note"],
            [
                [
                    str(s.number),
                    f"{s.closed:,.6g}",
                    f"{s.left:,.6g}",
                    fmt_money(s.equity),
                    fmt_money(s.requirement),
                    fmt_ratio(s.margin_ratio),
                    fmt_money(s.fee),
                    s.note,
                ]
                for s in steps
            ]
            or [["—", "0", "", "", "", "", "", "no step: at this mark the leg's equity still covers its maintenance margin"]],
        )
        leg = self.plan.positions[i]
        self._keep("Partial liquidation", self.partial_table, "", f"leg #{i + 1} {leg.symbol}, mark at {fmt_price(price)}{where}")

    def run_compare(self) -> None:
        """Leg x venue grid: one row per leg, one column per venue; safest cell green, cheapest bold."""
        if not self._ready():
            return
        assert self.plan is not None and self.profile is not None  # checked by _ready()
        try:
            rows = compare_profiles(plan_at_marks(self.plan, self.marks), self.profile, list(bundled_profiles().values()))
        except PlannerError as exc:
            return self._fail(exc)
        self.compare_rows = rows
        t = self.compare_table
        t.clear()
        t.setRowCount(len(self.plan.positions) + 1)
        t.setColumnCount(len(rows))
        t.setHorizontalHeaderLabels([r.profile_name for r in rows])
        for c, row in enumerate(rows):
            head = t.horizontalHeaderItem(c)
            if head is not None:
                head.setToolTip(
                    f"The plan's legs on {row.profile_name}, mapped at equal USD value: liquidation price (distance), "
                    "initial and maintenance margin, liquidation fee, funding per day; green = safest venue for the leg, "
                    "bold = cheapest (S / C in the report)"
                )
        t.setVerticalHeaderLabels([f"#{i + 1} {p.symbol}" for i, p in enumerate(self.plan.positions)] + ["Beyond bankruptcy"])
        safe_bg = QColor(47, 158, 68, 70)
        for c, row in enumerate(rows):
            for r, cell in enumerate(row.legs):
                item = QTableWidgetItem(_compare_cell_text(cell))
                tips = [f"{row.profile_name}: {cell.symbol or cell.source_symbol} ({cell.status})"]
                if cell.safest:
                    tips.append("safest venue for this leg: largest distance to liquidation")
                    item.setBackground(safe_bg)
                if cell.cheapest:
                    tips.append("cheapest venue for this leg: round-trip taker fee + funding over the plan's horizon")
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                if cell.note:
                    tips.append(cell.note)
                item.setToolTip("\n".join(tips))
                t.setItem(r, c, item)
            foot = QTableWidgetItem(row.beyond_bankruptcy)
            foot.setToolTip("\n".join([row.beyond_bankruptcy, *row.notes]))
            t.setItem(len(row.legs), c, foot)
        t.resizeColumnsToContents()
        t.resizeRowsToContents()
        self._keep("Profiles", t, "S = safest venue for the leg, C = cheapest", "every bundled profile")

    # -- threaded drills ----------------------------------------------------------------
    def _preset_changed(self, *_):
        key = self.event_combo.currentData()
        if key in self.events:
            ev = self.events[key]
            self.event_vol.setValue(ev.volatility * 100.0)
            self.event_jumps.setValue(ev.expected_jumps)
            self.event_jump_size.setValue(ev.typical_move * 100.0)

    def _start(self, job, on_done) -> None:
        self.cancel_worker()
        w = DrillWorker(job, self)
        w.progressed.connect(lambda f, w=w: self.progress.setValue(int(f * 1000)) if w is self.worker else None)
        w.finishedWith.connect(lambda res, err, w=w: self._done(w, res, err, on_done))
        self.worker = w
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        w.start()

    def _done(self, w: DrillWorker, result, err, on_done) -> None:
        if w is not self.worker:  # a stale worker finishing after an edit
            return
        self.worker = None
        self.cancel_button.setEnabled(False)
        if err:
            self.error.setText(err)
            return
        on_done(result)

    def cancel_worker(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self._old_workers = [o for o in self._old_workers if o.isRunning()] + [self.worker]
            self.worker = None
        self.cancel_button.setEnabled(False) if hasattr(self, "cancel_button") else None

    def wait_idle(self, ms: int = 30000) -> None:
        """Test/close helper: wait for every worker thread to end."""
        for w in self._old_workers + ([self.worker] if self.worker else []):
            w.wait(ms)
        self.safe_size.wait_idle(ms)

    def run_event(self) -> None:
        if not self._ready():
            return
        assert self.plan is not None and self.profile is not None  # checked by _ready()
        key = self.event_combo.currentData()
        preset = self.events[key]
        plan, profile, marks, where = self.plan, self.profile, dict(self.marks), self.marks_text()
        vol, seed, paths = self.event_vol.value() / 100.0, self.event_seed.value(), self.event_paths.value()
        try:
            preset = preset.model_copy(
                update={"expected_jumps": self.event_jumps.value(), "typical_move": self.event_jump_size.value() / 100.0}
            )
            model = preset.model(volatility=vol)
            from planner.drills.montecarlo import _check

            _check(paths, 24, preset.horizon_hours, model)
        except PlannerError as exc:
            return self._fail(exc)

        def job(progress):
            return liquidation_probability(
                plan, profile, model=model, horizon_hours=preset.horizon_hours, paths=paths, seed=seed, progress=progress, marks=marks
            )

        self._runs["Event drill"] = (plan, f"{preset.name}, volatility {vol * 100:.1f} %/yr, {paths:,} paths, seed {seed}, {where}")
        self._start(job, lambda r: self._show_mc(r, where))

    def _show_mc(self, r, where: str = "") -> None:
        self.progress.setValue(1000)
        gone = ", ".join(f"#{i + 1}" for i in r.already_liquidated)
        if r.already_liquidated and not r.per_leg:
            text = f"Every leg is already liquidated {where}: nothing left to simulate."
        else:
            text = f"P(liquidation within {r.horizon_hours:g} h) = {fmt_pct(r.probability)} ± {fmt_pct(r.half_width)} ({r.paths:,} paths, seed {r.seed})"
            if r.already_liquidated:
                text += f" for the legs not yet liquidated; leg {gone} already liquidated"
            if r.closed_form is not None:
                text += f"; closed form without jumps {fmt_pct(r.closed_form)}"
            if r.cancelled:
                text += " — cancelled, partial estimate"
            text = f"{text}; {where}" if where else text
        self.mc_summary.setText(text)
        names = self.plan.positions if self.plan is not None else []
        rows = {i: [f"#{i + 1} {names[i].symbol}" if i < len(names) else f"#{i + 1}", fmt_pct(p)] for i, p in r.per_leg.items()}
        rows.update(
            {
                i: [f"#{i + 1} {names[i].symbol}" if i < len(names) else f"#{i + 1}", "already liquidated at the marks on screen"]
                for i in r.already_liquidated
            }
        )
        _fill(self.event_table, ["Leg", "P(liquidated)"], [rows[i] for i in sorted(rows)])
        plan, setup = self._runs.get("Event drill", (self.plan, ""))
        self._keep("Event drill", self.event_table, text, setup, plan)
        self.mcFinished.emit(r)

    def run_path(self) -> None:
        if not self._ready():
            return
        assert self.plan is not None and self.profile is not None  # checked by _ready()
        plan, profile, marks, where = self.plan, self.profile, dict(self.marks), self.marks_text()
        try:
            kind = self.path_kind.currentIndex()
            if kind == 0:
                path = flash_crash(horizon_hours=plan.horizon_hours)
            elif kind == 1:
                path = steady_bleed(horizon_hours=plan.horizon_hours)
            else:
                path = parse_path_csv(self.path_csv.toPlainText())
        except PlannerError as exc:
            return self._fail(exc)
        self._runs["Price path"] = (plan, f"{path.label}, {where}")
        self._start(lambda progress: run_path(plan, profile, path, marks=marks), lambda r: self._show_path(r, path.label, where))

    def _show_path(self, r, label: str, where: str = "") -> None:
        """The path's events and one row per settlement wallet (a coin-margined leg pays funding in its coin)."""
        self.progress.setValue(1000)
        plan, setup = self._runs.get("Price path", (self.plan, label))
        symbols = [p.symbol for p in plan.positions] if plan is not None else []
        ev = "; ".join(
            f"Leg #{i + 1}{' ' + symbols[i] if i < len(symbols) else ''} liquidated at {h:.2f} h, price {fmt_price(p)}"
            for i, (h, p) in sorted(r.liquidations.items())
        )
        gone_in: dict[str, list[str]] = {}
        for i in sorted(r.liquidations):
            if i < len(symbols) and self.profile is not None and symbols[i] in self.profile.symbols:
                gone_in.setdefault(self.profile.symbols[symbols[i]].settle, []).append(f"#{i + 1}")
        rows, funding = [], []
        for ccy, acc in r.accounts.items():
            to_account = -float(acc.funding_paid[-1]) if acc.funding_paid.size else 0.0
            change = float(acc.equity[-1] - acc.equity[0]) if acc.equity.size else 0.0
            funding.append(fmt_signed_money(to_account, ccy))
            rows.append([ccy, fmt_signed_money(to_account, ccy), fmt_signed_money(change, ccy), ", ".join(gone_in.get(ccy, [])) or "none"])
        _fill(self.path_table, ["Wallet", "Funding to the account", "Equity change", "Legs liquidated"], rows)
        tips = (
            "Settlement wallet: each leg pays funding and is margined in its settlement currency",
            "Funding received minus paid along the path, positive = to the account; a liquidated leg pays none after it closes"
            + (f". Settlements, hours from the plan's clock: {r.schedule}" if r.schedule else ""),
            "Equity at the end of the path minus equity at its start, settlement currency",
            "Legs whose liquidation the path reaches (see the summary for the hour and price)",
        )
        for c, tip in enumerate(tips):
            item = self.path_table.horizontalHeaderItem(c)
            if item is not None:
                item.setToolTip(tip)
        text = (ev or "No liquidation along the path") + "; funding to the account: " + ", ".join(funding)
        self.path_summary.setText(f"Path starting {where}. {text}" if where else text)
        self._keep("Price path", self.path_table, self.path_summary.text(), setup, plan)
        self.sigEquityPath.emit(r.hours, r.equity, label)
