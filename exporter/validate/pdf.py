"""PDF: opens, fonts embedded, text extractable, metadata and language set, tagging, PDF/A claims, page boxes.

A printer rejects a file whose fonts are not embedded or whose trim box pokes out of the bleed; a screen
reader needs `/Lang`, a title and a structure tree; an archive needs the PDF/A identification *and* the output
intent it promises. Each is cheap to check with pikepdf, long before the file reaches any of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from exporter.diagnostics import Diagnostic, Level
from exporter.validate import CheckOptions, Outcome

NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dc": "http://purl.org/dc/elements/1.1/",
      "pdfaid": "http://www.aiim.org/pdfa/ns/id/", "xmp": "http://ns.adobe.com/xap/1.0/",
      "pdf": "http://ns.adobe.com/pdf/1.3/"}
"""XMP namespaces read here and by the parity check."""
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
"""Font descriptor keys that hold an embedded font program (Type 1, TrueType, CFF/OpenType)."""
TOLERANCE = 0.01
"""Points of slack when comparing page boxes (rounding in generators)."""


class _Findings:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[Diagnostic] = []

    def add(self, level: Level, code: str, message: str) -> None:
        self.items.append(Diagnostic(level=level, code=f"pdf.{code}", message=message, path=str(self.path)))


def read_xmp(pdf: Any) -> etree._Element | None:
    """The document's XMP packet as a tree, or None when absent or unparsable."""
    stream = pdf.Root.get("/Metadata")
    if stream is None:
        return None
    try:
        return etree.fromstring(stream.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True,
                                                                     recover=True))
    except (etree.XMLSyntaxError, ValueError):
        return None


def xmp_values(xmp: etree._Element | None, name: str) -> list[str]:
    """Values of one XMP property (`dc:title`, `pdfaid:part`): element text, rdf:li items, or attribute."""
    if xmp is None:
        return []
    prefix, _, local = name.partition(":")
    qualified = f"{{{NS[prefix]}}}{local}"
    found = xmp.xpath(f"//rdf:Description/@{name}", namespaces=NS)
    values = [str(v) for v in found] if isinstance(found, list) else []
    for element in xmp.iter(qualified):
        items = element.findall(f".//{{{NS['rdf']}}}li")
        values.extend(item.text or "" for item in items or [element])
    return [v for v in (value.strip() for value in values) if v]


def _inherited(page: Any, key: str) -> Any:
    node = page
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def _fonts(resources: Any, seen: set[tuple[int, int]]) -> Iterator[tuple[str, Any]]:
    """(resource name, font) for every font reachable from a resource dictionary, through form XObjects."""
    if resources is None:
        return
    for name, font in (resources.get("/Font") or {}).items():
        yield str(name), font
    for xobject in (resources.get("/XObject") or {}).values():
        key = xobject.objgen
        if key in seen or xobject.get("/Subtype") != "/Form":
            continue
        seen.add(key)
        yield from _fonts(xobject.get("/Resources"), seen)


def _embedded(font: Any) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are content streams inside the PDF
    fonts = list(font.get("/DescendantFonts") or []) if font.get("/Subtype") == "/Type0" else [font]
    for item in fonts:
        descriptor = item.get("/FontDescriptor")
        if descriptor is None or not any(key in descriptor for key in FONT_FILES):
            return False
    return bool(fonts)


