"""Inline tidying for the HTML reader: whitespace collapsed as a browser lays it out, text runs merged.

HTML source whitespace is layout noise: an indented `<p>` spreads one sentence over several lines, and
`<em>` tags leave spaces on both sides of a boundary. The model holds text as a reader sees it, so the
converter first collects raw runs (`collapse`d but not trimmed) and `tidy` then applies the CSS
`white-space: normal` rules across element boundaries: one space between words, none at the start or end
of a block or around a line break.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

from exporter.model import (
    Code,
    Emphasis,
    Inline,
    LineBreak,
    Link,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Text,
    inline_text,
)

BLOCK_BREAK = LineBreak()
"""Marks where a block element stood inside an inline-only context (a table cell, a caption); recognised
by identity, it becomes a real `LineBreak` between content and vanishes at the edges or next to a `<br>`."""

_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's ASCII whitespace; U+00A0 is content, not layout
_DASHES = "—―–-~ "
_CREDIT = re.compile(
    r"^(?P<before>.*?)\s*[(\[]?\s*(?:photo(?:graph)?s?|credit|image|illustration|foto|fotografija)\s*:\s*"
    r"(?P<credit>[^()\[\]]+?)\s*[)\]]?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CREDIT_LABEL = re.compile(r"^\s*(?:photo(?:graph)?s?|credit|image|illustration|foto|fotografija)\s*:\s*",
                           re.IGNORECASE)
_UNSAFE = ("javascript:", "vbscript:", "data:", "file:")
_Wrapper = Emphasis | Strong | Strikethrough | Superscript | Subscript | Link


def collapse(text: str | None) -> str:
    """Runs of HTML whitespace as one space; trimming is left to `tidy`, which sees the neighbours."""
    return _SPACE.sub(" ", text) if text else ""


def tidy(inlines: Sequence[Inline]) -> tuple[Inline, ...]:
    """Trim spaces at block edges and around breaks, merge adjacent text and drop empty wrappers."""
    nodes = _backward(_forward(inlines, [True]), [True])
    out: list[Inline] = []
    for node in nodes:
        if node is BLOCK_BREAK and (not out or isinstance(out[-1], LineBreak)):
            continue
        if isinstance(node, LineBreak) and out and out[-1] is BLOCK_BREAK:
            out[-1] = node
            continue
        out.append(node)
    while out and out[-1] is BLOCK_BREAK:
        out.pop()
    return tuple(LineBreak() if node is BLOCK_BREAK else node for node in out)


def _forward(nodes: Sequence[Inline], space: list[bool]) -> list[Inline]:
    """Drop a space that follows a space, a break or the block start; `space[0]` carries across wrappers."""
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Text):
            text = node.text.lstrip(" ") if space[0] else node.text
            if not text:
                continue
            space[0] = text.endswith(" ")
            if out and isinstance(out[-1], Text):
                out[-1] = Text(text=out[-1].text + text)
            else:
                out.append(Text(text=text))
        elif isinstance(node, LineBreak):
            space[0] = True
            out.append(node)
        elif isinstance(node, _Wrapper):
            children = _forward(node.children, space)
            if children:
                out.append(replace(node, children=tuple(children)))
        else:
            space[0] = False
            out.append(node)
    return out


def _backward(nodes: Sequence[Inline], space: list[bool]) -> list[Inline]:
    """Drop a space before a break or the block end, walking from the end."""
    out: list[Inline] = []
    for node in reversed(nodes):
        if isinstance(node, Text):
            text = node.text.rstrip(" ") if space[0] else node.text
            if text:
                space[0] = False
                out.append(Text(text=text))
        elif isinstance(node, LineBreak):
            space[0] = True
            out.append(node)
        elif isinstance(node, _Wrapper):
            children = _backward(node.children, space)
            if children:
                out.append(replace(node, children=tuple(children)))
        else:
            space[0] = False
            out.append(node)
    out.reverse()
    return out


def split_paragraphs(inlines: tuple[Inline, ...]) -> list[tuple[Inline, ...]]:
    """Paragraphs a CMS separated with `<br><br>` instead of `<p>`: two or more breaks end a paragraph."""
    if not any(isinstance(a, LineBreak) and isinstance(b, LineBreak) for a, b in pairwise(inlines)):
        return [] if is_blank(inlines) else [inlines]
    parts: list[list[Inline]] = [[]]
    for index, node in enumerate(inlines):
        breaks_around = isinstance(node, LineBreak) and (
            (index + 1 < len(inlines) and isinstance(inlines[index + 1], LineBreak))
            or (index > 0 and isinstance(inlines[index - 1], LineBreak)))
        if not breaks_around:
            parts[-1].append(node)
        elif parts[-1]:
            parts.append([])
    return [tidy(part) for part in parts if not is_blank(part)]


def plain(inlines: Sequence[Inline]) -> str:
    """Readable one-line text (titles, credits): breaks become spaces."""
    return " ".join(inline_text(tuple(inlines)).split())


def is_blank(inlines: Sequence[Inline]) -> bool:
    """True when nothing would be visible: CMS exports are full of `<p>&nbsp;</p>` spacers."""
    if inline_text(tuple(inlines)).strip():
        return False
    return all(isinstance(node, Text | LineBreak | Code) for node in inlines)


def strip_dash(inlines: Sequence[Inline]) -> tuple[Inline, ...]:
    """An attribution without its leading dash ("— Name" → "Name"); the renderer adds its own."""
    if inlines and isinstance(inlines[0], Text):
        return tidy([Text(text=inlines[0].text.lstrip(_DASHES)), *inlines[1:]])
    return tuple(inlines)


def starts_with_dash(inlines: Sequence[Inline]) -> bool:
    """Whether a closing paragraph reads as an attribution ("— Name")."""
    return bool(inlines) and isinstance(inlines[0], Text) and inlines[0].text.startswith(("—", "―", "–"))


def split_credit(caption: Sequence[Inline]) -> tuple[tuple[Inline, ...], str]:
    """Take a trailing "Photo: X" (or "(Credit: X)") off a caption: the model keeps the credit apart."""
    if not caption or not isinstance(caption[-1], Text):
        return tuple(caption), ""
    found = _CREDIT.match(caption[-1].text)
    if found is None:
        return tuple(caption), ""
    before = found.group("before")
    return tidy([*caption[:-1], *([Text(text=before)] if before else [])]), found.group("credit").strip()


def credit_text(text: str) -> str:
    """A credit element's text without a "Photo:" label."""
    return _CREDIT_LABEL.sub("", " ".join(text.split()))


def is_safe_url(url: str, *, image: bool = False) -> bool:
    """False for script-carrying schemes; browsers ignore control characters inside a scheme, so do we."""
    squeezed = re.sub(r"[\x00-\x20]", "", url).lower()
    if image and squeezed.startswith("data:image/"):
        return True
    return not squeezed.startswith(_UNSAFE)
