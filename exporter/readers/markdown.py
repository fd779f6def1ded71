"""Markdown (CommonMark plus Pandoc-style extensions) → `Article`, through markdown-it-py's token stream.

markdown-it-py parses; this module only walks the flat token stream once and builds model nodes. The
dialect is what our writers use: tables, footnotes, definition lists, `~~strike~~`, `^sup^`, `~sub~`,
fenced divs (`::: pull-quote`, `::: aside`), heading ids (`## Title {#id}`) and the news conventions
decided in `_markdown_inlines` (quote attributions, figures with credits, READ ALSO links).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import ClassVar

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

from exporter.diagnostics import Report
from exporter.errors import ExporterError, SourceError
from exporter.limits import Limits, current, raise_hint
from exporter.model import (
    MAX_NESTING,
    Alignment,
    Article,
    Aside,
    Block,
    BlockQuote,
    BulletList,
    CodeBlock,
    DefinitionItem,
    DefinitionList,
    Footnote,
    Heading,
    Inline,
    ListItem,
    OrderedList,
    Paragraph,
    PullQuote,
    RawBlock,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    inline_text,
)
from exporter.readers import _markdown_inlines as inlines
from exporter.readers._meta import FrontMatter, build_metadata, split_front_matter
from exporter.readers._text import decode_source

MAX_DEPTH = MAX_NESTING
"""The default `nesting` limit (`exporter.limits`): lists, quotes and asides deeper than this are flattened."""
MAX_NOTE_DEPTH = 3
"""Footnotes inside footnotes followed this deep; a deeper (or circular) reference stays as text."""


def _parser_nesting(depth: int) -> int:
    """markdown-it's own limit for a `nesting` limit (a list level is two token levels); it silently drops
    what lies deeper, so it sits well past the point where the builder flattens."""
    return 2 * depth + 20

PULL_QUOTES = frozenset({"pull-quote", "pullquote", "pull_quote"})
"""Fenced-div names that make a `PullQuote`."""
ASIDES = frozenset({"aside", "note", "sidebar"})
"""Fenced-div names that make an `Aside` without a warning (any other name does too, with one)."""

_QUOTES = frozenset({"blockquote", "pull-quote"})
_CONTAINER_NAME = re.compile(r"\s*(?:\{\s*[.#]?([\w-]+)[^}]*\}|\.?([\w-]+))")
_HEADING_ATTRS = re.compile(r"(?:^|\s+)\{([^{}]*)\}\s*$")
_ATTR_ITEM = re.compile(r"#[\w:.-]+|\.[\w-]+|[\w-]+=(?:\"[^\"]*\"|\S+)|-")
_UNSAFE_SCHEME = re.compile(r"^(?:javascript|vbscript|file|data):", re.IGNORECASE)
_SAFE_DATA = re.compile(r"^data:image/(?:gif|png|jpeg|webp);", re.IGNORECASE)
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")
_TABLE_CAPTION = re.compile(r"^Table:\s*")


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkdownReader:
    """Reads Markdown articles; option `typographer` makes quotes curly and `--`, `---`, `...` typographic."""

    name: ClassVar[str] = "markdown"
    suffixes: ClassVar[tuple[str, ...]] = (".md", ".markdown", ".mdown")
    typographer: bool = True
    """Curly quotes, en and em dashes, ellipses and (c)/(tm) signs, by markdown-it's typographer."""

    def read(self, data: bytes, *, path: str, report: Report) -> Article:
        """Decode, split front matter, parse the body; a leading `# Heading` is the title if none is given."""
        front = split_front_matter(decode_source(data, path, report), path)
        limits = current()
        builder = _Builder(path=path, offset=front.body_line, report=report, limits=limits)
        try:
            body = _collapse_markers(front.body, limits.nesting + 5)
            blocks = builder.build(body, _parser(self.typographer, limits.nesting))
        except ExporterError:
            raise
        except RecursionError:
            raise SourceError("the Markdown is nested too deeply to read; simplify the deepest lists or "
                              "quotes", path, builder.line) from None
        except Exception as exc:  # a parser or plugin bug must be a located error, never a traceback
            raise SourceError(f"could not read the Markdown ({type(exc).__name__}: {exc})", path,
                              builder.line) from exc
        fallback = ""
        has_title = _has_title(front)
        if not has_title and blocks and isinstance(first := blocks[0], Heading) and first.level == 1:
            fallback, blocks = inline_text(first.children).strip(), blocks[1:]
        metadata = build_metadata(front, path=path, report=report, fallback_title=fallback)
        if has_title and blocks and isinstance(first := blocks[0], Heading) and first.level == 1 \
                and _same(inline_text(first.children), metadata.title):
            blocks = blocks[1:]  # the title repeated as the body's first line would be printed twice
        return Article(metadata=metadata, blocks=tuple(blocks), source=path)


