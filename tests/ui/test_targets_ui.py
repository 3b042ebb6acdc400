"""Issue 13 items 1-3 in the window: the size box, stops and take-profits on legs, the plot's zones."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from planner.drills.sizing import size_from_risk
from planner.io.plan_files import load_plan
from planner.io.registry import get_profile
from planner.present.format import fmt_money, fmt_price
from ui.widgets.positions_table import COLUMNS

USDM = get_profile("binance-usdm")


def _size_box(window, type_in, *, entry: str, stop: str, wallet: str = "10,000", risk: str = "1%", leverage: str = "10"):
    panel = window.size_panel
    window.show_size_box()
    panel.symbol.setEditText("BTCUSDT")
    panel._symbol_changed()
    type_in(panel.wallet, wallet)
    type_in(panel.risk.edit, risk)
    type_in(panel.entry, entry)
    type_in(panel.leverage, leverage)
    type_in(panel.stop, stop)
    return panel


def test_size_box_shows_size_from_risk_of_what_is_on_screen(window, type_in) -> None:
    panel = _size_box(window, type_in, entry="50k", stop="49,000")
    r = panel.result
    assert r is not None
    # What is on screen, read back from the fields, sized by the engine directly.
    expected = size_from_risk(
        USDM,
        panel.symbol.currentText(),
        panel.side.currentData(),
        entry=panel.entry.value(),
        stop=panel.stop.value(),
        wallet=panel.wallet.value(),
        risk=panel.risk.text(),
        leverage=panel.leverage.value(),
        slippage=panel.slippage.value() / 100.0,
    )
    assert (panel.entry.value(), panel.stop.value(), panel.wallet.value(), panel.leverage.value()) == (50_000.0, 49_000.0, 10_000.0, 10.0)
    # Hand-computed: per BTC 1,000 + taker 0.05 % of (50,000 + 49,000) = 1,049.5; risk 1 % of 10,000 = 100.
    assert r.quantity == pytest.approx(100.0 / 1049.5, rel=1e-12)
    assert r.quantity == expected.quantity and r.liquidation_price == expected.liquidation_price
    out = {k: v.text() for k, v in panel.out.items()}
    assert out["quantity"].startswith(f"{expected.quantity:,.8g} BTC")
    assert "order 0.095 BTC" in out["quantity"]
    assert out["risk_amount"].startswith("100.00 USDT")
    # The invariant: the loss at the stop (fees included) is the risk.
    assert out["loss_at_stop"].startswith(fmt_money(expected.risk_amount, "USDT"))
    assert math.isclose(expected.loss_at_stop, expected.risk_amount, rel_tol=1e-12)
    assert out["initial_margin"].startswith(fmt_money(expected.initial_margin, "USDT"))
    assert fmt_money(expected.initial_margin, "USDT") == "476.42 USDT"  # 0.0952835 * 50,000 / 10
    assert out["liquidation_price"].startswith(fmt_price(expected.liquidation_price, 0.1, 1))
    assert out["loss_at_gap"].startswith(fmt_money(expected.loss_at_gap, "USDT"))
    assert "49,902.0" not in out["loss_at_gap"] and fmt_price(49_000 * 0.998, 0.1) in out["loss_at_gap"]
    assert out["max_open"].startswith(f"{expected.max_quantity:,.6g} BTC")
    assert "Max Open" in panel.out["max_open"].toolTip() and "Binance" in panel.out["max_open"].toolTip()
    assert panel.add_btn.isEnabled() and panel.refusal.text() == ""


def test_size_box_refuses_a_leverage_that_liquidates_before_the_stop(window, type_in) -> None:
    panel = _size_box(window, type_in, entry="50,000", stop="49,000", leverage="60")
    assert panel.result is None and not panel.add_btn.isEnabled()
    expected_use = math.floor(
        size_from_risk(USDM, "BTCUSDT", "long", entry=50_000, stop=49_000, wallet=10_000, risk="1%", leverage=10).max_safe_leverage
    )
    assert f"use at most {expected_use}x" in panel.refusal.text()
    assert panel.leverage.messageText() == f"use at most {expected_use}x"
    assert panel.leverage.text().startswith("60")  # nothing typed is lost


def test_size_box_stop_on_the_wrong_side_is_named_at_the_field(window, type_in) -> None:
    panel = _size_box(window, type_in, entry="50,000", stop="51,000")
    assert panel.result is None
    assert "stop must be below the entry 50000" in panel.stop.messageText()
    assert panel.stop.text().replace(",", "").startswith("51000")
    type_in(panel.stop, "49,000")
    assert panel.result is not None and panel.stop.messageText() == ""
    type_in(panel.risk.edit, "12%x")
    assert panel.result is None
    assert "'12%x' is not a risk" in panel.risk.messageText()
    assert panel.risk.text() == "12%x"
    type_in(panel.risk.edit, "20000")
    assert "more than the wallet" in panel.risk.messageText()


def test_add_as_leg_is_one_undo_step(window, type_in, qtbot) -> None:
    doc = window.document
    n = len(doc.plan.positions)
    panel = _size_box(window, type_in, entry="50,000", stop="49,000")
    qtbot.mouseClick(panel.add_btn, Qt.LeftButton)
    assert len(doc.plan.positions) == n + 1
    leg = doc.plan.positions[-1]
    assert (leg.symbol, leg.side.value, leg.quantity, leg.entry_price, leg.leverage, leg.stop_price) == (
        "BTCUSDT",
        "long",
        0.095,
        50_000.0,
        10.0,
        49_000.0,
    )
    assert leg.margin_mode.value == "isolated"
    window.activateWindow()
    qtbot.keyClick(window.positions_table.view, Qt.Key_Z, Qt.ControlModifier)
    assert len(doc.plan.positions) == n


def test_stop_and_take_profit_typed_in_the_form_reach_table_and_plot(window, type_in) -> None:
    doc, form, plot = window.document, window.position_form, window.liquidation_plot
    window.positions_table.select(0)
    pos = doc.plan.positions[0]
    assert (pos.symbol, pos.side.value, pos.entry_price) == ("BTCUSDT", "long", 50_000.0)
    type_in(form.stop, "48k")
    type_in(form.take_profit, "54,000")
    pos = doc.plan.positions[0]
    assert (pos.stop_price, pos.take_profit_price) == (48_000.0, 54_000.0)
    # Table: the new columns show the prices and the document's R:R.
    model = window.positions_table.model
    col = {name: i for i, (name, _h) in enumerate(COLUMNS)}
    assert model.data(model.index(0, col["stop_price"])) == "48,000"
    assert model.data(model.index(0, col["take_profit_price"])) == "54,000"
    t = doc.figures.targets[0]
    # 1 BTC long at 50,000, taker 0.05 %: stop loss 2,000 + 49 = 2,049; TP gain 4,000 - 52 = 3,948.
    assert t.stop.pnl == pytest.approx(-2_049.0) and t.take_profit.pnl == pytest.approx(3_948.0)
    assert model.data(model.index(0, col["reward_risk"])) == f"{3_948 / 2_049:.2f}" == "1.93"
    assert "PnL -2,049.00 USDT" in model.data(model.index(0, col["stop_price"]), Qt.ToolTipRole)
    assert "ROE" in form.targets_label.text() and "R:R 1.93" in form.targets_label.text()
    # Plot: a stop and a take-profit line at the typed prices, the zones between them and the entry.
    lines = {(l.kind, float(l.value())) for l in plot.level_lines if l.isVisible()}
    assert ("stop", 48_000.0) in lines and ("take_profit", 54_000.0) in lines
    zones = {(z.kind, tuple(z.getRegion())) for z in plot.zones if z.isVisible()}
    assert zones == {("loss_zone", (48_000.0, 50_000.0)), ("profit_zone", (50_000.0, 54_000.0))}
    labels = [l.label for l in plot.level_lines if l.isVisible() and l.label.isVisible()]
    assert any("Stop #1" in lb.toPlainText() for lb in labels) and any("TP #1" in lb.toPlainText() for lb in labels)
    rects = [lb.sceneBoundingRect() for lb in labels]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])  # no label over another


def test_target_roe_price_in_the_form(window, type_in) -> None:
    form, doc = window.position_form, window.document
    window.positions_table.select(0)
    type_in(form.target_roe, "50")
    assert doc.target_roe == 0.5
    # 10x long at 50,000: +50 % ROE at 50,000 * (1 + 0.5 / 10) = 52,500.
    assert doc.figures.targets[0].roe_price == pytest.approx(52_500.0)
    assert "52,500.0" in form.target_roe.messageText()


def test_stop_on_the_wrong_side_in_the_form_keeps_the_text(window, type_in) -> None:
    doc, form = window.document, window.position_form
    window.positions_table.select(0)
    before = doc.plan
    type_in(form.stop, "51000")
    assert doc.plan is before
    assert "below the entry 50000" in form.stop.messageText()
    assert form.stop.text() == "51,000.0"  # the typed value stays (formatted), not the old empty field
    type_in(form.stop, "48,000")
    assert doc.plan.positions[0].stop_price == 48_000.0 and form.stop.messageText() == ""
    # An entry that puts the stop on the wrong side is refused at the entry too, the typed entry kept.
    type_in(form.entry, "47,000")
    assert doc.plan.positions[0].entry_price == 50_000.0
    assert "stop must be below the entry 47000" in form.entry.messageText()
    assert form.entry.text() == "47,000.0"


def test_plan_with_stop_and_take_profit_reopens_with_them(window, type_in, tmp_path: Path) -> None:
    doc, form = window.document, window.position_form
    window.positions_table.select(0)
    type_in(form.stop, "47,500")
    type_in(form.take_profit, "55,000")
    path = doc.save(tmp_path / "stops.plan.json")
    assert (load_plan(path).positions[0].stop_price, load_plan(path).positions[0].take_profit_price) == (47_500.0, 55_000.0)
    doc.new()
    assert window.open_path(path)
    window.positions_table.select(0)
    assert (form.stop.value(), form.take_profit.value()) == (47_500.0, 55_000.0)
    assert {l.kind for l in window.liquidation_plot.level_lines if l.isVisible()} >= {"stop", "take_profit"}


def test_report_lists_stops_and_take_profits(window, type_in) -> None:
    from ui.report import report_html

    doc = window.document
    assert "Stops and take-profits" not in report_html(doc.figures, [])
    window.positions_table.select(0)
    type_in(window.position_form.stop, "49,000")
    type_in(window.position_form.take_profit, "52,000")
    html = report_html(doc.figures, [])
    assert "<h2>Stops and take-profits</h2>" in html
    # 1 BTC long at 50,000, taker 0.05 %: -1,049.50 at the stop, +1,949.00 at the take-profit, R:R 1.86.
    for cell in ("49,000.0", "-1,049.50 USDT", "52,000.0", "+1,949.00 USDT", "1.86"):
        assert f"<td>{cell}</td>" in html


def test_stop_beyond_liquidation_is_called_out(window, type_in) -> None:
    doc, form, plot = window.document, window.position_form, window.liquidation_plot
    window.positions_table.select(0)
    type_in(form.stop, "44,000")  # 10x isolated long at 50,000: liquidated near 45,181 first
    t = doc.figures.targets[0]
    assert t.liquidation_first and t.liquidation_price == doc.evaluation.legs[0].liquidation_price
    assert "comes before the stop" in form.targets_label.text()
    texts = [l.label.toPlainText() for l in plot.level_lines if l.isVisible() and l.kind == "stop"]
    assert texts == ["Stop #1 44,000.0 (after liq.)"]
    zone = next(z for z in plot.zones if z.isVisible() and z.kind == "loss_zone")
    assert "PnL -" in zone.toolTip() and "Stop 44,000.0" in zone.toolTip()


def test_size_box_new_symbol_takes_its_mark_and_drops_the_old_prices(window, type_in) -> None:
    panel = _size_box(window, type_in, entry="50,000", stop="49,000")
    assert panel.result is not None
    panel.symbol.setEditText("ETHUSDT")
    panel._symbol_changed()
    eth = next(p for p in window.document.plan.positions if p.symbol == "ETHUSDT")
    assert panel.entry.value() == eth.mark and panel.stop.value() is None and panel.result is None
    assert panel.entry.suffix() == "USDT"
    panel.symbol.setEditText("SOLUSDT")  # not in the example plan: no price to offer
    panel._symbol_changed()
    assert panel.entry.value() is None and "Type an entry and a stop" in panel.summary.text()
