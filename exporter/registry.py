"""Name → implementation tables for readers, renderers, themes and validators, loaded lazily.

A table maps a name to a `"module:attr"` string, so listing formats never imports an engine. Plugins add
entries through entry-point groups (`exporter.readers`, `exporter.renderers`, `exporter.themes`,
`exporter.validators`) or at run time with `register`; the first registration of a name wins over
entry points, built-ins lose to neither (a plugin may not silently replace a built-in).
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar, cast

from exporter.errors import FormatUnavailable, UnknownFormatError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered implementation."""

    name: str
    """Registry key (`pdf`, `markdown`, `default`)."""
    target: str | object
    """`"module:attr"` to import lazily, or the object itself when registered at run time."""
    origin: str
    """Where the entry came from: `builtin`, `entry point <dist>` or `runtime`."""


class Registry(Generic[T]):
    """One table of named implementations of one kind."""

    def __init__(self, kind: str, group: str, builtins: dict[str, str]) -> None:
        self.kind = kind
        self.group = group
        self._entries = {name: Entry(name, target, "builtin") for name, target in builtins.items()}
        self._plugins_loaded = False
        self._lock = threading.Lock()
        self._cache: dict[str, T] = {}

    def _load_plugins(self) -> None:
        with self._lock:
            if self._plugins_loaded:
                return
            self._plugins_loaded = True
            from importlib.metadata import entry_points  # scanning installed packages: only when asked

            for ep in entry_points(group=self.group):
                if ep.name not in self._entries:
                    dist = ep.dist.name if ep.dist else "?"
                    self._entries[ep.name] = Entry(ep.name, ep.value, f"entry point {dist}")

    def register(self, name: str, target: str | object, *, replace: bool = False) -> None:
        """Add an implementation at run time (`"module:attr"` or the object itself)."""
        self._load_plugins()
        with self._lock:
            if name in self._entries and not replace:
                raise ValueError(f"{self.kind} {name!r} is already registered ({self._entries[name].origin})")
            self._entries[name] = Entry(name, target, "runtime")
            self._cache.pop(name, None)

    def names(self) -> tuple[str, ...]:
        """Every registered name, sorted."""
        self._load_plugins()
        return tuple(sorted(self._entries))

    def entry(self, name: str) -> Entry:
        """The entry for `name`; `UnknownFormatError` listing the known names otherwise.

        A built-in or registered name is found without scanning the installed packages' entry points (a
        plugin cannot take a built-in's name): importing importlib.metadata and scanning costs ~10 ms.
        """
        found = self._entries.get(name)
        if found is None:
            self._load_plugins()
            found = self._entries.get(name)
        if found is None:
            known = ", ".join(self.names()) or "none"
            raise UnknownFormatError(f"unknown {self.kind} {name!r} (known: {known})")
        return found

    def load(self, name: str) -> T:
        """Import and return the implementation; `FormatUnavailable` (with the reason) when it cannot load."""
        if name in self._cache:
            return self._cache[name]
        entry = self.entry(name)
        if isinstance(entry.target, str):
            module_name, _, attr = entry.target.partition(":")
            try:
                obj = getattr(importlib.import_module(module_name), attr)
            except ImportError as exc:
                raise FormatUnavailable(f"{self.kind} {name!r} is unavailable: {exc}") from exc
            except AttributeError:
                raise FormatUnavailable(f"{self.kind} {name!r}: {entry.target} does not exist") from None
        else:
            obj = entry.target
        loaded = cast(T, obj)
        self._cache[name] = loaded
        return loaded

    def availability(self, name: str) -> str:
        """Empty when `name` loads here, else the reason it does not."""
        try:
            self.load(name)
        except FormatUnavailable as exc:
            return exc.message
        return ""


READERS: Registry[type] = Registry(
    "reader",
    "exporter.readers",
    {
        "markdown": "exporter.readers.markdown:MarkdownReader",
        "plaintext": "exporter.readers.plaintext:PlainTextReader",
        "html": "exporter.readers.html:HtmlReader",
        "json": "exporter.readers.json:JsonReader",
    },
)
"""Source readers by name; each class lists the file suffixes it claims."""

READER_SUFFIXES: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".txt": "plaintext",
    ".text": "plaintext",
    ".wire": "plaintext",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
}
"""Built-in suffix → reader name; plugin readers add theirs through their class's `suffixes`."""

RENDERERS: Registry[type] = Registry(
    "format",
    "exporter.renderers",
    {
        "json": "exporter.renderers.json:JsonRenderer",
        "html": "exporter.renderers.html:HtmlRenderer",
        "pdf": "exporter.renderers.pdf:PdfRenderer",
        "epub": "exporter.renderers.epub:EpubRenderer",
        "docx": "exporter.renderers.docx:DocxRenderer",
    },
)
"""Output formats by name (the `--to` values)."""

THEMES: Registry[str | Path] = Registry("theme", "exporter.themes", {})
"""Themes contributed by plugins: name → folder (an entry point names a str or Path; built-ins are on disk)."""

VALIDATORS: Registry[type] = Registry(
    "validator",
    "exporter.validators",
    {
        "epubcheck": "exporter.validate.epub:EpubCheck",
        "ace": "exporter.validate.epub:Ace",
        "vnu": "exporter.validate.html:Vnu",
        "html-rules": "exporter.validate.html:HtmlRules",
        "feed": "exporter.validate.feeds:FeedValidator",
        "docx": "exporter.validate.docx:DocxValidator",
        "libreoffice": "exporter.validate.docx:LibreOffice",
        "pdf": "exporter.validate.pdf:PdfValidator",
        "parity": "exporter.validate.parity:Parity",
    },
)
"""Output validators by tool name; each class says which format it checks (`exporter.validate.Validator`)."""
