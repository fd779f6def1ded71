"""The canonical article model: the one contract between every reader and every renderer.

Everything is a frozen, slotted, keyword-only dataclass holding tuples, so an `Article` can be shared
between threads, cached and hashed into a manifest without defensive copies. Block and inline nodes are
closed unions (`Block`, `Inline`): a renderer dispatches with `match` and ends with `assert_never`, so
mypy names every renderer that forgot a node type added here. JSON (de)serialisation lives in
`exporter.model_json`, which walks these classes by their type hints.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, TypeAlias

MAX_NESTING = 50
"""Deepest nesting of lists, quotes and asides any reader or transform keeps; deeper levels are flattened."""

SCHEMA_VERSION = 1
"""Version of the JSON form; bumped on any incompatible change to the classes below."""

COLLECTION_FILES = ("collection.yaml", "collection.yml", "collection.toml")
"""The names a collection folder's metadata file may have, the first found wins."""

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
"""What `Metadata.extra` may hold: anything a front-matter parser returns, once dates are ISO strings."""

Alignment: TypeAlias = Literal["left", "center", "right"]
Role: TypeAlias = Literal["author", "photographer", "illustrator", "translator", "editor", "contributor"]



# ---------------------------------------------------------------------------------------------- inlines


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A run of plain text, exactly as the source wrote it (typography already applied)."""

    tag: ClassVar[str] = "text"
    text: str
    """The characters; never contains markup."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Emphasis:
    """Stressed text, usually set in italics."""

    tag: ClassVar[str] = "emphasis"
    children: tuple[Inline, ...]
    """The emphasised inlines."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Strong:
    """Strongly stressed text, usually set in bold."""

    tag: ClassVar[str] = "strong"
    children: tuple[Inline, ...]
    """The strong inlines."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Strikethrough:
    """Text marked as deleted."""

    tag: ClassVar[str] = "strikethrough"
    children: tuple[Inline, ...]
    """The struck-out inlines."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Superscript:
    """Raised text: exponents, ordinals."""

    tag: ClassVar[str] = "superscript"
    children: tuple[Inline, ...]
    """The raised inlines."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscript:
    """Lowered text: chemical formulae."""

    tag: ClassVar[str] = "subscript"
    children: tuple[Inline, ...]
    """The lowered inlines."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    """Inline code or a literal identifier."""

    tag: ClassVar[str] = "code"
    text: str
    """The literal characters."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """A hyperlink around some inlines."""

    tag: ClassVar[str] = "link"
    url: str
    """Target as written in the source (absolute, relative or `#fragment`)."""
    children: tuple[Inline, ...]
    """The link text."""
    title: str = ""
    """Advisory title (tooltip); empty when none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """An image inside running text (an image alone in a paragraph becomes a `Figure` instead)."""

    tag: ClassVar[str] = "image"
    src: str
    """Path relative to the source file, or a URL."""
    alt: str = ""
    """Alternative text; empty means decorative."""
    title: str = ""
    """Advisory title."""
    line: int = 0
    """1-based line in the source file where the reference is written; 0 when unknown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LineBreak:
    """A hard line break inside a paragraph."""

    tag: ClassVar[str] = "line_break"


@dataclass(frozen=True, slots=True, kw_only=True)
class Footnote:
    """A note attached at this point of the text; it carries its own blocks, as in Pandoc's AST."""

    tag: ClassVar[str] = "footnote"
    blocks: tuple[Block, ...]
    """The note's content."""
    label: str = ""
    """The label the source used (`[^label]`), kept for round trips; numbering is the renderer's job."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawInline:
    """Inline markup in another format (HTML), kept so each renderer decides what to do with it."""

    tag: ClassVar[str] = "raw_inline"
    text: str
    """The raw markup."""
    format: str = "html"
    """Format of `text`."""
    line: int = 0
    """1-based line in the source file where the markup starts (images in it are reported there); 0 when unknown."""


Inline: TypeAlias = (
    Text
    | Emphasis
    | Strong
    | Strikethrough
    | Superscript
    | Subscript
    | Code
    | Link
    | Image
    | LineBreak
    | Footnote
    | RawInline
)
"""Every inline node: a closed union."""


# ----------------------------------------------------------------------------------------------- blocks


@dataclass(frozen=True, slots=True, kw_only=True)
class Heading:
    """A section heading inside the body (the article title lives in `Metadata`)."""

    tag: ClassVar[str] = "heading"
    level: int
    """1 to 6."""
    children: tuple[Inline, ...]
    """Heading text."""
    id: str = ""
    """Anchor id, unique in the article: the source's `{#id}`, else made by `transforms.assign_heading_ids`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Paragraph:
    """A paragraph of running text."""

    tag: ClassVar[str] = "paragraph"
    children: tuple[Inline, ...]
    """The paragraph's inlines."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockQuote:
    """A quotation set off from the text, optionally attributed."""

    tag: ClassVar[str] = "block_quote"
    blocks: tuple[Block, ...]
    """The quoted content."""
    attribution: tuple[Inline, ...] = ()
    """Who said it (without the leading dash); empty when not attributed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PullQuote:
    """A display quote repeated from the text for the eye; screen readers may skip it."""

    tag: ClassVar[str] = "pull_quote"
    blocks: tuple[Block, ...]
    """The quote."""
    attribution: tuple[Inline, ...] = ()
    """Who said it; empty when not attributed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Aside:
    """A boxed side note or sidebar (`::: aside`); `kind` keeps the container's name."""

    tag: ClassVar[str] = "aside"
    blocks: tuple[Block, ...]
    """The content of the box."""
    kind: str = "aside"
    """The container name used in the source (aside, note, sidebar, …)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListItem:
    """One item of a bullet or ordered list."""

    tag: ClassVar[str] = "list_item"
    blocks: tuple[Block, ...]
    """The item's content; nested lists are blocks here."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BulletList:
    """An unordered list."""

    tag: ClassVar[str] = "bullet_list"
    items: tuple[ListItem, ...]
    """The items, in order."""
    tight: bool = True
    """True when items are not separated by blank lines (no paragraph spacing)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderedList:
    """A numbered list."""

    tag: ClassVar[str] = "ordered_list"
    items: tuple[ListItem, ...]
    """The items, in order."""
    start: int = 1
    """Number of the first item."""
    tight: bool = True
    """True when items are not separated by blank lines."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DefinitionItem:
    """A term with one or more definitions."""

    tag: ClassVar[str] = "definition_item"
    term: tuple[Inline, ...]
    """The term being defined."""
    definitions: tuple[tuple[Block, ...], ...]
    """Each definition is a sequence of blocks."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DefinitionList:
    """A glossary-style list of terms and definitions."""

    tag: ClassVar[str] = "definition_list"
    items: tuple[DefinitionItem, ...]
    """The terms, in order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeBlock:
    """Preformatted code or literal text."""

    tag: ClassVar[str] = "code_block"
    text: str
    """The literal text, without a trailing newline."""
    language: str = ""
    """Language name from the fence (`python`); empty when unknown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """An illustration set apart from the text, with caption and credit."""

    tag: ClassVar[str] = "figure"
    src: str
    """Image path relative to the source file, or a URL."""
    alt: str = ""
    """Alternative text for readers who cannot see the image; empty means decorative."""
    caption: tuple[Inline, ...] = ()
    """Caption shown under the image."""
    credit: str = ""
    """Photographer or agency credit."""
    width: int | None = None
    """Intrinsic width in pixels, when known."""
    height: int | None = None
    """Intrinsic height in pixels, when known."""
    full_bleed: bool = False
    """True when the design should run the image to the page edge in print."""
    line: int = 0
    """1-based line in the source file where the reference is written; 0 when unknown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TableCell:
    """One cell of a table."""

    tag: ClassVar[str] = "table_cell"
    children: tuple[Inline, ...]
    """The cell's content."""
    align: Alignment | None = None
    """Horizontal alignment; None inherits the column's."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A data table."""

    tag: ClassVar[str] = "table"
    header: tuple[tuple[TableCell, ...], ...]
    """Header rows (usually one), repeated on every page in print."""
    rows: tuple[tuple[TableCell, ...], ...]
    """Body rows."""
    alignments: tuple[Alignment | None, ...] = ()
    """Per-column alignment; None is the default (start)."""
    caption: tuple[Inline, ...] = ()
    """Table caption."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ThematicBreak:
    """A section break (a rule or an ornament)."""

    tag: ClassVar[str] = "thematic_break"


@dataclass(frozen=True, slots=True, kw_only=True)
class RelatedLinks:
    """A "READ ALSO" block pointing readers to other articles."""

    tag: ClassVar[str] = "related_links"
    links: tuple[Link, ...]
    """The related articles; a link's text is the other article's title."""
    label: str = ""
    """The label the source used ("READ ALSO", "ПРОЧИТАЈТЕ И"); empty for the theme's default."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawBlock:
    """A block of markup in another format (HTML); each renderer decides whether it can keep it."""

    tag: ClassVar[str] = "raw_block"
    text: str
    """The raw markup."""
    format: str = "html"
    """Format of `text`."""
    line: int = 0
    """1-based line in the source file where the markup starts (images in it are reported there); 0 when unknown."""


