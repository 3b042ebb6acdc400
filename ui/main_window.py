"""Main window: composes the document, editors, results, plots, drill docks and file features.

The window builds everything it shows in its constructor (small ``_build_*``
methods); nothing is installed into it from outside. Figures come from the
document (one evaluation and one set of curves per change); the window only
routes signals: edits into the document, ``changed``/``figuresChanged`` out to
the views. No finance math here.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabBar,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from planner.engine.evaluate import Evaluation
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from ui.dialogs.about import show_about
from ui.dialogs.profile_details import ProfileDetailsDialog
from ui.docks.action_panel import ActionPanel
from ui.docks.drills_panel import DrillsPanel
from ui.docks.ladder_panel import LadderPanel
from ui.docks.size_panel import SizePanel
from ui.document import Figures, PlanDocument
from ui.files.exports import (
    export_grid_csv,
    export_plot_pngs,
    export_positions_csv,
    export_report,
    file_stem,
    remember_folder,
    start_folder,
)
from ui.files.plan_save import confirm_left_out
from ui.files.profiles import check_snapshot, edit_profile_dialog, import_tiers_dialog
from ui.files.recovery import AutosaveController
from ui.plots.equity_plot import EquityPlot
from ui.plots.liquidation_plot import LiquidationPlot
from ui.plots.payoff_plot import PayoffPlot
from ui.plots.style import style_for
from ui.theme import apply_theme
from ui.widgets.account_panel import AccountPanel
from ui.widgets.funding_panel import FundingPanel
from ui.widgets.position_form import PositionForm
from ui.widgets.positions_table import PositionsTable
from ui.widgets.profile_selector import ProfileSelector
from ui.widgets.results_panel import ResultsPanel
from ui.widgets.stale_badge import StaleBadge

MAX_RECENT = 8
PLAN_FILTER = "Position plans (*.plan.json *.json);;All files (*)"
#: The action plan re-evaluates the account many times, so it follows an edit once typing pauses.
ACTION_PLAN_DELAY_MS = 300
#: Default window size; smaller screens get their available area (issue 10 item 8: usable at 1280x720).
DEFAULT_SIZE = (1600, 1000)
#: Legs the Plan dock's table shows at least (when there are that many) before the leg form gets the rest.
PLAN_TABLE_ROWS = 7
#: Margin (px) around the Plan dock's content: small, so the legs table's columns fit a 1280 px window.
PLAN_MARGIN = 3
#: The plots' least width (px) when the default dock sizes are applied (View › Reset layout, first show).
PLOTS_MIN_WIDTH = 400
#: Results widens to show its columns through Equity whole when the plots keep at least this width (px): 1600 px windows.
PLOTS_WIDE_WIDTH = 500
#: Rows Results makes room for at least (the default split between Results and the tabs below it).
RESULTS_MIN_ROWS = 6
#: Results takes at most this share of the right column's height; the Funding / Action plan / Drills ... tabs the rest.
RESULTS_MAX_SHARE = 0.67
#: Short tab titles for the docks tabbed under Results (full names in the View menu and the tabs' tooltips):
#: with the full titles the six tabs need ~500 px and scroll behind arrows in the 470 px Results column at 1280x720.
SHORT_TITLES = {"Size from risk": "Sizing", "Scale-in ladder": "Ladder"}
DRILL_TABS = (
    "Shock",
    "Gap / slippage",
    "Partial liquidation",
    "Price path",
    "Event drill",
    "Profile comparison",
    "Safe size through an event",
)


def last_plan_path(settings: QSettings) -> Path | None:
    """The plan to open at launch: the most recent file that still exists (None: open the example)."""
    value = settings.value("recent", [])
    items = [value] if isinstance(value, str) else [str(p) for p in value] if isinstance(value, list) else []
    return next((Path(p) for p in items[:1] if Path(p).is_file()), None)


class MainWindow(QMainWindow):
    def __init__(self, document: PlanDocument | None = None, parent: QWidget | None = None, restore: bool = True) -> None:
        super().__init__(parent)
        self.document = document if document is not None else PlanDocument()
        self.settings = QSettings()
        self._menus: dict[str, QMenu] = {}
        self._tab_titles_timer = QTimer(self)  # docks regrouped by the user: their tabs' titles and tooltips again
        self._tab_titles_timer.setSingleShot(True)
        self._tab_titles_timer.timeout.connect(self._whole_tab_titles)
        self._fit_to_screen()
        self._build_toolbar()
        self._build_plots()
        self._build_plan_docks()
        self._build_drill_docks()
        self._build_size_dock()
        self._build_planning_docks()
        self._build_status_bar()
        self._build_menus()
        self.autosave = AutosaveController(self.document, self, lambda text: self.statusBar().showMessage(text, 5000))
        self._connect()

        doc = self.document
        self.positions_table.select(0)
        self._select_row(0 if doc.plan.positions else -1)
        self._on_changed(doc.plan, doc.evaluation)
        self._on_figures(doc.figures)
        self.payoff_plot.set_figures(doc.figures)
        self._actions_stale = True  # computed once the window is shown, if the Action plan dock is in sight
        self._update_title()
        # View › Reset layout returns to this arrangement (dock areas and tabs; sizes follow the window).
        self._default_state = self.saveState()
        self._sized = False  # default dock sizes are applied once the window has its real size
        if restore:
            self.restore_layout()

    # -- construction -------------------------------------------------------------
    def _build_toolbar(self) -> None:
        self.profile_selector = ProfileSelector(self.document)
        tb = QToolBar("Profile")
        tb.setObjectName("profile-toolbar")
        tb.setMovable(False)
        tb.addWidget(self.profile_selector)
        self.addToolBar(tb)

    def _build_plots(self) -> None:
        self.liquidation_plot = LiquidationPlot()
        self.equity_plot = EquityPlot()
        self.plots = QSplitter(Qt.Orientation.Vertical)
        self.plots.setObjectName("plots-splitter")
        self.plots.addWidget(self.liquidation_plot)
        self.plots.addWidget(self.equity_plot)
        self.plots.setSizes([620, 330])
        # Issue 10 item 2: while the curves belong to the last valid plan a strip above both plots says so.
        # It takes its own row in the layout (the plots give up its height), so it never covers a curve,
        # a level label or a legend.
        central = self.plots_area = QWidget()
        central.setObjectName("plots-area")
        self.stale_badge = StaleBadge(self.document, central, subject="plots")
        self.plot_badges = [self.stale_badge]
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.stale_badge)
        lay.addWidget(self.plots, 1)
        self.setCentralWidget(central)

    def _build_plan_docks(self) -> None:
        doc = self.document
        self.account_panel = AccountPanel(doc)
        self.positions_table = PositionsTable(doc)
        self.position_form = PositionForm(doc)
        # Account and legs above, the selected leg's form below in its own scroll area: a tall form never
        # squeezes the legs table to a few rows (_fit_plan_split); the split is the user's once dragged.
        self.plan_top = QWidget()
        top = QVBoxLayout(self.plan_top)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.account_panel)
        top.addWidget(self.positions_table, 1)
        self.form_area = _scrolled(self.position_form)
        self.form_area.setMinimumWidth(self.position_form.minimumSizeHint().width() + self.form_area.verticalScrollBar().sizeHint().width())
        self.plan_split = QSplitter(Qt.Orientation.Vertical)
        self.plan_split.setObjectName("plan-splitter")
        self.plan_split.setChildrenCollapsible(False)
        self.plan_split.addWidget(self.plan_top)
        self.plan_split.addWidget(self.form_area)
        self._plan_split_dragged = False
        self.plan_split.splitterMoved.connect(self._plan_split_moved)
        self.positions_table.model.modelReset.connect(self._fit_plan_split)  # legs added, removed or another plan
        plan_box = QWidget()
        lay = QVBoxLayout(plan_box)
        lay.setContentsMargins(PLAN_MARGIN, PLAN_MARGIN, PLAN_MARGIN, PLAN_MARGIN)  # the legs table keeps the width
        lay.addWidget(self.plan_split)
        self.results_panel = ResultsPanel(doc)
        self.results_panel.setMinimumWidth(360)
        self.funding_panel = FundingPanel(doc)
        plan_area = _scrolled(plan_box)
        # The form's own minimum width (its scroll area holds the vertical scrollbar): narrower would clip its fields.
        plan_area.setMinimumWidth(plan_box.minimumSizeHint().width())
        self.plan_dock = self.add_panel_dock("Plan", plan_area, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.results_dock = self.add_panel_dock("Results", self.results_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        # One funding row per symbol: a 10-symbol book scrolls instead of growing the window.
        self.funding_dock = self.add_panel_dock("Funding", _scrolled(self.funding_panel), Qt.DockWidgetArea.RightDockWidgetArea)
        self._results_height: int | None = None  # Results' height as _fit_results_split left it
        self.results_panel.model.modelReset.connect(self._results_rows_changed)
        # Results renders nothing while out of sight (ResultsPanel.refresh); a raised tab brings it up to date.
        self.results_dock.visibilityChanged.connect(lambda visible: self.results_panel.refresh() if visible else None)

    def _build_drill_docks(self) -> None:
        """Action plan and Drills docks, tabbed with Funding under Results so the figures keep their room."""
        self.action_panel = ActionPanel()
        self.drills_panel = DrillsPanel()
        # Scrolled, so their content (the Drills forms are ~420 px tall) never sets the height of
        # the tab group under Results nor widens the window after an edit (issue 10 item 8).
        self.actions_dock = self.add_panel_dock("Action plan", _scrolled(self.action_panel))
        self.drills_dock = self.add_panel_dock("Drills", _scrolled(self.drills_panel))
        self.tabifyDockWidget(self.funding_dock, self.actions_dock)
        self.tabifyDockWidget(self.actions_dock, self.drills_dock)
        self.funding_dock.raise_()
        self._action_timer = QTimer(self)
        self._action_timer.setSingleShot(True)
        self._action_timer.setInterval(ACTION_PLAN_DELAY_MS)
        self._action_timer.timeout.connect(self._refresh_actions)
        self._actions_stale = False  # an edit arrived while the Action plan dock was hidden
        self.actions_dock.visibilityChanged.connect(self._on_actions_shown)

    def _build_size_dock(self) -> None:
        """Size from risk (issue 13 item 1), a tab beside Drills: sizing a trade keeps the plan and its figures in view."""
        self.size_panel = SizePanel(self.document)
        self.size_dock = self.add_panel_dock("Size from risk", _scrolled(self.size_panel))
        self.tabifyDockWidget(self.drills_dock, self.size_dock)
        self.funding_dock.raise_()

    def _build_planning_docks(self) -> None:
        """Scale-in ladder and Payoff docks (issue 13 items 4, 5), tabbed behind Funding; both compute only while shown."""
        self.ladder_panel = LadderPanel(self.document, lazy=True)
        self.payoff_plot = PayoffPlot(lazy=True)
        # Not scrolled: its table scrolls itself, and the panel needs only ~225 px (fits the tab group at 1280x720).
        self.ladder_dock = self.add_panel_dock("Scale-in ladder", _scrolled(self.ladder_panel))
        self.payoff_dock = self.add_panel_dock("Payoff", _scrolled(self.payoff_plot))
        self.tabifyDockWidget(self.size_dock, self.ladder_dock)
        self.tabifyDockWidget(self.ladder_dock, self.payoff_dock)
        self.payoff_dock.visibilityChanged.connect(self.payoff_plot.set_shown)
        self.ladder_dock.visibilityChanged.connect(self.ladder_panel.set_shown)
        self.funding_dock.raise_()

    def _build_status_bar(self) -> None:
        self.status_profile = QLabel()
        self.status_profile.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.status_eval = QLabel()
        self.status_eval.setTextFormat(Qt.TextFormat.PlainText)  # shows user text (names, symbols, currencies)
        self.statusBar().addPermanentWidget(self.status_profile)
        self.statusBar().addPermanentWidget(self.status_eval)

    def _connect(self) -> None:
        doc = self.document
        doc.changed.connect(self._on_changed)
        doc.figuresChanged.connect(self._on_figures)
        doc.pathChanged.connect(lambda *_: self._update_title())
        doc.changed.connect(lambda *_: self._update_title())  # a renamed unsaved plan
        doc.dirtyChanged.connect(self.setWindowModified)
        self.positions_table.selectionChangedTo.connect(self._select_row)
        self.positions_table.message.connect(lambda text: self.statusBar().showMessage(text, 15000))
        # One selected leg: a row chosen in Results selects it in the legs table (form, plot, detail line follow).
        self.results_panel.legSelected.connect(self.positions_table.select)
        self.profile_selector.details.clicked.connect(self.show_profile_details)
        self.liquidation_plot.markDragged.connect(doc.set_mark)
        self.liquidation_plot.zoomResetRequested.connect(doc.reset_view)
        self.action_panel.sigApplyPlan.connect(doc.apply_plan)
        self.drills_panel.sigEquityPath.connect(self.equity_plot.show_path)
        self.positions_table.selectionChangedTo.connect(self.ladder_panel.set_leg)
        doc.figuresChanged.connect(self.payoff_plot.set_figures)
        self.drills_panel.safe_size.sigApplyPlan.connect(doc.apply_plan)
        doc.problemsChanged.connect(lambda *_: self.drills_panel.safe_size.set_draft(doc.draft))

    def add_panel_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """A dock named ``title`` in the View menu; its tab and title bar read SHORT_TITLES' short form if it has one."""
        dock = QDockWidget(SHORT_TITLES.get(title, title), self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")  # from the full name: saved layouts keep working
        dock.setWidget(widget)
        dock.toggleViewAction().setText(title)  # View lists the full name
        dock.setToolTip(title)
        self.addDockWidget(area, dock)
        # A dock moved into another tab group gets a new tab: it keeps its whole title and full-name tooltip.
        dock.dockLocationChanged.connect(self._tab_titles_timer.start)
        return dock

    def dock_name(self, dock: QDockWidget) -> str:
        """The dock's full name (its View-menu entry), e.g. "Size from risk" for the tab "Sizing"."""
        return dock.toggleViewAction().text()

    def docks(self) -> list[QDockWidget]:
        """Every dock, in View-menu order."""
        return [
            self.plan_dock,
            self.results_dock,
            self.funding_dock,
            self.actions_dock,
            self.drills_dock,
            self.size_dock,
            self.ladder_dock,
            self.payoff_dock,
        ]

    def default_dock_sizes(self) -> None:
        """Plan | plots | Results widths and the Results / Funding split, scaled to the window.

        At 1280x720 this gives Plan 350 px, widened to what the legs table's shown columns
        need (391 px for the 10-leg screenshot book: no sideways scrolling) while the plots keep
        PLOTS_MIN_WIDTH, Results 470 px (leg, state, liquidation price and margin ratio
        columns) and the plots the rest (~407 px); at 1600x1000 Plan 420, Results as wide as
        its columns through Equity need (~625 px for that book) while the plots keep
        PLOTS_WIDE_WIDTH, plots ~540. Heights: Results as tall as its rows need
        (_fit_results_split), the Funding / Action plan / Drills ... tabs the rest (they scroll).
        """
        w, h = max(self.width(), 800), max(self.height(), 500)
        plan = int(min(420, max(350, 0.27 * w)))
        results = int(min(600, max(470, 0.36 * w)))
        # Wide enough for the legs table's shown columns without sideways scrolling when the plots keep
        # PLOTS_MIN_WIDTH; when even that is not enough (long dated symbols such as BTCUSDT_261225 at
        # 1280 px) the table scrolls and the plots keep the room.
        separators = 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, self)
        need = self.positions_table.needed_width() + 2 * PLAN_MARGIN
        if plan < need <= w - results - separators - PLOTS_MIN_WIDTH:
            plan = need
        # Wider still when the plots keep PLOTS_WIDE_WIDTH: every column through Equity whole (1600 px).
        wide = self.results_panel.needed_width("equity") + 4  # the frames of the dock and its separator
        if results < wide <= w - plan - separators - PLOTS_WIDE_WIDTH:
            results = wide
        self.resizeDocks([self.plan_dock, self.results_dock], [plan, results], Qt.Orientation.Horizontal)
        right = h - 90  # menu, toolbar and status bar
        share = int(RESULTS_MAX_SHARE * right)
        self.resizeDocks([self.results_dock, self.funding_dock], [share, right - share], Qt.Orientation.Vertical)
        self.plots.setSizes([int(0.62 * right), int(0.38 * right)])
        QTimer.singleShot(0, self._fit_plan_split)  # once the docks have their new heights
        QTimer.singleShot(0, self._fit_results_split)  # once Results has its new width (wrapped lines)

    def _fit_results_split(self) -> None:
        """Results just tall enough for its rows; the tabs below it (Funding, Action plan, Drills ...) get the rest.

        Room for every leg (at least RESULTS_MIN_ROWS rows) with the account lines, the detail line
        and a stale banner (ResultsPanel.needed_height), at most RESULTS_MAX_SHARE of the right
        column: at 1600x1000 the 10-leg book's Results is ~420 px tall and the tabs ~480 (they held
        ~280 before); at 1280x720 Results ~420 (its 10 rows), the tabs ~200.
        """
        results, below = self.results_dock, self.funding_dock
        if results.isFloating() or below.isFloating() or not (results.isVisible() and below.isVisible()):
            return
        if self.dockWidgetArea(results) != self.dockWidgetArea(below):
            return
        layout = self.layout()
        if layout is not None:
            layout.activate()  # the docks' widths from default_dock_sizes, applied now
        sep = self.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, self)
        # The right column spans the central area's height; the tab group below Results includes its tab bar.
        column = self.plots_area.height() - sep
        rows = max(self.results_panel.model.rowCount(), RESULTS_MIN_ROWS)
        want = results.height() - self.results_panel.height() + self.results_panel.needed_height(rows) + 2
        top = min(want, int(RESULTS_MAX_SHARE * column))
        # Both sizes, summing to the column: Qt then has nothing left over to share out between them.
        self.resizeDocks([results, below], [top, column - top], Qt.Orientation.Vertical)
        if layout is not None:
            layout.activate()
        self._results_height = results.height()  # the split is the user's once it differs (dragged, window resized)

    def _results_rows_changed(self) -> None:
        """Legs added or removed, or another plan: Results follows its rows while its height is still the fitted one."""
        if self._results_height is not None and self.results_dock.height() == self._results_height:
            QTimer.singleShot(0, self._fit_results_split)

    def _plan_split_moved(self, *_: object) -> None:
        self._plan_split_dragged = True

    def _fit_plan_split(self) -> None:
        """Legs table / leg form split of the Plan dock (until the user drags it).

        The table shows every leg when the form's everyday fields (Symbol down to the
        stop / take-profit figures, PositionForm.everyday_height) still fit below it,
        else at least PLAN_TABLE_ROWS rows; the form scrolls for the rest (Target ROE,
        the dated-futures rows, the problem footer). At 1600x1000 the 10-leg book shows
        all 10 legs and the form down to the take-profit figures (~470 of its ~580 px);
        at 1280x720 and 1366x768 it shows 7 of the 10 legs, and the form Symbol to about
        Margin mode, scrolling for the rest.
        """
        total = sum(self.plan_split.sizes())
        if self._plan_split_dragged or total <= 0 or not self.plan_top.isVisible():
            return
        view = self.positions_table.view
        row = view.verticalHeader().defaultSectionSize()
        extra = self.plan_top.height() - view.viewport().height()  # account, header, scroll bar, buttons
        n = max(self.positions_table.model.rowCount(), 1)
        fits = (total - self.position_form.everyday_height() - extra - 2) // row
        rows = min(n, max(PLAN_TABLE_ROWS, fits))
        top = min(extra + rows * row + 2, total - self.form_area.minimumSizeHint().height())
        self.plan_split.setSizes([top, total - top])

    def reset_layout(self) -> None:
        """View › Reset layout: every dock shown, docked where it starts, default sizes, Funding tab in front."""
        self.restoreState(self._default_state)
        self.positions_table.reset_columns()
        self._plan_split_dragged = False
        for dock in self.docks():
            dock.setFloating(False)
            dock.show()
        for bar in self.findChildren(QToolBar):
            bar.show()
        self.funding_dock.raise_()
        self._whole_tab_titles()
        self.default_dock_sizes()

    def _fit_to_screen(self) -> None:
        """Start at DEFAULT_SIZE, or at the screen's available area when that is smaller (never larger than the screen)."""
        w, h = DEFAULT_SIZE
        screen = QGuiApplication.primaryScreen()
        # The offscreen platform (tests, --screenshot) reports a nominal 800x600 screen: not a real limit.
        if screen is not None and QGuiApplication.platformName() != "offscreen":
            avail = screen.availableGeometry()
            w, h = min(w, avail.width()), min(h, avail.height())
        self.resize(w, h)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._whole_tab_titles()
        if not self._sized:
            # First show without a saved layout: size the docks for the window's real size.
            self._sized = True
            self.default_dock_sizes()
        if self._actions_stale:
            self._action_timer.start()  # after the first paint, when the docks know whether they are in sight

    def _whole_tab_titles(self) -> None:
        """Dock tab titles are never cut to "Fund…", and each tab's tooltip is its dock's full name.

        The six tabs under Results fit the 470 px column at 1280x720 with SHORT_TITLES;
        in a narrower column (a dragged layout) they scroll with arrows rather than elide.
        """
        names = {d.windowTitle(): self.dock_name(d) for d in self.docks()}
        for bar in self.findChildren(QTabBar):
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)
            if isinstance(bar.parentWidget(), QMainWindow):  # a dock area's tabs (not a panel's own QTabWidget)
                for i in range(bar.count()):
                    full = names.get(bar.tabText(i))
                    if full is not None:
                        bar.setTabToolTip(i, full)

    def menu(self, name: str) -> QMenu:
        return self._menus[name]

    # -- updates ----------------------------------------------------------------
    def _on_changed(self, plan: Plan, evaluation: Evaluation | None) -> None:
        doc = self.document
        self.results_panel.refresh()
        self.drills_panel.set_context(plan, doc.profile, evaluation, marks=dict(doc.marks))
        self._action_timer.start()
        self.status_profile.setText(f"Profile: {doc.profile.name}  |  rule: {doc.profile.rule}")
        self.status_eval.setText(f"evaluated in {doc.eval_ms:.1f} ms" if evaluation is not None else "not evaluated: fix the marked fields")
        self.status_eval.setToolTip(doc.profile.traits.formula)

    def _on_figures(self, figures: Figures) -> None:
        self.liquidation_plot.set_figures(figures)
        self.equity_plot.set_figures(figures)

    def _refresh_actions(self) -> None:
        """Give the action plan the plan on screen; deferred while the window is hidden or the dock closed or tabbed away.

        The action plan costs tens of milliseconds of engine work per context: a hidden panel
        gets the context when its dock is shown (``_on_actions_shown``), never a stale one.
        """
        if not self.isVisible() or _out_of_sight(self.actions_dock):
            self._actions_stale = True
            return
        self._actions_stale = False
        doc = self.document
        self.action_panel.set_context(doc.plan, doc.profile, doc.evaluation, marks=dict(doc.marks) or None)

    def _on_actions_shown(self, visible: bool) -> None:
        if visible and self._actions_stale:
            self._refresh_actions()

    def flush_action_plan(self) -> None:
        """Bring the action plan up to date now instead of after the typing pause (shown or not)."""
        self._action_timer.stop()
        self._actions_stale = False
        doc = self.document
        self.action_panel.set_context(doc.plan, doc.profile, doc.evaluation, marks=dict(doc.marks) or None)

    def _select_row(self, row: int) -> None:
        doc = self.document
        self.position_form.set_row(row)
        self.results_panel.select_leg(row)
        self.liquidation_plot.set_leg(row if row >= 0 else None)
        symbol = doc.draft.positions[row].symbol if 0 <= row < len(doc.draft.positions) else None
        doc.set_focus(symbol)

    def _update_title(self) -> None:
        path = self.document.path
        name = path.name if path else f"{self.document.plan.name} (unsaved)"
        self.setWindowTitle(f"{name}[*] — Position Planner")
        self.setWindowModified(self.document.is_dirty())

    # -- menus ----------------------------------------------------------------
    def _update_profiles_from_exchange(self) -> None:
        """Profiles › Update from exchange…: the only network access, started by the user; reloads user profiles after a save."""
        from planner.io.user_profiles import load_user_profiles
        from ui.dialogs.update_profiles import show_update_profiles

        show_update_profiles(self, on_saved=lambda _ids: self.document.set_user_profiles(load_user_profiles()))

    def _action(
        self, menu: QMenu, text: str, slot: Callable[..., object], shortcut: QKeySequence.StandardKey | str | None = None
    ) -> QAction:
        act = menu.addAction(text)
        act.triggered.connect(slot)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        return act

    def _build_menus(self) -> None:
        bar = self.menuBar()
        for name in ("File", "Edit", "View", "Drills", "Profiles", "Help"):
            self._menus[name] = bar.addMenu(f"&{name}")
        f = self._menus["File"]
        self._action(f, "&New", self.file_new, QKeySequence.StandardKey.New)
        self._action(f, "&Open…", self.file_open, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action(f, "&Import positions…", self.import_positions)
        self._action(f, "&Save", self.file_save, QKeySequence.StandardKey.Save)
        self._action(f, "Save &as…", self.file_save_as, QKeySequence.StandardKey.SaveAs)
        export = f.addMenu("&Export")
        doc = self.document
        self._action(
            export,
            "Report (PDF)…",
            lambda: export_report(self, doc, drills=self.drills_panel.report_records(), payoff=self.payoff_plot.settings()),
        )
        self._action(export, "Plot images (PNG)…", lambda: export_plot_pngs(self, self.plot_widgets(), doc=doc))
        self._action(export, "Positions (CSV)…", lambda: export_positions_csv(self, doc))
        self._action(export, "Liquidation-plot price grid (CSV)…", lambda: export_grid_csv(self, doc))
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
        self._action(v, "Reset plot zoom", self.reset_zoom, "Ctrl+0")
        v.addSeparator()
        for dock in self.docks():
            v.addAction(dock.toggleViewAction())
        for toolbar in self.findChildren(QToolBar):
            act = toolbar.toggleViewAction()
            act.setText("Exchange profile bar")
            v.addAction(act)
        v.addSeparator()
        self._action(v, "Reset layout", self.reset_layout)
        d = self._menus["Drills"]
        for index, title in enumerate(DRILL_TABS):
            self._action(d, title, lambda _=False, i=index: self.show_drill(i))
        self._action(d, "Action plan", self.show_action_plan)
        self._action(d, "Scale-in ladder", lambda: self._show_dock(self.ladder_dock))
        self._action(d, "Payoff", lambda: self._show_dock(self.payoff_dock))
        self._action(d, "Size from risk", self.show_size_box)
        p = self._menus["Profiles"]
        self._action(p, "Import tiers from an exchange file…", lambda: import_tiers_dialog(self, doc))
        self._action(p, "Edit current profile…", lambda: edit_profile_dialog(self, doc))
        self._action(p, "Update from exchange…", self._update_profiles_from_exchange)
        self._action(p, "Profile details…", self.show_profile_details)
        h = self._menus["Help"]
        self._action(h, "Formulas used…", self.show_formulas)
        self._action(h, "Profile details…", self.show_profile_details)
        self._action(h, "&About Position Planner", lambda: show_about(self))
        self.set_theme(str(self.settings.value("theme", "system")))
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda *_: self.set_theme(self.theme) if self.theme == "system" else None)

    def set_theme(self, mode: str, remember: bool = True) -> None:
        """Apply the light, dark or system theme; ``remember`` saves the choice for the next start."""
        self.theme = mode if mode in self.theme_actions else "system"
        self.theme_actions[self.theme].setChecked(True)
        dark = apply_theme(self.theme)
        style = style_for(dark)
        self.liquidation_plot.apply_style(style)
        self.equity_plot.apply_style(style)
        self.payoff_plot.apply_style(style)
        self.drills_panel.safe_size.apply_style(style)
        if remember:
            self.settings.setValue("theme", self.theme)

    def plot_widgets(self) -> list[tuple[str, QWidget]]:
        """The plots by export name (File › Export › Plot images)."""
        self.payoff_plot.refresh()  # drawn even when its dock was never shown
        return [("liquidation-plot", self.liquidation_plot), ("equity-plot", self.equity_plot), ("payoff-plot", self.payoff_plot)]

    def _show_dock(self, dock: QDockWidget) -> None:
        dock.show()
        dock.raise_()

    def show_action_plan(self) -> None:
        self.actions_dock.show()
        self.actions_dock.raise_()

    def show_size_box(self) -> None:
        self.size_dock.show()
        self.size_dock.raise_()

    def show_drill(self, index: int) -> None:
        """Show the Drills dock on tab ``index`` (see DRILL_TABS)."""
        self.drills_dock.show()
        self.drills_dock.raise_()
        self.drills_panel.tabs.setCurrentIndex(index)

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
        QMessageBox.information(
            self, "Formulas used", f"<p>Current profile: {html.escape(p.name)} (rule <b>{p.rule}</b>).</p><ul>{rows}</ul>"
        )

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
        path, _ = QFileDialog.getOpenFileName(self, "Open plan", str(start_folder(self.document)), PLAN_FILTER)
        if path:
            self.open_path(path)

    def import_positions(self) -> bool:
        """File › Import positions…: a venue's saved positions response opened as a new, unsaved plan."""
        from ui.dialogs.import_positions import import_positions_dialog

        if not self.maybe_save():
            return False
        plan = import_positions_dialog(self, self.document.user_profiles, str(start_folder(self.document)))
        if plan is None:
            return False
        self.document.open_unsaved(plan)
        self.positions_table.select(0)
        self._select_row(0 if plan.positions else -1)
        self.statusBar().showMessage(f"Imported {len(plan.positions)} leg(s) as a new plan (not saved yet)", 8000)
        return True

    def open_path(self, path: str | Path) -> bool:
        try:
            self.document.load(path)
        except PlannerError as exc:
            QMessageBox.warning(self, "Cannot open plan", exc.describe())
            return False
        self._remember(Path(path))
        self.positions_table.select(0)
        self._select_row(0 if self.document.plan.positions else -1)
        check_snapshot(self, self.document)
        return True

    def file_save(self) -> bool:
        if self.document.path is None:
            return self.file_save_as()
        return self._save(self.document.path)

    def file_save_as(self) -> bool:
        doc = self.document
        name = doc.path.name if doc.path is not None else f"{file_stem(doc.plan.name)}.plan.json"
        path, _ = QFileDialog.getSaveFileName(self, "Save plan as", str(start_folder(doc) / name), PLAN_FILTER)
        return self._save(Path(path)) if path else False

    def _save(self, path: Path) -> bool:
        if not confirm_left_out(self, self.document, path):  # legs a venue switch left out: the user decides first
            return False
        try:
            self.document.save(path)
        except (OSError, PlannerError) as exc:
            QMessageBox.warning(self, "Cannot save plan", f"{path}: {exc}")
            return False
        self._remember(path)
        gone = ", ".join(f"#{m.index + 1} {m.source_symbol}" for m in self.document.unmapped)
        self.statusBar().showMessage(f"Saved to {path.resolve()}" + (f" without {gone} (not listed on this venue)" if gone else ""), 8000)
        return True

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else [str(p) for p in value] if isinstance(value, list) else []

    def _remember(self, path: Path) -> None:
        """Put ``path`` first in Open recent (the next launch opens it) and make its folder the dialogs' start."""
        items = [str(path.resolve())] + [p for p in self.recent_files() if p != str(path.resolve())]
        self.settings.setValue("recent", items[:MAX_RECENT])
        remember_folder(path)

    def remember_opened(self, path: str | Path) -> None:
        """A plan opened outside the menus (the command line) joins Open recent too."""
        self._remember(Path(path))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.recent_files():
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.maybe_save() and self.open_path(p))
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none)").setEnabled(False)

    # -- layout persistence ------------------------------------------------------
    def restore_layout(self) -> None:
        """The last session's geometry and docks (closed docks stay closed until reopened from View)."""
        self.positions_table.restore_columns(self.settings)
        geo = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None and self.restoreState(state):
            self._sized = True  # the saved dock sizes win over the defaults

    def reset_zoom(self) -> None:
        """View › Reset plot zoom: both plots follow the plan again (clears the user-zoomed flag)."""
        self.equity_plot.reset_zoom()
        self.document.reset_view()  # new view serial: the liquidation plot refits and clears its user-zoomed flag

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.autosave.stop()  # a deliberate close leaves nothing to recover
        self._action_timer.stop()  # a closed window computes nothing more
        event.accept()


def _out_of_sight(dock: QDockWidget) -> bool:
    """True when nothing of ``dock`` is on screen: closed, or behind another dock's tab (Qt keeps those "visible")."""
    return not dock.isVisible() or dock.visibleRegion().isEmpty()


def _scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area that follows the dock's width (its minimum size no longer binds the window)."""
    area = QScrollArea()
    area.setObjectName(f"scroll-{type(widget).__name__}")
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area
