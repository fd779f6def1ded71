"""XHTML content documents for EPUB: rendering and checking templates, the nav tree, resolved CSS."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from exporter import css_tokens
from exporter.errors import RenderError
from exporter.themes import Theme

XHTML_NS = "http://www.w3.org/1999/xhtml"


def resolved_css(theme: Theme) -> str:
    """The theme's EPUB stylesheet with every `var(--token)` replaced by its value.

    Many reading systems in use (older Kindle converters, Adobe RMSDK, some Kobo firmware) ignore custom
    properties, and a declaration they cannot resolve is dropped: resolving here keeps the design everywhere.
    A token the theme's CSS sets again in a narrower rule is replaced by its `:root` value too: those readers
    would drop every declaration left with a reference, which loses more than the narrower value.
    Resolved once per process while the theme's files are unchanged (`Theme.digest`).
    """
    return _resolved_css(theme, theme.digest())


@functools.lru_cache(maxsize=16)
def _resolved_css(theme: Theme, digest: str) -> str:
    del digest  # part of the cache key only
    values = theme.custom_properties()  # even where the theme sets a token again: see above
    css = theme.stylesheet("epub")
    for _ in range(3):  # a fallback may itself be a reference
        css = css_tokens.substitute(css, values).text
    return css


@dataclass
class NavEntry:
    """One table-of-contents entry."""

    label: str
    """Text shown."""
    href: str
    """Target relative to the nav document."""
    level: int = 1
    """Heading level (1 for a chapter)."""
    children: list[NavEntry] = field(default_factory=list)
    """Entries nested below."""


def nest(chapter: NavEntry, outline: Sequence[tuple[int, str, str]], file_name: str) -> NavEntry:
    """A chapter entry with the article's headings nested below it by level."""
    stack = [chapter]
    for level, anchor, text in outline:
        if not text.strip():
            continue
        entry = NavEntry(text.strip(), f"{file_name}#{anchor}" if anchor else file_name, level + 1)
        while len(stack) > 1 and stack[-1].level >= entry.level:
            stack.pop()
        stack[-1].children.append(entry)
        stack.append(entry)
    return chapter


def render_document(theme: Theme, template: str, context: Mapping[str, object], *, source: str) -> tuple[str, Any]:
    """A template rendered and checked to be well-formed XML (a malformed document would fail EPUBCheck),
    with its parsed tree (which `visible_text` reads instead of parsing the document again)."""
    from lxml import etree

    text = theme.template(template).render(**context)
    try:
        root = etree.fromstring(text.encode("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise RenderError(f"{template} produced malformed XHTML: {exc}", "epub", source) from None
    return text, root


def visible_text(roots: Sequence[Any]) -> str:
    """Every character a reader will see in the parsed documents (for font subsetting)."""
    chunks: list[str] = []
    for root in roots:
        chunks.extend(cast(list[str], root.xpath("//text()")))
    return "".join(chunks)
