"""Theme tokens → Word styles and page setup: an editor restyles by style name and the theme's look carries over.

Names follow Word's built-ins and Pandoc's reference.docx (Normal, Title, Heading 1–9, Body Text, Quote,
Caption, Footnote Text, Hyperlink, Source Code, Verbatim Char, …), so a Pandoc reference document works as
a theme file. When the theme supplies `docx/reference.docx`, its styles win: only styles it lacks are
created from the tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_UNDERLINE
from docx.oxml.ns import qn
from docx.shared import Emu, Pt, RGBColor

from exporter.renderers import _ooxml
from exporter.themes import Tokens

Kind = Literal["paragraph", "character", "table"]
_KINDS = {"paragraph": WD_STYLE_TYPE.PARAGRAPH, "character": WD_STYLE_TYPE.CHARACTER, "table": WD_STYLE_TYPE.TABLE}
_UNITS = {"pt": 1.0, "px": 0.75, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pc": 12.0}
EMU_PER_PT = 12700
_LENGTH = re.compile(r"^(-?\d+(?:\.\d+)?)([a-z%]*)$")


def points(length: str, base: float) -> float:
    """A CSS length from the tokens in points; `em`, `rem`, `ex`, `ch` and `%` are relative to the base size."""
    match = _LENGTH.match(length.strip())
    if not match:
        return 0.0
    value, unit = float(match.group(1)), match.group(2)
    if unit in _UNITS:
        return value * _UNITS[unit]
    relative = {"em": 1.0, "rem": 1.0, "ex": 0.5, "ch": 0.5, "%": 0.01, "": 0.0}
    return value * base * relative.get(unit, 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """What one style says, in token terms."""

    name: str
    """Style name as Word shows it."""
    kind: Kind = "paragraph"
    """Paragraph, character or table style."""
    base: str = ""
    """Style it is based on; empty keeps the existing base (or none)."""
    font: Literal["text", "headings", "mono", ""] = ""
    """Font role from `FontTokens`; empty inherits."""
    size: float | None = None
    """Size in points; None inherits."""
    colour: str = ""
    """Colour role from `ColourTokens`; empty inherits."""
    bold: bool | None = None
    """Bold on or off; None inherits."""
    italic: bool | None = None
    """Italic on or off; None inherits."""
    caps: bool = False
    """All capitals (kickers, datelines)."""
    before: float | None = None
    """Space before, points."""
    after: float | None = None
    """Space after, points."""
    indent: float | None = None
    """Left and right indent, points."""
    align: Literal["left", "center", "right", ""] = ""
    """Paragraph alignment."""
    keep_next: bool = False
    """Keep with the next paragraph (headings, captions above tables, figures)."""
    extra: Callable[[Any, Tokens], None] | None = None
    """Raw OOXML touches (borders, outline level) applied after the common properties."""


def _specs(t: Tokens) -> list[Spec]:
    base = points(t.sizes.base, 11.0)
    small = points(t.sizes.small, base) or base * 0.85
    scale = t.sizes.scale
    para = points(t.spacing.paragraph, base)
    block = points(t.spacing.block, base)
    colours = t.colours

    def box(sides: tuple[str, ...], colour: str, size: int = 4, fill: str = "") -> Callable[[Any, Tokens], None]:
        return lambda style, _t: _ooxml.set_box(style.element.get_or_add_pPr(), colour=colour, sides=sides,
                                               size=size, fill=fill)

    def outline(level: int | None) -> Callable[[Any, Tokens], None]:
        return lambda style, _t: _ooxml.set_outline_level(style.element.get_or_add_pPr(), level)

    specs = [
        Spec(name="Normal", font="text", size=base, colour="text", after=0.0),
        Spec(name="Body Text", base="Normal", after=para),
        Spec(name="Title", base="Normal", font="headings", size=base * scale**4, colour="text", bold=True,
             after=para, keep_next=True, extra=box(("bottom",), colours.accent, 8)),
        Spec(name="Subtitle", base="Normal", font="text", size=base * scale, colour="muted", italic=False,
             after=para, keep_next=True),
        Spec(name="Kicker", base="Normal", font="headings", size=small, colour="accent", bold=True, caps=True,
             after=para / 2, keep_next=True),
        Spec(name="Author", base="Normal", colour="text", after=0.0, keep_next=True),
        Spec(name="Date", base="Normal", size=small, colour="muted", after=block),
        Spec(name="Quote", base="Body Text", font="text", colour="text", italic=True, indent=base * 2),
        Spec(name="Pull Quote", base="Quote", font="headings", size=base * scale**2, colour="accent", italic=False,
             bold=True, align="center", before=block, after=block, extra=box(("top", "bottom"), colours.accent, 8)),
        Spec(name="Quote Attribution", base="Quote", size=small, colour="muted", italic=False, align="right",
             after=block),
        Spec(name="Aside", base="Body Text", indent=base, extra=box(("left",), colours.accent, 12)),
        Spec(name="Figure", base="Normal", align="center", before=block, after=para / 2, keep_next=True),
        Spec(name="Caption", base="Normal", size=small, colour="muted", italic=True, bold=False, after=block),
        Spec(name="Table Caption", base="Caption", after=para / 2, keep_next=True),
        Spec(name="Footnote Text", base="Normal", size=small, after=0.0),
        Spec(name="Source Code", base="Normal", font="mono", size=small, after=para,
             extra=box(("left",), colours.rule, 12)),
        Spec(name="Definition Term", base="Body Text", bold=True, after=0.0, keep_next=True),
        Spec(name="Definition", base="Body Text", indent=base * 2),
        Spec(name="Table Heading", base="Normal", bold=True, keep_next=True),
        Spec(name="Table Text", base="Normal", after=0.0),
        Spec(name="Section Break", base="Normal", colour="muted", align="center", before=block, after=block),
        Spec(name="Related Heading", base="Normal", font="headings", size=small, colour="accent", bold=True,
             caps=True, before=block, after=para / 2, keep_next=True, extra=box(("top",), colours.rule)),
        Spec(name="Related Link", base="Normal", after=para / 2),
        Spec(name="Corrections Heading", base="Normal", font="headings", size=small, colour="accent", bold=True,
             caps=True, before=block, keep_next=True),
        Spec(name="Correction", base="Normal", size=small, after=para / 2, extra=box(("left",), colours.accent, 12)),
        Spec(name="Tags", base="Normal", size=small, colour="muted", before=block),
        Spec(name="Rights", base="Normal", size=small, colour="muted", before=block),
        Spec(name="Header", base="Normal", size=small, colour="muted"),
        Spec(name="Footer", base="Normal", size=small, colour="muted", align="center"),
        Spec(name="TOC Heading", base="Normal", font="headings", size=base * scale**2, colour="text", bold=True,
             after=para, keep_next=True, extra=outline(None)),
        Spec(name="Hyperlink", kind="character", colour="accent"),
        Spec(name="Footnote Reference", kind="character"),
        Spec(name="Verbatim Char", kind="character", font="mono"),
        Spec(name="Dateline", kind="character", bold=True, caps=True, colour="accent"),
        Spec(name="Credit", kind="character", colour="muted", italic=False),
        Spec(name="Table", kind="table", base="Normal Table",
             extra=lambda style, tk: _ooxml.set_table_style_borders(style.element, tk.colours.rule)),
    ]
    for level in range(1, 10):
        size = base * scale ** max(0, 4 - level) if level <= 4 else base
        specs.append(Spec(name=f"Heading {level}", base="Normal", font="headings", size=size, colour="text",
                          bold=True, italic=level > 4, before=block, after=para / 2, keep_next=True,
                          extra=outline(level - 1)))
    for level in range(1, 4):
        specs.append(Spec(name=f"TOC {level}", base="Normal", bold=level == 1, before=para / 2 if level == 1 else 0.0,
                          after=0.0, indent=base * 1.5 * (level - 1)))
    for kind in ("List Bullet", "List Number", "List Continue"):
        for level in range(1, 6):
            specs.append(Spec(name=kind if level == 1 else f"{kind} {level}", base="Body Text", after=para / 2))
    return specs


def table_style_names(tokens: Tokens) -> set[str]:
    """The table styles the renderer uses (what a blank template's other table styles can be dropped for)."""
    return {spec.name for spec in _specs(tokens) if spec.kind == "table"}


def apply_styles(document: Any, tokens: Tokens, *, keep_existing: bool) -> None:
    """Create (and, unless `keep_existing`, restyle) every style the renderer uses (`apply_language` follows)."""
    styles = document.styles
    names = {s.name for s in styles}
    for spec in _specs(tokens):
        exists = spec.name in names
        if exists and keep_existing:
            continue
        style = styles[spec.name] if exists else styles.add_style(spec.name, _KINDS[spec.kind])
        names.add(spec.name)
        _apply(style, spec, tokens, styles, names)


def apply_language(document: Any, language: str, style_ids: Mapping[str, str]) -> None:
    """Word's proofing language for the whole document (defaults, Normal, theme fonts), as `word_language`
    gives it; done on each document's copy of the styled template, so one template serves every language."""
    styles = document.styles.element
    _ooxml.set_language(_ooxml.default_run_properties(styles), language)
    normal_id = style_ids["Normal"]  # compared, not put into a path: a reference.docx may use any characters
    normal = next((s for s in styles.iterfind(qn("w:style")) if s.get(qn("w:styleId")) == normal_id), None)
    if normal is not None:
        _ooxml.set_language(normal.get_or_add_rPr(), language)


def _apply(style: Any, spec: Spec, tokens: Tokens, styles: Any, names: set[str]) -> None:
    if spec.base and spec.base in names:
        style.base_style = styles[spec.base]
    style.hidden = False
    style.quick_style = spec.kind != "table"
    if spec.kind == "table":
        if spec.extra is not None:
            spec.extra(style, tokens)
        return
    font = style.font
    if spec.font:
        _ooxml.set_fonts(style.element.get_or_add_rPr(), getattr(tokens.fonts, spec.font))
    if spec.size is not None:
        font.size = Pt(round(spec.size * 2) / 2)
    if spec.colour:
        font.color.rgb = RGBColor.from_string(_hex(getattr(tokens.colours, spec.colour)))
    if spec.bold is not None:
        font.bold = spec.bold
    if spec.italic is not None:
        font.italic = spec.italic
    if spec.caps:
        font.all_caps = True
    if spec.name == "Hyperlink":
        font.underline = WD_UNDERLINE.SINGLE
    if spec.name == "Footnote Reference":
        font.superscript = True
    if spec.kind == "paragraph":
        fmt = style.paragraph_format
        if spec.name == "Normal":
            fmt.line_spacing = tokens.sizes.line_height
        if spec.before is not None:
            fmt.space_before = Pt(round(spec.before, 1))
        if spec.after is not None:
            fmt.space_after = Pt(round(spec.after, 1))
        if spec.indent is not None:
            fmt.left_indent = fmt.right_indent = Pt(round(spec.indent, 1))
        if spec.align:
            fmt.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                             "right": WD_ALIGN_PARAGRAPH.RIGHT}[spec.align]
        if spec.keep_next:
            fmt.keep_with_next = True
    if spec.extra is not None:
        spec.extra(style, tokens)


