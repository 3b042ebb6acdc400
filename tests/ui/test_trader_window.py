"""The window read as a trader reads it at 1280x720 (helper "polish" of issue 10).

Driven like a user (clicks, keystrokes, a right-click on a header); every figure
checked against ``evaluate`` of the plan on screen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from planner.engine.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "tests/data/screenshots/book-10-legs.plan.json"


@pytest.fixture
def book(window, qtbot):
    """The 10-leg screenshot book, opened from its file, in a 1280x720 window with the default dock sizes."""
    window.document.load(BOOK)
    window.resize(1280, 720)
    qtbot.wait(50)
    window.default_dock_sizes()
    qtbot.wait(50)
    assert (window.width(), window.height()) == (1280, 720)
    return window


def _click_row(qtbot, view, row: int, column: int = 0) -> None:
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(view.model().index(row, column)).center())


def _wrapped_fits(label) -> bool:
    """True when ``label``'s text, word-wrapped as the label lays it out, fits inside the label."""
    rect = label.contentsRect()
    need = label.fontMetrics().boundingRect(QRect(0, 0, rect.width(), 10_000), int(Qt.TextFlag.TextWordWrap), label.text())
    return need.width() <= rect.width() and need.height() <= rect.height()


# -- 1. the max-leverage hint is shown whole ------------------------------------------------------
def test_max_leverage_hint_is_shown_whole_at_1280(book, qtbot, type_in):
    doc, form = book.document, book.position_form
    _click_row(qtbot, book.positions_table.view, 3)  # #4 BTCUSDT short 0.25 @ 63,000 isolated 5x
    assert form.row == 3 and form.symbol.currentText() == "BTCUSDT"
    type_in(form.leverage, "8")
    assert doc.plan.positions[3].leverage == 8.0
    ev = evaluate(doc.plan, doc.profile)
    cap = ev.legs[3].max_leverage
    assert cap == 150.0  # 0.25 x 63,000 = 15,750 USDT: Binance BTCUSDT's first tier (up to 300,000 at 150x)
    label = form.leverage.message
    full = f"max {cap:g}x for this size on Binance USDS-M perpetuals"
    assert form.leverage.messageText() == full and label.toolTip() == full
    assert label.text() == full, "the hint is shown whole, not cut with an ellipsis"
    assert label.isVisible() and _wrapped_fits(label), (label.text(), label.size())
    # Inside the form's visible area (the Plan dock does not clip it on the right).
    area = book.form_area.viewport()
    right = label.mapTo(area, QPoint(label.width(), 0)).x()
    assert right <= area.width()


def test_max_leverage_hint_too_long_for_two_lines_keeps_the_figure(qtbot):
    """A venue name too long for the two lines: the figure alone is shown, the whole sentence in the tooltip."""
    from ui.widgets.number_edit import NumberEdit

    field = NumberEdit()
    qtbot.addWidget(field)
    field.setMessageLines(2)
    field.resize(200, 60)
    field.show()
    qtbot.waitExposed(field)
    full = "max 150x for this size on " + "A Very Long User Profile Name " * 4
    field.setHint(full, short="max 150x for this size")
    assert field.message.text() == "max 150x for this size"
    assert field.message.toolTip() == full == field.messageText()
    assert _wrapped_fits(field.message)
    # Without a short text the hint is cut, never drawn past the two reserved lines.
    field.setHint(full)
    assert field.message.text().endswith("…") and field.message.text().startswith("max 150x")
    assert _wrapped_fits(field.message)


# -- 2. the legs table's key columns without sideways scrolling --------------------------------------
KEY_COLUMNS = ["symbol", "side", "quantity", "entry_price", "mark_price", "leverage", "margin_mode", "isolated_margin"]


def _shown(table) -> list[str]:
    from ui.widgets.positions_table import COLUMNS

    return [name for c, (name, _h) in enumerate(COLUMNS) if not table.view.isColumnHidden(c)]


