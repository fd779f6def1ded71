"""The scheduler's own pool: a time limit counts from when a job starts, and a stopped batch starts nothing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import struct
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from exporter import _scheduler
from exporter._worker import Outcome, Task

NAP = {"long": 2.0, "queued": 1.5, "runaway": 30.0, "failing": 0.2, "slow": 0.6, "blocker": 2.0, "quick": 0.0,
       "first": 1.5, "next": 1.0, "stuck": 3.0}
"""Seconds each kind of task sleeps, by the `source` prefix."""


def _pretend(task: Task) -> Outcome:
    """A stand-in for `work` (inherited by the forked workers): sleeps, leaves a mark, fails when told to."""
    kind, _, mark = task.source.partition(":")
    Path(mark).touch()
    time.sleep(NAP[kind])
    return Outcome(data=None if kind == "failing" else b"ok", companions={}, diagnostics=(), seconds=NAP[kind])


def _task(kind: str, mark: Path) -> Task:
    return Task(source=f"{kind}:{mark}", data=b"", format="json", theme="default")


def _run(tasks: list[tuple[str, Task]], timeout: float | None, stop_on_failure: bool = False,
         ) -> tuple[dict[str, str], list[str]]:
    context = multiprocessing.get_context("fork")
    board = _scheduler._Board(context, 4)
    results: dict[str, str] = {}

    def finish(key: str, outcome: Outcome) -> bool:
        failed = outcome.data is None
        results[key] = "timeout" if outcome.diagnostics and outcome.diagnostics[0].code == "job.timeout" else (
            "failed" if failed else "done")
        return not (stop_on_failure and failed)

    left = _scheduler._on_executor(tasks, finish, None, limit=4, timeout=timeout, board=board, make_pool=lambda:
                                   ProcessPoolExecutor(2, mp_context=context, initializer=_scheduler._join_board,
                                                       initargs=(board.starts, board.stop)))
    return results, left


@pytest.fixture(autouse=True)
def _pretend_work(monkeypatch: pytest.MonkeyPatch) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("these tests hand the stand-in to the workers by forking")
    monkeypatch.setattr(_scheduler, "work", _pretend)


def test_the_time_limit_counts_from_the_start_not_from_the_wait_in_the_queue(tmp_path: Path) -> None:
    kinds = ["long", "long", "queued", "queued", "runaway"]
    tasks = [(f"{kind}{i}", _task(kind, tmp_path / f"{i}")) for i, kind in enumerate(kinds)]
    started = time.monotonic()
    results, left = _run(tasks, timeout=3.0)
    # the queued jobs waited 2 s for a worker, then ran 1.5 s: 3.5 s after submission, yet inside the limit
    assert results == {"long0": "done", "long1": "done", "queued2": "done", "queued3": "done",
                       "runaway4": "timeout"}
    assert left == [] and time.monotonic() - started < 12  # the runaway's worker was ended, not waited for


def test_a_stopped_batch_never_runs_what_was_still_waiting(tmp_path: Path) -> None:
    kinds = ["failing", "blocker", "slow", "quick", "quick", "quick"]
    tasks = [(f"{kind}{i}", _task(kind, tmp_path / f"{i}")) for i, kind in enumerate(kinds)]
    results, left = _run(tasks, timeout=None, stop_on_failure=True)
    ran = {f"{kind}{i}" for i, kind in enumerate(kinds) if (tmp_path / f"{i}").exists()}
    # the blocker was running when the failure arrived and finishes; the failing job's worker may have taken
    # the next job before the stop reached it (then that job finishes too); whatever was still waiting,
    # handed to a worker or not, is returned unrun, and the last jobs were never even submitted
    assert results["failing0"] == "failed" and results["blocker1"] == "done"
    assert set(results) == ran and not ran & set(left)
    assert set(results) | set(left) == {key for key, _ in tasks}
    assert {"quick4", "quick5"} <= set(left) and len(ran) <= 3


def test_on_another_executor_the_clock_starts_when_a_slot_frees_not_at_submission(tmp_path: Path) -> None:
    kinds = ["first", "first", "next", "next", "stuck"]
    tasks = [(f"{kind}{i}", _task(kind, tmp_path / f"{i}")) for i, kind in enumerate(kinds)]
    results: dict[str, str] = {}

    def finish(key: str, outcome: Outcome) -> bool:
        timed_out = bool(outcome.diagnostics) and outcome.diagnostics[0].code == "job.timeout"
        results[key] = "timeout" if timed_out else "done"
        return True

    with ThreadPoolExecutor(2) as executor:  # two slots, four tasks handed over at once
        left = _scheduler._on_executor(tasks, finish, executor, limit=4, timeout=2.0, slots=2)
    # the "next" pair was handed over with the first pair and waited 1.5 s for a slot, then ran 1 s: 2.5 s
    # after submission, yet inside the limit; the stuck task got its slot at 2.5 s and was given up at 4.5 s
    assert results == {"first0": "done", "first1": "done", "next2": "done", "next3": "done", "stuck4": "timeout"}
    assert left == []


def _deaf_to_sigterm(ready: str) -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    Path(ready).touch()
    time.sleep(60)


def test_a_worker_that_outlives_sigterm_is_killed_so_the_batch_can_end(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_scheduler, "TERMINATE_GRACE", 0.5)
    ready = tmp_path / "ready"
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    pool.submit(_deaf_to_sigterm, str(ready))
    processes = list(pool._processes.values())
    deadline = time.monotonic() + 10
    while not ready.exists() and time.monotonic() < deadline:  # SIGTERM is blocked in the worker by now
        time.sleep(0.01)
    started = time.monotonic()
    _scheduler._terminate(pool)
    assert time.monotonic() - started < 5
    assert processes
    processes[0].join(10)  # a loaded machine may take a moment to reap it
    assert processes[0].exitcode == -signal.SIGKILL  # SIGTERM was blocked: it took the kill


_RESULTS: Any = None
"""The pool's result pipe, for the forked worker of the test below."""


def _half_sent(ready: str) -> None:
    """Start a result message as a worker does (a length, then the bytes) and stop half way through."""
    os.write(_RESULTS._writer.fileno(), struct.pack("!i", 1_000_000) + b"only part of it")
    Path(ready).touch()
    time.sleep(60)


def test_a_worker_ended_while_sending_a_result_does_not_keep_the_pool_waiting(tmp_path: Path) -> None:
    global _RESULTS
    ready = tmp_path / "ready"
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    _RESULTS = pool._result_queue
    pool.submit(_half_sent, str(ready))
    manager: Any = pool._executor_manager_thread  # a Thread (typeshed says otherwise)
    assert manager is not None
    deadline = time.monotonic() + 10
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    _scheduler._terminate(pool)
    manager.join(10)
    assert not manager.is_alive()  # else this process could never exit: Python joins that thread at exit
