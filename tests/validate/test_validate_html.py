"""HTML: our syndication rules catch each seeded defect; vnu validates markup in one JVM or says it is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

from exporter.validate import _tools, check
from exporter.validate.html import rule_diagnostics


def rules(page: str) -> set[str]:
    return {d.code for d in rule_diagnostics(lxml_html.document_fromstring(page), Path("p.html"))}


def test_clean_page_passes_our_rules(tmp_path: Path, html_page: Any) -> None:
    report = check([html_page(tmp_path / "a.html")], validators=["html-rules"])
    assert report.ok(strict=True), report.diagnostics


def test_event_handler_is_caught_with_its_line(tmp_path: Path, html_page: Any) -> None:
    page = html_page(tmp_path / "a.html", body_extra='\n<button onclick="share()">Share</button>')
    report = check([page], validators=["html-rules"])
    [error] = report.diagnostics
    assert (error.level, error.code, error.line) == ("error", "html.event-handler", 7)
    assert "onclick" in error.message


@pytest.mark.parametrize(("extra", "code"), [
    ('<a href=" JaVaScript:alert(1)">x</a>', "html.javascript-url"),
    ("<script>alert(1)</script>", "html.script"),
    ('<script type="module" src="a.js"></script>', "html.script"),
    ('<img src="b.png">', "html.img-missing-alt"),
    ('<svg onload="x()"></svg>', "html.event-handler"),
])
def test_each_unsafe_construct_is_caught(tmp_path: Path, html_page: Any, extra: str, code: str) -> None:
    report = check([html_page(tmp_path / "a.html", body_extra=extra)], validators=["html-rules"])
    assert report.codes() == {code}


def test_language_and_json_ld_are_required() -> None:
    assert rules("<html><body><p>x</p></body></html>") == {"html.lang-missing", "html.jsonld-missing"}
    assert rules('<html lang="en"><head><script type="application/ld+json">{bad</script></head></html>') == {
        "html.jsonld-invalid", "html.jsonld-no-article"}
    page = ('<html lang="en"><head><script type="application/ld+json">'
            '{"@graph": [{"@type": "NewsArticle", "headline": "H", "author": []}]}</script></head></html>')
    found = rule_diagnostics(lxml_html.document_fromstring(page), Path("p.html"))
    assert sorted((d.message.rsplit(" ", 1)[1], d.level) for d in found) == [("author", "info"),
                                                                               ("inLanguage", "error")]


def _jsonld_page(data: str, body: str = "") -> list[tuple[str, str, str]]:
    page = (f'<html lang="en"><head><script type="application/ld+json">{data}</script></head>'
            f"<body>{body}</body></html>")
    found = rule_diagnostics(lxml_html.document_fromstring(page), Path("p.html"))
    return sorted((d.level, d.code, d.message) for d in found)


def test_missing_author_is_info_because_wire_copy_has_no_byline() -> None:
    found = _jsonld_page('{"@type": "NewsArticle", "headline": "H", "inLanguage": "en"}')
    assert found == [("info", "html.jsonld-field-missing", "JSON-LD NewsArticle has no author")]


def test_date_published_is_required_only_when_the_page_shows_a_date() -> None:
    data = '{"@type": "NewsArticle", "headline": "H", "inLanguage": "en", "author": [{"name": "A"}]}'
    assert _jsonld_page(data, "<article><header><h1>H</h1></header></article>") == []
    shown = _jsonld_page(data, '<article><header><h1>H</h1><time datetime="2024-01-02">2 Jan</time></header>'
                               "</article>")
    assert shown == [("error", "html.jsonld-field-missing", "JSON-LD NewsArticle has no datePublished")]


def test_headline_is_always_required() -> None:
    found = _jsonld_page('{"@type": "NewsArticle", "inLanguage": "en", "author": [{"name": "A"}]}')
    assert found == [("error", "html.jsonld-field-missing", "JSON-LD NewsArticle has no headline")]


def test_collection_page_parts_are_checked_one_by_one() -> None:
    parts = ('[{"@type": "NewsArticle", "headline": "One", "inLanguage": "en", "datePublished": "2024-01-02"},'
             ' {"@type": "NewsArticle", "inLanguage": "en", "author": [{"name": "B"}]}]')
    data = f'{{"@type": "CollectionPage", "name": "Book", "inLanguage": "en", "hasPart": {parts}}}'
    body = ('<article><header><h2>One</h2><time datetime="2024-01-02">2 Jan</time></header></article>'
            "<article><header><h2>Two</h2><time datetime=\"2024-01-03\">3 Jan</time></header></article>")
    assert _jsonld_page(data, body) == [
        ("error", "html.jsonld-field-missing", "JSON-LD NewsArticle (part 2 of the collection) has no datePublished"),
        ("error", "html.jsonld-field-missing", "JSON-LD NewsArticle (part 2 of the collection) has no headline"),
        ("info", "html.jsonld-field-missing", "JSON-LD NewsArticle (part 1 of the collection) has no author")]


def test_item_list_of_articles_is_a_collection_too() -> None:
    data = ('{"@type": "ItemList", "itemListElement": [{"@type": "ListItem", "position": 1, "item": '
            '{"@type": "NewsArticle", "headline": "One", "inLanguage": "en", "author": [{"name": "A"}]}}]}')
    assert _jsonld_page(data) == []


def test_collection_without_articles_is_still_flagged() -> None:
    found = _jsonld_page('{"@type": "CollectionPage", "name": "Book", "hasPart": []}')
    assert [code for _, code, _ in found] == ["html.jsonld-no-article"]


def test_missing_vnu_is_a_warning_naming_the_fix(tmp_path: Path, html_page: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tools, "npm_file", lambda *parts: None)
    report = check([html_page(tmp_path / "a.html")], validators=["vnu"])
    [warning] = report.diagnostics
    assert (warning.level, warning.code) == ("warning", "vnu.unavailable")
    assert warning.message.startswith("vnu not found: run make tools")
    assert not report.ok(strict=True)


@pytest.mark.slow
@pytest.mark.skipif(_tools.npm_file("vnu-jar", "build", "dist", "vnu.jar") is None, reason="vnu not installed")
def test_vnu_checks_many_pages_in_one_run(tmp_path: Path, html_page: Any) -> None:
    clean = html_page(tmp_path / "clean.html")
    broken = html_page(tmp_path / "broken.html", body_extra="<p><blink>old</blink></p>")
    report = check([clean, broken], validators=["vnu"])
    by_file = {o.path: o for o in report.outcomes}
    assert by_file[str(clean)].errors == 0 and by_file[str(clean)].warnings == 0
    assert by_file[str(broken)].errors >= 1
    assert "vnu.error" in {d.code for d in by_file[str(broken)].diagnostics}


def test_a_hung_checker_is_an_error_not_a_crash(tmp_path: Path, html_page: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    def hang(command: list[str], **kwargs: Any) -> Any:
        raise subprocess.TimeoutExpired(command, 1)

    monkeypatch.setattr(_tools, "npm_file", lambda *parts: tmp_path / "vnu.jar")
    monkeypatch.setattr("exporter.validate._tools.subprocess.run", hang)
    report = check([html_page(tmp_path / "a.html")], validators=["vnu"])
    [error] = report.diagnostics
    assert (error.level, error.code) == ("error", "vnu.failed")
    assert "timed out" in error.message
