"""Issue 10 leftovers (helper "polish"): driven by keystrokes and clicks like a user."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF

from planner.engine.evaluate import evaluate


# -- item 10: stop charging a closed leg ------------------------------------------------
def test_equity_plot_stops_charging_an_isolated_leg_funding_liquidated(window, type_in):
    """Example plan (Binance, negative-balance protection): 5 %/8 h on BTCUSDT liquidates the isolated leg.

    1 BTC long @ 50,000 isolated with 5,000 margin pays 2,500 per settlement: 5,000 -> 2,500 -> 0 at 16 h
    (below its 200 maintenance margin), then it is closed and pays nothing. The ETH cross leg keeps paying
    0.01 % of 20 x 2,950 = 5.90 per settlement, 9 settlements in 72 h. So the account loses
    5,000 + 53.10, never the 22,553.10 of charging the closed leg for 72 h.
    """
    doc = window.document
    type_in(window.funding_panel.rates["BTCUSDT"], "5")
    assert doc.plan.funding_rates["BTCUSDT"] == pytest.approx(0.05)
    ev = evaluate(doc.plan, doc.profile, marks=doc.marks or None)
    assert ev.legs[0].margin_mode == "isolated" and ev.legs[0].maintenance_margin == pytest.approx(200.0)
    plot = window.equity_plot
    hours, change = (np.asarray(a, dtype=float) for a in plot.equity_curve.getData())
    assert change[-1] == pytest.approx(-(5000.0 + 9 * 5.90), abs=1e-6)
    assert change.min() >= -(5000.0 + 9 * 5.90) - 1e-6, "never more than the leg's margin plus the cross leg's funding"
    after = hours >= 16.0
    assert np.ptp(change[after & (hours < 24.0)]) == 0.0, "nothing charged between settlements of the closed leg"
    text = plot.info.text()
    assert "-5,053.10 USDT to the account" in text
    assert "isolated liquidation by funding: leg #1 at 16.0 h" in text


# -- the profile dropdown survives the background action plan -----------------------------
def test_open_profile_dropdown_stays_open_when_action_plan_arrives(window, type_in, qtbot):
    from PySide6.QtCore import Qt

    panel = window.action_panel
    window.actions_dock.show()
    window.actions_dock.raise_()  # the action plan computes while its dock is shown
    panel.flush()
    combo = window.profile_selector.combo
    type_in(window.position_form.leverage, "12")  # an edit: the action plan recomputes in the background
    qtbot.waitUntil(lambda: panel.pending, timeout=3000)  # after the typing pause
    qtbot.mouseClick(combo, Qt.LeftButton)
    popup = combo.view().window()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    focus = popup.focusWidget() or combo.view()
    with qtbot.waitSignal(panel.sigUpdated, timeout=30000):
        pass
    qtbot.wait(50)
    assert not panel.pending
    assert popup.isVisible(), "the result must not close an open dropdown"
    assert combo.view().hasFocus() or popup.focusWidget() is focus, "nor steal its focus"
    qtbot.keyClick(combo.view(), Qt.Key_Escape)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=3000)


# -- unmapped legs in the Plan legs table ---------------------------------------------------


def test_unmapped_leg_is_a_grey_row_in_the_legs_table_with_its_reason(doge_window, qtbot, choose_in):
    from PySide6.QtCore import Qt

    from ui.widgets.positions_table import COLUMNS

    win = doge_window
    doc = win.document
    choose_in(win.profile_selector.combo, "kraken")
    assert [p.symbol for p in doc.plan.positions] == ["PF_XBTUSD", "PF_ETHUSD"]
    assert [m.source_symbol for m in doc.unmapped] == ["DOGEUSDT"]
    model = win.positions_table.model
    assert model.rowCount() == 3 == win.results_panel.model.rowCount(), "the legs table lists what Results lists"
    col = {name: i for i, (name, _) in enumerate(COLUMNS)}
    cell = model.index(2, col["symbol"])
    assert model.data(cell) == "DOGEUSDT"
    assert model.data(model.index(2, col["quantity"])) == "10,000"
    assert model.data(model.index(2, col["side"])) == "short"
    assert model.headerData(2, Qt.Vertical) == "—"
    tip = model.data(model.index(2, col["leverage"]), Qt.ToolTipRole)
    assert "not mapped to Kraken" in tip and "lists no DOGE perpetual" in tip and "Remove" in tip
    grey = model.data(cell, Qt.ForegroundRole)
    assert grey is not None and grey.red() == grey.green() - 8  # the grey Results uses for figures without a leg
    assert not model.flags(model.index(2, col["quantity"])) & Qt.ItemIsEditable
    assert model.flags(cell) & Qt.ItemIsEditable
    # Selecting it keeps the form on a real leg.
    view = win.positions_table.view
    form_row = win.position_form.row
    rect = view.visualRect(cell)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert view.currentIndex().row() == 2 and win.position_form.row == form_row
    # Typing another coin's symbol into its Symbol cell does not bring it back: DOGE numbers never become SOL
    # (test_bring_back.py has the conversions); the message is at the cell and nothing is lost.
    plan, depth = doc.plan, doc.undo_stack.index()
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    editor = view.focusWidget()
    qtbot.keyClick(editor, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(editor, "PF_SOLUSD")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: bool(doc.problems_at("positions.2.symbol")), timeout=3000)  # the delegate commits from the event loop
    assert "PF_SOLUSD is SOL, this leg is DOGE" in model.data(cell, Qt.ToolTipRole)
    assert doc.plan is plan and doc.undo_stack.index() == depth
    assert [m.source_symbol for m in doc.unmapped] == ["DOGEUSDT"] and model.data(cell) == "DOGEUSDT"


def test_unmapped_leg_can_be_removed_from_the_legs_table(doge_window, qtbot, choose_in):
    from PySide6.QtCore import Qt

    win = doge_window
    doc = win.document
    choose_in(win.profile_selector.combo, "kraken")
    view = win.positions_table.view
    model = win.positions_table.model
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.visualRect(model.index(2, 0)).center())
    plan = doc.plan
    qtbot.mouseClick(win.positions_table.del_btn, Qt.LeftButton)
    assert doc.unmapped == [] and doc.plan == plan, "only the unmapped leg goes"
    assert model.rowCount() == 2 == win.results_panel.model.rowCount()
    assert doc.undo_stack.undoText() == "Remove unmapped DOGEUSDT leg"
    doc.undo_stack.undo()
    assert [m.source_symbol for m in doc.unmapped] == ["DOGEUSDT"] and model.rowCount() == 3


# -- drills: path funding per settlement wallet ------------------------------------------------
def test_path_drill_shows_funding_of_every_settlement_wallet(window, qtbot):
    """COIN-M plan: a BTC short cross in the BTC wallet, an ETH long isolated in the ETH wallet.

    The flash crash liquidates the ETH leg before the first settlement; the summary and the table give
    funding for both wallets (the ETH leg paid nothing after it closed), each equal to run_path's figures.
    """
    from pathlib import Path

    from PySide6.QtCore import Qt

    from planner.drills.paths import flash_crash, run_path
    from planner.present.format import fmt_signed_money

    root = Path(__file__).resolve().parents[2]
    doc = window.document
    doc.load(root / "tests/data/plans/coinm-inverse-short.plan.json")
    panel = window.drills_panel
    window.drills_dock.show()
    window.drills_dock.raise_()
    panel.tabs.setCurrentIndex([panel.tabs.tabText(i) for i in range(panel.tabs.count())].index("Price path"))
    assert panel.path_kind.currentText() == "Flash crash"
    with qtbot.waitSignal(panel.sigEquityPath, timeout=20000):
        qtbot.mouseClick(panel.path_run, Qt.LeftButton)
    ref = run_path(doc.plan, doc.profile, flash_crash(horizon_hours=doc.plan.horizon_hours), marks=doc.marks or None)
    assert sorted(ref.accounts) == ["BTC", "ETH"] and 1 in ref.liquidations
    eth_paid = float(ref.accounts["ETH"].funding_paid[-1])
    assert eth_paid == 0.0, "liquidated before the first settlement: it pays nothing"
    text = panel.path_summary.text()
    assert f"Leg #2 ETHUSD_PERP liquidated at {ref.liquidations[1][0]:.2f} h" in text
    for ccy in ("BTC", "ETH"):
        shown = fmt_signed_money(-float(ref.accounts[ccy].funding_paid[-1]), ccy)
        assert shown in text
    table = panel.path_table
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())}
    assert set(rows) == {"BTC", "ETH"}
    assert rows["BTC"][1] == fmt_signed_money(-float(ref.accounts["BTC"].funding_paid[-1]), "BTC")
    assert rows["ETH"][1] == "0.000000 ETH" and rows["ETH"][3] == "#2" and rows["BTC"][3] == "none"
    eth = ref.accounts["ETH"]
    assert rows["ETH"][2] == fmt_signed_money(float(eth.equity[-1] - eth.equity[0]), "ETH")


# -- layout at 1280x720 ------------------------------------------------------------------------
@pytest.fixture
def ten_legs(window, qtbot):
    """The 10-leg screenshot book in a 1280x720 window, opened from its file."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    window.document.load(root / "tests/data/screenshots/book-10-legs.plan.json")
    window.resize(1280, 720)
    qtbot.wait(50)
    window.default_dock_sizes()
    qtbot.wait(50)
    return window


