"""The process-pool (or Dask) side of a batch: bytes in, bytes out, engines kept warm between jobs.

A task carries the source's bytes, the theme folder and the options, and the outcome carries the output's
bytes, companion files and diagnostics, so a worker needs no shared file system for the common case and the
parent stays the only writer. Engines stay warm because renderers and `Theme.load` cache per process and the
pipeline reuses one pool for the whole batch.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from exporter import loader, renderers, shared_cache
from exporter.diagnostics import Diagnostic, Report
from exporter.errors import ExporterError, RenderError
from exporter.feeds import FeedItem, entry_base, feed_item
from exporter.limits import Limits, applied
from exporter.model import Article, Block, Collection, Link
from exporter.resources import ResourcePolicy, resolving_once, shipped
from exporter.themes import Theme

RELINKED_FORMATS = frozenset({"html", "pdf", "docx"})
"""Formats whose `.md` links the pipeline points at the sibling output; EPUB resolves links itself, JSON is
the lossless model and keeps links as written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """Everything a worker needs for one job; picklable and independent of the parent's file system."""

    source: str
    """Source path as planned (diagnostics name it; relative images resolve against it)."""
    data: bytes
    """Source bytes (empty for a collection, which the worker reads from `source`)."""
    format: str
    """Output format name."""
    theme: str
    """Theme folder (resolved) or built-in theme name."""
    theme_digest: str = ""
    """The theme's content digest as the parent saw it: a worker loads the theme once per digest instead of
    stamping its files for every job (empty: load it every time)."""
    options: Mapping[str, object] = field(default_factory=dict)
    """Renderer options."""
    reader: str | None = None
    """Reader forced with `--from`."""
    combine: bool = False
    """Render the folder `source` as one collection."""
    links: Mapping[str, str] = field(default_factory=dict)
    """Link target as written (`other.md`) → the sibling output in this batch (`other.html`)."""
    feed_path: str = ""
    """For an html page that goes into the batch's feeds: its path relative to the output folder."""
    site_url: str = ""
    """Where the output folder is published (roots the feed entry's URLs)."""
    limits: Limits = field(default_factory=Limits)
    """What the source may hold, applied while it is read and rendered (image pixels are checked in renderers)."""
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Local files the job may read (resolved path → bytes), sent when the workers may not share the parent's
    file system (an executor such as a Dask cluster); otherwise empty and the worker reads the disk."""
    cache_dir: str = ""
    """The batch's `exporter.shared_cache` folder in the output folder, for workers on this machine; empty
    for workers elsewhere (they compute what they need)."""
    shared: frozenset[str] = frozenset()
    """Companions the parent writes itself (the renderer's `shared_companions`, the same for every job of
    the batch), left out of the outcome."""
    source_date_epoch: str | None = None
    """The parent's `SOURCE_DATE_EPOCH` (None: unset), applied for the job: a pool's fork server or a cluster
    worker was started with an environment of its own, and reproducible output must follow the caller's."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What a worker sends back."""

    data: bytes | None
    """The output file, or None when the job failed."""
    companions: dict[str, bytes]
    """Relative path → bytes of files the output refers to."""
    diagnostics: tuple[Diagnostic, ...]
    """Warnings and errors."""
    seconds: float
    """Time spent in the worker."""
    assets: tuple[str, ...] = ()
    """Resolved paths of local files the job read (for the manifest's change check)."""
    pid: int = 0
    """The worker process (to attribute peak memory)."""
    peak_rss: int = 0
    """The worker's peak resident set size so far, in bytes."""
    feed: FeedItem | None = None
    """The page's feed entry (when the task has a `feed_path`), so the parent never re-reads the source."""


def ignore_sigint() -> None:
    """Pool initializer: Ctrl-C goes to the parent alone, which stops the batch and tidies up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def work(task: Task) -> Outcome:
    """Read and render one task under its limits; every failure becomes an error diagnostic, never an exception."""
    with applied(task.limits), shipped(task.files), resolving_once(), shared_cache.using(task.cache_dir), _epoch(task):
        return _work(task)


@contextmanager
def _epoch(task: Task) -> Iterator[None]:
    """The task's `SOURCE_DATE_EPOCH` in this process's environment (renderers read it there) for the job."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if previous == task.source_date_epoch:
        yield
        return
    _set_epoch(task.source_date_epoch)
    try:
        yield
    finally:
        _set_epoch(previous)


