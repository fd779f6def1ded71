"""Typed, frozen option sets, one per built-in renderer, so callers get completion and mypy instead of dict typos.

Renderers take their options as dataclass fields (`PdfRenderer(page_size=…)`), but importing a renderer
imports its engine. These classes mirror those fields without the engine, so `PdfOptions(page_size="A5")`
works — and is checked — on a machine without WeasyPrint. `tests/test_options.py` guards that each class
stays field-for-field in step with its renderer. The renderers' `policy` field is not an option: each
renderer builds it from its `allow_remote` and `allow_private_network` options.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeAlias, TypeVar, Union, get_args, get_origin

from exporter.errors import OptionError

PageNumbers: TypeAlias = Literal["n", "n of N", "none"]
PdfVariant: TypeAlias = Literal["pdf/a-3b", "pdf/a-2b", "pdf/ua-1"]

OptionsT = TypeVar("OptionsT", bound="RendererOptions")


def _matches(value: object, hint: object) -> bool:
    """Whether `value` fits the (simple) annotation `hint`; covers the shapes option fields use."""
    origin = get_origin(hint)
    if hint is object:
        return True
    if hint is type(None) or hint is None:
        return value is None
    if origin is Literal:
        return value in get_args(hint)
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in get_args(hint))
    if origin is tuple:
        args = get_args(hint)
        return isinstance(value, tuple) and all(_matches(v, args[0]) for v in value)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        key, item = get_args(hint)
        return isinstance(value, Mapping) and all(_matches(k, key) and _matches(v, item) for k, v in value.items())
    if hint is int:  # bool is an int subclass, but True is no column count
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # pragma: no cover - an annotation shape no option uses


@dataclass(frozen=True, slots=True, kw_only=True)
class RendererOptions:
    """Base of the per-format option sets: type-checks every field on creation."""

    format: ClassVar[str] = ""
    """The renderer these options are for (`pdf`)."""

    def __post_init__(self) -> None:
        """Refuse a wrong value by option name now, rather than deep inside an engine at render time."""
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not _matches(value, hints[f.name]):
                raise OptionError(f"{self.format}: option {f.name!r} cannot be {value!r} "
                                  f"(expected {_describe(hints[f.name])})")

    @classmethod
    def from_mapping(cls: type[OptionsT], options: Mapping[str, object]) -> OptionsT:
        """Build from a mapping (a config file, a query string); an unknown name is an `OptionError`."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise OptionError(f"the {cls.format} renderer has no option {unknown[0]!r} "
                              f"(options: {', '.join(sorted(known))})")
        return cls(**options)  # values are type-checked in __post_init__

    def to_mapping(self) -> dict[str, object]:
        """Field name → value, as the renderer's constructor takes them."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _describe(hint: object) -> str:
    text = str(hint).replace("typing.", "")
    return text.replace("<class '", "").replace("'>", "")


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlOptions(RendererOptions):
    """Options of `--to html` (see `exporter.renderers.html.HtmlRenderer`)."""

    format: ClassVar[str] = "html"
    mode: Literal["standalone", "fragment"] = "standalone"
    """`standalone`: a full page with head, meta and JSON-LD; `fragment`: just the `<article>` element."""
    css: Literal["inline", "link"] = "inline"
    """`inline`: the stylesheet in a `<style>` element; `link`: a separate `style.css` (multi-file output)."""
    images: Literal["copy", "embed"] = "copy"
    """`copy`: images as separate files; `embed`: data URIs, so the page is one self-contained file."""
    fonts: Literal["shared", "copy", "none"] = "shared"
    """Web fonts: `shared` in `_fonts/` beside the page, `copy` in the page's own folder, `none` for no fonts."""
    site_url: str = ""
    """The site's home (`https://example.com/`): the publisher URL in JSON-LD."""
    base_url: str = ""
    """Where this page will be published: the canonical URL unless the article has one."""
    publisher: str = ""
    """Publisher name when the article's metadata has none."""
    allow_remote: bool = False
    """Fetch http(s) images (public addresses only); off by default so rendering never touches the network."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfOptions(RendererOptions):
    """Options of `--to pdf` (see `exporter.renderers.pdf.PdfRenderer`); None means "the theme's"."""

    format: ClassVar[str] = "pdf"
    page_size: str | None = None
    """A4, A5, Letter, US-Trade, Royal, or "WIDTH HEIGHT" (e.g. "170mm 240mm")."""
    bleed: str | None = None
    """Bleed beyond the trim ("3mm"); sets the PDF BleedBox and TrimBox."""
    marks: tuple[str, ...] | None = None
    """Printer's marks: ("crop",), ("crop", "cross"); () for none."""
    columns: int | None = None
    """Body text columns (1-4)."""
    page_numbers: PageNumbers | None = None
    """Folios: "n", "n of N" or "none"."""
    variant: PdfVariant | None = None
    """Standard to claim: "pdf/a-3b", "pdf/a-2b" (archival) or "pdf/ua-1" (accessible)."""
    tagged: bool = True
    """Write the structure tree (tagged PDF) for screen readers."""
    allow_remote: bool = False
    """Fetch http(s) images (public addresses only); off by default so rendering never touches the network."""
    compress: bool = True
    """Compress streams and objects; turn off to read the PDF in a text editor."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses."""

    def __post_init__(self) -> None:
        """Type checks, plus the ranges a type cannot say."""
        super(PdfOptions, self).__post_init__()  # zero-arg super() breaks with slots=True
        if self.columns is not None and not 1 <= self.columns <= 4:
            raise OptionError(f"pdf: columns must be between 1 and 4, not {self.columns}")


