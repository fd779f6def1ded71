"""DOCX: package integrity (a seeded dangling relationship), Word structure, and the optional LibreOffice run."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from exporter.validate import _tools, check


def rewrite(path: Path, part: str, edit: Any) -> None:
    """Replace one part of a package with `edit(old_bytes)`."""
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            target.writestr(item, edit(content) if item.filename == part else content)


def test_clean_document_passes(tmp_path: Path, docx_file: Any) -> None:
    report = check([docx_file(tmp_path / "a.docx")], validators=["docx"])
    assert report.ok(strict=True), report.diagnostics


def test_dangling_relationship_is_caught(tmp_path: Path, docx_file: Any) -> None:
    report = check([docx_file(tmp_path / "a.docx", dangling=True)], validators=["docx"])
    dangling = [d for d in report.diagnostics if d.code == "docx.dangling-relationship"]
    assert len(dangling) == 1
    assert "rId99" in dangling[0].message and "word/media/missing.png" in dangling[0].message
    assert not report.ok()


def test_fake_heading_dangling_footnote_and_missing_alt(tmp_path: Path, docx_file: Any) -> None:
    path = docx_file(tmp_path / "a.docx")
    fake = (b'<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Bold title</w:t></w:r></w:p>'
            b'<w:p><w:r><w:footnoteReference w:id="5"/></w:r></w:p>'
            b'<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
            b'wordprocessingDrawing"><wp:docPr id="1" name="Picture 1" descr=""/></wp:inline></w:drawing>'
            b'</w:r></w:p><w:sectPr')
    rewrite(path, "word/document.xml", lambda xml: xml.replace(b"<w:sectPr", fake, 1))
    codes = check([path], validators=["docx"]).codes()
    assert {"docx.heading-style", "docx.dangling-footnote", "docx.image-missing-alt"} <= codes


def test_content_types_must_cover_every_part(tmp_path: Path, docx_file: Any) -> None:
    path = docx_file(tmp_path / "a.docx")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("word/extra.bin", b"x")
    assert "docx.content-type-missing" in check([path], validators=["docx"]).codes()


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "a.docx"
    path.write_bytes(b"not a zip")
    assert check([path], validators=["docx"]).codes() == {"docx.not-a-zip"}


def test_deep_without_libreoffice_warns(tmp_path: Path, docx_file: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tools, "soffice", lambda: None)
    path = docx_file(tmp_path / "a.docx")
    assert check([path], validators=["libreoffice"]).outcomes == []  # deep only
    report = check([path], validators=["libreoffice"], deep=True)
    assert report.codes() == {"libreoffice.unavailable"}
    assert "soffice (LibreOffice) not found" in report.diagnostics[0].message


@pytest.mark.slow
@pytest.mark.skipif(_tools.soffice() is None, reason="LibreOffice not installed")
def test_deep_converts_with_libreoffice(tmp_path: Path, docx_file: Any) -> None:
    good = docx_file(tmp_path / "good.docx")
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"garbage")
    report = check([good, bad], validators=["libreoffice"], deep=True)
    by_file = {o.path: {d.code for d in o.diagnostics} for o in report.outcomes}
    assert by_file[str(good)] == set()
    assert by_file[str(bad)] == {"libreoffice.convert-failed"}