def test_no_line_or_grid_crosses_a_level_label(ten_legs):
    """Every shown label is opaque and drawn above each vertical line that passes through it."""
    plot = ten_legs.liquidation_plot
    vb = plot.plot.getViewBox()
    lines = [l for l in plot.level_lines if l.isVisible()] + [plot.mark_line]
    labelled = [l for l in lines if l.label.isVisible()]
    assert len(labelled) >= 10
    crossings = 0
    for line in labelled:
        assert line.label.fill.color().alpha() == 255, line.label.toPlainText()
        box = line.label.sceneBoundingRect()
        for other in lines:
            x = vb.mapViewToScene(QPointF(float(other.value()), 0.0)).x()
            if other is not line and box.left() < x < box.right():
                crossings += 1
                assert other.zValue() < line.zValue(), (line.label.toPlainText(), other.label.toPlainText())
    assert crossings > 0, "the 10-leg book has lines passing behind labels: the check above is exercised"
    for name in ("left", "bottom"):  # the axes draw the grid
        assert plot.plot.getAxis(name).zValue() < vb.zValue()


def test_results_shows_all_ten_legs_at_1280x720(ten_legs):
    view = ten_legs.results_panel.view
    assert view.model().rowCount() == 10
    last = view.visualRect(view.model().index(9, 0))
    assert last.isValid() and last.bottom() <= view.viewport().height(), "row #10 is on screen without scrolling"


