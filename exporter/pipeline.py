"""`export()`: plan jobs, read, render, write atomically, and report — the engine behind the CLI and the API.

A job is one (source, format) pair. Planning happens before anything is rendered, so two sources that
would write the same output are refused up front. Each job's failure is recorded in the batch report and
never stops the others.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal, cast
from urllib.parse import urljoin

from exporter import __version__, _scheduler, loader, renderers, shared_cache
from exporter._worker import Outcome, Task, link_candidates, local_files
from exporter._writer import Writer
from exporter.atomic import sweep_interrupted, write_atomically
from exporter.diagnostics import Diagnostic, Report
from exporter.errors import ExporterError, OptionError, RenderError
from exporter.feeds import FeedItem
from exporter.limits import Limits, applied
from exporter.manifest import AssetHasher, Entry, Manifest, folder_digest, sha256
from exporter.model import Article, Collection
from exporter.options import with_network
from exporter.paths import inside, safe_name, safe_relative
from exporter.registry import READERS, RENDERERS
from exporter.resources import ResourcePolicy
from exporter.themes import Theme

Status = Literal["done", "failed", "skipped", "cancelled"]
DEFAULT_TIMEOUT = 300.0
"""Seconds one job may take: generous (a 15,000-word PDF takes a few), but a runaway layout ends."""
MANIFEST_EVERY = 0.5
"""Seconds between manifest saves during a batch: bounds both the I/O and the work lost to a SIGKILL."""


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
    """done, failed, skipped (unchanged) or cancelled (`--fail-fast`, Ctrl-C)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Warnings and errors found while reading and rendering."""
    seconds: float = 0.0
    """Wall time spent on the job."""


@dataclass(slots=True)
class BatchReport:
    """Every job's result, in plan order."""

    results: list[JobResult] = field(default_factory=list)
    """One entry per job."""
    seconds: float = 0.0
    """Wall time of the whole batch."""
    interrupted: bool = False
    """Ctrl-C stopped the batch; finished outputs and the manifest are consistent."""
    pruned: list[Path] = field(default_factory=list)
    """Outputs removed because their source is gone (`prune`)."""
    worker_rss: dict[int, int] = field(default_factory=dict)
    """Peak RSS in bytes per worker process id."""

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
        return not self.failed and not self.interrupted and not (strict and self.warnings)

    def count(self, status: Status) -> int:
        """How many jobs ended with `status`."""
        return sum(r.status == status for r in self.results)

    def by_format(self) -> dict[str, dict[str, float]]:
        """Per format: done, skipped, failed, cancelled, warnings and seconds (the CLI's summary table)."""
        table: dict[str, dict[str, float]] = {}
        for result in self.results:
            row = table.setdefault(result.job.format, dict.fromkeys(
                ("done", "skipped", "failed", "cancelled", "warnings", "seconds"), 0))
            row[result.status] += 1
            row["warnings"] += sum(d.level == "warning" for d in result.diagnostics)
            row["seconds"] += result.seconds
        return table

    def to_json(self) -> str:
        """The report as JSON (`--report`): totals, per-format rows, and every job with its diagnostics."""
        jobs = [{"source": str(r.job.source), "format": r.job.format, "output": str(r.job.output),
                 "status": r.status, "seconds": round(r.seconds, 4),
                 "diagnostics": [dataclasses.asdict(d) for d in r.diagnostics]} for r in self.results]
        return json.dumps({"seconds": round(self.seconds, 3), "interrupted": self.interrupted,
                           "totals": {s: self.count(s) for s in ("done", "skipped", "failed", "cancelled")},
                           "warnings": len(self.warnings), "formats": self.by_format(),
                           "pruned": [str(p) for p in self.pruned], "jobs": jobs}, indent=2, ensure_ascii=False)


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


def discover(sources: Sequence[Path], out_dir: Path, *, include: Sequence[str] = (),
             exclude: Sequence[str] = ()) -> list[tuple[Path, Path]]:
    """(source file, output path without suffix) pairs; folders mirrored, hidden files and `out_dir` skipped.

    `include`/`exclude` are globs matched against the path relative to the folder given (`world/*.md`) and
    against the file name, so `--exclude 'draft-*'` works at any depth; files named directly are always taken.
    """
    out = out_dir.resolve()
    found: list[tuple[Path, Path]] = []
    for source in sources:
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                relative = path.relative_to(source)
                if (path.is_file() and loader.is_source(path)
                        and not any(p.startswith(".") for p in relative.parts)
                        and out not in path.resolve().parents
                        and _selected(relative.as_posix(), include, exclude)):
                    found.append((path, out_dir / safe_relative(relative.with_name(relative.stem))))
        else:
            found.append((source, out_dir / safe_name(source.stem)))
    return found


