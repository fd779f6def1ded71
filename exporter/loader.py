"""Sources → model: pick the reader, read, run the standard transforms; also assembles collections."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import cast

from exporter import transforms
from exporter.diagnostics import Report
from exporter.errors import ExporterError, SourceError, UnknownFormatError
from exporter.model import Article, Collection
from exporter.readers import Reader
from exporter.readers._meta import FrontMatter, build_metadata, parse_metadata_file
from exporter.readers._text import decode_source
from exporter.registry import READER_SUFFIXES, READERS

COLLECTION_FILES = ("collection.yaml", "collection.yml", "collection.toml")
MAX_SOURCE_BYTES = 50 * 1024 * 1024
"""Largest source read; a bigger file is refused rather than exhausting a worker's memory."""


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


def read_bytes(data: bytes, path: str, *, format: str | None = None, report: Report | None = None) -> Article:
    """Read one source's bytes into a transformed `Article`; any reader crash becomes a `SourceError`."""
    report = report if report is not None else Report(path=path)
    reader = cast(Reader, READERS.load(reader_name_for(path, format))())
    try:
        article = reader.read(data, path=path, report=report)
    except ExporterError:
        raise
    except RecursionError:
        raise SourceError("the source is nested too deeply to read", path) from None
    except Exception as exc:  # a reader bug must not become a traceback for the user
        raise SourceError(f"could not be read ({type(exc).__name__}: {exc})", path) from exc
    return transforms.standard(article, report)


def load(path: str | Path, *, format: str | None = None, report: Report | None = None) -> Article:
    """Load one source file."""
    path = Path(path)
    return read_bytes(_read_file(path), str(path), format=format, report=report)


def loads(text: str, format: str = "markdown", *, base_dir: str | Path | None = None,
          report: Report | None = None) -> Article:
    """Load a source held in memory; `base_dir` is where its relative image paths point."""
    name = str(Path(base_dir or ".") / f"<memory>.{format}")
    return read_bytes(text.encode("utf-8"), name, format=format, report=report)


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(f"the file is {size:,} bytes; sources are limited to {MAX_SOURCE_BYTES:,}", str(path))
        return path.read_bytes()
    except IsADirectoryError:
        raise SourceError("is a folder, not a file", str(path)) from None
    except OSError as exc:
        raise SourceError(f"cannot be read: {exc.strerror}", str(path)) from None


def collection_sources(folder: Path, report: Report) -> tuple[list[Path], FrontMatter]:
    """The folder's sources in reading order, and its collection metadata (empty when there is none)."""
    meta_file = next((folder / n for n in COLLECTION_FILES if (folder / n).is_file()), None)
    front = FrontMatter(data={}, body="")
    if meta_file is not None:
        data = _read_file(meta_file)
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


def load_collection(folder: str | Path, *, report: Report | None = None) -> Collection:
    """Load a folder as one book: `collection.yaml` (or `.toml`) gives metadata and order, else file names do."""
    folder = Path(folder)
    report = report if report is not None else Report(path=str(folder))
    paths, front = collection_sources(folder, report)
    if not paths:
        raise SourceError("the folder holds no sources", str(folder))
    data = dict(front.data or {})
    meta_path = next((str(folder / n) for n in COLLECTION_FILES if (folder / n).is_file()), str(folder))
    title = folder.resolve().name.replace("-", " ").replace("_", " ").title()
    metadata = build_metadata(dataclasses.replace(front, data=data), path=meta_path, report=report,
                              fallback_title=title)
    articles = tuple(load(p, report=report) for p in paths)
    return Collection(metadata=metadata, articles=articles, source=str(folder))
