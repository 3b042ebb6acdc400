"""Scale-in ladder dock (issue 13 item 4): what is typed is what ``ladder`` computes; Apply is one undoable step."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit

from planner.drills.sizing import ladder

ROOT = Path(__file__).resolve().parents[2]
BOOK20 = ROOT / "tests" / "data" / "plans" / "book-20-legs.plan.json"


def _type_cell(qtbot, panel, row: int, col: int, text: str) -> None:
    """Click a cell of the ladder table, double-click it, type, press Return (as a user does).

    The offscreen window loses activation whenever events are processed (main's window does too), and an
    item editor closes with its window's focus: so the window is activated right before the double-click
    and the keys follow at once.
    """
    table = panel.table
    editing = QAbstractItemView.State.EditingState
    if table.state() == editing:  # a click elsewhere ends that edit first
        table.window().activateWindow()
        qtbot.waitUntil(table.window().isActiveWindow, timeout=3000)
        qtbot.keyClick(table.window().focusWidget(), Qt.Key_Return)
        qtbot.waitUntil(lambda: table.state() != editing, timeout=3000)
    rect = table.visualItemRect(table.item(row, col))
    table.window().activateWindow()
    qtbot.waitUntil(table.window().isActiveWindow, timeout=3000)
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert table.state() == editing
    editor = table.window().focusWidget()
    assert isinstance(editor, QLineEdit) and editor.parent() is table.viewport()
    qtbot.keyClick(editor, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: table.state() != editing, timeout=3000)
    assert table.item(row, col).text() == text


def _expected(doc, leg: int, orders, **kw):
    rows, final = ladder(doc.plan, doc.profile, leg, orders, **kw)
    pos = doc.plan.positions[leg]
    spec = doc.profile.symbols[pos.symbol]
    return rows, final, spec.tick_size, spec.settle, pos.side.sign


def test_typed_orders_show_the_engine_ladder(window, qtbot) -> None:
    win = window
    win.ladder_dock.show()
    win.ladder_dock.raise_()
    panel = win.ladder_panel
    doc = win.document
    assert panel.leg == 0
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    qtbot.mouseClick(panel.add_button, Qt.LeftButton)
    assert panel.order_count() == 2
    _type_cell(qtbot, panel, 1, 0, "58,000")
    _type_cell(qtbot, panel, 1, 1, "0.1")
    _type_cell(qtbot, panel, 2, 0, "56.5k")
    _type_cell(qtbot, panel, 2, 1, "0.2")
    assert panel.typed_orders() == [(58000.0, 0.1), (56500.0, 0.2)]
    assert panel.flush()
    rows, _final, tick, ccy, s = _expected(doc, 0, [(58000.0, 0.1), (56500.0, 0.2)])
    assert len(panel.rows) == 3
    for r, row in enumerate(rows):
        assert panel.rows[r] == row
        assert panel.shown_texts(r) == panel.row_texts(row, tick, ccy, s)[2:]
    # The average entry after each fill is the size-weighted average (linear), checked by hand.
    p0 = doc.plan.positions[0]
    q1 = p0.quantity + 0.1
    e1 = (p0.quantity * p0.entry_price + 0.1 * 58000.0) / q1
    e2 = (q1 * e1 + 0.2 * 56500.0) / (q1 + 0.2)
    assert rows[1].average_entry == pytest.approx(e1, rel=1e-12)
    assert rows[2].average_entry == pytest.approx(e2, rel=1e-12)
    assert rows[2].quantity == pytest.approx(p0.quantity + 0.3, rel=1e-12)
    # Every result cell explains itself.
    from ui.docks.ladder_panel import RESULT_COLUMNS

    col = {key: c for c, (key, _h, _t) in enumerate(RESULT_COLUMNS)}
    assert "Liquidation after order 2" in panel.table.item(2, col["liquidation_price"]).toolTip()
    assert "Margin ratio after order 2" in panel.table.item(2, col["margin_ratio"]).toolTip()
    assert panel.table.horizontalHeaderItem(col["maintenance_margin"]).toolTip()


def test_paste_mark_option_and_other_leg(window, qtbot, type_in) -> None:
    win = window
    panel = win.ladder_panel
    doc = win.document
    if len(doc.plan.positions) < 2:
        pytest.skip("example plan has one leg")
    win.positions_table.select(1)
    assert panel.leg == 1
    pos = doc.plan.positions[1]
    price = pos.entry_price * (0.98 if pos.side.sign > 0 else 1.02)
    type_in(panel.paste, f"{price:.2f}:{pos.quantity / 2:.6g}, {price * 0.99:.2f}:{pos.quantity / 4:.6g}")
    assert panel.order_count() == 2
    qtbot.mouseClick(panel.mark_at_fill, Qt.LeftButton)  # off: the plan's mark stays
    assert not panel.mark_at_fill.isChecked()
    assert panel.flush()
    orders = panel.typed_orders()
    rows, _f, tick, ccy, s = _expected(doc, 1, orders, mark_at_fill=False)
    assert panel.rows == rows
    assert panel.shown_texts(2) == panel.row_texts(rows[2], tick, ccy, s)[2:]


@pytest.mark.parametrize(
    ("cell", "text", "needle"),
    [((1, 0), "abc", "Order 1, Price: 'abc' is not a number"), ((1, 1), "0", "Order 1, Add qty: must be greater than 0")],
)
def test_bad_cell_names_row_and_column(window, qtbot, cell, text, needle) -> None:
    panel = window.ladder_panel
    panel.set_orders([("58000", "0.1")])
    _type_cell(qtbot, panel, *cell, text)
    assert panel.flush()
    assert needle in panel.error
    assert needle in panel.message.text()
    assert not panel.apply_button.isEnabled()
    assert panel.rows == []


def test_bad_paste_names_the_order(window, type_in) -> None:
    panel = window.ladder_panel
    panel.set_orders([("58000", "0.1")])
    type_in(panel.paste, "58000:0.1, 57000:x")
    assert "Paste orders: order 2 '57000:x' is not PRICE:QTY" in panel.error
    assert panel.order_count() == 1  # the table keeps what it had


def test_apply_is_one_undo_step(window, qtbot) -> None:
    win = window
    panel = win.ladder_panel
    doc = win.document
    before = doc.plan
    steps = doc.undo_stack.count()
    panel.set_orders([("58,000", "0.1"), ("57,000", "0.1"), ("56,000", "0.2")])
    assert panel.flush()
    _rows, final, *_ = _expected(doc, 0, [(58000.0, 0.1), (57000.0, 0.1), (56000.0, 0.2)])
    assert panel.apply_button.text() == "Apply 3 fill(s)"
    qtbot.mouseClick(panel.apply_button, Qt.LeftButton)
    assert doc.plan == final
    assert doc.undo_stack.count() == steps + 1
    assert doc.plan.positions[0].quantity == pytest.approx(before.positions[0].quantity + 0.4)
    assert panel.order_count() == 0  # the fills are in the plan now
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    qtbot.keyClick(win, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: doc.plan == before, timeout=3000)
    assert doc.undo_stack.count() == steps + 1 and doc.undo_stack.index() == steps


def test_long_book_stays_responsive(empty_window, qtbot, monkeypatch) -> None:
    """A 20-leg book and 60 orders: the GUI thread only reads the table; the ladder runs on the worker.

    (How long it takes is measured in benchmarks, not here: this checks where the work runs.)
    """
    import threading

    import ui.docks.ladder_panel as ladder_module

    win = empty_window
    doc = win.document
    doc.load(BOOK20)
    win.positions_table.select(0)
    panel = win.ladder_panel
    pos = doc.plan.positions[0]
    orders = [(round(pos.entry_price * (1 - 0.002 * k), 1), 0.001) for k in range(1, 61)]
    text = ", ".join(f"{p}:{q}" for p, q in orders)
    win.ladder_dock.show()
    win.ladder_dock.raise_()
    qtbot.waitUntil(lambda: not panel.pending, timeout=5000)
    threads: list[int] = []
    engine = ladder_module.ladder

    def counted(*args, **kwargs):
        threads.append(threading.get_ident())
        return engine(*args, **kwargs)

    monkeypatch.setattr(ladder_module, "ladder", counted)
    panel.paste.setText(text)
    panel.fill_from_text()
    assert panel.pending and not threads  # typed in, nothing computed yet: the ladder runs later, on the worker
    qtbot.waitUntil(lambda: not panel.pending, timeout=30000)
    assert threads and threading.main_thread().ident not in threads
    assert panel.flush()
    rows, *_ = _expected(doc, 0, orders)
    assert panel.rows == rows and len(rows) == 61
    # An edit while a ladder is pending supersedes it: the shown rows are the latest input's.
    panel.set_orders([(str(orders[0][0]), "0.002")])
    assert panel.flush()
    assert panel.rows == _expected(doc, 0, [(orders[0][0], 0.002)])[0]


def test_ladder_follows_the_plan(window) -> None:
    """Rows are recomputed when the plan changes (another quantity on the leg)."""
    panel = window.ladder_panel
    doc = window.document
    panel.set_orders([("58000", "0.1")])
    assert panel.flush()
    doc.update_position(0, "edit", quantity=doc.plan.positions[0].quantity * 2)
    assert panel.flush()
    assert panel.rows == _expected(doc, 0, [(58000.0, 0.1)])[0]
    assert panel.result is not None and panel.result.base is doc.plan


def test_ladder_computes_only_while_its_dock_is_shown(window, qtbot) -> None:
    panel = window.ladder_panel
    doc = window.document
    assert window.funding_dock.isVisible() and panel.rows == []  # tabbed behind Funding: nothing computed at start
    panel.set_orders([("58000", "0.1")])
    qtbot.wait(300)
    assert panel.pending and panel.rows == []
    window.ladder_dock.raise_()
    qtbot.waitUntil(lambda: not panel.pending, timeout=5000)
    assert panel.rows == _expected(doc, 0, [(58000.0, 0.1)])[0]
    window.funding_dock.raise_()
    doc.update_position(0, "edit", quantity=doc.plan.positions[0].quantity * 2)
    qtbot.wait(300)
    assert panel.pending  # hidden again: the edit is remembered, not computed
    window.ladder_dock.raise_()
    qtbot.waitUntil(lambda: not panel.pending, timeout=5000)
    assert panel.rows == _expected(doc, 0, [(58000.0, 0.1)])[0]
