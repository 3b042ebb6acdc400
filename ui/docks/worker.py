"""DrillWorker: runs a drill off the GUI thread with progress and cancel (shared by the drill tabs)."""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal

from planner.model.errors import PlannerError


class DrillWorker(QThread):
    """Runs ``job(progress)`` off the GUI thread; ``cancel()`` makes the next progress callback return False."""

    progressed = Signal(float)
    finishedWith = Signal(object, object)  # result, error text | None

    def __init__(self, job, parent=None) -> None:
        super().__init__(parent)
        self._job = job
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def _progress(self, fraction: float) -> bool:
        self.progressed.emit(float(fraction))
        return not self._cancelled

    def run(self) -> None:
        try:
            result = self._job(self._progress)
        except PlannerError as exc:
            self.finishedWith.emit(None, exc.describe())
        except Exception as exc:  # pragma: no cover - reported, never raised into Qt
            self.finishedWith.emit(None, f"drill failed: {exc}")
        else:
            self.finishedWith.emit(result, None)
