"""The Results account summary shows the portfolio-margin requirement beside the standard one (PM plans only)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pm_plan_shows_portfolio_line_with_tooltip(window, qtbot):
    doc = window.document
    panel = window.results_panel
    assert not any("Portfolio margin" in line for line in panel.account_lines)  # a standard plan: no PM line
    assert window.open_path(ROOT / "examples" / "deribit-hedged-portfolio.plan.json")
    qtbot.waitUntil(lambda: doc.evaluation is not None and doc.evaluation.portfolio is not None, timeout=5000)
    panel.refresh()
    line = next(line for line in panel.account_lines if "Portfolio margin USD" in line)
    assert "PM&nbsp;MM&nbsp;1,760.00" in line and "Standard&nbsp;MM&nbsp;2,212.20" in line and "Saves&nbsp;452.20" in line
    tip = panel.account.toolTip()
    assert "cross (X:PM)" in tip and "BTC ±16%" in tip and "MM = IM × 0.8" in tip
