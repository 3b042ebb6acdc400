"""Issue 10 items 7 and 8: at 1280x720, 1366x768 and 1600x1000 nothing is hidden, covered or behind scroll arrows.

The 10-leg screenshot book is opened as a user would (File › Open's handler), the
window is sized and laid out by View › Reset layout, and the checks read widget
geometry: what a trader sees without scrolling, dragging or hovering.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QMainWindow, QTabBar, QToolButton, QWidget

BOOK = Path(__file__).resolve().parents[1] / "data" / "screenshots" / "book-10-legs.plan.json"
SIZES = [(1280, 720), (1366, 768), (1600, 1000)]


def _menu_action(window, menu: str, text: str):
    return next(a for a in window.menu(menu).actions() if a.text().replace("&", "") == text)


def _laid_out(window, qtbot, size: tuple[int, int]):
    """The 10-leg book at ``size``, after View › Reset layout (the default arrangement for that size)."""
    assert window.open_path(BOOK)
    assert len(window.document.plan.positions) == 10
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=3000)
    _menu_action(window, "View", "Reset layout").trigger()
    qtbot.wait(100)  # the deferred fits (plan split, Results split) run after the docks take their sizes
    return window


def _in_window(widget: QWidget, rect: QRect) -> QRect:
    """``rect`` (in ``widget``'s coordinates) in its window's coordinates."""
    return QRect(widget.mapTo(widget.window(), rect.topLeft()), rect.size())


def _scene_rect_in_window(plot, item) -> QRect:
    """A pyqtgraph item's scene rectangle in window coordinates."""
    view = plot.plot  # the PlotWidget (a QGraphicsView)
    r = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    return _in_window(view.viewport(), r)


def _whole_rows(view) -> int:
    """Rows of a table shown whole in its viewport without scrolling."""
    height = view.viewport().height()
    return sum(
        1
        for r in range(view.model().rowCount())
        if view.rowViewportPosition(r) >= 0 and view.rowViewportPosition(r) + view.rowHeight(r) <= height
    )


def _dock_tab_bar(window) -> QTabBar:
    """The tab bar of the group under Results (Funding, Action plan, Drills, ...)."""
    bars = [
        b
        for b in window.findChildren(QTabBar)
        if isinstance(b.parentWidget(), QMainWindow) and b.isVisible() and "Funding" in [b.tabText(i) for i in range(b.count())]
    ]
    assert len(bars) == 1
    return bars[0]


# -- review item 1: the stale banner covers nothing ------------------------------------


@pytest.mark.parametrize("size", [(1280, 720), (1600, 1000)])
def test_stale_banner_is_visible_and_covers_no_plot_or_legend(window, qtbot, type_in, size):
    _laid_out(window, qtbot, size)
    doc = window.document
    type_in(window.position_form.leverage, "500")  # above the tier's maximum: the plots keep the 10x figures
    assert doc.draft.positions[0].leverage == 500.0 and doc.plan.positions[0].leverage == 10.0
    badges = window.plot_badges
    assert badges
    qtbot.waitUntil(lambda: all(b.isVisible() for b in badges), timeout=3000)
    qtbot.wait(50)
    for badge in badges:
        assert "leg #1 leverage 10x (on screen 500x)" in badge.text()
        strip = _in_window(badge, badge.rect())
        assert strip.height() >= badge.fontMetrics().height(), "the banner shows at least a line of text"
        assert window.rect().contains(strip)
        for plot in (window.liquidation_plot, window.equity_plot):
            # Not over the plot at all (it has its own row in the layout) ...
            assert not strip.intersects(_in_window(plot, plot.rect())), type(plot).__name__
            # ... so neither over the data area nor over any legend entry.
            data = _scene_rect_in_window(plot, plot.plot.getViewBox())
            assert not strip.intersects(data)
            for _sample, label in plot.legend.item.items:
                assert not strip.intersects(_scene_rect_in_window(plot, label.item)), label.text
    assert window.stale_badge.text().startswith("The plots show the last valid plan:")
    # Valid again: the banner goes and the plots take the room back.
    plots_height = window.plots.height()
    type_in(window.position_form.leverage, "20")
    qtbot.waitUntil(lambda: not any(b.isVisible() for b in badges), timeout=3000)
    qtbot.waitUntil(lambda: window.plots.height() > plots_height, timeout=3000)


# -- review item 2: Results uses its height, and its columns fit ---------------------


def _assert_columns_whole(view) -> None:
    assert view.horizontalScrollBar().maximum() == 0, "no sideways scrolling"
    width = view.viewport().width()
    for i in range(view.model().columnCount()):
        if not view.isColumnHidden(i):
            assert view.columnViewportPosition(i) >= 0 and view.columnViewportPosition(i) + view.columnWidth(i) <= width, i


def test_results_at_1600_shows_every_leg_and_column_through_equity_without_scrolling(window, qtbot, type_in):
    _laid_out(window, qtbot, (1600, 1000))
    panel = window.results_panel
    view = panel.view
    full = ["leg", "state", "liquidation_price", "margin_ratio", "unrealized_pnl", "equity"]
    assert panel.visible_columns() == full
    _assert_columns_whole(view)
    assert view.verticalScrollBar().maximum() == 0
    assert _whole_rows(view) == 10
    # The space goes where it is used: under the last leg only the room a stale banner needs
    # (about two rows), and the tab group below (Funding, Drills forms ...) gets the rest of the column.
    row = view.rowHeight(0)
    assert view.viewport().height() - 10 * row <= 3 * row
    assert window.funding_dock.height() >= 450
    assert window.liquidation_plot.width() >= 500  # the plots give Results ~60 px, no more
    # An invalid value: Results' banner appears, the figures are greyed, and still every leg and column shows.
    type_in(window.position_form.leverage, "500")
    qtbot.waitUntil(panel.banner.isVisible, timeout=3000)
    qtbot.wait(50)
    assert panel.visible_columns() == full
    _assert_columns_whole(view)
    assert _whole_rows(view) == 10


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
def test_results_at_laptop_sizes_key_columns_whole_and_every_leg(window, qtbot, size):
    _laid_out(window, qtbot, size)
    panel = window.results_panel
    view = panel.view
    shown = panel.visible_columns()
    assert shown[:4] == ["leg", "state", "liquidation_price", "margin_ratio"]
    _assert_columns_whole(view)
    assert _whole_rows(view) == 10
    assert window.liquidation_plot.width() >= 400


def test_results_grows_with_the_legs_until_the_user_moves_the_split(window, qtbot):
    """The example's 3 legs: Results sized for 6 rows; opening the 10-leg book makes room for all 10."""
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.width() == 1600, timeout=3000)
    _menu_action(window, "View", "Reset layout").trigger()
    qtbot.wait(100)
    small = window.results_dock.height()
    assert window.open_path(BOOK)
    qtbot.waitUntil(lambda: _whole_rows(window.results_panel.view) == 10, timeout=3000)
    assert window.results_dock.height() > small


