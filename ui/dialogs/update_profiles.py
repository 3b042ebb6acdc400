"""Profiles > Update from exchange...: the window's explicit, opt-in online update.

Lists the venues with checkboxes and, live, every public URL that pressing
Fetch will call (nothing is called before that press). The fetch runs in a
worker thread with progress and Cancel; the diff against the current profiles
is shown tier by tier, and Save writes user profiles (which shadow the bundled
ones). Binance is listed but cannot be ticked: its endpoint needs an API key
(use ``position-planner import-tiers`` with a saved response).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from planner.io.online import DEFAULT_TIMEOUT_S, Request, VenuePlan, VenueResult, fetch_json, plan_update, run_update
from planner.io.registry import bundled_profiles
from planner.model.errors import PlannerError
from planner.model.profile import ExchangeProfile

_ID_ROLE = Qt.ItemDataRole.UserRole


class _Relay(QObject):
    """Carries the worker thread's news to the GUI thread (queued signals)."""

    step = Signal(int, str)  # requests done so far, URL about to be called
    done = Signal(object)  # list[VenueResult], or None when cancelled
    failed = Signal(str)  # one-line message


def all_profiles() -> dict[str, ExchangeProfile]:
    """Bundled profiles, shadowed by user profiles of the same id."""
    from planner.io.user_profiles import load_user_profiles

    table = dict(bundled_profiles())
    table.update(load_user_profiles())
    return table


