"""Feeds: Atom, RSS 2.0 and JSON Feed are well formed, complete, dated correctly and carry full content.

Aggregators silently drop entries with bad dates or reused ids, and a feed with only summaries defeats the
point of full-text syndication, so each of those is an error here rather than something found in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import ClassVar

from lxml import etree

from exporter.diagnostics import Diagnostic
from exporter.validate import CheckOptions, Outcome

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(r"^(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{2,4} \d{2}:\d{2}(?::\d{2})? "
                    r"(?:[+-]\d{4}|UT|GMT|[ECMP][SD]T|[A-IK-Z])$")


def valid_rfc3339(value: str) -> bool:
    """An Atom/JSON Feed timestamp: full date, time and offset."""
    if not RFC3339.match(value.strip()):
        return False
    try:
        datetime.fromisoformat(value.strip().replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


def valid_rfc822(value: str) -> bool:
    """An RSS `pubDate`."""
    if not RFC822.match(value.strip()):
        return False
    try:
        parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return False
    return True


class _Findings:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[Diagnostic] = []

    def error(self, code: str, message: str, line: int = 0) -> None:
        self.items.append(Diagnostic(level="error", code=f"feed.{code}", message=message, path=str(self.path),
                                     line=line))

    def warn(self, code: str, message: str, line: int = 0) -> None:
        self.items.append(Diagnostic(level="warning", code=f"feed.{code}", message=message, path=str(self.path),
                                     line=line))


def _text(element: etree._Element | None) -> str:
    return "".join(str(t) for t in element.itertext()).strip() if element is not None else ""


def _line(element: etree._Element) -> int:
    line = element.sourceline
    return line if isinstance(line, int) else 0


def check_atom(root: etree._Element, out: _Findings) -> None:
    """RFC 4287: feed id/title/updated, authors, and per entry id/title/updated/content."""
    for name in ("id", "title", "updated"):
        if not _text(root.find(ATOM + name)):
            out.error("missing-element", f"<feed> has no <{name}>", _line(root))
    feed_author = root.find(ATOM + "author") is not None
    ids: dict[str, int] = {}
    for element in root.iter(ATOM + "updated", ATOM + "published"):
        if not valid_rfc3339(_text(element)):
            out.error("date-invalid", f"<{etree.QName(element).localname}> {_text(element)!r} is not RFC 3339",
                      _line(element))
    for entry in root.iterfind(ATOM + "entry"):
        line = _line(entry)
        for name in ("id", "title", "updated"):
            if not _text(entry.find(ATOM + name)):
                out.error("missing-element", f"<entry> has no <{name}>", line)
        if not feed_author and entry.find(ATOM + "author") is None:
            out.error("missing-element", "<entry> has no <author> and the feed has none", line)
        content = entry.find(ATOM + "content")
        if content is None or not (_text(content) or len(content) or content.get("src")):
            out.error("content-missing", "<entry> has no full <content> (a summary is not enough)", line)
        if entry_id := _text(entry.find(ATOM + "id")):
            _unique(entry_id, line, ids, out)


def check_rss(root: etree._Element, out: _Findings) -> None:
    """RSS 2.0: channel title/link/description, item guid/pubDate, and content:encoded with the full text."""
    channel = root.find("channel")
    if channel is None:
        out.error("missing-element", "<rss> has no <channel>", _line(root))
        return
    for name in ("title", "link", "description"):
        if not _text(channel.find(name)):
            out.error("missing-element", f"<channel> has no <{name}>", _line(channel))
    ids: dict[str, int] = {}
    for element in channel.iter("pubDate", "lastBuildDate"):
        if not valid_rfc822(_text(element)):
            out.error("date-invalid", f"<{element.tag}> {_text(element)!r} is not an RFC 822 date",
                      _line(element))
    for item in channel.iterfind("item"):
        line = _line(item)
        if not (_text(item.find("title")) or _text(item.find("description"))):
            out.error("missing-element", "<item> has neither <title> nor <description>", line)
        if not _text(item.find(CONTENT)):
            out.error("content-missing", "<item> has no <content:encoded> with the full text", line)
        guid = _text(item.find("guid")) or _text(item.find("link"))
        if not guid:
            out.warn("missing-element", "<item> has no <guid>; readers cannot tell updates from new items", line)
        else:
            _unique(guid, line, ids, out)


def check_json_feed(data: object, out: _Findings) -> None:
    """JSON Feed 1.1: version, title, items with unique string ids, content and RFC 3339 dates."""
    if not isinstance(data, dict):
        out.error("not-well-formed", "a JSON Feed must be a JSON object")
        return
    if not str(data.get("version", "")).startswith("https://jsonfeed.org/version/"):
        out.error("missing-element", "no JSON Feed version URL")
    if not data.get("title"):
        out.error("missing-element", "the feed has no title")
    items = data.get("items")
    if not isinstance(items, list):
        out.error("missing-element", "the feed has no items list")
        return
    ids: dict[str, int] = {}
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.error("not-well-formed", f"item {number} is not an object")
            continue
        if not isinstance(item.get("id"), str) or not item["id"]:
            out.error("missing-element", f"item {number} has no string id")
        else:
            _unique(item["id"], number, ids, out, unit="item")
        if not (item.get("content_html") or item.get("content_text")):
            out.error("content-missing", f"item {number} has neither content_html nor content_text")
        for key in ("date_published", "date_modified"):
            if key in item and not valid_rfc3339(str(item[key])):
                out.error("date-invalid", f"item {number} {key} {item[key]!r} is not RFC 3339")


def _unique(value: str, where: int, seen: dict[str, int], out: _Findings, unit: str = "line") -> None:
    if value in seen:
        out.error("duplicate-id", f"id {value!r} is used twice ({unit} {seen[value]} and {where})", where)
    else:
        seen[value] = where


def check_feed(path: Path) -> list[Diagnostic]:
    """Every finding for one feed file."""
    out = _Findings(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        out.error("unreadable", str(exc))
        return out.items
    if path.suffix.lower() == ".json":
        try:
            check_json_feed(json.loads(data), out)
        except ValueError as exc:
            out.error("not-well-formed", f"not valid JSON: {exc}")
        return out.items
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        out.error("not-well-formed", f"not well-formed XML: {exc}", exc.lineno or 0)
        return out.items
    if root.tag == ATOM + "feed":
        check_atom(root, out)
    elif root.tag == "rss":
        check_rss(root, out)
    else:
        out.error("unknown-kind", f"root element {root.tag} is neither an Atom <feed> nor RSS 2.0 <rss>")
    return out.items


class FeedValidator:
    """Atom, RSS and JSON Feed checks."""

    name: ClassVar[str] = "feed"
    format: ClassVar[str] = "feed"
    batched: ClassVar[bool] = False
    deep_only: ClassVar[bool] = False

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """One outcome per feed."""
        return [Outcome(path=str(p), format=self.format, validator=self.name, diagnostics=tuple(check_feed(p)))
                for p in paths]
