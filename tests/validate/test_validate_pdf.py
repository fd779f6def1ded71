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
