"""Drills panel: shock, gap with the loss waterfall, partial liquidation, price
path, event Monte Carlo and profile comparison. Every number comes from the
planner's drill functions; long drills run in a worker thread with progress
and Cancel, and a new run (or closing) cancels a stale one."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QProgressBar, QPushButton, QSpinBox,
    QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from planner.errors import PlannerError
from planner.events import bundled_events
from planner.montecarlo import liquidation_probability
from planner.partial import partial_liquidation
from planner.paths import flash_crash, parse_path_csv, run_path, steady_bleed
from planner.profiles import bundled_profiles
from planner.scenarios import Slippage, compare_profiles, gap_waterfall, shock
from ui.panels.worker import DrillWorker


def _spin(value: float, lo: float, hi: float, suffix: str = " %", decimals: int = 1, tip: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def _table(headers: list[str], rows: list[list[str]], table: QTableWidget) -> None:
    table.clear()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()


def _money(x: float | None) -> str:
    return "none" if x is None or not math.isfinite(x) else f"{x:,.2f}"


class DrillsPanel(QWidget):
    """Tabs of drills on the document's current plan.

    ``sigEquityPath(hours, equity, label)`` asks the equity plot to draw a path's equity.
    """

    sigEquityPath = Signal(object, object, str)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.worker: DrillWorker | None = None
        self.tabs = QTabWidget()
        self.tabs.addTab(self._shock_tab(), "Shock")
        self.tabs.addTab(self._gap_tab(), "Gap")
        self.tabs.addTab(self._partial_tab(), "Partial")
        self.tabs.addTab(self._path_tab(), "Path")
        self.tabs.addTab(self._event_tab(), "Event")
        self.tabs.addTab(self._compare_tab(), "Compare")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs, 1)
        lay.addLayout(bottom)
        lay.addWidget(self.message)
        document.changed.connect(lambda *_: self._refresh_legs())
        self._refresh_legs()

    # -- helpers -------------------------------------------------------------------
    def _refresh_legs(self) -> None:
        symbols = sorted({p.symbol for p in self.document.plan.positions})
        if [self.path_symbol.itemText(i) for i in range(self.path_symbol.count())] != symbols:
            self.path_symbol.clear()
            self.path_symbol.addItems(symbols)
        for combo in (self.gap_leg, self.partial_leg):
            cur = combo.currentIndex()
            combo.blockSignals(True)
            combo.clear()
            for i, p in enumerate(self.document.plan.positions):
                combo.addItem(f"#{i + 1} {p.symbol} {p.side.value} {p.margin_mode.value}")
            combo.setCurrentIndex(min(max(cur, 0), combo.count() - 1))
            combo.blockSignals(False)

    def _run(self, fn, done) -> None:
        """Run ``fn(progress)`` in a worker; ``done(result)`` on the GUI thread."""
        self.cancel()
        self.message.setText("Running…")
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        worker = DrillWorker(fn, self)
        worker.sigProgress.connect(lambda f: self.progress.setValue(int(f * 1000)))
        worker.sigDone.connect(lambda r, w=worker: self._finish(w, done, r))
        worker.sigFailed.connect(lambda text, w=worker: self._fail(w, text))
        self.worker = worker
        worker.start()

    def _finish(self, worker: DrillWorker, done, result) -> None:
        if worker is not self.worker:
            return
        self.progress.hide()
        self.cancel_button.hide()
        self.worker = None
        done(result)

    def _fail(self, worker: DrillWorker, text: str) -> None:
        if worker is not self.worker:
            return
        self.progress.hide()
        self.cancel_button.hide()
        self.worker = None
        self.message.setText(f"<span style='color:#c92a2a'>{text}</span>")

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(5000)
            self.worker = None
            self.message.setText("Cancelled.")
        self.progress.hide()
        self.cancel_button.hide()

    def _sync(self, fn) -> None:
        try:
            fn()
        except PlannerError as exc:
            self.message.setText(f"<span style='color:#c92a2a'>{exc.describe()}</span>")

    # -- shock -------------------------------------------------------------------
    def _shock_tab(self) -> QWidget:
        w = QWidget()
        self.shock_move = _spin(-10.0, -99.9, 1000.0, tip="Every mark moves by this much at once")
        run = QPushButton("Run shock")
        run.clicked.connect(lambda: self._sync(self.run_shock))
        self.shock_table = QTableWidget()
        form = QFormLayout()
        form.addRow("Move of every mark", self.shock_move)
        lay = QVBoxLayout(w)
        lay.addLayout(form)
        lay.addWidget(run)
        lay.addWidget(self.shock_table, 1)
        return w

    def run_shock(self) -> None:
        doc = self.document
        r = shock(doc.plan, doc.profile, move=self.shock_move.value() / 100)
        rows = [[f"#{l.index + 1} {l.symbol}", _money(l.mark_price), _money(l.equity), "n/a" if l.margin_ratio is None else f"{l.margin_ratio:.2%}", l.state]
                for l in r.legs]
        a = r.account
        rows.append([f"account {a.currency}", "", _money(a.equity), "n/a" if a.margin_ratio is None else f"{a.margin_ratio:.2%}", a.state])
        _table(["leg", "mark", "equity", "margin ratio", "state"], rows, self.shock_table)
        order = ", ".join(f"#{i + 1}" for i in r.cross_close_order)
        self.message.setText(f"Liquidated: {', '.join(f'#{i + 1}' for i in r.liquidated) or 'none'}" + (f"; a cross liquidation closes {order} first" if order else ""))

    # -- gap / waterfall ----------------------------------------------------------
    def _gap_tab(self) -> QWidget:
        w = QWidget()
        self.gap_leg = QComboBox()
        self.gap_beyond = _spin(2.0, 0.0, 99.0, tip="How far past the liquidation price the price jumps")
        self.gap_slip = _spin(1.0, 0.0, 99.0, tip="The liquidation fills this much beyond the gap price")
        self.gap_fund = _spin(0.0, 0.0, 1e12, suffix="", decimals=2, tip="What the insurance fund can pay (0 = unlimited)")
        run = QPushButton("Run gap")
        run.clicked.connect(lambda: self._sync(self.run_gap))
        self.gap_answer = QLabel()
        self.gap_answer.setWordWrap(True)
        self.gap_table = QTableWidget()
        form = QFormLayout()
        form.addRow("Leg", self.gap_leg)
        form.addRow("Gap past liquidation", self.gap_beyond)
        form.addRow("Slippage", self.gap_slip)
        form.addRow("Insurance fund can pay", self.gap_fund)
        lay = QVBoxLayout(w)
        lay.addLayout(form)
        lay.addWidget(run)
        lay.addWidget(self.gap_answer)
        lay.addWidget(self.gap_table, 1)
        return w

    def run_gap(self) -> None:
        doc = self.document
        fund = self.gap_fund.value() or math.inf
        wf = gap_waterfall(doc.plan, doc.profile, max(self.gap_leg.currentIndex(), 0), gap_beyond=self.gap_beyond.value() / 100,
                           slippage=Slippage(fixed=self.gap_slip.value() / 100), insurance_fund_capacity=fund)
        rows = [[name, _money(v)] for name, v in wf.rows] + [["your total loss", _money(wf.trader_total_loss)]]
        _table([f"{wf.symbol}: fill {wf.fill_price:,.2f}", wf.currency], rows, self.gap_table)
        self.gap_answer.setText("<b>Can you lose more than your margin?</b> " + wf.describe())
        self.last_waterfall = wf

    # -- partial -------------------------------------------------------------------
    def _partial_tab(self) -> QWidget:
        w = QWidget()
        self.partial_leg = QComboBox()
        self.partial_beyond = _spin(0.5, 0.0, 90.0, tip="Mark this far past the liquidation price")
        run = QPushButton("Show liquidation steps")
        run.clicked.connect(lambda: self._sync(self.run_partial))
        self.partial_table = QTableWidget()
        form = QFormLayout()
        form.addRow("Leg", self.partial_leg)
        form.addRow("Mark past liquidation", self.partial_beyond)
        lay = QVBoxLayout(w)
        lay.addLayout(form)
        lay.addWidget(run)
        lay.addWidget(self.partial_table, 1)
        return w

    def run_partial(self) -> None:
        doc = self.document
        i = max(self.partial_leg.currentIndex(), 0)
        leg = doc.evaluation.legs[i]
        s = 1 if leg.side == "long" else -1
        base = leg.liquidation_price or leg.mark_price
        price = base * (1 - s * self.partial_beyond.value() / 100)
        steps = partial_liquidation(doc.plan, doc.profile, i, price)
        rows = [[str(st.number), f"{st.closed:,.6g}", f"{st.left:,.6g}", _money(st.equity), _money(st.requirement), st.note] for st in steps]
        _table(["step", "closed", "left", "equity", "requirement", "rule"], rows, self.partial_table)
        self.message.setText(f"{leg.symbol} at {price:,.2f} on {doc.profile.name}: {doc.profile.policies.partial_liquidation.kind}"
                             + ("" if steps else " — still margined, nothing liquidated"))

    # -- path ----------------------------------------------------------------------
    def _path_tab(self) -> QWidget:
        w = QWidget()
        self.path_kind = QComboBox()
        self.path_kind.addItems(["Flash crash (-20 %, 75 % back)", "Steady bleed (-5 %/day)", "Custom CSV (time_hours,price)"])
        self.path_symbol = QComboBox()
        self.path_csv = QPlainTextEdit()
        self.path_csv.setPlaceholderText("time_hours,price\n0,50000\n1,47000\n2,45500\n…")
        run = QPushButton("Run path")
        run.clicked.connect(self.run_path)
        form = QFormLayout()
        form.addRow("Path", self.path_kind)
        form.addRow("CSV prices are for", self.path_symbol)
        lay = QVBoxLayout(w)
        lay.addLayout(form)
        lay.addWidget(self.path_csv, 1)
        lay.addWidget(run)
        return w

    def run_path(self) -> None:
        doc = self.document
        plan, profile = doc.plan, doc.profile
        kind = self.path_kind.currentIndex()
        try:
            if kind == 0:
                path = flash_crash(horizon_hours=plan.horizon_hours)
            elif kind == 1:
                path = steady_bleed(horizon_hours=plan.horizon_hours)
            else:
                sym = self.path_symbol.currentText() or (plan.positions[0].symbol if plan.positions else None)
                path = parse_path_csv(self.path_csv.toPlainText(), sym)
        except PlannerError as exc:
            self.message.setText(f"<span style='color:#c92a2a'>{exc.describe()}</span>")
            return

        def work(progress):
            progress(0.5)
            return run_path(plan, profile, path)

        def done(r) -> None:
            events = "; ".join(f"#{i + 1} {plan.positions[i].symbol} liquidated at {t:.2f} h ({p:,.2f})" for i, (t, p) in sorted(r.liquidations.items()))
            self.message.setText(f"{path.label}: {events or 'no leg liquidated'}; equity {r.equity[0]:,.2f} -> {r.equity[-1]:,.2f} {r.currency}")
            self.sigEquityPath.emit(r.hours, r.equity, path.label)

        self._run(work, done)

    # -- event Monte Carlo ------------------------------------------------------------
    def _event_tab(self) -> QWidget:
        w = QWidget()
        self.event_combo = QComboBox()
        for eid, ev in bundled_events().items():
            self.event_combo.addItem(ev.name, eid)
        self.event_vol = _spin(0.0, 0.0, 2000.0, tip="Annual volatility; 0 = the preset's")
        self.event_paths = QSpinBox()
        self.event_paths.setRange(1000, 2_000_000)
        self.event_paths.setSingleStep(10000)
        self.event_paths.setValue(100_000)
        self.event_seed = QSpinBox()
        self.event_seed.setRange(0, 2**31 - 1)
        self.event_seed.setValue(1)
        run = QPushButton("Run Monte Carlo")
        run.clicked.connect(self.run_event)
        self.event_result = QLabel()
        self.event_result.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Event", self.event_combo)
        form.addRow("Volatility override", self.event_vol)
        form.addRow("Paths", self.event_paths)
        form.addRow("Seed", self.event_seed)
        lay = QVBoxLayout(w)
        lay.addLayout(form)
        lay.addWidget(run)
        lay.addWidget(self.event_result)
        lay.addStretch(1)
        return w

    def run_event(self) -> None:
        doc = self.document
        plan, profile = doc.plan, doc.profile
        preset = bundled_events()[self.event_combo.currentData()]
        vol = self.event_vol.value() / 100 or None
        paths, seed = self.event_paths.value(), self.event_seed.value()

        def work(progress):
            return liquidation_probability(plan, profile, model=preset.model(vol), horizon_hours=preset.horizon_hours,
                                           paths=paths, seed=seed, progress=progress)

        def done(r) -> None:
            legs = ", ".join(f"#{i + 1} {p:.2%}" for i, p in r.per_leg.items())
            cf = "" if r.closed_form is None else f"; closed form without jumps {r.closed_form:.2%}"
            state = " (cancelled: partial result)" if r.cancelled else ""
            self.event_result.setText(f"<b>{preset.name}</b>: probability of liquidation within {preset.horizon_hours:g} h "
                                      f"<b>{r.probability:.2%}</b> ± {r.half_width:.2%} ({r.paths:,} paths, seed {r.seed}){state}. By leg: {legs}{cf}")
            self.message.setText("")
            self.last_event = r

        self._run(work, done)

    # -- compare -------------------------------------------------------------------------
    def _compare_tab(self) -> QWidget:
        w = QWidget()
        run = QPushButton("Compare every bundled profile")
        run.clicked.connect(lambda: self._sync(self.run_compare))
        self.compare_table = QTableWidget()
        lay = QVBoxLayout(w)
        lay.addWidget(run)
        lay.addWidget(self.compare_table, 1)
        return w

    def run_compare(self) -> None:
        doc = self.document
        rows = []
        for r in compare_profiles(doc.plan, doc.profile, list(bundled_profiles().values())):
            if not r.legs:
                rows.append([r.profile_id, "", r.status, "", "", r.beyond_bankruptcy])
            for l in r.legs:
                rows.append([r.profile_id, l["symbol"], _money(l["liquidation_price"]), _money(l["initial_margin"]), _money(l["liquidation_fee"]), r.beyond_bankruptcy])
        _table(["profile", "symbol", "liquidation", "margin needed", "liquidation fee", "beyond bankruptcy"], rows, self.compare_table)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.cancel()
        super().closeEvent(event)
