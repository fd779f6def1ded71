"""Run worker tasks in-process, on our own process pool, or on any `concurrent.futures.Executor` (Dask too).

Only as many tasks are in flight as there are workers, so the submission time is (nearly) the start time:
that is what makes a per-job time limit enforceable on a pool, and what lets Ctrl-C and `--fail-fast` stop
without a queue of thousands of submitted jobs. A runaway job on our own pool is ended by terminating the
pool's processes and starting a fresh pool for the jobs still to do.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from typing import TypeVar

from exporter._worker import Outcome, Task, ignore_sigint, work
from exporter.diagnostics import Diagnostic

K = TypeVar("K")
Finish = Callable[[K, Outcome], bool]
"""Called in the parent for every finished task; returning False stops the batch (`--fail-fast`)."""


class _TimedOut(Exception):
    """Raised by the in-process alarm when a job runs past its limit."""


def failure(task: Task, message: str, code: str = "job.failed") -> Outcome:
    """An outcome for a job the worker never finished (time limit, dead worker)."""
    return Outcome(data=None, companions={}, diagnostics=(
        Diagnostic(level="error", code=code, message=message, path=task.source),), seconds=0.0)


def run(items: Sequence[tuple[K, Task]], finish: Finish[K], *, jobs: int, timeout: float | None,
        executor: Executor | None = None) -> list[K]:
    """Run every task and hand each outcome to `finish`; returns the keys never finished (stopped or cancelled)."""
    if executor is not None:
        return _on_executor(items, finish, executor, limit=max(jobs, 1) * 2, timeout=timeout, own=False)
    if jobs <= 1 or len(items) <= 1:  # starting a pool costs more than one job (an editor saving one file)
        return _inline(items, finish, timeout)
    # fork hands workers this process's imports and loaded theme at no cost; it is only safe while no other
    # thread (a progress bar's refresher) could hold a lock, so otherwise a fork server starts clean workers
    fork = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context: BaseContext = multiprocessing.get_context("fork" if fork else "forkserver")
    if not fork:
        multiprocessing.set_forkserver_preload(["exporter._worker"])
    return _on_executor(items, finish, None, limit=jobs, timeout=timeout, own=True,
                        make_pool=lambda: ProcessPoolExecutor(jobs, mp_context=context, initializer=ignore_sigint))


def _inline(items: Sequence[tuple[K, Task]], finish: Finish[K], timeout: float | None) -> list[K]:
    """`--jobs 1`: no pool, no pickling, no start-up; the limit is a SIGALRM on the main thread."""
    for index, (key, task) in enumerate(items):
        try:
            with _alarm(timeout):
                outcome = work(task)
        except _TimedOut:
            outcome = failure(task, f"timed out after {timeout:g} s (raise --timeout for very long layouts)",
                              "job.timeout")
        if not finish(key, outcome):
            return [k for k, _ in items[index + 1:]]
    return []


@contextmanager
def _alarm(seconds: float | None) -> Iterator[None]:
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _on_executor(items: Sequence[tuple[K, Task]], finish: Finish[K], executor: Executor | None, *, limit: int,
                 timeout: float | None, own: bool,
                 make_pool: Callable[[], Executor] | None = None) -> list[K]:
    """Keep `limit` tasks in flight, enforce the time limit, and always leave no stray worker behind."""
    pool = executor if executor is not None else make_pool() if make_pool else None
    assert pool is not None
    queue = list(items)
    queue.reverse()  # pop() from the end keeps the caller's order (biggest first)
    flight: dict[Future[Outcome], tuple[K, Task, float]] = {}
    stopped = False
    def top_up() -> None:
        assert pool is not None
        while queue and len(flight) < limit and not stopped:
            key, task = queue.pop()
            flight[pool.submit(work, task)] = (key, task, time.monotonic())

    try:
        while queue or flight:
            top_up()
            if not flight:  # done, or stopped: what is still queued is returned as never finished
                break
            wait_for = None if not timeout else max(0.05, min(t for _, _, t in flight.values()) + timeout
                                                     - time.monotonic())
            done, _ = wait(flight, timeout=wait_for, return_when=FIRST_COMPLETED)
            finished: list[tuple[K, Outcome]] = []
            for future in done:
                key, task, _ = flight.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    outcome = failure(task, "the worker process died (out of memory or an engine crash?)",
                                      "job.crashed")
                except Exception as exc:  # a remote executor's own failure (lost worker, pickling)
                    outcome = failure(task, f"the executor failed: {type(exc).__name__}: {exc}", "job.crashed")
                finished.append((key, outcome))
            if all(outcome.data is not None for _, outcome in finished):
                top_up()  # idle workers start their next job while this process writes what they finished
            for key, outcome in finished:
                if not finish(key, outcome):
                    stopped = True
            overdue = [f for f, (_, _, t) in flight.items() if timeout and time.monotonic() - t >= timeout]
            for future in overdue:
                key, task, _ = flight.pop(future)
                future.cancel()
                if not finish(key, failure(task, f"timed out after {timeout:g} s (raise --timeout for very "
                                                 "long layouts)", "job.timeout")):
                    stopped = True
            broken = own and (overdue or any(isinstance(_exception(f), BrokenProcessPool) for f in done))
            if broken and make_pool is not None:
                _terminate(pool)
                pool = make_pool()
                for future, (key, task, _) in list(flight.items()):  # innocent jobs start again on the new pool
                    del flight[future]
                    queue.append((key, task))
    finally:
        left = [key for key, _ in queue] + [key for key, _, _ in flight.values()]
        if own:
            if flight:
                _terminate(pool)
            else:
                pool.shutdown(wait=True)
        else:
            for future in flight:
                future.cancel()
    return left


def _exception(future: Future[Outcome]) -> BaseException | None:
    return future.exception() if future.done() and not future.cancelled() else None


def _terminate(pool: Executor) -> None:
    """End our own pool's processes now (a runaway layout never returns on its own)."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list(processes.values()):
        process.join(5)
