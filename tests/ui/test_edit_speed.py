"""Issue 10 speed: the views skip work whose result would not change, and never show an old figure for it.

Each shortcut of the edit path (curves and labels left alone when unchanged, a label
that follows its line, rows of the legs table updated alone, hidden docks rendered
when shown, the max-leverage hint read from the document) has a test here that the
figures on screen still equal ``evaluate`` of the plan on screen.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QLineEdit

from planner.drills.actions import action_plan
from planner.engine.evaluate import evaluate
from planner.engine.tiers import TierTable, max_leverage_at
from planner.engine.validation import formula_quantity
from planner.model.plan import Plan, Position

KINDS = {"Entry": "entry_price", "Margin call": "margin_call_price", "Liq.": "liquidation_price", "Bankr.": "bankruptcy_price"}


def _cross_book(example_plan: Plan) -> Plan:
    """Two BTC cross legs (long 1.0 from 50,000, short 0.4 from 52,000) and the example's ETH cross leg, wallet 15,000."""
    btc = example_plan.positions[0]
    legs = [
        Position.model_validate({**btc.model_dump(), "margin_mode": "cross", "isolated_margin": None}),
        Position(symbol="BTCUSDT", side="short", quantity=0.4, entry_price=52000.0, mark_price=50000.0, leverage=10, margin_mode="cross"),
        example_plan.positions[1],
    ]
    return example_plan.model_copy(update={"positions": legs})


@pytest.fixture
def cross_window(window):
    """The window on :func:`_cross_book` (opened as a file would be), BTC shown in the liquidation plot."""
    doc = window.document
    doc.apply_plan(_cross_book(doc.plan), "cross book")
    window.positions_table.select(0)
    window._select_row(0)
    assert doc.evaluation is not None and doc.focus == "BTCUSDT"
    return window


def _level_labels(plot) -> list[tuple[str, list[int], float, object]]:
    """(kind field, leg indexes, label price, line) of every shown level label ("Liq. #1,#2 45,180.8")."""
    out = []
    for line in plot.level_lines:
        if not line.isVisible():
            continue
        m = re.match(r"^(Entry|Margin call|Liq\.|Bankr\.) ((?:#\d+,?)+) (-?[\d,]+(?:\.\d+)?)$", line.label.toPlainText())
        assert m, line.label.toPlainText()
        legs = [int(t) - 1 for t in m.group(2).replace("#", "").split(",")]
        out.append((KINDS[m.group(1)], legs, float(m.group(3).replace(",", "")), line))
    return out


def assert_plot_shows_evaluate(window) -> None:
    """Every level line and its label carry evaluate's price (the label to one tick), and the label sits at its line."""
    doc, plot = window.document, window.liquidation_plot
    ev = evaluate(doc.plan, doc.profile, marks=doc.marks or None)
    tick = doc.profile.symbols[plot.symbol].tick_size
    shown = _level_labels(plot)
    want = {(k, l.index) for l in ev.legs if l.symbol == plot.symbol for k in KINDS.values() if getattr(l, k) is not None}
    assert {(k, i) for k, legs, _, _ in shown for i in legs} == want
    vb = plot.plot.getViewBox()
    for kind, legs, price, line in shown:
        for i in legs:
            exact = getattr(ev.legs[i], kind)
            assert float(line.value()) == pytest.approx(exact, rel=1e-12), (kind, i)
            assert abs(price - exact) <= tick * 1.0001, (kind, i, price, exact)
        if line.label.isVisible():
            x = vb.mapViewToScene(QPointF(float(line.value()), 0.0)).x()
            rect = line.label.sceneBoundingRect()
            assert min(abs(rect.left() - x), abs(rect.right() - x)) <= plot.LABEL_GAP + 2, "the label sits at its line"


def _edit_cell(qtbot, view, row: int, col: int, text: str) -> None:
    """Type ``text`` into a cell of the legs table (the current leg stays the current leg)."""
    idx = view.model().index(row, col)
    view.edit(idx)
    editor = view.findChild(QLineEdit)
    assert editor is not None
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.wait(30)  # the delegate commits from the event loop