Block: TypeAlias = (
    Heading
    | Paragraph
    | BlockQuote
    | PullQuote
    | Aside
    | BulletList
    | OrderedList
    | DefinitionList
    | CodeBlock
    | Figure
    | Table
    | ThematicBreak
    | RelatedLinks
    | RawBlock
)
"""Every block node: a closed union."""


# --------------------------------------------------------------------------------------------- metadata


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Someone credited on an article."""

    name: str
    """Display name."""
    role: Role = "author"
    """What they did."""
    url: str = ""
    """Profile page."""
    email: str = ""
    """Contact address."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Correction:
    """A published correction, shown in a dated box at the end of the article."""

    date: dt.date | dt.datetime
    """When the correction was made."""
    text: str
    """What was corrected."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadImage:
    """The article's main image (or a collection's cover)."""

    src: str
    """Path relative to the source file, or a URL."""
    alt: str = ""
    """Alternative text."""
    caption: str = ""
    """Caption."""
    credit: str = ""
    """Photographer or agency credit."""
    line: int = 0
    """1-based line in the source file where the reference is written; 0 when unknown."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Identifiers:
    """Stable identifiers for catalogues and retailers."""

    isbn: str = ""
    """ISBN-13 (digits only after validation)."""
    doi: str = ""
    """DOI without the resolver prefix (`10.1234/abc`)."""
    id: str = ""
    """The publisher's own stable id (a CMS id or URN)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Metadata:
    """Everything said about an article (or a collection) other than its body."""

    title: str
    """Headline."""
    subtitle: str = ""
    """Dek / standfirst."""
    kicker: str = ""
    """Short label above the headline."""
    authors: tuple[Person, ...] = ()
    """Bylines and credits (authors, photographers, translators, editors)."""
    dateline: str = ""
    """Place line opening the story ("PRIZREN, Kosovo")."""
    date: dt.date | dt.datetime | None = None
    """Publication date; a datetime is always timezone-aware."""
    updated: dt.date | dt.datetime | None = None
    """Last substantive update."""
    embargo: dt.date | dt.datetime | None = None
    """Not to be published before this moment."""
    corrections: tuple[Correction, ...] = ()
    """Corrections, oldest first."""
    language: str = "en"
    """BCP 47 language tag (`en`, `sr-Cyrl`, `sq`)."""
    direction: Literal["ltr", "rtl", "auto"] = "auto"
    """Text direction; `auto` follows the language's script."""
    section: str = ""
    """Desk or section (World, Culture)."""
    tags: tuple[str, ...] = ()
    """Topics, shown to readers."""
    keywords: tuple[str, ...] = ()
    """Search keywords, not shown."""
    summary: str = ""
    """One-paragraph summary for feeds and search."""
    slug: str = ""
    """URL- and file-safe name; derived from the title when absent."""
    canonical_url: str = ""
    """The article's home on the web."""
    image: LeadImage | None = None
    """Lead image (cover for a collection)."""
    rights: str = ""
    """Copyright and licence statement."""
    publisher: str = ""
    """Publishing organisation."""
    identifiers: Identifiers = field(default_factory=Identifiers)
    """ISBN, DOI and stable id."""
    extra: Mapping[str, JsonValue] = field(default_factory=dict)
    """Every other front-matter key, kept verbatim so nothing a source said is lost."""

    def credited(self, *roles: Role) -> tuple[Person, ...]:
        """People credited in any of `roles`, in source order."""
        return tuple(p for p in self.authors if p.role in roles)


