"""SVG cleaning (`exporter.svg`): the cleaner on its own, then a hostile SVG through every format.

The fixture `fixtures/svg/hostile.svg` carries a script, event handlers, an `@import`, remote and `file:`
image references, a `javascript:` link, a `<set>` that would rewrite an href, and an iframe in a
`foreignObject`; `xxe.svg` declares an external entity on /etc/passwd. Every output's bytes are searched
(zip members unpacked, PDF streams decompressed, data: URIs decoded): none of it may survive, while the
safe square, circle and label do.
"""

from __future__ import annotations

import base64
import io
import re
import time
import zipfile
from pathlib import Path

import pikepdf
import pypdf
import pytest

from exporter.diagnostics import Report
from exporter.loader import load
from exporter.renderers import build
from exporter.svg import checked_svg, clean_svg
from exporter.themes import Theme

FIXTURES = Path(__file__).parent / "fixtures" / "svg"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'
FORBIDDEN = (b"MARKER", b"alert(", b"127.0.0.1", b"/etc/passwd", b"root:x:", b"onload", b"onclick",
             b"foreignObject", b"<iframe", b"@import", b"javascript:")


def clean(body: str) -> str:
    cleaned = clean_svg(SVG.format(body).encode())
    assert cleaned is not None
    return cleaned.decode()


# -- the cleaner


@pytest.mark.parametrize(("body", "gone", "kept"), [
    ('<script>alert(1)</script><rect width="1" height="1"/>', "<script", "<rect"),
    ('<rect onload="alert(1)" ONCLICK="x()" width="2"/>', "alert", 'width="2"'),
    ('<image href="http://127.0.0.1:9/x.png"/><circle r="1"/>', "127.0.0.1", "<circle"),
    ('<image xlink:href="file:///etc/passwd"/><circle r="1"/>', "passwd", "<circle"),
    ('<use href="https://evil.example/s.svg#a"/><use href="#shape"/>', "evil", 'href="#shape"'),
    ('<image href="data:image/svg+xml;base64,PHN2Zz4="/><image href="data:image/png;base64,iVBO"/>',
     "svg+xml", "data:image/png"),
    ('<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="x"/></foreignObject><g/>', "iframe", "<g"),
    ('<style>@import url(http://x.example/a.css);</style><style>.a{fill:red}</style>', "@import", "fill:red"),
    ('<style>.a{background:url(//x.example/p.png)}</style><style>.b{fill:url(#g)}</style>', "x.example", "url(#g)"),
    ('<style>.a{fill:u\\72l(http://x.example/p)}</style><g/>', "x.example", "<g"),
    ('<rect style="fill:url(http://x.example/p)" width="3"/><rect fill="url(#g)"/>', "x.example", 'fill="url(#g)"'),
    ('<a xlink:href="java\tscript:alert(1)"><text>label</text></a>', "script", "label"),
    ('<set attributeName="xlink:href" to="javascript:alert(1)"/><animate attributeName="r" to="4"/>', "<set",
     'attributeName="r"'),
    ('<text>before<script>x()</script>after</text>', "x()", "beforeafter"),
    ('<html:script xmlns:html="http://www.w3.org/1999/xhtml">x()</html:script><g/>', "x()", "<g"),
    ('<g xml:base="http://x.example/"><use href="#a"/></g>', "x.example", 'href="#a"'),
])
def test_unsafe_parts_are_removed_and_safe_ones_kept(body: str, gone: str, kept: str) -> None:
    cleaned = clean(body)
    assert gone not in cleaned
    assert kept in cleaned


@pytest.mark.parametrize("data", [
    b'<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">'
    b"<text>&xxe;</text></svg>",
    b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c '
    b'"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>',
    b'<!DOCTYPE svg [<!ATTLIST svg onload CDATA "alert(1)">]><svg xmlns="http://www.w3.org/2000/svg"/>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&undeclared;</text></svg>',
    b"<svg><rect></svg>",
    b'<html xmlns="http://www.w3.org/1999/xhtml"><script>x()</script></html>',
    b"",
])
def test_entities_malformed_and_non_svg_documents_are_refused(data: bytes) -> None:
    started = time.perf_counter()
    assert clean_svg(data) is None
    assert time.perf_counter() - started < 1  # nothing is expanded, so a "billion laughs" costs nothing


