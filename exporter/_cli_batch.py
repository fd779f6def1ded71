"""What `exporter export` and `exporter watch` show while a batch runs and after it: the CLI's batch display.

Kept out of `cli.py` so that module stays a list of commands; only the CLI imports this, so the library
still never prints. A terminal gets a rich progress bar with per-format counts and an ETA; a pipe or a log
file gets one plain `wrote PATH` line per written file on stdout, so CI logs and scripts stay greppable.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from exporter.pipeline import BatchReport, JobResult


class BatchDisplay:
    """A `progress` callback for `pipeline.export` and a context manager that owns the progress bar."""

    def __init__(self, *, quiet: bool, list_written: bool = False) -> None:
        self.quiet = quiet
        self.list_written = list_written
        """Name each written file above the progress bar too (watch: a save rewrites a few files, not all)."""
        self.tty = sys.stderr.isatty()
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.counts: dict[str, int] = {}

    def __enter__(self) -> BatchDisplay:
        if self.tty and not self.quiet:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("[bold]exporting"), BarColumn(), MofNCompleteColumn(),
                                     TimeRemainingColumn(), TextColumn("{task.description}"),
                                     console=Console(stderr=True), transient=True)
            self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, result: JobResult, total: int) -> None:
        """Called by the pipeline once per job, in the parent process."""
        if result.status != "skipped":
            self.counts[result.job.format] = self.counts.get(result.job.format, 0) + 1
        if self.progress is not None:
            if self.task is None:
                self.task = self.progress.add_task("", total=total)
            detail = "  ".join(f"{name} {count}" for name, count in sorted(self.counts.items()))
            self.progress.update(self.task, advance=1, description=detail)
            if self.list_written and result.status == "done":
                self.progress.console.print(f"wrote {result.job.output}", highlight=False, markup=False)
            return
        if not self.quiet and result.status == "done":
            click.echo(f"wrote {result.job.output}")


def print_summary(report: BatchReport, *, quiet: bool) -> None:
    """Every problem as `path:line: message`, then one table: done, skipped, failed, warnings, time per format."""
    for result in report.results:
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic), err=True)
    if quiet and report.ok():
        return
    pruned = f", {len(report.pruned)} pruned" if report.pruned else ""
    cancelled = f", {report.count('cancelled')} cancelled" if report.count("cancelled") else ""
    note = " — interrupted; run again to finish" if report.interrupted else ""
    line = (f"{report.count('done')} written, {len(report.failed)} failed{cancelled}, {len(report.warnings)} "
            f"warnings, {report.count('skipped')} unchanged{pruned} in {report.seconds:.2f}s{note}")
    if quiet:
        click.echo(line, err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("format", "done", "skipped", "failed", "warnings", "time", title=None)
    rows = report.by_format()
    for name, row in rows.items():
        failed = int(row["failed"] + row["cancelled"])
        table.add_row(name, str(int(row["done"])), str(int(row["skipped"])),
                      f"[red]{failed}[/]" if failed else "0", str(int(row["warnings"])), f"{row['seconds']:.2f}s")
    console = Console(stderr=True)
    console.print(table)
    click.echo(line, err=True)