def _selected(relative: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    def hit(patterns: Sequence[str]) -> bool:
        name = relative.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(name, p) for p in patterns)

    return (not include or hit(include)) and not hit(exclude)


def plan(sources: Sequence[Path], formats: Sequence[str], out_dir: Path, *, combine: bool = False,
         reader: str | None = None, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[Job]:
    """Every job, refusing two jobs that would write the same file (or naming a reader nobody registered)."""
    if reader:
        READERS.entry(reader)  # a usage error for the whole batch, not a failure of every job
    jobs: list[Job] = []
    for format in formats:
        suffix: str = getattr(RENDERERS.load(format), "suffix", f".{format}")
        if combine:
            jobs.extend(Job(source=s, format=format, output=out_dir / f"{safe_name(s.resolve().name)}{suffix}",
                            combine=True, reader=reader) for s in sources)
        else:
            jobs.extend(Job(source=s, format=format, output=base.with_name(base.name + suffix), reader=reader)
                        for s, base in discover(sources, out_dir, include=include, exclude=exclude))
    seen: dict[str, Job] = {}
    for job in jobs:
        key = _collision_key(job.output)
        if key in seen:
            raise OptionError(f"{seen[key].source} and {job.source} would both write {job.output} (on Windows and "
                              "macOS, names differing only in case are the same file); rename one or export them "
                              "separately")
        seen[key] = job
    return jobs


def _collision_key(output: Path) -> str:
    """The output as a case-insensitive file system sees it: sanitised names must also differ there."""
    return unicodedata.normalize("NFC", str(output)).casefold()


def load_document(job: Job, report: Report, limits: Limits | None = None) -> Article | Collection:
    """The job's model: one article, or the folder as a collection (`limits`: the current ones by default)."""
    if job.combine:
        return loader.load_collection(job.source, report=report, limits=limits)
    return loader.load(job.source, format=job.reader, report=report, limits=limits)


def _as_diagnostic(exc: ExporterError, job: Job) -> Diagnostic:
    path = getattr(exc, "path", "") or str(job.source)
    return Diagnostic(level="error", code=f"{type(exc).__name__}", message=exc.message, path=path,
                      line=getattr(exc, "line", 0), column=getattr(exc, "column", 0))


def export(sources: Sequence[str | Path], formats: str | Iterable[str], out_dir: str | Path, *,
           theme: str | Theme = "default", combine: bool = False, reader: str | None = None,
           options: Mapping[str, Mapping[str, object]] | None = None, site_url: str = "",
           jobs: int = 1, executor: Executor | None = None, include: Sequence[str] = (),
           exclude: Sequence[str] = (), force: bool = False, prune: bool = False, fail_fast: bool = False,
           timeout: float | None = DEFAULT_TIMEOUT, incremental: bool = True,
           progress: Callable[[JobResult, int], None] | None = None, allow_remote: bool = False,
           allow_private_network: bool = False, limits: Limits | None = None) -> BatchReport:
    """Export every source to every format under `out_dir`; failures are reported, never raised per job.

    `site_url` is where `out_dir` will be published: renderers with a `site_url`/`base_url` option get it
    (each page's own URL as `base_url`), and it roots the feeds written when several articles go to html.
    `jobs` > 1 runs on a process pool (one per call, so engines stay warm across its jobs); `executor` runs on
    any `concurrent.futures.Executor` instead (a Dask client's `get_executor()`), with `jobs` the tasks it
    runs at once (twice that many are kept submitted). With `incremental`, jobs whose inputs are unchanged
    since the manifest was written are skipped unless `force`. `progress` is called with each result and the
    number of planned jobs. Ctrl-C returns the report with `interrupted` set.
    `allow_remote` lets every renderer fetch http(s) images from public addresses, `allow_private_network`
    (with it) from private ones too; both are part of each job's options, so switching them rebuilds.
    `limits` bound what one source may hold (`exporter.limits.Limits`; the defaults when None); changed
    limits are part of every job's key, so raising one rebuilds what it affects.

    Refused before anything is rendered, written or pruned (`OptionError`): two sources that would write the
    same output, and an option value or name a renderer does not accept.
    """
    started = time.perf_counter()
    out = Path(out_dir)
    loaded = theme if isinstance(theme, Theme) else Theme.load(theme)
    planned = plan([Path(s) for s in sources], expand_formats(formats), out, combine=combine, reader=reader,
                   include=include, exclude=exclude)
    for format in dict.fromkeys(job.format for job in planned):  # a bad -O value: said once, nothing rendered
        renderers.build(format, with_network(RENDERERS.load(format), (options or {}).get(format),
                                             allow_remote=allow_remote, allow_private_network=allow_private_network))
    report = BatchReport()
    manifest = Manifest.load(out) if incremental else Manifest(out)
    if out.is_dir():  # a SIGKILL mid-write strands a temporary; it is never a finished output
        for stale in out.rglob(".*.part"):
            stale.unlink(missing_ok=True)
    hasher = AssetHasher()
    if prune:
        report.pruned.extend(manifest.prune({_name(j, out) for j in planned}))
    limits = limits or Limits()
    theme_digest = loaded.digest()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # outputs carry it, so a changed epoch rebuilds
    common = [__version__, theme_digest, reader, site_url, *([limits.changed()] if limits.changed() else []),
              *([f"epoch={epoch}"] if epoch is not None else [])]
    pages = {j.source.resolve(): j.output.with_suffix(".html") for j in planned if not j.combine}
    batch = frozenset(pages)
    feed_pages = sum(1 for j in planned if j.format == "html" and not j.combine)
    feed_items: dict[int, FeedItem] = {}
    todo: list[tuple[Job, Task, str]] = []
    job_keys: dict[int, str] = {}
    shared_files: dict[int, Mapping[str, bytes]] = {}  # per job: the companions the parent writes itself
    shipped: dict[Path, Mapping[str, bytes]] = {}  # per source: its images, for workers on other machines
    cache_dir = str(out / shared_cache.FOLDER) if executor is None else ""  # a cluster's disks are not ours
    for job in planned:
        try:
            data = b"" if job.combine else loader.read_source(job.source, limits)
        except ExporterError as exc:
            report.results.append(JobResult(job=job, status="failed", diagnostics=(_as_diagnostic(exc, job),)))
            continue
        job_options = with_network(RENDERERS.load(job.format),
                                   _with_site_url(job, (options or {}).get(job.format), site_url, out),
                                   allow_remote=allow_remote, allow_private_network=allow_private_network)
        suffix = job.output.suffix
        links = {raw: _sibling(job, pages[(job.source.parent / raw).resolve()], suffix)
                 for raw in link_candidates(data, job.source, batch)} if data else {}
        if job.format == "epub" and site_url and links and "urls" not in job_options:
            # one EPUB per article: a sibling is outside the book, so its link goes to the sibling's web page
            job_options["urls"] = {str((job.source.parent / raw).resolve()): urljoin(
                site_url, _name(dataclasses.replace(job, output=pages[(job.source.parent / raw).resolve()]), out))
                for raw in links}
        digest = sha256(data) if not job.combine else folder_digest(job.source)
        key = sha256(repr((*common, job.format, digest, sorted(job_options.items(), key=str),
                           sorted(links.items()))).encode())
        job_keys[id(job)] = key
        if incremental and not force and manifest.unchanged(_name(job, out), key, hasher):
            report.results.append(JobResult(job=job, status="skipped"))
            continue
        shared = _shared_companions(job.format, job_options, loaded)
        feed_path = _name(job, out) if job.format == "html" and not job.combine and feed_pages > 1 else ""
        files: Mapping[str, bytes] = {}
        if executor is not None and data:  # a cluster's workers need not see this file system
            if job.source not in shipped:
                shipped[job.source] = local_files(data, job.source, ResourcePolicy(max_bytes=limits.resource_bytes))
            files = shipped[job.source]
        todo.append((job, Task(source=str(job.source), data=data, format=job.format, theme=str(loaded.folders[0]),
                               theme_digest=theme_digest, options=job_options, reader=reader, combine=job.combine,
                               links=links, feed_path=feed_path, site_url=site_url, limits=limits, files=files,
                               cache_dir=cache_dir, shared=frozenset(shared), source_date_epoch=epoch), key))
        shared_files[id(job)] = shared
    for result in report.results:
        if progress:
            progress(result, len(planned))
    todo.sort(key=lambda item: -len(item[1].data))  # biggest first: the long tail of a batch is its longest job
    keys = {id(job): key for job, _, key in todo}
    this_run: dict[Path, bytes] = {}  # companion path → the bytes this run last put there (the most recent few)
    last_save = time.monotonic()

    writer: Writer[tuple[Job, Outcome], JobResult] = Writer()

    def store(job: Job, outcome: Outcome) -> JobResult:
        """On the writer thread: the job's files, then its manifest entry, and now and then the manifest."""
        nonlocal last_save
        result = _store(job, outcome, out, manifest=manifest, hasher=hasher, key=keys[id(job)], this_run=this_run,
                        shared=shared_files.get(id(job), {}))
        if incremental and time.monotonic() - last_save > MANIFEST_EVERY:
            manifest.save()
            last_save = time.monotonic()
        return result

    def landed(written: list[tuple[tuple[Job, Outcome], JobResult]]) -> bool:
        """Report what the writer finished; False when `--fail-fast` should stop the batch."""
        going = True
        for (job, outcome), result in written:
            report.results.append(result)
            if outcome.feed is not None and result.status == "done":
                feed_items[id(job)] = outcome.feed
            if outcome.pid:
                report.worker_rss[outcome.pid] = max(report.worker_rss.get(outcome.pid, 0), outcome.peak_rss)
            if progress:
                progress(result, len(planned))
            going = going and not (fail_fast and result.status == "failed")
        return going

    def finish(job: Job, outcome: Outcome) -> bool:
        writer.submit((job, outcome), lambda: store(job, outcome))
        return landed(writer.landed()) and not (fail_fast and outcome.data is None)

    if fail_fast and report.failed:  # a source that cannot even be read stops the batch before any render
        report.results.extend(JobResult(job=job, status="cancelled") for job, _, _ in todo)
        todo.clear()
    items = [(job, task) for job, task, _ in todo]
    try:
        left = set(map(id, _scheduler.run(items, finish, jobs=jobs, timeout=timeout, executor=executor)))
    except KeyboardInterrupt:
        report.interrupted = True
        landed(writer.drain())  # before the sweep: the writer's temporaries are its own until it renames them
        sweep_interrupted()
        left = {id(job) for job, _ in items} - {id(r.job) for r in report.results}
    finally:
        try:
            landed(writer.drain())
        finally:
            writer.close()
            if incremental:
                manifest.save()
    report.results.extend(JobResult(job=job, status="cancelled") for job, _ in items if id(job) in left)
    order = {id(job): index for index, job in enumerate(planned)}
    report.results.sort(key=lambda r: order.get(id(r.job), -1))
    if not report.interrupted:
        with applied(limits):  # unchanged pages are read again for the feeds, under the same limits
            _write_feeds(report, loaded, out, site_url, built=feed_items, keys=job_keys)
        if cache_dir and report.count("done"):
            shared_cache.prune(Path(cache_dir))
    report.seconds = time.perf_counter() - started
    return report


def _sibling(job: Job, page: Path, suffix: str) -> str:
    """The relative URL from `job`'s output to another source's output in `suffix` (its name made safe, as
    `discover` made it, so the link and the file agree)."""
    return Path(os.path.relpath(page.with_suffix(suffix), job.output.parent)).as_posix()


def _name(job: Job, out: Path) -> str:
    """The manifest key of a job: its output path relative to the output folder."""
    return job.output.relative_to(out).as_posix() if job.output.is_relative_to(out) else str(job.output)


def _store(job: Job, outcome: Outcome, out: Path, *, manifest: Manifest, hasher: AssetHasher,
           key: str, this_run: dict[Path, bytes], shared: Mapping[str, bytes]) -> JobResult:
    """Write a finished job's files atomically, then record it in the manifest (never the other way round).

    `shared` are the companions the worker left for the parent to write (`Task.shared`).
    """
    name = _name(job, out)
    diagnostics = outcome.diagnostics
    if outcome.data is None:
        manifest.forget([name])
        return JobResult(job=job, status="failed", diagnostics=diagnostics, seconds=outcome.seconds)
    try:
        _write_inside(job.output, outcome.data, out)
        names = [name]
        for relative, blob in sorted({**outcome.companions, **shared}.items()):
            target = _companion_path(job.output, relative)
            if not _written_before(this_run, target, blob):  # pages share the theme's fonts: once per run
                _write_inside(target, blob, out)
                _remember(this_run, target, blob)
            names.append(_name(dataclasses.replace(job, output=target), out))
    except (OSError, ExporterError) as exc:
        manifest.forget([name])
        message = exc.message if isinstance(exc, ExporterError) else f"cannot write: {exc}"
        error = Diagnostic(level="error", code="job.write", message=message, path=str(job.output))
        return JobResult(job=job, status="failed", diagnostics=(*diagnostics, error), seconds=outcome.seconds)
    manifest.record(name, Entry(key=key, source=str(job.source), outputs=names,
                                assets={path: hasher(path) for path in outcome.assets}))
    return JobResult(job=job, status="done", diagnostics=diagnostics, seconds=outcome.seconds)


RECENT_COMPANIONS = 64
"""Companion files `_written_before` remembers: the shared ones (fonts, stylesheet) recur in every job."""


def _written_before(this_run: dict[Path, bytes], target: Path, blob: bytes) -> bool:
    """True when this run already wrote exactly `blob` to `target` (and keeps that memory fresh).

    An exact comparison against the bytes held in memory (a reference, no copy) rather than a digest, so the
    megabyte of fonts every HTML page shares costs a pointer or memcmp check instead of a hash per page.
    """
    previous = this_run.get(target)
    if previous is None or not (previous is blob or previous == blob):
        return False
    _remember(this_run, target, blob)
    return True


def _remember(this_run: dict[Path, bytes], target: Path, blob: bytes) -> None:
    """Record what was written to `target`, most recent last, forgetting the oldest beyond the limit."""
    this_run.pop(target, None)
    this_run[target] = blob
    while len(this_run) > RECENT_COMPANIONS:
        del this_run[next(iter(this_run))]


def _shared_companions(format: str, options: Mapping[str, object], theme: Theme) -> Mapping[str, bytes]:
    """What the renderer's `shared_companions` hook gives for these options (nothing without the hook, or
    when the options are refused: the worker reports that as the job's failure)."""
    if not hasattr(RENDERERS.load(format), "shared_companions"):
        return {}
    try:
        hook = getattr(renderers.build(format, options), "shared_companions", None)
    except ExporterError:
        return {}
    return cast("Mapping[str, bytes]", hook(theme)) if callable(hook) else {}


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


def _write_inside(path: Path, data: bytes, out: Path) -> None:
    """`write_atomically`, refused when a symlinked folder inside `out` would carry the file outside it."""
    if not inside(path, out):
        raise RenderError(f"refusing to write {path}: it resolves outside the output folder {out} (a symlink?)")
    write_atomically(path, data)


def _companion_path(output: Path, relative: str) -> Path:
    """Where a companion file goes: next to `output`, and never outside its folder."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise RenderError(f"refusing to write companion file {relative!r} outside {output.parent}")
    return output.parent.joinpath(*parts)


def _write_feeds(report: BatchReport, theme: Theme, out: Path, site_url: str, *,
                 built: Mapping[int, FeedItem], keys: Mapping[int, str]) -> None:
    """Atom, RSS and JSON feeds when more than one article was exported to html (collections excluded).

    Unchanged pages count too (the feed lists the whole folder): their entries come from the feed cache when
    its key still matches, else from reading the article again. When no page changed and the feeds are
    there, they are left alone.
    """
    pages_html = [r for r in report.results if r.job.format == "html" and not r.job.combine]
    done = [r for r in pages_html if r.status in ("done", "skipped")]
    if len(done) < 2:
        return
    if all(r.status == "skipped" for r in pages_html) and any(out.glob("feed.*")):
        return
    from exporter import feeds

    cache = feeds.EntryCache.read(out / feeds.ENTRY_CACHE) if any(id(r.job) not in built for r in done) \
        else feeds.EntryCache()
    items: list[FeedItem] = []
    for result in done:
        name, key = _name(result.job, out), keys.get(id(result.job), "")
        item = built.get(id(result.job)) or cache.get(name, key)
        if item is None:  # an unchanged page whose entry is not cached: read it again
            article = load_document(result.job, Report())
            if not isinstance(article, Article):
                continue
            item = feeds.feed_item(article, name, theme, site_url=site_url)
        items.append(item)
        cache.put(name, key, item)
    feed_report = Report(path=str(out))
    for name, blob in feeds.build_feeds(items, site_url=site_url, report=feed_report).items():
        write_atomically(out / name, blob)
    write_atomically(out / feeds.ENTRY_CACHE, cache.dump(keep=[_name(r.job, out) for r in done]))
    if len(feed_report):
        last = report.results.index(pages_html[-1])  # feeds come from the html pages: count their warnings there
        report.results[last] = dataclasses.replace(
            report.results[last], diagnostics=(*report.results[last].diagnostics, *feed_report))
