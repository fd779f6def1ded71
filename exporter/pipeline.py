"""`export()`: plan jobs, read, render, write atomically, and report — the engine behind the CLI and the API.

A job is one (source, format) pair. Planning happens before anything is rendered, so two sources that
would write the same output are refused up front. Each job's failure is recorded in the batch report and
never stops the others.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from exporter import loader, renderers
from exporter.diagnostics import Diagnostic, Report
from exporter.errors import ExporterError, OptionError, RenderError
from exporter.model import Article, Collection
from exporter.registry import RENDERERS
from exporter.themes import Theme

Status = Literal["done", "failed", "skipped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """One output to produce."""

    source: Path
    """Source file, or folder when `combine` is set."""
    format: str
    """Output format name."""
    output: Path
    """Where the result goes."""
    combine: bool = False
    """True when `source` is a folder rendered as one collection."""
    reader: str | None = None
    """Reader name forced with `--from`; None picks by suffix."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobResult:
    """What happened to one job."""

    job: Job
    """The job."""
    status: Status
    """done, failed or skipped (unchanged)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Warnings and errors found while reading and rendering."""
    seconds: float = 0.0
    """Wall time spent on the job."""


@dataclass(slots=True)
class BatchReport:
    """Every job's result, in plan order."""

    results: list[JobResult] = field(default_factory=list)
    """One entry per job."""

    @property
    def failed(self) -> list[JobResult]:
        """Jobs that produced no output."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Every warning of every job."""
        return [d for r in self.results for d in r.diagnostics if d.level == "warning"]

    def ok(self, *, strict: bool = False) -> bool:
        """No failure (and, when strict, no warning)."""
        return not self.failed and not (strict and self.warnings)


def expand_formats(formats: str | Iterable[str]) -> list[str]:
    """`"pdf,epub"`, `["pdf", "epub"]` or `"all"` → validated format names, in the order given."""
    names = [f.strip() for f in (formats.split(",") if isinstance(formats, str) else formats) if f.strip()]
    if names == ["all"]:
        return list(RENDERERS.names())
    for name in names:
        RENDERERS.entry(name)
    if not names:
        raise OptionError("no output format given (use --to, e.g. --to html,pdf)")
    return list(dict.fromkeys(names))


def discover(sources: Sequence[Path], out_dir: Path) -> list[tuple[Path, Path]]:
    """(source file, output path without suffix) pairs; folders mirrored, hidden files and `out_dir` skipped."""
    out = out_dir.resolve()
    found: list[tuple[Path, Path]] = []
    for source in sources:
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                relative = path.relative_to(source)
                if (path.is_file() and loader.is_source(path)
                        and not any(p.startswith(".") for p in relative.parts)
                        and out not in path.resolve().parents):
                    found.append((path, out_dir / relative.with_suffix("")))
        else:
            found.append((source, out_dir / source.with_suffix("").name))
    return found


def plan(sources: Sequence[Path], formats: Sequence[str], out_dir: Path, *, combine: bool = False,
         reader: str | None = None) -> list[Job]:
    """Every job, refusing two jobs that would write the same file."""
    jobs: list[Job] = []
    for format in formats:
        suffix: str = getattr(RENDERERS.load(format), "suffix", f".{format}")
        if combine:
            jobs.extend(Job(source=s, format=format, output=out_dir / f"{s.resolve().name}{suffix}", combine=True,
                            reader=reader) for s in sources)
        else:
            jobs.extend(Job(source=s, format=format, output=base.with_name(base.name + suffix), reader=reader)
                        for s, base in discover(sources, out_dir))
    seen: dict[Path, Job] = {}
    for job in jobs:
        if job.output in seen:
            raise OptionError(f"{seen[job.output].source} and {job.source} would both write {job.output}; "
                              "rename one or export them separately")
        seen[job.output] = job
    return jobs


def load_document(job: Job, report: Report) -> Article | Collection:
    """The job's model: one article, or the folder as a collection."""
    if job.combine:
        return loader.load_collection(job.source, report=report)
    return loader.load(job.source, format=job.reader, report=report)


def run_job(job: Job, theme: Theme, options: Mapping[str, object] | None = None) -> tuple[bytes | None, JobResult]:
    """Read and render one job without touching the output folder."""
    started = time.perf_counter()
    report = Report(path=str(job.source))
    data: bytes | None = None
    try:
        doc = load_document(job, report)
        renderer = renderers.build(job.format, options)
        try:
            data = renderer.render(doc, theme, report)
        except ExporterError:
            raise
        except Exception as exc:  # an engine crash is this job's failure, not the batch's
            raise RenderError(f"rendering failed ({type(exc).__name__}: {exc})", job.format, str(job.source)) from exc
    except ExporterError as exc:
        report.add(_as_diagnostic(exc, job))
    status: Status = "done" if data is not None else "failed"
    return data, JobResult(job=job, status=status, diagnostics=tuple(report),
                           seconds=time.perf_counter() - started)


def _as_diagnostic(exc: ExporterError, job: Job) -> Diagnostic:
    path = getattr(exc, "path", "") or str(job.source)
    return Diagnostic(level="error", code=f"{type(exc).__name__}", message=exc.message, path=path,
                      line=getattr(exc, "line", 0), column=getattr(exc, "column", 0))


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export(sources: Sequence[str | Path], formats: str | Iterable[str], out_dir: str | Path, *,
           theme: str | Theme = "default", combine: bool = False, reader: str | None = None,
           options: Mapping[str, Mapping[str, object]] | None = None) -> BatchReport:
    """Export every source to every format under `out_dir`; failures are reported, never raised per job."""
    out = Path(out_dir)
    loaded = theme if isinstance(theme, Theme) else Theme.load(theme)
    jobs = plan([Path(s) for s in sources], expand_formats(formats), out, combine=combine, reader=reader)
    report = BatchReport()
    for job in jobs:
        data, result = run_job(job, loaded, (options or {}).get(job.format))
        if data is not None:
            write_atomically(job.output, data)
        report.results.append(result)
    return report
