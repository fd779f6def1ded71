"""Seeded-defect fixtures built in code: each output format, clean and with exactly one known defect.

No renderer is involved, so these tests pin the validators down independently of renderer progress.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

META = {"title": "NATO summit ends", "author": "Jane Doe", "language": "en", "date": "2026-11-27",
        "identifier": "urn:uuid:12345678-1234-5678-1234-567812345678"}

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"""

NAV = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><title>Contents</title></head>
<body><nav epub:type="toc" role="doc-toc" id="toc"><h1>Contents</h1>
<ol><li><a href="chapter.xhtml">{title}</a></li></ol></nav></body></html>"""

CHAPTER = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">
<head><title>{title}</title></head>
<body><main><h1>{title}</h1><p>Leaders agreed on a joint statement.</p></main></body></html>"""


def _opf(meta: dict[str, str], *, nav: bool) -> str:
    nav_item = '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>' if nav else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="en">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="uid">{meta["identifier"]}</dc:identifier>
    <dc:title>{meta["title"]}</dc:title>
    <dc:creator>{meta["author"]}</dc:creator>
    <dc:language>{meta["language"]}</dc:language>
    <dc:date>{meta["date"]}</dc:date>
    <meta property="dcterms:modified">2026-11-27T12:00:00Z</meta>
    <meta property="schema:accessMode">textual</meta>
    <meta property="schema:accessModeSufficient">textual</meta>
    <meta property="schema:accessibilityFeature">structuralNavigation</meta>
    <meta property="schema:accessibilityFeature">tableOfContents</meta>
    <meta property="schema:accessibilityHazard">none</meta>
    <meta property="schema:accessibilitySummary">Text only, with headings and a table of contents.</meta>
  </metadata>
  <manifest>
    {nav_item}
    <item id="chapter" href="chapter.xhtml" media-type="application/xhtml+xml"/>
  </manifest>
  <spine><itemref idref="chapter"/></spine>
</package>"""


def build_epub(path: Path, *, nav: bool = True, **overrides: str) -> Path:
    """A minimal EPUB 3; `nav=False` seeds the defect: no navigation document."""
    meta = {**META, **overrides}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/container.xml", CONTAINER, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("EPUB/package.opf", _opf(meta, nav=nav), compress_type=zipfile.ZIP_DEFLATED)
        if nav:
            zf.writestr("EPUB/nav.xhtml", NAV.format(**meta), compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("EPUB/chapter.xhtml", CHAPTER.format(**meta), compress_type=zipfile.ZIP_DEFLATED)
    return path


def build_html(path: Path, *, body_extra: str = "", **overrides: str) -> Path:
    """An article page that passes vnu and our rules; `body_extra` seeds defects."""
    meta = {**META, **overrides}
    jsonld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": meta["title"],
                         "author": [{"@type": "Person", "name": meta["author"]}], "inLanguage": meta["language"],
                         "datePublished": meta["date"], "identifier": meta["identifier"]})
    path.write_text(f"""<!DOCTYPE html>
<html lang="{meta["language"]}">
<head><meta charset="utf-8"><title>{meta["title"]}</title>
<script type="application/ld+json">{jsonld}</script></head>
<body><main><article><h1>{meta["title"]}</h1><p>Leaders agreed on a joint statement.</p>
<img src="photo.jpg" alt="Leaders at the summit">{body_extra}</article></main></body>
</html>
""", encoding="utf-8")
    return path


def build_docx(path: Path, *, dangling: bool = False, **overrides: str) -> Path:
    """A python-docx document; `dangling=True` adds a relationship to a part that does not exist."""
    import docx

    meta = {**META, **overrides}
    document = docx.Document()
    document.core_properties.title = meta["title"]
    document.core_properties.author = meta["author"]
    document.core_properties.language = meta["language"]
    document.core_properties.identifier = meta["identifier"]
    document.add_heading(meta["title"], level=1)
    document.add_paragraph("Leaders agreed on a joint statement.")
    buffer = io.BytesIO()
    document.save(buffer)
    if not dangling:
        path.write_bytes(buffer.getvalue())
        return path
    rel = ('<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'image" Target="media/missing.png"/></Relationships>')
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", rel.encode())
            target.writestr(item, data)
    return path


def _font_program() -> bytes:
    for folder in (Path("/usr/share/fonts/truetype/dejavu"), Path(__file__).parents[2] / "themes"):
        for font in sorted(folder.rglob("*.ttf")) if folder.is_dir() else ():
            return font.read_bytes()
    return b"\x00\x01\x00\x00"  # only the descriptor's /FontFile2 key matters to the check


def build_pdf(path: Path, *, embed: bool = True, tagged: bool = True, **overrides: str) -> Path:
    """A one-page PDF with text; `embed=False` seeds the defect: standard Type 1 Helvetica without FontFile."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    meta = {**META, **overrides}
    pdf = pikepdf.new()
    font = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)
    if embed:
        program = pikepdf.Stream(pdf, _font_program())
        descriptor = Dictionary(Type=Name.FontDescriptor, FontName=Name("/DejaVuSans"), Flags=32,
                                FontBBox=Array([0, -200, 1000, 900]), ItalicAngle=0, Ascent=900, Descent=-200,
                                CapHeight=700, StemV=80, FontFile2=pdf.make_indirect(program))
        font = Dictionary(Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name("/DejaVuSans"), FirstChar=32,
                          LastChar=126, Widths=Array([600] * 95), Encoding=Name.WinAnsiEncoding,
                          FontDescriptor=pdf.make_indirect(descriptor))
    content = pikepdf.Stream(pdf, b"BT /F1 12 Tf 72 720 Td (Leaders agreed on a joint statement.) Tj ET")
    page = Dictionary(Type=Name.Page, MediaBox=Array([0, 0, 612, 792]), TrimBox=Array([9, 9, 603, 783]),
                      BleedBox=Array([0, 0, 612, 792]), Contents=pdf.make_indirect(content),
                      Resources=Dictionary(Font=Dictionary(F1=pdf.make_indirect(font))))
    pdf.pages.append(pikepdf.Page(page))
    pdf.Root.Lang = pikepdf.String(meta["language"])
    if tagged:
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        pdf.Root.StructTreeRoot = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["dc:title"] = meta["title"]
        xmp["dc:creator"] = [meta["author"]]
        xmp["dc:language"] = [meta["language"]]
    pdf.docinfo[Name.Title] = meta["title"]
    pdf.save(path)
    return path


Builder = Callable[..., Path]


@pytest.fixture(scope="session")
def epub() -> Builder:
    """`epub(path, nav=False, title=...)`."""
    return build_epub


@pytest.fixture(scope="session")
def html_page() -> Builder:
    """`html_page(path, body_extra=..., title=...)`."""
    return build_html


@pytest.fixture(scope="session")
def docx_file() -> Builder:
    """`docx_file(path, dangling=True, title=...)`."""
    return build_docx


@pytest.fixture(scope="session")
def pdf_file() -> Builder:
    """`pdf_file(path, embed=False, title=...)`."""
    return build_pdf
