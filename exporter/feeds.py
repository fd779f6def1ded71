"""Syndication feeds for a batch of HTML articles: Atom 1.0, RSS 2.0 (with full content) and JSON Feed 1.1.

Partners poll feeds rather than folders, so exporting several articles to HTML also writes `feed.atom`,
`feed.rss` and `feed.json` beside them. The XML feeds are built with feedgen (never by string
concatenation) and every value that could vary between runs — build time, entry order — is pinned to the
articles themselves, so the same sources always give byte-identical feeds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urljoin

from exporter.diagnostics import Report
from exporter.errors import ExporterError
from exporter.html_context import iso, modified
from exporter.model import Article
from exporter.model_json import from_data, to_json
from exporter.themes import Theme

FEED_FILES = ("feed.atom", "feed.rss", "feed.json")
"""The files `build_feeds` returns, relative to the output folder."""
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
"""Stand-in date for an article without one: deterministic, and sorted last."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FeedItem:
    """One article as a feed entry."""

    article: Article
    """The article."""
    path: str
    """Its HTML page, relative to the output folder (`world/nato.html`)."""
    content: str
    """The article as an HTML fragment, URLs already absolute (or relative to the feed)."""


def moment(value: dt.date | dt.datetime | None) -> dt.datetime:
    """A timezone-aware datetime for any model date (a bare date is midnight UTC; None is `EPOCH`)."""
    if value is None:
        return EPOCH
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _rfc3339(value: dt.datetime) -> str:
    return iso(value.astimezone(dt.UTC))


def _entry_url(item: FeedItem, site_url: str) -> str:
    return item.article.metadata.canonical_url or (urljoin(site_url, item.path) if site_url else item.path)


def _entry_id(item: FeedItem, site_url: str) -> str:
    """A stable IRI: the publisher's URI-like id, else the absolute URL, else a UUID from the page's path."""
    own = item.article.metadata.identifiers.id
    if own and ":" in own:
        return own
    url = _entry_url(item, site_url)
    if url.startswith(("http://", "https://")):
        return url
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, own or item.path)}"


def ordered(items: Sequence[FeedItem]) -> list[FeedItem]:
    """Newest first; ties broken by path so the order never depends on the file system."""
    return sorted(items, key=lambda i: (-moment(i.article.metadata.date).timestamp(), i.path))