def _box(value: Any) -> tuple[float, float, float, float] | None:
    if value is None or len(value) != 4:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _within(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (inner[0] >= outer[0] - TOLERANCE and inner[1] >= outer[1] - TOLERANCE
            and inner[2] <= outer[2] + TOLERANCE and inner[3] <= outer[3] + TOLERANCE)


TEXT_OPERATORS = "Tj TJ ' \""
"""Content-stream operators that show text (ISO 32000-1, 9.4.3)."""


def draws_text(container: Any, seen: set[tuple[int, int]] | None = None) -> bool:
    """Whether a page (or form XObject) shows text: a text-showing operator in its content stream or in a form
    XObject it paints. Fonts listed in the resources prove nothing (WeasyPrint lists them on blank pages too)."""
    import pikepdf

    seen = set() if seen is None else seen
    try:
        if pikepdf.parse_content_stream(container, TEXT_OPERATORS):
            return True
    except (pikepdf.PdfError, TypeError, ValueError):
        return True  # unreadable content: let the extraction check decide
    page = isinstance(container, pikepdf.Page)
    resources = _inherited(container.obj, "/Resources") if page else container.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    for xobject in (xobjects.values() if isinstance(xobjects, pikepdf.Dictionary) else ()):
        if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != "/Form":
            continue
        key = xobject.objgen
        if key != (0, 0) and key in seen:
            continue
        seen.add(key)
        if draws_text(xobject, seen):
            return True
    return False


def check_structure(pdf: Any, options: CheckOptions, out: _Findings) -> set[int]:
    """Everything pikepdf can see; returns the 0-based numbers of pages that use fonts and show text with them
    (the pages whose text must be extractable)."""
    font_pages: set[int] = set()
    reported: set[object] = set()
    seen: set[tuple[int, int]] = set()
    box_problems: list[str] = []
    for number, page in enumerate(pdf.pages):
        fonts = list(_fonts(_inherited(page.obj, "/Resources"), seen))
        if fonts and draws_text(page):
            font_pages.add(number)
        for name, font in fonts:
            key = font.objgen if font.objgen != (0, 0) else (number, name)
            if key not in reported and not _embedded(font):
                reported.add(key)
                out.add("error", "font-not-embedded", f"font {str(font.get('/BaseFont', name)).lstrip('/')} "
                        f"({str(font.get('/Subtype', '?')).lstrip('/')}) used on page {number + 1} is not embedded")
        media = _box(_inherited(page.obj, "/MediaBox"))
        if media is None:
            box_problems.append(f"page {number + 1} has no valid MediaBox")
            continue
        crop = _box(_inherited(page.obj, "/CropBox")) or media
        bleed, trim = _box(page.obj.get("/BleedBox")) or crop, _box(page.obj.get("/TrimBox")) or crop
        if not _within(bleed, media):
            box_problems.append(f"page {number + 1}: BleedBox {bleed} is not within MediaBox {media}")
        if not _within(trim, bleed):
            box_problems.append(f"page {number + 1}: TrimBox {trim} is not within BleedBox {bleed}")
    for problem in box_problems[:5]:
        out.add("error", "box-outside", problem)
    if len(box_problems) > 5:
        out.add("error", "box-outside", f"{len(box_problems) - 5} more page box problems")
    xmp = read_xmp(pdf)
    info_title = str(pdf.docinfo.get("/Title", "")).strip() if "/Info" in pdf.trailer else ""
    if not info_title and not xmp_values(xmp, "dc:title"):
        out.add("error", "title-missing", "no document title (Info /Title or XMP dc:title)")
    if not str(pdf.Root.get("/Lang", "")).strip():
        out.add("error", "lang-missing", "the catalog has no /Lang (screen readers cannot pick a voice)")
    mark_info = pdf.Root.get("/MarkInfo")
    if "/StructTreeRoot" not in pdf.Root or not (mark_info is not None and bool(mark_info.get("/Marked", False))):
        out.add("error" if options.expect_tagged else "warning", "untagged",
                "not a tagged PDF (no /StructTreeRoot with /MarkInfo /Marked true)")
    part = xmp_values(xmp, "pdfaid:part")
    if part:
        if part[0] in ("1", "2", "3") and not xmp_values(xmp, "pdfaid:conformance"):
            out.add("error", "pdfa-conformance-missing", f"XMP claims PDF/A-{part[0]} without pdfaid:conformance")
        intents = pdf.Root.get("/OutputIntents") or []
        if not any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents):
            out.add("error", "pdfa-output-intent-missing", f"XMP claims PDF/A-{part[0]} but there is no "
                    "/GTS_PDFA1 output intent with an ICC profile")
    elif options.expect_pdfa:
        out.add("error", "pdfa-not-identified", "PDF/A was asked for but the XMP has no pdfaid:part")
    return font_pages


def check_text(path: Path, font_pages: set[int], out: _Findings) -> None:
    """pypdf extracts text from every page that shows text in a font (else the text is drawn, not searchable)."""
    try:
        from pypdf import PdfReader
    except ImportError:
        out.add("warning", "text-unchecked", "pypdf not installed: text extraction not checked")
        return
    try:
        reader = PdfReader(str(path))
        empty = [n + 1 for n, page in enumerate(reader.pages) if n in font_pages and not page.extract_text().strip()]
    except Exception as exc:  # pypdf raises many types on odd files; report, never crash the gate
        out.add("error", "text-not-extractable", f"pypdf cannot extract text ({type(exc).__name__}: {exc})")
        return
    if empty:
        shown = ", ".join(map(str, empty[:10])) + (" …" if len(empty) > 10 else "")
        out.add("error", "text-not-extractable", f"no extractable text on page(s) {shown} although text is "
                "shown there")
    if not font_pages:
        out.add("warning", "no-text", "no page shows text in a font: the document has no text layer")


def check_pdf(path: Path, options: CheckOptions) -> list[Diagnostic]:
    """Every finding for one PDF."""
    import pikepdf

    out = _Findings(path)
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        out.add("error", "encrypted", "the PDF is password-protected")
        return out.items
    except (pikepdf.PdfError, OSError) as exc:
        out.add("error", "unreadable", f"pikepdf cannot open it: {exc}")
        return out.items
    with pdf:
        font_pages = check_structure(pdf, options, out)
    check_text(path, font_pages, out)
    return out.items


class PdfValidator:
    """Structural checks with pikepdf and pypdf."""

    name: ClassVar[str] = "pdf"
    format: ClassVar[str] = "pdf"
    batched: ClassVar[bool] = False
    deep_only: ClassVar[bool] = False

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """One outcome per PDF."""
        return [Outcome(path=str(p), format=self.format, validator=self.name,
                        diagnostics=tuple(check_pdf(p, options))) for p in paths]
