"""PDF: a seeded unembedded Helvetica is caught; metadata, tagging, PDF/A claims and page boxes are checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest

from exporter.validate import CheckOptions, check


def edit(path: Path, change: Any) -> Path:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        change(pdf)
        pdf.save(path)
    return path


def test_clean_pdf_passes(tmp_path: Path, pdf_file: Any) -> None:
    report = check([pdf_file(tmp_path / "a.pdf")], validators=["pdf"])
    assert report.ok(strict=True), report.diagnostics


def test_unembedded_standard_font_is_caught(tmp_path: Path, pdf_file: Any) -> None:
    report = check([pdf_file(tmp_path / "a.pdf", embed=False)], validators=["pdf"])
    assert report.codes() == {"pdf.font-not-embedded"}
    assert "Helvetica" in report.diagnostics[0].message
    assert not report.ok()


def test_unembedded_descendant_font_is_caught(tmp_path: Path, pdf_file: Any) -> None:
    def to_type0(pdf: pikepdf.Pdf) -> None:
        fonts = pdf.pages[0].Resources.Font
        cid = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
                                 BaseFont=pikepdf.Name("/NotoSans"),
                                 FontDescriptor=pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor,
                                                                                     FontName=pikepdf.Name("/NotoSans"))))
        fonts.F2 = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0,
                                                        BaseFont=pikepdf.Name("/NotoSans"),
                                                        DescendantFonts=pikepdf.Array([pdf.make_indirect(cid)])))

    report = check([edit(pdf_file(tmp_path / "a.pdf"), to_type0)], validators=["pdf"])
    assert report.codes() == {"pdf.font-not-embedded"}
    assert "NotoSans (Type0)" in report.diagnostics[0].message


def test_missing_lang_and_title(tmp_path: Path, pdf_file: Any) -> None:
    def strip(pdf: pikepdf.Pdf) -> None:
        del pdf.Root.Lang
        del pdf.Root.Metadata
        del pdf.trailer.Info

    assert check([edit(pdf_file(tmp_path / "a.pdf"), strip)], validators=["pdf"]).codes() == {
        "pdf.lang-missing", "pdf.title-missing"}


def test_untagged_warns_unless_tagging_was_asked(tmp_path: Path, pdf_file: Any) -> None:
    path = pdf_file(tmp_path / "a.pdf", tagged=False)
    report = check([path], validators=["pdf"])
    assert [(d.level, d.code) for d in report.diagnostics] == [("warning", "pdf.untagged")]
    asked = check([path], validators=["pdf"], options=CheckOptions(expect_tagged=True))
    assert [(d.level, d.code) for d in asked.diagnostics] == [("error", "pdf.untagged")]


def test_trim_box_outside_bleed_box(tmp_path: Path, pdf_file: Any) -> None:
    def grow(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].TrimBox = pikepdf.Array([-5, 0, 612, 792])

    report = check([edit(pdf_file(tmp_path / "a.pdf"), grow)], validators=["pdf"])
    assert report.codes() == {"pdf.box-outside"}
    assert "TrimBox" in report.diagnostics[0].message


def test_pdfa_claim_needs_output_intent(tmp_path: Path, pdf_file: Any) -> None:
    def claim(pdf: pikepdf.Pdf) -> None:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp["pdfaid:part"] = "2"
            xmp["pdfaid:conformance"] = "B"

    path = edit(pdf_file(tmp_path / "a.pdf"), claim)
    assert check([path], validators=["pdf"]).codes() == {"pdf.pdfa-output-intent-missing"}
    plain = pdf_file(tmp_path / "b.pdf")
    assert check([plain], validators=["pdf"], options=CheckOptions(expect_pdfa=True)).codes() == {
        "pdf.pdfa-not-identified"}


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\ngarbage"])
def test_unreadable_pdf(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(data)
    assert check([path], validators=["pdf"]).codes() == {"pdf.unreadable"}


def _add_page(pdf: Any, content: bytes, *, form: bytes | None = None) -> None:
    """A page sharing page 1's font resources (as WeasyPrint lists fonts on every page), drawing `content`."""
    resources = pikepdf.Dictionary(Font=pdf.pages[0].Resources.Font)
    if form is not None:
        xobject = pikepdf.Stream(pdf, form)
        xobject.Type, xobject.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        xobject.BBox = pikepdf.Array([0, 0, 612, 792])
        xobject.Resources = pikepdf.Dictionary(Font=pdf.pages[0].Resources.Font)
        resources.XObject = pikepdf.Dictionary(Fm1=pdf.make_indirect(xobject))
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=pikepdf.Array([0, 0, 612, 792]),
                              Contents=pdf.make_indirect(pikepdf.Stream(pdf, content)), Resources=resources)
    pdf.pages.append(pikepdf.Page(page))


def test_blank_page_listing_fonts_is_not_a_text_problem(tmp_path: Path, pdf_file: Any) -> None:
    """A collection's intentionally blank verso: fonts in its resources, nothing drawn."""
    path = edit(pdf_file(tmp_path / "a.pdf"), lambda pdf: _add_page(pdf, b"q 1 0 0 1 0 0 cm Q"))
    report = check([path], validators=["pdf"])
    assert report.ok(strict=True), report.diagnostics


def test_page_showing_text_that_cannot_be_extracted_is_caught(tmp_path: Path, pdf_file: Any) -> None:
    """Text drawn with an empty string (here: shown, but no characters to extract) still counts as shown."""
    path = edit(pdf_file(tmp_path / "a.pdf"), lambda pdf: _add_page(pdf, b"BT /F1 12 Tf 72 720 Td () Tj ET"))
    report = check([path], validators=["pdf"])
    assert report.codes() == {"pdf.text-not-extractable"}
    assert "page(s) 2 " in report.diagnostics[0].message


def test_text_inside_a_form_xobject_counts_as_shown(tmp_path: Path, pdf_file: Any) -> None:
    path = edit(pdf_file(tmp_path / "a.pdf"),
                lambda pdf: _add_page(pdf, b"q /Fm1 Do Q", form=b"BT /F1 12 Tf 72 720 Td [()] TJ ET"))
    report = check([path], validators=["pdf"])
    assert report.codes() == {"pdf.text-not-extractable"}


def test_draws_text_reads_the_operators(tmp_path: Path, pdf_file: Any) -> None:
    from exporter.validate.pdf import draws_text

    path = edit(pdf_file(tmp_path / "a.pdf"), lambda pdf: _add_page(pdf, b"0 0 m 10 10 l S"))
    with pikepdf.open(path) as pdf:
        assert [draws_text(page) for page in pdf.pages] == [True, False]
