"""File › Import positions… (issue 13 item 6): every sample opens as a new unsaved plan; bad input names the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFileDialog

from planner.io.positions_import import positions_from_data
from planner.io.registry import get_profile

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data" / "positions"

CASES = [
    ("binance_positionrisk_v2.json", "Binance positionRisk", None),
    ("bybit_position_list.json", "Bybit position list", None),
    ("okx_positions.json", "OKX positions", None),
    ("hyperliquid_clearinghouse_state.json", "Hyperliquid clearinghouseState", None),
    ("ccxt_fetch_positions.json", "ccxt fetch_positions()", "binance-usdm"),
]


def _dialog(qtbot):
    from ui.dialogs.import_positions import ImportPositionsDialog

    dlg = ImportPositionsDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _open_with_file_dialog(qtbot, dlg, path: Path, monkeypatch) -> None:
    """Click "Open file…" and pick ``path`` in Qt's file dialog (answered by the test)."""
    seen = {}

    def pick(parent, caption, folder, filt):
        seen["filter"] = filt
        return str(path), filt

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(pick))
    qtbot.mouseClick(dlg.open_button, Qt.LeftButton)
    assert "*.json" in seen["filter"]


@pytest.mark.parametrize(("name", "fmt", "profile"), CASES)
def test_each_sample_shows_format_and_legs(qtbot, monkeypatch, name, fmt, profile) -> None:
    dlg = _dialog(qtbot)
    path = SAMPLES / name
    if profile:
        dlg.profile.setCurrentIndex(dlg.profile.findData(profile))
    _open_with_file_dialog(qtbot, dlg, path, monkeypatch)
    assert fmt in dlg.format_label.text()
    assert dlg.error == ""
    data = json.loads(path.read_text())
    expected = positions_from_data(data, source=str(path), profile=get_profile(profile) if profile else None)
    plan = dlg.plan
    assert plan is not None
    assert [p.model_dump() for p in plan.positions] == [p.model_dump() for p in expected.plan.positions]
    assert plan.account == expected.plan.account
    assert dlg.legs.rowCount() == len(expected.plan.positions)
    for r, (pos, where) in enumerate(zip(expected.plan.positions, expected.sources, strict=True)):
        assert dlg.legs.item(r, 0).text() == pos.symbol
        assert dlg.legs.item(r, 1).text() == pos.side.value
        assert dlg.legs.item(r, 8).text() == (f"list item {r}" if name.startswith(("binance", "ccxt")) else where)
    assert dlg.open_plan_button.isEnabled()
    assert "--wallet" not in dlg.message.text()  # the dialog names its own fields


def test_ccxt_without_profile_asks_for_it(qtbot, monkeypatch) -> None:
    dlg = _dialog(qtbot)
    _open_with_file_dialog(qtbot, dlg, SAMPLES / "ccxt_fetch_positions.json", monkeypatch)
    assert "ccxt" in dlg.format_label.text()
    assert "Profile: ccxt positions do not name the venue; choose the profile above" in dlg.error
    assert not dlg.open_plan_button.isEnabled()
    dlg.profile.setCurrentIndex(dlg.profile.findData("binance-usdm"))
    assert dlg.error == "" and dlg.plan is not None


def test_pasted_json_and_wallet(qtbot) -> None:
    dlg = _dialog(qtbot)
    text = (SAMPLES / "okx_positions.json").read_text()
    dlg.text.setFocus()
    dlg.text.setPlainText(text)  # a paste
    qtbot.waitUntil(lambda: dlg.plan is not None, timeout=3000)
    assert "OKX" in dlg.format_label.text()
    # Wallet typed by the trader replaces the margins-in-use guess.
    qtbot.keyClicks(dlg.wallet, "12,500")
    qtbot.keyClick(dlg.wallet, Qt.Key_Return)
    assert dlg.plan is not None and dlg.plan.account.wallet_balance == 12_500.0
    qtbot.keyClick(dlg.wallet, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(dlg.wallet, "lots")
    qtbot.keyClick(dlg.wallet, Qt.Key_Return)
    assert dlg.plan is None and dlg.error.startswith("import: Wallet:")


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["data"][0].__setitem__("avgPx", "abc"), "data.0.avgPx: must be a number (got 'abc')"),
        (lambda d: d["data"][0].pop("lever"), "data.0.lever: is required"),
        (lambda d: d["data"][0].__setitem__("mgnMode", "portfolio"), "data.0.mgnMode: must be cross or isolated"),
        (lambda d: d["data"][0].__setitem__("instId", "NOPE-USDT-SWAP"), "data.0.instId: 'NOPE-USDT-SWAP' is not listed"),
    ],
)
def test_malformed_names_the_field(qtbot, tmp_path, monkeypatch, mutate, needle) -> None:
    data = json.loads((SAMPLES / "okx_positions.json").read_text())
    mutate(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    dlg = _dialog(qtbot)
    _open_with_file_dialog(qtbot, dlg, bad, monkeypatch)
    assert needle in dlg.error
    assert needle in dlg.message.text()
    assert dlg.plan is None and not dlg.open_plan_button.isEnabled()


def test_not_json_and_not_positions(qtbot) -> None:
    dlg = _dialog(qtbot)
    dlg.text.setPlainText('[{"symbol": "BTCUSDT", "positionAmt": "0.5",}]')
    dlg.reparse()
    assert "not valid JSON at line 1, column" in dlg.error and dlg.format_label.text() == "Format: not JSON"
    dlg.text.setPlainText('{"hello": 1}')
    dlg.reparse()
    assert "not a recognised positions response" in dlg.error and "not recognised" in dlg.format_label.text()


def test_open_as_new_plan_in_the_window(window, qtbot, monkeypatch) -> None:
    """File › Import positions… → dialog → "Open as new plan": the plan is in the window, unsaved, undo history fresh."""
    from ui.dialogs import import_positions as mod

    path = SAMPLES / "binance_positionrisk_v2.json"

    def run(self):
        self.load_file(path)
        assert self.open_plan_button.isEnabled()
        self.open_plan_button.click()
        return self.result()

    monkeypatch.setattr(mod.ImportPositionsDialog, "exec", run)
    win = window
    action = next(a for a in win.menu("File").actions() if a.text() == "&Import positions…")
    action.trigger()
    QCoreApplication.processEvents()
    doc = win.document
    expected = positions_from_data(json.loads(path.read_text()), source=str(path))
    assert [p.symbol for p in doc.plan.positions] == [p.symbol for p in expected.plan.positions]
    assert doc.plan.positions == expected.plan.positions
    assert doc.path is None and doc.is_dirty()
    assert "(unsaved)" in win.windowTitle()
    assert doc.undo_stack.count() == 0
    assert doc.evaluation is not None
