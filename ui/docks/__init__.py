"""Dock panels of the main window: the action plan and the drills (built by ``MainWindow``)."""

from __future__ import annotations

from ui.docks.action_panel import ActionPanel
from ui.docks.drills_panel import DrillsPanel

__all__ = ["ActionPanel", "DrillsPanel"]