def page_setup(section: Any, tokens: Tokens) -> tuple[int, int]:
    """Trim size and margins from the page tokens (inside margin on the left); returns the text area in EMU."""
    page, base = tokens.page, points(tokens.sizes.base, 11.0)
    width, height = (Emu(int(points(v, base) * EMU_PER_PT)) for v in page.dimensions())
    section.page_width, section.page_height = width, height
    for attr, value in (("top_margin", page.margin_top), ("bottom_margin", page.margin_bottom),
                        ("left_margin", page.margin_inside), ("right_margin", page.margin_outside)):
        setattr(section, attr, Emu(int(points(value, base) * EMU_PER_PT)))
    section.header_distance = Emu(int(section.top_margin / 2))
    section.footer_distance = Emu(int(section.bottom_margin / 2))
    return (int(width - section.left_margin - section.right_margin),
            int(height - section.top_margin - section.bottom_margin))


def running_chrome(section: Any, title: str, tokens: Tokens, style_ids: Mapping[str, str]) -> None:
    """This section's own header (the title) and footer (page number fields, in the folio style of the tokens).

    `style_ids` maps style names to ids (python-docx's own lookup by name scans every style, twice).
    """
    section.header.is_linked_to_previous = False
    section.footer.is_linked_to_previous = False
    head = section.header.paragraphs[0]
    _ooxml.set_paragraph_style(_ooxml.element(head), style_ids["Header"])
    _ooxml.add_text(_ooxml.element(head), title, None)
    foot = section.footer.paragraphs[0]
    _ooxml.set_paragraph_style(_ooxml.element(foot), style_ids["Footer"])
    if tokens.page.page_numbers != "none":
        _ooxml.add_field(_ooxml.element(foot), "PAGE", "1")
    if tokens.page.page_numbers == "n of N":
        _ooxml.add_text(_ooxml.element(foot), " / ", None)
        _ooxml.add_field(_ooxml.element(foot), "NUMPAGES", "1")


def word_language(tag: str) -> str:
    """A BCP 47 tag as Word's proofing languages name it: `sr-Cyrl` → `sr-Cyrl-RS`, `en` → `en-US`, `sq` → `sq-AL`.

    Word only spell-checks a language it knows with a region; the script stays where Word distinguishes
    scripts (Serbian, Bosnian, Azerbaijani, Uzbek) so Cyrillic and Latin Serbian get the right dictionary.
    """
    try:
        import langcodes

        full = langcodes.Language.get(tag).maximize()
    except (ImportError, ValueError, LookupError):
        return tag
    given = langcodes.Language.get(tag)
    keep_script = bool(given.script) or full.language in {"sr", "bs", "az", "uz"}
    parts = [full.language or tag, *([full.script] if keep_script and full.script else []),
             *([full.territory] if full.territory else [])]
    return "-".join(p for p in parts if p)


def _hex(colour: str) -> str:
    """`#abc` or `#aabbcc` as Word's `AABBCC`."""
    value = colour.lstrip("#")
    return (value if len(value) == 6 else "".join(c * 2 for c in value)).upper()