def _set_epoch(value: str | None) -> None:
    if value is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = value


def _work(task: Task) -> Outcome:
    started = time.perf_counter()
    report = Report(path=task.source)
    data: bytes | None = None
    companions: dict[str, bytes] = {}
    assets: tuple[str, ...] = ()
    feed: FeedItem | None = None
    try:
        doc: Article | Collection
        if task.combine:
            doc = loader.load_collection(task.source, report=report)
        else:
            doc = _read(task, report)
            assets = _assets(doc, task.source, ResourcePolicy.for_renderer(
                task.format, allow_remote=task.options.get("allow_remote", False),
                allow_private_network=task.options.get("allow_private_network", False)))
            if task.links and task.format in RELINKED_FORMATS:
                doc = dataclasses.replace(doc, blocks=cast("tuple[Block, ...]", _relink(doc.blocks, task.links)))
        theme = _theme(task)
        renderer = renderers.build(task.format, task.options)
        try:
            data = renderer.render(doc, theme, report)
            extra = getattr(renderer, "companions", None)
            if callable(extra):
                companions.update((k, v) for k, v in extra(doc, theme, report).items() if k not in task.shared)
            if task.feed_path and isinstance(doc, Article):
                reuse = getattr(renderer, "feed_content", None)  # the html page just rendered holds the fragment
                base = entry_base(task.feed_path, task.site_url)
                content = reuse(doc, theme, base_url=base) if callable(reuse) else None
                feed = feed_item(doc, task.feed_path, theme, site_url=task.site_url, content=content)
        except ExporterError:
            raise
        except Exception as exc:  # an engine crash is this job's failure, not the batch's
            raise RenderError(f"rendering failed ({type(exc).__name__}: {exc})", task.format, task.source) from exc
    except ExporterError as exc:
        data = None
        report.add(Diagnostic(level="error", code=type(exc).__name__, message=exc.message,
                              path=getattr(exc, "path", "") or task.source, line=getattr(exc, "line", 0),
                              column=getattr(exc, "column", 0)))
    return Outcome(data=data, companions=companions, diagnostics=tuple(report), seconds=time.perf_counter() - started,
                   assets=assets, pid=os.getpid(), peak_rss=peak_rss(), feed=feed if data is not None else None)


_LOADED: dict[tuple[str, str | None, bytes, Limits], tuple[Article, tuple[Diagnostic, ...]]] = {}
"""The last few articles this worker read, with the reader's diagnostics: a source exported to several
formats is one job per format, and the scheduler runs them back to back, so each is parsed once."""
LOADED_KEEP = 8
_CACHE_LOCK = threading.Lock()


def _read(task: Task, report: Report) -> Article:
    """The task's article, from this worker's recent reads when the same bytes were read with the same reader."""
    key = (task.source, task.reader, task.data, task.limits)
    with _CACHE_LOCK:  # an API caller may run tasks on a thread pool
        cached = _LOADED.get(key)
    if cached is None:
        own = Report(path=task.source)
        cached = (loader.read_bytes(task.data, task.source, format=task.reader, report=own), tuple(own))
        with _CACHE_LOCK:
            while len(_LOADED) >= LOADED_KEEP:
                del _LOADED[next(iter(_LOADED))]
            _LOADED[key] = cached
    article, diagnostics = cached
    for diagnostic in diagnostics:
        report.add(diagnostic)
    return article


def peak_rss() -> int:
    """This process's peak RSS in bytes (Linux reports KiB, macOS bytes)."""
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(usage if sys.platform == "darwin" else usage * 1024)


def _assets(article: Article, source: str, policy: ResourcePolicy) -> tuple[str, ...]:
    """Local files the article refers to, resolved as the job's renderer will (silently: it reports problems)."""
    found = (policy.locate(src, source=source, report=Report()) for src in article.images)
    return tuple(sorted({str(p) for p in found if p is not None}))


_THEMES: dict[tuple[str, str], Theme] = {}
_THEMES_KEPT = 4


def _theme(task: Task) -> Theme:
    """The task's theme, loaded once per (folder, digest) in this process."""
    if not task.theme_digest:
        return Theme.load(task.theme)
    key = (task.theme, task.theme_digest)
    with _CACHE_LOCK:
        found = _THEMES.get(key)
    if found is None:
        found = Theme.load(task.theme)
        with _CACHE_LOCK:
            while len(_THEMES) >= _THEMES_KEPT:
                del _THEMES[next(iter(_THEMES))]
            _THEMES[key] = found
    return found


