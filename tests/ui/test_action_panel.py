"""Action panel: the action plan runs on the panel's worker; "Updating…" at once, the latest context's steps after."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

import ui.docks.action_panel as action_panel_mod
from planner.drills.actions import action_plan
from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.plan import Account, Plan, Position
from ui.docks import ActionPanel


def _plan(mark: float, wallet: float) -> Plan:
    """A cross BTC long 0.2 @ 50,000 at 20x: marked 47,220 on 600 USDT it is in a margin call; 50,000 on 20,000 it is safe."""
    return Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=wallet),
        positions=[
            Position(symbol="BTCUSDT", side="long", quantity=0.2, entry_price=50000.0, mark_price=mark, leverage=20.0, margin_mode="cross")
        ],
        horizon_hours=24.0,
    )


@pytest.fixture
def profile():
    return get_profile("binance-usdm")


def test_shows_updating_then_the_steps(qtbot, profile):
    plan = _plan(47220.0, 600.0)
    expected = action_plan(plan, profile)
    panel = ActionPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.sigUpdated, timeout=20000):
        panel.set_context(plan, profile, evaluate(plan, profile))
        # set_context returned before the computation: the panel says so and offers nothing to apply.
        assert panel.header.text() == "Updating…"
        assert panel.pending and not panel.steps_view.isEnabled()
        assert not panel.apply_step(0)
    assert not panel.pending and panel.steps_view.isEnabled()
    assert panel.header.text() == expected.trigger
    assert len(panel.cards) == len(expected.steps)
    assert [c.title.text() for c in panel.cards] == [f"{s.number}. {s.title}" for s in expected.steps]
    assert panel.cards[0].apply_button is not None  # the first step (a transfer) changes the plan


def test_superseded_computation_is_never_shown(qtbot, profile, monkeypatch):
    """The first context's computation is held until the second context is set; its result is dropped."""
    stale, fresh = _plan(47220.0, 600.0), _plan(50000.0, 20000.0)
    release_stale, release_fresh = threading.Event(), threading.Event()
    stale_started, stale_done = threading.Event(), threading.Event()
    real = action_plan

    def held(plan, profile, **kw):
        result = real(plan, profile, **kw)
        if plan is stale:
            stale_started.set()
            assert release_stale.wait(20)
            stale_done.set()
        else:
            assert release_fresh.wait(20)
        return result

    monkeypatch.setattr(action_panel_mod, "action_plan", held)
    panel = ActionPanel()
    qtbot.addWidget(panel)
    shown: list[str] = []
    panel.sigUpdated.connect(lambda: shown.append(panel.header.text()))
    panel.set_context(stale, profile)
    qtbot.waitUntil(stale_started.is_set, timeout=20000)  # the stale computation is running on the worker
    panel.set_context(fresh, profile)
    assert panel.header.text() == "Updating…"
    release_stale.set()
    qtbot.waitUntil(stale_done.is_set, timeout=20000)
    qtbot.wait(100)  # the stale result's queued notice is delivered and dropped
    assert shown == [] and panel.result is None and panel.header.text() == "Updating…"
    with qtbot.waitSignal(panel.sigUpdated, timeout=20000):
        release_fresh.set()
    want = real(fresh, profile)
    assert shown == [want.trigger] and not want.in_margin_call
    assert panel.result == want
    assert len(panel.cards) == len(want.steps)


def test_a_burst_of_contexts_shows_only_the_last(qtbot, profile, monkeypatch):
    """Six contexts in one pass of the event loop: one computation (the last), one update shown."""
    computed: list[Plan] = []

    def counting(plan, profile, **kw):
        computed.append(plan)
        return action_plan(plan, profile, **kw)

    monkeypatch.setattr(action_panel_mod, "action_plan", counting)
    panel = ActionPanel()
    qtbot.addWidget(panel)
    shown: list[str] = []
    panel.sigUpdated.connect(lambda: shown.append(panel.header.text()))
    plans = [_plan(47220.0 + 100.0 * k, 600.0) for k in range(6)]
    for p in plans:
        panel.set_context(p, profile)
    assert panel.flush()
    qtbot.wait(50)
    last = action_plan(plans[-1], profile)
    assert shown == [last.trigger]
    assert panel.result == last
    assert computed == [plans[-1]]