def _has_title(front: FrontMatter) -> bool:
    data = front.data or {}
    return any(key.lower() == "title" and value not in (None, "") for key, value in data.items())


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


# -------------------------------------------------------------------------------------------- parser


class _Parser(MarkdownIt):
    """markdown-it with link targets kept as written, so `images/слика.png` still names the file on disk."""

    def normalizeLink(self, url: str) -> str:
        """Keep the target as the source wrote it (markdown-it would percent-encode it)."""
        return url

    def validateLink(self, url: str) -> bool:
        """Refuse script and file schemes, even hidden by spaces or control characters (`java\\tscript:`)."""
        bare = _CONTROL_OR_SPACE.sub("", url)
        return not _UNSAFE_SCHEME.match(bare) or bool(_SAFE_DATA.match(bare))


@functools.cache
def _parser(typographer: bool, nesting: int = MAX_DEPTH) -> MarkdownIt:
    """One configured parser per option set and process: building one costs far more than a small parse."""
    md = _Parser("commonmark", {"typographer": typographer, "maxNesting": _parser_nesting(nesting)})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin).use(deflist_plugin).use(superscript_plugin).use(sub_plugin)
    md.use(container_plugin, name="div", validate=lambda params, _markup: _container_name(params) != "")
    md.core.ruler.before("inline", "heading_attributes", _heading_attributes)
    md.core.ruler.before("inline", "table_limit", _table_limit)
    return md


class _TableTooLarge(Exception):
    """Raised out of the parser by `_table_limit`; the builder turns it into a `SourceError` with the path."""

    def __init__(self, line: int, cells: int, limit: int) -> None:
        super().__init__(line, cells, limit)
        self.line, self.cells, self.limit = line, cells, limit


def _table_limit(state: StateCore) -> None:
    """Refuse a table over the `table_cells` limit (`state.env["limits"]`) before its cells' inline markup is
    parsed, which is half the cost of reading a huge table."""
    limits = state.env.get("limits") if isinstance(state.env, dict) else None
    limit = limits.table_cells if isinstance(limits, Limits) else current().table_cells
    start, cells = 0, 0
    for token in state.tokens:
        if token.type == "table_open":
            start, cells = token.map[0] if token.map else 0, 0
        elif token.type in ("th_open", "td_open"):
            cells += 1
            if cells > limit:
                raise _TableTooLarge(start, cells, limit)


_MARKER = re.compile(r"[ \t]{0,3}(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]?")
_MARKED_LINE = re.compile(r"^[ \t]{0,3}(?:>|[*+-][ \t]|\d{1,9}[.)][ \t])", re.MULTILINE)


def _collapse_markers(body: str, keep: int) -> str:
    """Lines that open more than `keep` quotes or lists at once (`> > > … x`, `- - - … x`) lose the extra markers.

    markdown-it stops at its nesting limit and skips everything after that point, the rest of the file
    included; cut down here, the line is read (and flattened past the `nesting` limit, with a warning) and
    nothing after it is lost. Lines with fewer markers, which is every real line, are untouched.
    """
    if _MARKED_LINE.search(body) is None:
        return body
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if not _MARKED_LINE.match(line):
            continue
        position, count, cut = 0, 0, 0
        while (found := _MARKER.match(line, position)) and found.end() > position:
            position, count = found.end(), count + 1
            if count == keep:
                cut = position
        if count > keep:
            lines[index] = line[:cut] + line[position:]
    return "\n".join(lines)


def _container_name(info: str) -> str:
    """`pull-quote` from `::: pull-quote`, `::: {.pull-quote}` or `::: .pull-quote wide`."""
    found = _CONTAINER_NAME.match(info)
    return (found.group(1) or found.group(2)).lower() if found else ""


def _is_comment(html: str) -> bool:
    """True for an HTML block that is one comment and nothing else."""
    html = html.strip()
    return html.startswith("<!--") and html.find("-->") == len(html) - 3


def _language(info: str) -> str:
    """`python` from a fence's info string: "python", "python title=x" or Pandoc's "{.python}"."""
    words = info.replace("{", " ").replace("}", " ").split()
    return words[0].lstrip(".") if words else ""


