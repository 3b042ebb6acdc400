"""Issue 10 item 1, switching again: a leg the venue does not list survives edits and further switches.

The example plan with a SOLUSDT leg between BTC and ETH, opened from a file. OKX
lists no SOL perpetual, Bybit (linear) only BTCUSDT, Hyperliquid all three. Each
test picks venues with the profile selector (arrow keys on the closed combo, as a
user steps through the list) and types into fields; after every step every
Results figure must be ``evaluate`` of the plan on screen, and every leg the user
had is either in that plan or listed as unmapped with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from planner.engine.evaluate import evaluate
from planner.engine.funding import symbol_interval_hours
from planner.io.registry import get_profile
from planner.model.enums import ContractKind
from ui.widgets.results_panel import COL, COLUMNS

FIGURE_COLUMNS = [c.name for c in COLUMNS if c.name != "leg"]

SOL = {
    "symbol": "SOLUSDT",
    "side": "short",
    "quantity": 40.0,
    "entry_price": 150.0,
    "mark_price": 148.0,
    "leverage": 5,
    "margin_mode": "isolated",
    "isolated_margin": 1500.0,
    "stop_price": 160.0,
}


@pytest.fixture
def sol_window(window, tmp_path):
    """The example plan (Binance) with a SOLUSDT short as leg #2, funding 0.02 % per 8 h on it."""
    from ui.document import EXAMPLE_PLAN

    data = json.loads(Path(EXAMPLE_PLAN).read_text(encoding="utf-8"))
    data["positions"].insert(1, SOL)
    data["funding_rates"]["SOLUSDT"] = 0.0002
    path = tmp_path / "sol.plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    window.document.load(path)
    window.positions_table.select(0)
    return window


@pytest.fixture
def choose(choose_in):
    """``choose(window, profile_id)``: arrow keys on the closed profile combo (every step is a switch)."""

    def _choose(window, profile_id: str) -> None:
        choose_in(window.profile_selector.combo, profile_id)
        assert window.document.plan.profile_id == profile_id

    return _choose


