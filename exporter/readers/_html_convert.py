"""HTML elements → model nodes: the walk, footnotes and inlines; per-tag block rules are in `_html_blocks`.

Every element maps to the model or degrades to its text, so a CMS quirk never loses words and never
smuggles markup through. State shared across the walk lives on `Converter`: elements already lifted into
metadata or footnotes (`skip`), footnote references and their notes, and the nesting depth, which is
capped so hostile nesting is flattened instead of exhausting the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from exporter.diagnostics import Report
from exporter.errors import SourceError
from exporter.limits import Limits, current, raise_hint
from exporter.model import (
    Block,
    Code,
    Emphasis,
    Footnote,
    Image,
    Inline,
    LineBreak,
    Link,
    Paragraph,
    RelatedLinks,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Text,
)
from exporter.readers import _html_blocks
from exporter.readers._html_dom import (
    BLOCK_TAGS,
    HEADINGS,
    Element,
    classes,
    elements,
    line_of,
    raw_text,
    text_of,
)
from exporter.readers._html_inline import BLOCK_BREAK, collapse, is_safe_url, plain, split_paragraphs, tidy
from exporter.readers._related import split_related

_WRAPPERS: dict[str, type[Emphasis | Strong | Strikethrough | Superscript | Subscript]] = {
    "em": Emphasis, "i": Emphasis, "cite": Emphasis, "dfn": Emphasis, "var": Emphasis,
    "strong": Strong, "b": Strong, "s": Strikethrough, "del": Strikethrough, "strike": Strikethrough,
    "sup": Superscript, "sub": Subscript,
}
_NOT_NOTES = HEADINGS | {"a", "sup", "body", "html", "main", "article", "section", "figure", "table", "img"}
"""Targets of `#` links that are not notes: back-link targets, "#top", cross-references to sections."""
_CODE_TAGS = frozenset({"code", "kbd", "samp", "tt"})
_BACKLINK_TEXT = frozenset({"↩", "↩︎", "^", "↑", "⤴"})
_PROSE_LABELS = frozenset({"related", "see also"})
_NOTE_MARKS = re.compile(r"foot-?notes?|end-?notes?|doc-endnotes|doc-footnotes")


@dataclass(slots=True)
class Converter:
    """Walks one document's content; `skip` holds elements that must not appear in the body."""

    path: str
    report: Report
    ids: dict[str, Element] = field(default_factory=dict)
    skip: set[Element] = field(default_factory=set)
    """Elements lifted into metadata or footnotes, or consumed by a neighbour (a quote's footer)."""
    notes: dict[Element, Element] = field(default_factory=dict)
    """Footnote reference (the `<sup>` or the `<a>`) → the element holding the note."""
    active: set[Element] = field(default_factory=set)
    depth: int = 0
    limits: Limits = field(default_factory=current)
    """The job's limits: `nesting` caps `depth`, `footnotes` the references, `table_cells` each table."""
    references: int = 0
    """Footnote references converted so far."""
    warned: set[str] = field(default_factory=set)

    def warn_once(self, code: str, key: str, message: str, el: Element) -> None:
        """One warning per kind of problem per document: a hundred identical lines help nobody."""
        if f"{code}:{key}" not in self.warned:
            self.warned.add(f"{code}:{key}")
            self.report.warn(code, message, path=self.path, line=line_of(el))

    # ------------------------------------------------------------------------------------ footnotes

    def find_notes(self, doc: Element) -> None:
        """Pair every footnote reference with its note, and hide notes (and their section) from the body."""
        for el in doc.iter():
            if isinstance(el.tag, str) and (ident := el.get("id")):
                self.ids.setdefault(ident, el)
        for a in doc.iter("a"):
            href = a.get("href") or ""
            note = self.ids.get(href[1:]) if href.startswith("#") and len(href) > 1 else None
            ref = self._ref_of(a) if note is not None and not _looks_back(a) else None
            if note is None or ref is None:
                continue
            if note.tag == "a" and (note.get("href") or "")[1:] in _ids(ref) and note.getparent() is not None:
                note = note.getparent()  # Google Docs: the note opens with an anchor pointing back at the ref
            if note is None or note.tag in _NOT_NOTES or note is a or note in set(a.iterancestors()):
                continue
            self.notes[ref] = note
            self.skip.add(note)
            self._hide_section(note)
            for back in note.iter("a"):
                if self._is_backlink(back, ref):
                    self.skip.add(back)

    @staticmethod
    def _ref_of(a: Element) -> Element | None:
        """What a footnote reference replaces: `<sup><a>1</a></sup>`, `<a><sup>1</sup></a>`, or a link
        marked as a note reference (Pandoc's `role="doc-noteref"`, `class="footnote-ref"`)."""
        parent = a.getparent()
        if parent is not None and parent.tag == "sup":
            around = (parent.text or "") + (a.tail or "")
            if len(elements(parent)) == 1 and not around.strip(" \t\n[]()"):
                return parent
        marked = a.get("role") == "doc-noteref" or any("footnote" in c for c in classes(a))
        return a if marked or a.find("sup") is not None else None

    def _hide_section(self, note: Element) -> None:
        """Drop the notes section with its notes: it only makes sense next to the numbers it answers."""
        for anc in note.iterancestors():
            if any(_NOTE_MARKS.fullmatch(m) for m in [*classes(anc), anc.get("role") or ""]):
                self.skip.add(anc)
                return
        parent = note.getparent()
        siblings = elements(parent) if parent is not None and parent.tag in ("ol", "ul") else []
        if parent is not None and siblings and all(li in self.skip for li in siblings):
            self.skip.add(parent)

    @staticmethod
    def _is_backlink(back: Element, ref: Element) -> bool:
        return (back.get("href") or "")[1:] in _ids(ref) or _looks_back(back)

    def _footnote(self, ref: Element) -> Inline:
        note = self.notes[ref]
        label = text_of(ref).strip("[]() ") or (note.get("id") or "")
        if note in self.active or self.depth >= self.limits.nesting:  # a loop or a chain: keep the number
            return Superscript(children=(Text(text=label),))
        self.references += 1
        if self.references > self.limits.footnotes:
            raise SourceError(f"footnote {label!r} is one more than the {self.limits.footnotes:,} a source may "
                              f"hold; split the source or {raise_hint('footnotes')}", self.path, line_of(ref))
        self.active.add(note)
        self.depth += 1
        try:
            return Footnote(blocks=tuple(self.flow(note)), label=label)
        finally:
            self.active.discard(note)
            self.depth -= 1

    # --------------------------------------------------------------------------------------- blocks

    def is_block(self, el: Element) -> bool:
        """Block-level by name, or an inline element wrapping blocks (a card `<a>` around `<div>`s)."""
        if el.tag in BLOCK_TAGS:
            return True
        return any(isinstance(d.tag, str) and d.tag in BLOCK_TAGS for d in el.iterdescendants())

    def flow(self, el: Element) -> list[Block]:
        """Blocks from mixed content: runs of loose text and inline elements become paragraphs."""
        blocks: list[Block] = []
        run: list[Inline] = []
        run_elements: list[Element] = []
        loose = [False]  # loose text in the run: then a lone image is an inline image, not a figure

        def add_text(text: str | None) -> None:
            run.append(Text(text=collapse(text)))
            loose[0] = loose[0] or bool(text and text.strip())

        def flush() -> None:
            children = tidy(run)
            image = _html_blocks.lone_image(self, run_elements[0]) \
                if len(run_elements) == 1 and not loose[0] else None
            if image is not None:
                blocks.append(_html_blocks.figure_from(self, image))
            else:
                for part in split_paragraphs(children):
                    blocks.append(self.related_in(part) or Paragraph(children=part))
            run.clear()
            run_elements.clear()
            loose[0] = False

        add_text(el.text)
        kids = elements(el)
        for index, child in enumerate(kids):
            if child not in self.skip:
                if self.is_block(child):
                    flush()
                    blocks.extend(self.related_list(child, kids[index + 1:]) or self.block(child))
                else:
                    run.extend(self.inline(child))
                    run_elements += [] if child.tag == "br" else [child]
            add_text(child.tail)
        flush()
        return blocks

    def block(self, el: Element) -> list[Block]:
        """One block-level element; past the depth cap, what lies below is flattened to a paragraph."""
        if el in self.skip:
            return []
        if self.depth >= self.limits.nesting:
            self.warn_once("html.too-deep", "block", f"elements nested more than {self.limits.nesting} deep were "
                           "flattened to plain text", el)
            text = text_of(el)
            return [Paragraph(children=(Text(text=text),))] if text else []
        self.depth += 1
        try:
            return _html_blocks.convert(self, el)
        finally:
            self.depth -= 1

    def related_list(self, el: Element, following: list[Element]) -> list[Block]:
        """A bare "READ ALSO:" line owns the list right after it (`split_related` wants text after the
        colon, so it is asked about the label with a placeholder standing in for the list)."""
        nxt = next((f for f in following if f not in self.skip), None)
        if el.tag not in ("p", "div") or nxt is None or nxt.tag not in ("ul", "ol"):
            return []
        if (el.tail or "").strip():
            return []
        text = text_of(el)
        found = split_related(f"{text} \u2026") if text.endswith((":", "：")) else None
        if found is None or found[1] != "\u2026":
            return []
        self.skip.add(nxt)
        return [RelatedLinks(label=found[0], links=self.links_in(nxt))]

    def related_in(self, children: tuple[Inline, ...]) -> RelatedLinks | None:
        """Inlines that start with a READ ALSO label; links are kept, bare titles split on `|` or `;`."""
        found = split_related(plain(children))
        if found is None:
            return None
        prose_label = " ".join(found[0].lower().split()) in _PROSE_LABELS
        if prose_label and not any(isinstance(n, Link) for n in children):
            return None  # "See also: the 2019 report…" opens ordinary prose; only with links is it navigation
        titles = [t.strip() for t in re.split(r"\s+[|;]\s+", found[1]) if t.strip()]
        links = tuple(node for node in children if isinstance(node, Link)) or tuple(
            Link(url="", children=(Text(text=t),)) for t in titles)
        return RelatedLinks(label=found[0], links=links)

    def links_in(self, el: Element) -> tuple[Link, ...]:
        """Every safe link under an element, as related-article links."""
        found = []
        for a in el.iter("a"):
            href = (a.get("href") or "").strip()
            children = self.inline_content(a)
            if href and children and is_safe_url(href):
                found.append(Link(url=href, children=children, title=a.get("title") or ""))
        return tuple(found)

    # -------------------------------------------------------------------------------------- inlines

    def inline_content(self, el: Element) -> tuple[Inline, ...]:
        """An element's content as tidy inlines (headings, captions, cells, terms)."""
        return tidy(self.inline_children(el))

    def inline_children(self, el: Element) -> list[Inline]:
        """Untidied inlines of an element's text, children and their tails."""
        out: list[Inline] = [Text(text=collapse(el.text))]
        for child in elements(el):
            if child not in self.skip:
                out.extend(self.inline(child))
            out.append(Text(text=collapse(child.tail)))
        return out

    def inline(self, el: Element) -> list[Inline]:
        """One element in running text."""
        if el in self.notes:
            return [self._footnote(el)]
        if self.depth >= self.limits.nesting:
            self.warn_once("html.too-deep", "inline", f"elements nested more than {self.limits.nesting} deep were "
                           "flattened to plain text", el)
            return [Text(text=collapse(raw_text(el)))]
        self.depth += 1
        try:
            return self._inline(el, el.tag)
        finally:
            self.depth -= 1

    def _inline(self, el: Element, tag: str) -> list[Inline]:
        if tag in _WRAPPERS:
            return [_WRAPPERS[tag](children=tuple(self.inline_children(el)))]
        if tag in _CODE_TAGS:
            return [Code(text=text_of(el))]
        if tag == "a":
            return self._link(el)
        if tag == "img":
            src = self.image_src(el)
            return [Image(src=src, alt=el.get("alt") or "", title=el.get("title") or "", line=line_of(el))] \
                if src else []
        if tag == "br":
            return [LineBreak()]
        if tag == "q":
            return [Text(text="“"), *self.inline_children(el), Text(text="”")]
        if tag == "hr":
            return [BLOCK_BREAK]
        if tag in BLOCK_TAGS:
            return [BLOCK_BREAK, *self.inline_children(el), BLOCK_BREAK]
        return self.inline_children(el)

    def _link(self, el: Element) -> list[Inline]:
        children = self.inline_children(el)
        href = (el.get("href") or "").strip()
        if not href:
            return children
        if not is_safe_url(href):
            self.warn_once("html.unsafe-url", "link", f"link to {href[:40]!r} removed (its text is kept): "
                           "script URLs never survive an export", el)
            return children
        return [Link(url=href, children=tuple(children), title=el.get("title") or "")]

    def image_src(self, img: Element) -> str:
        """The real image behind lazy-loading markup (`data-src`, `srcset`); "" when there is none to keep."""
        src = (img.get("src") or "").strip()
        lazy = (img.get("data-src") or img.get("data-original") or "").strip()
        if lazy and (not src or src.startswith("data:")):
            src = lazy
        if not src and (srcset := (img.get("srcset") or "").strip()):
            src = srcset.split(",")[0].split()[0]
        if src and not is_safe_url(src, image=True):
            self.warn_once("html.unsafe-url", "image", f"image with source {src[:40]!r} removed", img)
            return ""
        return src


def _looks_back(a: Element) -> bool:
    """A "back to the text" link of a note (↩), which must neither be a reference nor stay in the note."""
    return (
        a.get("role") == "doc-backlink"
        or any("backref" in c or "back" in c.split("-") for c in classes(a))
        or text_of(a) in _BACKLINK_TEXT
    )


def _ids(el: Element) -> set[str]:
    """Ids on an element and inside it: where a note's back-link may point."""
    return {i for i in (el.get("id"), *(d.get("id") for d in el.iterdescendants())) if i}
