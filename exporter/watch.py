"""`exporter watch`: re-export what changed, on every save, through the same incremental engine as `export`.

Watching only decides *when* to run; *what* to run is the manifest's job, so an editor saving one file gets
that file's outputs (and a theme edit rebuilds everything) exactly as a manual `export` would.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from exporter.manifest import MANIFEST_NAME
from exporter.pipeline import BatchReport


def watch(paths: Sequence[str | Path], run: Callable[[], BatchReport], out_dir: str | Path, *,
          on_report: Callable[[BatchReport], None] | None = None, iterations: int | None = None,
          stop: threading.Event | None = None) -> BatchReport:
    """Call `run` (an incremental `export`, e.g. a `functools.partial`) now and after every batch of changes.

    `paths` are watched (sources, and a theme folder); changes inside `out_dir`, hidden files and `.part`
    files are ignored, so an output folder inside the source tree does not trigger itself. `iterations`
    bounds the number of runs (1 = only the initial export, for tests); `stop` ends the loop from another
    thread. A run stopped by Ctrl-C (`interrupted`) ends the watch too, so one Ctrl-C is always enough.
    Returns the last report.
    """
    report = run()
    if on_report:
        on_report(report)
    runs = 1
    if report.interrupted or (iterations is not None and runs >= iterations):
        return report
    import watchfiles

    out = Path(out_dir).resolve()

    def relevant(change: watchfiles.Change, path: str) -> bool:
        resolved = Path(path).resolve()
        name = Path(path).name
        return (resolved != out and out not in resolved.parents and not name.startswith(".")
                and name != MANIFEST_NAME and not name.endswith(".part"))

    for _changes in watchfiles.watch(*map(str, paths), watch_filter=relevant, stop_event=stop,
                                     raise_interrupt=False):
        report = run()
        if on_report:
            on_report(report)
        runs += 1
        if report.interrupted or (iterations is not None and runs >= iterations):
            break
    return report
