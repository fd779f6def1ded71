"""WeasyPrint state worth keeping: font configuration and parsed print stylesheets, built once per process.

Parsing a theme's CSS and loading its fonts costs more than laying out a short article, so a batch worker
keeps them, keyed by the theme's content digest (an edited theme gets fresh state, an unchanged one never
re-parses). The `@page` CSS depends on the run's options too and is cached per (digest, page setup).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from exporter.diagnostics import Diagnostic, Report
from exporter.renderers import _pdf_theme_css
from exporter.renderers._pdf_fetch import GuardedFetcher
from exporter.renderers._pdf_page import RIGHT_HAND_OPENINGS, PageSetup, page_css
from exporter.themes import Theme

_LOCK = threading.Lock()
_THEMES: dict[str, ThemeEngine] = {}
_MAX_THEMES = 8
"""Themes kept per process; a worker rarely sees more than two."""


@dataclass(slots=True)
class ThemeEngine:
    """A theme's WeasyPrint state: shared by every article rendered with it in this process."""

    digest: str
    """The theme's content digest (the cache key)."""
    font_config: Any
    """`weasyprint.text.fonts.FontConfiguration` holding the theme's `@font-face` fonts."""
    counter_style: Any
    """`weasyprint.css.counters.CounterStyle` shared by every stylesheet of this theme."""
    stylesheet: Any
    """The parsed theme stylesheet: tokens, base.css and print.css, with the font faces."""
    page_sheets: dict[tuple[PageSetup, str], Any]
    """Parsed `@page` stylesheets per (page setup, "of" word)."""
    lock: threading.Lock
    """Serialises layout: a FontConfiguration is not safe to share between threads laying out at once."""
    warnings: tuple[Diagnostic, ...] = ()
    """What WeasyPrint ignored in the theme's print stylesheet, at the theme's files and lines."""

    def page_sheet(self, setup: PageSetup, of: str) -> Any:
        """The parsed `@page` rules for `setup`, parsed on first use."""
        from weasyprint import CSS

        key = (setup, of)
        sheet = self.page_sheets.get(key)
        if sheet is None:
            sheet = CSS(string=page_css(setup, of=of), font_config=self.font_config,
                        counter_style=self.counter_style, url_fetcher=GuardedFetcher((), Report()))
            self.page_sheets[key] = sheet
        return sheet


def font_faces_css(theme: Theme) -> str:
    """`@font-face` rules with absolute `file:` URLs.

    `Theme.font_face_css` writes one folder prefix for every face, which suits a web or EPUB output folder
    where fonts are copied side by side; for print the faces are read where they are, and a child theme's
    fonts may live in a different folder from its parent's.
    """
    rules = []
    for face in theme.font_faces:
        rules.append(f'@font-face {{ font-family: "{face.family}"; src: url("{face.path.as_uri()}"); '
                     f"font-weight: {face.weight}; font-style: {face.style}; }}")
    return "\n".join(rules)


def engine_for(theme: Theme) -> ThemeEngine:
    """The theme's engine state, built on first use in this process and reused while the theme is unchanged."""
    digest = theme.digest()
    with _LOCK:
        found = _THEMES.get(digest)
        if found is not None:
            return found
        from weasyprint.css.counters import CounterStyle
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        counter_style = CounterStyle()
        fetcher = GuardedFetcher(theme.folders, Report(path=str(theme.folders[0])))
        sheet, warnings = _pdf_theme_css.parse(theme, font_faces_css(theme), base_url=theme.folders[0].as_uri() + "/",
                                               font_config=font_config, counter_style=counter_style,
                                               url_fetcher=fetcher)
        engine = ThemeEngine(digest=digest, font_config=font_config, counter_style=counter_style,
                             stylesheet=sheet, page_sheets={}, lock=threading.Lock(), warnings=warnings)
        if len(_THEMES) >= _MAX_THEMES:
            _THEMES.pop(next(iter(_THEMES)))
        _THEMES[digest] = engine
        return engine


def _xmp_identifier(identifier: str, compress: bool) -> Callable[[Any, Any], None]:
    """A WeasyPrint finisher that puts `identifier` in the XMP packet as `dc:identifier`.

    WeasyPrint writes XMP only for PDF/A, /UA and /X variants; without one the packet is added here from the
    document's own metadata (title, authors, dates), so every PDF carries the identifier `exporter check`
    compares with the other formats.
    """

    def finish(document: Any, pdf: Any) -> None:
        if "Metadata" not in pdf.catalog:
            document.metadata.include_in_pdf(pdf, None, None, None, compress)
        reference = pdf.catalog["Metadata"]
        stream = next(o for o in pdf.objects if getattr(o, "reference", None) == reference)
        packet = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in stream.stream)
        head, end, tail = packet.rpartition(b"</rdf:RDF>")
        if not end:
            return
        description = (b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" rdf:about="">'
                       b"<dc:identifier>" + xml_escape(identifier).encode() + b"</dc:identifier></rdf:Description>")
        stream.stream = [head + description + end + tail]

    return finish


_RELAXED = (
    ("* { orphans: 1 !important; widows: 1 !important; break-inside: auto !important; }",
     "without keeping lines and blocks together across pages"),
    ("* { break-before: auto !important; break-after: auto !important; }\n"
     f"{RIGHT_HAND_OPENINGS}",
     "without keeping lines and blocks together and without the theme's page breaks (a collection's "
     "cover, contents and articles still open on right-hand pages)"),
)
"""Laid over the theme, one more each time, when WeasyPrint's layout fails: its search for an earlier page
break (to keep widows, orphans and `break-inside: avoid` blocks together, or to honour `break-*: avoid`)
has known crashes, seen here with two columns. Each is (CSS, how the warning describes the result)."""


def write_pdf(engine: ThemeEngine, html: str, *, base_url: str, fetcher: GuardedFetcher, setup: PageSetup, of: str,
              options: dict[str, object], identifier: str = "", report: Report | None = None) -> bytes:
    """Lay the document out once and write it; WeasyPrint's own options pass through unchanged.

    `identifier` (from `exporter.identity.document_identifier`) goes into the XMP packet as `dc:identifier`.
    When the layout fails it is tried again with the `_RELAXED` rules; if that works the PDF is returned with a
    `pdf.layout-relaxed` warning in `report`, otherwise the first failure is raised.
    """
    from weasyprint import CSS, HTML

    finisher = _xmp_identifier(identifier, not options.get("uncompressed_pdf")) if identifier else None
    with engine.lock:
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
        stylesheets = [engine.stylesheet, engine.page_sheet(setup, of)]
        first: Exception | None = None
        for css, outcome in ((None, ""), *_RELAXED):
            if css is not None:
                stylesheets.append(CSS(string=css, font_config=engine.font_config,
                                       counter_style=engine.counter_style))
            try:
                data = document.write_pdf(stylesheets=stylesheets, font_config=engine.font_config,
                                          counter_style=engine.counter_style, finisher=finisher, **options)
            except (RecursionError, MemoryError):
                raise
            except Exception as exc:
                first = first or exc
                continue
            if first is not None and report is not None:
                report.warn("pdf.layout-relaxed", f"WeasyPrint could not lay the document out with the theme's "
                            f"page-break rules ({type(first).__name__}: {first}); laid out again {outcome}")
            assert isinstance(data, bytes)
            return data
    assert first is not None
    raise first
