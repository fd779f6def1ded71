"""A CMS export of one article (HTML) → `Article`: metadata from the head and masthead, body from `<article>`.

Pages from a CMS carry far more than the story: scripts, trackers, navigation, share buttons, embeds.
The reader keeps what a reader of the printed article would see and says what it dropped, once per kind,
with a line number. Parsing goes through lxml's HTML parser with the network off and comments and
processing instructions removed; the work is split over private modules: `_html_meta` (head and
masthead), `_html_convert` (the walk, inlines, footnotes), `_html_blocks` (per-tag block rules),
`_html_inline` (whitespace as a browser lays it out) and `_html_dom` (lxml helpers).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import ClassVar

import lxml.html
from lxml import etree

from exporter.diagnostics import Report
from exporter.errors import SourceError
from exporter.model import Article
from exporter.readers._html_convert import Converter
from exporter.readers._html_dom import Element, line_of, remove, text_of
from exporter.readers._html_meta import read_masthead
from exporter.readers._meta import FrontMatter, build_metadata
from exporter.readers._text import decode_source

DROPPED: dict[str, str] = {
    "script": "scripts never run in an export",
    "noscript": "script fallbacks are page furniture",
    "template": "templates are not content until a script fills them",
    "style": "styling comes from the theme",
    "iframe": "embedded pages cannot be exported; link to them instead",
    "object": "embedded objects cannot be exported",
    "embed": "embedded objects cannot be exported",
    "applet": "embedded objects cannot be exported",
    "svg": "inline SVG is not supported; use an <img> pointing to an .svg file",
    "canvas": "canvas drawings need a script",
    "video": "media players cannot be exported; use a still image",
    "audio": "media players cannot be exported",
    "form": "forms do not work outside a web page",
    "input": "forms do not work outside a web page",
    "button": "buttons do not work outside a web page",
    "select": "forms do not work outside a web page",
    "textarea": "forms do not work outside a web page",
    "nav": "site navigation is not part of the article",
}
"""Elements never exported, with the reason given in the `html.dropped` warning."""

_CHROME = ("header", "footer")
_CONTENT_PARENTS = frozenset({"article", "main", "section", "blockquote", "figure", "aside"})
_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_WHATWG = {"iso8859-1": "cp1252", "ascii": "cp1252"}  # what browsers really decode these labels as
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlReader:
    """Reads one article exported from a CMS as an HTML page (or XHTML file)."""

    name: ClassVar[str] = "html"
    suffixes: ClassVar[tuple[str, ...]] = (".html", ".htm", ".xhtml")

    def read(self, data: bytes, *, path: str, report: Report) -> Article:
        """Decode, parse, drop page furniture, lift metadata out of the masthead, then map the body."""
        doc = _parse(_decode(data, path, report), path)
        root = _content_root(doc)
        _drop_unwanted(doc, root, path, report)
        conv = Converter(path=path, report=report)
        conv.find_notes(doc)
        head = read_masthead(doc, root, conv, path=path, report=report)
        if root.tag == "body":
            _drop_chrome(root, conv, path, report)
        blocks = conv.flow(root)
        front = FrontMatter(data=head.data, body="", syntax="", key_lines=head.lines)
        metadata = build_metadata(front, path=path, report=report, fallback_title=head.fallback_title)
        return Article(metadata=metadata, blocks=tuple(blocks), source=path)


def _decode(data: bytes, path: str, report: Report) -> str:
    """Honour a `<meta charset>` (or XML declaration) when it names a legacy encoding; `decode_source`
    otherwise, and afterwards in every case, so empty files, control characters and line ends are
    handled exactly as for every other source."""
    head = data[:4096]
    found = _XML_ENCODING.match(head) or _CHARSET.search(head)
    if found is None or data.startswith(_BOMS):  # a byte-order mark outranks any declaration
        return decode_source(data, path, report)
    label = found.group(1).decode("ascii")
    try:
        encoding = codecs.lookup(label).name
    except LookupError:
        report.warn("html.charset", f"unknown charset {label!r} declared; the encoding is detected instead",
                    path=path, line=head.count(b"\n", 0, found.start()) + 1)
        return decode_source(data, path, report)
    if encoding.startswith("utf"):  # UTF-16 labels in <meta> mean UTF-8, as in browsers
        return decode_source(data, path, report)
    encoding = _WHATWG.get(encoding, encoding)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:  # trust the declaration for the rest: guessing could garble it all
        line = data.count(b"\n", 0, exc.start) + 1
        text = data.decode(encoding, errors="replace")
        report.warn("html.charset", f"bytes that are not valid {label}, as the page declares, were replaced "
                    f"with \ufffd (first on line {line}): save the page as UTF-8", path=path, line=line)
    return decode_source(text.encode("utf-8"), path, report)


def _parse(text: str, path: str) -> Element:
    """Parse with the network off; lxml's HTMLParser has no `resolve_entities` (HTML has no DTD entities
    to expand), and `huge_tree=False` keeps libxml2's limits, whose fatal errors become `SourceError`."""
    parser = lxml.html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True,
                                  huge_tree=False)
    try:
        doc = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.LxmlError, ValueError) as exc:
        line = int(getattr(exc, "lineno", 0) or 0)
        raise SourceError(f"cannot be read as HTML: {exc}", path, line) from None
    for entry in parser.error_log:
        if entry.level_name == "FATAL":
            message = str(entry.message)
            if "depth" in message.lower():
                message = "elements are nested too deeply to parse safely (libxml2 stops at 256 levels)"
            raise SourceError(f"cannot be read as HTML: {message}", path, int(entry.line), int(entry.column))
    return doc


def _content_root(doc: Element) -> Element:
    """The story itself: the longest `<article>` (teaser cards are articles too), else `<main>`, else body."""
    articles = list(doc.iter("article"))
    if articles:
        return max(articles, key=lambda a: len(text_of(a)))
    main = next(doc.iter("main"), None)
    if main is not None:
        return main
    body = doc.find("body")
    return body if body is not None else doc


def _drop_unwanted(doc: Element, root: Element, path: str, report: Report) -> None:
    """Remove `DROPPED` elements: reported (once per kind) inside the story, silently elsewhere, where
    they are page furniture; nothing that runs or embeds survives anywhere in the tree."""
    inside = set(root.iter(*DROPPED))
    warned: set[str] = set()
    for el in list(doc.iter(*DROPPED)):
        if doc not in set(el.iterancestors()):  # already gone with a dropped ancestor
            continue
        if el in inside and el.tag not in warned:
            warned.add(el.tag)
            report.warn("html.dropped", f"<{el.tag}> dropped: {DROPPED[el.tag]}", path=path, line=line_of(el))
        remove(el)


def _drop_chrome(body: Element, conv: Converter, path: str, report: Report) -> None:
    """Without `<article>` or `<main>`, a header or footer outside any content element is the site's own;
    one that held the title is the story's masthead, and what remains of it stays in the body."""
    for el in list(body.iter(*_CHROME)):
        if any(a.tag in _CONTENT_PARENTS for a in el.iterancestors()):
            continue
        if any(d in conv.skip for d in el.iter()):
            continue
        if f"chrome:{el.tag}" not in conv.warned:
            conv.warned.add(f"chrome:{el.tag}")
            report.warn("html.dropped", f"<{el.tag}> dropped: a page {el.tag} outside the article is site "
                        "chrome", path=path, line=line_of(el))
        conv.skip.add(el)
