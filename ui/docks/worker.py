"""Work off the GUI thread.

``DrillWorker`` runs one drill with progress and cancel (the drill tabs);
``LatestJob`` runs the latest of a stream of computations that follow the plan
on screen, after a short pause (the action plan, the scale-in ladder).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QThreadPool, QTimer, Signal, Slot

from planner.model.errors import PlannerError, Problem


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


class LatestJob(QObject):
    """The latest of a stream of computations, run on one worker thread ``delay_ms`` after it is submitted.

    Each :meth:`submit` (or :meth:`bump`, an input that needs no computation) starts a new
    generation; a burst of submissions starts only the last, and a superseded one that has not
    started never runs. ``ready(generation, result)`` arrives on the GUI thread for the latest
    generation only. ``result`` is what the computation returned, or the PlannerError it raised;
    any other exception becomes a PlannerError naming ``field`` and ``what`` (never raised into Qt).
    """

    ready = Signal(int, object)
    _finished_gen = Signal(int)  # emitted on the worker thread, delivered queued on the GUI thread

    def __init__(self, delay_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # One worker thread owned here: its destructor waits for a running computation.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._lock = threading.Lock()
        self._finished: dict[int, object] = {}  # written by the worker, read here
        self._generation = 0
        self._job: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._launch)
        self._finished_gen.connect(self._deliver)

    @property
    def generation(self) -> int:
        """The latest generation (of the input on screen)."""
        return self._generation

    def bump(self) -> int:
        """A new input that needs no computation (or not now): drop the waiting one; the new generation."""
        self._timer.stop()
        self._job = None
        self._generation += 1
        return self._generation

    def submit(self, compute: Callable[[], object], *, field: str, what: str) -> int:
        """Compute ``compute()`` on the worker after the pause; the new generation."""
        gen = self.bump()
        self._pool.clear()
        lock, finished, signal = self._lock, self._finished, self._finished_gen

        def job() -> None:
            try:
                result = compute()
            except PlannerError as exc:
                result = exc
            except Exception as exc:  # shown by the panel, never raised into Qt
                result = PlannerError([Problem(field, f"{what} failed: {exc}")])
            with lock:
                finished[gen] = result
            with contextlib.suppress(RuntimeError):  # the owner is gone
                signal.emit(gen)

        self._job = job
        self._timer.start()
        return gen

    def _launch(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            self._pool.clear()
            self._pool.start(job)

    @Slot(int)
    def _deliver(self, gen: int) -> None:
        with self._lock:
            result = self._finished.pop(gen, None)
            for old in [g for g in self._finished if g < self._generation]:
                del self._finished[old]
        if gen == self._generation and result is not None:
            self.ready.emit(gen, result)

    def flush(self, timeout_ms: int = 30000) -> None:
        """Run the waiting computation now, wait for it and deliver its result (tests, the report)."""
        self._timer.stop()
        self._launch()
        self._pool.waitForDone(timeout_ms)
        self._deliver(self._generation)
