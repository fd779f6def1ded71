"""Per-tag block rules of the HTML reader: what each block element of a CMS export becomes in the model.

Kept apart from the walk in `_html_convert` so each rule reads on its own; every rule takes the
`Converter` for the shared state (skipped elements, footnotes, warnings) and returns zero or more blocks,
zero when the element turns out to hold nothing visible.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from exporter.errors import SourceError
from exporter.limits import raise_hint
from exporter.model import (
    Alignment,
    Aside,
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    DefinitionItem,
    DefinitionList,
    Figure,
    Heading,
    Inline,
    Link,
    ListItem,
    OrderedList,
    Paragraph,
    PullQuote,
    RelatedLinks,
    Table,
    TableCell,
    Text,
    ThematicBreak,
)
from exporter.readers._html_dom import HEADINGS, Element, classes, elements, line_of, raw_text, text_of
from exporter.readers._html_inline import credit_text, is_blank, split_credit, starts_with_dash, strip_dash
from exporter.readers._related import split_related

if TYPE_CHECKING:
    from exporter.readers._html_convert import Converter

MAX_SPAN = 50
"""Largest colspan honoured; a hostile `colspan=100000` must not build a huge table."""

_PULL = frozenset({"pull-quote", "pullquote"})
_LANGUAGE = re.compile(r"^(?:language|lang)-(?P<lang>[\w+#.-]+)$")
_ALIGN_STYLE = re.compile(r"text-align\s*:\s*(left|center|right)\b", re.IGNORECASE)
_ALIGN_CLASS = re.compile(r"^(?:has-)?text-(?:align-)?(left|center|right)$")
_ALIGNMENTS: dict[str, Alignment] = {"left": "left", "center": "center", "right": "right"}
_PIXELS = re.compile(r"\s*(\d{1,6})\s*(?:px)?\s*")


def convert(conv: Converter, el: Element) -> list[Block]:
    """The block(s) for one block-level element; unknown ones are walked as containers."""
    tag = el.tag
    if tag in HEADINGS:
        children = conv.inline_content(el)
        return [] if is_blank(children) else [Heading(level=int(tag[1]), children=children, id=_anchor(el))]
    if tag == "blockquote" or (tag == "aside" and _PULL & set(classes(el))):
        quote = attributed(conv, el, pull=bool(_PULL & set(classes(el))))
        return [quote] if quote else []
    if tag == "aside":
        blocks = conv.flow(el)
        return [Aside(blocks=tuple(blocks), kind=(classes(el) or ["aside"])[0])] if blocks else []
    if tag in ("ul", "ol", "menu", "dir"):
        return listing(conv, el)
    if tag == "dl":
        return definitions(conv, el)
    if tag == "pre":
        return code_block(el)
    if tag == "figure":
        return figure(conv, el)
    if tag == "table":
        return table(conv, el)
    if tag == "hr":
        return [ThematicBreak()]
    return conv.flow(el)


def _anchor(heading: Element) -> str:
    """The heading's id, or that of an empty `<a id>`/`<a name>` anchor inside it (older CMS markup)."""
    if heading.get("id"):
        return heading.get("id") or ""
    for a in heading.iter("a"):
        if not a.get("href") and (a.get("id") or a.get("name")):
            return a.get("id") or a.get("name") or ""
    return ""


def attributed(conv: Converter, el: Element, *, pull: bool) -> BlockQuote | PullQuote | None:
    """A quote with its attribution: a closing `<footer>`/`<cite>`, or a last paragraph "— Name"."""
    kids = [k for k in elements(el) if k not in conv.skip]
    attribution: tuple[Inline, ...] = ()
    if kids and kids[-1].tag in ("footer", "cite") and not (kids[-1].tail or "").strip():
        attribution = strip_dash(conv.inline_content(kids[-1]))
        conv.skip.add(kids[-1])
    blocks = conv.flow(el)
    last = blocks[-1] if blocks else None
    closing = isinstance(last, Paragraph) and len(blocks) > 1 and starts_with_dash(last.children)
    if not attribution and closing and isinstance(last, Paragraph):
        attribution, blocks = strip_dash(last.children), blocks[:-1]
    if len(blocks) == 1 and isinstance(blocks[0], BlockQuote | PullQuote):  # <aside><blockquote> nesting
        attribution = attribution or blocks[0].attribution
        blocks = list(blocks[0].blocks)
    if not blocks:
        return None
    if pull:
        return PullQuote(blocks=tuple(blocks), attribution=attribution)
    return BlockQuote(blocks=tuple(blocks), attribution=attribution)


