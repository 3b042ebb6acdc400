"""LatestJob: a burst of submissions runs only the last, and only the latest result is delivered."""

from __future__ import annotations

from planner.model.errors import PlannerError
from ui.docks.worker import LatestJob


def test_a_burst_runs_only_the_last_and_delivers_it_once(qtbot) -> None:
    jobs = LatestJob(10_000)  # a long pause: nothing starts before flush
    calls: list[int] = []
    got: list[tuple[int, object]] = []
    jobs.ready.connect(lambda gen, result: got.append((gen, result)))
    for i in range(3):
        jobs.submit(lambda i=i: calls.append(i) or i * 10, field="x", what="the test")
    jobs.flush()
    assert calls == [2] and got == [(3, 20)]
    jobs.flush()  # nothing waiting: nothing delivered again
    assert got == [(3, 20)]


def test_a_failure_is_a_planner_error_naming_the_field(qtbot) -> None:
    jobs = LatestJob(0)
    got: list[object] = []
    jobs.ready.connect(lambda gen, result: got.append(result))
    jobs.submit(lambda: 1 / 0, field="ladder", what="the ladder")
    jobs.flush()
    assert isinstance(got[0], PlannerError) and "ladder" in got[0].describe() and "the ladder failed" in got[0].describe()


def test_an_input_without_computation_supersedes_the_waiting_one(qtbot) -> None:
    jobs = LatestJob(10_000)
    got: list[object] = []
    jobs.ready.connect(lambda gen, result: got.append(result))
    jobs.submit(lambda: "old", field="x", what="the test")
    assert jobs.bump() == 2
    jobs.flush()
    assert got == []
