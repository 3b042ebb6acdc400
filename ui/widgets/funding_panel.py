"""Funding inputs: horizon (hours to weeks) and a rate per symbol (positive: longs pay).

Rates are typed in percent per funding interval and commit when editing
finishes. A rate beyond the venue's cap (``profile.funding.cap_per_interval``)
is accepted, for stress tests, but warned about at the field.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from planner.engine.funding import symbol_interval_hours
from ui.widgets.number_edit import NumberEdit
from ui.widgets.problem_marks import mark


class FundingPanel(QWidget):
    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.form = QFormLayout(self)
        self.horizon = NumberEdit(decimals=0, step=8.0, minimum=1.0, maximum=24.0 * 366)
        self.horizon.setSuffix("h")
        self.horizon.setToolTip(
            "Time span of the equity plot: hours to weeks (168 h = 1 week), counted from the plan's clock (its as_of, else now)"
        )
        self.form.addRow("Horizon", self.horizon)
        self.form.addRow(QLabel("Funding rate per interval (positive: longs pay shorts)"))
        self.rates: dict[str, NumberEdit] = {}
        self.horizon.valueChanged.connect(lambda v: document.update_plan(text="Edit horizon", merge_key="horizon", horizon_hours=v))
        document.changed.connect(lambda *_: self.sync())
        document.problemsChanged.connect(lambda *_: self._marks())
        self.sync()

    def _rate_box(self, symbol: str) -> NumberEdit:
        box = NumberEdit(decimals=4, step=0.001, minimum=-10.0, maximum=10.0)
        box.setSuffix("%")
        box.valueChanged.connect(lambda v, s=symbol: self._set_rate(s, v))
        return box

    def _set_rate(self, symbol: str, percent: float) -> None:
        rates = dict(self.document.draft.funding_rates)
        rates[symbol] = percent / 100.0
        self.document.update_plan(text=f"Edit {symbol} funding rate", merge_key=f"funding.{symbol}", funding_rates=rates)

    def cap_warning(self, symbol: str) -> str:
        """A warning when ``symbol``'s rate is beyond the profile's cap per interval, else ""."""
        doc = self.document
        rate = doc.draft.funding_rates.get(symbol, 0.0)
        cap = doc.profile.funding.cap_per_interval
        if abs(rate) <= cap + 1e-12:
            return ""
        hours = symbol_interval_hours(doc.profile, symbol) if symbol in doc.profile.symbols else doc.profile.funding.interval_hours
        return f"beyond {doc.profile.name}'s cap ±{cap * 100:g}% per {hours:g} h"

    def _dated(self, symbol: str) -> bool:
        spec = self.document.profile.symbols.get(symbol)
        return spec is not None and spec.is_dated

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
            self.rates[sym].showValue(plan.funding_rates.get(sym, 0.0) * 100.0)
            # Dated futures pay no funding: the box stays open only to clear a rate a file gave them.
            self.rates[sym].setEnabled(not self._dated(sym) or plan.funding_rates.get(sym, 0.0) != 0.0)
        self.horizon.showValue(plan.horizon_hours)
        self._marks()

    def _marks(self) -> None:
        for sym, box in self.rates.items():
            probs = self.document.problems_at(f"funding_rates.{sym}")
            mark(box, probs, f"{sym} funding rate per interval, in percent")
            warning = self.cap_warning(sym)
            box.setProblem(probs[0].message if probs else "")
            if not warning and self._dated(sym):
                box.setHint("dated future: pays no funding")
            else:
                box.setHint(warning, warn=True)
        mark(self.horizon, self.document.problems_at("horizon_hours"), "Time span of the equity plot")
