"""`export()`: plan jobs, read, render, write atomically, and report — the engine behind the CLI and the API.

A job is one (source, format) pair. Planning happens before anything is rendered, so two sources that
would write the same output are refused up front. Each job's failure is recorded in the batch report and
never stops the others.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urljoin

from exporter import loader, renderers
from exporter.diagnostics import Diagnostic, Report
from exporter.errors import ExporterError, OptionError, RenderError
from exporter.model import Article, Collection
from exporter.registry import READERS, RENDERERS
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
    """Every job, refusing two jobs that would write the same file (or naming a reader nobody registered)."""
    if reader:
        READERS.entry(reader)  # a usage error for the whole batch, not a failure of every job
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


def run_job(job: Job, theme: Theme, options: Mapping[str, object] | None = None, *,
            companions: dict[str, bytes] | None = None) -> tuple[bytes | None, JobResult]:
    """Read and render one job without touching the output folder.

    A renderer whose output refers to other files (images, fonts, a stylesheet) implements
    `companions(doc, theme, report) -> {relative path: bytes}`; pass a dict as `companions` to collect them.
    """
    started = time.perf_counter()
    report = Report(path=str(job.source))
    data: bytes | None = None
    try:
        doc = load_document(job, report)
        renderer = renderers.build(job.format, options)
        try:
            data = renderer.render(doc, theme, report)
            extra = getattr(renderer, "companions", None)
            if companions is not None and callable(extra):
                companions.update(extra(doc, theme, report))
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
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export(sources: Sequence[str | Path], formats: str | Iterable[str], out_dir: str | Path, *,
           theme: str | Theme = "default", combine: bool = False, reader: str | None = None,
           options: Mapping[str, Mapping[str, object]] | None = None, site_url: str = "") -> BatchReport:
    """Export every source to every format under `out_dir`; failures are reported, never raised per job.

    `site_url` is where `out_dir` will be published: renderers with a `site_url`/`base_url` option get it
    (each page's own URL as `base_url`), and it roots the feeds written when several articles go to html.
    """
    out = Path(out_dir)
    loaded = theme if isinstance(theme, Theme) else Theme.load(theme)
    jobs = plan([Path(s) for s in sources], expand_formats(formats), out, combine=combine, reader=reader)
    report = BatchReport()
    for job in jobs:
        files: dict[str, bytes] = {}
        job_options = _with_site_url(job, (options or {}).get(job.format), site_url, out)
        data, result = run_job(job, loaded, job_options, companions=files)
        if data is not None:
            for relative, blob in sorted(files.items()):
                write_atomically(_companion_path(job.output, relative), blob)
            write_atomically(job.output, data)
        report.results.append(result)
    _write_feeds(report, loaded, out, site_url)
    return report


def _with_site_url(job: Job, options: Mapping[str, object] | None, site_url: str,
                   out: Path) -> Mapping[str, object] | None:
    """Add `site_url` and the page's own `base_url` for renderers that declare those options."""
    if not site_url:
        return options
    cls = RENDERERS.load(job.format)
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    merged = dict(options or {})
    if "site_url" in fields:
        merged.setdefault("site_url", site_url)
    if "base_url" in fields:
        merged.setdefault("base_url", urljoin(site_url, job.output.relative_to(out).as_posix()))
    return merged


def _companion_path(output: Path, relative: str) -> Path:
    """Where a companion file goes: next to `output`, and never outside its folder."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise RenderError(f"refusing to write companion file {relative!r} outside {output.parent}")
    return output.parent.joinpath(*parts)


def _write_feeds(report: BatchReport, theme: Theme, out: Path, site_url: str) -> None:
    """Atom, RSS and JSON feeds when more than one article was exported to html (collections excluded)."""
    done = [r for r in report.results if r.job.format == "html" and r.status == "done" and not r.job.combine]
    if len(done) < 2:
        return
    from exporter import feeds

    pages: list[tuple[Article, str]] = []
    for result in done:
        article = load_document(result.job, Report())
        if isinstance(article, Article):
            pages.append((article, result.job.output.relative_to(out).as_posix()))
    feed_report = Report(path=str(out))
    for name, blob in feeds.batch_feeds(pages, theme, site_url=site_url, report=feed_report).items():
        write_atomically(out / name, blob)
    if len(feed_report):
        report.results[-1] = dataclasses.replace(
            report.results[-1], diagnostics=(*report.results[-1].diagnostics, *feed_report))
