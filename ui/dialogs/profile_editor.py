"""Profile editor: fees, margin-call threshold and the tier table of each symbol,
validated by the profile schema (tiers contiguous, rates not falling,
maintenance amounts on the recurrence) before it can be saved as a user profile."""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from planner.model.errors import problems_from_validation
from planner.model.profile import ExchangeProfile, Tier, rebuild_maintenance_amounts

COLUMNS = ["floor", "cap (empty = none)", "max leverage", "MM rate", "MM amount"]


def _spin(value: float, lo: float, hi: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class ProfileEditor(QDialog):
    """Edit a copy of ``profile``; ``result_profile`` is the validated profile after OK."""

    def __init__(self, profile: ExchangeProfile, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit profile — {profile.name}")
        self.resize(760, 560)
        self.base = profile
        self.result_profile: ExchangeProfile | None = None
        self.tiers = {sym: [t.model_dump() for t in spec.tiers] for sym, spec in profile.symbols.items()}
        self.id_edit = QLineEdit(profile.id)
        self.id_edit.setToolTip("Keep the id to replace the bundled profile with your copy, or give a new id")
        self.name_edit = QLineEdit(profile.name)
        self.maker = _spin(profile.fees.maker * 100, -1, 5, 4, " %")
        self.taker = _spin(profile.fees.taker * 100, 0, 5, 4, " %")
        self.liq = _spin(profile.fees.liquidation * 100, 0, 10, 4, " %")
        self.call = _spin(profile.margin_call_ratio, 0.01, 10, 3)
        self.call.setToolTip(profile.traits.margin_ratio + ": the margin ratio at which a margin call is raised")
        self.symbol = QComboBox()
        self.symbol.addItems(list(profile.symbols))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c92a2a")
        add = QPushButton("Add tier")
        remove = QPushButton("Remove last tier")
        recompute = QPushButton("Recompute amounts")
        recompute.setToolTip("Maintenance amount by the recurrence cum_n = cum_(n-1) + floor_n x (rate_n - rate_(n-1))")
        recompute.setEnabled(profile.traits.deduction == "recurrence")
        form = QFormLayout()
        form.addRow("Id", self.id_edit)
        form.addRow("Name", self.name_edit)
        form.addRow("Maker fee", self.maker)
        form.addRow("Taker fee", self.taker)
        form.addRow("Liquidation fee", self.liq)
        form.addRow("Margin-call ratio", self.call)
        form.addRow("Symbol", self.symbol)
        row = QHBoxLayout()
        for b in (add, remove, recompute):
            row.addWidget(b)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self._current = self.symbol.currentText()
        self._fill()
        self.symbol.currentTextChanged.connect(self._switch)
        add.clicked.connect(self._add)
        remove.clicked.connect(self._remove)
        recompute.clicked.connect(self._recompute)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)

    def _fill(self) -> None:
        rows = self.tiers[self._current]
        self.table.setRowCount(len(rows))
        for r, t in enumerate(rows):
            values = [t["notional_floor"], t["notional_cap"], t["max_leverage"], t["maintenance_rate"], t["maintenance_amount"]]
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem("" if v is None else f"{v:.10g}"))

    def _read(self) -> list[dict] | None:
        rows = []
        for r in range(self.table.rowCount()):
            vals: list[float | None] = []
            for c in range(len(COLUMNS)):
                item = self.table.item(r, c)
                text = (item.text() if item else "").strip().replace(",", "")
                if text == "" and c == 1:
                    vals.append(None)
                    continue
                try:
                    vals.append(float(text))
                except ValueError:
                    self.error.setText(f"{self._current} tier {r + 1}, {COLUMNS[c]}: '{text}' is not a number")
                    return None
            rows.append(
                {
                    "notional_floor": vals[0],
                    "notional_cap": vals[1],
                    "max_leverage": vals[2],
                    "maintenance_rate": vals[3],
                    "maintenance_amount": vals[4],
                }
            )
        return rows

    def _switch(self, sym: str) -> None:
        rows = self._read()
        if rows is None:
            self.symbol.blockSignals(True)
            self.symbol.setCurrentText(self._current)
            self.symbol.blockSignals(False)
            return
        self.tiers[self._current] = rows
        self._current = sym
        self._fill()

    def _add(self) -> None:
        rows = self._read()
        if rows is None:
            return
        last = rows[-1] if rows else {"notional_cap": 0.0, "max_leverage": 1.0, "maintenance_rate": 0.5}
        floor = last["notional_cap"] or 0.0
        rows.append(
            {
                "notional_floor": floor,
                "notional_cap": None,
                "max_leverage": last["max_leverage"],
                "maintenance_rate": last["maintenance_rate"],
                "maintenance_amount": 0.0,
            }
        )
        self.tiers[self._current] = rows
        self._fill()

    def _remove(self) -> None:
        rows = self._read()
        if rows:
            self.tiers[self._current] = rows[:-1]
            self._fill()

    def _recompute(self) -> None:
        rows = self._read()
        if rows is None:
            return
        try:
            tiers = rebuild_maintenance_amounts([Tier(**r) for r in rows])
        except ValidationError as exc:
            self.error.setText("; ".join(str(p) for p in problems_from_validation(exc)))
            return
        self.tiers[self._current] = [t.model_dump() for t in tiers]
        self._fill()

    def build(self) -> ExchangeProfile | None:
        """The edited profile, or None with the reason shown (field path and why)."""
        rows = self._read()
        if rows is None:
            return None
        self.tiers[self._current] = rows
        data = self.base.model_dump(mode="json")
        data["id"] = self.id_edit.text().strip()
        data["name"] = self.name_edit.text().strip()
        data["fees"] = {"maker": self.maker.value() / 100, "taker": self.taker.value() / 100, "liquidation": self.liq.value() / 100}
        data["margin_call_ratio"] = self.call.value()
        for sym, tiers in self.tiers.items():
            data["symbols"][sym]["tiers"] = tiers
        try:
            prof = ExchangeProfile.model_validate(data)
        except ValidationError as exc:
            self.error.setText("\n".join(str(p) for p in problems_from_validation(exc)[:6]))
            return None
        # Amounts off the recurrence are used as published; say so (issue 12 item 8).
        self.error.setText("\n".join(prof.warnings[:6]))
        return prof

    def _accept(self) -> None:
        prof = self.build()
        if prof is not None:
            self.result_profile = prof
            self.accept()