# --------------------------------------------------------------------------------------------- document


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """One article: metadata plus body blocks. The unit every reader produces."""

    metadata: Metadata
    """What is said about the article."""
    blocks: tuple[Block, ...] = ()
    """The body, in reading order."""
    source: str = ""
    """Path of the source file as given to the reader; empty for text loaded from memory."""

    @property
    def word_count(self) -> int:
        """Words in the title, dek and body, footnotes included."""
        head = f"{self.metadata.title} {self.metadata.subtitle}"
        return count_words(head) + sum(count_words(t) for t in iter_texts(self.blocks))

    @property
    def reading_time(self) -> int:
        """Whole minutes at 230 words a minute (at least one)."""
        return reading_minutes(self.word_count)

    @property
    def outline(self) -> tuple[tuple[int, str, str], ...]:
        """(level, id, text) of every body heading, in order."""
        return tuple(
            (b.level, b.id, inline_text(b.children)) for b in iter_blocks(self.blocks) if isinstance(b, Heading)
        )

    @property
    def images(self) -> tuple[str, ...]:
        """Every image source the article refers to (footnotes included), lead image first, without duplicates."""
        found: list[str] = [self.metadata.image.src] if self.metadata.image else []
        found.extend(node.src for node in iter_pictures(self.blocks))
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True, kw_only=True)
class Collection:
    """An ordered set of articles published as one book, anthology or magazine issue."""

    metadata: Metadata
    """The collection's own metadata: title, editors (authors with role `editor`), date, cover (`image`)."""
    articles: tuple[Article, ...] = ()
    """The articles, in reading order."""
    source: str = ""
    """Folder the collection was loaded from; empty when assembled in memory."""

    def metadata_file(self) -> str:
        """Where the collection's own metadata (its cover image, say) was written, for messages about it: the
        folder's `collection.yaml` (`.yml`, `.toml`), else the folder; empty when assembled in memory."""
        return str(collection_file(self.source) or self.source) if self.source else ""