def test_legs_table_shows_seven_of_ten_legs_at_1280x720(ten_legs, qtbot):
    from PySide6.QtWidgets import QApplication

    view = ten_legs.positions_table.view
    assert ten_legs.positions_table.model.rowCount() == 10
    rows = view.viewport().height() // view.verticalHeader().defaultSectionSize()
    assert rows >= 7, rows
    # The leg form scrolls in its own area; every field can still be reached by Tab.
    from PySide6.QtCore import Qt

    form = ten_legs.position_form
    area = ten_legs.form_area
    ten_legs.positions_table.select(1)  # an isolated leg: its margin field takes the focus
    ten_legs.activateWindow()
    form.leverage.edit.setFocus()
    qtbot.waitUntil(form.leverage.edit.hasFocus, timeout=3000)
    qtbot.keyClick(form.leverage.edit, Qt.Key_Tab)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Tab)
    assert form.isolated.edit.hasFocus()
    top = form.isolated.mapTo(area.viewport(), QPoint(0, 0)).y()
    assert top >= 0 and top + form.isolated.height() <= area.viewport().height()


def test_iso_margin_field_shows_its_text_whole(ten_legs, qtbot):
    """Cross leg #1: the disabled field says why it is empty; isolated leg #2: its margin shows whole."""
    form = ten_legs.position_form
    edit = form.isolated.edit
    assert ten_legs.document.plan.positions[0].margin_mode.value == "cross"
    metrics = edit.fontMetrics()
    room = edit.contentsRect().width() - 2 * 2  # QLineEdit's horizontal text margin
    assert edit.placeholderText() == "n/a: cross" and metrics.horizontalAdvance(edit.placeholderText()) <= room
    ten_legs.positions_table.select(1)
    qtbot.wait(20)
    assert ten_legs.document.plan.positions[1].margin_mode.value == "isolated"
    assert edit.text() == "" and edit.placeholderText() == "initial"
    assert metrics.horizontalAdvance("initial") <= room
    assert metrics.horizontalAdvance("100,000.00") <= room, "a five-figure margin fits"


# -- the PDF report ------------------------------------------------------------------------------
def _pdf_pages(path) -> list[str]:
    import subprocess
    import unicodedata

    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return unicodedata.normalize("NFKC", text).split("\f")[:-1]  # the fonts' "fi" ligature reads as "fi"


def _page_of(pages: list[str], needle: str) -> int:
    """The first page with ``needle`` in it (a needle ending in a newline: a whole line, as a heading)."""
    whole = needle.endswith("\n")
    found = [
        n for n, page in enumerate(pages) if (needle.strip() in [line.strip() for line in page.splitlines()] if whole else needle in page)
    ]
    assert found, needle
    return found[0]


