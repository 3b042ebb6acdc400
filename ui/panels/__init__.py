"""Drill and action-plan panels, attached to the main window as docks."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ui.panels.action_panel import ActionPanel
from ui.panels.drills_panel import DrillsPanel


def install_drill_panels(window) -> tuple[DrillsPanel, ActionPanel]:
    """Add the Drills and Action plan docks, wire them to the document and plots, fill the Drills menu."""
    doc = window.document
    drills = DrillsPanel(doc)
    actions = ActionPanel(doc)
    drills_dock = window.add_panel_dock("Drills", drills, Qt.RightDockWidgetArea)
    actions_dock = window.add_panel_dock("Action plan", actions, Qt.RightDockWidgetArea)
    window.tabifyDockWidget(window.funding_dock, drills_dock)
    window.tabifyDockWidget(drills_dock, actions_dock)
    window.funding_dock.raise_()
    drills.sigEquityPath.connect(window.equity_plot.show_path)
    actions.sigApplyPlan.connect(lambda plan, text: doc.apply_plan(plan, text))
    menu = window.menu("Drills")
    for title, tab in (("Shock…", 0), ("Gap and loss waterfall…", 1), ("Partial liquidation…", 2), ("Price path…", 3),
                       ("Event Monte Carlo…", 4), ("Compare profiles…", 5)):
        act = menu.addAction(title)
        act.triggered.connect(lambda _=False, t=tab: (drills_dock.show(), drills_dock.raise_(), drills.tabs.setCurrentIndex(t)))
    menu.addSeparator()
    act = menu.addAction("Action plan…")
    act.triggered.connect(lambda: (actions_dock.show(), actions_dock.raise_(), actions.refresh()))
    menu.addAction("Clear path from equity plot").triggered.connect(window.equity_plot.clear_path)
    window.drills_panel, window.action_panel = drills, actions
    window.drills_dock, window.actions_dock = drills_dock, actions_dock
    actions.refresh()
    return drills, actions
