"""Issue 14 in the window: the margin-model choice, PM liquidation in the plots, the PM report section.

Every PM figure on screen must be the engine's for the plan on screen
(``evaluate(...).portfolio``); the choice is one undo step; venues without a
portfolio rule do not offer it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.enums import MarginModel
from planner.present.format import fmt_money
from ui.widgets.results_panel import COL

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "deribit-hedged-portfolio.plan.json"


@pytest.fixture
def standard_copy(tmp_path: Path) -> Path:
    """The Deribit hedged example on standard margin, segregated collateral (the user then picks Portfolio, Cross)."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["account"]["margin_model"] = "standard"
    data["account"]["portfolio_collateral"] = "segregated"
    out = tmp_path / "hedged-standard.plan.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def ctrl_z(window, qtbot) -> None:
    """Ctrl+Z as a user presses it: the window must be active for its shortcut (busy machines activate late)."""

    def active() -> bool:
        window.activateWindow()
        return QApplication.activeWindow() is window

    qtbot.waitUntil(active, timeout=15000)
    steps = window.document.undo_stack.index()
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.document.undo_stack.index() == steps - 1, timeout=5000)


def open_plan(window, qtbot, path: Path) -> None:
    assert window.open_path(path)
    qtbot.waitUntil(lambda: window.document.evaluation is not None, timeout=5000)


def test_choose_portfolio_shows_engine_pm_figures_and_undo_restores_standard(window, qtbot, standard_copy, choose_in):
    doc, panel = window.document, window.account_panel
    open_plan(window, qtbot, standard_copy)
    assert panel.model.isEnabled() and panel.model.currentData() == "standard"
    assert not panel.form.isRowVisible(panel.collateral)  # collateral only under portfolio margin
    assert doc.evaluation.portfolio is None and not window.liquidation_plot.pm_note.isVisible()
    steps = doc.undo_stack.count()

    choose_in(panel.model, "portfolio")
    assert doc.plan.account.margin_model is MarginModel.PORTFOLIO
    assert doc.undo_stack.count() == steps + 1
    assert panel.form.isRowVisible(panel.collateral) and panel.collateral.currentData() == "segregated"
    choose_in(panel.collateral, "cross")
    assert doc.plan.account.portfolio_collateral == "cross" and doc.undo_stack.count() == steps + 2

    # The engine on the plan on screen: the example's documented X:PM figures.
    pm = evaluate(doc.plan, get_profile("deribit")).portfolio
    assert pm is not None
    (usd,) = pm.accounts
    assert usd.maintenance_margin == pytest.approx(1760.0) and usd.standard_maintenance_margin == pytest.approx(2212.2)
    window.results_panel.refresh()
    line = next(line for line in window.results_panel.account_lines if "Portfolio margin USD" in line)
    assert "PM&nbsp;MM&nbsp;1,760.00" in line and "Saves&nbsp;452.20" in line
    model = window.results_panel.model
    header = [model.headerData(i, Qt.Horizontal) for i in range(model.columnCount())]
    assert "Std liq." in header and "Std state" in header and "Margin ratio" in header

    # The price plot: the PM liquidation as a price of the shown symbol = mark x (1 + the engine's common move).
    plot = window.liquidation_plot
    sym = doc.figures.symbol
    assert sym is not None
    mark = doc.figures.mark
    assert usd.liquidation_move_down is None and usd.liquidation_move_up == pytest.approx(24.2083, abs=1e-4)
    (line_up,) = [l for l in plot.pm_lines if l.isVisible()]
    assert float(line_up.value()) == pytest.approx(mark * (1 + usd.liquidation_move_up))
    assert line_up.label.toPlainText().startswith("PM liq. ")
    assert "1,760.00 USD" in line_up.toolTip() and "every underlying moves together" in line_up.toolTip()
    assert plot.pm_note.isVisible() and "X:PM" in plot.pm_note.text() and "2,420.83%" in plot.pm_note.text()
    # The per-leg levels are standard margin's, labelled so.
    labels = [l.label.toPlainText() for l in plot.level_lines if l.isVisible()]
    assert any(t.startswith("Std Liq.") for t in labels) and not any(t.startswith("Liq.") for t in labels)
    # The equity plot: PM account in USD, the plot in BTC -> stated in the text, not drawn.
    assert "25,000.00 USD vs 1,760.00 USD" in window.equity_plot.info.text()
    assert not window.equity_plot.pm_line.isVisible()

    # Ctrl+Z twice: back to segregated, then to standard; no PM figure stays on screen.
    ctrl_z(window, qtbot)
    assert doc.plan.account.portfolio_collateral == "segregated" and panel.collateral.currentData() == "segregated"
    ctrl_z(window, qtbot)
    assert doc.plan.account.margin_model is MarginModel.STANDARD and panel.model.currentData() == "standard"
    assert doc.evaluation.portfolio is None
    assert model.headerData(COL["liquidation_price"], Qt.Horizontal) == "Liq. price"
    assert not any(l.isVisible() for l in plot.pm_lines) and not plot.pm_note.isVisible()
    assert not any(l.label.toPlainText().startswith("Std ") for l in plot.level_lines if l.isVisible())


