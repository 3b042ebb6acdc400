"""Exports from the window: PDF report, plot PNGs, positions CSV and the liquidation plot's price grid CSV.

The contents come from ``planner.present.exports`` and ``ui.report``; this
module asks for a path, writes atomically and tells the user when a write
fails (a message box naming the file and the reason, never silence or a
traceback). Each function returns what it wrote, or None / [] if nothing was.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from planner.io.atomic import atomic_write_text
from planner.model.errors import PlannerError
from planner.present.exports import positions_csv, price_grid_csv
from ui.document import PlanDocument
from ui.files.targets import check_target, write_bytes_atomic
from ui.report import write_report


def _ask_path(parent: QWidget, title: str, default: str, filt: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(Path.home() / default), filt)
    return Path(path) if path else None


def _failed(parent: QWidget, title: str, path: Path, exc: Exception) -> None:
    if isinstance(exc, PlannerError):
        text = exc.describe()
    elif isinstance(exc, OSError):
        text = f"{path}: {exc.strerror or exc}"
    else:
        text = f"{path}: {exc}"
    QMessageBox.warning(parent, title, text)


def _write_text(parent: QWidget, title: str, path: Path, text: str) -> Path | None:
    try:
        check_target(path)
        atomic_write_text(path, text, keep_backup=False)
    except (OSError, PlannerError) as exc:
        _failed(parent, title, path, exc)
        return None
    return path


def export_report(parent: QWidget, doc: PlanDocument, path: Path | None = None) -> Path | None:
    """File › Export › Report (PDF) of what the window shows (plan, figures, both plots)."""
    path = path or _ask_path(parent, "Export report", "position-plan.pdf", "PDF (*.pdf)")
    if path is None:
        return None
    try:
        return write_report(doc.figures, path)
    except (OSError, PlannerError) as exc:
        _failed(parent, "Cannot write report", path, exc)
        return None


def export_plot_pngs(parent: QWidget, plots: Sequence[tuple[str, QWidget]], folder: Path | None = None) -> list[Path]:
    """Save each (name, widget) as ``<folder>/<name>.png``; tells the user which could not be written."""
    if folder is None:
        chosen = QFileDialog.getExistingDirectory(parent, "Folder for the plot images", str(Path.home()))
        if not chosen:
            return []
        folder = Path(chosen)
    out: list[Path] = []
    failed: list[str] = []
    for name, widget in plots:
        target = folder / f"{name}.png"
        try:
            check_target(target)
            data = _png_bytes(widget)
            write_bytes_atomic(target, data)
        except (OSError, PlannerError, ValueError) as exc:
            failed.append(exc.describe() if isinstance(exc, PlannerError) else f"{target}: {exc}")
            continue
        out.append(target)
    if failed:
        QMessageBox.warning(parent, "Cannot write plot images", "\n".join(failed))
    return out


def _png_bytes(widget: QWidget) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not widget.grab().save(buffer, "PNG"):
        raise ValueError("Qt could not encode the plot as PNG")
    buffer.close()
    return bytes(data.data())


def export_positions_csv(parent: QWidget, doc: PlanDocument, path: Path | None = None) -> Path | None:
    """One row per leg with every figure of the evaluation on show."""
    if doc.evaluation is None:
        QMessageBox.information(parent, "Nothing to export", "Fix the marked fields first: the plan has no figures.")
        return None
    path = path or _ask_path(parent, "Export positions", "positions.csv", "CSV (*.csv)")
    if path is None:
        return None
    return _write_text(parent, "Cannot write positions", path, positions_csv(doc.evaluation))


def export_grid_csv(parent: QWidget, doc: PlanDocument, path: Path | None = None) -> Path | None:
    """The liquidation plot's curves (the document's price grid) as CSV, one row per grid price."""
    curves = doc.figures.price
    if curves is None:
        QMessageBox.information(
            parent, "Nothing to export", "The liquidation plot shows no curves: select a leg and fix the marked fields first."
        )
        return None
    path = path or _ask_path(parent, "Export price grid", f"{curves.symbol}-grid.csv", "CSV (*.csv)")
    if path is None:
        return None
    return _write_text(parent, "Cannot write price grid", path, price_grid_csv(curves))
