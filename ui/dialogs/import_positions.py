"""File › Import positions…: a plan from a venue's saved positions response (issue 13 item 6), offline.

Open a JSON file (Qt's file dialog) or paste the JSON; the dialog shows the
format it recognised (Binance positionRisk, Bybit position list, OKX positions,
Hyperliquid clearinghouseState, ccxt fetch_positions), the legs it read and any
error naming the field (``data.0.avgPx: must be a number``). "Open as new plan"
hands the plan to the window, unsaved. Reading and mapping are
:func:`planner.io.positions_import.positions_from_data`; nothing is fetched.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner.engine.validation import plan_problems
from planner.io.jsonread import parse_json_text, read_text_file
from planner.io.plan_files import resolve_profile
from planner.io.positions_import import ImportedPositions, detect_format, positions_from_data
from planner.io.registry import bundled_profiles, get_profile
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_price
from planner.present.numbers import NumberError, parse_number
from ui.widgets.number_edit import locale_format

FORMAT_NAMES = {
    "binance": "Binance positionRisk (GET /fapi/v2/positionRisk, /dapi/v1/positionRisk)",
    "bybit": "Bybit position list (GET /v5/position/list)",
    "okx": "OKX positions (GET /api/v5/account/positions)",
    "hyperliquid": "Hyperliquid clearinghouseState",
    "ccxt": "ccxt fetch_positions()",
}
JSON_FILTER = "JSON files (*.json);;All files (*)"
#: Pause after the last keystroke in the paste box before the JSON is read again (ms).
PARSE_DELAY_MS = 250
_ERROR = "color: #e03131;"
_WARN = "color: #e8590c;"
LEG_COLUMNS = ("Symbol", "Side", "Quantity", "Entry", "Mark", "Lev.", "Mode", "Iso. margin", "From field")


class ImportPositionsDialog(QDialog):
    """Open or paste a positions response; shows format, legs and errors; accepted with ``plan`` set."""

    def __init__(
        self, user_profiles: dict[str, ExchangeProfile] | None = None, parent: QWidget | None = None, start_folder: str = ""
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import positions")
        self.user_profiles = dict(user_profiles or {})
        self.start_folder = start_folder
        self.source = "pasted JSON"
        self.imported: ImportedPositions | None = None
        self.plan: Plan | None = None
        self.error = ""
        self.open_button = QPushButton("Open file…")
        self.open_button.setToolTip("Read a positions response saved as JSON (nothing is fetched)")
        self.open_button.clicked.connect(self.open_file)
        self.file_label = QLabel("or paste the JSON below")
        self.file_label.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.file_label, 1)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(
            "Paste what the venue returned for your positions, e.g. Binance GET /fapi/v2/positionRisk:\n"
            '[{"symbol": "BTCUSDT", "positionAmt": "0.5", "entryPrice": "60000", "markPrice": "61000", "leverage": "10", '
            '"marginType": "cross", ...}]'
        )
        self.text.setMinimumHeight(140)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PARSE_DELAY_MS)
        self._timer.timeout.connect(self.reparse)
        self.text.textChanged.connect(self._on_text_edited)
        self.profile = QComboBox()
        self.profile.addItem("From the response", "")
        for pid, prof in sorted({**bundled_profiles(), **self.user_profiles}.items()):
            self.profile.addItem(f"{prof.name} ({pid})", pid)
        self.profile.setToolTip("The venue profile for the plan; ccxt responses do not name the venue, so pick it for them")
        self.profile.currentIndexChanged.connect(lambda *_: self.reparse())
        self.wallet = QLineEdit()
        self.wallet.setPlaceholderText("from the response, else the margins in use")
        self.wallet.setToolTip("Wallet balance in the profile's settlement currency (Hyperliquid responses carry it)")
        self.wallet.editingFinished.connect(self.reparse)
        form = QFormLayout()
        form.addRow("Profile", self.profile)
        form.addRow("Wallet", self.wallet)
        self.format_label = QLabel("Format: —")
        self.format_label.setTextFormat(Qt.TextFormat.PlainText)
        self.format_label.setWordWrap(True)
        self.legs = QTableWidget(0, len(LEG_COLUMNS))
        self.legs.setHorizontalHeaderLabels(list(LEG_COLUMNS))
        self.legs.verticalHeader().setVisible(False)
        self.legs.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.legs.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.legs.horizontalHeader().setStretchLastSection(True)
        self.legs.setMinimumHeight(120)
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # shows file content (symbols, field names)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.open_plan_button = self.buttons.addButton("Open as new plan", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_plan_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.text, 1)
        lay.addLayout(form)
        lay.addWidget(self.format_label)
        lay.addWidget(self.legs, 1)
        lay.addWidget(self.message)
        lay.addWidget(self.buttons)
        self.resize(860, 620)

    # -- input ---------------------------------------------------------------
    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open positions response", self.start_folder, JSON_FILTER)
        if path:
            self.load_file(path)

    def load_file(self, path: str | Path) -> bool:
        """Read ``path`` into the paste box and parse it; False (with the reason shown) if it cannot be read."""
        try:
            text = read_text_file(path)
        except PlannerError as exc:
            self._fail(exc.describe())
            return False
        except OSError as exc:
            self._fail(f"{path}: {exc.strerror or exc}")
            return False
        self.source = str(path)
        self.file_label.setText(str(path))
        self.text.blockSignals(True)
        self.text.setPlainText(text)
        self.text.blockSignals(False)
        self.reparse()
        return True

    def _on_text_edited(self) -> None:
        self.source = "pasted JSON"
        self.file_label.setText("or paste the JSON below")
        self._timer.start()

    # -- parsing -------------------------------------------------------------
    def reparse(self) -> None:
        """Read the box: detected format, legs, and the first problems naming their fields."""
        self._timer.stop()
        self.imported, self.plan = None, None
        self.legs.setRowCount(0)
        self.open_plan_button.setEnabled(False)
        raw = self.text.toPlainText()
        if not raw.strip():
            self.format_label.setText("Format: —")
            self._say("", "")
            return
        try:
            data = parse_json_text(raw, self.source)
        except PlannerError as exc:
            self.format_label.setText("Format: not JSON")
            self._fail(exc.describe())
            return
        fmt = detect_format(data)
        self.format_label.setText(f"Format: {FORMAT_NAMES[fmt]}" if fmt else "Format: not recognised")
        profile_id = str(self.profile.currentData() or "")
        try:
            profile = get_profile(profile_id, self.user_profiles) if profile_id else None
            wallet = self._wallet()
            name = f"Imported from {Path(self.source).name}" if self.source != "pasted JSON" else "Imported positions"
            result = positions_from_data(
                data, source=self.source, profile=profile, wallet=wallet, user_profiles=self.user_profiles, name=name
            )
        except PlannerError as exc:
            self._fail(_window_words(exc.describe()))
            return
        self.imported, self.plan = result, result.plan
        self._fill_legs(result)
        notes = [_window_words(n) for n in result.notes]
        warn = ""
        try:
            problems = plan_problems(result.plan, resolve_profile(result.plan, self.user_profiles))
        except PlannerError as exc:
            problems = list(exc.problems)
        if problems:
            warn = "The plan opens with these fields marked: " + "; ".join(_to_source(p, result.sources) for p in problems[:4])
        n = len(result.plan.positions)
        try:
            currency = get_profile(result.plan.profile_id, self.user_profiles).settle_currency
        except KeyError:
            currency = ""
        head = f"{n} leg(s) on profile '{result.plan.profile_id}', wallet {fmt_money(result.plan.account.wallet_balance, currency)}."
        self._say(" ".join([head, *(f"Note: {x}." for x in notes), warn]).strip(), _WARN if warn else "")
        self.open_plan_button.setEnabled(True)

    def _wallet(self) -> float | None:
        text = self.wallet.text().strip()
        if not text:
            return None
        try:
            value = parse_number(text, locale_format())
        except NumberError as exc:
            raise PlannerError([Problem("Wallet", str(exc))], "import") from None
        if value < 0:
            raise PlannerError([Problem("Wallet", "must not be negative")], "import")
        return value

    def _fill_legs(self, result: ImportedPositions) -> None:
        plan = result.plan
        try:
            profile: ExchangeProfile | None = resolve_profile(plan, self.user_profiles)
        except PlannerError:
            profile = None
        self.legs.setRowCount(len(plan.positions))
        for r, (pos, where) in enumerate(zip(plan.positions, result.sources, strict=True)):
            spec = profile.symbols.get(pos.symbol) if profile is not None else None
            tick = spec.tick_size if spec is not None else 0.01
            settle = spec.settle if spec is not None else ""
            cells = [
                pos.symbol,
                pos.side.value,
                f"{pos.quantity:,.10g}",
                fmt_price(pos.entry_price, tick),
                fmt_price(pos.mark_price, tick) if pos.mark_price is not None else "—",
                f"{pos.leverage:g}x",
                pos.margin_mode.value,
                fmt_money(pos.isolated_margin, settle) if pos.isolated_margin is not None else "—",
                source_label(where),
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.legs.setItem(r, c, item)

    def _fail(self, text: str) -> None:
        self.error = text
        self._say(text, _ERROR)

    def _say(self, text: str, style: str) -> None:
        if style != _ERROR:
            self.error = ""
        self.message.setStyleSheet(style)
        self.message.setText(text)


def source_label(where: str) -> str:
    """Where a leg came from in the response: its field path, or "list item N" for a bare list."""
    return f"list item {where}" if where.isdigit() else where or "(top level)"


def _window_words(text: str) -> str:
    """The importer's messages name the CLI's options; here they are the dialog's fields."""
    return (
        text.replace("give --wallet for the real one", "type the real one in Wallet")
        .replace(
            "--profile: ccxt positions do not name the venue; give the profile id (e.g. binance-usdm)",
            "Profile: ccxt positions do not name the venue; choose the profile above",
        )
        .replace("--profile:", "Profile:")
        .replace("--wallet:", "Wallet:")
    )


def _to_source(p: Problem, sources: list[str]) -> str:
    """``positions.1.leverage: …`` said with the response's field (``data.1 (leverage)``)."""
    parts = p.path.split(".")
    if len(parts) >= 2 and parts[0] == "positions" and parts[1].isdigit() and int(parts[1]) < len(sources):
        return f"{sources[int(parts[1])]} ({'.'.join(parts[2:])}): {p.message}"
    return f"{p.path}: {p.message}" if p.path else p.message


def import_positions_dialog(
    parent: QWidget, user_profiles: dict[str, ExchangeProfile] | None = None, start_folder: str = ""
) -> Plan | None:
    """Show the dialog; the plan to open, or None when cancelled."""
    dialog = ImportPositionsDialog(user_profiles, parent, start_folder)
    plan = dialog.plan if dialog.exec() == QDialog.DialogCode.Accepted.value else None
    dialog.deleteLater()
    return plan