def build_feeds(items: Sequence[FeedItem], *, site_url: str = "", title: str = "", description: str = "",
                language: str = "", report: Report | None = None) -> dict[str, bytes]:
    """`feed.atom`, `feed.rss` and `feed.json` for `items` (at least one), newest first."""
    from feedgen.feed import FeedGenerator

    entries = ordered(items)
    first = entries[0].article.metadata
    title = title or first.publisher or "Latest articles"
    description = description or (f"Latest articles from {first.publisher}" if first.publisher else title)
    language = language or first.language
    updated = max(max(moment(i.article.metadata.date), moment(modified(i.article))) for i in entries)
    home = site_url or "./"
    feed_id = site_url or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, '|'.join(sorted(i.path for i in items)))}"
    ids: set[str] = set()
    for item in entries:
        if item.article.metadata.date is None and report is not None:
            report.warn("feed.undated", f"{item.path} has no date; it is listed last with a 1970 date",
                        path=item.article.source)

    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.subtitle(description)
    fg.description(description)
    fg.language(language)
    fg.link(href=urljoin(site_url, "feed.atom") if site_url else "feed.atom", rel="self",
            type="application/atom+xml")
    fg.link(href=home, rel="alternate")  # after `self`: feedgen takes RSS's <link> from the last one set
    fg.generator("exporter")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    if first.publisher:
        fg.author({"name": first.publisher})
    json_items: list[dict[str, object]] = []
    for item in entries:
        meta = item.article.metadata
        entry_id = _unique(_entry_id(item, site_url), ids)
        url = _entry_url(item, site_url)
        published = moment(meta.date)
        changed = max(published, moment(modified(item.article)))
        authors = [p.name for p in meta.credited("author")] or ([meta.publisher] if meta.publisher else [])
        summary = meta.summary or meta.subtitle
        fe = fg.add_entry(order="append")
        fe.id(entry_id)
        fe.guid(entry_id, permalink=entry_id == url and url.startswith(("http://", "https://")))
        fe.title(meta.title)
        fe.link(href=url, rel="alternate", type="text/html")
        fe.published(published)
        fe.updated(changed)
        fe.author([{"name": name} for name in authors] or [{"name": title}])
        if summary:
            fe.summary(summary)
        else:
            fe.description(meta.title)
        fe.content(item.content, type="html")
        for tag in meta.tags:
            fe.category(term=tag)
        json_item: dict[str, object] = {"id": entry_id, "url": url, "title": meta.title,
                                        "content_html": item.content}
        if summary:
            json_item["summary"] = summary
        json_item |= {"date_published": _rfc3339(published), "date_modified": _rfc3339(changed)}
        if authors:
            json_item["authors"] = [{"name": name} for name in authors]
        if meta.tags:
            json_item["tags"] = list(meta.tags)
        json_item["language"] = meta.language
        json_items.append(json_item)
    json_feed: dict[str, object] = {"version": "https://jsonfeed.org/version/1.1", "title": title,
                                    "description": description, "language": language}
    if site_url:
        json_feed |= {"home_page_url": site_url, "feed_url": urljoin(site_url, "feed.json")}
    json_feed["items"] = json_items
    return {
        "feed.atom": fg.atom_str(pretty=True, encoding="UTF-8"),
        "feed.rss": fg.rss_str(pretty=True, encoding="UTF-8"),
        "feed.json": (json.dumps(json_feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    }


def _unique(candidate: str, taken: set[str]) -> str:
    """`candidate`, or `candidate#2`, `#3` … when two articles would otherwise share an id."""
    value, n = candidate, 1
    while value in taken:
        n += 1
        value = f"{candidate}#{n}"
    taken.add(value)
    return value


def entry_base(path: str, site_url: str = "") -> str:
    """The address a page's feed entry resolves its relative URLs against: the page's own."""
    return urljoin(site_url, path) if site_url else path


def feed_item(article: Article, path: str, theme: Theme, *, site_url: str = "", content: str | None = None) -> FeedItem:
    """One page's feed entry: its fragment with URLs resolved against the page, and the metadata only.

    Batch workers build these next to the page they render, so the parent never parses a source again to
    write the feeds; the body is dropped because the entry needs only the metadata once `content` exists.
    `content` is the fragment when the caller has it already (`HtmlRenderer.feed_content` on the page it
    just rendered); otherwise it is rendered here.
    """
    if content is None:
        from exporter.renderers.html import HtmlRenderer

        renderer = HtmlRenderer(mode="fragment", fonts="none", base_url=entry_base(path, site_url), site_url=site_url)
        content = renderer.render(article, theme, Report()).decode("utf-8")
    return FeedItem(article=dataclasses.replace(article, blocks=()), path=path, content=content)


ENTRY_CACHE = ".exporter-feed-entries.json"
"""Where a batch keeps each page's feed entry, beside its manifest in the output folder."""


@dataclasses.dataclass(slots=True)
class EntryCache:
    """Feed entries by page, each with the job key it was built under, so a rebuild after one edit takes the
    other pages' entries from here instead of reading every article again; a changed key means a stale entry."""

    entries: dict[str, dict[str, object]] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> EntryCache:
        """The cache at `path`; empty when it is missing, unreadable or of another version."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        entries = data.get("entries") if isinstance(data, dict) and data.get("version") == 1 else None
        return cls({k: v for k, v in entries.items() if isinstance(v, dict)} if isinstance(entries, dict) else {})

    def get(self, page: str, key: str) -> FeedItem | None:
        """The page's entry when it was built from exactly these inputs (`key`), else None."""
        entry = self.entries.get(page)
        if not key or entry is None or entry.get("key") != key:
            return None
        try:
            article = from_data(entry["article"])
        except (ExporterError, KeyError, TypeError, ValueError):
            return None
        path, content = entry.get("path"), entry.get("content")
        if not isinstance(article, Article) or not isinstance(path, str) or not isinstance(content, str):
            return None
        return FeedItem(article=article, path=path, content=content)

    def put(self, page: str, key: str, item: FeedItem) -> None:
        """Remember `item` as the page's entry under `key`."""
        self.entries[page] = {"key": key, "path": item.path, "content": item.content,
                              "article": json.loads(to_json(item.article, indent=None))}

    def dump(self, *, keep: Sequence[str]) -> bytes:
        """The cache file's bytes, holding only the pages in `keep` (pages gone from the feed drop out)."""
        entries = {page: self.entries[page] for page in keep if page in self.entries}
        return json.dumps({"version": 1, "entries": entries}, ensure_ascii=False, separators=(",", ":")).encode()
