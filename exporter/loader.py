"""Sources → model: pick the reader, read, run the standard transforms; also assembles collections."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import cast

from exporter import transforms
from exporter.bidi import balance_metadata
from exporter.diagnostics import Report
from exporter.errors import ExporterError, SourceError, UnknownFormatError
from exporter.limits import Limits, applied, raise_hint
from exporter.model import (
    COLLECTION_FILES,
    Article,
    Collection,
    Table,
    collection_file,
    iter_blocks,
    iter_footnotes,
)
from exporter.readers import Reader
from exporter.readers._meta import FrontMatter, build_metadata, cut_title, parse_metadata_file
from exporter.readers._text import decode_source
from exporter.registry import READER_SUFFIXES, READERS


def reader_name_for(path: str | Path, format: str | None = None) -> str:
    """The reader for a path: `format` when given, else by suffix (plugin readers included)."""
    if format:
        READERS.entry(format)
        return format
    suffix = Path(path).suffix.lower()
    if suffix in READER_SUFFIXES:
        return READER_SUFFIXES[suffix]
    for name in READERS.names():
        if suffix in getattr(READERS.load(name), "suffixes", ()):
            return name
    raise UnknownFormatError(f"{path}: no reader for {suffix or 'files without a suffix'!r}; use --from")


def is_source(path: Path) -> bool:
    """True for files a folder export picks up (a known suffix, not hidden, not collection metadata)."""
    return (path.suffix.lower() in READER_SUFFIXES and not path.name.startswith(".")
            and path.name not in COLLECTION_FILES)


def read_bytes(data: bytes, path: str, *, format: str | None = None, report: Report | None = None,
               limits: Limits | None = None) -> Article:
    """Read one source's bytes into a transformed `Article`; any reader crash becomes a `SourceError`.

    `limits` (default: the current ones, `exporter.limits`) bound the source's size, nesting, tables,
    footnotes and title; readers that know lines check as they read, and the model is checked again here
    for readers that do not (JSON, plugins).
    """
    report = report if report is not None else Report(path=path)
    with applied(limits) as active:
        _check_size(len(data), path, active)
        reader = cast(Reader, READERS.load(reader_name_for(path, format))())
        try:
            article = _within_limits(reader.read(data, path=path, report=report), path, active, report)
        except ExporterError:
            raise
        except RecursionError:
            raise SourceError("the source is nested too deeply to read", path) from None
        except Exception as exc:  # a reader bug must not become a traceback for the user
            raise SourceError(f"could not be read ({type(exc).__name__}: {exc})", path) from exc
        return transforms.standard(article, report, max_depth=active.nesting,
                                   bidi=transforms.may_hold_bidi_controls(data))


def load(path: str | Path, *, format: str | None = None, report: Report | None = None,
         limits: Limits | None = None) -> Article:
    """Load one source file."""
    path = Path(path)
    with applied(limits) as active:
        return read_bytes(read_source(path, active), str(path), format=format, report=report, limits=active)


def loads(text: str, format: str = "markdown", *, base_dir: str | Path | None = None,
          report: Report | None = None, limits: Limits | None = None) -> Article:
    """Load a source held in memory; `base_dir` is where its relative image paths point."""
    name = str(Path(base_dir or ".") / f"<memory>.{format}")
    return read_bytes(text.encode("utf-8"), name, format=format, report=report, limits=limits)


def read_source(path: Path, limits: Limits | None = None) -> bytes:
    """A source file's bytes, refused (`SourceError`) when it is a folder, unreadable or over `source_bytes`."""
    with applied(limits) as active:
        try:
            _check_size(path.stat().st_size, str(path), active)
            return path.read_bytes()
        except IsADirectoryError:
            raise SourceError("is a folder, not a file", str(path)) from None
        except OSError as exc:
            raise SourceError(f"cannot be read: {exc.strerror}", str(path)) from None


def _check_size(size: int, path: str, limits: Limits) -> None:
    """Refuse a source over the size limit before reading it, so it cannot exhaust a worker's memory."""
    if size > limits.source_bytes:
        raise SourceError(f"the file is {size:,} bytes; sources are limited to {limits.source_bytes:,} "
                          f"({raise_hint('source_bytes')})", path)


def _within_limits(article: Article, path: str, limits: Limits, report: Report) -> Article:
    """The model-wide check behind every reader: footnotes, table cells and title length (no line known here;
    the Markdown and HTML readers have already refused with one)."""
    notes = sum(1 for _ in itertools.islice(iter_footnotes(article.blocks), limits.footnotes + 1))
    if notes > limits.footnotes:
        raise SourceError(f"more than {limits.footnotes:,} footnotes; split the source or "
                          f"{raise_hint('footnotes')}", path)
    for block in iter_blocks(article.blocks):
        if isinstance(block, Table):
            cells = sum(len(row) for row in (*block.header, *block.rows))
            if cells > limits.table_cells:
                raise SourceError(f"a table has {cells:,} cells, over the {limits.table_cells:,}-cell limit; "
                                  f"split it or {raise_hint('table_cells')}", path)
    title = cut_title(article.metadata.title, limits.title_chars, report=report, path=path)
    if title == article.metadata.title:
        return article
    return dataclasses.replace(article, metadata=dataclasses.replace(article.metadata, title=title))


def collection_sources(folder: Path, report: Report) -> tuple[list[Path], FrontMatter]:
    """The folder's sources in reading order, and its collection metadata (empty when there is none)."""
    meta_file = collection_file(folder)
    front = FrontMatter(data={}, body="")
    if meta_file is not None:
        data = read_source(meta_file)
        text = decode_source(data, str(meta_file), report) if data.strip() else ""
        front = parse_metadata_file(text, str(meta_file), "toml" if meta_file.suffix == ".toml" else "yaml")
    found = sorted(p for p in folder.rglob("*") if p.is_file() and is_source(p)
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    order = (front.data or {}).pop("order", None)
    if order is None:
        return found, front
    if not isinstance(order, list):
        raise SourceError("order: expected a list of file names", str(meta_file), front.key_lines.get("order", 1))
    listed: list[Path] = []
    for name in order:
        candidate = folder / str(name)
        if candidate not in found:
            raise SourceError(f"order: {name!r} is not a source in {folder}", str(meta_file),
                              front.key_lines.get("order", 1))
        listed.append(candidate)
    for rest in (p for p in found if p not in listed):
        report.warn("collection.unlisted", f"{rest.name} is not in 'order'; placed at the end", path=str(meta_file))
        listed.append(rest)
    return listed, front


def load_collection(folder: str | Path, *, report: Report | None = None, limits: Limits | None = None) -> Collection:
    """Load a folder as one book: `collection.yaml` (or `.toml`) gives metadata and order, else file names do."""
    with applied(limits):
        return _load_collection(Path(folder), report)


def _load_collection(folder: Path, report: Report | None) -> Collection:
    report = report if report is not None else Report(path=str(folder))
    paths, front = collection_sources(folder, report)
    if not paths:
        raise SourceError("the folder holds no sources", str(folder))
    data = dict(front.data or {})
    meta_path = str(collection_file(folder) or folder)
    title = folder.resolve().name.replace("-", " ").replace("_", " ").title()
    metadata = build_metadata(dataclasses.replace(front, data=data), path=meta_path, report=report,
                              fallback_title=title)
    metadata = balance_metadata(metadata, report, meta_path)
    articles = tuple(load(p, report=report) for p in paths)
    return Collection(metadata=metadata, articles=articles, source=str(folder))
