"""Atom, RSS 2.0 and JSON Feed 1.1 for a batch of HTML articles: well-formed, complete, ordered, stable."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from lxml import etree

from exporter import pipeline
from exporter.feeds import FeedItem, build_feeds
from exporter.model import Article, Identifiers, Metadata, Person

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feeds")
    report = pipeline.export([SOURCES], "html", out, site_url="https://news.example.com/")
    assert report.ok()
    return out


def test_atom_is_complete(exported: Path) -> None:
    root = etree.parse(str(exported / "feed.atom")).getroot()
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{required}")
    assert RFC3339.match(root.findtext(f"{ATOM}updated") or "")
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "https://news.example.com/feed.atom"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len([p for p in (exported).rglob("*.html")])
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    published = []
    for entry in entries:
        for required in ("id", "title", "updated", "published"):
            assert entry.findtext(f"{ATOM}{required}"), required
        assert RFC3339.match(entry.findtext(f"{ATOM}updated") or "")
        assert RFC3339.match(entry.findtext(f"{ATOM}published") or "")
        assert entry.find(f"{ATOM}author/{ATOM}name") is not None
        link = entry.find(f"{ATOM}link")  # no rel means rel="alternate" (RFC 4287 §4.2.7.2)
        assert link is not None and link.get("rel", "alternate") == "alternate"
        assert link.get("href", "").startswith("https://")
        content = entry.find(f"{ATOM}content")
        assert content is not None and content.get("type") == "html" and "<article" in (content.text or "")
        assert "<script" not in (content.text or "")
        published.append(dt.datetime.fromisoformat(entry.findtext(f"{ATOM}published") or ""))
    assert published == sorted(published, reverse=True)


def test_rss_has_full_content(exported: Path) -> None:
    root = etree.parse(str(exported / "feed.rss")).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required)
    assert RFC822.match(channel.findtext("lastBuildDate") or "")
    items = channel.findall("item")
    guids = [i.findtext("guid") for i in items]
    assert len(set(guids)) == len(guids) == len(items) > 1
    for item in items:
        assert item.findtext("title") and item.findtext("link", "").startswith("https://")
        assert RFC822.match(item.findtext("pubDate") or "")
        encoded = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
        assert "<article" in encoded and "</article>" in encoded


def test_json_feed_follows_1_1(exported: Path) -> None:
    feed = json.loads((exported / "feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["feed_url"] == "https://news.example.com/feed.json"
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids) > 1
    dates = [item["date_published"] for item in feed["items"]]
    assert all(RFC3339.match(d) for d in dates)
    assert [dt.datetime.fromisoformat(d) for d in dates] == sorted(
        (dt.datetime.fromisoformat(d) for d in dates), reverse=True)
    for item in feed["items"]:
        assert item["url"].startswith("https://") and "<article" in item["content_html"]
        assert isinstance(item.get("authors", []), list)
    # images in feed content point at the published copies, not at paths relative to a page
    photo = next(i for i in feed["items"] if i["url"].endswith("river-of-light.html"))
    assert 'src="https://news.example.com/photo/river-of-light_files/river-01.png"' in photo["content_html"]


def _article(title: str, date: dt.date | None, **meta: object) -> Article:
    return Article(metadata=Metadata(title=title, date=date, authors=(Person(name="A"),), **meta))  # type: ignore[arg-type]


def test_feeds_are_deterministic_without_site_url_and_ids_are_unique() -> None:
    twin = Identifiers(id="urn:example:twin")
    items = [FeedItem(article=_article("Old", dt.date(2020, 1, 1)), path="a/old.html", content="<p>old</p>"),
             FeedItem(article=_article("New", dt.date(2021, 1, 1)), path="new.html", content="<p>new</p>"),
             FeedItem(article=_article("Undated", None), path="undated.html", content="<p>?</p>"),
             FeedItem(article=_article("Twin", dt.date(2019, 1, 1), identifiers=twin), path="twin.html",
                      content="<p>t</p>"),
             FeedItem(article=_article("Twin 2", dt.date(2018, 1, 1), identifiers=twin), path="twin2.html",
                      content="<p>t</p>")]
    first, second = build_feeds(items), build_feeds(list(reversed(items)))
    assert first == second
    atom = etree.fromstring(first["feed.atom"])
    titles = [e.findtext(f"{ATOM}title") for e in atom.findall(f"{ATOM}entry")]
    assert titles == ["New", "Old", "Twin", "Twin 2", "Undated"]
    ids = [e.findtext(f"{ATOM}id") for e in atom.findall(f"{ATOM}entry")]
    assert len(set(ids)) == 5 and all(i and i.startswith("urn:") for i in ids)
    assert ids[2:4] == ["urn:example:twin", "urn:example:twin#2"]
    etree.fromstring(first["feed.rss"])
    json.loads(first["feed.json"])


def test_no_feed_for_a_single_article(tmp_path: Path) -> None:
    pipeline.export([SOURCES / "world" / "nato-kosovo.txt"], "html", tmp_path)
    assert not list(tmp_path.glob("feed.*"))
