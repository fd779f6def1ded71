"""markdown-it inline tokens → model inlines, plus the paragraph-level conventions of news copy.

Inline conversion uses an explicit stack instead of recursion: markdown-it nests emphasis without any
limit (`*****…` a few thousand deep is valid input), and a reader must never die of a `RecursionError`.
The conventions live here too because they are decided on inlines: an attribution line closing a quote,
an image alone in its paragraph (a figure, with its photo credit), and the trailing "READ ALSO" links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from markdown_it.token import Token

from exporter.model import (
    Block,
    BulletList,
    Code,
    Emphasis,
    Figure,
    Image,
    Inline,
    LineBreak,
    Link,
    OrderedList,
    Paragraph,
    RawInline,
    RelatedLinks,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Text,
)
from exporter.readers._related import split_related

MAX_INLINE_DEPTH = 50
"""Deepest nesting of emphasis, links and the like that is kept; deeper markup is dropped, its text kept."""

FootnoteHook = Callable[[Token], Inline]
"""Turns a `footnote_ref` token into the inline placed at the reference (the reader owns the definitions)."""
WarnHook = Callable[[str, str], None]
"""Records a warning (code, message); the caller already knows the line."""

_WRAPPERS: dict[str, type[Emphasis | Strong | Strikethrough | Superscript | Subscript]] = {
    "em": Emphasis, "strong": Strong, "s": Strikethrough, "sup": Superscript, "sub": Subscript,
}
_BREAKS = frozenset({"softbreak", "hardbreak"})
_ATTRIBUTION = re.compile(r"^\s*(?:[—―–]|-{2,3})\s*")
_CREDIT = re.compile(
    r"^(?P<caption>.*)[\s(\[]*\b(?:photo(?:graph)?s?|credit|фото)\s*[:：]\s*(?P<credit>[^()\[\]]+?)[)\]]?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_UNDEFINED_NOTE = re.compile(r"\[\^[^\]\s]+\]")
_SENTINEL = "\ue000"  # stands for a link while a READ ALSO line is matched as text
_SEPARATORS = " \t\n|,;·•–—-" + _SENTINEL


def convert(tokens: Sequence[Token], *, footnote: FootnoteHook, warn: WarnHook,
            line: int = 0) -> tuple[Inline, ...]:
    """Convert one inline token's children; soft breaks become spaces and adjacent texts are merged.

    `line` is the file line the tokens start on (0: unknown); images and raw HTML get the line they sit on.
    """
    stack: list[tuple[str, Token, list[Inline]]] = []  # (kind, opening token, parent's children)
    children: list[Inline] = []
    too_deep = False
    for token in tokens:
        if token.nesting == 1:
            kind = token.type.removesuffix("_open")
            if len(stack) >= MAX_INLINE_DEPTH:
                kind, too_deep = "", True
            elif kind not in _WRAPPERS and kind != "link":
                warn("markdown.unknown-inline", f"unsupported inline markup {token.type!r}; its text is kept")
                kind = ""
            stack.append((kind, token, children))
            children = []
        elif token.nesting == -1:
            if stack:
                children = _close(*stack.pop(), children)
        elif (node := _leaf(token, footnote, warn, line)) is not None:
            _add(children, node)
        if line:
            line += _line_ends(token)
    while stack:
        children = _close(*stack.pop(), children)
    if too_deep:
        warn("markdown.too-deep", f"inline markup nested deeper than {MAX_INLINE_DEPTH} levels was flattened")
    return tuple(children)


def _close(kind: str, opener: Token, parent: list[Inline], children: list[Inline]) -> list[Inline]:
    """Wrap `children` in the node `opener` started and add it to `parent` (a dropped wrapper: bare)."""
    if kind == "link":
        url, title = str(opener.attrGet("href") or ""), str(opener.attrGet("title") or "")
        _add(parent, Link(url=url, title=title, children=tuple(children)))
    elif kind:
        _add(parent, _WRAPPERS[kind](children=tuple(children)))
    else:
        for child in children:
            _add(parent, child)
    return parent


def _leaf(token: Token, footnote: FootnoteHook, warn: WarnHook, line: int) -> Inline | None:
    match token.type:
        case "text" | "text_special":
            if "[^" in token.content and (found := _UNDEFINED_NOTE.search(token.content)):
                warn("markdown.undefined-footnote", f"footnote {found.group()} is not defined; kept as text")
            return Text(text=token.content)
        case "softbreak":
            return Text(text=" ")
        case "hardbreak":
            return LineBreak()
        case "code_inline":
            return Code(text=token.content)
        case "html_inline":
            return None if token.content.startswith("<!--") else RawInline(text=token.content, line=line)
        case "image":
            return Image(src=str(token.attrGet("src") or ""), alt=alt_text(token),
                         title=str(token.attrGet("title") or ""), line=line)
        case "footnote_ref":
            return footnote(token)
        case _:
            warn("markdown.unknown-inline", f"unsupported inline markup {token.type!r}; its text is kept")
            return Text(text=token.content) if token.content else None


def _line_ends(token: Token) -> int:
    """How many line ends of the source one inline token spans (a code span's were turned into spaces)."""
    if token.type in _BREAKS:
        return 1
    if token.type == "html_inline":
        return token.content.count("\n")
    if token.type == "image":
        return line_ends(token.children or [])
    return 0


def line_ends(tokens: Sequence[Token]) -> int:
    """How many line ends of the source the tokens span: added to their first line, the line after them."""
    return sum(_line_ends(token) for token in tokens)


def _add(children: list[Inline], node: Inline) -> None:
    """Append, merging a text into a preceding text so renderers never see split runs."""
    if isinstance(node, Text):
        if not node.text:
            return
        if children and isinstance(last := children[-1], Text):
            children[-1] = Text(text=last.text + node.text)
            return
    children.append(node)


def alt_text(image: Token) -> str:
    """The plain text of an image's description (markup dropped, nested images by their own alt)."""
    parts: list[str] = []
    pending = list(reversed(image.children or []))
    while pending:
        token = pending.pop()
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in _BREAKS:
            parts.append(" ")
        elif token.type == "image":
            pending.extend(reversed(token.children or []))
    return "".join(parts)


def is_blank(inlines: tuple[Inline, ...]) -> bool:
    """True when nothing but whitespace would be printed (an empty paragraph)."""
    return all(isinstance(node, Text) and not node.text.strip() for node in inlines)


# ----------------------------------------------------------------------------------------- conventions


def split_attribution(tokens: list[Token], *, whole: bool) -> tuple[list[Token], list[Token]] | None:
    """Split a quote's last paragraph at its last line starting with a dash: (quote part, attribution part).

    `whole` allows the paragraph's first line too (the whole paragraph is then the attribution), which is
    only right when the quote has other blocks; a lone "— …" paragraph is quoted text, not a source.
    """
    starts = [index + 1 for index, token in enumerate(tokens) if token.type in _BREAKS]
    for start in reversed([0, *starts] if whole else starts):
        first = tokens[start] if start < len(tokens) else None
        dash = _ATTRIBUTION.match(first.content) if first is not None and first.type == "text" else None
        if first is None or dash is None:
            continue
        if not first.content[dash.end():].strip() and start + 1 == len(tokens):
            continue  # a dash alone names nobody
        rest = [first.copy(content=first.content[dash.end():]), *tokens[start + 1:]]
        return tokens[:max(start - 1, 0)], rest
    return None


def lone_image(tokens: list[Token]) -> Token | None:
    """The image token when it is the only thing in the paragraph (surrounding whitespace aside)."""
    images = [t for t in tokens if not ((t.type == "text" and not t.content.strip()) or t.type in _BREAKS)]
    return images[0] if len(images) == 1 and images[0].type == "image" else None


def split_credit(text: str) -> tuple[str, str]:
    """(caption, credit) from a caption ending in "Photo: X", "Photograph: X", "Credit: X" or "Фото: X"."""
    found = _CREDIT.match(text)
    if found is None:
        return text.strip(), ""
    return found.group("caption").rstrip(" \t\n,;:—–-(["), found.group("credit").strip()


def figure(image: Token, *, footnote: FootnoteHook, warn: WarnHook, line: int = 0) -> Figure:
    """A figure from a lone image (written on file `line`): the title is the caption, else the alt text."""
    caption: tuple[Inline, ...] = ()
    credit = ""
    title = str(image.attrGet("title") or "")
    if title:
        text, credit = split_credit(title)
        caption = (Text(text=text),) if text else ()
    if not caption and image.children:
        caption = convert(image.children, footnote=footnote, warn=warn, line=line)
        if not credit and caption and isinstance(last := caption[-1], Text):
            text, credit = split_credit(last.text)
            caption = (*caption[:-1], *((Text(text=text),) if text else ()))
    return Figure(src=str(image.attrGet("src") or ""), alt=alt_text(image), caption=caption, credit=credit,
                  line=line)


def related_links(blocks: list[Block]) -> tuple[int, RelatedLinks] | None:
    """The trailing READ ALSO block: (how many final blocks it replaces, the block), or None.

    Two shapes are recognised: a last paragraph "READ ALSO: [a](…) | [b](…)", and a last paragraph that is
    only the label followed by a list whose items are each a single link.
    """
    if blocks and isinstance(last := blocks[-1], Paragraph):
        found = _related_label(last.children)
        links = tuple(n for n in last.children if isinstance(n, Link))
        if found is not None and links:
            return 1, RelatedLinks(label=found, links=links)
    if len(blocks) >= 2 and isinstance(label := blocks[-2], Paragraph) and isinstance(
        items := blocks[-1], BulletList | OrderedList
    ):
        found = _related_label((*label.children, Text(text=" "), Link(url="", children=())))
        found_links = [_only_link(item.blocks) for item in items.items]
        links = tuple(link for link in found_links if link is not None)
        if found is not None and links and len(links) == len(found_links):
            return 2, RelatedLinks(label=found, links=links)
    return None


def _related_label(children: tuple[Inline, ...]) -> str | None:
    """The label when the inlines read "LABEL: link link …" (bold or italic label allowed)."""
    parts: list[str] = []
    for node in children:
        match node:
            case Link():
                parts.append(_SENTINEL)
            case Text():
                parts.append(node.text)
            case LineBreak():
                parts.append("\n")
            case Strong() if not any(isinstance(c, Link) for c in node.children):
                parts.append("**" + "".join(c.text for c in node.children if isinstance(c, Text)) + "**")
            case Emphasis() if not any(isinstance(c, Link) for c in node.children):
                parts.append("".join(c.text for c in node.children if isinstance(c, Text)))
            case _:
                return None
    found = split_related("".join(parts))
    if found is None or not found[1].startswith(_SENTINEL) or found[1].strip(_SEPARATORS):
        return None
    return " ".join(found[0].split())


def _only_link(blocks: tuple[Block, ...]) -> Link | None:
    if len(blocks) == 1 and isinstance(para := blocks[0], Paragraph):
        links = [n for n in para.children if isinstance(n, Link)]
        rest = [n for n in para.children if not isinstance(n, Link)]
        if len(links) == 1 and is_blank(tuple(rest)):
            return links[0]
    return None
