"""Action panel: the action plan runs on the panel's worker; "Updating…" at once, the latest context's steps after."""

from __future__ import annotations

import threading

import pytest

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
        assert panel.pending and not panel.tree.isEnabled() and not panel.apply_button.isEnabled()
        assert not panel.apply_step(0)
    assert not panel.pending and panel.tree.isEnabled()
    assert panel.header.text() == expected.trigger
    assert panel.tree.topLevelItemCount() == len(expected.steps)
    assert [panel.tree.topLevelItem(i).text(0) for i in range(len(expected.steps))] == [f"{s.number}. {s.title}" for s in expected.steps]
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    assert panel.apply_button.isEnabled()  # the first step (a transfer) changes the plan


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
    assert panel.tree.topLevelItemCount() == len(want.steps)


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
