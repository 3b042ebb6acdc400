"""Exports from the window: PDF report, plot PNGs, positions CSV and the liquidation plot's price grid CSV.

The contents come from ``planner.present.exports`` and ``ui.report``; this
module asks for a path, writes atomically and tells the user when a write
fails (a message box naming the file and the reason, never silence or a
traceback). Each function returns what it wrote, or None / [] if nothing was.

File dialogs start in :func:`start_folder` (the open plan's folder, else the
last folder a file was saved or exported to, kept in QSettings as
``files/last_folder``); after a write the window's status bar says where the
file went (:func:`tell_written`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from planner.io.atomic import atomic_write_text
from planner.model.errors import PlannerError
from planner.present.exports import positions_csv, price_grid_csv
from ui.document import PlanDocument
from ui.files.targets import check_target, write_bytes_atomic
from ui.plots.payoff_plot import PayoffSettings
from ui.report import DrillRecord, write_report

#: QSettings key of the folder the last file was saved or exported to.
LAST_FOLDER_KEY = "files/last_folder"
#: How long the "Exported … to <path>" status-bar message stays (ms).
STATUS_MS = 15000


def start_folder(doc: PlanDocument | None = None) -> Path:
    """Where a Save/Export dialog starts: the open plan's folder, else the last folder used, else home."""
    if doc is not None and doc.path is not None and doc.path.parent.is_dir():
        return doc.path.parent.resolve()
    last = QSettings().value(LAST_FOLDER_KEY)
    if isinstance(last, str) and last and Path(last).is_dir():
        return Path(last)
    return Path.home()


def remember_folder(path: Path) -> None:
    """Keep the folder of a file just written as the next dialogs' starting folder."""
    QSettings().setValue(LAST_FOLDER_KEY, str(path.resolve().parent))


def tell_written(parent: QWidget, what: str, paths: Sequence[Path]) -> str:
    """Status-bar line naming where ``what`` went (full paths); also remembers the folder. Returns the line."""
    if not paths:
        return ""
    remember_folder(paths[0])
    where = str(paths[0].resolve()) if len(paths) == 1 else f"{paths[0].resolve().parent} ({', '.join(p.name for p in paths)})"
    text = f"{what} written to {where}"
    window = parent.window() if parent is not None else None
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, STATUS_MS)
    return text


def _ask_path(parent: QWidget, title: str, default: str, filt: str, doc: PlanDocument | None = None) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, str(start_folder(doc) / default), filt)
    return Path(path) if path else None


def file_stem(name: str, fallback: str = "plan") -> str:
    """A file name from a plan name ("BTC hedge / May" -> "BTC-hedge-May"); ``fallback`` when nothing is left."""
    return "-".join("".join(c if c.isalnum() or c in "-_." else " " for c in name).split()).strip(".") or fallback


def _default_stem(doc: PlanDocument) -> str:
    """Export file name: the plan file's stem, else the plan name."""
    if doc.path is not None:
        return doc.path.name.removesuffix(".json").removesuffix(".plan")
    return file_stem(doc.plan.name, "position-plan")


def _failed(parent: QWidget, title: str, path: Path, exc: Exception) -> None:
    if isinstance(exc, PlannerError):
        text = exc.describe()
    elif isinstance(exc, OSError):
        text = f"{path}: {exc.strerror or exc}"
    else:
        text = f"{path}: {exc}"
    QMessageBox.warning(parent, title, text)


def _write_text(parent: QWidget, title: str, path: Path, text: str, what: str) -> Path | None:
    try:
        check_target(path)
        atomic_write_text(path, text, keep_backup=False)
    except (OSError, PlannerError) as exc:
        _failed(parent, title, path, exc)
        return None
    tell_written(parent, what, [path])
    return path


def export_report(
    parent: QWidget, doc: PlanDocument, path: Path | None = None, drills: Sequence[DrillRecord] = (), payoff: PayoffSettings | None = None
) -> Path | None:
    """File › Export › Report (PDF) of what the window shows (plan, figures, both plots, the drills run)."""
    path = path or _ask_path(parent, "Export report", f"{_default_stem(doc)}.pdf", "PDF (*.pdf)", doc)
    if path is None:
        return None
    try:
        written = write_report(doc.figures, path, drills=drills, payoff=payoff)
    except (OSError, PlannerError) as exc:
        _failed(parent, "Cannot write report", path, exc)
        return None
    tell_written(parent, "Report", [written])
    return written


def export_plot_pngs(
    parent: QWidget, plots: Sequence[tuple[str, QWidget]], folder: Path | None = None, doc: PlanDocument | None = None
) -> list[Path]:
    """Save each (name, widget) as ``<folder>/<name>.png``; tells the user which could not be written."""
    if folder is None:
        chosen = QFileDialog.getExistingDirectory(parent, "Folder for the plot images", str(start_folder(doc)))
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
    tell_written(parent, "Plot images", out)
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
    path = path or _ask_path(parent, "Export positions", f"{_default_stem(doc)}-positions.csv", "CSV (*.csv)", doc)
    if path is None:
        return None
    return _write_text(parent, "Cannot write positions", path, positions_csv(doc.evaluation), "Positions")


def export_grid_csv(parent: QWidget, doc: PlanDocument, path: Path | None = None) -> Path | None:
    """The liquidation plot's curves (the document's price grid) as CSV, one row per grid price."""
    curves = doc.figures.price
    if curves is None:
        QMessageBox.information(
            parent, "Nothing to export", "The liquidation plot shows no curves: select a leg and fix the marked fields first."
        )
        return None
    path = path or _ask_path(parent, "Export price grid", f"{curves.symbol}-grid.csv", "CSV (*.csv)", doc)
    if path is None:
        return None
    return _write_text(parent, "Cannot write price grid", path, price_grid_csv(curves), "Price grid")
