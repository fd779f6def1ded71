"""The batch's writer thread: results in submission order, bounded queue, and no write abandoned to Ctrl-C."""

from __future__ import annotations

import _thread
import signal
import threading
import time
from pathlib import Path

from exporter import _writer
from exporter.atomic import write_atomically


def test_writes_run_off_the_main_thread_and_come_back_in_order(tmp_path: Path) -> None:
    writer: _writer.Writer[int, str] = _writer.Writer()
    threads: list[str] = []

    def store(index: int) -> str:
        threads.append(threading.current_thread().name)
        write_atomically(tmp_path / f"{index}.html", f"<p>{index}</p>".encode())
        return f"{index}.html"

    try:
        seen = []
        for index in range(20):
            writer.submit(index, lambda index=index: store(index))  # type: ignore[misc]
            seen.extend(writer.landed())
        seen.extend(writer.drain())
    finally:
        writer.close()
    assert [key for key, _ in seen] == list(range(20))
    assert [result for _, result in seen] == [f"{i}.html" for i in range(20)]
    assert {name.split("_")[0] for name in threads} == {"exporter-writer"}
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == sorted(f"<p>{i}</p>" for i in range(20))


def test_the_parent_waits_once_too_many_writes_are_queued() -> None:
    release = threading.Event()
    writer: _writer.Writer[int, object] = _writer.Writer()
    try:
        writer.submit(0, lambda: release.wait(5))
        for index in range(1, _writer.AHEAD):
            writer.submit(index, lambda index=index: index)  # type: ignore[misc]
        assert writer.landed() == []  # nothing finished, and no more than AHEAD behind the oldest
        writer.submit(_writer.AHEAD, lambda: _writer.AHEAD)
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        first = writer.landed()
        assert time.monotonic() - started >= 0.2  # it waited for the blocked write instead of queueing more
        assert first[0] == (0, True)
        rest = first[1:] + writer.drain()
    finally:
        writer.close()
    assert rest == [(index, index) for index in range(1, _writer.AHEAD + 1)]


def test_ctrl_c_while_draining_still_finishes_every_queued_write(tmp_path: Path) -> None:
    writer: _writer.Writer[str, str] = _writer.Writer()

    def slow(name: str) -> str:
        time.sleep(0.4)
        write_atomically(tmp_path / name, b"done")
        return name

    try:
        writer.submit("a", lambda: slow("a.html"))
        writer.submit("b", lambda: slow("b.html"))
        threading.Timer(0.1, _thread.interrupt_main).start()  # Ctrl-C arrives while the parent waits
        drained = writer.drain()
    finally:
        writer.close()
    assert drained == [("a", "a.html"), ("b", "b.html")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.html"]
    assert (tmp_path / "b.html").read_bytes() == b"done"


def test_the_writer_thread_leaves_ctrl_c_and_sigterm_to_the_main_thread() -> None:
    writer: _writer.Writer[str, set[signal.Signals]] = _writer.Writer()
    try:
        writer.submit("mask", lambda: signal.pthread_sigmask(signal.SIG_BLOCK, []))
        [(_, blocked)] = writer.drain()
    finally:
        writer.close()
    assert {signal.SIGINT, signal.SIGTERM} <= blocked
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the main thread still gets it