def collection_file(folder: str | Path) -> Path | None:
    """The folder's metadata file: the first of `COLLECTION_FILES` it holds, or None."""
    return next((Path(folder) / n for n in COLLECTION_FILES if (Path(folder) / n).is_file()), None)


# -------------------------------------------------------------------------------------------- traversal


def _block_inlines(block: Block) -> tuple[Inline, ...]:
    """Inlines held directly by a block (not by its child blocks)."""
    match block:
        case Heading() | Paragraph():
            return block.children
        case BlockQuote() | PullQuote():
            return block.attribution
        case Figure():
            return block.caption
        case Table():
            cells = [c for row in (*block.header, *block.rows) for c in row]
            return (*block.caption, *(i for c in cells for i in c.children))
        case RelatedLinks():
            return block.links
        case DefinitionList():
            return tuple(i for item in block.items for i in item.term)
        case _:
            return ()


def _child_blocks(block: Block) -> tuple[Block, ...]:
    match block:
        case BlockQuote() | PullQuote() | Aside():
            return block.blocks
        case BulletList() | OrderedList():
            return tuple(b for item in block.items for b in item.blocks)
        case DefinitionList():
            return tuple(b for item in block.items for d in item.definitions for b in d)
        case _:
            return ()


def iter_blocks(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Every block, depth first, in reading order; footnote blocks are not included."""
    stack = list(reversed(blocks))
    while stack:
        block = stack.pop()
        yield block
        stack.extend(reversed(_child_blocks(block)))


_INLINE_CONTAINERS = (Emphasis, Strong, Strikethrough, Superscript, Subscript, Link)


def iter_inlines(inline: Inline) -> Iterator[Inline]:
    """The inline and every inline nested in it (footnote bodies excluded)."""
    yield inline
    if isinstance(inline, _INLINE_CONTAINERS):
        for child in inline.children:
            if isinstance(child, _INLINE_CONTAINERS):  # leaves (most of a text) need no generator of their own
                yield from iter_inlines(child)
            else:
                yield child


def iter_all_blocks(blocks: tuple[Block, ...]) -> Iterator[Block]:
    """Every block as `iter_blocks` yields it, each followed by the blocks of the footnotes it holds."""
    for block in iter_blocks(blocks):
        yield block
        for top in _block_inlines(block):
            for node in iter_inlines(top):
                if isinstance(node, Footnote):
                    yield from iter_all_blocks(node.blocks)


def iter_pictures(blocks: tuple[Block, ...]) -> Iterator[Figure | Image]:
    """Every figure and inline image in reading order, footnotes included (the lead image is metadata)."""
    for block in iter_all_blocks(blocks):
        if isinstance(block, Figure):
            yield block
        for inline in _block_inlines(block):
            for node in iter_inlines(inline):
                if isinstance(node, Image):
                    yield node


def iter_footnotes(blocks: tuple[Block, ...]) -> Iterator[Footnote]:
    """Every footnote in reading order, including notes nested in other notes."""
    for block in iter_blocks(blocks):
        for top in _block_inlines(block):
            for node in iter_inlines(top):
                if isinstance(node, Footnote):
                    yield node
                    yield from iter_footnotes(node.blocks)


def inline_text(inlines: tuple[Inline, ...]) -> str:
    """The readable text of some inlines (footnotes and raw markup left out)."""
    parts: list[str] = []
    for top in inlines:
        for node in iter_inlines(top):
            match node:
                case Text() | Code():
                    parts.append(node.text)
                case LineBreak():
                    parts.append("\n")
                case Image():
                    parts.append(node.alt)
                case _:
                    pass
    return "".join(parts)


def iter_texts(blocks: tuple[Block, ...]) -> Iterator[str]:
    """Every piece of readable text in the blocks, footnotes included, in reading order."""
    for block in iter_blocks(blocks):
        if isinstance(block, CodeBlock):
            yield block.text
        elif isinstance(block, Figure):
            yield block.credit
        yield inline_text(_block_inlines(block))
        for top in _block_inlines(block):
            for node in iter_inlines(top):
                if isinstance(node, Footnote):
                    yield from iter_texts(node.blocks)


_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters and digits, hyphenated and elided words count once."""
    return len(_WORD.findall(text))


def reading_minutes(words: int) -> int:
    """Whole minutes at 230 words a minute (at least one)."""
    return max(1, round(words / 230))
