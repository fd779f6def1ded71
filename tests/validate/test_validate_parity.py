"""Metadata parity: outputs sharing a stem must agree on title, authors, language, date and identifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exporter.validate import check
from exporter.validate.parity import agree, read_docx, read_epub, read_html, read_pdf


def test_four_formats_read_back_the_same(tmp_path: Path, epub: Any, html_page: Any, docx_file: Any,
                                         pdf_file: Any) -> None:
    files = [epub(tmp_path / "s.epub"), html_page(tmp_path / "s.html"), docx_file(tmp_path / "s.docx"),
             pdf_file(tmp_path / "s.pdf")]
    report = check(files, validators=["parity"])
    assert len(report.outcomes) == 4
    assert report.ok(strict=True), report.diagnostics
    assert read_epub(files[0])["title"] == read_html(files[1])["title"] == read_docx(files[2])["title"] \
        == read_pdf(files[3])["title"] == "NATO summit ends"


def test_different_titles_name_both_files(tmp_path: Path, html_page: Any, docx_file: Any) -> None:
    docx = docx_file(tmp_path / "story.docx")
    html = html_page(tmp_path / "story.html", title="NATO summit ends early")
    report = check([tmp_path], validators=["parity"])
    [error] = report.diagnostics
    assert (error.level, error.code, error.path) == ("error", "parity.title", str(docx))  # HTML outranks DOCX
    assert str(docx) in error.message and str(html) in error.message
    assert "'NATO summit ends'" in error.message and "'NATO summit ends early'" in error.message


def test_each_field_is_compared(tmp_path: Path, epub: Any, pdf_file: Any) -> None:
    epub(tmp_path / "s.epub")
    pdf_file(tmp_path / "s.pdf", author="John Roe", language="fr")
    assert check([tmp_path], validators=["parity"]).codes() == {"parity.authors", "parity.language"}


def test_different_stems_are_not_compared(tmp_path: Path, html_page: Any, docx_file: Any) -> None:
    docx_file(tmp_path / "a.docx")
    html_page(tmp_path / "b.html", title="Other")
    assert check([tmp_path], validators=["parity"]).outcomes == []


def test_value_normalisation() -> None:
    assert agree("authors", ("Jane Doe", "John Roe"), ("john roe", "Jane Doe"))
    assert agree("language", "sr-Latn", "sr-latn")
    assert agree("date", "2026-11-27", "2026-11-27T08:00:00+01:00")
    assert agree("date", "2026-11-27T07:00:00Z", "2026-11-27T08:00:00+01:00")
    assert not agree("date", "2026-11-27T07:00:00Z", "2026-11-27T07:00:00+01:00")
    assert agree("identifier", "urn:uuid:ABC", "abc")
    assert not agree("title", "A", "B")


def test_the_odd_one_out_is_reported_once(tmp_path: Path, epub: Any, html_page: Any, docx_file: Any) -> None:
    epub(tmp_path / "s.epub")
    html_page(tmp_path / "s.html")
    docx = docx_file(tmp_path / "s.docx", title="Draft title")
    [error] = check([tmp_path], validators=["parity"]).diagnostics
    assert (error.code, error.path) == ("parity.title", str(docx))


def test_a_refined_language_tag_is_only_a_warning(tmp_path: Path, epub: Any, docx_file: Any) -> None:
    epub(tmp_path / "s.epub")
    docx_file(tmp_path / "s.docx", language="en-US")
    [warning] = check([tmp_path], validators=["parity"]).diagnostics
    assert (warning.level, warning.code) == ("warning", "parity.language")
    assert "'en-US'" in warning.message and "'en'" in warning.message
