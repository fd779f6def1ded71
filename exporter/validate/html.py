"""HTML: the W3C Nu checker (vnu, one JVM for every page) and our own syndication rules.

vnu says whether a page is valid HTML; it cannot say whether a page is safe to syndicate, so `HtmlRules`
adds what partners require of an article page: JSON-LD NewsArticle metadata, no script but JSON-LD, no event
handlers or `javascript:` URLs, a language, and alt text on every image.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlparse

from lxml import etree
from lxml import html as lxml_html

from exporter.diagnostics import Diagnostic, Level
from exporter.validate import CheckOptions, Outcome, _tools

VNU_JAR = ("vnu-jar", "build", "dist", "vnu.jar")
"""Where `npm install --prefix .tools vnu-jar` puts the checker, below `.tools/node_modules`."""
NEWS_ARTICLE_FIELDS = ("headline", "author", "datePublished", "inLanguage")
"""JSON-LD fields an article should carry (what news aggregators read); how strictly is `FIELD_LEVELS`'s."""
COLLECTION_TYPES = frozenset({"CollectionPage", "ItemList", "Book", "CreativeWork", "Periodical",
                              "PublicationIssue"})
"""Types whose `hasPart` (or `itemListElement`) articles are checked one by one, as on a collection page."""
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "poster", "background", "cite",
                            "longdesc", "manifest", "srcset", "{http://www.w3.org/1999/xlink}href"})
"""Attributes holding URLs, where a `javascript:` scheme would execute."""
_CONTROL = re.compile(r"[\x00-\x20]+")


def vnu_level(message: dict[str, object]) -> tuple[Level, str]:
    """vnu message → (level, code): errors, `info` with subType warning as warnings, other info as info."""
    kind, sub = str(message.get("type", "")), str(message.get("subType", ""))
    if kind == "error":
        return "error", "vnu.error"
    if kind == "info":
        return ("warning", "vnu.warning") if sub == "warning" else ("info", "vnu.info")
    return "error", f"vnu.{kind or 'unknown'}"


def _file_of(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)).resolve() if parsed.scheme == "file" else None


class Vnu:
    """The Nu HTML checker over every page in one JVM."""

    name: ClassVar[str] = "vnu"
    format: ClassVar[str] = "html"
    batched: ClassVar[bool] = True
    deep_only: ClassVar[bool] = False

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """Run `vnu.jar --format json` once for all pages and split its messages per page."""
        java, jar = _tools.java(), _tools.npm_file(*VNU_JAR)
        if java is None or jar is None:
            what = "java" if java is None else "vnu"
            return [self._outcome(p, [_tools.missing(self.name, p, what)]) for p in paths]
        result = _tools.run([java, "-Xss8m", "-jar", str(jar), "--format", "json", "--stdout",
                             *(str(p.resolve()) for p in paths)])
        try:
            messages = json.loads(result.stdout or result.stderr)["messages"]
        except (ValueError, KeyError, TypeError) as exc:
            return [self._outcome(p, [_tools.failed(self.name, p, f"{exc}: {result.stderr}")]) for p in paths]
        original = {p.resolve(): p for p in paths}
        by_file: dict[Path, list[Diagnostic]] = {p: [] for p in paths}
        for message in messages:
            target = original.get(_file_of(str(message.get("url", ""))) or paths[0].resolve(), paths[0])
            level, code = vnu_level(message)
            by_file[target].append(Diagnostic(
                level=level, code=code, path=str(target), message=" ".join(str(message.get("message", "")).split()),
                line=int(message.get("lastLine") or 0), column=int(message.get("firstColumn") or 0)))
        return [self._outcome(p, by_file[p]) for p in paths]

    def _outcome(self, path: Path, found: list[Diagnostic]) -> Outcome:
        return Outcome(path=str(path), format=self.format, validator=self.name, diagnostics=tuple(found))


def _objects(node: object) -> Iterator[dict[str, object]]:
    """Every JSON-LD object, descending into lists and `@graph`."""
    if isinstance(node, list):
        for item in node:
            yield from _objects(item)
    elif isinstance(node, dict):
        yield node
        yield from _objects(node.get("@graph", []))


def _is_news_article(obj: dict[str, object]) -> bool:
    types = obj.get("@type")
    return any(str(t).endswith("NewsArticle") for t in (types if isinstance(types, list) else [types]))


def news_articles(data: object) -> list[dict[str, object]]:
    """The NewsArticle objects (or subtypes such as ReportageNewsArticle) in parsed JSON-LD, top level only."""
    return [o for o in _objects(data) if _is_news_article(o)]


def _types(obj: dict[str, object]) -> set[str]:
    types = obj.get("@type")
    return {str(t).rsplit("/", 1)[-1] for t in (types if isinstance(types, list) else [types])}


def collection_pages(data: object) -> list[dict[str, object]]:
    """`CollectionPage`-like objects (see `COLLECTION_TYPES`) that have parts, in parsed JSON-LD."""
    return [o for o in _objects(data) if _types(o) & COLLECTION_TYPES and _parts_of(o)]


def _parts_of(obj: dict[str, object]) -> list[dict[str, object]]:
    """The articles of a collection object: `hasPart`, or an ItemList's items (`item` inside ListItems)."""
    parts: list[dict[str, object]] = []
    for key in ("hasPart", "itemListElement"):
        for found in _objects(obj.get(key, [])):
            item = found.get("item")
            parts.append(item if isinstance(item, dict) and _types(found) == {"ListItem"} else found)
    return [p for p in parts if _is_news_article(p)]