def listing(conv: Converter, el: Element) -> list[Block]:
    """ul/ol → a list; tight unless an item holds a `<p>`. A list led by READ ALSO is related links."""
    items_el = [k for k in elements(el) if k not in conv.skip]
    found = split_related(text_of(el))
    if found is not None:
        links = conv.links_in(el)
        if not links:
            titles = [text_of(li) for li in items_el]
            first = split_related(titles[0]) if titles else None
            if first is not None:
                titles[0] = first[1]
            elif titles and titles[0].endswith((":", "：")):  # the label has an item of its own
                titles = titles[1:]
            links = tuple(Link(url="", children=(Text(text=t),)) for t in titles if t)
        return [RelatedLinks(label=found[0], links=links)]
    items: list[ListItem] = []
    tight = True
    for child in items_el:
        if child.tag == "li":
            items.append(ListItem(blocks=tuple(conv.flow(child))))
            tight = tight and child.find("p") is None
            continue
        # a stray child (old editors nest <ul> directly in <ul>): it belongs to the item before it
        if conv.is_block(child):
            blocks = conv.block(child)
        else:
            inlines = conv.inline_content(child)
            blocks = [Paragraph(children=inlines)] if inlines else []
        if items:
            items[-1] = ListItem(blocks=(*items[-1].blocks, *blocks))
        else:
            items.append(ListItem(blocks=tuple(blocks)))
    if not items:
        return []
    if el.tag == "ol":
        return [OrderedList(items=tuple(items), start=_pixels(el.get("start")) or 1, tight=tight)]
    return [BulletList(items=tuple(items), tight=tight)]


def definitions(conv: Converter, el: Element) -> list[Block]:
    """dl → terms with their definitions; `<div>` groups (allowed by HTML) are looked through."""
    parts: list[Element] = []
    for child in elements(el):
        parts.extend(elements(child) if child.tag == "div" else [child])
    items: list[DefinitionItem] = []
    for part in parts:
        if part in conv.skip:
            continue
        if part.tag == "dt":
            items.append(DefinitionItem(term=conv.inline_content(part), definitions=()))
        elif part.tag == "dd":
            if not items:
                items.append(DefinitionItem(term=(), definitions=()))
            items[-1] = replace(items[-1], definitions=(*items[-1].definitions, tuple(conv.flow(part))))
    return [DefinitionList(items=tuple(items))] if items else []


def code_block(el: Element) -> list[Block]:
    """pre → literal text; `<br>` is a newline, and the newline right after `<pre>` is not content."""
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    text = raw_text(el)
    text = (text[1:] if text.startswith("\n") else text).rstrip()
    language = ""
    for node in (el, *el.iter("code")):
        names = classes(node)
        hits = [m.group("lang") for m in map(_LANGUAGE.match, names) if m]
        if "sourcecode" in names:  # Pandoc: class="sourceCode python"
            hits += [n for n in names if n != "sourcecode"]
        language = language or (hits[0] if hits else (node.get("data-lang") or "").strip())
    return [CodeBlock(text=text, language=language)] if text.strip() else []


def lone_image(conv: Converter, el: Element) -> Element | None:
    """The `<img>` an element amounts to (itself, or wrapped in a link, `<picture>` or `<span>`), if any."""
    node = el
    for _ in range(4):
        if node.tag == "img":
            return node if conv.image_src(node) else None
        if node.tag not in ("a", "picture", "span") or (node.text or "").strip():
            return None
        kids = [k for k in elements(node) if k not in conv.skip and k.tag not in ("source", "br")]
        if len(kids) != 1 or any((k.tail or "").strip() for k in elements(node)):
            return None
        node = kids[0]
    return None


def figure_from(conv: Converter, img: Element) -> Figure:
    """A figure for one `<img>`, with its intrinsic size when the markup states it in pixels."""
    return Figure(src=conv.image_src(img), alt=img.get("alt") or "", width=_pixels(img.get("width")),
                  height=_pixels(img.get("height")), line=line_of(img))


