"""File features of the window: autosave and recovery, exports, profile import and editing."""

from __future__ import annotations

from ui.files.exports import export_grid_csv, export_plot_pngs, export_positions_csv, export_report
from ui.files.profiles import check_snapshot, edit_profile_dialog, import_tiers_dialog
from ui.files.recovery import AutosaveController


def install_file_features(window) -> AutosaveController:
    """Autosave, snapshot check on open, and the export / profile menu entries."""
    auto = AutosaveController(window)
    window.autosave = auto
    f = window.menu("File")
    first = f.actions()[-2] if len(f.actions()) >= 2 else None  # before Quit
    export = f.addMenu("&Export")
    if first is not None:
        f.insertMenu(first, export)
    export.addAction("Report (PDF)…").triggered.connect(lambda: export_report(window))
    export.addAction("Plot images (PNG)…").triggered.connect(lambda: export_plot_pngs(window))
    export.addAction("Positions (CSV)…").triggered.connect(lambda: export_positions_csv(window))
    export.addAction("Liquidation-plot price grid (CSV)…").triggered.connect(lambda: export_grid_csv(window))
    prof = window.menuBar().addMenu("&Profiles")
    window._menus["Profiles"] = prof
    prof.addAction("Import tiers from an exchange file…").triggered.connect(lambda: import_tiers_dialog(window))
    prof.addAction("Edit current profile…").triggered.connect(lambda: edit_profile_dialog(window))
    prof.addAction("Profile details…").triggered.connect(window.show_profile_details)
    original_open = window.open_path

    def open_and_check(path) -> bool:
        ok = original_open(path)
        if ok:
            check_snapshot(window)
        return ok

    window.open_path = open_and_check
    return auto
