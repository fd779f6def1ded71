"""Small lxml helpers and tag sets shared by the HTML reader's modules (no model knowledge here)."""

from __future__ import annotations

from lxml import etree

Element = etree._Element
"""What lxml's HTML parser hands us; its `tag` is a lower-case name."""

HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCK_TAGS = HEADINGS | {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "hr", "html",
    "legend",
    "li", "main", "menu", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
}
"""Elements a browser lays out as blocks; anything else is inline unless it wraps one of these."""


def classes(el: Element) -> list[str]:
    """The element's class tokens, lower case."""
    return (el.get("class") or "").lower().split()


def line_of(el: Element) -> int:
    """1-based source line of an element; 0 when libxml2 does not know it."""
    line: object = getattr(el, "sourceline", 0)  # the stubs do not type it
    return line if isinstance(line, int) else 0


def elements(el: Element) -> list[Element]:
    """Element children only (the parser drops comments and PIs, but a stray one must not crash us)."""
    return [child for child in el if isinstance(child.tag, str)]


def raw_text(el: Element) -> str:
    """An element's text exactly as written (the HTML parser always yields `str`)."""
    return "".join(t for t in el.itertext() if isinstance(t, str))


def text_of(el: Element) -> str:
    """An element's text on one line, whitespace collapsed."""
    return " ".join(raw_text(el).split())


def remove(el: Element) -> None:
    """Detach an element but keep its tail text, which belongs to the parent's content."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
