"""Style XML python-docx cannot write: fonts for every script, languages, borders, outline levels, table styles."""

from __future__ import annotations

from collections.abc import Iterable

from docx.oxml.ns import qn

from exporter.renderers._ooxml.text import Element, el, make

# ---------------------------------------------------------------------------------------------- styles


def set_fonts(rpr: Element, family: str) -> None:
    """One family for every script slot, replacing theme-font references that would otherwise win."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = el("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attr}"), family)


def set_language(rpr: Element, tag: str) -> None:
    """`w:lang` for spell-checking, on a style's or the defaults' run properties (schema position: last-ish)."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = el("w:lang")
        successors = [rpr.find(qn(f"w:{n}")) for n in ("eastAsianLayout", "specVanish", "oMath")]
        following = next((s for s in successors if s is not None), None)
        if following is not None:
            following.addprevious(lang)
        else:
            rpr.append(lang)
    lang.set(qn("w:val"), tag)


def default_run_properties(styles: Element) -> Element:
    """`w:docDefaults/w:rPrDefault/w:rPr`, created when the styles part has none."""
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = make("w:docDefaults")
        styles.insert(0, defaults)
    rpr_default = defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = make("w:rPrDefault")
        defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = make("w:rPr")
        rpr_default.append(rpr)
    return rpr


_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
              "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
              "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")


def _set_ppr_child(ppr: Element, child: Element) -> None:
    name = child.tag.split("}")[1]
    old = ppr.find(child.tag)
    if old is not None:
        ppr.remove(old)
    later = set(_PPR_ORDER[_PPR_ORDER.index(name) + 1:])
    for existing in ppr:
        if existing.tag.split("}")[1] in later:
            existing.addprevious(child)
            return
    ppr.append(child)


def set_box(ppr: Element, *, colour: str, fill: str = "", sides: Iterable[str] = ("top", "left", "bottom", "right"),
            size: int = 4) -> None:
    """Paragraph borders (and an optional fill) on a style: the corrections box, asides, rules."""
    borders = make("w:pBdr")
    for side in sides:
        borders.append(el(f"w:{side}", val="single", sz=str(size), space="4", color=colour.lstrip("#")))
    _set_ppr_child(ppr, borders)
    if fill:
        _set_ppr_child(ppr, el("w:shd", val="clear", color="auto", fill=fill.lstrip("#")))


def set_outline_level(ppr: Element, level: int | None) -> None:
    """`w:outlineLvl` on a style (headings), so the navigation pane and TOC see it; None removes it.

    Removing matters for styles the template derived from Heading 1 (TOC Heading): once based on Normal
    they must not claim an outline level of their own.
    """
    if level is None:
        for old in ppr.findall(qn("w:outlineLvl")):
            ppr.remove(old)
        return
    _set_ppr_child(ppr, el("w:outlineLvl", val=str(level)))


def set_table_style_borders(style: Element, colour: str) -> None:
    """Horizontal hairlines and cell padding on a table style, in the theme's rule colour."""
    tblpr = style.find(qn("w:tblPr"))
    if tblpr is None:
        tblpr = make("w:tblPr")
        rpr = style.find(qn("w:rPr"))
        (rpr.addnext if rpr is not None else style.append)(tblpr)
    for old in tblpr.findall(qn("w:tblBorders")):
        tblpr.remove(old)
    borders = make("w:tblBorders")
    for side in ("top", "bottom", "insideH"):
        borders.append(el(f"w:{side}", val="single", sz="4", space="0", color=colour.lstrip("#")))
    tblpr.append(borders)
    margins = make("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(el(f"w:{side}", w="108", type="dxa"))
    tblpr.append(margins)


def drop_unused_table_styles(styles: Element, keep: Iterable[str]) -> None:
    """Remove table style definitions nothing uses: those not named in `keep` (by name), not the default,
    and not a base, next or linked style of a style that stays.

    python-docx's blank template defines a hundred table styles (340 KB of `styles.xml`, 95% of the part),
    which every document would parse, serialise and compress again; Word writes only the styles a document
    uses and still offers every built-in one (they are listed in `w:latentStyles`).
    """
    by_id = {s.get(qn("w:styleId")): s for s in styles.iterfind(qn("w:style"))}
    wanted = set(keep)
    kept = {sid for sid, s in by_id.items() if s.get(qn("w:type")) != "table" or s.get(qn("w:default")) in ("1", "true")
            or _style_name(s) in wanted}
    pending = list(kept)
    while pending:
        style = by_id[pending.pop()]
        for tag in ("w:basedOn", "w:next", "w:link"):
            ref = style.find(qn(tag))
            target = ref.get(qn("w:val")) if ref is not None else None
            if target in by_id and target not in kept:
                kept.add(target)
                pending.append(target)
    for sid, style in by_id.items():
        if sid not in kept:
            styles.remove(style)


def _style_name(style: Element) -> str:
    name = style.find(qn("w:name"))
    return str(name.get(qn("w:val"))) if name is not None else ""


# -------------------------------------------------------------------------------------------- archive
