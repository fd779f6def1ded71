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
    assert sorted(d.message.rsplit(" ", 1)[1] for d in found) == ["author", "datePublished", "inLanguage"]


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