def _relink(node: object, links: Mapping[str, str]) -> object:
    """Rewrite `Link.url` through `links` anywhere in a block tree; untouched subtrees keep their identity.

    Only fields that can hold nodes are visited (`_node_fields`): a long article has thousands of `Text`
    leaves, and looking inside each of them cost more than rendering its HTML.
    """
    if isinstance(node, tuple):
        changed: list[object] | None = None
        for index, item in enumerate(node):
            if _FIELDS.get(type(item)) == ():  # a leaf (most of a text): nothing inside to visit
                continue
            mapped = _relink(item, links)
            if mapped is not item:
                changed = changed or list(node)
                changed[index] = mapped
        return node if changed is None else tuple(changed)
    if isinstance(node, Link):
        parts = urlsplit(node.url)
        target = links.get(parts.path) if not parts.scheme and not parts.netloc else None
        children = _relink(node.children, links)
        if target is None and children is node.children:
            return node
        url = (target + (f"#{parts.fragment}" if parts.fragment else "")) if target else node.url
        return dataclasses.replace(node, url=url, children=children)  # type: ignore[arg-type]
    names = _FIELDS.get(type(node))
    if names is None:
        names = _node_fields(type(node))
    if names:
        changes = {}
        for name in names:
            value = getattr(node, name)
            mapped = _relink(value, links)
            if mapped is not value:
                changes[name] = mapped
        return dataclasses.replace(node, **changes) if changes else node  # type: ignore[type-var]
    return node


_FIELDS: dict[type, tuple[str, ...]] = {}
_NODE_TYPES = re.compile(r"\b(?:Inline|Block|ListItem|DefinitionItem|TableCell|Link|Footnote)\b")
"""Annotation names of fields that hold model nodes (`children`, `blocks`, `items`, `rows`, `caption`, …)."""


def _node_fields(cls: type) -> tuple[str, ...]:
    """The init fields of a model class that can hold nodes (empty for leaves and anything else)."""
    names: tuple[str, ...] = ()
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls) if f.init and _NODE_TYPES.search(str(f.type)))
    _FIELDS[cls] = names
    return names


_IMAGE_REFERENCE = re.compile(r"""[^\s"'<>()\[\]|*?]+\.(?:png|jpe?g|gif|webp|svg)(?=[\s"'<>()\[\]#?]|$)""",
                              re.IGNORECASE | re.MULTILINE)


def local_files(data: bytes, source: Path, policy: ResourcePolicy) -> dict[str, bytes]:
    """The local image files `data` may refer to, for a worker without the parent's file system.

    A cheap text scan (no parse) in the parent: anything that looks like an image path and that the policy
    allows is sent; a false positive costs a few bytes of transfer, a miss only falls back to the disk.
    """
    text = data.decode("utf-8", "replace")
    found: dict[str, bytes] = {}
    for match in dict.fromkeys(m.group(0) for m in _IMAGE_REFERENCE.finditer(text)):
        path = policy.locate(match, source=str(source), report=Report())
        if path is not None and str(path) not in found:
            try:
                if path.stat().st_size <= policy.max_bytes:
                    found[str(path)] = path.read_bytes()
            except OSError:
                continue
    return found


def link_candidates(data: bytes, source: Path, batch: frozenset[Path]) -> tuple[str, ...]:
    """Relative `.md` links in `data` (as written) that name another source of the batch.

    A cheap byte scan (no parse) in the parent: it only has to find candidates; the worker rewrites real
    `Link` nodes, so a false positive costs nothing.
    """
    found: set[str] = set()
    start = 0
    while (end := data.find(b".md", start)) != -1:
        start = end + 3
        begin = max(data.rfind(b"(", 0, end), data.rfind(b"<", 0, end), data.rfind(b"\"", 0, end),
                    data.rfind(b"]:", 0, end) + 1)
        raw = data[begin + 1:end + 3].strip().decode("utf-8", "replace")
        if not raw or any(c.isspace() for c in raw) or ":" in raw:
            continue
        if (source.parent / raw).resolve() in batch:
            found.add(raw)
    return tuple(sorted(found))
