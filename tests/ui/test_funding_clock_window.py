"""The equity plot's funding settlements sit at the venue's UTC times after the plan's as_of (hand-computed hours).

Binance settles 8 h symbols at 00:00, 08:00, 16:00 UTC; from as_of 2026-12-20 09:30 UTC the
settlements within 72 h are 6.5, 14.5, ..., 70.5 h (nine), not 8, 16, ..., 72 h.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planner.engine.curves import funding_curves

PLAN = {
    "format": "position-plan",
    "version": 2,
    "name": "BTC long, clock 09:30 UTC",
    "profile": "binance-usdm",
    "as_of": "2026-12-20T09:30:00Z",
    "account": {"wallet_balance": 10000.0},
    "positions": [
        {
            "symbol": "BTCUSDT",
            "side": "long",
            "quantity": 0.1,
            "entry_price": 100000.0,
            "mark_price": 100000.0,
            "leverage": 10,
            "margin_mode": "cross",
        }
    ],
    "funding_rates": {"BTCUSDT": 0.0001},
    "horizon_hours": 72,
}
FROM_0930 = [6.5, 14.5, 22.5, 30.5, 38.5, 46.5, 54.5, 62.5, 70.5]


@pytest.fixture
def clock_window(window, tmp_path: Path):
    path = tmp_path / "clock.plan.json"
    path.write_text(json.dumps(PLAN), encoding="utf-8")
    window.document.load(path)
    return window


def test_settlement_markers_start_from_the_plans_as_of(clock_window, type_in):
    plot = clock_window.equity_plot
    assert plot.plot.getPlotItem().getAxis("bottom").labelText == "Hours from 2026-12-20 09:30 UTC"
    xs, ys = (np.asarray(a, dtype=float) for a in plot.settlements.getData())
    assert xs.tolist() == FROM_0930
    # 0.1 BTC x 100,000 x 0.01 % = 1.00 USDT at each: the dots step down by one each.
    assert ys.tolist() == pytest.approx([-1.0 * k for k in range(1, 10)])
    # The user doubles the rate in the Funding panel: same hours, 2.00 USDT each, 18.00 in all.
    type_in(clock_window.funding_panel.rates["BTCUSDT"], "0.02")
    doc = clock_window.document
    assert doc.plan.funding_rates["BTCUSDT"] == pytest.approx(0.0002)
    xs, ys = (np.asarray(a, dtype=float) for a in plot.settlements.getData())
    assert xs.tolist() == FROM_0930
    assert ys.tolist() == pytest.approx([-2.0 * k for k in range(1, 10)])
    hours, change = (np.asarray(a, dtype=float) for a in plot.equity_curve.getData())
    assert np.all(change[hours < 6.5] == 0.0), "nothing is paid before 16:00 UTC"
    assert change[-1] == pytest.approx(-18.0)
    # The engine's answer for the plan on screen, and the words saying what the schedule assumes.
    want = funding_curves(doc.plan, doc.profile, horizon_hours=72.0)
    assert want.settlement_hours.tolist() == FROM_0930 and float(want.funding_paid[-1]) == pytest.approx(18.0)
    assert plot.info.text().startswith("Funding over 72 h from 2026-12-20 09:30 UTC: -18.00 USDT to the account")
    assert (
        "BTCUSDT: 8 h funding settled at 00:00, 08:00, 16:00 UTC: first settlement 6.5 h after the plan's as_of 2026-12-20 09:30 UTC"
    ) in plot.info.toolTip()


def test_report_states_the_funding_schedule(clock_window):
    from ui.report import report_html

    html = report_html(clock_window.document.figures, [])
    assert "first settlement 6.5 h after the plan&#x27;s as_of 2026-12-20 09:30 UTC" in html


def test_without_as_of_the_tooltip_says_hour_zero_is_midnight(window):
    plot = window.equity_plot
    assert window.document.plan.as_of is None
    xs = np.asarray(plot.settlements.getData()[0], dtype=float)
    assert xs.size and xs[0] == 8.0 and np.all(np.diff(xs) == 8.0)
    assert "the plan has no as_of, so hour 0 (now) is taken as 00:00 UTC" in plot.info.toolTip()
