"""Results worth sharing between the workers of a batch and its next runs, kept in the output folder.

Some work is the same for many jobs and costs far more than a job's own share: subsetting a theme's font
faces for the characters of a script takes a tenth of a second per face, and every worker of a pool (and
every later run) would otherwise repeat it. A batch names a folder in its output folder (`FOLDER`) where
such results are written atomically under a content key, so a worker reuses what another worker or an
earlier run made. While one process computes an entry it holds an advisory lock on it (released by the
operating system even if the process is killed), so a second worker wanting the same entry does something
else first instead of computing it too.

The folder is bookkeeping like the manifest: everything in it can be deleted at any time, a damaged or
unreadable entry is computed again, and without a folder (a single render through the API, a cluster
worker that cannot see the output folder) every call simply computes. Reading an entry marks it used
(its modification time); a batch ends with `prune`, which keeps the most recently used entries within
`KEEP_BYTES`, so subsets of fonts a theme no longer ships do not pile up run after run.

The folder travels in a context variable (`using`, `folder`), as the limits do, so renderers keep their
simple protocol.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from exporter.atomic import write_atomically

FOLDER = ".exporter-cache"
"""The cache's folder name inside an output folder."""

KEEP_BYTES = 64 * 1024 * 1024
"""What `prune` leaves in the folder: the most recently used entries up to this size (a theme's four faces
for a few script mixes take a few megabytes)."""
_LOCK = ".lock"
_DIGEST = 32
"""Each entry starts with the SHA-256 of the rest: a damaged entry is computed again, never used."""
_FOLDER: contextvars.ContextVar[Path | None] = contextvars.ContextVar("exporter_shared_cache", default=None)


@contextlib.contextmanager
def using(folder: str | Path | None) -> Iterator[None]:
    """Share results through `folder` for the block (None or empty: compute everything)."""
    token = _FOLDER.set(Path(folder) if folder else None)
    try:
        yield
    finally:
        _FOLDER.reset(token)


def folder() -> Path | None:
    """The current cache folder, if any."""
    return _FOLDER.get()


def key(*parts: object) -> str:
    """A file-name-safe content key for an entry (the parts' `repr`, hashed)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40]


def read(kind: str, name: str) -> bytes | None:
    """The cached entry, or None when there is none, no folder, or the entry is unreadable or damaged."""
    base = folder()
    if base is None:
        return None
    path = base / kind / name
    try:
        stored = path.read_bytes()
    except OSError:
        return None
    digest, data = stored[:_DIGEST], stored[_DIGEST:]
    if len(digest) != _DIGEST or hashlib.sha256(data).digest() != digest:
        return None
    with contextlib.suppress(OSError):  # last used now, for `prune` (a read-only folder just keeps its times)
        os.utime(path)
    return data


def prune(base: Path, keep: int | None = None) -> list[Path]:
    """Delete the least recently used entries beyond `keep` bytes, and lock files nobody holds whose entry is
    gone; returns the entries deleted. Run when no worker uses the folder (the end of a batch)."""
    entries: list[tuple[int, int, Path]] = []
    with contextlib.suppress(OSError):
        for kind in base.iterdir():
            if kind.is_dir() and not kind.is_symlink():
                for path in kind.iterdir():
                    if path.name.endswith(_LOCK) or path.name.startswith("."):
                        continue
                    with contextlib.suppress(OSError):
                        info = path.lstat()
                        entries.append((info.st_mtime_ns, info.st_size, path))
    entries.sort(key=lambda entry: (-entry[0], str(entry[2])))  # most recently used first
    keep = KEEP_BYTES if keep is None else keep
    removed: list[Path] = []
    total = 0
    for _, size, path in entries:
        total += size
        if total > keep:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    with contextlib.suppress(OSError):
        for lock in base.glob(f"*/*{_LOCK}"):
            if not lock.with_name(lock.name[:-len(_LOCK)]).exists():
                _remove_unheld(lock)
    return removed


def _remove_unheld(lock: Path) -> None:
    """Delete a lock file unless a process holds its lock (it may be about to write the entry)."""
    handle = _lock_file(lock)
    if handle is None:
        return
    with handle:
        if _acquire(handle, wait=False):
            with contextlib.suppress(OSError):
                lock.unlink()


def get_or_compute(kind: str, name: str, compute: Callable[[], bytes | None], *,
                   wait: bool) -> tuple[bytes | None, bool]:
    """(entry, True) from the cache or computed here; (None, False) when another process is computing it and
    `wait` is false (ask again later with `wait=True`, which waits for that process and then reads its entry,
    or computes the entry itself when the other process failed to write one).

    `compute` returning None (nothing worth keeping) is passed on and not cached.
    """
    base = folder()
    found = read(kind, name)
    if found is not None or base is None:
        return (found if found is not None else compute()), True
    lock = _lock_file(base / kind / f"{name}{_LOCK}")
    if lock is None:  # cannot lock (read-only folder, no fcntl): compute without sharing
        return compute(), True
    with lock:
        if not _acquire(lock, wait=wait):
            return None, False
        found = read(kind, name)  # made while we waited for the lock
        if found is None:
            found = compute()
            if found is not None:
                _write(base / kind / name, hashlib.sha256(found).digest() + found)
        return found, True


def _lock_file(path: Path) -> IO[bytes] | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("a+b")
    except OSError:
        return None


def _acquire(stream: IO[bytes], *, wait: bool) -> bool:
    """An exclusive advisory lock on `stream` (released when it is closed or the process ends)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no sharing, every worker computes
        return True
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks: compute without sharing
        return True
    return True


def _write(path: Path, data: bytes) -> None:
    """Write atomically (a reader never sees half an entry); a failure only means no sharing."""
    with contextlib.suppress(OSError):
        write_atomically(path, data)