def click_leg(qtbot, window, row: int) -> None:
    """Select leg ``row`` in the legs table with the mouse (the form follows)."""
    view = window.positions_table.view
    rect = view.visualRect(window.positions_table.model.index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.position_form.row == row


def assert_screen_is_engine(window) -> None:
    """Every Results figure is evaluate(plan on screen); unmapped legs show only "—" and their reason, in both tables."""
    doc = window.document
    target = get_profile(doc.plan.profile_id)
    assert doc.draft is doc.plan and doc.profile.id == target.id and doc.evaluation.profile_id == target.id
    ev = evaluate(doc.plan, target, marks=doc.marks or None)
    model = window.results_panel.model
    n = len(doc.plan.positions)
    assert model.rowCount() == n + len(doc.unmapped) == window.positions_table.model.rowCount()
    for r, leg in enumerate(ev.legs):
        assert leg.symbol in target.symbols
        assert model.data(model.index(r, COL["leg"])).startswith(f"#{r + 1} {leg.symbol} {leg.side}")
        for name in FIGURE_COLUMNS:
            assert model.data(model.index(r, COL[name])) == model.text(name, leg), (target.id, r, name)
    for k, gone in enumerate(doc.unmapped):
        r = n + k
        assert model.data(model.index(r, COL["leg"])) == f"— {gone.source_symbol} (was #{gone.index + 1})"
        assert model.data(model.index(r, COL["state"])) == f"— not mapped: {gone.reason}"
        assert target.name in gone.reason, "the reason names the venue on screen"
        for name in FIGURE_COLUMNS[1:]:
            assert model.data(model.index(r, COL[name])) == "—", "no figure for a leg that is not in the plan"
    assert window.results_panel.thresholds.text().startswith(f"{target.name} — ")
    assert not window.results_panel.banner.isVisible()
    # The plots draw the same evaluation of the same plan.
    fig = doc.figures
    assert fig.plan is doc.plan and fig.profile.id == target.id
    assert [(l.symbol, l.liquidation_price, l.unrealized_pnl) for l in fig.evaluation.legs] == [
        (l.symbol, l.liquidation_price, l.unrealized_pnl) for l in ev.legs
    ]
    assert fig.symbol is None or any(p.symbol == fig.symbol for p in doc.plan.positions)


def walk_history(doc, states: list[tuple]) -> None:
    """Undo to the first state and redo to the last: each step restores exactly the plan and unmapped legs it had."""
    for plan, unmapped in reversed(states[:-1]):
        doc.undo_stack.undo()
        assert doc.plan == plan and doc.draft is doc.plan and doc.unmapped == unmapped
    for plan, unmapped in states[1:]:
        doc.undo_stack.redo()
        assert doc.plan == plan and doc.unmapped == unmapped


def usd_value(pos, profile) -> float:
    spec = profile.symbols[pos.symbol]
    return pos.quantity * spec.contract_size if spec.contract is ContractKind.INVERSE else pos.quantity * pos.entry_price


def test_unmapped_leg_comes_back_on_the_first_venue_after_an_edit(sol_window, qtbot, type_in, choose):
    win = sol_window
    doc = win.document
    original = doc.plan
    assert [p.symbol for p in original.positions] == ["BTCUSDT", "SOLUSDT", "ETHUSDT"]
    assert_screen_is_engine(win)
    choose(win, "okx")
    assert [p.symbol for p in doc.plan.positions] == ["BTC-USDT-SWAP", "ETH-USDT-SWAP"]
    assert [(m.source_symbol, m.index) for m in doc.unmapped] == [("SOLUSDT", 1)]
    assert_screen_is_engine(win)
    on_okx = doc.plan
    # An edit on OKX: the wallet.
    type_in(win.account_panel.wallet, "20,000")
    assert doc.plan.account.wallet_balance == 20000.0
    assert [m.source_symbol for m in doc.unmapped] == ["SOLUSDT"]
    assert_screen_is_engine(win)
    edited = doc.plan
    # Back to Binance: SOL is back where it was, exactly as typed, with its funding rate; the edit is kept.
    choose(win, "binance-usdm")
    assert doc.unmapped == []
    assert [p.symbol for p in doc.plan.positions] == ["BTCUSDT", "SOLUSDT", "ETHUSDT"]
    assert doc.plan.positions[1] == original.positions[1]
    assert doc.plan.funding_rates["SOLUSDT"] == 0.0002
    assert doc.plan.account.wallet_balance == 20000.0
    for i in (0, 2):
        assert doc.plan.positions[i].quantity == pytest.approx(original.positions[i].quantity, rel=1e-12)
        assert doc.plan.positions[i].entry_price == original.positions[i].entry_price
    assert len(doc.evaluation.legs) == 3
    assert_screen_is_engine(win)
    back = doc.plan
    # Undo walks back through each switch and edit, exactly.
    doc.undo_stack.undo()
    assert doc.plan == edited and [m.source_symbol for m in doc.unmapped] == ["SOLUSDT"]
    assert win.profile_selector.combo.currentData() == "okx"
    assert_screen_is_engine(win)
    doc.undo_stack.undo()
    assert doc.plan == on_okx and [m.source_symbol for m in doc.unmapped] == ["SOLUSDT"]
    assert_screen_is_engine(win)
    doc.undo_stack.undo()
    assert doc.plan == original and doc.unmapped == []
    assert win.profile_selector.combo.currentData() == "binance-usdm"
    assert_screen_is_engine(win)
    for expected in (on_okx, edited, back):
        doc.undo_stack.redo()
        assert doc.plan == expected
        assert_screen_is_engine(win)
    assert doc.unmapped == []


def test_unmapped_leg_maps_to_a_third_venue_that_lists_it(sol_window, qtbot, type_in, choose):
    win = sol_window
    doc = win.document
    original, binance = doc.plan, doc.profile
    choose(win, "okx")
    # Edit the ETH leg's entry on OKX (form field, typed).
    click_leg(qtbot, win, 1)
    assert doc.plan.positions[1].symbol == "ETH-USDT-SWAP"
    type_in(win.position_form.entry, "3,100")
    assert doc.plan.positions[1].entry_price == 3100.0
    assert_screen_is_engine(win)
    edited = doc.plan
    choose(win, "hyperliquid")
    hl = get_profile("hyperliquid")
    assert doc.unmapped == []
    assert [p.symbol for p in doc.plan.positions] == ["BTC", "SOL", "ETH"]
    sol, eth = doc.plan.positions[1], doc.plan.positions[2]
    # SOL from the Binance leg as typed: equal USD value at entry, same side, leverage, stop; funding per hour kept.
    assert sol.side.value == "short" and sol.leverage == 5 and sol.stop_price == 160.0 and sol.entry_price == 150.0
    assert usd_value(sol, hl) == pytest.approx(40.0 * 150.0, rel=1e-12)
    per_hour = 0.0002 / symbol_interval_hours(binance, "SOLUSDT")
    assert doc.plan.funding_rates["SOL"] / symbol_interval_hours(hl, "SOL") == pytest.approx(per_hour, rel=1e-12)
    # ETH carries the entry typed on OKX.
    assert eth.entry_price == 3100.0
    assert usd_value(eth, hl) == pytest.approx(20.0 * 3100.0, rel=1e-12)
    assert len(doc.evaluation.legs) == 3
    assert doc.figures.symbol == "ETH", "the liquidation plot stays on the leg it showed (SOL came back before it)"
    assert_screen_is_engine(win)
    doc.undo_stack.undo()
    assert doc.plan == edited and [m.source_symbol for m in doc.unmapped] == ["SOLUSDT"]
    assert_screen_is_engine(win)
    doc.undo_stack.undo()  # the entry edit
    doc.undo_stack.undo()  # the switch to OKX
    assert doc.plan == original and doc.unmapped == []
    assert_screen_is_engine(win)


def test_legs_unmapped_on_two_venues_all_come_back(sol_window, qtbot, type_in, choose):
    """Binance -> OKX (SOL left out) -> edit -> Bybit (ETH left out too) -> edit -> Binance: every leg is back."""
    win = sol_window
    doc = win.document
    original = doc.plan
    states = [(doc.plan, list(doc.unmapped))]
    choose(win, "okx")
    states.append((doc.plan, list(doc.unmapped)))
    type_in(win.account_panel.wallet, "18,000")
    states.append((doc.plan, list(doc.unmapped)))
    choose(win, "bybit-linear")
    states.append((doc.plan, list(doc.unmapped)))
    bybit = get_profile("bybit-linear")
    assert [p.symbol for p in doc.plan.positions] == ["BTCUSDT"]
    assert sorted(m.source_symbol for m in doc.unmapped) == ["ETH-USDT-SWAP", "SOLUSDT"]
    for gone in doc.unmapped:
        assert bybit.name in gone.reason
    sol = next(m for m in doc.unmapped if m.source_symbol == "SOLUSDT")
    assert sol.position == original.positions[1], "the leg is kept as the user typed it"
    assert "Binance" in sol.reason, "the row says which venue its numbers are from"
    assert_screen_is_engine(win)
    click_leg(qtbot, win, 0)
    type_in(win.position_form.leverage, "8")
    assert doc.plan.positions[0].leverage == 8.0
    assert len(doc.unmapped) == 2
    assert_screen_is_engine(win)
    states.append((doc.plan, list(doc.unmapped)))
    choose(win, "binance-usdm")
    states.append((doc.plan, list(doc.unmapped)))
    assert doc.unmapped == []
    assert [p.symbol for p in doc.plan.positions] == ["BTCUSDT", "SOLUSDT", "ETHUSDT"]
    assert doc.plan.positions[0].leverage == 8.0
    assert doc.plan.positions[1] == original.positions[1]
    eth = doc.plan.positions[2]
    assert (eth.quantity, eth.entry_price, eth.mark_price) == pytest.approx((20.0, 3000.0, 2950.0), rel=1e-12)
    assert doc.plan.account.wallet_balance == 18000.0
    assert doc.plan.funding_rates == pytest.approx(original.funding_rates, rel=1e-12)
    assert_screen_is_engine(win)
    assert doc.undo_stack.index() == len(states) - 1, "one undo step per switch and per edit"
    walk_history(doc, states)
    assert_screen_is_engine(win)


def test_unmapped_leg_survives_a_leg_removed_and_a_run_of_switches(sol_window, qtbot, choose):
    """Remove BTC on OKX, then step through Bybit (nothing left) to Hyperliquid: SOL and ETH are there, in order."""
    win = sol_window
    doc = win.document
    choose(win, "okx")
    click_leg(qtbot, win, 0)
    qtbot.mouseClick(win.positions_table.del_btn, Qt.LeftButton)
    assert [p.symbol for p in doc.plan.positions] == ["ETH-USDT-SWAP"]
    assert [(m.source_symbol, m.index) for m in doc.unmapped] == [("SOLUSDT", 0)], "now the first leg, before ETH"
    assert_screen_is_engine(win)
    choose(win, "bybit-linear")
    assert doc.plan.positions == [] and [(m.source_symbol, m.index) for m in doc.unmapped] == [("SOLUSDT", 0), ("ETH-USDT-SWAP", 1)]
    assert_screen_is_engine(win)
    choose(win, "hyperliquid")
    assert doc.unmapped == [] and [p.symbol for p in doc.plan.positions] == ["SOL", "ETH"]
    assert_screen_is_engine(win)
    # Undo of each step restores the one before, unmapped legs and their places included.
    doc.undo_stack.undo()
    assert [p.symbol for p in doc.plan.positions] == ["ETH-USDT-SWAP"] and [m.index for m in doc.unmapped] == [0]
    doc.undo_stack.undo()
    assert [p.symbol for p in doc.plan.positions] == ["BTC-USDT-SWAP", "ETH-USDT-SWAP"] and [m.index for m in doc.unmapped] == [1]
    assert_screen_is_engine(win)


def test_legs_added_beside_an_unmapped_leg_keep_it_between_its_neighbours(sol_window, qtbot, type_in, choose):
    """Duplicate ETH and add a leg on OKX: back on Binance, SOL sits between BTC and ETH as it did."""
    win = sol_window
    doc = win.document
    original = doc.plan
    choose(win, "okx")
    type_in(win.account_panel.wallet, "100,000")  # room for more isolated margin
    click_leg(qtbot, win, 1)
    qtbot.mouseClick(win.positions_table.dup_btn, Qt.LeftButton)
    qtbot.mouseClick(win.positions_table.add_btn, Qt.LeftButton)
    assert [p.symbol for p in doc.plan.positions[:3]] == ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "ETH-USDT-SWAP"]
    added = doc.plan.positions[3].symbol
    assert [(m.source_symbol, m.index) for m in doc.unmapped] == [("SOLUSDT", 1)]
    assert_screen_is_engine(win)
    click_leg(qtbot, win, 0)
    qtbot.mouseClick(win.positions_table.dup_btn, Qt.LeftButton)  # a copy of BTC, put before ETH (after SOL)
    assert len(doc.plan.positions) == 5 and [m.index for m in doc.unmapped] == [1]
    assert win.results_panel.model.data(win.results_panel.model.index(5, COL["leg"])) == "— SOLUSDT (was #2)"
    choose(win, "binance-usdm")
    symbols = [p.symbol for p in doc.plan.positions]
    assert symbols[:5] == ["BTCUSDT", "SOLUSDT", "BTCUSDT", "ETHUSDT", "ETHUSDT"] and symbols[5] == added.split("-")[0] + "USDT"
    assert doc.unmapped == [] and doc.plan.positions[1] == original.positions[1]
    assert_screen_is_engine(win)