class UpdateProfilesDialog(QDialog):
    """Choose venues, see the URLs, fetch (cancellable), read the diff, save."""

    saved = Signal(list)  # ids of the user profiles written

    def __init__(
        self,
        parent: QWidget | None = None,
        profiles: Mapping[str, ExchangeProfile] | None = None,
        *,
        fetch: Callable[[Request, float], Any] = fetch_json,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Update profiles from exchanges")
        self.resize(760, 620)
        self._fetch = fetch
        self._timeout = timeout
        self._plans: dict[str, VenuePlan] = {}
        self._results: list[VenueResult] = []
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._relay = _Relay(self)
        self._relay.step.connect(self._on_step)
        self._relay.done.connect(self._on_done)
        self._relay.failed.connect(self._on_failed)

        intro = QLabel(
            "This is the only time the app uses the network. Tick the venues to update; the public URLs below are "
            "called only when you press Fetch (no API key, nothing else is sent). Nothing is saved until you press Save."
        )
        intro.setWordWrap(True)
        self.venues = QListWidget()
        self.venues.setAccessibleName("Venues to update")
        for prof in (profiles if profiles is not None else all_profiles()).values():
            plan = plan_update(prof)
            item = QListWidgetItem(f"{prof.name} ({prof.id}), numbers of {prof.version.isoformat()}")
            item.setData(_ID_ROLE, prof.id)
            if plan.requests:
                self._plans[prof.id] = plan
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
            else:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsUserCheckable)
                item.setText(f"{item.text()}: not fetched")
                item.setToolTip(plan.not_fetched)
            self.venues.addItem(item)
        self.venues.itemChanged.connect(lambda _item: self._show_urls())
        self.urls = QPlainTextEdit(readOnly=True)
        self.urls.setAccessibleName("URLs that Fetch will call")
        self.urls.setMaximumHeight(130)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.diff = QPlainTextEdit(readOnly=True)
        self.diff.setAccessibleName("Differences with the current profiles")
        self.diff.setPlaceholderText("The differences, tier by tier, appear here after the fetch.")

        self.fetch_button = QPushButton("&Fetch")
        self.cancel_button = QPushButton("&Cancel fetch")
        self.save_button = QPushButton("&Save as user profiles")
        close_button = QPushButton("Close")
        self.cancel_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.fetch_button.clicked.connect(self.start_fetch)
        self.cancel_button.clicked.connect(self.cancel_fetch)
        self.save_button.clicked.connect(self.save)
        close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.fetch_button, self.cancel_button, self.save_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.venues)
        layout.addWidget(QLabel("URLs to be called:"))
        layout.addWidget(self.urls)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.diff, 1)
        layout.addLayout(buttons)
        self._show_urls()

    # -- choosing ---------------------------------------------------------------
    def chosen_plans(self) -> list[VenuePlan]:
        out = []
        for i in range(self.venues.count()):
            item = self.venues.item(i)
            pid = item.data(_ID_ROLE)
            if pid in self._plans and item.checkState() == Qt.CheckState.Checked:
                out.append(self._plans[pid])
        return out

    def _show_urls(self) -> None:
        plans = self.chosen_plans()
        lines = [f"[{p.profile.id}] {r.describe()}" for p in plans for r in p.requests]
        notes = [
            f"{self.venues.item(i).data(_ID_ROLE)}: {self.venues.item(i).toolTip()}"
            for i in range(self.venues.count())
            if self.venues.item(i).toolTip()
        ]
        self.urls.setPlainText("\n".join(lines + notes) if lines or notes else "")
        running = self._thread is not None
        self.fetch_button.setEnabled(bool(lines) and not running)

    # -- fetching ---------------------------------------------------------------
    def start_fetch(self) -> None:
        plans = self.chosen_plans()
        if not plans or self._thread is not None:
            return
        total = sum(len(p.requests) for p in plans)
        self._results = []
        self.diff.clear()
        self.save_button.setEnabled(False)
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.status.setText("Fetching…")
        self.venues.setEnabled(False)
        self.fetch_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        cancel = threading.Event()
        self._cancel = cancel
        relay, fetch, timeout = self._relay, self._fetch, self._timeout

        def emit(signal: Any, *args: object) -> None:
            with contextlib.suppress(RuntimeError):  # the dialog was closed and deleted meanwhile
                signal.emit(*args)

        def work() -> None:
            results: list[VenueResult] = []
            count = 0

            def told(req: Request) -> None:
                nonlocal count
                emit(relay.step, count, req.url)
                count += 1

            try:
                for plan in plans:
                    res = run_update(plan, timeout=timeout, fetch=fetch, on_request=told, cancel=cancel)
                    if res is None:
                        emit(relay.done, None)
                        return
                    results.append(res)
            except PlannerError as exc:
                emit(relay.failed, exc.describe())
                return
            except Exception as exc:  # never let the worker die silently
                emit(relay.failed, f"unexpected {type(exc).__name__}: {exc}")
                return
            emit(relay.done, None if cancel.is_set() else results)

        self._thread = threading.Thread(target=work, name="update-profiles", daemon=True)
        self._thread.start()

    def cancel_fetch(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.status.setText("Cancelling… (a call already under way ends within its time limit)")
            self.cancel_button.setEnabled(False)

    def is_running(self) -> bool:
        return self._thread is not None

    def _finish(self) -> None:
        self._thread = None
        self._cancel = None
        self.venues.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self._show_urls()

    def _on_step(self, done: int, url: str) -> None:
        self.progress.setValue(done)
        self.status.setText(f"Fetching {url}")

    def _on_done(self, results: list[VenueResult] | None) -> None:
        self._finish()
        if results is None:
            self.status.setText("Cancelled: nothing was saved.")
            return
        self.progress.setValue(self.progress.maximum())
        self._results = results
        lines: list[str] = []
        for res in results:
            lines += [*res.diff_lines(), ""]
        self.diff.setPlainText("\n".join(lines).rstrip())
        changed = sum(1 for r in results if r.changed)
        self.status.setText(
            f"Fetched {len(results)} venue(s); {changed} with changed numbers. Save writes them as user profiles dated today."
        )
        self.save_button.setEnabled(True)

    def _on_failed(self, message: str) -> None:
        self._finish()
        self.status.setText(f"Fetch failed, nothing saved: {message}")

    # -- saving -----------------------------------------------------------------
    def save(self) -> list[str]:
        """Write every fetched profile as a user profile; returns their ids."""
        from planner.io.user_profiles import save_user_profile

        ids = []
        for res in self._results:
            save_user_profile(res.updated)
            ids.append(res.updated.id)
        self.save_button.setEnabled(False)
        self.status.setText(f"Saved user profiles: {', '.join(ids)}.")
        self._results = []
        self.saved.emit(ids)
        return ids

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._cancel is not None:
            self._cancel.set()
        super().closeEvent(event)

    def reject(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
        super().reject()


def show_update_profiles(parent: QWidget, on_saved: Callable[[list[str]], None] | None = None) -> UpdateProfilesDialog:
    """Open the dialog (modal); ``on_saved`` gets the ids of the profiles saved."""
    dialog = UpdateProfilesDialog(parent)
    if on_saved is not None:
        dialog.saved.connect(on_saved)
    dialog.exec()
    return dialog