# -- review item 3: the Plan dock's legs table ---------------------------------------


def test_plan_dock_at_1600_shows_all_ten_legs_and_the_everyday_form(window, qtbot):
    _laid_out(window, qtbot, (1600, 1000))
    table = window.positions_table.view
    assert _whole_rows(table) == 10
    assert table.verticalScrollBar().maximum() == 0
    # The form below shows every field a perpetual leg uses, down to the take-profit, unscrolled.
    area = window.form_area
    assert area.verticalScrollBar().value() == 0
    form = window.position_form
    for field in (form.symbol, form.quantity, form.entry, form.leverage, form.mode, form.isolated, form.stop, form.take_profit):
        bottom = field.mapTo(area.viewport(), QPoint(0, field.height())).y()
        assert bottom <= area.viewport().height(), field
    # Clicking the last leg selects it: it is on screen, not behind a scrollbar.
    rect = table.visualRect(table.model().index(9, 1))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert form.row == 9


def test_plan_dock_at_1280_shows_seven_legs_and_scrolls_the_form(window, qtbot):
    _laid_out(window, qtbot, (1280, 720))
    assert _whole_rows(window.positions_table.view) == 7  # as _fit_plan_split's docstring says
    area, form = window.form_area, window.position_form
    assert form.quantity.mapTo(area.viewport(), QPoint(0, form.quantity.height())).y() <= area.viewport().height()


