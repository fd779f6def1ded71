"""Paragraph content in raw OOXML: runs with semantic toggles, hyperlinks, bookmarks, fields, pictures."""

from __future__ import annotations

import copy
import functools
import io
import re
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.oxml.ns import NamespacePrefixedTag, qn
from docx.oxml.parser import oxml_parser

Element = Any
"""An lxml element from python-docx's tree (python-docx ships no usable stubs for its element classes)."""

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
"""`xml:space`, set to `preserve` on text with leading or trailing blanks."""


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold (control characters from wire feeds, lone surrogates).

    lxml refuses them outright, so one stray form feed in a source would otherwise fail the whole render.
    """
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def make(tag: str) -> Element:
    """A new element of python-docx's class for `tag` (`w:p`, `a:blip`, …), as `docx.oxml.OxmlElement` makes it.

    `OxmlElement` parses the prefixed tag on every call; a long article creates a hundred thousand elements,
    so the tag's Clark name and namespace map are looked up once (`_tag_parts`).
    """
    clark, nsmap = _tag_parts(tag)
    return oxml_parser.makeelement(clark, nsmap=nsmap)


@functools.cache
def _tag_parts(tag: str) -> tuple[str, dict[str, str]]:
    prefixed = NamespacePrefixedTag(tag)
    return prefixed.clark_name, prefixed.nsmap


def el(tag: str, **attrs: str) -> Element:
    """A `w:` element with `w:` attributes."""
    element = make(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), value)
    return element


def element(proxy: Any) -> Element:
    """The XML element behind a python-docx paragraph, table or row (its private `_element`)."""
    return proxy._element


def add_paragraph(container: Element, style_id: str) -> Element:
    """A new `w:p` with a paragraph style, at the end of a footnote or cell, or before the body's `w:sectPr`.

    Built directly rather than through `Document.add_paragraph`, whose lookup of the style by name scans
    every style for every paragraph and dominated the render time of long articles.
    """
    paragraph = make("w:p")
    set_paragraph_style(paragraph, style_id)
    last = next(container.iterchildren(reversed=True), None)  # len() walks every child: quadratic in long bodies
    if last is not None and last.tag == qn("w:sectPr"):
        last.addprevious(paragraph)
    else:
        container.append(paragraph)
    return paragraph


def set_paragraph_style(paragraph: Element, style_id: str) -> None:
    """Give a paragraph its style by id (`w:pStyle` first in `w:pPr`, as the schema orders it)."""
    ppr = paragraph.find(qn("w:pPr"))
    if ppr is None:
        ppr = make("w:pPr")
        paragraph.insert(0, ppr)
    for old in ppr.findall(qn("w:pStyle")):
        ppr.remove(old)
    ppr.insert(0, el("w:pStyle", val=style_id))


def markup_text(html: str) -> str:
    """The text content of an HTML fragment, whitespace collapsed (what survives when markup cannot)."""
    import lxml.html
    from lxml import etree

    try:
        text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    except (etree.ParserError, ValueError):
        text = re.sub(r"<[^>]*>", " ", html)
    return " ".join(text.split())


def to_png(data: bytes) -> bytes | None:
    """An image Word cannot embed (WebP, …) re-encoded as PNG; None when Pillow cannot read it."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow is a docx dependency
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.save(out, format="PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def embeddable(data: bytes) -> bytes | None:
    """Image bytes Word can embed: PNG, JPEG and GIF as they are, others (WebP, BMP, TIFF) re-encoded as PNG.

    None when neither python-docx nor Pillow can make sense of the data (SVG, a truncated file), so the
    caller falls back to the alt text instead of failing the whole document on one bad picture.
    """
    from docx.image.exceptions import InvalidImageStreamError, UnexpectedEndOfFileError, UnrecognizedImageError
    from docx.image.image import Image as DocxImage

    native = data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a"))
    candidate = data if native else to_png(data)
    if candidate is None:
        return None
    try:
        DocxImage.from_blob(candidate)
    except (InvalidImageStreamError, UnexpectedEndOfFileError, UnrecognizedImageError, ValueError, IndexError):
        return to_png(data) if native else None  # a damaged header Pillow may still read
    return candidate


def add_picture(parent: Element, part: Any, data: bytes, *, width: int, height: int, alt: str, title: str = "") -> None:
    """An inline picture of `width` × `height` EMU with alt text, appended to a paragraph or hyperlink.

    The image part relates from the document part, so pictures are only placed in the body (not in notes).
    """
    inline = part.new_pic_inline(io.BytesIO(data), width, height)
    doc_pr = inline.docPr
    doc_pr.set("descr", xml_text(alt))
    if title:
        doc_pr.set("title", xml_text(title))
    run = make("w:r")
    drawing = make("w:drawing")
    drawing.append(inline)
    run.append(drawing)
    parent.append(run)


def run_properties(*, style_id: str = "", italic: bool = False, bold: bool = False, strike: bool = False,
                   vert: str = "") -> Element | None:
    """`w:rPr` in schema order: a character style plus the semantic toggles (emphasis, strong, …), or None.

    Toggles are what Word's own B/I buttons write; fonts, sizes and colours are never set here because the
    styles carry them, so restyling in Word keeps working.
    """
    props = []
    if style_id:
        props.append(el("w:rStyle", val=style_id))
    if bold:
        props.append(el("w:b"))
    if italic:
        props.append(el("w:i"))
    if strike:
        props.append(el("w:strike"))
    if vert:
        props.append(el("w:vertAlign", val=vert))
    if not props:
        return None
    rpr = make("w:rPr")
    rpr.extend(props)
    return rpr


def style_rpr(style_id: str) -> Element:
    rpr = make("w:rPr")
    rpr.append(el("w:rStyle", val=style_id))
    return rpr


def add_text(parent: Element, text: str, rpr: Element | None) -> None:
    """Append runs for `text` to a paragraph or hyperlink; newlines become `w:br`, tabs `w:tab`."""
    run = make("w:r")
    if rpr is not None:
        run.append(_copy(rpr))
    for index, line in enumerate(xml_text(text).split("\n")):
        if index:
            run.append(make("w:br"))
        for part_index, chunk in enumerate(line.split("\t")):
            if part_index:
                run.append(make("w:tab"))
            if chunk:
                t = make("w:t")
                t.text = chunk
                t.set(XML_SPACE, "preserve")
                run.append(t)
    parent.append(run)


def _copy(element: Element) -> Element:
    return copy.deepcopy(element)


def add_break(parent: Element) -> None:
    """A hard line break inside a paragraph."""
    run = make("w:r")
    run.append(make("w:br"))
    parent.append(run)


def add_hyperlink(parent: Element, part: Part, url: str) -> Element:
    """A clickable `w:hyperlink` (external target through a relationship of `part`, or an internal anchor).

    The relationship lives on the part the paragraph belongs to (document or footnotes), as Word requires.
    """
    link = make("w:hyperlink")
    if url.startswith("#"):
        link.set(qn("w:anchor"), bookmark_name(url[1:]))
    else:
        link.set(qn("r:id"), part.relate_to(xml_text(url), RT.HYPERLINK, is_external=True))
    link.set(qn("w:history"), "1")
    parent.append(link)
    return link


def bookmark_name(anchor: str) -> str:
    """A Word bookmark name for an anchor id: letters first, at most 40 characters, no hyphens."""
    name = "".join(c if c.isalnum() else "_" for c in anchor)
    name = name if name[:1].isalpha() else f"h_{name}"
    return name[:40]


def add_bookmark(paragraph: Element, anchor: str, number: int) -> None:
    """Wrap a paragraph's content in a bookmark so internal links and the TOC can point at it."""
    start = el("w:bookmarkStart", id=str(number), name=bookmark_name(anchor))
    end = el("w:bookmarkEnd", id=str(number))
    ppr = paragraph.find(qn("w:pPr"))
    if ppr is not None:
        ppr.addnext(start)
    else:
        paragraph.insert(0, start)
    paragraph.append(end)


def field_start(parent: Element, instruction: str) -> None:
    """Open a complex field whose result (e.g. a table of contents) spans the paragraphs that follow."""
    for child in (el("w:fldChar", fldCharType="begin", dirty="true"), _instruction(instruction),
                  el("w:fldChar", fldCharType="separate")):
        run = make("w:r")
        run.append(child)
        parent.append(run)


def field_end(parent: Element) -> None:
    """Close the field opened by `field_start`."""
    run = make("w:r")
    run.append(el("w:fldChar", fldCharType="end"))
    parent.append(run)


def _instruction(text: str) -> Element:
    instr = make("w:instrText")
    instr.set(XML_SPACE, "preserve")
    instr.text = f" {text} "
    return instr


def add_field(parent: Element, instruction: str, placeholder: str = "", rpr: Element | None = None) -> None:
    """A complex field (`PAGE`, `NUMPAGES`, `TOC …`) Word and LibreOffice compute when they lay out the file."""
    def run(child: Element) -> None:
        r = make("w:r")
        if rpr is not None:
            r.append(_copy(rpr))
        r.append(child)
        parent.append(r)

    run(el("w:fldChar", fldCharType="begin"))
    run(_instruction(instruction))
    run(el("w:fldChar", fldCharType="separate"))
    if placeholder:
        add_text(parent, placeholder, rpr)
    run(el("w:fldChar", fldCharType="end"))


def set_numbering(paragraph: Element, num_id: int, level: int) -> None:
    """Attach a paragraph to a list instance at a nesting level (`w:numPr`), after its style in `w:pPr`."""
    ppr = paragraph.get_or_add_pPr()
    numpr = make("w:numPr")
    numpr.append(el("w:ilvl", val=str(level)))
    numpr.append(el("w:numId", val=str(num_id)))
    style = ppr.find(qn("w:pStyle"))
    if style is not None:
        style.addnext(numpr)
    else:
        ppr.insert(0, numpr)


def repeat_header(row: Element) -> None:
    """Mark a table row as a header row that repeats on every page and never splits."""
    trpr = row.get_or_add_trPr()
    trpr.append(el("w:cantSplit"))
    trpr.append(el("w:tblHeader"))