def test_a_plain_doctype_is_accepted_and_dropped() -> None:
    data = (b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg">'
            b'<rect width="4" height="4"/></svg>')
    cleaned = clean_svg(data)
    assert cleaned is not None
    assert b"DOCTYPE" not in cleaned and b"w3.org/Graphics" not in cleaned and b'<rect width="4"' in cleaned


def test_refusal_is_reported_as_image_invalid() -> None:
    report = Report()
    assert checked_svg((FIXTURES / "xxe.svg").read_bytes(), src="xxe.svg", source="a.md", report=report) is None
    [warning] = report.warnings
    assert (warning.code, warning.path) == ("image.invalid", "a.md") and "xxe.svg" in warning.message


# -- every format


@pytest.fixture(scope="module")
def article():  # type: ignore[no-untyped-def]
    return load(FIXTURES / "article.md")


def _render(article, format: str, **options: object) -> tuple[bytes, list[bytes], Report]:  # type: ignore[no-untyped-def]
    """The output, every blob inside it (companions, zip members, PDF streams, data: URIs) and the report."""
    report = Report()
    theme = Theme.load("default")
    renderer = build(format, options)
    data = renderer.render(article, theme, report)
    blobs = [data]
    if hasattr(renderer, "companions"):
        blobs += renderer.companions(article, theme, Report()).values()
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            blobs += [archive.read(name) for name in archive.namelist()]
    if data.startswith(b"%PDF"):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Stream):
                    try:
                        blobs.append(obj.read_bytes())
                    except pikepdf.PdfError:  # an image filter pikepdf cannot decode: the raw bytes then
                        blobs.append(obj.read_raw_bytes())
    for blob in list(blobs):
        blobs += [base64.b64decode(m) for m in re.findall(rb"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", blob)]
    return data, blobs, report


def _assert_inert(blobs: list[bytes]) -> None:
    found = [(marker, blob[:60]) for blob in blobs for marker in FORBIDDEN if marker in blob]
    assert not found


@pytest.mark.parametrize("images", ["copy", "embed"])
def test_html_keeps_the_shapes_and_nothing_active(article, images: str) -> None:  # type: ignore[no-untyped-def]
    _, blobs, report = _render(article, "html", images=images)
    _assert_inert(blobs)
    svgs = [b for b in blobs if b.startswith(b"<?xml") and b"<svg" in b]
    assert len(svgs) == 1  # the hostile one, cleaned; the entity trap left out
    assert b'id="safe-square"' in svgs[0] and b'id="safe-circle"' in svgs[0] and b"SAFESHAPE" in svgs[0]
    assert [d.code for d in report if d.code == "image.invalid"] == ["image.invalid"]
    assert b"The text after the pictures is kept." in blobs[0]


def test_epub_keeps_the_shapes_and_nothing_active(article) -> None:  # type: ignore[no-untyped-def]
    data, blobs, report = _render(article, "epub")
    _assert_inert(blobs)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        svgs = [archive.read(n) for n in archive.namelist() if n.endswith(".svg")]
    assert len(svgs) == 1 and b'id="safe-circle"' in svgs[0] and b"SAFESHAPE" in svgs[0]
    assert "image.invalid" in report.codes()


@pytest.mark.slow
def test_pdf_draws_the_shapes_and_fetches_nothing(article) -> None:  # type: ignore[no-untyped-def]
    data, blobs, report = _render(article, "pdf")
    _assert_inert(blobs)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "SAFESHAPE" in text and "The text after the pictures is kept." in text
    assert "image.invalid" in report.codes()
    assert not [d for d in report if "127.0.0.1" in d.message or "passwd" in d.message]  # never even asked for


def test_docx_shows_alt_text_and_embeds_no_svg(article) -> None:  # type: ignore[no-untyped-def]
    data, blobs, report = _render(article, "docx")
    _assert_inert(blobs)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert not [n for n in archive.namelist() if n.endswith(".svg")]
        body = archive.read("word/document.xml").decode()
    assert "A red square beside a blue circle" in body and "The text after the pictures is kept." in body
    assert "docx.image-unsupported" in report.codes()
