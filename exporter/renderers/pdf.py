"""Print-ready PDF (`--to pdf`) through WeasyPrint's CSS Paged Media, driven by the theme's print CSS and tokens.

The shared model → HTML body goes into the theme's `print.html.j2`; `@page` geometry comes from the theme's
page tokens with this renderer's options on top. WeasyPrint's font configuration and the parsed theme CSS are
built once per process (`_pdf_engine`), the document is laid out exactly once ("n of N" included, since
`counter(pages)` is resolved at paint time), and every file WeasyPrint opens passes `_pdf_fetch`'s policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

try:  # the engine loads with this module, so the registry lists "pdf" as unavailable (with why) when it cannot
    import weasyprint  # noqa: F401
except OSError as exc:  # WeasyPrint is installed but Pango/HarfBuzz are not: an OSError from cffi's dlopen
    raise ImportError(f"WeasyPrint cannot load its system libraries (install Pango): {exc}") from exc

from exporter.diagnostics import Report
from exporter.errors import OptionError, RenderError, ThemeError
from exporter.identity import document_identifier
from exporter.model import Article, Collection
from exporter.renderers._pdf_page import PageNumbers, PageSetup, resolve
from exporter.resources import ResourcePolicy
from exporter.themes import Theme

Variant = Literal["pdf/a-3b", "pdf/a-2b", "pdf/ua-1"]
VARIANTS: tuple[str, ...] = ("pdf/a-3b", "pdf/a-2b", "pdf/ua-1")
"""Standards this renderer vouches for (WeasyPrint knows more; these are the ones we test)."""
_OF = {"en": "of", "sr": "од", "sq": "nga", "de": "von", "fr": "sur", "es": "de", "it": "di", "hr": "od",
       "bs": "od"}
"""The word in "n of N" folios, per language (a slash where unknown)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfRenderer:
    """PDF for print and screen; every option left at None takes the theme's page token."""

    name: ClassVar[str] = "pdf"
    suffix: ClassVar[str] = ".pdf"
    media_type: ClassVar[str] = "application/pdf"

    page_size: str | None = None
    """A4, A5, Letter, US-Trade, Royal, or "WIDTH HEIGHT" (e.g. "170mm 240mm"); None: the theme's."""
    bleed: str | None = None
    """Bleed beyond the trim ("3mm"); sets the PDF BleedBox and TrimBox. None: the theme's (usually none)."""
    marks: tuple[str, ...] | None = None
    """Printer's marks: ("crop",), ("crop", "cross"); () for none. None: the theme's."""
    columns: int | None = None
    """Body text columns (1-4). None: the theme's."""
    page_numbers: PageNumbers | None = None
    """Folios: "n", "n of N" or "none". None: the theme's."""
    variant: Variant | None = None
    """Standard to claim: "pdf/a-3b", "pdf/a-2b" (archival, with sRGB output intent) or "pdf/ua-1"."""
    tagged: bool = True
    """Write the structure tree (tagged PDF) for screen readers; costs a few percent of render time."""
    allow_remote: bool = False
    """Fetch http(s) images (public addresses only); off by default so rendering never touches the network."""
    compress: bool = True
    """Compress streams and objects; turn off to read the PDF in a text editor."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses."""
    policy: ResourcePolicy = field(init=False, repr=False, compare=False)
    """What this render may read, built from the two options above; every image and fetch goes through it."""

    def __post_init__(self) -> None:
        """Refuse option values early, by name, rather than deep inside WeasyPrint."""
        object.__setattr__(self, "policy", ResourcePolicy.for_renderer(
            "pdf", allow_remote=self.allow_remote, allow_private_network=self.allow_private_network))
        if self.variant is not None and self.variant not in VARIANTS:
            raise OptionError(f"pdf: variant must be one of {', '.join(VARIANTS)}, not {self.variant!r}")
        if isinstance(self.marks, str):
            object.__setattr__(self, "marks", tuple(self.marks.replace(",", " ").split()))
        if isinstance(self.columns, str) and self.columns.strip().isdigit():  # from a command line
            object.__setattr__(self, "columns", int(self.columns))
        if self.columns is not None and not isinstance(self.columns, int):
            raise OptionError(f"pdf: columns must be a whole number, not {self.columns!r}")
        self.setup_for(Theme(name="-", folders=()))

    def setup_for(self, theme: Theme) -> PageSetup:
        """The page geometry of this run: the theme's page tokens with this renderer's options on top."""
        return resolve(theme.tokens.page, size=self.page_size, bleed=self.bleed, marks=self.marks,
                       columns=self.columns, page_numbers=self.page_numbers)

    def render(self, doc: Article | Collection, theme: Theme, report: Report) -> bytes:
        """The finished PDF's bytes."""
        from exporter.renderers._pdf_engine import engine_for, write_pdf
        from exporter.renderers._pdf_fetch import GuardedFetcher
        from exporter.renderers._pdf_html import document_context

        setup = self.setup_for(theme)
        origins: dict[str, tuple[str, int]] = {}
        context = document_context(doc, theme, report=report, policy=self.policy, running_head=setup.running_head,
                                   origins=origins)
        try:
            html = theme.template("print.html.j2").render(**context)
        except ThemeError:
            raise
        except Exception as exc:  # a template bug names the theme, not a Jinja traceback
            raise RenderError(f"print.html.j2 of theme {theme.name!r} failed: {exc}", "pdf", doc.source) from exc
        base = Path(doc.source) if doc.source else Path.cwd()
        folder = base if isinstance(doc, Collection) or base.is_dir() else base.parent
        articles = doc.articles if isinstance(doc, Collection) else (doc,)
        roots = (folder, *(Path(a.source).parent for a in articles if a.source), *theme.folders)
        fetcher = GuardedFetcher(roots, report, source=doc.source, policy=self.policy, origins=origins)
        language = doc.metadata.language.split("-")[0].lower()
        options: dict[str, object] = {"pdf_tags": self.tagged or self.variant == "pdf/ua-1",
                                      "uncompressed_pdf": not self.compress, "pdf_identifier": True}
        if self.variant is not None:
            options["pdf_variant"] = self.variant
        try:
            engine = engine_for(theme)
            for warning in engine.warnings:
                report.add(warning)
            return write_pdf(engine, html, base_url=folder.resolve().as_uri() + "/", fetcher=fetcher,
                             setup=setup, of=_OF.get(language, "/"), options=options,
                             identifier=document_identifier(doc.metadata, doc.source), report=report)
        except RecursionError:
            raise RenderError("the document is nested too deeply to lay out", "pdf", doc.source) from None
        except Exception as exc:  # a layout bug in WeasyPrint fails this job with a message, not a traceback
            raise RenderError(f"WeasyPrint could not lay the document out ({type(exc).__name__}: {exc})", "pdf",
                              doc.source) from exc