def test_window_edit_updates_the_action_plan_off_the_gui_thread(window, qtbot, monkeypatch):
    doc, panel = window.document, window.action_panel
    window.show_action_plan()  # a tabbed-away action plan waits until it is shown (test below)
    assert panel.flush()
    before = panel.result
    threads: list[threading.Thread] = []

    def recording(plan, profile, **kw):
        threads.append(threading.current_thread())
        return action_plan(plan, profile, **kw)

    monkeypatch.setattr(action_panel_mod, "action_plan", recording)
    assert doc.update_account(wallet_balance=doc.plan.account.wallet_balance * 0.5)
    want = action_plan(doc.plan, doc.profile, marks=dict(doc.marks) or None)
    assert want != before
    qtbot.waitUntil(lambda: panel.result == want and not panel.pending, timeout=10000)  # after the edit pause
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert panel.header.text() == want.trigger


def _two_btc_legs() -> Plan:
    """Cross BTC/ETH/SOL legs plus #4, an isolated BTC 0.5 long at 20x from 95,000, marked 90,680: #4 is in a margin call."""
    legs = [
        ("BTCUSDT", "long", 0.1, 95000.0, 90680.0, 10.0, "cross"),
        ("ETHUSDT", "long", 2.0, 3000.0, 3000.0, 10.0, "cross"),
        ("SOLUSDT", "short", 10.0, 150.0, 150.0, 5.0, "cross"),
        ("BTCUSDT", "long", 0.5, 95000.0, 90680.0, 20.0, "isolated"),
    ]
    return Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=20000.0),
        positions=[
            Position(symbol=s, side=side, quantity=q, entry_price=e, mark_price=m, leverage=lev, margin_mode=mode)
            for s, side, q, e, m, lev, mode in legs
        ],
        funding_rates={"BTCUSDT": 0.0001},
        horizon_hours=24.0,
    )


def test_steps_are_shown_whole_and_wrapped_at_1200_px(qtbot, profile):
    """At 1,200 px every title, detail and figure line is on screen in full: wide labels, tall enough for their wrapped text."""
    from planner.drills.actions import RANKING_RULE

    plan = _two_btc_legs()
    want = action_plan(plan, profile)
    panel = ActionPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 900)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_context(plan, profile)
    assert panel.flush()
    qtbot.wait(50)  # layouts settle
    assert panel.header.text().startswith("Margin call on #4 BTCUSDT isolated (0.07 % from liquidation)")
    assert panel.header.toolTip() == RANKING_RULE == panel.steps_view.toolTip()
    assert [c.title.text() for c in panel.cards] == [f"{s.number}. {s.title}" for s in want.steps]
    assert [c.detail.text() for c in panel.cards] == [s.detail for s in want.steps]
    viewport = panel.steps_view.viewport().width()
    assert viewport > 1100
    wrapped = 0
    for card in panel.cards:
        for label in (card.title, card.detail) + ((card.figures,) if card.figures.text() else ()):
            assert label.isVisible()
            assert label.width() >= viewport - 40, (label.text(), label.width())  # the card's full width, not ~100 px
            need = label.heightForWidth(label.width())
            assert label.height() >= need, (label.text(), label.height(), need)  # every wrapped line is shown
            line = label.fontMetrics().height()
            if label.fontMetrics().horizontalAdvance(label.text()) > label.width():
                wrapped += 1
                assert label.height() >= 2 * line  # wrapped, not cut
    assert wrapped >= 1  # at least one detail is longer than a line at this width
    # The stop-loss for #4 says it is too late rather than proposing a price below liquidation.
    assert any(
        c.title.text().endswith("Too late for a stop on #4 BTCUSDT isolated: liquidation comes first at 90,612.45") for c in panel.cards
    )
    # Apply is a click on the step's own button.
    first = panel.cards[0]
    assert first.apply_button is not None and first.apply_button.isVisible()
    with qtbot.waitSignal(panel.sigApplyPlan, timeout=2000) as sig:
        qtbot.mouseClick(first.apply_button, Qt.MouseButton.LeftButton)
    assert sig.args[0] == want.steps[0].plan_after
    assert evaluate(sig.args[0], profile).legs[3].distance_to_liquidation == pytest.approx(0.10, rel=1e-6)
