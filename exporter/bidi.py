"""Bidirectional controls kept only where they pair up, so no stray override can reorder the text after it.

Arabic, Hebrew and mixed copy legitimately wraps phrases in embeddings (LRE, RLE, LRO, RLO … PDF) and
isolates (LRI, RLI, FSI … PDI). An opener nobody closes, though, reorders everything up to the end of the
paragraph (the "Trojan Source" trick makes text read differently from what it says), and a stray closer
is at best noise that some validators and Word reject. `balance` keeps exactly the pairs the Unicode
Bidirectional Algorithm would match within one paragraph and drops the rest; `balance_article` applies it
to every piece of text in an article, treating a paragraph's inlines (emphasis, links, code) as one run.
LRM, RLM and ALM are marks, not brackets, and always stay.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from typing import TypeVar, assert_never

from exporter.diagnostics import Report
from exporter.model import (
    Article,
    Code,
    Emphasis,
    Footnote,
    Image,
    Inline,
    LineBreak,
    Link,
    Metadata,
    RawInline,
    RelatedLinks,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Text,
)

EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
"""LRE, RLE, LRO, RLO: closed by PDF (U+202C)."""
ISOLATES = frozenset("\u2066\u2067\u2068")
"""LRI, RLI, FSI: closed by PDI (U+2069)."""
PDF, PDI = "\u202c", "\u2069"
_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_PARAGRAPH_ENDS = frozenset("\n\r\x1c\x1d\x1e\x85\u2029")
"""Bidi class B: the algorithm closes every open embedding and isolate here, so a pair cannot span one."""
_INLINE_TYPES = (Text, Emphasis, Strong, Strikethrough, Superscript, Subscript, Code, Link, Image, LineBreak,
                 Footnote, RawInline)

T = TypeVar("T")


def balance(text: str) -> str:
    """`text` without the bidi controls that do not pair up within their paragraph."""
    if _CONTROLS.search(text) is None:
        return text
    return balance_run([text])[0]


def balance_run(pieces: Sequence[str]) -> list[str]:
    """`pieces` read as one run of text (a paragraph split over inline nodes), unpaired controls removed.

    Pairing follows the algorithm's rules X5–X7: a PDI closes the nearest open isolate and every embedding
    opened inside it (those are then unpaired), a PDF closes an embedding only when no isolate was opened
    after it, and whatever is still open at the end of a paragraph is unpaired.
    """
    text = "".join(pieces)
    drop: set[int] = set()
    stack: list[tuple[str, int]] = []
    for index, char in enumerate(text):
        if char in EMBEDDINGS:
            stack.append(("embedding", index))
        elif char in ISOLATES:
            stack.append(("isolate", index))
        elif char == PDF:
            if stack and stack[-1][0] == "embedding":
                stack.pop()
            else:
                drop.add(index)
        elif char == PDI:
            if any(kind == "isolate" for kind, _ in stack):
                while stack[-1][0] != "isolate":
                    drop.add(stack.pop()[1])
                stack.pop()
            else:
                drop.add(index)
        elif char in _PARAGRAPH_ENDS:
            drop.update(position for _, position in stack)
            stack.clear()
    drop.update(position for _, position in stack)
    out: list[str] = []
    start = 0
    for piece in pieces:
        end = start + len(piece)
        hit = any(start <= i < end for i in drop)  # else the very same object: callers compare by identity
        out.append("".join(c for i, c in enumerate(piece, start) if i not in drop) if hit else piece)
        start = end
    return out


def balance_article(article: Article, report: Report) -> Article:
    """The article with unpaired bidi controls removed everywhere; one `text.bidi-unbalanced` warning if any were."""
    walker = _Walker()
    metadata = walker.walk(article.metadata)
    blocks = walker.walk(article.blocks)
    if not walker.changed:
        return article
    report.warn("text.bidi-unbalanced", "removed bidi override, embedding or isolate characters (U+202A–202E, "
                "U+2066–2069) not closed or not opened within their paragraph: they could make the text display "
                "in another order than it is written", path=article.source)
    return dataclasses.replace(article, metadata=metadata, blocks=blocks)


def balance_metadata(metadata: Metadata, report: Report, path: str) -> Metadata:
    """`balance_article` for metadata alone (a collection's own title, editors, cover credits)."""
    return balance_article(Article(metadata=metadata, source=path), report).metadata


class _Walker:
    """Rebuilds a model with balanced text; unchanged subtrees keep their identity, so a clean article is
    returned as it came."""

    def __init__(self) -> None:
        self.changed = False

    def walk(self, node: T) -> T:
        """`node` with every string balanced on its own, and every tuple of inlines balanced as one run."""
        result: object = node
        if isinstance(node, str):
            result = balance(node)
        elif isinstance(node, tuple):
            if node and all(isinstance(item, _INLINE_TYPES) for item in node):
                result = self.run(node)
            else:
                result = _same_or(node, tuple(self.walk(item) for item in node))
        elif isinstance(node, RelatedLinks):  # each link is a line of its own, not one run with the others
            links = tuple(self.run((link,))[0] for link in node.links)
            result = _replace(node, links=_same_or(node.links, links), label=self.walk(node.label))
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            result = _replace(node, **{name: self.walk(value) for name, value in _fields(node)})
        if result is not node:
            self.changed = True
        return result  # type: ignore[return-value]  # every branch rebuilds the type it was given

    def run(self, inlines: tuple[Inline, ...]) -> tuple[Inline, ...]:
        """One paragraph's inlines: their `Text` and `Code` leaves balanced together."""
        pieces: list[str] = []
        _collect(inlines, pieces)
        balanced = iter(balance_run(pieces) if any(_CONTROLS.search(p) for p in pieces) else pieces)
        return self._inlines(inlines, balanced)

    def _inlines(self, inlines: tuple[Inline, ...], leaves: Iterator[str]) -> tuple[Inline, ...]:
        return _same_or(inlines, tuple(self._inline(node, leaves) for node in inlines))

    def _inline(self, node: Inline, leaves: Iterator[str]) -> Inline:
        match node:
            case Text() | Code():
                return _replace(node, text=next(leaves))
            case Emphasis() | Strong() | Strikethrough() | Superscript() | Subscript():
                return _replace(node, children=self._inlines(node.children, leaves))
            case Link():
                return _replace(node, children=self._inlines(node.children, leaves), url=self.walk(node.url),
                                title=self.walk(node.title))
            case Image() | Footnote() | RawInline() | LineBreak():
                return self.walk(node)  # alt text, titles, raw markup and notes are runs of their own
            case _:
                assert_never(node)


def _collect(inlines: tuple[Inline, ...], pieces: list[str]) -> None:
    """The run's text leaves in reading order, as `_Walker._inline` consumes them."""
    for node in inlines:
        match node:
            case Text() | Code():
                pieces.append(node.text)
            case Emphasis() | Strong() | Strikethrough() | Superscript() | Subscript() | Link():
                _collect(node.children, pieces)
            case _:
                pass


def _fields(node: object) -> Iterator[tuple[str, object]]:
    """A model node's fields that can hold text (strings, tuples, nested nodes; not dates or `extra`)."""
    for item in dataclasses.fields(node):  # type: ignore[arg-type]  # only called on dataclass instances
        value = getattr(node, item.name)
        if item.init and (isinstance(value, (str, tuple)) or dataclasses.is_dataclass(value)):
            yield item.name, value


def _same_or(old: tuple[T, ...], new: tuple[T, ...]) -> tuple[T, ...]:
    """`old` when every item is the very same object, so untouched tuples keep their identity."""
    return old if all(a is b for a, b in zip(old, new, strict=True)) else new


def _replace(node: T, **values: object) -> T:
    """`node` with the fields in `values` that differ (by identity) from its own; `node` itself when none do."""
    changes = {name: value for name, value in values.items() if value is not getattr(node, name)}
    return dataclasses.replace(node, **changes) if changes else node  # type: ignore[type-var]
