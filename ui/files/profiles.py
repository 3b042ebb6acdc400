"""Profile features of the window: snapshot check after opening, import tiers, edit the current profile.

All file logic is in ``planner`` (snapshots, importers, user_profiles); this module only asks the user.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from planner.drills.snapshots import snapshot_drift
from planner.model.errors import PlannerError
from planner.model.profile import ExchangeProfile
from ui.document import PlanDocument


def check_snapshot(parent: QWidget, doc: PlanDocument) -> None:
    """After opening a file: if today's profile differs from the one saved in it, say so and offer to switch."""
    drift = snapshot_drift(doc.draft, doc.user_profiles)
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
    box = QMessageBox(parent)
    box.setWindowTitle("Profile has changed since this plan was saved")
    box.setText("".join(lines))
    box.setDetailedText("\n".join(drift.changed_fields[:200]))
    switch = box.addButton("Switch to current profile", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Keep saved numbers", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is switch:
        doc.apply_plan(doc.draft.model_copy(update={"profile": drift.current.id}), "Switch to the current profile")


def import_tiers_dialog(parent: QWidget, doc: PlanDocument, path: str | None = None, save: bool | None = None) -> ExchangeProfile | None:
    """Choose a saved exchange response, show the tier changes, save as a user profile (which the plan then uses)."""
    from planner.io.importers import apply_tiers, import_tiers, tier_changes

    if path is None:
        path, _ = QFileDialog.getOpenFileName(
            parent, "Import tiers (Binance, ccxt, OKX or Bybit JSON)", str(Path.home()), "JSON (*.json);;All files (*)"
        )
        if not path:
            return None
    try:
        fmt, tiers = import_tiers(path, doc.profile)
        updated = apply_tiers(doc.profile, tiers, Path(path).name)
    except PlannerError as exc:
        QMessageBox.warning(parent, "Cannot import tiers", exc.describe())
        return None
    lines = []
    for sym, new in tiers.items():
        ch = tier_changes(doc.profile.symbols[sym].tiers, new)
        lines.append(f"{sym}: {'no changes' if not ch else ''}")
        lines += [f"    {c}" for c in ch]
    if save is None:
        ans = QMessageBox.question(
            parent,
            f"Import {fmt} tiers into {doc.profile.id}",
            "Changes against the current profile:\n\n"
            + "\n".join(lines)
            + "\n\nSave as a user profile (it then replaces the bundled one)?",
        )
        save = ans == QMessageBox.StandardButton.Yes
    if not save or not _save_and_use(parent, doc, updated, f"Use imported tiers for {updated.id}"):
        return None
    return updated


def _save_and_use(parent: QWidget, doc: PlanDocument, profile: ExchangeProfile, undo_text: str) -> bool:
    """Save ``profile`` to the user profiles folder, reload them and switch the plan to it (undoable)."""
    from planner.io.user_profiles import load_user_profiles, save_user_profile

    try:
        save_user_profile(profile)
        user = load_user_profiles()
    except (OSError, PlannerError) as exc:
        text = exc.describe() if isinstance(exc, PlannerError) else f"{exc.filename or profile.id}: {exc.strerror or exc}"
        QMessageBox.warning(parent, "Cannot save the user profile", text)
        return False
    doc.set_user_profiles(user)
    doc.apply_plan(doc.draft.model_copy(update={"profile": profile.id}), undo_text)
    return True


def edit_profile_dialog(parent: QWidget, doc: PlanDocument) -> None:
    """Edit the current profile's tiers and fees; OK saves it as a user profile the plan then uses."""
    from ui.dialogs.profile_editor import ProfileEditor

    dlg = ProfileEditor(doc.profile, parent)
    if dlg.exec() and dlg.result_profile is not None:
        _save_and_use(parent, doc, dlg.result_profile, f"Use edited profile {dlg.result_profile.id}")