def test_segregated_pm_line_in_equity_plot_is_engine_mm(window, qtbot, choose_in):
    """Segregated: the BTC account is the plot's currency, so the PM threshold line = PM MM - equity (engine)."""
    doc, panel = window.document, window.account_panel
    open_plan(window, qtbot, EXAMPLE)
    choose_in(panel.collateral, "segregated")
    assert doc.focus == "BTC-PERPETUAL"  # the first row's leg, settled in BTC
    pm = evaluate(doc.plan, get_profile("deribit")).portfolio
    btc = next(a for a in pm.accounts if a.currency == "BTC")
    eq = window.equity_plot
    assert eq.pm_line.isVisible()
    assert float(eq.pm_line.value()) == pytest.approx(btc.maintenance_margin - btc.equity)
    assert f"{fmt_money(btc.equity, 'BTC')} vs {fmt_money(btc.maintenance_margin, 'BTC')}" in eq.info.text()
    assert "S:PM, BTC account" in window.liquidation_plot.pm_note.text()
    levels = doc.figures.portfolio_levels
    assert [(lv.account, lv.direction) for lv in levels] == [("BTC", "down")]  # the BTC account: -3.30 % together
    for lv, line in zip(levels, [l for l in window.liquidation_plot.pm_lines if l.isVisible()], strict=True):
        move = btc.liquidation_move_down if lv.direction == "down" else btc.liquidation_move_up
        assert float(line.value()) == pytest.approx(doc.figures.mark * (1 + move))
    # The USDC account (the 1.2 BTC USDC-settled short alone) is past its PM MM: the plot of its leg says so.
    usdc = next(a for a in pm.accounts if a.currency == "USDC")
    assert usdc.state == "liquidation" and usdc.maintenance_margin == pytest.approx(16320.0)
    doc.set_focus("BTC_USDC-PERPETUAL")
    assert doc.figures.portfolio_levels == ()
    assert "USDC account): equity is already at or below the portfolio MM" in window.liquidation_plot.pm_note.text()
    assert not any(l.isVisible() for l in window.liquidation_plot.pm_lines)


def test_margin_model_disabled_on_binance_with_reason(window, qtbot, standard_copy):
    doc, panel = window.document, window.account_panel
    open_plan(window, qtbot, standard_copy)
    assert doc.set_profile("binance-usdm")
    qtbot.waitUntil(lambda: doc.profile.id == "binance-usdm", timeout=5000)
    assert not panel.model.isEnabled()
    assert "Not available on Binance" in panel.model.toolTip() and "deribit" in panel.model.toolTip()
    assert not panel.model_problem.isVisible()


def test_pm_plan_moved_to_binance_is_marked_at_the_field_and_fixable(window, qtbot, choose_in):
    """map_plan keeps margin_model: on Binance the PM plan is invalid, marked at the choice (never a traceback),
    the figures stay the last valid plan's (stale), and choosing Standard makes every figure current again."""
    doc, panel = window.document, window.account_panel
    open_plan(window, qtbot, EXAMPLE)
    doc.set_profile("binance-usdm")
    assert doc.draft.profile_id == "binance-usdm" and doc.plan.profile_id == "deribit"  # figures: last valid plan
    assert any(p.path == "account.margin_model" for p in doc.problems)
    assert panel.model.isEnabled()  # so the user can set it back
    assert panel.model_problem.isVisible() and "'portfolio' needs a profile with a portfolio_margin rule" in panel.model_problem.text()
    assert "portfolio_margin rule" in panel.model.toolTip()
    window.results_panel.refresh()
    assert window.results_panel.banner.text()  # stale figures say so
    choose_in(panel.model, "standard")
    assert doc.plan.profile_id == "binance-usdm" and doc.plan.account.margin_model is MarginModel.STANDARD
    assert not doc.problems and not panel.model_problem.isVisible() and not panel.model.isEnabled()


def test_report_has_portfolio_section(window, qtbot, tmp_path):
    import subprocess

    from ui.report import report_html, write_report

    doc = window.document
    open_plan(window, qtbot, EXAMPLE)
    pdf = write_report(doc.figures, tmp_path / "pm.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Portfolio margin" in text and "Accounts (standard margin; portfolio margin below)" in text
    assert "1,760.00 USD" in text and "not published" in text
    html = report_html(doc.figures, [])
    assert "<h2>Portfolio margin</h2>" in html
    for text in ("cross (X:PM", "1,760.00 USD", "2,200.00 USD", "2,212.20 USD", "saves 452.20 USD", "n/a / 2,420.83%", "not published"):
        assert text in html, text
    assert "BTC-PERPETUAL 2,520,833.0 (up 2,420.83%" in html
    doc.update_account(text="standard", margin_model="standard")
    assert "<h2>Portfolio margin</h2>" not in report_html(doc.figures, [])