@dataclass(frozen=True, slots=True, kw_only=True)
class EpubOptions(RendererOptions):
    """Options of `--to epub` (see `exporter.renderers.epub.EpubRenderer`)."""

    format: ClassVar[str] = "epub"
    embed_fonts: bool = True
    """Embed the theme's fonts, subset to the characters used."""
    urls: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Source path → canonical URL, for links to sources that are not in this book."""
    allow_remote: bool = False
    """Fetch http(s) images (public addresses only); off by default so rendering never touches the network."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocxOptions(RendererOptions):
    """Options of `--to docx` (see `exporter.renderers.docx.DocxRenderer`)."""

    format: ClassVar[str] = "docx"
    toc: bool = True
    """Put a Word table-of-contents field after a collection's title block."""
    toc_depth: int = 2
    """Heading levels the table of contents lists (1-9; article titles are level 1)."""
    allow_remote: bool = False
    """Fetch http(s) images (public addresses only); off by default so rendering never touches the network."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses."""

    def __post_init__(self) -> None:
        """Type checks, plus the range Word allows."""
        super(DocxOptions, self).__post_init__()  # zero-arg super() breaks with slots=True
        if not 1 <= self.toc_depth <= 9:
            raise OptionError(f"docx: toc_depth must be between 1 and 9, not {self.toc_depth}")


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonOptions(RendererOptions):
    """Options of `--to json` (see `exporter.renderers.json.JsonRenderer`)."""

    format: ClassVar[str] = "json"
    indent: int | None = 2
    """Spaces per indentation level; None writes one compact line."""


OPTIONS: dict[str, type[RendererOptions]] = {
    cls.format: cls for cls in (HtmlOptions, PdfOptions, EpubOptions, DocxOptions, JsonOptions)
}
"""Built-in format → its option class (plugin formats take a plain mapping)."""


NETWORK_OPTIONS = ("allow_remote", "allow_private_network")
"""The options that let a renderer's resource policy reach the network; `export()` sets them for every job."""


def with_network(renderer: type, options: Mapping[str, object] | None, *, allow_remote: bool,
                 allow_private_network: bool) -> dict[str, object]:
    """`options` plus the run-wide network switches that are on, for a renderer declaring them.

    Only switches that are on are added (so a run without them hashes as before), and an explicit per-format
    option wins; a renderer without these fields (JSON, most plugins) reads nothing remote and is left alone.
    """
    merged = dict(options or {})
    declared = {f.name for f in dataclasses.fields(renderer)} if dataclasses.is_dataclass(renderer) else set()
    for name, on in zip(NETWORK_OPTIONS, (allow_remote, allow_private_network), strict=True):
        if on and name in declared:
            merged.setdefault(name, True)
    return merged


def as_mapping(format: str, options: RendererOptions | Mapping[str, object] | None) -> dict[str, object]:
    """The options for `format` as constructor keywords; typed options for another format are an `OptionError`."""
    if options is None:
        return {}
    if isinstance(options, RendererOptions):
        if options.format != format:
            raise OptionError(f"{type(options).__name__} are options for {options.format}, not {format}")
        return options.to_mapping()
    return dict(options)  # the renderer checks names and values (and accepts command-line strings)