def collection_parts(data: object) -> list[dict[str, object]]:
    """Every NewsArticle that is a part of a collection object in parsed JSON-LD."""
    return [part for page in collection_pages(data) for part in _parts_of(page)]


def _shows_date(element: etree._Element) -> bool:
    """Whether a page (or one `<article>` of it) shows a publication date: a `<time>` in a `<header>`."""
    return any(_local(t.tag) == "time" for h in element.iter() if _local(h.tag) == "header" for t in h.iter())


def _top_articles(root: etree._Element) -> list[etree._Element]:
    """`<article>` elements not nested in another `<article>`, in document order."""
    found = [e for e in root.iter() if _local(e.tag) == "article"]
    return [e for e in found if not any(_local(a.tag) == "article" for a in e.iterancestors())]


def field_level(key: str, *, shows_date: bool) -> Level | None:
    """How a missing JSON-LD field is reported: headline and inLanguage always an error; datePublished an error
    when the page shows a date (else nothing to declare); author only `info`, since the JSON-LD carries an
    author when the metadata has one, and unsigned wire copy has none."""
    if key == "author":
        return "info"
    if key == "datePublished":
        return "error" if shows_date else None
    return "error"


def parse_page(data: bytes, path: Path) -> etree._Element:
    """The page's tree: XML for `.xhtml` (as EPUB and XHTML serialisations must be), HTML otherwise."""
    if path.suffix.lower() == ".xhtml":
        return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    return lxml_html.document_fromstring(data)


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def rule_diagnostics(root: etree._Element, path: Path) -> list[Diagnostic]:
    """Our own rules over a parsed page (separate from I/O so tests can feed strings)."""
    found: list[Diagnostic] = []

    def add(level: Level, code: str, message: str, element: etree._Element | None = None) -> None:
        line = element.sourceline if element is not None else 0
        found.append(Diagnostic(level=level, code=code, message=message, path=str(path),
                                line=line if isinstance(line, int) else 0))

    if not (root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or "").strip():
        add("error", "html.lang-missing", "the html element has no lang attribute", root)
    articles: list[dict[str, object]] = []
    parts: list[dict[str, object]] = []
    saw_jsonld = False
    for element in root.iter():
        name = _local(element.tag)
        if not name:
            continue
        for attribute, value in element.attrib.items():
            attr = str(attribute)
            if _local(attr).startswith("on"):
                add("error", "html.event-handler", f"<{name}> has an event handler attribute {_local(attr)}", element)
            if (attr in URL_ATTRIBUTES or _local(attr) in URL_ATTRIBUTES) \
                    and _CONTROL.sub("", str(value)).lower().startswith("javascript:"):
                add("error", "html.javascript-url", f"<{name} {_local(attr)}> uses a javascript: URL", element)
        if name == "script":
            kind = (element.get("type") or "").strip().lower()
            if kind != "application/ld+json":
                add("error", "html.script", f"script of type {kind or 'text/javascript'!r}: only JSON-LD is allowed",
                    element)
                continue
            saw_jsonld = True
            try:
                data = json.loads(element.text or "")
                articles.extend(news_articles(data))
                parts.extend(collection_parts(data))
            except ValueError as exc:
                add("error", "html.jsonld-invalid", f"JSON-LD does not parse: {exc}", element)
        elif name == "img" and element.get("alt") is None:
            add("error", "html.img-missing-alt", f"<img src={element.get('src', '')!r}> has no alt attribute", element)
    if not saw_jsonld:
        add("error", "html.jsonld-missing", "no JSON-LD (<script type=\"application/ld+json\">) metadata")
    elif not articles and not parts:
        add("warning", "html.jsonld-no-article", "JSON-LD present but no NewsArticle object in it (nor a "
            "CollectionPage whose hasPart are NewsArticles)")
    page_date = _shows_date(root)
    blocks = _top_articles(root)
    checked = [(article, "JSON-LD NewsArticle", page_date) for article in articles]
    for number, part in enumerate(parts, start=1):  # a collection's parts pair with its <article>s by position
        shows = _shows_date(blocks[number - 1]) if len(blocks) == len(parts) else page_date
        checked.append((part, f"JSON-LD NewsArticle (part {number} of the collection)", shows))
    for article, label, shows_date in checked:
        for key in NEWS_ARTICLE_FIELDS:
            level = field_level(key, shows_date=shows_date)
            if level is not None and article.get(key) in (None, "", [], {}):
                add(level, "html.jsonld-field-missing", f"{label} has no {key}")
    return found


class HtmlRules:
    """Our syndication rules for article pages."""

    name: ClassVar[str] = "html-rules"
    format: ClassVar[str] = "html"
    batched: ClassVar[bool] = False
    deep_only: ClassVar[bool] = False

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """Parse each page with lxml and apply `rule_diagnostics`."""
        outcomes = []
        for path in paths:
            try:
                found = rule_diagnostics(parse_page(path.read_bytes(), path), path)
            except (OSError, etree.LxmlError, ValueError) as exc:
                found = [Diagnostic(level="error", code="html.unreadable", path=str(path),
                                    message=f"cannot parse the page: {exc}")]
            outcomes.append(Outcome(path=str(path), format=self.format, validator=self.name,
                                    diagnostics=tuple(found)))
        return outcomes