def test_a_mark_only_edit_moves_every_level_and_label(cross_window, qtbot) -> None:
    window = cross_window
    doc, plot = window.document, window.liquidation_plot
    assert_plot_shows_evaluate(window)
    before = {(kind, tuple(legs)): price for kind, legs, price, _ in _level_labels(plot)}
    from ui.widgets.positions_table import COLUMNS

    # ETH's mark is the only change: the BTC legs' cross liquidation prices move, their entries do not.
    _edit_cell(qtbot, window.positions_table.view, 2, [c[0] for c in COLUMNS].index("mark_price"), "2,400")
    assert doc.plan.positions[2].mark_price == 2400.0 and doc.focus == "BTCUSDT"
    after = {(kind, tuple(legs)): price for kind, legs, price, _ in _level_labels(plot)}
    assert after[("entry_price", (0,))] == before[("entry_price", (0,))]
    moved = [k for k in after if k[0] != "entry_price" and after[k] != before.get(k)]
    assert moved, "the cross levels moved with ETH's mark"
    assert_plot_shows_evaluate(window)
    # A what-if drag of the shown symbol's mark: every level is evaluate's at the new mark.
    plot.mark_line.setValue(49000.0)
    assert doc.marks == {"BTCUSDT": 49000.0}
    assert_plot_shows_evaluate(window)
    assert "49,000" in plot.mark_line.label.toPlainText()


def test_labels_follow_their_lines_after_a_zoom(cross_window, type_in) -> None:
    window = cross_window
    plot = window.liquidation_plot
    type_in(window.position_form.entry, "50,500")
    assert_plot_shows_evaluate(window)
    plot.plot.getViewBox().setXRange(44000.0, 56000.0, padding=0)  # the view moves under the lines
    assert_plot_shows_evaluate(window)


def test_unchanged_curves_are_not_redrawn_and_changed_ones_are(cross_window, type_in, monkeypatch) -> None:
    window = cross_window
    doc, plot = window.document, window.liquidation_plot
    calls: list[str] = []
    for name in ("equity_curve", "requirement_curve"):
        item = getattr(plot, name)
        original = item.setData
        monkeypatch.setattr(item, "setData", lambda *a, _n=name, _f=original, **k: (calls.append(_n), _f(*a, **k))[1])
    type_in(window.position_form.entry, "50,500")  # entry: equity moves, maintenance margin (at the marks) does not
    assert calls == ["equity_curve"]
    c = doc.figures.price
    x, y = plot.equity_curve.getData()
    np.testing.assert_array_equal(x, c.prices)
    np.testing.assert_array_equal(y, c.equity)
    _, rq = plot.requirement_curve.getData()
    np.testing.assert_array_equal(rq, c.requirement)
    calls.clear()
    type_in(window.position_form.quantity, "1.5")  # size: both move
    assert sorted(calls) == ["equity_curve", "requirement_curve"]
    _, rq = plot.requirement_curve.getData()
    np.testing.assert_array_equal(rq, doc.figures.price.requirement)