# -- saving while a leg is left out ---------------------------------------------------------------
def _menu_action(window, menu: str, text: str):
    return next(a for a in window.menu(menu).actions() if a.text().replace("&", "") == text)


def _answer_box(qtbot, button: str, seen: list[str]) -> None:
    """Answer the next message box by clicking its ``button`` (records the box's text), as a user would."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    tries = [0]

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            tries[0] += 1
            assert tries[0] < 500, "no message box came up"
            QTimer.singleShot(10, click)
            return
        seen.append(box.text() + "\n" + box.informativeText())
        qtbot.mouseClick(next(b for b in box.buttons() if b.text() == button), Qt.LeftButton)

    QTimer.singleShot(0, click)


def test_saving_with_a_leg_left_out_asks_first_and_keeps_the_leg(sol_window, qtbot, tmp_path, monkeypatch, choose):
    from PySide6.QtWidgets import QFileDialog

    from planner.io.plan_files import load_plan

    win = sol_window
    doc = win.document
    opened = doc.path
    on_disk = opened.read_text(encoding="utf-8")
    choose(win, "okx")
    target = tmp_path / "okx.plan.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    # Cancel: nothing written, nothing changed.
    seen: list[str] = []
    _answer_box(qtbot, "Cancel", seen)
    _menu_action(win, "File", "Save as…").trigger()
    assert not target.exists() and doc.is_dirty() and doc.path == opened
    text = seen[-1]
    assert "1 leg is not listed on OKX" in text and "okx.plan.json will not either" in text
    assert "#2 SOLUSDT short 40 at 150 on Binance USDS-M perpetuals: OKX" in text
    assert "lists no SOL perpetual" in text and "Undo" in text
    # File › Save over the file it came from asks too (it would lose SOL from that file).
    _answer_box(qtbot, "Cancel", seen)
    _menu_action(win, "File", "Save").trigger()
    assert opened.read_text(encoding="utf-8") == on_disk and len(seen) == 2
    # Save without it: the file holds the OKX plan on screen; the leg stays in the window.
    _answer_box(qtbot, "Save without it", seen)
    _menu_action(win, "File", "Save as…").trigger()
    saved = load_plan(target)
    assert saved.positions == doc.plan.positions and saved.account == doc.plan.account
    assert [p.symbol for p in saved.positions] == ["BTC-USDT-SWAP", "ETH-USDT-SWAP"]
    assert [m.source_symbol for m in doc.unmapped] == ["SOLUSDT"] and not doc.is_dirty()
    assert "without #2 SOLUSDT" in win.statusBar().currentMessage()
    assert_screen_is_engine(win)
    # ... and comes back with the next switch to a venue that lists it.
    choose(win, "binance-usdm")
    assert [p.symbol for p in doc.plan.positions] == ["BTCUSDT", "SOLUSDT", "ETHUSDT"] and doc.unmapped == []
    assert_screen_is_engine(win)
    # With every leg in the plan, saving asks nothing.
    _menu_action(win, "File", "Save").trigger()
    assert len(seen) == 3 and len(load_plan(target).positions) == 3
