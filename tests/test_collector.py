"""The batch's collector settings: tuned in processes the batch owns, and an API caller's process left as it was."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter import _collector, _scheduler
from exporter._worker import Outcome, Task


@pytest.fixture()
def pristine_collector() -> Iterator[None]:
    """Each test starts and ends with the interpreter's defaults and nothing frozen."""
    previous = gc.get_threshold()
    gc.unfreeze()
    _collector._state.update(owned=False, settled=False)
    yield
    gc.unfreeze()
    gc.set_threshold(*previous)
    _collector._state.update(owned=False, settled=False)


def test_an_inline_batch_tunes_the_collector_and_restores_it(pristine_collector: None) -> None:
    gc.set_threshold(700, 10, 10)
    seen: list[tuple[tuple[int, int, int], int]] = []

    def finish(key: str, outcome: Outcome) -> bool:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return True

    tasks = [(name, Task(source=name, data=b"", format="json", theme="default")) for name in ("a", "b")]
    original = _scheduler.work
    _scheduler.work = lambda task: Outcome(data=b"ok", companions={}, diagnostics=(), seconds=0.0)  # type: ignore[assignment]
    try:
        assert _scheduler.run(tasks, finish, jobs=1, timeout=None) == []
    finally:
        _scheduler.work = original  # type: ignore[assignment]
    assert [threshold for threshold, _ in seen] == [_collector.THRESHOLDS] * 2
    assert all(frozen > 0 for _, frozen in seen)  # the warm state after the first job is out of the collector's way
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_process_with_its_own_freeze_policy_is_left_alone(pristine_collector: None) -> None:
    gc.set_threshold(1234, 5, 6)
    gc.freeze()
    frozen = gc.get_freeze_count()
    with _collector.owned():
        _collector.settle()
        assert gc.get_threshold() == (1234, 5, 6)
    assert gc.get_freeze_count() == frozen


def test_settle_freezes_once_and_only_in_an_owned_process(pristine_collector: None) -> None:
    _collector.settle()
    assert gc.get_freeze_count() == 0  # a caller's executor runs `work` in its own process: not ours to tune
    _collector.own()
    _collector.settle()
    first = gc.get_freeze_count()
    assert first > 0
    keep = [object() for _ in range(10)]
    _collector.settle()
    assert gc.get_freeze_count() == first, "later jobs' objects must stay collectable"
    del keep


def test_pool_workers_run_with_the_tuned_collector(tmp_path: Path) -> None:
    """Our own pool's workers (fresh interpreters here, so the test's own process is not involved)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import gc, json, multiprocessing\n"
        "from exporter import _scheduler\n"
        "from exporter._worker import Outcome, Task\n"
        "def fake(task):\n"
        "    return Outcome(data=json.dumps([gc.get_threshold(), gc.get_freeze_count()]).encode(), companions={},\n"
        "                   diagnostics=(), seconds=0.0)\n"
        "_scheduler.work = fake\n"
        "seen = []\n"
        "tasks = [(str(i), Task(source=str(i), data=b'', format='json', theme='default')) for i in range(6)]\n"
        "_scheduler.run(tasks, lambda key, outcome: seen.append(json.loads(outcome.data)) or True, jobs=2,\n"
        "               timeout=None)\n"
        "print(json.dumps({'workers': seen, 'parent': [gc.get_threshold(), gc.get_freeze_count()]}))\n")
    done = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(done.stdout)
    assert len(result["workers"]) == 6
    assert all(tuple(threshold) == _collector.THRESHOLDS for threshold, _ in result["workers"])
    assert any(frozen > 0 for _, frozen in result["workers"])  # jobs after a worker's first one run frozen
    assert result["parent"][1] == 0  # the parent, which only writes, is not tuned
