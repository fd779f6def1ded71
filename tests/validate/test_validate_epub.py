"""EPUB: EPUBCheck finds a seeded missing nav by its message id, runs in one JVM for many books; Ace runs or warns."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from exporter.validate import CheckReport, _tools, check
from exporter.validate.epub import parse_ace, parse_epubcheck


def test_epubcheck_json_becomes_coded_diagnostics() -> None:
    report = {"messages": [
        {"ID": "RSC-005", "severity": "ERROR", "message": "Exactly one manifest item must declare the nav property",
         "locations": [{"path": "EPUB/package.opf", "line": 17, "column": 13}]},
        {"ID": "OPF-004", "severity": "WARNING", "message": "prefix", "locations": []},
        {"ID": "ACC-001", "severity": "USAGE", "message": "usage", "locations": []},
    ]}
    found = parse_epubcheck(report, Path("book.epub"))
    assert [(d.level, d.code) for d in found] == [
        ("error", "epubcheck.RSC-005"), ("warning", "epubcheck.OPF-004"), ("info", "epubcheck.ACC-001")]
    assert found[0].message.startswith("EPUB/package.opf:17:13: ")
    assert found[0].path == "book.epub"


def test_ace_report_collapses_repeated_elements() -> None:
    failing = {"earl:test": {"dct:title": "color-contrast", "earl:impact": "serious"},
               "earl:result": {"earl:outcome": "fail", "dct:description": "low contrast"}}
    report = {"assertions": [{"earl:testSubject": {"url": "c.xhtml"}, "earl:result": {"earl:outcome": "fail"},
                              "assertions": [failing, failing,
                                             {**failing, "earl:test": {"dct:title": "x", "earl:impact": "minor"},
                                              "earl:result": {"earl:outcome": "pass"}}]}]}
    found = parse_ace(report, Path("b.epub"))
    assert [(d.level, d.code) for d in found] == [("error", "ace.color-contrast")]
    assert "(2 elements)" in found[0].message


def test_missing_java_is_a_warning_not_a_pass(tmp_path: Path, epub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tools, "java", lambda: None)
    report = check([epub(tmp_path / "a.epub")], validators=["epubcheck"])
    assert report.codes() == {"epubcheck.unavailable"}
    assert "java not found" in report.diagnostics[0].message
    assert report.ok() and not report.ok(strict=True)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory: pytest.TempPathFactory, epub: Any) -> tuple[list[Path], CheckReport, list[list[str]]]:
    """Twenty books, the eighth without a nav, checked once while counting process starts (one shared JVM)."""
    folder = tmp_path_factory.mktemp("corpus")
    books = [epub(folder / f"book{i:02}.epub", nav=i != 7) for i in range(20)]
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(command: list[str], **kwargs: Any) -> Any:
        calls.append(command)
        return real_run(command, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("exporter.validate._tools.subprocess.run", counting_run)
        report = check([folder], validators=["epubcheck"])
    return books, report, calls


@pytest.mark.slow
def test_twenty_books_take_one_jvm(corpus_run: tuple[list[Path], CheckReport, list[list[str]]]) -> None:
    books, report, calls = corpus_run
    assert len(calls) == 1 and calls[0][0].endswith("java")
    assert [o.path for o in report.outcomes] == [str(b) for b in books]
    assert all(o.seconds > 0 for o in report.outcomes)


@pytest.mark.slow
def test_missing_nav_is_caught_with_its_message_id(corpus_run: tuple[list[Path], CheckReport, list[list[str]]]) -> None:
    books, report, _ = corpus_run
    assert not report.ok()
    [error] = [d for d in report.diagnostics if d.level == "error"]
    assert error.code == "epubcheck.RSC-005"
    assert '"nav" property' in error.message
    assert error.path == str(books[7])


@pytest.mark.slow
def test_clean_books_pass_epubcheck(corpus_run: tuple[list[Path], CheckReport, list[list[str]]]) -> None:
    books, report, _ = corpus_run
    clean = [o for o in report.outcomes if o.path != str(books[7])]
    assert len(clean) == 19
    assert all(not o.diagnostics for o in clean), [d for o in clean for d in o.diagnostics]


@pytest.mark.slow
def test_ace_passes_an_accessible_book_or_says_it_is_missing(tmp_path: Path, epub: Any) -> None:
    report = check([epub(tmp_path / "clean.epub")], validators=["ace"])
    if _tools.npm_file(".bin", "ace-puppeteer") is None:
        assert report.codes() == {"ace.unavailable"}
        assert "run make tools" in report.diagnostics[0].message
    else:
        assert report.errors == 0, report.diagnostics


@pytest.mark.slow
def test_without_a_java_compiler_each_book_gets_its_own_jvm(tmp_path: Path, epub: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from exporter.validate import epub as epub_module

    monkeypatch.setattr(epub_module, "BATCH_SOURCE", tmp_path / "Missing.java")
    report = check([epub(tmp_path / "b.epub", nav=False)], validators=["epubcheck"])
    assert report.codes() == {"epubcheck.batch-unavailable", "epubcheck.RSC-005"}
    assert report.errors == 1