def _assert_whole_without_scrolling(table) -> None:
    from ui.widgets.positions_table import COLUMNS

    view = table.view
    header = view.horizontalHeader()
    assert view.horizontalScrollBar().maximum() == 0 and not view.horizontalScrollBar().isVisible()
    widths = [header.sectionSize(c) for c in range(len(COLUMNS)) if not header.isSectionHidden(c)]
    assert sum(widths) <= view.viewport().width()
    for c, (name, _h) in enumerate(COLUMNS):
        if not header.isSectionHidden(c):  # every cell and header whole, no "63,0…"
            assert header.sectionSize(c) >= table.column_need(c), name


def test_legs_table_key_columns_fit_1280_without_scrolling(book, qtbot, type_in):
    table = book.positions_table
    assert table.model.rowCount() == 10
    assert _shown(table) == KEY_COLUMNS
    _assert_whole_without_scrolling(table)
    model = table.model
    # The figures are the plan's: row #4 is BTCUSDT short 0.25 @ 63,000, mark 60,000, 5x isolated.
    row = [model.data(model.index(3, c)) for c in range(len(KEY_COLUMNS))]
    assert row == ["BTCUSDT", "short", "0.25", "63,000", "60,000", "5x", "iso", "initial"]
    # A what-if mark dragged on the plot ("58,500*") and another entry: still whole, no scrolling.
    book.liquidation_plot.mark_line.setValue(58_500.0)
    assert book.document.marks == {"BTCUSDT": 58_500.0}
    _click_row(qtbot, table.view, 1)
    type_in(book.position_form.entry, "3,125")
    assert book.document.plan.positions[1].entry_price == 3125.0
    qtbot.wait(250)  # the columns grow after the edits pause
    assert model.data(model.index(0, KEY_COLUMNS.index("mark_price"))) == "58,500*"
    assert model.data(model.index(1, KEY_COLUMNS.index("entry_price"))) == "3,125"
    _assert_whole_without_scrolling(table)
    # Header tooltips give the full names of the short headers.
    tip = model.headerData(KEY_COLUMNS.index("isolated_margin"), Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Isolated margin (IM)\nMargin of an isolated leg, settlement currency")


def _pick_from_header_menu(qtbot, table, text: str) -> None:
    """Right-click the legs table's header and click ``text`` in the menu that opens."""
    header = table.view.horizontalHeader()
    picked: list[str] = []

    def click() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, click)
            return
        act = next(a for a in menu.actions() if a.text() == text)
        picked.append(act.text())
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(act).center())

    QTimer.singleShot(0, click)
    pos = QPoint(header.sectionViewportPosition(0) + 5, header.height() // 2)
    QApplication.sendEvent(header.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, header.viewport().mapToGlobal(pos)))
    assert picked == [text]


def test_header_menu_shows_and_hides_columns_and_remembers(book, qtbot, type_in, example_plan):
    from ui.document import PlanDocument
    from ui.main_window import MainWindow
    from ui.widgets.positions_table import HIDDEN_KEY

    table = book.positions_table
    type_in(book.position_form.stop, "55,000")  # leg #1 (long 0.1 BTCUSDT @ 57,000): a stop below the entry
    assert book.document.plan.positions[0].stop_price == 55_000.0
    _pick_from_header_menu(qtbot, table, "Stop-loss price")
    assert _shown(table) == [*KEY_COLUMNS, "stop_price"]
    stop_col = len(KEY_COLUMNS)  # the Stop column comes right after Margin
    assert table.model.headerData(stop_col, Qt.Orientation.Horizontal) == "Stop"
    assert table.model.data(table.model.index(0, stop_col)) == "55,000"
    assert QSettings().value(HIDDEN_KEY) == "take_profit_price,reward_risk,expiry,roll"
    _pick_from_header_menu(qtbot, table, "Margin mode")
    assert "margin_mode" not in _shown(table)
    # The next window (layout restored) shows the columns chosen last.
    again = MainWindow(PlanDocument(example_plan), restore=True)
    qtbot.addWidget(again)
    assert _shown(again.positions_table) == [n for n in KEY_COLUMNS if n != "margin_mode"] + ["stop_price"]
    again.document.undo_stack.setClean()
    # "Default columns" returns to the key columns, and View › Reset layout does too.
    _pick_from_header_menu(qtbot, table, "Default columns")
    assert _shown(table) == KEY_COLUMNS
    _pick_from_header_menu(qtbot, table, "Roll at expiry")
    book.reset_layout()
    assert _shown(table) == KEY_COLUMNS
    assert QSettings().value(HIDDEN_KEY) == "stop_price,take_profit_price,reward_risk,expiry,roll"