def test_report_keeps_drill_tables_with_their_headings(window, qtbot, tmp_path):
    """Every drill run, then the PDF: each table starts on its heading's page; a table longer than
    a page repeats its header row on each page; no heading ends a page; no "-0.00"."""

    from ui import report

    panel = window.drills_panel
    _run_every_drill(window, qtbot)
    assert [r.title for r in panel.report_records()] == [
        "Shock", "Gap / slippage", "Partial liquidation", "Price path", "Event drill", "Profiles",
    ]  # fmt: skip
    pdf = report.write_report(window.document.figures, tmp_path / "r.pdf", drills=panel.report_records())
    pages = _pdf_pages(pdf)
    text = "\n".join(pages)
    assert "-0.00" not in text
    for heading, header in [
        ("Positions\n", "bankruptcy"),
        ("Accounts\n", "maintenance margin"),
        ("Shock\n", "Margin ratio"),
        ("Gap / slippage\n", "Amount (USDT)"),
        ("Partial liquidation\n", "Requirement"),
        ("Price path\n", "Funding to the account"),
        ("Event drill\n", "P(liquidated)"),
        ("Profiles\n", "figures"),
        ("What the figures mean\n", "Liquidation price:"),
    ]:
        assert _page_of(pages, heading) == _page_of(pages, header), heading
    # The profile grid is longer than a page: its header row is on every page it spans.
    grid = [n for n, page in enumerate(pages) if "Beyond bankruptcy" in page]
    assert len(grid) >= 2
    for n in grid:
        assert "profile" in pages[n] and "figures" in pages[n], n


def test_report_plots_fit_axes_and_keep_the_legend_off_the_labels(window):
    from PySide6.QtCore import QRectF

    from ui import report

    kept: dict = {}
    report.plot_images(window.document.figures, scale=1.0, keep=kept)
    try:
        for name, widget in kept.items():
            pi = widget.plot.getPlotItem()
            axis = pi.getAxis("left")
            need = axis.textWidth + axis.style["tickTextOffset"][0] + max(0, axis.style["tickLength"])
            assert axis.width() >= need, (name, axis.width(), need)
            legend = widget.legend.item.sceneBoundingRect()
            assert not legend.intersects(pi.vb.sceneBoundingRect()), name
            if name == "liquidation":
                labels = [widget.mark_line.label] + [l.label for l in widget.level_lines if l.isVisible() and l.label.isVisible()]
                for label in labels:
                    assert not legend.intersects(label.sceneBoundingRect()), label.toPlainText()
                assert QRectF(pi.vb.sceneBoundingRect()).contains(widget.mark_line.label.sceneBoundingRect())
    finally:
        for widget in kept.values():
            widget.deleteLater()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("uPnL -0.00 USDT", "uPnL 0.00 USDT"),
        ("-0.000000 BTC; -0 %", "0.000000 BTC; 0 %"),
        ("-0.001 BTC, -10.00 USDT, -0.05%", "-0.001 BTC, -10.00 USDT, -0.05%"),
        ("data of 2026-03-05, leg-0", "data of 2026-03-05, leg-0"),
    ],
)
def test_report_never_prints_a_negative_zero(text, shown):
    from ui.report import no_negative_zero_text

    assert no_negative_zero_text(text) == shown


# -- every figure explained -------------------------------------------------------------------
def test_every_figure_and_input_has_a_tooltip(window, qtbot):
    """After every drill has run: each label showing a number, each input and each drill-table column
    has a tooltip (its own or its container's, which Qt shows for it); form labels name their field."""
    import re

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QFormLayout, QLabel, QLineEdit, QTableWidget

    _run_every_drill(window, qtbot)
    window.flush_action_plan()
    assert window.action_panel.flush()

    def tip(widget) -> str:
        while widget is not None:
            if widget.toolTip():
                return widget.toolTip()
            if widget.isWindow():
                return ""
            widget = widget.parentWidget()
        return ""

    form_labels = set()
    for form in window.findChildren(QFormLayout):
        for r in range(form.rowCount()):
            item = form.itemAt(r, QFormLayout.LabelRole)
            if item is not None and item.widget() is not None:
                form_labels.add(item.widget())
    missing = []
    for label in window.findChildren(QLabel):
        if label not in form_labels and re.search(r"\d", label.text()) and not tip(label):
            missing.append(label.text()[:60])
    for cls in (QLineEdit, QAbstractSpinBox, QComboBox):
        missing += [
            f"{cls.__name__} {w.objectName()} in {type(w.parentWidget()).__name__}/{type(w.parentWidget().parentWidget()).__name__}"
            for w in window.findChildren(cls)
            if not tip(w)
        ]
    for table in window.findChildren(QTableWidget):
        for c in range(table.columnCount()):
            head = table.horizontalHeaderItem(c)
            if head is not None and not head.toolTip():
                missing.append(f"column {head.text()}")
    assert missing == [], missing
    model = window.positions_table.model
    assert all(model.headerData(c, Qt.Horizontal, Qt.ToolTipRole) for c in range(model.columnCount()))


