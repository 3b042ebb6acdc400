"""Run a planner function off the GUI thread with progress and cancel."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QThread, Signal

from planner.errors import PlannerError


class DrillWorker(QThread):
    """Calls ``fn(progress)`` in a thread; ``progress(fraction) -> bool`` returns False once cancelled.

    Signals: ``sigProgress(float)``, ``sigDone(object)`` with the result, ``sigFailed(str)``
    with a one-line reason (PlannerError text, never a traceback).
    """

    sigProgress = Signal(float)
    sigDone = Signal(object)
    sigFailed = Signal(str)

    def __init__(self, fn: Callable[[Callable[[float], bool]], object], parent=None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    @property
    def cancelled(self) -> bool:
        return self._cancel

    def _progress(self, fraction: float) -> bool:
        self.sigProgress.emit(float(fraction))
        return not self._cancel

    def run(self) -> None:  # noqa: D401 - QThread API
        try:
            result = self._fn(self._progress)
        except PlannerError as exc:
            self.sigFailed.emit(exc.describe())
            return
        except Exception as exc:  # noqa: BLE001 - shown to the user as one line
            self.sigFailed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.sigDone.emit(result)
