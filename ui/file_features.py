"""Plans that are never lost: autosave, crash recovery, profile-snapshot check,
exports (PDF report, plot PNGs, CSV) and the profile menu (import tiers, edit profile).

All file logic is in ``planner`` (recovery, snapshots, exports, importers,
user_profiles); this module only decides when to call it and asks the user.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from planner.drills.snapshots import snapshot_drift
from planner.engine.curves import default_price_range, price_curves
from planner.io.atomic import atomic_write_text
from planner.io.recovery import discard_autosave, recoverable_sessions, write_autosave
from planner.model.errors import PlannerError
from planner.present.exports import positions_csv, price_grid_csv

AUTOSAVE_MS = 3000


class AutosaveController:
    """Every few seconds, while the document has unsaved changes, write a recovery copy."""

    def __init__(self, window, interval_ms: int = AUTOSAVE_MS) -> None:
        self.window = window
        self.timer = QTimer(window)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        window.document.dirtyChanged.connect(self._on_dirty)
        self.last_written: Path | None = None

    def tick(self) -> None:
        doc = self.window.document
        if doc.is_dirty():
            try:
                self.last_written = write_autosave(doc.draft if doc.evaluation is None else doc.plan, str(doc.path) if doc.path else None)
            except OSError as exc:
                self.window.statusBar().showMessage(f"Autosave failed: {exc}", 5000)

    def _on_dirty(self, dirty: bool) -> None:
        if not dirty:  # saved (or undone back to the saved state): no recovery copy needed
            discard_autosave()

    def stop(self) -> None:
        self.timer.stop()
        discard_autosave()


def offer_recovery(parent: QWidget | None = None):
    """At start: if a crashed session left unsaved work, ask to restore it. Returns (plan, original path) or None."""
    found = recoverable_sessions()
    if not found:
        return None
    latest = found[0]
    from datetime import datetime

    when = datetime.fromtimestamp(latest.saved_at).strftime("%Y-%m-%d %H:%M:%S")
    box = QMessageBox(parent)
    box.setWindowTitle("Restore unsaved work?")
    box.setText(f"Position Planner closed unexpectedly. Restore the plan “{latest.plan.name}” autosaved at {when}?")
    if latest.original_path:
        box.setInformativeText(f"It was opened from {latest.original_path}; the file itself was not changed.")
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.exec()
    for item in found:
        discard_autosave(item.path)
    if box.clickedButton() is restore:
        return latest.plan, latest.original_path
    return None


def check_snapshot(window) -> None:
    """After opening a file: if today's profile differs from the one saved in it, say so and offer to switch."""
    doc = window.document
    drift = snapshot_drift(doc.draft, getattr(doc, "user_profiles", None))
    if drift is None:
        return
    lines = [f"<p>This plan was saved with an older copy of <b>{drift.current.name}</b>; the numbers below use the saved copy.</p>"]
    if drift.figures:
        lines.append(
            "<table border='1' cellspacing='0' cellpadding='3'><tr><th>leg</th><th>figure</th><th>saved profile</th><th>current profile</th></tr>"
        )
        for leg, name, a, b in drift.figures[:20]:
            fa = "none" if a is None else f"{a:,.2f}"
            fb = "none" if b is None else f"{b:,.2f}"
            lines.append(f"<tr><td>{leg}</td><td>{name}</td><td>{fa}</td><td>{fb}</td></tr>")
        lines.append("</table>")
    box = QMessageBox(window)
    box.setWindowTitle("Profile has changed since this plan was saved")
    box.setText("".join(lines))
    box.setDetailedText("\n".join(drift.changed_fields[:200]))
    switch = box.addButton("Switch to current profile", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Keep saved numbers", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is switch:
        doc.apply_plan(doc.draft.model_copy(update={"profile": drift.current.id}), "Switch to the current profile")


# ---------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------


def _ask_path(window, title: str, default: str, filt: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(window, title, str(Path.home() / default), filt)
    return Path(path) if path else None


def export_report(window, path: Path | None = None) -> Path | None:
    from ui.report import write_report

    path = path or _ask_path(window, "Export report", "position-plan.pdf", "PDF (*.pdf)")
    if path is None:
        return None
    try:
        return write_report(window, path)
    except OSError as exc:
        QMessageBox.warning(window, "Cannot write report", f"{path}: {exc.strerror or exc}")
        return None


def export_plot_pngs(window, folder: Path | None = None) -> list[Path]:
    if folder is None:
        chosen = QFileDialog.getExistingDirectory(window, "Folder for the plot images", str(Path.home()))
        if not chosen:
            return []
        folder = Path(chosen)
    out = []
    for name, widget in (("liquidation-plot", window.liquidation_plot), ("equity-plot", window.equity_plot)):
        target = folder / f"{name}.png"
        if widget.grab().save(str(target)):
            out.append(target)
    return out


def export_positions_csv(window, path: Path | None = None) -> Path | None:
    doc = window.document
    if doc.evaluation is None:
        QMessageBox.information(window, "Nothing to export", "Fix the marked fields first: the plan has no figures.")
        return None
    path = path or _ask_path(window, "Export positions", "positions.csv", "CSV (*.csv)")
    if path is not None:
        atomic_write_text(path, positions_csv(doc.evaluation), keep_backup=False)
    return path


def export_grid_csv(window, path: Path | None = None) -> Path | None:
    doc = window.document
    plot = window.liquidation_plot
    if doc.evaluation is None or plot.symbol is None:
        return None
    curves = plot.curves or price_curves(doc.plan, doc.profile, plot.symbol, _grid(doc, plot.symbol), marks=doc.marks or None)
    path = path or _ask_path(window, "Export price grid", f"{plot.symbol}-grid.csv", "CSV (*.csv)")
    if path is not None:
        atomic_write_text(path, price_grid_csv(curves), keep_backup=False)
    return path


def _grid(doc, symbol):
    import numpy as np

    liqs = [l.liquidation_price for l in doc.evaluation.legs if l.symbol == symbol]
    lo, hi = default_price_range(doc.plan, doc.profile, symbol, liqs, doc.marks)
    return np.linspace(lo, hi, 2000)


# ---------------------------------------------------------------------------
# Profiles: import tiers, edit
# ---------------------------------------------------------------------------


def import_tiers_dialog(window, path: str | None = None, save: bool | None = None):
    """Choose a saved exchange response, show the tier changes, save as a user profile."""
    from planner.io.importers import apply_tiers, import_tiers, tier_changes
    from planner.io.user_profiles import load_user_profiles, save_user_profile

    doc = window.document
    if path is None:
        path, _ = QFileDialog.getOpenFileName(
            window, "Import tiers (Binance, ccxt, OKX or Bybit JSON)", str(Path.home()), "JSON (*.json);;All files (*)"
        )
        if not path:
            return None
    try:
        fmt, tiers = import_tiers(path, doc.profile)
        updated = apply_tiers(doc.profile, tiers, Path(path).name)
    except PlannerError as exc:
        QMessageBox.warning(window, "Cannot import tiers", exc.describe())
        return None
    lines = []
    for sym, new in tiers.items():
        ch = tier_changes(doc.profile.symbols[sym].tiers, new)
        lines.append(f"{sym}: {'no changes' if not ch else ''}")
        lines += [f"    {c}" for c in ch]
    if save is None:
        ans = QMessageBox.question(
            window,
            f"Import {fmt} tiers into {doc.profile.id}",
            "Changes against the current profile:\n\n"
            + "\n".join(lines)
            + "\n\nSave as a user profile (it then replaces the bundled one)?",
        )
        save = ans == QMessageBox.StandardButton.Yes
    if not save:
        return None
    save_user_profile(updated)
    _reload_profiles(window, load_user_profiles())
    doc.apply_plan(doc.draft.model_copy(update={"profile": updated.id}), f"Use imported tiers for {updated.id}")
    return updated


def _reload_profiles(window, user: dict) -> None:
    doc = window.document
    doc.user_profiles = user
    selector = getattr(window, "profile_selector", None)
    if selector is not None and hasattr(selector, "reload"):
        selector.reload()


def edit_profile_dialog(window) -> None:
    from planner.io.user_profiles import load_user_profiles, save_user_profile
    from ui.dialogs.profile_editor import ProfileEditor

    dlg = ProfileEditor(window.document.profile, window)
    if dlg.exec() and dlg.result_profile is not None:
        save_user_profile(dlg.result_profile)
        _reload_profiles(window, load_user_profiles())
        doc = window.document
        doc.apply_plan(doc.draft.model_copy(update={"profile": dlg.result_profile.id}), f"Use edited profile {dlg.result_profile.id}")


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