def test_legs_table_symbol_column_follows_a_venue_switch(window, qtbot, choose_in):
    choose_in(window.profile_selector.combo, "okx")
    assert window.document.plan.positions[0].symbol == "BTC-USDT-SWAP"
    view = window.positions_table.view
    assert view.columnWidth(0) >= view.fontMetrics().horizontalAdvance("BTC-USDT-SWAP"), "shown whole, not 'BTC-…'"


def test_equity_legend_names_expiry_marks_only_when_a_leg_expires(window, qtbot):
    """A perpetual-only plan has no 'Expiry' legend row (it squeezed the plot at 1280x720); the dated example has."""
    from pathlib import Path

    def names():
        return [label.text for _sample, label in window.equity_plot.legend.item.items]

    assert "Expiry: settlement / roll" not in names()
    assert "Funding settlement" in names()
    window.document.load(Path(__file__).resolve().parents[2] / "examples" / "dated-roll.plan.json")
    assert window.document.figures.funding.expiry_steps
    assert "Expiry: settlement / roll" in names()


def test_legends_fit_their_plot_in_as_few_rows_as_the_width_allows(window, qtbot):
    """Dated example at 1280x720: four equity-plot entries in two rows, none cut at the plot's right edge."""
    from pathlib import Path

    window.document.load(Path(__file__).resolve().parents[2] / "examples" / "dated-roll.plan.json")
    window.resize(1280, 720)
    qtbot.wait(50)
    window.default_dock_sizes()
    qtbot.wait(50)
    for plot in (window.equity_plot, window.liquidation_plot):
        legend = plot.legend.item
        right = plot.plot.getPlotItem().sceneBoundingRect().right()
        for _sample, label in legend.items:
            assert label.sceneBoundingRect().left() + label.item.boundingRect().width() <= right + 1, label.text
    assert len(window.equity_plot.legend.item.items) == 4
    assert window.equity_plot.legend.item.columnCount >= 2, "one entry per row squeezed the plot"


def test_partial_drill_at_the_liquidation_price_shows_the_steps(window, qtbot):
    """'0 = liquidation price' plays the venue's steps one tick past it (exactly at it, equity equals the
    requirement and the table came out empty for the dated example); a mark with no step says so."""
    from pathlib import Path

    from PySide6.QtCore import Qt

    from planner.drills.partial import partial_liquidation
    from planner.engine.evaluate import evaluate

    doc = window.document
    doc.load(Path(__file__).resolve().parents[2] / "examples" / "dated-roll.plan.json")
    panel = window.drills_panel
    window.show_drill(2)
    lp = evaluate(doc.plan, doc.profile).legs[0].liquidation_price
    assert partial_liquidation(doc.plan, doc.profile, 0, lp) == [], "exactly at it: no step"
    qtbot.mouseClick(panel.partial_run, Qt.LeftButton)
    table = panel.partial_table
    expected = partial_liquidation(doc.plan, doc.profile, 0, lp - doc.profile.symbols[doc.plan.positions[0].symbol].tick_size)
    assert table.rowCount() == len(expected) >= 1 and table.item(0, 7).text() == expected[0].note
    record = panel.report_records()[-1]
    assert "one tick past its liquidation price 89,489.8" in record.setup
    panel.partial_price.setValue(99000.0)  # the mark on screen: nothing to liquidate
    qtbot.mouseClick(panel.partial_run, Qt.LeftButton)
    assert table.rowCount() == 1 and table.item(0, 7).text().startswith("no step: ")


def _run_every_drill(window, qtbot) -> None:
    """Click each drill tab's Run (2,000 event paths) and wait for its worker, as a user would one after another."""
    import time

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    panel = window.drills_panel
    panel.event_paths.setValue(2000)
    buttons = [panel.shock_run, panel.gap_run, panel.partial_run, panel.path_run, panel.mc_run, panel.compare_run]
    for i, button in enumerate(buttons):
        window.show_drill(i)
        qtbot.mouseClick(button, Qt.LeftButton)
        start = time.monotonic()
        while panel.worker is not None and time.monotonic() - start < 60:
            QApplication.processEvents()
            qtbot.wait(20)
