"""Atomic file writes: a temporary file beside the target, then a rename, so no reader sees half a file.

Every file exporter writes goes through here: outputs, the manifest, the workers' shared cache, reports.
Ctrl-C and SIGTERM are held back between creating the temporary and renaming it. With other threads running
(a pool's, a progress bar's) the signal may still reach one of them and interrupt the write from there, so
a path stays in `_IN_FLIGHT` until its write is over and a batch calls `sweep_interrupted` after an interrupt.
A SIGKILL can also strand a `.part` file; a batch sweeps those from its output folder when it starts.
"""

from __future__ import annotations

import os
import secrets
import signal
from glob import escape as glob_escape
from pathlib import Path

_IN_FLIGHT: set[Path] = set()
"""Paths being written: if an interrupt strikes mid-write, `sweep_interrupted` removes their temporaries."""

_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder (made when missing), then rename it to `path`."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    _IN_FLIGHT.add(path)
    try:
        try:
            handle, temporary = temporary_beside(path)
        except OSError:  # nothing was made (an interrupt, though, may come after the file was)
            _IN_FLIGHT.discard(path)
            raise
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            Path(temporary).replace(path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            _IN_FLIGHT.discard(path)
            raise
        _IN_FLIGHT.discard(path)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def temporary_beside(path: Path) -> tuple[int, str]:
    """A new, exclusively created `.<name>.<random>.part` beside `path`, readable as the umask allows (a
    web server must read the outputs, so not mkstemp's 0600)."""
    for _ in range(100):
        temporary = f"{path.parent}/.{path.name}.{secrets.token_hex(6)}.part"
        try:
            return os.open(temporary, _EXCLUSIVE, 0o666), temporary
        except FileExistsError:
            continue
        except FileNotFoundError:  # the folder is new: made here rather than checked before every file
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(temporary, _EXCLUSIVE, 0o666), temporary
    raise FileExistsError(f"no free temporary name beside {path}")


def sweep_interrupted() -> None:
    """Remove the temporaries of writes an interrupt cut short (see the module's docstring)."""
    for path in list(_IN_FLIGHT):
        for stray in path.parent.glob(f".{glob_escape(path.name)}.*.part"):
            stray.unlink(missing_ok=True)
        _IN_FLIGHT.discard(path)
