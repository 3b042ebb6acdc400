"""Funding inputs: horizon (hours to weeks) and a rate per symbol (positive: longs pay)."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QLabel, QWidget

from ui.widgets.problem_marks import mark


class FundingPanel(QWidget):
    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.form = QFormLayout(self)
        self.horizon = QDoubleSpinBox()
        self.horizon.setRange(1.0, 24.0 * 366)
        self.horizon.setDecimals(0)
        self.horizon.setSingleStep(8.0)
        self.horizon.setSuffix(" h")
        self.horizon.setKeyboardTracking(True)
        self.horizon.setToolTip("Time span of the equity plot: hours to weeks (168 h = 1 week)")
        self.form.addRow("Horizon", self.horizon)
        self.form.addRow(QLabel("Funding rate per interval (positive: longs pay shorts)"))
        self.rates: dict[str, QDoubleSpinBox] = {}
        self.horizon.valueChanged.connect(lambda v: document.update_plan(text="Edit horizon", merge_key="horizon", horizon_hours=v))
        document.changed.connect(lambda *_: self.sync())
        document.problemsChanged.connect(lambda *_: self._marks())
        self.sync()

    def _rate_box(self, symbol: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-10.0, 10.0)
        box.setDecimals(4)
        box.setSingleStep(0.001)
        box.setSuffix(" %")
        box.setKeyboardTracking(True)
        box.valueChanged.connect(lambda v, s=symbol: self._set_rate(s, v))
        return box

    def _set_rate(self, symbol: str, percent: float) -> None:
        rates = dict(self.document.draft.funding_rates)
        rates[symbol] = percent / 100.0
        self.document.update_plan(text=f"Edit {symbol} funding rate", merge_key=f"funding.{symbol}", funding_rates=rates)

    def sync(self) -> None:
        plan = self.document.draft
        symbols = sorted({p.symbol for p in plan.positions} | set(plan.funding_rates))
        for sym in [s for s in self.rates if s not in symbols]:
            box = self.rates.pop(sym)
            self.form.removeRow(box)
        for sym in symbols:
            if sym not in self.rates:
                self.rates[sym] = self._rate_box(sym)
                self.form.addRow(sym, self.rates[sym])
            box = self.rates[sym]
            value = plan.funding_rates.get(sym, 0.0) * 100.0
            if abs(box.value() - value) > 1e-9:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)
        if self.horizon.value() != plan.horizon_hours:
            self.horizon.blockSignals(True)
            self.horizon.setValue(plan.horizon_hours)
            self.horizon.blockSignals(False)
        self._marks()

    def _marks(self) -> None:
        for sym, box in self.rates.items():
            mark(box, self.document.problems_at(f"funding_rates.{sym}"), f"{sym} funding rate per interval, in percent")
        mark(self.horizon, self.document.problems_at("horizon_hours"), "Time span of the equity plot")