def test_shortfall_shading_is_where_equity_is_below_maintenance(cross_window) -> None:
    plot = cross_window.liquidation_plot
    c = cross_window.document.figures.price
    path = plot.shortfall.path()
    short = np.flatnonzero(c.equity < c.requirement - 1.0)
    safe = np.flatnonzero(c.equity > c.requirement + 1.0)
    assert short.size and safe.size
    for i in short[:: max(1, short.size // 20)]:
        assert path.contains(QPointF(c.prices[i], (c.equity[i] + c.requirement[i]) / 2)), c.prices[i]
    for i in safe[:: max(1, safe.size // 20)]:
        assert not path.contains(QPointF(c.prices[i], (c.equity[i] + c.requirement[i]) / 2)), c.prices[i]


def test_legs_table_updates_only_the_rows_that_changed(cross_window, qtbot, type_in) -> None:
    window = cross_window
    model = window.positions_table.model
    spans: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: spans.append((a.row(), b.row())))
    type_in(window.position_form.quantity, "1.25")  # leg #1 only
    assert spans == [(0, 0)]
    from ui.widgets.positions_table import COLUMNS

    col = [c[0] for c in COLUMNS].index("quantity")
    assert model.data(model.index(0, col)) == "1.25"
    spans.clear()
    window.liquidation_plot.mark_line.setValue(48000.0)  # what-if BTC mark: both BTC rows show it
    assert spans == [(0, 1)]
    mark_col = [c[0] for c in COLUMNS].index("mark_price")
    assert model.data(model.index(1, mark_col)) == "48,000*"  # a what-if mark: "*", italic, the plan's mark in the tooltip
    assert model.data(model.index(2, mark_col)) == "2,950"


def test_max_leverage_hint_is_the_documents_figure(cross_window, type_in) -> None:
    import ui.widgets.position_form as form_mod

    assert not hasattr(form_mod, "max_leverage_at"), "the form renders the document's figure, it computes none"
    window = cross_window
    doc, form = window.document, window.position_form
    type_in(form.quantity, "40")  # 40 BTC at 50,000: a higher tier, a lower cap
    ev = evaluate(doc.plan, doc.profile)
    assert doc.max_leverage(0) == ev.legs[0].max_leverage
    assert form.leverage.messageText() == f"max {ev.legs[0].max_leverage:g}x for this size on {doc.profile.name}"
    type_in(form.leverage, "50")
    assert doc.plan.positions[0].leverage == 50.0
    # A refused size (50x is above the cap of 400 BTC): the hint is the draft's cap, not the plan's.
    type_in(form.quantity, "400")
    assert doc.draft.positions[0].quantity == 400.0 and doc.plan.positions[0].quantity == 40.0
    spec = doc.profile.symbols["BTCUSDT"]
    pos = doc.draft.positions[0]
    cap = float(max_leverage_at(formula_quantity(pos, spec), pos.entry_price, TierTable.from_spec(spec)))
    assert cap < 50 and doc.max_leverage(0) == cap
    assert f"{cap:g}x" in form.leverage.messageText()


def test_hidden_results_are_rendered_when_shown(cross_window, type_in, qtbot) -> None:
    from ui.widgets.results_panel import COL

    window = cross_window
    doc, panel = window.document, window.results_panel
    window.results_dock.close()
    qtbot.waitUntil(lambda: not panel.isVisible())
    type_in(window.position_form.entry, "51,000")
    assert doc.plan.positions[0].entry_price == 51000.0
    assert panel.is_parked() and panel.model.ev is not doc.evaluation, "a closed dock renders nothing"
    window.results_dock.show()
    qtbot.waitUntil(panel.isVisible)
    ev = evaluate(doc.plan, doc.profile, marks=doc.marks or None)
    assert panel.model.ev is doc.evaluation
    model = panel.model
    for row, leg in enumerate(ev.legs):
        assert model.data(model.index(row, COL["liquidation_price"])) == model.text("liquidation_price", leg)
        assert model.data(model.index(row, COL["equity"])) == model.text("equity", leg)
    assert ev.accounts[0].currency in panel.account.text()
    assert panel.account_lines == [panel.account_line(a) for a in ev.accounts]


def test_action_plan_waits_while_tabbed_away_and_follows_when_shown(cross_window, qtbot) -> None:
    from ui.main_window import ACTION_PLAN_DELAY_MS

    window = cross_window
    doc, panel = window.document, window.action_panel
    window.funding_dock.raise_()  # the Action plan tab is behind Funding
    qtbot.waitUntil(lambda: window.actions_dock.visibleRegion().isEmpty())
    window.flush_action_plan()
    assert panel.flush()
    shown = panel.result
    assert doc.update_account(wallet_balance=doc.plan.account.wallet_balance * 0.5)
    qtbot.wait(ACTION_PLAN_DELAY_MS + 200)
    assert panel.result is shown and not panel.pending, "nothing computed for a tab nobody sees"
    window.show_action_plan()
    want = action_plan(doc.plan, doc.profile, marks=dict(doc.marks) or None)
    assert want != shown
    assert panel.flush() and panel.result == want


def test_opening_a_window_computes_no_action_plan_for_a_tab_nobody_sees(cross_window, qtbot) -> None:
    """A big book opens without a background action plan competing with the first edits."""
    from ui.main_window import ACTION_PLAN_DELAY_MS

    window = cross_window
    panel = window.action_panel
    qtbot.waitUntil(lambda: window.actions_dock.visibleRegion().isEmpty())  # the default layout tabs it behind Results
    qtbot.wait(ACTION_PLAN_DELAY_MS + 200)
    assert panel._jobs.generation == 0 and panel.result is None
    window.show_action_plan()
    doc = window.document
    assert panel.flush() and panel.result == action_plan(doc.plan, doc.profile, marks=dict(doc.marks) or None)


def test_results_tabbed_away_are_rendered_when_their_tab_is_raised(cross_window, type_in, qtbot) -> None:
    from ui.widgets.results_panel import COL

    window = cross_window
    doc, panel = window.document, window.results_panel
    window.tabifyDockWidget(window.funding_dock, window.results_dock)
    window.funding_dock.raise_()
    qtbot.waitUntil(panel.is_parked)
    type_in(window.position_form.quantity, "0.8")
    assert doc.plan.positions[0].quantity == 0.8
    assert panel.model.ev is not doc.evaluation, "a tab behind another renders nothing"
    window.results_dock.raise_()
    qtbot.waitUntil(lambda: not panel.is_parked())
    ev = evaluate(doc.plan, doc.profile, marks=doc.marks or None)
    assert panel.model.ev is doc.evaluation
    model = panel.model
    for row, leg in enumerate(ev.legs):
        assert model.data(model.index(row, COL["liquidation_price"])) == model.text("liquidation_price", leg)
        assert model.data(model.index(row, COL["margin_ratio"])) == model.text("margin_ratio", leg)
    assert panel.account_lines == [panel.account_line(a) for a in ev.accounts]
