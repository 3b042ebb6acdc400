"""``position-planner [PLAN] [--screenshot OUT.png] [--size WxH] [--theme light|dark] [--smoke]``: open the planner window."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import cast

ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "position-planner.svg"


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="position-planner", description="Position-risk planner window.")
    ap.add_argument("plan", nargs="?", help="plan file (*.plan.json); default: the last plan opened or saved, else the bundled example")
    ap.add_argument("--screenshot", metavar="OUT.png", help="render the window offscreen (at --size), save, exit")
    ap.add_argument("--size", metavar="WxH", type=_size, default=None, help="window size in pixels (default 1600x1000)")
    ap.add_argument("--theme", choices=("system", "light", "dark"), help="colour theme for this run (default: the saved choice)")
    ap.add_argument("--smoke", action="store_true", help="exit after the first painted window (start-up timing)")
    return ap.parse_args(list(argv))


def _size(text: str) -> tuple[int, int]:
    """``"1280x720"`` -> (1280, 720); anything else is refused with the allowed form."""
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or not (320 <= int(w) <= 10000 and 240 <= int(h) <= 10000):
        raise argparse.ArgumentTypeError(f"--size {text!r}: expected WIDTHxHEIGHT in pixels, e.g. 1280x720 (320-10000 x 240-10000)")
    return int(w), int(h)


def _install_excepthook() -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    def hook(kind, value, tb) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(text)
        app = QApplication.instance()
        if app is not None and not os.environ.get("POSITION_PLANNER_NO_DIALOG"):
            box = QMessageBox(
                QMessageBox.Icon.Critical, "Unexpected error", f"Something went wrong: {value}\n\nThe plan is kept; save your work."
            )
            box.setDetailedText(text)
            box.exec()

    sys.excepthook = hook


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.startup import display_problem

    problem = display_problem(os.environ)  # before Qt: a missing display or xcb library would abort the process
    if problem:
        sys.stderr.write(problem + "\n")
        return 3
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QMessageBox

    from planner.io.plan_files import load_plan
    from planner.model.errors import PlannerError

    pg.setConfigOptions(antialias=True)
    # instance() is typed QCoreApplication; the only application this process creates is a QApplication.
    app = cast("QApplication | None", QApplication.instance()) or QApplication(sys.argv[:1])
    app.setApplicationName("Position Planner")
    app.setOrganizationName("PositionPlanner")
    app.setOrganizationDomain("position-planner.local")
    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))
    _install_excepthook()

    from ui.document import PlanDocument
    from ui.main_window import MainWindow

    plan = None
    if not args.plan and not (args.screenshot or args.smoke):
        from PySide6.QtCore import QSettings

        from ui.main_window import last_plan_path

        last = last_plan_path(QSettings())
        if last is not None:
            try:
                plan = load_plan(last)
                args.plan = str(last)
            except PlannerError:
                plan = None  # unreadable now: the example opens, the file stays in Open recent
    if plan is None and args.plan:
        try:
            plan = load_plan(args.plan)
        except PlannerError as exc:
            if args.screenshot or args.smoke:
                sys.stderr.write(exc.describe() + "\n")
                return 2
            QMessageBox.critical(None, "Cannot open plan", exc.describe())
            return 2
    from planner.io.user_profiles import load_user_profiles

    recovered_from = None
    restored = False
    if not (args.screenshot or args.smoke):
        from ui.files.recovery import offer_recovery

        recovered = offer_recovery(None)
        if recovered is not None:
            (plan, recovered_from), restored = recovered, True
    doc = PlanDocument(plan, user_profiles=load_user_profiles())
    if recovered_from:
        doc.path = Path(recovered_from)
    elif args.plan:
        doc.path = Path(args.plan)
    win = MainWindow(doc, restore=not (args.screenshot or args.smoke))
    if restored:
        doc.undo_stack.resetClean()  # restored work is unsaved until the user saves it
    elif args.plan and not (args.screenshot or args.smoke):
        win.remember_opened(args.plan)
    if args.theme:
        win.set_theme(args.theme, remember=not (args.screenshot or args.smoke))
    if args.size:
        win.resize(*args.size)
    if args.screenshot:
        win.resize(*(args.size or (1600, 1000)))
        win.show()
        app.processEvents()
        win.default_dock_sizes()
        app.processEvents()
        win.document.reset_view()
        for _ in range(5):
            app.processEvents()
        img = win.grab()
        if not img.save(args.screenshot):
            sys.stderr.write(f"cannot write {args.screenshot}\n")
            return 1
        print(f"{args.screenshot}: {img.width()}x{img.height()}")
        _shutdown(app, win)
        return 0
    win._update_title()
    win.show()
    if args.smoke:
        QTimer.singleShot(0, app.quit)
    code = app.exec()
    _shutdown(app, win)
    return code


def _shutdown(app, win) -> None:
    """Delete the window while Qt is alive (avoids teardown-order crashes at interpreter exit)."""
    import gc

    win.document.undo_stack.setClean()
    win.hide()
    win.deleteLater()
    app.processEvents()
    gc.collect()
