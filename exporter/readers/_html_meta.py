"""What an HTML page says about its article — `<meta>` tags, `<html lang>`, the masthead — as front matter.

The result is the plain dict `build_metadata` validates for every reader, so dates, languages and people
follow the same rules whatever the source. CMS head tags are written by templates, not by editors, so a
malformed value there (a date in prose, `lang="english"`) is a warning and is skipped rather than a
failure of the whole article; the line of the tag goes with each key for the messages.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass, field

from exporter.diagnostics import Report
from exporter.readers._html_convert import Converter
from exporter.readers._html_dom import Element, classes, line_of, raw_text, text_of
from exporter.readers._html_inline import plain
from exporter.readers._language import standard_tag

_DATE_KEYS = ("article:published_time", "date", "dc.date", "dc.date.issued", "dcterms.date", "dcterms.issued",
              "datepublished", "pubdate", "publish-date", "sailthru.date")
_UPDATED_KEYS = ("article:modified_time", "og:updated_time", "dcterms.modified", "datemodified",
                 "last-modified")
_AUTHOR_KEYS = ("author", "article:author", "dc.creator", "dcterms.creator")
_DEK = frozenset({"dek", "deck", "standfirst", "subtitle"})
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*")
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_TITLE_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ", " · ")


@dataclass(slots=True)
class Masthead:
    """Front-matter keys gathered from the page, the line each came from, and the title of last resort."""

    data: dict[str, object] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    fallback_title: str = ""

    def put(self, key: str, value: object, line: int) -> None:
        if value not in ("", [], None) and key not in self.data:
            self.data[key] = value
            self.lines[key] = line


def read_masthead(doc: Element, root: Element, conv: Converter, *, path: str, report: Report) -> Masthead:
    """Collect metadata, and mark the title, dek, kicker and byline elements so the body leaves them out."""
    metas: dict[str, list[tuple[str, int]]] = {}
    for meta in doc.iter("meta"):
        name = meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv")
        key = (name or "").strip().lower()
        content = " ".join((meta.get("content") or "").split())
        if key and content:
            metas.setdefault(key, []).append((content, line_of(meta)))

    def first(*keys: str) -> tuple[str, int]:
        return next((metas[k][0] for k in keys if k in metas), ("", 0))

    head = Masthead()
    head.put("summary", *first("description", "og:description", "twitter:description", "dc.description"))
    head.put("section", *first("article:section"))
    tags = metas.get("article:tag", [])
    head.put("tags", [t for t, _ in tags], tags[0][1] if tags else 0)
    keywords = metas.get("keywords") or metas.get("news_keywords") or []
    head.put("keywords", ", ".join(k for k, _ in keywords), keywords[0][1] if keywords else 0)
    site, site_line = first("og:site_name", "publisher", "dc.publisher")
    head.put("publisher", site, site_line)
    head.put("rights", *first("dc.rights", "dcterms.rights", "copyright", "rights"))
    src, src_line = first("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
    if src:
        head.put("image", {"src": src, "alt": first("og:image:alt", "twitter:image:alt")[0]}, src_line)
    canonical = next((link for link in doc.iter("link") if link.get("href")
                      and "canonical" in (link.get("rel") or "").lower().split()), None)
    if canonical is not None:
        head.put("canonical_url", (canonical.get("href") or "").strip(), line_of(canonical))
    head.put("canonical_url", *first("og:url"))
    for key, names in (("date", _DATE_KEYS), ("updated", _UPDATED_KEYS)):
        raw, line = first(*names)
        if raw and (moment := parse_moment(raw)) is None:
            report.warn("html.bad-date", f"<meta> {key} {raw!r} is not a date; kept as extra data",
                        path=path, line=line)
            head.put(f"meta:{next(k for k in names if k in metas)}", raw, line)
        elif raw:
            head.put(key, moment, line)
    _language(head, doc, first("content-language", "og:locale"), path, report)
    _authors(head, metas, path, report)
    _masthead(head, doc, root, conv)  # after the <meta> tags: what the head states wins over the byline
    title_el = doc.find("head/title")
    title = text_of(title_el) if title_el is not None else ""
    for separator in _TITLE_SEPARATORS:
        if site and title.endswith(separator + site):
            title = title[: -len(separator + site)].strip()
    head.fallback_title = first("og:title", "twitter:title")[0] or title
    return head


def parse_moment(raw: str) -> dt.date | None:
    """ISO 8601 as `build_metadata` wants it, or the RFC 2822 dates some CMS templates still emit."""
    text = raw.strip()
    try:
        return dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _language(head: Masthead, doc: Element, meta: tuple[str, int], path: str, report: Report) -> None:
    raw, line = (doc.get("lang") or doc.get("xml:lang") or "", line_of(doc))
    raw, line = (raw, line) if raw.strip() else meta
    tag = raw.strip().replace("_", "-")
    if not tag:
        return
    if standard_tag(tag) is not None:
        head.put("language", tag, line)
    else:
        report.warn("html.bad-language", f"language {raw!r} is not a BCP 47 tag (en, en-GB, sr-Cyrl); "
                    "ignored", path=path, line=line)


def _masthead(head: Masthead, doc: Element, root: Element, conv: Converter) -> None:
    """Title, dek, kicker, byline and a dateline `<time>` from the article's own header."""
    body = doc.find("body")
    h1 = next((h for h in root.iter("h1") if h not in conv.skip), None)
    if h1 is None and body is not None:
        h1 = next((h for h in body.iter("h1") if not any(a.tag == "nav" for a in h.iterancestors())), None)
    if h1 is None:  # word processors (Google Docs) mark the title with a class instead
        h1 = _by_class([root], {"title"}, conv)
    scopes = [root]
    if h1 is not None and root not in set(h1.iterancestors()) and (parent := h1.getparent()) is not None:
        scopes.append(parent)  # a page header above the <article>
    found = {name: _by_class(scopes, names, conv) for name, names in
             (("kicker", {"kicker"}), ("subtitle", _DEK), ("byline", {"byline"}))}
    for key in ("kicker", "subtitle"):
        if (el := found[key]) is not None:
            head.put(key, text_of(el), line_of(el))
            conv.skip.add(el)
    if h1 is not None:
        head.put("title", plain(conv.inline_content(h1)), line_of(h1))
        conv.skip.add(h1)
        parent, nxt = h1.getparent(), h1.getnext()
        if "subtitle" not in head.data and parent is not None and parent.tag in ("header", "hgroup") \
                and nxt is not None and nxt.tag in ("p", "h2") and not classes(nxt):
            head.put("subtitle", text_of(nxt), line_of(nxt))
            conv.skip.add(nxt)
    byline = found["byline"]
    if byline is not None:
        conv.skip.add(byline)
        names = [text_of(a) for a in byline.iter("a") if "author" in (a.get("rel") or "").split()]
        head.put("authors", names or _split_names(_text_without_time(byline)), line_of(byline))
    stamp = next((t for s in scopes for t in s.iter("time") if t.get("datetime") and (
        t.get("pubdate") is not None or (byline is not None and byline in set(t.iterancestors()))
        or any(a.tag == "header" for a in t.iterancestors()))), None)
    if stamp is not None and (moment := parse_moment(stamp.get("datetime") or "")) is not None:
        head.put("date", moment, line_of(stamp))


