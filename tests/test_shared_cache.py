"""The batch's shared cache: computed once, reused, never trusted when damaged, and optional."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from exporter import shared_cache


def _counting(value: bytes | None) -> tuple[list[int], Callable[[], bytes | None]]:
    calls: list[int] = []

    def compute() -> bytes | None:
        calls.append(1)
        return value

    return calls, compute


def test_without_a_folder_everything_is_computed() -> None:
    calls, compute = _counting(b"abc")
    assert shared_cache.folder() is None
    assert shared_cache.get_or_compute("k", "n", compute, wait=False) == (b"abc", True)
    assert shared_cache.get_or_compute("k", "n", compute, wait=False) == (b"abc", True)
    assert len(calls) == 2


def test_an_entry_is_computed_once_and_read_back(tmp_path: Path) -> None:
    calls, compute = _counting(b"subset bytes")
    with shared_cache.using(tmp_path):
        assert shared_cache.get_or_compute("fonts", "e1", compute, wait=False) == (b"subset bytes", True)
        assert shared_cache.get_or_compute("fonts", "e1", compute, wait=True) == (b"subset bytes", True)
        assert shared_cache.read("fonts", "e1") == b"subset bytes"
    assert len(calls) == 1
    assert shared_cache.read("fonts", "e1") is None  # outside `using`: no folder


def test_nothing_is_cached_when_compute_has_nothing(tmp_path: Path) -> None:
    calls, compute = _counting(None)
    with shared_cache.using(tmp_path):
        assert shared_cache.get_or_compute("fonts", "none", compute, wait=False) == (None, True)
        assert shared_cache.get_or_compute("fonts", "none", compute, wait=False) == (None, True)
    assert len(calls) == 2


def test_a_damaged_entry_is_computed_again(tmp_path: Path) -> None:
    calls, compute = _counting(b"good")
    with shared_cache.using(tmp_path):
        shared_cache.get_or_compute("fonts", "e", compute, wait=False)
        entry = tmp_path / "fonts" / "e"
        entry.write_bytes(entry.read_bytes()[:-1] + b"X")
        assert shared_cache.read("fonts", "e") is None
        assert shared_cache.get_or_compute("fonts", "e", compute, wait=False) == (b"good", True)
    assert len(calls) == 2


def test_an_entry_another_process_is_computing_is_deferred_then_awaited(tmp_path: Path) -> None:
    """flock locks belong to an open file, so a second open in this process stands in for another worker."""
    calls, compute = _counting(b"mine")
    (tmp_path / "fonts").mkdir()
    with (tmp_path / "fonts" / "busy.lock").open("a+b") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        with shared_cache.using(tmp_path):
            assert shared_cache.get_or_compute("fonts", "busy", compute, wait=False) == (None, False)
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)  # the other worker finished without an entry (it failed)
    with shared_cache.using(tmp_path):
        assert shared_cache.get_or_compute("fonts", "busy", compute, wait=True) == (b"mine", True)
    assert len(calls) == 1


def test_a_read_only_folder_means_no_sharing_not_an_error(tmp_path: Path) -> None:
    calls, compute = _counting(b"x")
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    with shared_cache.using(blocked):
        assert shared_cache.get_or_compute("fonts", "e", compute, wait=False) == (b"x", True)
    assert len(calls) == 1


def _entry(folder: Path, name: str, size: int, age: int) -> Path:
    """An entry made through the cache, then dated `age` seconds into the past."""
    with shared_cache.using(folder):
        shared_cache.get_or_compute("fonts", name, lambda: bytes(size), wait=False)
    path = folder / "fonts" / name
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_prune_keeps_the_most_recently_used_entries_within_the_limit(tmp_path: Path) -> None:
    oldest = _entry(tmp_path, "oldest", 1000, age=3000)
    old = _entry(tmp_path, "old", 1000, age=2000)
    recent = _entry(tmp_path, "recent", 1000, age=1000)
    with shared_cache.using(tmp_path):
        assert shared_cache.read("fonts", "oldest") == bytes(1000)  # reading it makes it the most recent
    removed = shared_cache.prune(tmp_path, keep=2 * (1000 + 32))
    assert removed == [old]
    assert oldest.exists() and recent.exists() and not old.exists()
    assert sorted(p.name for p in (tmp_path / "fonts").iterdir()) == ["oldest", "oldest.lock", "recent",
                                                                      "recent.lock"]


def test_prune_leaves_a_lock_someone_holds(tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    with (tmp_path / "fonts" / "busy.lock").open("a+b") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)  # a worker is computing "busy" right now
        (tmp_path / "fonts" / "gone.lock").touch()  # a worker that failed and left no entry
        assert shared_cache.prune(tmp_path) == []
    assert sorted(p.name for p in (tmp_path / "fonts").iterdir()) == ["busy.lock"]


def test_prune_without_a_folder_does_nothing(tmp_path: Path) -> None:
    assert shared_cache.prune(tmp_path / "missing") == []