def _heading_attributes(state: StateCore) -> None:
    """Strip Pandoc heading attributes (`## Title {#id .class}`) before inline parsing; keep the id."""
    tokens = state.tokens
    for index, token in enumerate(tokens[:-1]):
        if token.type != "heading_open" or tokens[index + 1].type != "inline":
            continue
        inline = tokens[index + 1]
        found = _HEADING_ATTRS.search(inline.content)
        if found is None or not all(_ATTR_ITEM.fullmatch(item) for item in found.group(1).split()):
            continue
        inline.content = inline.content[:found.start()]
        for item in found.group(1).split():
            if item.startswith("#"):
                token.attrSet("id", item[1:])


# ------------------------------------------------------------------------------------------- builder


class _Builder:
    """Walks one token stream; each container method consumes tokens up to and including its close."""

    def __init__(self, *, path: str, offset: int, report: Report, limits: Limits) -> None:
        self.path = path
        self.offset = offset
        self.report = report
        self.limits = limits
        self.references = 0
        """Footnote references converted so far, against the `footnotes` limit."""
        self.line = 0
        """File line of the last block token seen, for errors raised from deep inside."""
        self.tokens: list[Token] = []
        self.notes: dict[int, int] = {}
        self.done: dict[int, tuple[Block, ...]] = {}
        self.active: list[int] = []
        self.attribution: tuple[Inline, ...] = ()
        self.warned: set[str] = set()

    def build(self, body: str, md: MarkdownIt) -> list[Block]:
        env: dict[str, object] = {"limits": self.limits}
        try:
            self.tokens = tokens = md.parse(body, env)
        except _TableTooLarge as exc:
            raise SourceError(f"the table starting here has more than {exc.limit:,} cells; split it or "
                              f"{raise_hint('table_cells')}", self.path, exc.line + self.offset) from None
        end = next((i for i in range(len(tokens) - 1, -1, -1) if tokens[i].type == "footnote_block_open"),
                   len(tokens))
        self.notes = {t.meta["id"]: i + 1 for i, t in enumerate(tokens[end:], end)
                      if t.type == "footnote_open"}
        blocks, _ = self.blocks(0, 0, "body", end)
        if found := inlines.related_links(blocks):
            count, related = found
            blocks[-count:] = [related]
        self._unused_notes(env, body)
        return blocks

    def warn(self, code: str, message: str, line: int = 0) -> None:
        self.report.warn(code, message, path=self.path, line=line or self.line)

    def warn_once(self, code: str, message: str) -> None:
        if code not in self.warned:
            self.warned.add(code)
            self.warn(code, message)

    def inlines(self, token: Token) -> tuple[Inline, ...]:
        return inlines.convert(token.children or [], footnote=self.footnote, warn=self.warn,
                               line=self.line_of(token))

    def line_of(self, token: Token) -> int:
        """The file line a token starts on (markdown-it counts from 0 in the body); the last block's if unknown."""
        return token.map[0] + self.offset if token.map else self.line

    def blocks(self, i: int, depth: int, parent: str, end: int = -1) -> tuple[list[Block], int]:
        """Blocks from `i` up to the closing token of `parent` (or `end`); returns them and the next index."""
        out: list[Block] = []
        stop = len(self.tokens) if end < 0 else end
        while i < stop:
            if self.tokens[i].nesting == -1:
                return out, i + 1
            i = self.block(i, depth, parent, out)
        return out, i

    def block(self, i: int, depth: int, parent: str, out: list[Block]) -> int:
        """Convert the block starting at token `i`, append it to `out`, return the index after it."""
        token = self.tokens[i]
        if token.map:
            self.line = token.map[0] + self.offset
        match token.type:
            case "paragraph_open":
                return self.paragraph(i, parent, out)
            case "heading_open":
                children = self.inlines(self.tokens[i + 1])
                if inlines.is_blank(children):
                    self.warn("markdown.empty-heading", "empty heading dropped")
                else:
                    out.append(Heading(level=int(token.tag[1:]), children=children,
                                       id=str(token.attrGet("id") or "")))
                return i + 3
            case "blockquote_open" | "container_div_open":
                return self.quote(i, depth, out)
            case "bullet_list_open" | "ordered_list_open":
                return self.listing(i, depth, out)
            case "dl_open":
                return self.definitions(i, depth, out)
            case "table_open":
                return self.table(i, out)
            case "fence" | "code_block":
                out.append(CodeBlock(text=token.content.removesuffix("\n"), language=_language(token.info)))
            case "hr":
                out.append(ThematicBreak())
            case "html_block":
                if not _is_comment(token.content):  # comments are notes to editors, not content
                    out.append(RawBlock(text=token.content.rstrip("\n"), line=self.line))
            case "footnote_anchor":
                pass
            case _ if token.nesting == 1:
                self.warn("markdown.unknown-block", f"unsupported block {token.type!r}; its content is kept")
                inner, i = self.blocks(i + 1, depth, "unknown")
                out.extend(inner)
                return i
            case _:
                self.warn("markdown.unknown-block", f"unsupported block {token.type!r} dropped")
        return i + 1

    def paragraph(self, i: int, parent: str, out: list[Block]) -> int:
        close = i + 2
        while self.tokens[close].type != "paragraph_close":
            close += 1  # footnote anchors sit between a note's last inline and its paragraph_close
        inline = self.tokens[i + 1]
        children = list(inline.children or [])
        line = self.line_of(inline)
        last_in_quote = parent in _QUOTES and self.tokens[close + 1].nesting == -1
        if last_in_quote and (split := inlines.split_attribution(children, whole=bool(out))):
            at = line + inlines.line_ends(children[:len(children) - len(split[1])])
            children, attribution = split
            self.attribution = inlines.convert(attribution, footnote=self.footnote, warn=self.warn, line=at)
        if (image := inlines.lone_image(children)) is not None:
            at = line + inlines.line_ends(children[:next(n for n, t in enumerate(children) if t is image)])
            out.append(inlines.figure(image, footnote=self.footnote, warn=self.warn, line=at))
            return close + 1
        content = inlines.convert(children, footnote=self.footnote, warn=self.warn, line=line)
        if out and isinstance(table := out[-1], Table) and not table.caption and content \
                and isinstance(first := content[0], Text) and (cap := _TABLE_CAPTION.match(first.text)):
            caption = (Text(text=first.text[cap.end():]), *content[1:])  # Pandoc's "Table: caption"
            out[-1] = dataclasses.replace(table, caption=caption)
        elif not inlines.is_blank(content):
            out.append(Paragraph(children=content))
        return close + 1

    def quote(self, i: int, depth: int, out: list[Block]) -> int:
        token = self.tokens[i]
        name = "blockquote" if token.type == "blockquote_open" else _container_name(token.info)
        if self.too_deep(token, depth, 1):
            children, i = self.blocks(i + 1, depth, "flattened")
            out.extend(children)
            return i
        kind = "pull-quote" if name in PULL_QUOTES else "blockquote" if name == "blockquote" else "aside"
        self.attribution = ()
        children, i = self.blocks(i + 1, depth + 1, kind)
        attribution, self.attribution = self.attribution, ()
        if name == "blockquote":
            out.append(BlockQuote(blocks=tuple(children), attribution=attribution))
        elif name in PULL_QUOTES:
            out.append(PullQuote(blocks=tuple(children), attribution=attribution))
        else:
            if name not in ASIDES:
                self.warn("markdown.unknown-container",
                          f"unknown fenced div '::: {name}' read as a generic aside (known: pull-quote, "
                          f"{', '.join(sorted(ASIDES))})", token.map[0] + self.offset if token.map else 0)
            out.append(Aside(blocks=tuple(children), kind=name))
        return i

    def listing(self, i: int, depth: int, out: list[Block]) -> int:
        token = self.tokens[i]
        flat = self.too_deep(token, depth, 2)
        items: list[ListItem] = []
        tight: bool | None = None
        i += 1
        while self.tokens[i].type == "list_item_open":
            if tight is None and self.tokens[i + 1].type == "paragraph_open":
                tight = self.tokens[i + 1].hidden  # markdown-it hides the paragraphs of tight lists
            blocks, i = self.blocks(i + 1, depth + (not flat), "list")
            items.append(ListItem(blocks=tuple(blocks)))
        if flat:
            out.extend(block for item in items for block in item.blocks)
        elif token.type == "bullet_list_open":
            out.append(BulletList(items=tuple(items), tight=tight is not False))
        else:
            start = token.attrGet("start")
            out.append(OrderedList(items=tuple(items), start=1 if start is None else int(start),
                                   tight=tight is not False))
        return i + 1

    def definitions(self, i: int, depth: int, out: list[Block]) -> int:
        items: list[DefinitionItem] = []
        i += 1
        while self.tokens[i].type == "dt_open":
            term = self.inlines(self.tokens[i + 1])
            i += 3
            definitions: list[tuple[Block, ...]] = []
            while self.tokens[i].type == "dd_open":
                blocks, i = self.blocks(i + 1, depth + 1, "definition")
                definitions.append(tuple(blocks))
            items.append(DefinitionItem(term=term, definitions=tuple(definitions)))
        out.append(DefinitionList(items=tuple(items)))
        return i + 1

    def table(self, i: int, out: list[Block]) -> int:
        header: list[tuple[TableCell, ...]] = []
        rows: list[tuple[TableCell, ...]] = []
        alignments: list[Alignment | None] = []
        section = header
        i += 1
        while self.tokens[i].type != "table_close":
            token = self.tokens[i]
            if token.type in ("thead_open", "tbody_open"):
                section = header if token.type == "thead_open" else rows
            elif token.type == "tr_open":
                cells, i = self.row(i + 1, alignments if section is header else None)
                section.append(cells)
                continue
            i += 1
        out.append(Table(header=tuple(header), rows=tuple(rows), alignments=tuple(alignments)))
        return i + 1

    def row(self, i: int, alignments: list[Alignment | None] | None) -> tuple[tuple[TableCell, ...], int]:
        """One table row from the token after `tr_open`; header rows also record column alignments."""
        cells: list[TableCell] = []
        while self.tokens[i].type in ("th_open", "td_open"):
            style = str(self.tokens[i].attrGet("style") or "")
            if alignments is not None:
                alignments.append(_ALIGN.get(style.removeprefix("text-align:").strip()))
            children = self.inlines(self.tokens[i + 1]) if self.tokens[i + 1].type == "inline" else ()
            cells.append(TableCell(children=children))
            i += 3 if self.tokens[i + 1].type == "inline" else 2
        return tuple(cells), i + 1

    def too_deep(self, token: Token, depth: int, levels: int) -> bool:
        """True (after one warning) when a container is past the `nesting` limit and must be flattened.

        `levels` is how many token levels the container opens before its content (a list two: list, item);
        at markdown-it's own limit that content was never parsed, which deserves its own warning.
        """
        nesting = self.limits.nesting
        if token.level + levels >= _parser_nesting(nesting):
            self.warn_once("markdown.too-deep-dropped", "content nested more than about "
                           f"{_parser_nesting(nesting) // 2} lists deep cannot be parsed and was dropped")
        if depth < nesting:
            return False
        self.warn_once("markdown.too-deep",
                       f"lists or quotes nested deeper than {nesting} levels were flattened")
        return True

    def footnote(self, ref: Token) -> Inline:
        """The note at a reference: its definition's blocks, converted once and shared by every reference."""
        note_id: int = ref.meta["id"]
        label = str(ref.meta.get("label") or "")
        self.references += 1
        if self.references > self.limits.footnotes:
            raise SourceError(f"footnote [^{label}] is one more than the {self.limits.footnotes:,} a source may "
                              f"hold; split the source or {raise_hint('footnotes')}", self.path, self.line)
        if note_id not in self.done:
            start = self.notes.get(note_id)
            if start is None or note_id in self.active or len(self.active) >= MAX_NOTE_DEPTH:
                self.warn("markdown.footnote-loop", f"footnote [^{label}] refers to itself or is nested more "
                          f"than {MAX_NOTE_DEPTH} notes deep; the reference is kept as text")
                return Text(text=f"[^{label}]")
            self.active.append(note_id)
            saved_line, saved_attribution = self.line, self.attribution
            blocks, _ = self.blocks(start, 0, "footnote")
            self.line, self.attribution = saved_line, saved_attribution
            self.active.pop()
            self.done[note_id] = tuple(blocks)
        return Footnote(blocks=self.done[note_id], label=label)

    def _unused_notes(self, env: dict[str, object], body: str) -> None:
        data = env.get("footnotes")
        refs = data.get("refs", {}) if isinstance(data, dict) else {}
        for key, note_id in refs.items():
            if note_id == -1:
                label = str(key)[1:]
                where = body.find(f"[^{label}]:")
                line = body.count("\n", 0, where) + self.offset if where >= 0 else 0
                self.warn("markdown.unused-footnote", f"footnote [^{label}] is defined but never referenced; "
                          "it was dropped", line)


_ALIGN: dict[str, Alignment] = {"left": "left", "center": "center", "right": "right"}