def _by_class(scopes: list[Element], names: set[str] | frozenset[str], conv: Converter) -> Element | None:
    for scope in scopes:
        for el in scope.iter():
            if isinstance(el.tag, str) and el not in conv.skip and names & set(classes(el)):
                return el
    return None


def _text_without_time(byline: Element) -> str:
    """A byline's names: the text before any `<time>`, up to a "·" or "|" separator."""
    parts = [byline.text or ""]
    for child in byline:
        if child.tag == "time":
            break
        parts += [raw_text(child), child.tail or ""]
    return re.split(r"[·|•]", " ".join("".join(parts).split()))[0]


def _split_names(text: str) -> list[str]:
    return [name for name in _NAME_SPLIT.split(_BY.sub("", text)) if name.strip()]


def _authors(head: Masthead, metas: dict[str, list[tuple[str, int]]], path: str, report: Report) -> None:
    """Author metas hold names or (Open Graph's `article:author`) profile URLs: paired when counts match."""
    names: list[str] = []
    urls: list[str] = []
    line = 0
    for key in _AUTHOR_KEYS:
        for value, at in metas.get(key, []):
            line = line or at
            if re.match(r"https?://", value):
                urls.append(value)
            else:
                names += [n for n in _split_names(value) if n.lower() not in {m.lower() for m in names}]
    if urls and not names:
        report.warn("html.author-url", "authors are given only as profile URLs; no names to credit",
                    path=path, line=line)
    if urls and len(urls) == len(names):
        head.put("authors", [{"name": n, "url": u} for n, u in zip(names, urls, strict=True)], line)
    else:
        head.put("authors", names, line)
