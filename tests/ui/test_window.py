"""Main window behaviour against the engine's own numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from planner.engine.curves import price_curves
from planner.engine.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[2]


def _engine(doc):
    return evaluate(doc.plan, doc.profile, marks=doc.marks or None)


def test_opens_on_example_plan(window, example_plan):
    doc = window.document
    assert doc.plan.positions[0].symbol == example_plan.positions[0].symbol == "BTCUSDT"
    assert doc.evaluation is not None
    assert window.results_panel.model.rowCount() == len(doc.plan.positions)
    assert "Position Planner" in window.windowTitle()


def test_edit_updates_results_and_plot(window, qtbot):
    doc = window.document
    before = doc.evaluation.legs[0].liquidation_price
    window.position_form.leverage.setValue(20.0)
    assert doc.plan.positions[0].leverage == 20.0
    ev = _engine(doc)
    assert doc.evaluation.legs[0].liquidation_price == pytest.approx(ev.legs[0].liquidation_price, rel=1e-12)
    # isolated_margin is fixed in the example, so switch it to "initial" to see leverage move the price
    window.position_form.isolated.setValue(None)  # empty field = initial margin
    ev = _engine(doc)
    assert doc.evaluation.legs[0].liquidation_price == pytest.approx(ev.legs[0].liquidation_price, rel=1e-12)
    assert doc.evaluation.legs[0].liquidation_price != pytest.approx(before)
    x, y = window.liquidation_plot.equity_curve.getData()
    c = price_curves(doc.plan, doc.profile, "BTCUSDT", x, marks=doc.marks or None)
    np.testing.assert_allclose(y, c.equity)
    _, rq = window.liquidation_plot.requirement_curve.getData()
    np.testing.assert_allclose(rq, c.requirement)
    from ui.widgets.results_panel import COL

    text = window.results_panel.model.data(window.results_panel.model.index(0, COL["liquidation_price"]))
    assert text.replace(",", "").startswith(str(int(ev.legs[0].liquidation_price))[:4])


def test_drag_mark_line_changes_what_if(window):
    doc = window.document
    line = window.liquidation_plot.mark_line
    pnl0 = doc.evaluation.legs[0].unrealized_pnl
    line.setValue(47000.0)
    line.sigPositionChanged.emit(line)
    assert doc.marks["BTCUSDT"] == pytest.approx(47000.0)
    ev = evaluate(doc.plan, doc.profile, marks={"BTCUSDT": 47000.0})
    assert doc.evaluation.legs[0].unrealized_pnl == pytest.approx(ev.legs[0].unrealized_pnl) != pnl0
    assert doc.evaluation.legs[0].mark_price == 47000.0
    assert not doc.is_dirty()  # what-if is not an edit


def test_profile_switch_changes_rule_and_figures(window):
    from planner.io.registry import get_profile

    doc = window.document
    plan = doc.plan
    assert [p.symbol for p in plan.positions] == ["BTCUSDT", "ETHUSDT"]
    bybit = get_profile("bybit-linear")
    assert "BTCUSDT" in bybit.symbols and "ETHUSDT" not in bybit.symbols
    # The switch maps the legs (one undo step): BTCUSDT is listed, ETHUSDT is not and keeps a row with its reason.
    binance_liq = doc.evaluation.legs[0].liquidation_price
    assert doc.set_profile("bybit-linear")
    assert doc.undo_stack.undoText() == f"Switch to {bybit.name}"
    assert doc.profile.id == "bybit-linear" and doc.evaluation.rule == "bybit"
    assert [p.symbol for p in doc.plan.positions] == ["BTCUSDT"]
    assert doc.plan.funding_rates == {"BTCUSDT": pytest.approx(plan.funding_rates["BTCUSDT"])}  # both settle every 8 h
    assert [(m.index, m.source_symbol) for m in doc.unmapped] == [(1, "ETHUSDT")]
    ev = evaluate(doc.plan, bybit)
    assert doc.evaluation.legs[0].liquidation_price == pytest.approx(ev.legs[0].liquidation_price)
    assert doc.evaluation.legs[0].liquidation_price != pytest.approx(binance_liq, rel=1e-9)
    results = window.results_panel.model
    assert results.rowCount() == 2
    assert results.data(results.index(1, 0)) == "— ETHUSDT (was #2)"
    assert results.data(results.index(1, 1)) == f"— not mapped: {bybit.name} lists no ETH perpetual quoted in USD"
    assert "Bybit" in window.status_profile.text() or "bybit" in window.status_profile.text()
    doc.undo_stack.undo()
    assert doc.plan == plan and doc.evaluation.rule == "binance" and doc.unmapped == []
    assert results.rowCount() == 2 and results.data(results.index(1, 0)).startswith("#2 ETHUSDT")


def test_leverage_above_tier_max_is_refused(window):
    doc = window.document
    plan = doc.plan
    window.position_form.leverage.setValue(151.0)  # Binance BTCUSDT tier 1: 150x (2026-03-05 brackets)
    assert doc.plan == plan
    assert doc.draft.positions[0].leverage == 151.0  # nothing typed is lost
    probs = doc.problems_at("positions.0.leverage")
    assert probs and "exceeds the maximum" in probs[0].message
    assert "exceeds the maximum" in window.position_form.leverage.toolTip()
    assert window.position_form.leverage.styleSheet()
    assert doc.evaluation.legs[0].leverage == plan.positions[0].leverage


def test_undo_redo_exact(window):
    doc = window.document
    p0 = doc.plan
    for v in (50001.0, 50002.5, 50003.0):
        window.position_form.entry.setValue(v)
    assert doc.undo_stack.count() == 1  # merged keystrokes of one field
    window.position_form.quantity.setValue(0.5)
    p2 = doc.plan
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.plan == p0 and doc.evaluation.legs[0].entry_price == p0.positions[0].entry_price
    assert window.position_form.entry.value() == p0.positions[0].entry_price
    doc.undo_stack.redo()
    doc.undo_stack.redo()
    assert doc.plan == p2
    assert window.isWindowModified()


def test_invalid_input_keeps_last_valid_plan(window):
    doc = window.document
    plan = doc.plan
    assert not doc.update_position(0, quantity=-1.0)
    assert not doc.update_position(0, entry_price=float("nan"))
    assert not doc.update_account(wallet_balance=1.0)  # isolated margin 5,000 > wallet
    assert doc.plan == plan and doc.evaluation is not None
    assert any(p.path.startswith("account") for p in doc.problems)
    assert not doc.update_plan(funding_rates={"BTCUSDT": 5.0})
    assert doc.plan == plan


def test_screenshot_writes_png(tmp_path):
    out = tmp_path / "shot.png"
    res = subprocess.run(
        [sys.executable, "-m", "ui", "--screenshot", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert res.returncode == 0, res.stderr
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert (img.width(), img.height()) == (1600, 1000)


def test_bad_plan_file_exits_2(tmp_path):
    bad = tmp_path / "bad.plan.json"
    bad.write_text('{"format": "position-plan", "positions": 3}')
    res = subprocess.run(
        [sys.executable, "-m", "ui", str(bad), "--screenshot", str(tmp_path / "x.png")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "bad.plan.json" in res.stderr


def test_close_prompts_when_dirty(window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    asked = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: asked.append(a) or QMessageBox.Cancel))
    window.position_form.quantity.setValue(0.7)
    assert window.document.is_dirty()
    assert not window.close()  # cancelled: the window stays with the edit
    assert asked and window.document.plan.positions[0].quantity == 0.7
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))


def test_equity_plot_matches_funding_curves_and_paths(window):
    from planner.engine.curves import funding_curves

    doc = window.document
    window.funding_panel.horizon.setValue(168.0)
    assert doc.plan.horizon_hours == 168.0
    c = funding_curves(doc.plan, doc.profile, horizon_hours=168.0, n_points=200)
    x, y = window.equity_plot.equity_curve.getData()
    np.testing.assert_allclose(x, c.hours)
    np.testing.assert_allclose(y, c.equity - c.equity[0])  # change from equity now
    sx, _ = window.equity_plot.settlements.getData()
    np.testing.assert_allclose(sx, c.settlement_hours)
    window.funding_panel.rates["BTCUSDT"].setValue(0.05)  # percent per interval
    assert doc.plan.funding_rates["BTCUSDT"] == pytest.approx(0.0005)
    window.equity_plot.show_path(np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]), "drill")
    _px, py = window.equity_plot.path_curve.getData()
    e0 = window.equity_plot.equity_now
    assert list(py + e0) == [1.0, 2.0, 3.0] and window.equity_plot.path_curve.isVisible()
    window.equity_plot.clear_path()
    assert not window.equity_plot.path_curve.isVisible()


def test_margin_dialog_previews_engine_liquidation(window):
    from ui.dialogs.margin_adjust import MarginAdjustDialog

    doc = window.document
    dlg = MarginAdjustDialog(doc, 0, window)
    dlg.amount.setValue(1000.0)
    ev = evaluate(dlg.candidate(), doc.profile)
    from planner.present.format import fmt_price

    assert fmt_price(ev.legs[0].liquidation_price, doc.profile.symbols["BTCUSDT"].tick_size, 1) in dlg.preview.text()
    before = doc.evaluation.legs[0].liquidation_price
    dlg.apply()
    assert doc.plan.positions[0].added_margin == 1000.0
    assert doc.evaluation.legs[0].liquidation_price == pytest.approx(ev.legs[0].liquidation_price)
    assert ev.legs[0].liquidation_price < before
    dlg2 = MarginAdjustDialog(doc, 0, window)
    dlg2.amount.setValue(-5900.0)  # would leave less than maintenance margin: refused, not applied
    assert "refused" in dlg2.preview.text()
    plan = doc.plan
    dlg2.apply()
    assert doc.plan == plan


def test_symbol_box_filters_hundreds_of_symbols_by_typing(window, qtbot):
    from PySide6.QtCore import Qt

    box = window.position_form.symbol
    symbols = window.document.profile.symbols
    assert len(symbols) > 600 and box.count() == len(symbols)  # Binance USD-M: the whole published set
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "pepe")
    completer = box.completer()
    assert completer.filterMode() == Qt.MatchContains
    shown = [completer.completionModel().index(i, 0).data() for i in range(completer.completionModel().rowCount())]
    assert "1000PEPEUSDT" in shown and all("PEPE" in s for s in shown)


def test_data_age_colours_the_capture_date():
    from datetime import date

    from ui.widgets.profile_selector import AMBER, RED, data_age

    assert data_age(date(2026, 3, 5), date(2026, 6, 1))[1] == ""  # under 6 months
    text, colour = data_age(date(2026, 3, 5), date(2026, 11, 25))  # 265 days
    assert colour == AMBER and "over 6" in text and "Import tiers" in text
    text, colour = data_age(date(2022, 2, 11), date(2026, 11, 25))
    assert colour == RED and "over 12" in text


def test_capture_date_label_is_coloured_by_age(window):
    from datetime import date

    from ui.widgets.profile_selector import data_age

    sel = window.profile_selector
    prof = window.document.profile
    assert sel.version.text() == f"data of {prof.version.isoformat()}"
    text, colour = data_age(prof.version, date.today())
    assert (colour in sel.version.styleSheet()) if colour else sel.version.styleSheet() == ""
    assert text in sel.version.toolTip()


def test_cross_wallet_under_water_shows_liquidated_with_the_reason(window):
    """Issue 15 item 8 in the window: with 5,500 USDT, 5,000 of which back the isolated BTC
    leg, the ETH cross leg (uPnL -1,000 at 2,950) is under water: state liquidation, no
    liquidation price, and the reason above the figures."""
    doc = window.document
    window.account_panel.wallet.setValue(5500.0)
    assert doc.plan.account.wallet_balance == 5500.0
    eth = doc.evaluation.legs[1]
    assert eth.state == "liquidation" and eth.liquidation_price is None
    assert "already liquidated" in window.results_panel.thresholds.text()
    from ui.widgets.results_panel import COL

    model = window.results_panel.model
    assert model.data(model.index(1, COL["liquidation_price"])) == "none"
