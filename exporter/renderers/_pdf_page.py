"""The `@page` rules of a print run, written from the theme's page tokens and the renderer's options.

Page geometry is data (tokens overridable per run), not hand-written CSS, so one theme serves A4 and US Trade,
with or without bleed, without a stylesheet per combination. The theme's `print.css` styles the content; the
rules here own size, margins, bleed, marks, columns, running heads and folios.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

from exporter.errors import OptionError
from exporter.themes import PAGE_SIZES, PageTokens

_LENGTH = re.compile(r"^(?:0|\d+(?:\.\d+)?(?:pt|px|mm|cm|in|pc))$")
"""An absolute CSS length: what a page size or bleed may be (no em or %, which mean nothing for paper)."""
PageNumbers = Literal["n", "n of N", "none"]
Mark = Literal["crop", "cross"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSetup:
    """The resolved page geometry of one run: theme tokens with the run's overrides applied."""

    width: str
    """Trim width (CSS length)."""
    height: str
    """Trim height (CSS length)."""
    margin_top: str
    """Top margin."""
    margin_bottom: str
    """Bottom margin."""
    margin_inside: str
    """Binding-side margin: left on right-hand (recto) pages, right on left-hand (verso) pages."""
    margin_outside: str
    """Fore-edge margin."""
    columns: int
    """Text columns of the article body."""
    column_gap: str
    """Gap between columns."""
    bleed: str
    """Bleed beyond the trim ("0mm" for none)."""
    marks: tuple[str, ...]
    """Printer's marks (`crop`, `cross`)."""
    page_numbers: PageNumbers
    """Folio style."""
    running_head: str
    """What the verso head shows: `section`, `publication` or `none`."""


def resolve(page: PageTokens, *, size: str | None, bleed: str | None, marks: tuple[str, ...] | None,
            columns: int | None, page_numbers: PageNumbers | None) -> PageSetup:
    """Merge the run's options over the theme's tokens; `OptionError` for a value that cannot be a page."""
    if size is not None:
        named = {name.lower().replace(" ", "-"): name for name in PAGE_SIZES}
        key = size.strip().lower().replace(" ", "-").replace("_", "-")
        if key in named:
            page = dataclasses.replace(page, size=named[key])
        elif len(size.split()) == 2 and all(_LENGTH.match(v) for v in size.split()):
            page = dataclasses.replace(page, size=" ".join(size.split()))
        else:
            raise OptionError(f"pdf: page_size {size!r} is not one of {', '.join(PAGE_SIZES)} or 'WIDTH HEIGHT'")
    if bleed is not None:
        if not _LENGTH.match(bleed.strip()):
            raise OptionError(f"pdf: bleed {bleed!r} is not a CSS length (e.g. 3mm)")
        page = dataclasses.replace(page, bleed=bleed.strip())
    if marks is not None:
        unknown = set(marks) - {"crop", "cross"}
        if unknown:
            raise OptionError(f"pdf: unknown mark {sorted(unknown)[0]!r} (marks: crop, cross)")
        page = dataclasses.replace(page, marks=tuple(marks))
    if columns is not None:
        if not 1 <= columns <= 4:
            raise OptionError(f"pdf: columns must be between 1 and 4, not {columns}")
        page = dataclasses.replace(page, columns=columns)
    if page_numbers is not None:
        if page_numbers not in ("n", "n of N", "none"):
            raise OptionError(f"pdf: page_numbers must be 'n', 'n of N' or 'none', not {page_numbers!r}")
        page = dataclasses.replace(page, page_numbers=page_numbers)
    width, height = page.dimensions()
    return PageSetup(width=width, height=height, margin_top=page.margin_top, margin_bottom=page.margin_bottom,
                     margin_inside=page.margin_inside, margin_outside=page.margin_outside, columns=page.columns,
                     column_gap=page.column_gap, bleed=page.bleed, marks=page.marks,
                     page_numbers=page.page_numbers, running_head=page.running_head)


_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96}


