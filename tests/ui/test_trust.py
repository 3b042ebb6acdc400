"""Issue 10: every figure on screen is the plan on screen — driven by keystrokes and clicks."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from planner.engine.evaluate import evaluate


def _engine(doc):
    return evaluate(doc.plan, doc.profile, marks=doc.marks or None)


# -- item 3: numbers never misread ------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "value"),
    [("97,123.5", 97123.5), ("97 123.5", 97123.5), ("1e5", 100000.0), ("98.5k", 98500.0), ("0.1m", 100000.0)],
)
def test_entry_reads_grouping_suffix_and_exponent(window, type_in, typed, value):
    doc = window.document
    type_in(window.position_form.entry, typed)
    assert doc.plan.positions[0].entry_price == value
    assert window.position_form.entry.error() == ""
    assert doc.evaluation.legs[0].entry_price == value
    assert doc.evaluation.legs[0].liquidation_price == pytest.approx(_engine(doc).legs[0].liquidation_price, rel=1e-12)


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [("97,12x", "is not a number"), ("1,23", "groups thousands"), ("", "enter a number"), ("abc", "is not a number")],
)
def test_entry_refuses_with_message_and_keeps_text(window, type_in, typed, fragment):
    doc = window.document
    form = window.position_form
    before = doc.plan
    height = form.height()
    type_in(form.entry, typed, key=Qt.Key_Tab)
    assert doc.plan == before, "nothing committed"
    assert form.entry.text() == typed, "the typed text stays: no snapping back, no dropped character"
    assert fragment in form.entry.error()
    assert fragment in form.entry.message.text(), "the message shows at the field"
    metrics = form.entry.message.fontMetrics()
    assert metrics.horizontalAdvance(form.entry.messageText()) <= form.entry.message.width(), "shown whole"
    assert form.height() == height, "the form does not jump"
    # fixing the text commits it and clears the message
    type_in(form.entry, "48,500")
    assert doc.plan.positions[0].entry_price == 48500.0
    assert form.entry.error() == "" and fragment not in form.entry.message.text()


def test_negative_wallet_refused_not_zeroed(window, type_in):
    doc = window.document
    wallet = window.account_panel.wallet
    before = doc.plan.account.wallet_balance
    type_in(wallet, "-5000")
    assert doc.plan.account.wallet_balance == before
    assert wallet.text() == "-5000"
    assert "must not be negative" in wallet.message.text()
    type_in(wallet, "25,000")
    assert doc.plan.account.wallet_balance == 25000.0
    assert wallet.text() == "25,000.00"


def test_escape_reverts_to_committed_value(window, type_in, qtbot):
    form = window.position_form
    shown = form.entry.text()
    form.entry.edit.setFocus()
    qtbot.keyClicks(form.entry.edit, "zz")
    qtbot.keyClick(form.entry.edit, Qt.Key_Return)
    assert form.entry.error()
    qtbot.keyClick(form.entry.edit, Qt.Key_Escape)
    assert form.entry.text() == shown and not form.entry.error()


# -- item 2: commit when editing finishes ------------------------------------------
def test_typing_500_never_commits_50(window, qtbot):
    doc = window.document
    lev = window.position_form.leverage
    seen: list[float] = []
    doc.changed.connect(lambda plan, ev: seen.append(plan.positions[0].leverage))
    lev.edit.setFocus()
    qtbot.keyClick(lev.edit, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(lev.edit, "5")
    qtbot.keyClicks(lev.edit, "0")
    assert seen == [], "no figure while typing"
    qtbot.keyClicks(lev.edit, "0")
    qtbot.keyClick(lev.edit, Qt.Key_Return)
    assert 50.0 not in seen
    assert doc.draft.positions[0].leverage == 500.0
    assert doc.plan.positions[0].leverage != 500.0, "500x is above the tier's maximum: the last valid plan stays"
    assert "exceeds the maximum" in window.position_form.problem.text()


def test_up_down_step_and_commit(window, qtbot):
    doc = window.document
    lev = window.position_form.leverage
    v0 = doc.plan.positions[0].leverage
    lev.edit.setFocus()
    qtbot.keyClick(lev.edit, Qt.Key_Down)
    assert doc.plan.positions[0].leverage == v0 - 1.0
    assert doc.evaluation.legs[0].leverage == v0 - 1.0


# -- item 9: new legs ---------------------------------------------------------------
def test_new_leg_mark_follows_entry_until_mark_typed(window, qtbot, type_in):
    doc = window.document
    table = window.positions_table
    btc_mark = doc.plan.positions[0].mark
    # A second BTCUSDT leg takes the symbol's one mark (issue 15 item 10: one symbol, one mark).
    qtbot.mouseClick(table.add_btn, Qt.LeftButton)
    second = doc.evaluation.legs[-1]
    assert second.symbol == "BTCUSDT" and second.mark_price == btc_mark
    # The only leg of its symbol: its mark follows the entry until a mark is typed.
    doc.new()
    qtbot.mouseClick(table.add_btn, Qt.LeftButton)
    assert len(doc.plan.positions) == 1
    new = doc.plan.positions[-1]
    assert new.entry_price == btc_mark, "starts from the last price used for the symbol"
    assert new.mark_price is None
    form = window.position_form
    assert form.row == 0
    type_in(form.entry, "50,000")
    leg = doc.evaluation.legs[-1]
    assert leg.entry_price == leg.mark_price == 50000.0, "the mark follows the entry"
    assert leg.unrealized_pnl == pytest.approx(0.0, abs=1e-9)
    assert leg.state == "safe"
    type_in(form.mark_, "49,000")
    type_in(form.entry, "51,000")
    leg = doc.evaluation.legs[-1]
    assert (leg.entry_price, leg.mark_price) == (51000.0, 49000.0), "a typed mark no longer follows"
    assert leg.liquidation_price == pytest.approx(_engine(doc).legs[-1].liquidation_price, rel=1e-12)


def test_new_leg_on_empty_plan_uses_last_price_of_symbol(window, qtbot):
    doc = window.document
    btc = doc.plan.positions[0].mark
    doc.new()
    qtbot.mouseClick(window.positions_table.add_btn, Qt.LeftButton)
    pos = doc.plan.positions[0]
    assert pos.symbol == "BTCUSDT"
    assert pos.entry_price == btc
    assert pos.quantity * pos.entry_price <= 2000.0, "a small first leg, not 1 BTC at 100 USDT"


def test_max_leverage_one_basis(window):
    doc = window.document
    leg = doc.evaluation.legs[0]
    assert f"max {leg.max_leverage:g}x" in window.position_form.leverage.messageText()


# -- item 10: funding beyond the venue's cap ------------------------------------------
def test_funding_rate_beyond_cap_warns(window, type_in):
    doc = window.document
    box = window.funding_panel.rates["BTCUSDT"]
    cap = doc.profile.funding.cap_per_interval
    type_in(box, "5")  # percent per interval
    assert doc.plan.funding_rates["BTCUSDT"] == pytest.approx(0.05)
    assert f"cap ±{cap * 100:g}%" in box.messageText()
    type_in(box, "0.01")
    assert box.messageText() == ""


# -- item 7 / 2: Results rows per leg, every figure = evaluate of the plan shown ---------------
def _cell(window, row, name):
    from ui.widgets.results_panel import COL

    model = window.results_panel.model
    return model.data(model.index(row, COL[name]))


def _all_cells(window):
    model = window.results_panel.model
    return [str(model.data(model.index(r, c)) or "") for r in range(model.rowCount()) for c in range(model.columnCount())]


def _number(text):
    from planner.present.numbers import parse_number

    return parse_number(text.replace("%", "").strip())


def assert_results_are_engine(window):
    """Every figure in Results equals evaluate(plan on screen), to the shown rounding; no stale marks."""
    doc = window.document
    assert doc.draft == doc.plan, "figures claimed current"
    ev = evaluate(doc.plan, doc.profile, marks=doc.marks or None)
    model = window.results_panel.model
    assert model.rowCount() == len(doc.plan.positions) == window.positions_table.model.rowCount()
    assert not window.results_panel.banner.isVisible()
    for r, leg in enumerate(ev.legs):
        assert _cell(window, r, "leg").startswith(f"#{r + 1} {leg.symbol} {leg.side}")
        assert _number(_cell(window, r, "equity")) == pytest.approx(leg.equity, abs=0.006)
        assert _number(_cell(window, r, "unrealized_pnl")) == pytest.approx(leg.unrealized_pnl, abs=0.006)
        assert _number(_cell(window, r, "initial_margin")) == pytest.approx(leg.initial_margin, abs=0.006)
        assert _number(_cell(window, r, "funding_to_account")) == pytest.approx(-leg.funding_per_interval, abs=0.006)
        assert _number(_cell(window, r, "margin_ratio")) == pytest.approx(leg.margin_ratio * 100, abs=0.006)
        spec = doc.profile.symbols[leg.symbol]
        if leg.liquidation_price is None:
            assert _cell(window, r, "liquidation_price") == "none"
            assert "no liq. price" in _cell(window, r, "state")
            continue
        liq = _number(_cell(window, r, "liquidation_price"))
        assert abs(liq - leg.liquidation_price) <= spec.tick_size + 1e-9
        if leg.side == "long":
            assert liq >= leg.liquidation_price - 1e-9, "a long's liquidation rounds up (safe side)"
    acc = ev.accounts[0]
    assert f"Equity&nbsp;{acc.equity:,.2f}" in window.results_panel.account_lines[0]


def test_results_rows_follow_legs_and_equal_engine(window, qtbot, type_in):
    assert_results_are_engine(window)
    qtbot.mouseClick(window.positions_table.add_btn, Qt.LeftButton)
    assert_results_are_engine(window)
    type_in(window.position_form.quantity, "0.25")
    assert_results_are_engine(window)
    qtbot.mouseClick(window.positions_table.del_btn, Qt.LeftButton)
    assert_results_are_engine(window)


def test_stale_figures_greyed_and_labelled(window, type_in):
    from ui.widgets.results_panel import STALE

    doc = window.document
    panel = window.results_panel
    lev0 = doc.plan.positions[0].leverage
    type_in(window.position_form.leverage, "500")
    assert doc.draft.positions[0].leverage == 500.0 and doc.plan.positions[0].leverage == lev0
    assert panel.banner.isVisible()
    text = panel.banner.text()
    assert f"leg #1 leverage {lev0:g}x (on screen 500x)" in text
    assert "the plan on screen has 1 problem, marked at the fields" in text
    assert "500x exceeds the maximum" in panel.banner.toolTip()
    model = panel.model
    for r in range(model.rowCount()):
        for c in range(1, model.columnCount()):
            assert model.data(model.index(r, c), Qt.ForegroundRole).color() == STALE
    assert "last valid plan" in model.data(model.index(0, 3), Qt.ToolTipRole)
    assert "font-style: italic" in panel.account.text()
    # figures still shown are those of the last valid plan, exactly
    ev = evaluate(doc.plan, doc.profile)
    assert _number(_cell(window, 0, "equity")) == pytest.approx(ev.legs[0].equity, abs=0.006)
    for badge in window.plot_badges:
        assert badge.isVisible()
        assert f"leg #1 leverage {lev0:g}x (on screen 500x)" in badge.text()
    type_in(window.position_form.leverage, "20")
    assert not panel.banner.isVisible()
    assert not any(badge.isVisible() for badge in window.plot_badges)
    assert_results_are_engine(window)


def test_invalid_leg_row_shows_dash_and_reason(window, qtbot):
    doc = window.document
    form = window.position_form
    window.positions_table.select(1)
    assert form.row == 1
    combo = form.symbol
    combo.lineEdit().setFocus()
    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), "NOSUCHCOINUSDT")
    qtbot.keyClick(combo.lineEdit(), Qt.Key_Return)
    assert doc.draft.positions[1].symbol == "NOSUCHCOINUSDT"
    assert _cell(window, 1, "leg").startswith("#2 NOSUCHCOINUSDT")
    assert _cell(window, 1, "liquidation_price") == "—"
    from ui.widgets.results_panel import COL

    model = window.results_panel.model
    assert "not listed" in model.data(model.index(1, COL["liquidation_price"]), Qt.ToolTipRole)
    assert _cell(window, 0, "leg").startswith("#1 BTCUSDT")  # other rows keep their own leg's (stale) figures
    assert _cell(window, 0, "equity") != "—"


def test_badge_coloured_by_worse_of_state_and_distance(window, type_in):
    from ui.widgets.results_panel import COL, STATE_COLORS

    doc = window.document
    type_in(window.position_form.mark_, "45,250")
    leg = doc.evaluation.legs[0]
    assert leg.state == "safe" and leg.distance_to_liquidation < 0.01
    model = window.results_panel.model
    idx = model.index(0, COL["state"])
    assert model.data(idx) == f"safe · {leg.distance_to_liquidation * 100:.2f} % to liq."
    assert model.data(idx, Qt.BackgroundRole).color() == STATE_COLORS["liquidation"], "0.15 % away is not green"
    type_in(window.position_form.mark_, "60,000")
    assert model.data(idx, Qt.BackgroundRole).color() == STATE_COLORS["safe"]
    assert_results_are_engine(window)


def test_no_negative_zero_on_screen(window, type_in):
    doc = window.document
    for sym, box in window.funding_panel.rates.items():
        type_in(box, "0")
        assert doc.plan.funding_rates[sym] == 0.0
    type_in(window.position_form.mark_, "")  # mark back to the entry: uPnL exactly 0
    cells = _all_cells(window) + window.results_panel.account_lines
    assert cells and not [c for c in cells if "-0.00" in c or c.startswith("-0 ")]
    assert_results_are_engine(window)


def test_ten_legs_readable_at_1280(window, qtbot, type_in):
    doc = window.document
    type_in(window.account_panel.wallet, "1m")
    for _ in range(8):
        qtbot.mouseClick(window.positions_table.add_btn, Qt.LeftButton)
    assert len(doc.plan.positions) == 10
    window.resize(1280, 720)
    qtbot.wait(50)
    panel = window.results_panel
    assert window.width() <= 1280
    assert not panel.view.horizontalScrollBar().isVisible()
    shown = panel.visible_columns()
    for must in ("leg", "state", "liquidation_price", "margin_ratio"):
        assert must in shown
    header = panel.view.horizontalHeader()
    assert sum(header.sectionSize(i) for i in range(header.count()) if not header.isSectionHidden(i)) <= panel.view.viewport().width()
    from ui.widgets.results_panel import COL, COLUMNS

    hidden = [c.name for c in COLUMNS if c.name not in shown]
    assert hidden, "at 1280 px some figures move to the detail line"
    qtbot.mouseClick(panel.view.viewport(), Qt.LeftButton, pos=panel.view.visualRect(panel.model.index(9, COL["leg"])).center())
    assert panel.hidden_note.text().startswith("#10 ")
    ev = evaluate(doc.plan, doc.profile)
    for name in hidden:
        header_text = next(c.header for c in COLUMNS if c.name == name)
        assert f"{header_text} {panel.model.text(name, ev.legs[9])}" in panel.hidden_note.text()
        assert header_text in panel.model.data(panel.model.index(9, 0), Qt.ToolTipRole)
    assert_results_are_engine(window)


# -- item 10: the margin dialog shows its limits and refuses a removal that liquidates -------------
def test_margin_dialog_limits_and_refusal(window, qtbot, type_in):
    from PySide6.QtWidgets import QDialogButtonBox

    from planner.drills.margin import removal_outcome
    from ui.dialogs.margin_adjust import MarginAdjustDialog

    doc = window.document
    type_in(window.position_form.mark_, "47,000")
    ev = doc.evaluation
    dlg = MarginAdjustDialog(doc, 0, window)
    qtbot.addWidget(dlg)
    acc = ev.accounts[0]
    assert f"most you can add: {acc.available_balance:,.2f}" in dlg.limits_label.text()
    # the limit shown is allowed, one cent more liquidates at the current mark
    assert isinstance(removal_outcome(doc.plan, doc.profile, 0, -dlg.max_remove, None), type(ev))
    over = removal_outcome(doc.plan, doc.profile, 0, -(dlg.max_remove + 0.01), None)
    assert isinstance(over, str) and ("liquidates" in over or "maintenance" in over)
    assert f"most you can remove: {dlg.max_remove:,.2f}" in dlg.limits_label.text()
    apply = dlg.buttons.button(QDialogButtonBox.Apply)
    plan = doc.plan
    type_in(dlg.amount, f"-{dlg.max_remove + 1:.2f}")
    assert "refused" in dlg.preview.text() and not apply.isEnabled()
    qtbot.mouseClick(apply, Qt.LeftButton)
    assert doc.plan == plan
    # a removal just inside the limit is in the margin-call zone: a loud warning, then applied on click
    type_in(dlg.amount, f"-{dlg.max_remove:.2f}")
    after = removal_outcome(doc.plan, doc.profile, 0, -dlg.max_remove, None)
    if after.legs[0].state == "margin_call":
        assert "WARNING" in dlg.preview.text()
    assert apply.isEnabled()
    qtbot.mouseClick(apply, Qt.LeftButton)
    assert doc.plan.positions[0].added_margin == pytest.approx(-dlg.max_remove)
    assert doc.evaluation.legs[0].state != "liquidation"
    assert_results_are_engine(window)


# -- item 1 (widget side): a venue switch never shows the old venue's figures as the new one's ---------
def test_profile_switch_never_shows_old_venue_figures_as_new(window, qtbot):
    doc = window.document
    sel = window.profile_selector
    combo = sel.combo
    target = combo.findData("hyperliquid")
    combo.setFocus()
    key = Qt.Key_Down if target > combo.currentIndex() else Qt.Key_Up
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, key)
    assert doc.draft.profile_id == "hyperliquid"
    panel = window.results_panel
    if doc.plan.profile_id == "hyperliquid":  # the venue mapping (item 1) landed: figures are the new venue's
        assert doc.evaluation.profile_id == "hyperliquid"
        assert_results_are_engine(window)
        return
    # not mapped: every leg row says "—" with the reason, the banner and the selector say whose figures remain
    model = panel.model
    for r in range(model.rowCount()):
        for c in range(2, model.columnCount()):
            assert model.data(model.index(r, c)) == "—"
    assert "profile binance-usdm (on screen hyperliquid)" in panel.banner.text()
    assert sel.version.text() == f"figures still for {doc.profile.name}"
    assert "hyperliquid" in window.position_form.leverage.messageText().lower() or not window.position_form.leverage.messageText()


def test_coin_margined_wallets_all_on_screen(qtbot, tmp_path, type_in):
    from pathlib import Path

    from planner.io.plan_files import load_plan
    from ui.document import PlanDocument
    from ui.widgets.account_panel import AccountPanel

    plan = load_plan(Path(__file__).resolve().parents[1] / "data" / "plans" / "coinm-inverse-short.plan.json")
    doc = PlanDocument(plan)
    panel = AccountPanel(doc)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.wallet.text() == "0.5000" and panel.wallet.suffix() == "BTC"
    assert list(panel.balances) == ["ETH"] and panel.balances["ETH"].text() == "4.0000"
    type_in(panel.balances["ETH"], "5.5")
    assert doc.plan.account.balances["ETH"] == 5.5
    ev = evaluate(doc.plan, doc.profile)
    assert next(a for a in doc.evaluation.accounts if a.currency == "ETH").wallet_balance == 5.5
    assert next(a for a in ev.accounts if a.currency == "ETH").wallet_balance == 5.5
    type_in(panel.wallet, "0.75")
    assert doc.plan.account.wallet_balance == 0.75


def test_legs_table_cell_edit_reads_numbers_like_the_form(window, qtbot):
    from PySide6.QtWidgets import QLineEdit

    from ui.widgets.positions_table import COLUMNS

    doc = window.document
    view = window.positions_table.view
    col = [c[0] for c in COLUMNS].index("entry_price")

    def edit_cell(text):
        idx = view.model().index(0, col)
        view.setCurrentIndex(idx)
        view.edit(idx)
        editor = view.findChild(QLineEdit)
        assert editor is not None
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key_Return)
        # The delegate commits from the event loop and deletes its editor later; wait for
        # that, or the next edit under load would type into the closing editor.
        qtbot.waitUntil(lambda: not view.findChildren(QLineEdit), timeout=10000)

    edit_cell("97,123.5")
    assert doc.plan.positions[0].entry_price == 97123.5
    edit_cell("1,23")
    assert doc.plan.positions[0].entry_price == 97123.5, "never read as 123 or 1.23"
    model = view.model()
    assert "groups thousands" in model.data(model.index(0, col), Qt.ToolTipRole)


def test_what_if_mark_drag_results_follow(window):
    doc = window.document
    line = window.liquidation_plot.mark_line
    line.setValue(46000.0)
    line.sigPositionChanged.emit(line)
    assert doc.marks["BTCUSDT"] == pytest.approx(46000.0)
    assert "what-if mark" in window.results_panel.thresholds.text()
    assert window.position_form.mark_.value() == pytest.approx(46000.0)
    assert "what-if" in window.position_form.mark_.messageText()
    assert_results_are_engine(window)


def test_number_edit_in_a_comma_decimal_locale(qtbot, type_in):
    from PySide6.QtCore import QLocale

    from ui.widgets.number_edit import NumberEdit, locale_format

    box = NumberEdit(decimals=2, minimum=0.0)
    box.fmt = locale_format(QLocale(QLocale.German, QLocale.Germany))
    qtbot.addWidget(box)
    box.show()
    seen = []
    box.committed.connect(seen.append)
    type_in(box, "97.123,5")
    assert seen == [97123.5] and box.text() == "97.123,50"
    type_in(box, "1,5k")
    assert seen[-1] == 1500.0
    type_in(box, "1.23")  # '.' groups thousands here: never read as 1.23 or 123
    assert box.error() and seen[-1] == 1500.0
