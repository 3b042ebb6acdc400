"""One evaluation, one validation and one set of curves per edit; the plots only draw what the document computed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from planner.engine.curves import funding_curves, price_curves


@pytest.fixture
def calls(monkeypatch) -> Counter[str]:
    """Count the engine calls of the document (and fail if a view calls the engine through its module)."""
    import planner.engine.curves as curves_mod
    import planner.engine.evaluate as evaluate_mod
    import planner.engine.validation as validation_mod
    import ui.document as document_mod

    seen: Counter[str] = Counter()

    def counting(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen[name] += 1
            return func(*args, **kwargs)

        return wrapper

    for module in (document_mod, evaluate_mod, curves_mod, validation_mod):
        for name in ("evaluate", "plan_problems", "price_curves", "funding_curves"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counting(name, getattr(module, name)))
    return seen


def test_one_evaluation_per_edit(window, calls) -> None:
    window._action_timer.stop()  # the action plan follows later, off this edit (and off the GUI thread)
    window.action_panel.flush()  # the window's first action plan (on the panel's worker) is not this edit's
    calls.clear()
    window.position_form.leverage.setValue(12.0)  # a user's edit in the form
    assert window.document.plan.positions[0].leverage == 12.0
    assert calls == Counter(evaluate=1, plan_problems=1, price_curves=1, funding_curves=1)
    calls.clear()
    window.document.undo_stack.undo()  # undo replays a plan: evaluated again, once
    assert calls["evaluate"] == 1 and calls["price_curves"] == 1 and calls["funding_curves"] == 1
    calls.clear()
    line = window.liquidation_plot.mark_line  # a what-if drag: no validation, one evaluation
    line.setValue(47000.0)
    assert window.document.marks == {"BTCUSDT": 47000.0}
    assert calls == Counter(evaluate=1, price_curves=1, funding_curves=1)


def test_switching_the_shown_symbol_does_not_evaluate(window, calls) -> None:
    doc = window.document
    window._action_timer.stop()
    window.action_panel.flush()  # the window's first action plan (on the panel's worker) is not this switch's
    calls.clear()
    window.positions_table.select(1)
    window._select_row(1)
    assert doc.focus == "ETHUSDT" == window.liquidation_plot.symbol
    assert calls == Counter(price_curves=1)


def test_plots_draw_the_documents_curves(window) -> None:
    doc = window.document
    window.position_form.quantity.setValue(2.0)
    fig = doc.figures
    assert fig.plan is doc.plan and fig.evaluation is doc.evaluation and fig.symbol == "BTCUSDT"
    x, y = window.liquidation_plot.equity_curve.getData()
    np.testing.assert_array_equal(x, fig.price.prices)
    expected = price_curves(doc.plan, doc.profile, "BTCUSDT", x, marks=doc.marks or None)
    np.testing.assert_allclose(y, expected.equity, rtol=1e-12)
    hx, hy = window.equity_plot.equity_curve.getData()
    expected_f = funding_curves(doc.plan, doc.profile, horizon_hours=doc.plan.horizon_hours, n_points=200)
    np.testing.assert_allclose(hx, expected_f.hours)
    # The equity plot draws the change from equity now (issue 10 item 4: the funding effect at a readable scale).
    np.testing.assert_allclose(hy + expected_f.equity[0], expected_f.equity, rtol=1e-12)
    # Invalid draft: no figures, the plots are empty, the last valid plan stays in the document.
    window.position_form.leverage.setValue(1000.0)
    assert doc.problems and doc.evaluation is not None
