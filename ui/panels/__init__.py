"""Drill and action-plan panels, installed into the main window as docks."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget

from ui.panels.action_panel import ActionPanel
from ui.panels.drills_panel import DrillsPanel

__all__ = ["ActionPanel", "DrillsPanel", "install_drill_panels"]


def install_drill_panels(window) -> tuple[ActionPanel, DrillsPanel]:
    """Add the Action plan and Drills docks to ``window`` and wire them to its document."""
    doc = window.document
    actions, drills = ActionPanel(), DrillsPanel()
    window.action_panel, window.drills_panel = actions, drills
    actions_dock = window.add_panel_dock("Action plan", actions)
    drills_dock = window.add_panel_dock("Drills", drills)
    # Share the space under Results as tabs, so the figures keep their room.
    window.tabifyDockWidget(window.funding_dock, actions_dock)
    window.tabifyDockWidget(actions_dock, drills_dock)
    window.funding_dock.raise_()

    from PySide6.QtCore import QTimer

    def refresh_actions() -> None:
        actions.set_context(doc.plan, doc.profile, doc.evaluation, marks=dict(doc.marks) or None)

    # The action plan re-evaluates the account a few dozen times (~50-100 ms), so it follows
    # an edit once typing pauses instead of slowing every keystroke and mark drag.
    timer = QTimer(window)
    timer.setSingleShot(True)
    timer.setInterval(300)
    timer.timeout.connect(refresh_actions)

    def flush_action_plan() -> None:
        timer.stop()
        refresh_actions()

    window.flush_action_plan = flush_action_plan

    def refresh(plan, evaluation) -> None:
        drills.set_context(plan, doc.profile, evaluation)
        timer.start()

    doc.changed.connect(refresh)
    actions.sigApplyPlan.connect(doc.apply_plan)
    drills.sigEquityPath.connect(window.equity_plot.show_path)
    menu = window.menu("Drills")
    for title, index in (
        ("Shock", 0),
        ("Gap / slippage", 1),
        ("Partial liquidation", 2),
        ("Price path", 3),
        ("Event drill", 4),
        ("Profile comparison", 5),
    ):
        act = menu.addAction(title)
        act.triggered.connect(lambda _=False, i=index: _show_tab(drills_dock, drills, i))
    act = menu.addAction("Action plan")
    act.triggered.connect(lambda _=False: (actions_dock.show(), actions_dock.raise_()))
    drills.set_context(doc.plan, doc.profile, doc.evaluation)
    refresh_actions()
    return actions, drills


def _show_tab(dock: QDockWidget, drills: DrillsPanel, index: int) -> None:
    dock.show()
    dock.raise_()
    drills.tabs.setCurrentIndex(index)
