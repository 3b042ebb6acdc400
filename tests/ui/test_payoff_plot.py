"""Payoff dock (issue 13 item 5): the drawn curve is ``payoff(...)``; it follows the plan once per edit, only when shown."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication

from planner.drills.sizing import payoff
from planner.io.plan_files import load_plan

ROOT = Path(__file__).resolve().parents[2]
BOOK10 = ROOT / "tests" / "data" / "screenshots" / "book-10-legs.plan.json"


def _show(win):
    win.payoff_dock.show()
    win.payoff_dock.raise_()
    return win.payoff_plot


def _activate(win, qtbot) -> None:
    """Wait until the new window is active and stays so (offscreen, activation settles some 0.5 s after the first show)."""

    def active() -> bool:
        win.activateWindow()
        QCoreApplication.processEvents()
        return win.isActiveWindow()

    qtbot.waitUntil(active, timeout=5000)


def test_curve_equals_payoff_at_sample_prices_and_zero_crossing(empty_window, qtbot) -> None:
    win = empty_window
    doc = win.document
    doc.load(BOOK10)
    plot = _show(win)
    qtbot.waitUntil(lambda: plot.view is not None, timeout=5000)
    plan, profile = doc.plan, doc.profile
    assert plot.coin.currentText() == "BTCUSDT"
    x, y = plot.curve.getData()
    expected = payoff(plan, profile, "BTCUSDT", n=401, span=0.3)
    np.testing.assert_allclose(x, expected.prices, rtol=0, atol=0)
    np.testing.assert_allclose(y, expected.pnl, rtol=1e-12, atol=1e-9)
    # Sample prices between grid points: the drawn curve agrees with payoff at those prices.
    samples = np.array([45_123.0, 52_000.0, 60_000.0, 71_777.7])
    exact = payoff(plan, profile, "BTCUSDT", samples).pnl
    for p, v in zip(samples, exact, strict=True):
        assert plot.value_at(float(p)) == pytest.approx(float(v), rel=2e-4, abs=0.5)
    # Hand check at the mark (60,000): every leg's PnL at its own mark, i.e. the book's uPnL now (+855 USDT).
    assert float(exact[2]) == pytest.approx(855.0, abs=1e-6)
    assert sum(leg.unrealized_pnl for leg in doc.evaluation.legs) == pytest.approx(855.0, abs=1e-6)
    # The zero crossing: payoff at the break-even is zero, and the curve changes sign there.
    (be,) = plot.view.breakevens
    at = payoff(plan, profile, "BTCUSDT", np.array([be, be - 0.001, be + 0.001])).pnl
    assert abs(float(at[0])) < 1e-4  # a hundredth of a cent
    assert at[1] < 0 < at[2]  # exact to a thousandth of a dollar
    assert plot.value_at(be - 50) < 0 < plot.value_at(be + 50)
    bx, by = plot.break_points.getData()
    assert list(bx) == [be] and list(by) == [0.0]
    # Zones: profit fill is the curve above zero, loss fill below.
    _ax, ay = plot._above.getData()
    _bx2, by2 = plot._below.getData()
    np.testing.assert_array_equal(ay, np.maximum(expected.pnl, 0))
    np.testing.assert_array_equal(by2, np.minimum(expected.pnl, 0))
    # Each leg liquidated on the axis has a marker at payoff's liquidation_on_axis.
    on_axis = [v for v in expected.liquidation_on_axis if v is not None and x[0] <= v <= x[-1]]
    lx, _ly = plot.liq_points.getData()
    assert sorted(lx) == pytest.approx(sorted(on_axis))
    assert plot.mark_line.value() == 60_000.0
    assert "60,000.0" in plot.mark_line.label.toPlainText()
    # Ticks carry thousands separators.
    assert plot.plot.getAxis("bottom").tickStrings([60_000.0], 1.0, 5_000.0) == ["60,000"]


def test_beta_typed_by_the_trader(empty_window, qtbot, type_in) -> None:
    win = empty_window
    doc = win.document
    doc.load(BOOK10)
    plot = _show(win)
    qtbot.waitUntil(lambda: plot.view is not None, timeout=5000)
    _activate(win, qtbot)
    type_in(plot.beta, "0.5, ETH=0.8")
    betas = {"BTCUSDT": 1.0, "ETHUSDT": 0.8, "SOLUSDT": 0.5}
    assert plot.view.betas == betas
    expected = payoff(doc.plan, doc.profile, "BTCUSDT", n=401, span=0.3, beta=betas)
    np.testing.assert_allclose(plot.curve.getData()[1], expected.pnl, rtol=1e-12, atol=1e-9)
    # The other coin on the axis, by its name in the list.
    plot.coin.setCurrentIndex(plot.coin.findText("ETHUSDT"))
    assert plot.view.payoff.symbol == "ETHUSDT"
    assert "BTCUSDT 0.5" in plot.info.text()
    # A beta it cannot read is refused, naming the field; nothing stale is drawn.
    type_in(plot.beta, "ETH=x")
    assert plot.message.isVisible()
    assert "Others' beta: item 1 'ETH=x' is not a beta" in plot.message.text()
    assert plot.view is None and len(plot.curve.getData()[0] or []) == 0


def test_follows_the_plan_once_per_edit_and_only_when_shown(window, qtbot) -> None:
    win = window
    doc = win.document
    plot = win.payoff_plot
    assert not plot.is_shown() and plot.computed == 0  # tabbed behind Funding at start: nothing computed yet
    n0 = plot.computed
    doc.update_position(0, "edit", quantity=2.0)
    doc.update_position(0, "edit", quantity=3.0)
    assert plot.computed == n0  # hidden: nothing computed
    _show(win)
    qtbot.waitUntil(lambda: plot.computed == n0 + 1, timeout=5000)
    assert plot.view is not None and plot.view.payoff.pnl_legs.shape[0] == len(doc.plan.positions)
    n1 = plot.computed
    doc.update_position(0, "edit", quantity=4.0)
    assert plot.computed == n1 + 1  # one computation per edit
    sym = plot.coin.currentText()
    expected = payoff(doc.plan, doc.profile, sym, n=401, span=0.3)
    np.testing.assert_allclose(plot.curve.getData()[1], expected.pnl, rtol=1e-12)
    doc.reset_view()  # figuresChanged without a new plan: no recomputation
    assert plot.computed == n1 + 1
    # A what-if mark dragged on the liquidation plot moves the payoff's mark too.
    doc.set_mark(sym, 51_000.0)
    assert plot.mark_line.value() == 51_000.0
    # Undo restores the earlier curve.
    doc.undo_stack.undo()
    assert plot.view.payoff.pnl_legs.shape[0] == len(doc.plan.positions)


def test_payoff_dock_in_view_menu_and_restorable(window, qtbot) -> None:
    win = window
    texts = [a.text() for a in win.menu("View").actions()]
    assert "Payoff" in texts and "Scale-in ladder" in texts
    win.payoff_dock.close()
    assert not win.payoff_dock.isVisible()
    win.reset_layout()
    assert not win.payoff_dock.isHidden()
    drills = [a for a in win.menu("Drills").actions() if a.text() == "Payoff"]
    drills[0].trigger()
    assert win.payoff_plot.isVisible()


def test_dark_theme_restyles(window) -> None:
    win = window
    win.set_theme("dark", remember=False)
    assert win.payoff_plot.style_.background == "#1e2024"
    win.set_theme("light", remember=False)
    assert win.payoff_plot.style_.background == "#ffffff"


def test_report_has_the_payoff_page(empty_window, qtbot) -> None:
    from ui import report
    from ui.plots.payoff_plot import PayoffSettings

    doc = empty_window.document
    doc.load(BOOK10)
    settings = PayoffSettings("ETHUSDT", "0.9", 0.25)
    images = report.plot_images(doc.figures, scale=1.0, payoff=settings)
    assert set(images) == {"liquidation", "equity", "payoff"}
    img = images["payoff"]
    assert (img.width(), img.height()) == report.PLOT_SIZES["payoff"]
    # The image is a drawn plot, not a blank page: many distinct colours.
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 20
    html_text = report.report_html(doc.figures, [], (), settings, "plot://payoff.png")
    assert "<h2 class='newpage'>Payoff: the book's PnL against ETHUSDT</h2>" in html_text
    assert "<img src='plot://payoff.png'" in html_text
    assert "BTCUSDT 0.9" in html_text and "±25 %" in html_text
    po = payoff(doc.plan, doc.profile, "ETHUSDT", n=401, span=0.25, beta={"BTCUSDT": 0.9, "SOLUSDT": 0.9})
    assert "break-even ETHUSDT price" in html_text
    assert po.liquidation_on_axis[1] is not None
    pdf = report.render_pdf(doc.figures, payoff=settings)
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]


def test_pdf_has_one_page_more_with_the_payoff(qtbot, monkeypatch) -> None:
    import ui.plots.payoff_plot as payoff_plot
    from ui import report
    from ui.document import PlanDocument

    doc = PlanDocument(load_plan(BOOK10))

    def pages(pdf: bytes) -> int:
        return len(re.findall(rb"/Type\s*/Page\b", pdf))

    with_payoff = pages(report.render_pdf(doc.figures))
    monkeypatch.setattr(payoff_plot, "payoff_report_html", lambda *a, **k: "")
    assert pages(report.render_pdf(doc.figures)) == with_payoff - 1


def test_export_report_passes_the_window_choices(window, tmp_path, monkeypatch, qtbot) -> None:
    win = window
    captured = {}
    import ui.files.exports as exports

    def fake_write(figures, path, drills=(), payoff=None):
        captured["payoff"] = payoff
        Path(path).write_bytes(b"%PDF-")
        return Path(path)

    monkeypatch.setattr(exports, "write_report", fake_write)
    plot = _show(win)
    plot.span.setValue(40)
    action = next(a for a in win.findChildren(type(win.menu("File").actions()[0])) if a.text() == "Report (PDF)…")
    monkeypatch.setattr(exports, "_ask_path", lambda *a, **k: tmp_path / "r.pdf")
    action.trigger()
    assert captured["payoff"].span == pytest.approx(0.4)
    assert captured["payoff"].symbol == plot.coin.currentText()


def test_mouse_readout(empty_window, qtbot) -> None:
    win = empty_window
    win.document.load(BOOK10)
    plot = _show(win)
    qtbot.waitUntil(lambda: plot.view is not None, timeout=5000)
    vb = plot.plot.getViewBox()
    scene_pt = vb.mapViewToScene(vb.viewRect().center())
    plot._on_mouse((scene_pt,))
    assert "book PnL" in plot.readout.text() and "USDT" in plot.readout.text()
