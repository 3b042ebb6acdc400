"""Exports from the window: PDF report, plot PNGs, positions CSV and the liquidation plot's price grid CSV.

The file contents come from ``planner.present.exports`` and ``ui.report``; this module asks for a path and reports failures.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from planner.engine.curves import default_price_range, price_curves
from planner.io.atomic import atomic_write_text
from planner.present.exports import positions_csv, price_grid_csv


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
