"""Pure `Article → Article` steps shared by every format, run once after reading."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from exporter.bidi import balance_article
from exporter.diagnostics import Report
from exporter.model import (
    MAX_NESTING,
    Article,
    Aside,
    Block,
    BlockQuote,
    BulletList,
    DefinitionItem,
    DefinitionList,
    Heading,
    ListItem,
    OrderedList,
    PullQuote,
    inline_text,
)

MAX_DEPTH = MAX_NESTING


def map_blocks(blocks: tuple[Block, ...], step: Callable[[Block], Block]) -> tuple[Block, ...]:
    """Apply `step` to every block, children first, rebuilding containers only where something changed."""
    return tuple(step(_map_children(b, step)) for b in blocks)


def _map_children(block: Block, step: Callable[[Block], Block]) -> Block:
    match block:
        case BlockQuote() | PullQuote() | Aside():
            return dataclasses.replace(block, blocks=map_blocks(block.blocks, step))
        case BulletList() | OrderedList():
            items = tuple(ListItem(blocks=map_blocks(i.blocks, step)) for i in block.items)
            return dataclasses.replace(block, items=items)
        case DefinitionList():
            defs = tuple(
                DefinitionItem(term=i.term, definitions=tuple(map_blocks(d, step) for d in i.definitions))
                for i in block.items
            )
            return DefinitionList(items=defs)
        case _:
            return block


def assign_heading_ids(article: Article) -> Article:
    """Give every heading a unique, stable anchor id (kept when the source chose one)."""
    from slugify import slugify

    taken: set[str] = {"title", "notes", "corrections", "related"}  # ids the templates use themselves

    def unique(base: str) -> str:
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        return candidate

    def step(block: Block) -> Block:
        if not isinstance(block, Heading):
            return block
        base = block.id or slugify(inline_text(block.children), allow_unicode=True, max_length=60,
                                   word_boundary=True)
        if not base or not base[0].isalpha():
            base = f"h-{base}" if base else "section"
        return dataclasses.replace(block, id=unique(base))

    return dataclasses.replace(article, blocks=map_blocks(article.blocks, step))


def limit_depth(article: Article, report: Report, max_depth: int = MAX_DEPTH) -> Article:
    """Flatten containers nested deeper than `max_depth`, so no renderer can recurse without bound."""
    flattened = False

    def walk(blocks: tuple[Block, ...], depth: int) -> tuple[Block, ...]:
        nonlocal flattened
        out: list[Block] = []
        for block in blocks:
            match block:
                case BlockQuote() | PullQuote() | Aside() if depth >= max_depth:
                    flattened = True
                    out.extend(walk(block.blocks, depth))
                case BlockQuote() | PullQuote() | Aside():
                    out.append(dataclasses.replace(block, blocks=walk(block.blocks, depth + 1)))
                case BulletList() | OrderedList() if depth >= max_depth:
                    flattened = True
                    out.extend(b for i in block.items for b in walk(i.blocks, depth))
                case BulletList() | OrderedList():
                    items = tuple(ListItem(blocks=walk(i.blocks, depth + 1)) for i in block.items)
                    out.append(dataclasses.replace(block, items=items))
                case _:
                    out.append(block)
        return tuple(out)

    blocks = walk(article.blocks, 0)
    if not flattened:
        return article
    report.warn("source.too-deep", f"lists or quotes nested deeper than {max_depth} levels were flattened",
                path=article.source)
    return dataclasses.replace(article, blocks=blocks)


def standard(article: Article, report: Report, *, max_depth: int = MAX_DEPTH, bidi: bool = True) -> Article:
    """The transforms every loaded article goes through, in order (`max_depth`: the `nesting` limit).

    Bidi controls are balanced on the model rather than on the source text because a reader's character
    references (`&#x202E;`) and a JSON source's escapes only become characters here. `bidi=False` skips
    that walk when the caller knows the source cannot hold one (`may_hold_bidi_controls`).
    """
    article = limit_depth(article, report, max_depth)
    return assign_heading_ids(balance_article(article, report) if bidi else article)


_BIDI_HINT = re.compile(rb"\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|&#|\\[uU]")
"""A bidi control in UTF-8, or a character reference or escape that could become one."""


def may_hold_bidi_controls(data: bytes) -> bool:
    """False only when `data` certainly yields no bidi control: valid UTF-8 (or ASCII) without one, and
    without a `&#…;` reference or `\\u` escape. Any other encoding (UTF-16, GB18030 …) says True."""
    if _BIDI_HINT.search(data) is not None:
        return True
    if data.isascii():
        return b"\x00" in data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