# -- review item 4: every tab under Results in sight ---------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_every_tab_under_results_is_whole_without_scroll_arrows(window, qtbot, size):
    _laid_out(window, qtbot, size)
    bar = _dock_tab_bar(window)
    titles = [bar.tabText(i) for i in range(bar.count())]
    assert titles == ["Funding", "Action plan", "Drills", "Sizing", "Ladder", "Payoff"]
    for i in range(bar.count()):
        assert bar.rect().contains(bar.tabRect(i)), (titles[i], bar.tabRect(i), bar.rect())
    assert sum(bar.tabSizeHint(i).width() for i in range(bar.count())) <= bar.width()
    assert not any(b.isVisible() for b in bar.findChildren(QToolButton)), "no scroll arrows"
    # Short titles: the full names are the tabs' tooltips and the View menu's entries.
    tips = {bar.tabText(i): bar.tabToolTip(i) for i in range(bar.count())}
    assert tips["Sizing"] == "Size from risk" and tips["Ladder"] == "Scale-in ladder" and tips["Payoff"] == "Payoff"
    view_titles = [a.text() for a in window.menu("View").actions()]
    assert "Size from risk" in view_titles and "Scale-in ladder" in view_titles
    # A click on the last tab brings the Payoff plot up.
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(titles.index("Payoff")).center())
    qtbot.waitUntil(lambda: not window.payoff_dock.visibleRegion().isEmpty(), timeout=3000)
    assert window.payoff_plot.isVisible()


# -- Reset layout restores these defaults --------------------------------------------


def test_reset_layout_restores_the_fitted_defaults(window, qtbot):
    _laid_out(window, qtbot, (1600, 1000))
    want = (window.results_dock.width(), window.results_dock.height(), window.plan_split.sizes())
    # The user rearranges: a narrow, short Results, Payoff dragged out of the tab group, the plan split moved.
    window.resizeDocks([window.results_dock], [480], Qt.Horizontal)
    window.resizeDocks([window.results_dock], [250], Qt.Vertical)
    window.payoff_dock.setFloating(True)
    handle = window.plan_split.handle(1)
    qtbot.mousePress(handle, Qt.LeftButton, pos=handle.rect().center())
    qtbot.mouseMove(handle, pos=handle.rect().center() + QPoint(0, -120))
    qtbot.mouseRelease(handle, Qt.LeftButton, pos=handle.rect().center() + QPoint(0, -120))
    qtbot.wait(50)
    assert window.results_dock.width() < want[0] and window.plan_split.sizes() != want[2]
    _menu_action(window, "View", "Reset layout").trigger()
    qtbot.wait(100)
    assert not window.payoff_dock.isFloating()
    assert abs(window.results_dock.width() - want[0]) <= 2 and abs(window.results_dock.height() - want[1]) <= 2
    assert window.plan_split.sizes() == want[2]
    assert _whole_rows(window.positions_table.view) == 10 and _whole_rows(window.results_panel.view) == 10
    assert "equity" in window.results_panel.visible_columns()
    bar = _dock_tab_bar(window)
    assert [bar.tabText(i) for i in range(bar.count())] == ["Funding", "Action plan", "Drills", "Sizing", "Ladder", "Payoff"]
    assert bar.tabToolTip(3) == "Size from risk"