def figure(conv: Converter, el: Element) -> list[Block]:
    """figure → Figure (caption, credit); a figure around a quote or table lends them its caption."""
    kids = [k for k in elements(el) if k not in conv.skip]
    if any(k.tag == "figure" for k in kids):  # a gallery: each inner figure stands alone
        return conv.flow(el)
    cap_el = next((k for k in kids if k.tag == "figcaption"), None)
    credit_el = next((c for c in el.iterdescendants() if isinstance(c.tag, str) and c not in conv.skip
                      and any("credit" in name for name in classes(c))), None)
    credit = ""
    if credit_el is not None:
        credit = credit_text(text_of(credit_el))
        conv.skip.add(credit_el)
    caption = conv.inline_content(cap_el) if cap_el is not None else ()
    if cap_el is not None:
        conv.skip.add(cap_el)
    if not credit:
        caption, credit = split_credit(caption)
    images = [img for img in el.iter("img") if img not in conv.skip and conv.image_src(img)]
    if images:
        figures = [figure_from(conv, img) for img in images]
        figures[-1] = replace(figures[-1], caption=caption, credit=credit)  # the caption closes a gallery
        return list[Block](figures)
    blocks = conv.flow(el)
    first = blocks[0] if blocks else None
    if caption and isinstance(first, BlockQuote | PullQuote) and not first.attribution:
        blocks[0] = replace(first, attribution=strip_dash(caption))
    elif caption and isinstance(first, Table) and not first.caption:
        blocks[0] = replace(first, caption=caption)
    elif caption:
        blocks.append(Paragraph(children=caption))
    return blocks


def table(conv: Converter, el: Element) -> list[Block]:
    """table → Table; header rows from `<thead>`, or leading rows made only of `<th>`."""
    cap_el = el.find("caption")
    caption = conv.inline_content(cap_el) if cap_el is not None else ()
    head: list[Element] = []
    body: list[Element] = []
    foot: list[Element] = []
    for part in elements(el):
        trs = [tr for tr in elements(part) if tr.tag == "tr"]
        if part.tag == "thead":
            head.extend(trs)
        elif part.tag == "tfoot":
            foot.extend(trs)
        elif part.tag == "tbody":
            body.extend(trs)
        elif part.tag == "tr":
            body.append(part)
    if not head:
        while body and all(c.tag == "th" for c in elements(body[0])) and elements(body[0]):
            head.append(body.pop(0))
    _check_size(conv, el, head + body + foot)
    header = [_row(conv, tr) for tr in head]
    rows = [_row(conv, tr) for tr in body + foot]
    width = max((len(r) for r in header + rows), default=0)
    if width == 0:
        return [Paragraph(children=caption)] if caption else []
    header = [r + [TableCell(children=())] * (width - len(r)) for r in header]
    rows = [r + [TableCell(children=())] * (width - len(r)) for r in rows]
    alignments: list[Alignment | None] = [
        next((r[i].align for r in (*header, *rows[:1]) if r[i].align), None) for i in range(width)]
    return [Table(header=tuple(map(tuple, header)), rows=tuple(map(tuple, rows)), caption=caption,
                  alignments=tuple(alignments) if any(alignments) else ())]


def _check_size(conv: Converter, table_el: Element, trs: list[Element]) -> None:
    """Refuse a table over the `table_cells` limit before converting it, counting the cells short rows are
    padded with (one wide row would otherwise multiply every other row)."""
    width = max((sum(min(_pixels(td.get("colspan")) or 1, MAX_SPAN) for td in elements(tr) if td.tag in ("td", "th"))
                 for tr in trs), default=0)
    limit = conv.limits.table_cells
    if width * len(trs) > limit:
        raise SourceError(f"the table starting here has {width * len(trs):,} cells ({len(trs):,} rows of "
                          f"{width:,}), over the {limit:,}-cell limit; split it or {raise_hint('table_cells')}",
                          conv.path, line_of(table_el))


def _row(conv: Converter, tr: Element) -> list[TableCell]:
    cells: list[TableCell] = []
    for td in elements(tr):
        if td.tag not in ("td", "th"):
            continue
        cells.append(TableCell(children=conv.inline_content(td), align=_align(td)))
        span = min(_pixels(td.get("colspan")) or 1, MAX_SPAN)
        if span > 1 or (_pixels(td.get("rowspan")) or 1) > 1:
            conv.warn_once("html.table-span", "span", "merged table cells (colspan/rowspan) are split into "
                           "single cells: the model has no spans", td)
        cells.extend(TableCell(children=()) for _ in range(span - 1))
    return cells


def _align(cell: Element) -> Alignment | None:
    """A cell's alignment from `align`, an inline `text-align` style, or a `text-center`-style class."""
    found = _ALIGN_STYLE.search(cell.get("style") or "")
    candidates = [cell.get("align") or "", found.group(1) if found else ""]
    candidates += [m.group(1) for m in map(_ALIGN_CLASS.match, classes(cell)) if m]
    return next((_ALIGNMENTS[c.lower()] for c in candidates if c.lower() in _ALIGNMENTS), None)


def _pixels(value: str | None) -> int | None:
    found = _PIXELS.fullmatch(value or "")
    return int(found.group(1)) if found else None
