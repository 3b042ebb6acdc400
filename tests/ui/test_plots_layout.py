"""Issue 10 items 4 and 8: the plots tell the truth at any size, and the window fits a laptop.

Driven like a user (keystrokes, clicks, menu actions); plots checked through their
items (line values, label texts and rectangles, view ranges), not pixels.
"""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from planner.model.plan import Position
from ui.plots.axes import grouped_ticks


def _number(text: str) -> float:
    """The price at the end of a level label ("Liq. #1 45,180.8" -> 45180.8)."""
    m = re.search(r"(-?[\d,]+(?:\.\d+)?)\s*$", text)
    assert m, text
    return float(m.group(1).replace(",", ""))


def _shown_lines(plot):
    return [l for l in plot.level_lines if l.isVisible()]


def _menu_action(window, menu: str, text: str):
    return next(a for a in window.menu(menu).actions() if a.text().replace("&", "") == text)


def _wheel(plot, steps: int = 2) -> None:
    """Scroll the mouse wheel over the plot's data (a user zoom)."""
    view = plot.plot
    pos = QPointF(view.viewport().rect().center())
    for _ in range(steps):
        ev = QWheelEvent(
            pos, QPointF(view.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False
        )
        QApplication.sendEvent(view.viewport(), ev)


def _assert_levels_in_view(plot, figures) -> None:
    (x0, x1), _ = plot.plot.getViewBox().viewRange()
    levels = plot.key_levels(figures)
    assert levels
    for v in levels:
        assert x0 <= v <= x1, (v, x0, x1)


def assert_labels_are_line_values(plot) -> None:
    tick = plot._tick
    lines = _shown_lines(plot)
    assert lines
    for line in lines:
        text = line.label.toPlainText()
        assert abs(_number(text) - float(line.value())) <= tick, (text, line.value())


# -- item 4 -----------------------------------------------------------------------


def test_labels_show_the_new_plans_prices_after_new_and_add_leg(window, qtbot, type_in):
    plot = window.liquidation_plot
    old = {line.label.toPlainText() for line in _shown_lines(plot)}
    assert any("45,180.8" in t for t in old)  # the example's liquidation price
    window.file_new()
    assert not _shown_lines(plot)
    qtbot.mouseClick(window.positions_table.add_btn, Qt.LeftButton)
    doc = window.document
    assert len(doc.plan.positions) == 1
    assert_labels_are_line_values(plot)
    type_in(window.position_form.entry, "61,000")
    assert doc.plan.positions[0].entry_price == 61000.0
    assert_labels_are_line_values(plot)
    entry_labels = [l.label.toPlainText() for l in _shown_lines(plot) if l.kind == "entry"]
    assert entry_labels == ["Entry #1 61,000.0"]
    _assert_levels_in_view(plot, doc.figures)


def test_view_refits_on_edits_unless_user_zoomed(window, qtbot, type_in):
    plot, doc = window.liquidation_plot, window.document
    type_in(window.position_form.entry, "80,000")  # the example's view is ~44-51k
    assert doc.plan.positions[0].entry_price == 80000.0
    _assert_levels_in_view(plot, doc.figures)
    x, _ = plot.equity_curve.getData()
    assert x[0] <= min(plot.key_levels(doc.figures)) and x[-1] >= max(plot.key_levels(doc.figures)), "curves cover the levels"
    _wheel(plot)
    assert plot.user_zoomed
    zoomed = plot.plot.getViewBox().viewRange()[0]
    type_in(window.position_form.entry, "20,000")
    assert plot.plot.getViewBox().viewRange()[0] == pytest.approx(zoomed), "a user's zoom is kept"
    _menu_action(window, "View", "Reset plot zoom").trigger()
    assert not plot.user_zoomed
    _assert_levels_in_view(plot, doc.figures)
    # The plot's own context menu has "Reset zoom" too.
    _wheel(plot)
    assert plot.user_zoomed
    menu = plot.plot.getViewBox().menu
    reset = [a for a in menu.actions() if a.isVisible()]
    assert [a.text() for a in reset] == ["Reset zoom"]
    reset[0].trigger()
    assert not plot.user_zoomed
    _assert_levels_in_view(plot, doc.figures)


def test_mark_typed_outside_the_view_refits(window, type_in):
    plot, doc = window.liquidation_plot, window.document
    type_in(window.position_form.mark_, "70,000")
    assert doc.plan.positions[0].mark == 70000.0
    _assert_levels_in_view(plot, doc.figures)
    assert_labels_are_line_values(plot)


def test_labels_never_overlap_at_six_legs(window, qtbot):
    doc = window.document
    base = doc.plan.positions[0]
    legs = [
        base.model_copy(update={"entry_price": 50000.0 + 150.0 * i, "leverage": float(lev), "isolated_margin": None})
        for i, lev in enumerate((5, 8, 10, 12, 15, 20))
    ]
    account = doc.plan.account.model_copy(update={"wallet_balance": 100000.0})
    new = doc.plan.model_copy(update={"positions": legs, "funding_rates": {"BTCUSDT": 0.0001}, "account": account})
    assert doc.apply_plan(new, "six legs"), doc.problems
    window.positions_table.select(0)
    qtbot.wait(50)
    plot = window.liquidation_plot
    assert isinstance(doc.plan.positions[5], Position) and len(doc.plan.positions) == 6
    lines = _shown_lines(plot)
    assert len(lines) >= 18  # entry, margin call, liquidation, bankruptcy per leg (equal ones merged)
    assert_labels_are_line_values(plot)
    assert plot.hidden_labels == 0
    rects = [l.label.sceneBoundingRect() for l in lines] + [plot.mark_line.label.sceneBoundingRect()]
    for a, b in combinations(rects, 2):
        assert not a.intersects(b), (a, b)
    view = plot.plot.getViewBox().sceneBoundingRect()
    for r in rects:
        assert view.contains(r), "labels stay inside the plot"
    # At 1280x720 the view is ~270 px tall: labels that find no free row are hidden, never overlapped.
    window.resize(1280, 720)
    qtbot.wait(50)
    window.default_dock_sizes()
    # The legend's rows and the view's height settle over a few layout passes (longer on a loaded machine).
    qtbot.waitUntil(lambda: len([l for l in lines if l.label.isVisible()]) >= 16, timeout=3000)
    shown = [l for l in lines if l.label.isVisible()]
    assert len(shown) + plot.hidden_labels == len(lines) and len(shown) >= 16
    rects = [l.label.sceneBoundingRect() for l in shown] + [plot.mark_line.label.sceneBoundingRect()]
    for a, b in combinations(rects, 2):
        assert not a.intersects(b), (a, b)


def test_legend_sits_above_the_data(window):
    for plot in (window.liquidation_plot, window.equity_plot):
        view = plot.plot.getViewBox().sceneBoundingRect()
        items = plot.legend.item.items
        assert len(items) >= 3
        for _sample, label in items:
            assert label.item.sceneBoundingRect().bottom() <= view.top() + 1, label.text


def test_axis_ticks_group_thousands_without_si_prefix(window):
    assert grouped_ticks([45000.0, 50000.0], 1.0, 5000.0) == ["45,000", "50,000"]
    assert grouped_ticks([1234567.5, 1234568.0], 1.0, 0.5) == ["1,234,567.5", "1,234,568.0"]
    assert grouped_ticks([0.001, 0.002], 1.0, 0.001) == ["0.001", "0.002"]
    assert grouped_ticks([-0.0, 10.0], 1.0, 10.0) == ["0", "10"]
    for plot in (window.liquidation_plot, window.equity_plot):
        for name in ("bottom", "left"):
            axis = plot.plot.getAxis(name)
            assert axis.autoSIPrefix is False
            values = [v for _spacing, vs in axis.tickValues(*axis.range, axis.size().width() or 400) for v in vs]
            strings = axis.tickStrings([45000.0], 1.0, 1000.0)
            assert strings == ["45,000"]
            assert "x0.001" not in axis.labelString() and "(x" not in axis.labelString()
            assert values


def test_equity_plot_shows_the_funding_effect_at_a_readable_scale(window):
    plot, doc = window.equity_plot, window.document
    c = doc.figures.funding
    _, y = plot.equity_curve.getData()
    np.testing.assert_allclose(y, c.equity - c.equity[0])
    drain = float(c.equity[-1] - c.equity[0])
    assert drain == pytest.approx(-98.1)  # 9 settlements of -10.9 USDT on the example
    _, (y0, y1) = plot.plot.getViewBox().viewRange()
    assert y0 <= drain < 0 <= y1
    assert y1 - y0 < 3 * abs(drain), "the staircase fills the plot instead of a flat line far above zero"
    assert "equity now 14,000.00 USDT" in plot.info.text()


def test_equity_plot_follows_the_wallet_of_the_selected_leg(window, qtbot):
    """COIN-M with a BTC and an ETH wallet: clicking the ETH leg shows the ETH wallet's funding, not BTC's."""
    from planner.engine.curves import funding_curves
    from planner.io.registry import get_profile
    from planner.model.plan import Plan
    from ui.document import FUNDING_POINTS

    doc = window.document
    plan = Plan.model_validate(
        {
            "profile": "binance-coinm",
            "account": {"wallet_balance": 1.0, "balances": {"ETH": 10.0}},
            "positions": [
                {"symbol": "BTCUSD_PERP", "side": "long", "quantity": 100, "entry_price": 60000.0, "leverage": 10, "margin_mode": "cross"},
                {"symbol": "ETHUSD_PERP", "side": "short", "quantity": 200, "entry_price": 3000.0, "leverage": 10, "margin_mode": "cross"},
            ],
            "funding_rates": {"BTCUSD_PERP": 0.0001, "ETHUSD_PERP": 0.0003},
        }
    )
    doc.apply_plan(plan, "two wallets")
    prof = get_profile("binance-coinm")
    view = window.positions_table.view
    for row, wallet in ((1, "ETH"), (0, "BTC")):
        rect = view.visualRect(view.model().index(row, 0))
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
        c = window.equity_plot.curves
        assert c is not None and c.currency == wallet
        want = funding_curves(doc.plan, prof, horizon_hours=doc.plan.horizon_hours, currency=wallet, n_points=FUNDING_POINTS)
        np.testing.assert_allclose(c.equity, want.equity)
        _, y = window.equity_plot.equity_curve.getData()
        np.testing.assert_allclose(y, want.equity - want.equity[0])
        assert f"Equity change ({wallet})" in window.equity_plot.plot.getAxis("left").labelText
        assert wallet in window.equity_plot.info.text()


# -- item 8 -----------------------------------------------------------------------


def test_fits_1280x720_and_never_resizes_itself(window, qtbot, type_in):
    assert window.minimumSizeHint().width() <= 1280 and window.minimumSizeHint().height() <= 720
    window.resize(1280, 720)
    qtbot.wait(50)
    window.default_dock_sizes()
    qtbot.wait(50)
    size = window.size()
    assert (size.width(), size.height()) == (1280, 720)
    # The plots keep a usable width, Results a usable height (the Drills forms scroll).
    assert window.liquidation_plot.width() >= 400
    assert window.results_dock.height() >= 300
    type_in(window.account_panel.wallet, "1m")
    type_in(window.position_form.entry, "97,123.5")
    type_in(window.position_form.leverage, "25")
    for _ in range(8):
        qtbot.mouseClick(window.positions_table.add_btn, Qt.LeftButton)
    type_in(window.position_form.entry, "3,000")
    window.flush_action_plan()
    window.show_drill(4)
    qtbot.wait(50)
    assert len(window.document.plan.positions) == 10
    assert (window.width(), window.height()) == (1280, 720), "edits never resize the window"
    assert window.minimumSizeHint().width() <= 1280


def test_view_menu_lists_every_dock_and_reset_layout_restores_them(window, qtbot):
    titles = [a.text() for a in window.menu("View").actions()]
    for dock in window.docks():
        assert window.dock_name(dock) in titles  # the full name, also for the short tabs "Sizing" and "Ladder"
        assert dock.toggleViewAction().isCheckable()
    assert {"Size from risk", "Scale-in ladder", "Payoff", "Action plan"} <= set(titles)
    assert "Reset layout" in titles
    window.results_dock.toggleViewAction().trigger()  # close Results from View
    window.plan_dock.close()  # and Plan by its close button
    window.drills_dock.setFloating(True)
    qtbot.wait(20)
    assert not window.results_dock.isVisible() and not window.plan_dock.isVisible()
    _menu_action(window, "View", "Reset layout").trigger()
    qtbot.wait(20)
    for dock in window.docks():
        assert not dock.isFloating()
    assert window.results_dock.isVisible() and window.plan_dock.isVisible() and window.funding_dock.isVisible()
    assert window.dockWidgetArea(window.plan_dock) == Qt.LeftDockWidgetArea
    assert window.dockWidgetArea(window.results_dock) == Qt.RightDockWidgetArea
    assert set(window.tabifiedDockWidgets(window.funding_dock)) == {
        window.actions_dock,
        window.drills_dock,
        window.size_dock,
        window.ladder_dock,
        window.payoff_dock,
    }


def test_closed_dock_persists_and_reopens_from_view(window, qtbot):
    from ui.main_window import MainWindow

    window.funding_dock.toggleViewAction().trigger()
    window.results_dock.close()
    window.close()  # saves the layout
    second = MainWindow(window.document, restore=True)
    qtbot.addWidget(second)
    second.show()
    qtbot.wait(20)
    assert not second.funding_dock.isVisible() and not second.results_dock.isVisible()
    assert not second.results_dock.toggleViewAction().isChecked()
    second.results_dock.toggleViewAction().trigger()
    second.funding_dock.toggleViewAction().trigger()
    qtbot.wait(20)
    assert second.results_dock.isVisible() and second.funding_dock.isVisible()
    assert not second.results_dock.isFloating()
    assert second.results_dock.width() > 100 and second.results_dock.height() > 100
    second.close()
    third = MainWindow(window.document, restore=True)
    qtbot.addWidget(third)
    third.show()
    qtbot.wait(20)
    assert third.results_dock.isVisible() and third.funding_dock.isVisible()
