"""`exporter watch` in a real process, as a writer leaves it running: one save, one re-export, Ctrl-C to stop."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_process import INTERACTIVE_EXPORTER

from exporter.feeds import ENTRY_CACHE
from exporter.manifest import MANIFEST_NAME
from exporter.pipeline import BatchReport
from exporter.watch import watch

SITE = Path(__file__).parent / "fixtures" / "site"
SUMMARY = re.compile(r"^(\d+) written, (\d+) failed, .* (\d+) unchanged in ")


class Watcher:
    """`exporter watch` in a subprocess, its stderr collected line by line by a thread."""

    def __init__(self, *args: str | Path) -> None:
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
        self.process = subprocess.Popen([*INTERACTIVE_EXPORTER, "watch", *map(str, args)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        encoding="utf-8", env=env)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    @property
    def summaries(self) -> list[tuple[int, int, int]]:
        """(written, failed, unchanged) of every batch run so far."""
        return [tuple(map(int, m.groups())) for m in map(SUMMARY.match, list(self.lines)) if m]  # type: ignore[misc]

    def wait_for(self, runs: int, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while len(self.summaries) < runs:
            assert self.process.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, "\n".join(self.lines)
            time.sleep(0.05)

    def stop(self) -> tuple[int, str, str]:
        self.process.send_signal(signal.SIGINT)
        stdout, _ = self.process.communicate(timeout=30)
        self.reader.join(5)
        return self.process.returncode, stdout, "\n".join(self.lines)


@pytest.fixture
def watcher(tmp_path: Path) -> Iterator[tuple[Watcher, Path, Path]]:
    """A watch on a copy of the site fixture, writing into `public/` inside the watched folder itself."""
    source = Path(shutil.copytree(SITE, tmp_path / "src"))
    out = source / "public"
    running = Watcher(source, "--to", "html", "-o", out)
    try:
        yield running, source, out
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(10)


def _state(out: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(out).as_posix(): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in (MANIFEST_NAME, ENTRY_CACHE)}  # the batch's own bookkeeping


def test_watch_reexports_only_the_saved_source_and_stops_on_ctrl_c(watcher: tuple[Watcher, Path, Path]) -> None:
    running, source, out = watcher
    running.wait_for(1)
    assert running.summaries == [(3, 0, 0)]
    before = _state(out)
    assert {"culture/market-day.html", "world/serbia-alert.html", "world/balkans/border-reopens.html"} <= set(before)

    edited, page = source / "culture" / "market-day.txt", out / "culture" / "market-day.html"
    text = edited.read_text(encoding="utf-8")
    deadline = time.monotonic() + 30
    while "Quinces arrived by noon." not in page.read_text(encoding="utf-8"):
        # the watcher starts just after the first export; a save before that is missed, so save again
        assert time.monotonic() < deadline, "\n".join(running.lines)
        edited.write_text(text + "\nQuinces arrived by noon.\n", encoding="utf-8")
        time.sleep(0.5)
    running.wait_for(2)
    time.sleep(1.0)  # long enough for a run triggered by the watcher's own output, which must not happen
    assert running.summaries[1] == (1, 0, 2)  # one written, the two untouched stories unchanged
    assert all(written == 0 for written, _, _ in running.summaries[2:])  # a second save is at most a no-op

    after = _state(out)
    assert set(after) == set(before)
    new_bytes = {name for name in after if after[name][1] != before[name][1]}
    assert new_bytes == {"culture/market-day.html", "feed.atom", "feed.json", "feed.rss"}  # feeds carry every page
    assert all("Quinces arrived by noon." in after[name][1].decode("utf-8") for name in new_bytes)
    touched = {name for name in after if after[name][0] != before[name][0]}
    assert touched - new_bytes <= {name for name in after if name.startswith("culture/_fonts/")}  # same bytes
    assert not any(name.startswith("world/") for name in touched)  # the other stories were not even rewritten
    assert not list(out.rglob("public"))  # the output folder inside the sources was never exported itself

    code, stdout, stderr = running.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    written = [line.removeprefix("wrote ") for line in stdout.splitlines()]
    assert len(written) == 4 and written[3:] == [str(page)]  # as `export` does: all three, then the saved one


def test_an_interrupted_run_ends_the_watch(tmp_path: Path) -> None:
    """One Ctrl-C during an export must stop `watch`, not just that export (the pipeline catches it)."""
    runs: list[int] = []

    def run() -> BatchReport:
        runs.append(1)
        return BatchReport(interrupted=True)

    stop = threading.Event()
    timer = threading.Timer(10, stop.set)  # if the watch did start, end it so the test fails instead of hanging
    timer.start()
    try:
        report = watch([tmp_path], run, tmp_path / "out", stop=stop)
    finally:
        timer.cancel()
    assert report.interrupted
    assert runs == [1]
    assert not stop.is_set()
