"""Run worker tasks in-process, on our own process pool, or on any `concurrent.futures.Executor` (Dask too).

At most two tasks per worker are in flight, so an idle worker takes its next task at once instead of
waiting for the parent's round trip, and Ctrl-C or `--fail-fast` never face a queue of thousands of
submitted jobs. Our own pool's workers share a small board with the parent: when each task really started
(the per-job time limit counts from there, not from submission) and a stop flag (a task still waiting when
the batch stops is not run). A runaway job on our own pool is ended by terminating the pool's processes and
starting a fresh pool for the jobs still to do. Another executor does not say when a task starts, so there
a task's clock starts once fewer than `jobs` tasks submitted before it are still unfinished (the executor
has `jobs` slots and takes tasks in submission order, as a process pool and Dask do); an overdue task there
is reported and dropped, but only the executor can stop it.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from exporter import _collector
from exporter._worker import Outcome, Task, ignore_sigint, work
from exporter.diagnostics import Diagnostic

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

K = TypeVar("K")
Finish = Callable[[K, Outcome], bool]
"""Called in the parent for every finished task; returning False stops the batch (`--fail-fast`)."""


class _TimedOut(BaseException):
    """Raised by the in-process alarm when a job runs past its limit.

    A `BaseException`, like `KeyboardInterrupt`: the renderers turn any `Exception` from their engines into a
    job failure, and the PDF engine lays a failed document out again, so an `Exception` raised inside a
    runaway layout would be caught there and the layout would go on without a limit.
    """


def failure(task: Task, message: str, code: str = "job.failed") -> Outcome:
    """An outcome for a job the worker never finished (time limit, dead worker)."""
    return Outcome(data=None, companions={}, diagnostics=(
        Diagnostic(level="error", code=code, message=message, path=task.source),), seconds=0.0)


def _timed_out(task: Task, timeout: float | None) -> Outcome:
    return failure(task, f"timed out after {timeout or 0:g} s (raise --timeout for very long layouts)", "job.timeout")


def run(items: Sequence[tuple[K, Task]], finish: Finish[K], *, jobs: int, timeout: float | None,
        executor: Executor | None = None) -> list[K]:
    """Run every task and hand each outcome to `finish`; returns the keys never finished (stopped or cancelled)."""
    if executor is not None:
        return _on_executor(items, finish, executor, limit=max(jobs, 1) * 2, timeout=timeout, slots=max(jobs, 1))
    if jobs <= 1 or len(items) <= 1:  # starting a pool costs more than one job (an editor saving one file)
        return _inline(items, finish, timeout)
    import multiprocessing  # here, not at the top: `--jobs 1` and a single file never start a pool
    from concurrent.futures import ProcessPoolExecutor

    board = _Board(multiprocessing.get_context(), jobs * 2)
    return _on_executor(items, finish, None, limit=jobs * 2, timeout=timeout, board=board,
                        make_pool=lambda: ProcessPoolExecutor(jobs, mp_context=_context(), initializer=_join_board,
                                                              initargs=(board.starts, board.stop)))


def _context() -> BaseContext:
    """How a new pool starts its workers, decided when it starts (a pool made again after a runaway job finds
    the batch's writer thread running).

    fork hands workers this process's imports and loaded theme at no cost; it is only safe while no other
    thread (a progress bar's refresher, the batch's writer) could hold a lock, so otherwise a fork server
    starts clean workers.
    """
    import multiprocessing

    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    multiprocessing.set_forkserver_preload(["exporter._worker"])
    return multiprocessing.get_context("forkserver")


class _Board:
    """What the parent shares with its own pool's workers: when the task in each slot started, and a stop flag."""

    def __init__(self, context: BaseContext, slots: int) -> None:
        self.starts: Any = context.Array("d", slots, lock=False)
        """Slot → `time.monotonic()` when its task started (0: not yet); the clock is system-wide."""
        self.stop: Any = context.Value("b", 0, lock=False)
        """Set when the batch stops: tasks that have not started return None instead of running."""


_SHARED: tuple[Any, Any] | None = None
"""In a pool worker: the board's start times and stop flag (set by `_join_board`)."""


def _join_board(starts: Any, stop: Any) -> None:
    """Pool initializer: keep the board, leave Ctrl-C to the parent (which stops the batch and tidies up), and
    tune the collector of this process, which lives for the batch."""
    global _SHARED
    ignore_sigint()
    _collector.own()
    _SHARED = (starts, stop)


def _work_in_slot(slot: int, task: Task) -> Outcome | None:
    """`work`, recording when it started; None, without running, when the batch stopped while it waited."""
    assert _SHARED is not None
    starts, stop = _SHARED
    if stop.value:
        return None
    starts[slot] = time.monotonic()
    try:
        return work(task)
    finally:
        _collector.settle()


def _inline(items: Sequence[tuple[K, Task]], finish: Finish[K], timeout: float | None) -> list[K]:
    """`--jobs 1`: no pool, no pickling, no start-up; the limit is a SIGALRM on the main thread."""
    with _collector.owned():
        for index, (key, task) in enumerate(items):
            try:
                with _alarm(timeout):
                    outcome = work(task)
            except _TimedOut:
                outcome = _timed_out(task, timeout)
            _collector.settle()
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
                 timeout: float | None, board: _Board | None = None,
                 make_pool: Callable[[], Executor] | None = None, slots: int = 1) -> list[K]:
    """Keep `limit` tasks in flight, enforce the time limit, and always leave no stray worker behind.

    `make_pool` (with its `board`) makes our own pool, terminated and made again when a job overruns or a
    worker dies; otherwise `executor` is the caller's, with `slots` tasks running at once, and only its
    futures are cancelled.
    """
    from concurrent.futures.process import BrokenProcessPool

    own = make_pool is not None
    pool = executor if executor is not None else make_pool() if make_pool else None
    assert pool is not None
    queue = list(items)
    queue.reverse()  # pop() from the end keeps the caller's order (biggest first)
    flight: dict[Future[Outcome | None], tuple[K, Task, float, int]] = {}  # → key, task, submitted, slot
    clocks: dict[Future[Outcome | None], float] = {}  # another executor's: when a task is deemed started
    free = list(range(limit))
    unrun: list[K] = []
    stopped = False

    def top_up() -> None:
        assert pool is not None
        while queue and len(flight) < limit and not stopped:
            key, task = queue.pop()
            slot = free.pop()
            if board is not None:
                board.starts[slot] = 0.0
                future = pool.submit(_work_in_slot, slot, task)
            else:
                future = pool.submit(work, task)
            flight[future] = (key, task, time.monotonic(), slot)

    def started(future: Future[Outcome | None], entry: tuple[K, Task, float, int]) -> float | None:
        """When the task began running (on another executor: got a slot), None while it waits."""
        return clocks.get(future) if board is None else (float(board.starts[entry[3]]) or None)

    def start_clocks() -> None:
        """Another executor's oldest `slots` unfinished tasks are running: start the clocks not yet started."""
        if board is None:
            now = time.monotonic()
            for future in itertools.islice(flight, slots):
                clocks.setdefault(future, now)

    def land(future: Future[Outcome | None]) -> tuple[K, Task, float, int]:
        entry = flight.pop(future)
        clocks.pop(future, None)
        free.append(entry[3])
        return entry

    def stop() -> None:
        nonlocal stopped
        stopped = True
        if board is not None:
            board.stop.value = 1

    try:
        while queue or flight:
            top_up()
            if not flight:  # done, or stopped: what is still queued is returned as never finished
                break
            start_clocks()
            wait_for = None
            if timeout:
                begun = [t for t in itertools.starmap(started, flight.items()) if t is not None]
                wait_for = max(0.05, min([t + timeout for t in begun] + [time.monotonic() + timeout])
                               - time.monotonic())
            done, _ = wait(flight, timeout=wait_for, return_when=FIRST_COMPLETED)
            finished: list[tuple[K, Outcome]] = []
            for future in done:
                key, task, _, _ = land(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    outcome = failure(task, "the worker process died (out of memory or an engine crash?)",
                                      "job.crashed")
                except Exception as exc:  # a remote executor's own failure (lost worker, pickling)
                    outcome = failure(task, f"the executor failed: {type(exc).__name__}: {exc}", "job.crashed")
                if outcome is None:  # it waited while the batch stopped and never ran
                    unrun.append(key)
                else:
                    finished.append((key, outcome))
            if all(outcome.data is not None for _, outcome in finished):
                top_up()  # idle workers start their next job while this process writes what they finished
            for key, outcome in finished:
                if not finish(key, outcome):
                    stop()
            now = time.monotonic()
            overdue = [f for f, entry in flight.items()
                       if timeout and (begun_at := started(f, entry)) is not None and now - begun_at >= timeout]
            for future in overdue:
                key, task, _, _ = land(future)
                future.cancel()
                if not finish(key, _timed_out(task, timeout)):
                    stop()
            broken = own and (overdue or any(isinstance(_exception(f), BrokenProcessPool) for f in done))
            if broken and make_pool is not None:
                _terminate(pool)
                pool = make_pool()
                for future in list(flight):  # innocent jobs start again on the new pool
                    key, task, _, _ = land(future)
                    queue.append((key, task))
    finally:
        left = unrun + [key for key, _ in queue] + [key for key, _, _, _ in flight.values()]
        if own:
            if flight:
                _terminate(pool)
            else:
                pool.shutdown(wait=True)
        else:
            for future in flight:
                future.cancel()
    return left


def _exception(future: Future[Outcome | None]) -> BaseException | None:
    return future.exception() if future.done() and not future.cancelled() else None


TERMINATE_GRACE = 5.0
"""Seconds a terminated worker gets to exit before it is killed (`_terminate`)."""


def _terminate(pool: Executor) -> None:
    """End our own pool's processes now (a runaway layout never returns on its own).

    The pool's own thread must finish before this process may exit, and two things could keep it waiting
    forever: a worker that outlives SIGTERM (killed after `TERMINATE_GRACE` seconds), and a worker ended
    while it was sending a finished job's bytes, which leaves that thread reading the rest of a message from
    a pipe this process still holds open for writing. Closing our end once the workers are gone turns that
    wait into end-of-file, which the pool handles as a broken pool.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    results = getattr(pool, "_result_queue", None)  # shutdown() forgets it
    for process in processes:
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(TERMINATE_GRACE)
        if process.is_alive():
            process.kill()
            process.join(TERMINATE_GRACE)
    writer = getattr(results, "_writer", None)
    if writer is not None and not any(process.is_alive() for process in processes):
        writer.close()