def _mm(length: str) -> float:
    """An absolute length in millimetres (0 for anything else), to compare margins given in mixed units."""
    found = re.match(r"^(-?\d+(?:\.\d+)?)([a-z]*)$", length.strip())
    return float(found.group(1)) * _MM.get(found.group(2), 0.0) if found else 0.0


def _folio(setup: PageSetup, of: str) -> str:
    if setup.page_numbers == "none":
        return "none"
    if setup.page_numbers == "n of N":
        return f'counter(page) " {of} " counter(pages)'
    return "counter(page)"


RIGHT_HAND_OPENINGS = ("article.article, nav.contents { break-before: right !important; }\n"
                       ".cover { break-after: right !important; }")
"""Where a book's pages turn, as the built-in themes and `page_css` set it: a collection's cover ends, and its
contents and every article begin, on a right-hand page. Kept when a failed layout is retried without the
theme's page breaks (`_pdf_engine`)."""


def page_css(setup: PageSetup, *, of: str = "of") -> str:
    """`@page` rules for the whole document.

    Facing pages mirror their margins and put folios on the outside edge; the verso head carries the
    section (or publication), the recto head the article title, both read from `string-set` on each
    `article`, so a collection gets per-article heads. The page group `article:nth(1 of article)` is the
    opening page of each article, which carries no running head. The footnote area's 1pt bottom padding is
    slack for WeasyPrint 70's exact float comparison of the last note's bottom with the area's bottom, which
    otherwise pushes a note that fits to the next page for some sizes. `counter(pages)` needs no second layout:
    WeasyPrint resolves it when it paints the margin boxes.
    """
    folio = _folio(setup, of)
    no_bleed = setup.bleed.strip() in ("0", "0mm", "0pt", "0px", "0in", "0cm")
    prepress = "" if no_bleed else f"  bleed: {setup.bleed};\n"
    if setup.marks:
        prepress += f"  marks: {' '.join(setup.marks)};\n"
    # One column must not create a multi-column container: WeasyPrint lays those out differently (and a
    # float inside one can trip an assertion in WeasyPrint 70).
    columns = (f".article-body {{ columns: {setup.columns}; column-gap: {setup.column_gap}; }}\n"
               if setup.columns > 1 else "")
    verso_head = "none" if setup.running_head == "none" else "string(running-verso)"
    return f"""
@page {{
  size: {setup.width} {setup.height};
  margin: {setup.margin_top} {setup.margin_outside} {setup.margin_bottom} {setup.margin_inside};
{prepress}  @footnote {{ margin-top: 0.8em; padding-bottom: 1pt; }}
}}
@page :right {{
  margin-left: {setup.margin_inside};
  margin-right: {setup.margin_outside};
  @top-right {{ content: string(running-recto); }}
  @bottom-right {{ content: {folio}; }}
}}
@page :left {{
  margin-left: {setup.margin_outside};
  margin-right: {setup.margin_inside};
  @top-left {{ content: {verso_head}; }}
  @bottom-left {{ content: {folio}; }}
}}
@page article:nth(1 of article) {{
  @top-left {{ content: none; }}
  @top-right {{ content: none; }}
}}
@page cover {{
  @top-left {{ content: none; }}
  @top-right {{ content: none; }}
  @bottom-left {{ content: none; }}
  @bottom-right {{ content: none; }}
}}
@page :blank {{
  @top-left {{ content: none; }}
  @top-right {{ content: none; }}
  @bottom-left {{ content: none; }}
  @bottom-right {{ content: none; }}
}}
.cover {{ page: cover; }}
article.article {{
  page: article;
  break-before: right;
  counter-reset: footnote;
  string-set: running-verso attr(data-running-verso), running-recto attr(data-running-recto);
}}
{columns}
:root {{
  --print-bleed: {"0mm" if no_bleed else setup.bleed};
  --print-margin-top: {setup.margin_top};
  --print-margin-side: {max(setup.margin_inside, setup.margin_outside, key=_mm)};
}}
"""
