"""Main window: composes the document, editors, results and plots (no finance math here)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from planner.model.errors import PlannerError
from planner.model.plan import Plan
from ui.dialogs.about import show_about
from ui.dialogs.profile_details import ProfileDetailsDialog
from ui.document import PlanDocument
from ui.plots.equity_plot import EquityPlot
from ui.plots.liquidation_plot import LiquidationPlot
from ui.plots.style import style_for
from ui.theme import apply_theme
from ui.widgets.account_panel import AccountPanel
from ui.widgets.funding_panel import FundingPanel
from ui.widgets.position_form import PositionForm
from ui.widgets.positions_table import PositionsTable
from ui.widgets.profile_selector import ProfileSelector
from ui.widgets.results_panel import ResultsPanel

MAX_RECENT = 8
PLAN_FILTER = "Position plans (*.plan.json *.json);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, document: PlanDocument | None = None, parent: QWidget | None = None, restore: bool = True) -> None:
        super().__init__(parent)
        self.document = document if document is not None else PlanDocument()
        self.settings = QSettings()
        self._menus: dict[str, QMenu] = {}
        self._last_profile = self.document.profile.id
        self.resize(1600, 1000)

        doc = self.document
        self.profile_selector = ProfileSelector(doc)
        tb = QToolBar("Profile")
        tb.setObjectName("profile-toolbar")
        tb.setMovable(False)
        tb.addWidget(self.profile_selector)
        self.addToolBar(tb)

        self.liquidation_plot = LiquidationPlot(doc)
        self.equity_plot = EquityPlot(doc)
        self.plots = QSplitter(Qt.Orientation.Vertical)
        self.plots.setObjectName("plots-splitter")
        self.plots.addWidget(self.liquidation_plot)
        self.plots.addWidget(self.equity_plot)
        self.plots.setSizes([620, 330])
        self.setCentralWidget(self.plots)

        self.account_panel = AccountPanel(doc)
        self.positions_table = PositionsTable(doc)
        self.position_form = PositionForm(doc)
        plan_box = QWidget()
        plan_box.setMinimumWidth(400)
        lay = QVBoxLayout(plan_box)
        lay.addWidget(self.account_panel)
        lay.addWidget(self.positions_table, 1)
        lay.addWidget(self.position_form)
        self.results_panel = ResultsPanel(doc)
        self.results_panel.setMinimumWidth(400)
        self.funding_panel = FundingPanel(doc)
        self.plan_dock = self.add_panel_dock("Plan", plan_box, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.results_dock = self.add_panel_dock("Results", self.results_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.funding_dock = self.add_panel_dock("Funding", self.funding_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.default_dock_sizes()

        self.status_profile = QLabel()
        self.status_eval = QLabel()
        self.statusBar().addPermanentWidget(self.status_profile)
        self.statusBar().addPermanentWidget(self.status_eval)

        self._build_menus()
        from ui.panels import install_drill_panels  # drills + action plan docks

        install_drill_panels(self)
        from ui.file_features import install_file_features

        install_file_features(self)
        doc.changed.connect(self._on_changed)
        doc.pathChanged.connect(lambda *_: self._update_title())
        doc.dirtyChanged.connect(self.setWindowModified)
        self.positions_table.selectionChangedTo.connect(self._select_row)
        self.profile_selector.details.clicked.connect(self.show_profile_details)
        self.liquidation_plot.markDragged.connect(lambda *_: None)

        self.positions_table.select(0)
        self._select_row(0 if doc.plan.positions else -1)
        self._on_changed(doc.plan, doc.evaluation)
        self._update_title()
        if restore:
            self.restore_layout()

    # -- public API for other panels ------------------------------------------
    def add_panel_dock(self, title: str, widget: QWidget, area=Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if "View" in self._menus:
            self._menus["View"].addAction(dock.toggleViewAction())
        return dock

    def default_dock_sizes(self) -> None:
        """Plan | plots | results widths that fit 1600 px without clipping the figures."""
        self.resizeDocks([self.plan_dock, self.results_dock], [420, 680], Qt.Orientation.Horizontal)
        self.resizeDocks([self.results_dock, self.funding_dock], [640, 230], Qt.Orientation.Vertical)

    def menu(self, name: str) -> QMenu:
        return self._menus[name]

    # -- updates ----------------------------------------------------------------
    def _on_changed(self, plan: Plan, evaluation) -> None:
        doc = self.document
        self.results_panel.refresh()
        if doc.profile.id != self._last_profile:
            self._last_profile = doc.profile.id
            self.liquidation_plot.reset_view()
        else:
            self.liquidation_plot.refresh()
        self.equity_plot.refresh()
        self.status_profile.setText(f"Profile: {doc.profile.name}  |  rule: {doc.profile.rule}")
        self.status_eval.setText(f"evaluated in {doc.eval_ms:.1f} ms" if evaluation is not None else "not evaluated: fix the marked fields")
        self.status_eval.setToolTip(doc.profile.traits.formula)

    def _select_row(self, row: int) -> None:
        doc = self.document
        self.position_form.set_row(row)
        symbol = doc.draft.positions[row].symbol if 0 <= row < len(doc.draft.positions) else None
        if symbol != self.liquidation_plot.symbol:
            self.liquidation_plot.set_symbol(symbol)

    def _update_title(self) -> None:
        path = self.document.path
        name = path.name if path else f"{self.document.plan.name} (unsaved)"
        self.setWindowTitle(f"{name}[*] — Position Planner")
        self.setWindowModified(self.document.is_dirty())

    # -- menus ----------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, slot, shortcut=None) -> QAction:
        act = menu.addAction(text)
        act.triggered.connect(slot)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        return act

    def _build_menus(self) -> None:
        bar = self.menuBar()
        for name in ("File", "Edit", "View", "Drills", "Help"):
            self._menus[name] = bar.addMenu(f"&{name}")
        f = self._menus["File"]
        self._action(f, "&New", self.file_new, QKeySequence.StandardKey.New)
        self._action(f, "&Open…", self.file_open, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action(f, "&Save", self.file_save, QKeySequence.StandardKey.Save)
        self._action(f, "Save &as…", self.file_save_as, QKeySequence.StandardKey.SaveAs)
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        e = self._menus["Edit"]
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        e.addAction(undo)
        e.addAction(redo)
        e.addSeparator()
        self._action(e, "Add leg", self.positions_table.add_leg, "Ctrl+Shift+N")
        self._action(e, "Duplicate leg", self.positions_table.duplicate_leg, "Ctrl+D")
        self._action(e, "Remove leg", self.positions_table.remove_leg, "Ctrl+Del")
        self._action(e, "Reset what-if marks", self.reset_marks, "Ctrl+M")
        v = self._menus["View"]
        group = QActionGroup(self)
        self.theme_actions = {}
        for mode, text in (("system", "Follow system theme"), ("light", "Light"), ("dark", "Dark")):
            act = v.addAction(text)
            act.setCheckable(True)
            act.triggered.connect(lambda _=False, m=mode: self.set_theme(m))
            group.addAction(act)
            self.theme_actions[mode] = act
        v.addSeparator()
        self._action(v, "Reset plot zoom", self.liquidation_plot.reset_view, "Ctrl+0")
        v.addSeparator()
        h = self._menus["Help"]
        self._action(h, "Formulas used…", self.show_formulas)
        self._action(h, "Profile details…", self.show_profile_details)
        self._action(h, "&About Position Planner", lambda: show_about(self))
        self.set_theme(str(self.settings.value("theme", "system")))
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda *_: self.set_theme(self.theme) if self.theme == "system" else None)

    def set_theme(self, mode: str) -> None:
        self.theme = mode if mode in self.theme_actions else "system"
        self.theme_actions[self.theme].setChecked(True)
        dark = apply_theme(self.theme)
        style = style_for(dark)
        self.liquidation_plot.apply_style(style)
        self.equity_plot.apply_style(style)
        self.liquidation_plot.refresh()
        self.settings.setValue("theme", self.theme)

    def reset_marks(self) -> None:
        for sym in list(self.document.marks):
            self.document.set_mark(sym, None)

    # -- dialogs ----------------------------------------------------------------
    def show_profile_details(self) -> None:
        ProfileDetailsDialog(self.document.profile, self).exec()

    def show_formulas(self) -> None:
        from planner.model.profile import RULE_TRAITS

        p = self.document.profile
        rows = "".join(
            f"<li>{'<b>' if r == p.rule else ''}{r}: {t.formula}{'</b>' if r == p.rule else ''}</li>" for r, t in RULE_TRAITS.items()
        )
        QMessageBox.information(self, "Formulas used", f"<p>Current profile: {p.name} (rule <b>{p.rule}</b>).</p><ul>{rows}</ul>")

    # -- files ------------------------------------------------------------------
    def maybe_save(self) -> bool:
        if not self.document.is_dirty():
            return True
        ans = QMessageBox.question(
            self,
            "Unsaved changes",
            "The plan has unsaved changes. Save them?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        if ans == QMessageBox.StandardButton.Save:
            return self.file_save()
        return ans == QMessageBox.StandardButton.Discard

    def file_new(self) -> None:
        if self.maybe_save():
            self.document.new()
            self._select_row(-1)

    def file_open(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open plan", str(self._last_dir()), PLAN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        try:
            self.document.load(path)
        except PlannerError as exc:
            QMessageBox.warning(self, "Cannot open plan", exc.describe())
            return False
        self._remember(Path(path))
        self.positions_table.select(0)
        self._select_row(0 if self.document.plan.positions else -1)
        self.liquidation_plot.reset_view()
        return True

    def file_save(self) -> bool:
        if self.document.path is None:
            return self.file_save_as()
        return self._save(self.document.path)

    def file_save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save plan as", str(self._last_dir() / "plan.plan.json"), PLAN_FILTER)
        return self._save(Path(path)) if path else False

    def _save(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except (OSError, PlannerError) as exc:
            QMessageBox.warning(self, "Cannot save plan", f"{path}: {exc}")
            return False
        self._remember(path)
        return True

    def _last_dir(self) -> Path:
        recent = self.recent_files()
        return Path(recent[0]).parent if recent else Path.home()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else [str(p) for p in value] if isinstance(value, list) else []

    def _remember(self, path: Path) -> None:
        items = [str(path.resolve())] + [p for p in self.recent_files() if p != str(path.resolve())]
        self.settings.setValue("recent", items[:MAX_RECENT])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.recent_files():
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.maybe_save() and self.open_path(p))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)

    # -- layout persistence ------------------------------------------------------
    def restore_layout(self) -> None:
        geo = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.autosave.stop()  # type: ignore[attr-defined]  # set by ui.file_features.install_file_features; a deliberate close leaves nothing to recover
        event.accept()
