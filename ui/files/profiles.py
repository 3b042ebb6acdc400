"""Profile features of the window: snapshot check after opening, import tiers, edit the current profile.

All file logic is in ``planner`` (snapshots, importers, user_profiles); this module only asks the user.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from planner.drills.snapshots import snapshot_drift
from planner.model.errors import PlannerError


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
    switch = box.addButton("Switch to current profile", QMessageBox.AcceptRole)
    box.addButton("Keep saved numbers", QMessageBox.RejectRole)
    box.exec()
    if box.clickedButton() is switch:
        doc.apply_plan(doc.draft.model_copy(update={"profile": drift.current.id}), "Switch to the current profile")


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
        save = ans == QMessageBox.Yes
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