# -- 3. the Results detail line follows the selected leg -----------------------------------------------
def _detail_is_engine(book, row: int) -> str:
    """The detail line names leg ``row`` and shows evaluate's figures of it for every hidden column."""
    from ui.widgets.results_panel import COLUMNS

    panel, doc = book.results_panel, book.document
    text = panel.hidden_note.text()
    pos = doc.plan.positions[row]
    mode = "iso" if pos.margin_mode.value == "isolated" else pos.margin_mode.value
    assert text.startswith(f"#{row + 1} {pos.symbol} {pos.side.value} {mode}: "), text
    leg = evaluate(doc.plan, doc.profile, marks=doc.marks or None).legs[row]
    shown = panel.visible_columns()
    hidden = [c for c in COLUMNS if c.name not in shown]
    assert hidden, "at 1280 px some figures are on the detail line"
    for col in hidden:
        assert f"{col.header} {panel.model.text(col.name, leg)}" in text
    return text


def test_results_detail_follows_the_leg_selected_in_either_table(book, qtbot, type_in):
    panel, table = book.results_panel, book.positions_table
    doc = book.document
    _detail_is_engine(book, 0)
    # Selected in the legs table: the detail line (and Results' selected row) follow.
    _click_row(qtbot, table.view, 3)
    assert panel.view.currentIndex().row() == 3
    text = _detail_is_engine(book, 3)
    leg = evaluate(doc.plan, doc.profile).legs[3]
    assert f"uPnL {panel.model.text('unrealized_pnl', leg)}" in text and "uPnL +750.00" in text  # 0.25 x (63,000 - 60,000)
    # Selected in Results: the legs table, the leg form and the detail line follow.
    _click_row(qtbot, panel.view, 6)
    assert table.current_row() == 6 and book.position_form.row == 6
    _detail_is_engine(book, 6)
    # An edit of that leg: the line shows its new figures (evaluate of the plan on screen).
    type_in(book.position_form.quantity, "0.3")
    assert doc.plan.positions[6].quantity == 0.3
    text = _detail_is_engine(book, 6)
    assert "uPnL -720.00" in text  # long 0.3 BTCUSDT @ 62,400, mark 60,000
    # Keyboard in Results: Down moves to #8.
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Down)
    assert table.current_row() == 7
    _detail_is_engine(book, 7)
    # A leg added (at the end): it is selected in both tables and the line names it.
    qtbot.mouseClick(table.add_btn, Qt.MouseButton.LeftButton)
    assert len(doc.plan.positions) == 11 and doc.plan.positions[10].symbol == "ETHUSDT"  # the selected leg's symbol
    assert table.current_row() == 10 and panel.view.currentIndex().row() == 10
    _detail_is_engine(book, 10)


# -- 4. the equity plot's x-axis names the plan's clock -----------------------------------------------
def test_equity_axis_counts_hours_from_the_plans_clock(window, qtbot):
    plot = window.equity_plot
    axis = plot.plot.getPlotItem().getAxis("bottom")
    assert window.document.plan.as_of is None
    assert axis.labelText == "Hours from now"
    assert plot.info.text().startswith("Funding over 72 h: ")
    # The dated example has a clock (as_of 2026-12-20 08:00 UTC): the axis and the text under the plot name it.
    window.document.load(ROOT / "examples" / "dated-roll.plan.json")
    plan = window.document.plan
    assert plan.as_of == datetime(2026, 12, 20, 8, 0, tzinfo=UTC)
    assert axis.labelText == "Hours from 2026-12-20 08:00 UTC"
    text = plot.info.text()
    assert text.startswith("Funding over 240 h from 2026-12-20 08:00 UTC: ")
    assert "(plan as_of 2026-12-20 08:00 UTC)" in text  # the expiry sentence names the same clock
    # Back to a plan without a clock: "now" again.
    window.document.load(BOOK)
    assert axis.labelText == "Hours from now"
    assert plot.info.text().startswith("Funding over 72 h: ")
