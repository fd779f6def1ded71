"""Feeds: well formed, required elements, valid dates, unique ids, full content."""

from __future__ import annotations

import json
from pathlib import Path

from exporter.validate import check, detect_format

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:feed</id><title>World</title><updated>2026-11-27T12:00:00Z</updated><author><name>Desk</name></author>
  <entry><id>urn:a</id><title>A</title><updated>{date}</updated>
    <content type="html">&lt;p&gt;Full&lt;/p&gt;</content></entry>
  <entry><id>{second_id}</id><title>B</title><updated>2026-11-27T12:00:00+01:00</updated>{content}</entry>
</feed>"""

RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel><title>World</title><link>https://example.com/</link><description>News</description>
    <item><title>A</title><guid>a</guid><pubDate>{date}</pubDate>{content}</item>
  </channel>
</rss>"""


def codes(tmp_path: Path, name: str, text: str) -> set[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert detect_format(path) == "feed"
    return check([path], validators=["feed"]).codes()


def test_clean_atom(tmp_path: Path) -> None:
    assert codes(tmp_path, "atom.xml", ATOM.format(date="2026-11-27T12:00:00Z", second_id="urn:b",
                                                    content="<content>Full text</content>")) == set()


def test_atom_defects(tmp_path: Path) -> None:
    found = codes(tmp_path, "atom.xml", ATOM.format(date="27 Nov 2026", second_id="urn:a",
                                                    content="<summary>Only a teaser</summary>"))
    assert found == {"feed.date-invalid", "feed.duplicate-id", "feed.content-missing"}


def test_rss(tmp_path: Path) -> None:
    good = RSS.format(date="Fri, 27 Nov 2026 12:00:00 +0000", content="<content:encoded>Full</content:encoded>")
    assert codes(tmp_path, "rss.xml", good) == set()
    bad = RSS.format(date="2026-11-27", content="")
    assert codes(tmp_path, "rss.xml", bad) == {"feed.date-invalid", "feed.content-missing"}


def test_not_well_formed(tmp_path: Path) -> None:
    assert codes(tmp_path, "feed.atom", "<feed><entry></feed>") == {"feed.not-well-formed"}


def test_json_feed(tmp_path: Path) -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "World", "items": [
        {"id": "a", "content_html": "<p>Full</p>", "date_published": "2026-11-27T12:00:00Z"},
        {"id": "a", "summary": "teaser", "date_published": "yesterday"}]}
    assert codes(tmp_path, "feed.json", json.dumps(feed)) == {
        "feed.duplicate-id", "feed.content-missing", "feed.date-invalid"}


def test_model_json_is_not_a_feed(tmp_path: Path) -> None:
    path = tmp_path / "article.json"
    path.write_text('{"version": 1, "metadata": {}}', encoding="utf-8")
    assert detect_format(path) is None
