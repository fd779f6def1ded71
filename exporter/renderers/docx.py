"""DOCX output: a Word document editors can work in — styles by name, real footnotes, links and lists.

Editors, lawyers and translators navigate by headings, restyle by styles and expect footnotes to be
footnotes, so every paragraph carries a named style built from the theme's tokens and nothing a style
expresses is set on a run. The model is walked here; everything python-docx cannot do lives in `_ooxml`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any, ClassVar, assert_never

import docx
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT

from exporter import model as m
from exporter.diagnostics import Report
from exporter.html_context import ROLE_ORDER, format_date, labels, locale_key, modified
from exporter.identity import document_authors, document_identifier
from exporter.renderers import _docx_styles, _ooxml
from exporter.resources import ResourcePolicy, image_refused, image_size, media_type
from exporter.themes import Theme
from exporter.urls import safe_url

SOURCE_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".txt", ".text", ".wire"})
"""Links to another source are links to its DOCX, which the pipeline writes next to this one."""
EMU_PER_PX = 9525
EMU_PER_PT = 12700
CONTENTS = {"en": "Contents", "sr-Cyrl": "Садржај", "sr-Latn": "Sadržaj", "sq": "Përmbajtja"}
"""Heading of a collection's table of contents, per `locale_key`."""
FALLBACK_DATE = dt.datetime(1980, 1, 1)
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
"""Word 2010's shadow copy of styles.xml in the template; it would contradict the theme's styles, so it goes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocxRenderer:
    """Word 2007+ documents (`--to docx`); a collection becomes one document with a table of contents."""

    name: ClassVar[str] = "docx"
    suffix: ClassVar[str] = ".docx"
    media_type: ClassVar[str] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    toc: bool = True
    """Put a Word table-of-contents field after a collection's title block."""
    toc_depth: int = 2
    """Heading levels the table of contents lists (article titles are level 1)."""
    allow_remote: bool = False
    """Fetch http(s) images (public addresses only) into the document; off: never touch the network."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses."""
    policy: ResourcePolicy = field(init=False, repr=False, compare=False)
    """What this render may read, built from the two options above; python-docx gets only the bytes it returns."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "policy", ResourcePolicy.for_renderer(
            "docx", allow_remote=self.allow_remote, allow_private_network=self.allow_private_network))
        if not 1 <= self.toc_depth <= 9:
            raise ValueError(f"toc_depth must be between 1 and 9, not {self.toc_depth}")

    def render(self, doc: m.Article | m.Collection, theme: Theme, report: Report) -> bytes:
        """The finished .docx bytes, identical for identical input (and SOURCE_DATE_EPOCH)."""
        language = _docx_styles.word_language(doc.metadata.language)
        template = _styled_template(theme, theme.digest())
        document = docx.Document(io.BytesIO(template.data))
        _docx_styles.apply_language(document, language, template.style_ids)
        _ooxml.prepare_settings(document.settings.element, language,
                                update_fields=isinstance(doc, m.Collection) and self.toc)
        writer = _Writer(document, theme, report, self.policy, template.style_ids)
        writer.page_setup(doc)
        if isinstance(doc, m.Collection):
            writer.collection(doc, toc_depth=self.toc_depth if self.toc else 0)
        else:
            writer.article(doc, prefix="", in_collection=False)
        writer.report_dropped()
        _core_properties(document, doc)
        return _ooxml.package_bytes(document)


@dataclass(frozen=True, slots=True)
class _Template:
    """A styled, empty document and its style ids by name."""

    data: bytes
    """The .docx package."""
    style_ids: Mapping[str, str]
    """Style name → id, read once (python-docx's name lookups scan every style)."""


@functools.lru_cache(maxsize=16)
def _styled_template(theme: Theme, digest: str) -> _Template:
    """The empty, fully styled document for a theme, built once per process (each document then sets its
    own language, `_docx_styles.apply_language`).

    Creating and restyling Word's ~60 styles through python-docx costs a tenth of a second (its style
    lookups are linear scans); an article only needs a copy of the result. `digest` keys the cache on the
    theme's files, so an edited reference.docx or token is picked up.
    """
    del digest  # part of the cache key only
    reference = theme.find_optional("docx/reference.docx")
    document = docx.Document(str(reference)) if reference else docx.Document()
    _ooxml.clear_body(document)
    if reference is None:  # a theme's own reference.docx keeps every style its designer put there
        _ooxml.drop_unused_table_styles(document.styles.element, _docx_styles.table_style_names(theme.tokens))
    _docx_styles.apply_styles(document, theme.tokens, keep_existing=reference is not None)
    _ooxml.drop_package_parts(document.part.package, (RT.THUMBNAIL, STYLES_WITH_EFFECTS, RT.CUSTOM_XML))
    out = io.BytesIO()
    document.save(out)
    return _Template(data=out.getvalue(), style_ids=MappingProxyType({s.name: s.style_id for s in document.styles}))


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Where blocks go and how they look: the container, the part owning its links, the paragraph style."""

    sink: Any
    """Element to move new paragraphs and tables into (a footnote); None appends to the body."""
    part: Any
    """Part whose relationships hyperlinks use (document or footnotes)."""
    source: str
    """Source path, for diagnostics and image lookup."""
    style: str = "Body Text"
    """Style of plain paragraphs here (Quote inside a block quote, Footnote Text inside a note)."""
    offset: int = 0
    """Added to a heading's level so the outline starts at Heading 1 (Heading 2 in a collection)."""
    prefix: str = ""
    """Bookmark prefix keeping anchors of different articles in one collection apart."""
    list_level: int = -1
    """Nesting level of the enclosing list; -1 outside lists."""
    in_note: bool = False
    """True inside a footnote: no nested notes, pictures or outline headings there."""


@dataclass(frozen=True, slots=True)
class _Fmt:
    """Semantic toggles of the current run; `style` is a character style id."""

    italic: bool = False
    bold: bool = False
    strike: bool = False
    vert: str = ""
    style: str = ""

    def rpr(self) -> Any:
        """The run properties for these toggles (None when plain)."""
        return _ooxml.run_properties(style_id=self.style, italic=self.italic, bold=self.bold,
                                     strike=self.strike, vert=self.vert)


class _Writer:
    """Walks the model into one python-docx document; mutable state for one render only."""

    def __init__(self, document: Any, theme: Theme, report: Report, policy: ResourcePolicy,
                 style_ids: Mapping[str, str]) -> None:
        self.document = document
        self.tokens = theme.tokens
        self.report = report
        self.policy = policy
        self.notes = _ooxml.Footnotes(document.part)
        self.numbering = _ooxml.Numbering(document.part)
        self.ids = style_ids
        self.body = document.element.body
        self.bookmarks = 0
        self.dateline = ""
        self.language = "en"
        self.raw: dict[tuple[str, str], list[str]] = {}
        self.text_width = self.text_height = 0

    # -- document structure

    def page_setup(self, doc: m.Article | m.Collection) -> None:
        """Trim, margins and running head from the tokens; remembers the text area for scaling pictures."""
        section = self.document.sections[0]
        self.text_width, self.text_height = _docx_styles.page_setup(section, self.tokens)
        _docx_styles.running_chrome(section, self._running_head(doc.metadata), self.tokens, self.ids)

    def _running_head(self, meta: m.Metadata, collection: m.Metadata | None = None) -> str:
        """The title, and opposite it what the `running_head` token asks for (section or publication)."""
        shown = {"section": meta.section, "publication": meta.publisher or (collection.title if collection else "")}
        parts = [meta.title, shown.get(self.tokens.page.running_head, "")]
        return " · ".join(p for p in parts if p)

    def collection(self, doc: m.Collection, *, toc_depth: int) -> None:
        """Title block and table of contents, then every article in its own section starting a new page."""
        ctx = _Ctx(None, self.document.part, doc.source)
        self._title_block(doc.metadata, ctx, "Title", "")
        if toc_depth:
            self._contents(doc, ctx, toc_depth)
        for number, article in enumerate(doc.articles, 1):
            section = self.document.add_section(WD_SECTION.NEW_PAGE)
            _docx_styles.running_chrome(section, self._running_head(article.metadata, doc.metadata), self.tokens,
                                        self.ids)
            self.article(article, prefix=f"a{number}_", in_collection=True)

    def _contents(self, doc: m.Collection, ctx: _Ctx, depth: int) -> None:
        """A Word TOC field, pre-filled with linked entries so it reads right before anyone updates it."""
        self._text_para(ctx, "TOC Heading", _words(doc.metadata.language)["contents"])
        entries: list[tuple[int, str, str]] = []
        for number, article in enumerate(doc.articles, 1):
            entries.append((1, article.metadata.title, f"a{number}_title"))
            headings = [b for b in m.iter_blocks(article.blocks) if isinstance(b, m.Heading)]
            top = min((h.level for h in headings), default=2)
            entries += [(h.level - top + 2, m.inline_text(h.children), f"a{number}_{h.id}" if h.id else "")
                        for h in headings if h.level - top + 2 <= depth]
        for index, (level, text, anchor) in enumerate(entries):
            paragraph = self._para(ctx, f"TOC {min(level, 3)}")
            if index == 0:
                _ooxml.field_start(paragraph, f'TOC \\o "1-{depth}" \\h \\z \\u')
            link = _ooxml.add_hyperlink(paragraph, ctx.part, f"#{anchor}") if anchor else paragraph
            _ooxml.add_text(link, text, None)
            if index == len(entries) - 1:
                _ooxml.field_end(paragraph)

    def article(self, article: m.Article, *, prefix: str, in_collection: bool) -> None:
        """One article as the syndication page shows it: title block, lead image, body, corrections, tags, rights."""
        levels = [b.level for b in m.iter_blocks(article.blocks) if isinstance(b, m.Heading)]
        top = 2 if in_collection else 1
        ctx = _Ctx(None, self.document.part, article.source, offset=top - min(levels, default=top), prefix=prefix)
        meta = article.metadata
        words, self.language = _words(meta.language), meta.language
        self._title_block(meta, ctx, "Heading 1" if in_collection else "Title", prefix, modified(article))
        if meta.image is not None:
            caption = (m.Text(text=meta.image.caption),) if meta.image.caption else ()
            credit = f"{words['photo']}: {meta.image.credit}" if meta.image.credit else ""
            self._figure(m.Figure(src=meta.image.src, alt=meta.image.alt, caption=caption, credit=credit,
                                  line=meta.image.line), ctx)
        self.dateline = meta.dateline
        self._blocks(article.blocks, ctx)
        if meta.corrections:
            self._text_para(ctx, "Corrections Heading", words["corrections"])
            for correction in meta.corrections:
                self._text_para(ctx, "Correction", f"{format_date(correction.date, meta.language)} {correction.text}")
        if meta.tags:
            self._text_para(ctx, "Tags", f"{words['tags']}: {', '.join(meta.tags)}")
        if meta.rights:
            self._text_para(ctx, "Rights", meta.rights)

    def _title_block(self, meta: m.Metadata, ctx: _Ctx, title_style: str, prefix: str,
                     updated: dt.date | dt.datetime | None = None) -> None:
        """Kicker, headline, dek, one credit line per role and the dates, worded in the article's language."""
        words = _words(meta.language)
        if meta.kicker:
            self._text_para(ctx, "Kicker", meta.kicker)
        title = self._text_para(ctx, title_style, meta.title)
        if prefix:
            self.bookmarks += 1
            _ooxml.add_bookmark(title, f"{prefix}title", self.bookmarks)
        if meta.subtitle:
            self._text_para(ctx, "Subtitle", meta.subtitle)
        for role in ROLE_ORDER:
            names = [p.name for p in meta.credited(role)]
            if names:
                joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {words['and']} {names[-1]}"
                self._text_para(ctx, "Author", f"{words[role]} {joined}")
        dates = [f"{words['published']} {format_date(meta.date, meta.language)}"] if meta.date else []
        updated = updated or meta.updated
        if updated and updated != meta.date:
            dates.append(f"{words['updated']} {format_date(updated, meta.language)}")
        if dates:
            self._text_para(ctx, "Date", " · ".join(dates))

    # -- blocks

    def _para(self, ctx: _Ctx, style: str) -> Any:
        return _ooxml.add_paragraph(self.body if ctx.sink is None else ctx.sink, self.ids[style])

    def _text_para(self, ctx: _Ctx, style: str, text: str) -> Any:
        paragraph = self._para(ctx, style)
        _ooxml.add_text(paragraph, text, None)
        return paragraph

    def _blocks(self, blocks: tuple[m.Block, ...], ctx: _Ctx) -> None:
        for block in blocks:
            self._block(block, ctx)

    def _block(self, block: m.Block, ctx: _Ctx) -> None:
        match block:
            case m.Heading():
                level = min(9, max(1, block.level + ctx.offset))
                paragraph = self._para(ctx, ctx.style if ctx.in_note else f"Heading {level}")
                self._inlines(block.children, paragraph, ctx, _Fmt(bold=ctx.in_note))
                if block.id and not ctx.in_note:
                    self.bookmarks += 1
                    _ooxml.add_bookmark(paragraph, ctx.prefix + block.id, self.bookmarks)
            case m.Paragraph():
                paragraph = self._para(ctx, ctx.style)
                if self.dateline and not ctx.in_note:
                    _ooxml.add_text(paragraph, self.dateline, _Fmt(style=self.ids["Dateline"]).rpr())
                    _ooxml.add_text(paragraph, " — ", None)
                    self.dateline = ""
                self._inlines(block.children, paragraph, ctx, _Fmt())
            case m.BlockQuote() | m.PullQuote():
                style = "Quote" if isinstance(block, m.BlockQuote) else "Pull Quote"
                inner = dataclasses.replace(ctx, style=ctx.style if ctx.in_note else style)
                self._blocks(block.blocks, inner)
                if block.attribution:
                    paragraph = self._para(ctx, ctx.style if ctx.in_note else "Quote Attribution")
                    _ooxml.add_text(paragraph, "— ", None)
                    self._inlines(block.attribution, paragraph, ctx, _Fmt())
            case m.Aside():
                self._blocks(block.blocks, dataclasses.replace(ctx, style=ctx.style if ctx.in_note else "Aside"))
            case m.BulletList() | m.OrderedList():
                self._list(block, ctx)
            case m.DefinitionList():
                for item in block.items:
                    self._inlines(item.term, self._para(ctx, "Definition Term"), ctx, _Fmt())
                    for definition in item.definitions:
                        self._blocks(definition, dataclasses.replace(ctx, style="Definition"))
            case m.CodeBlock():
                _ooxml.add_text(self._para(ctx, "Source Code"), block.text, None)
            case m.Figure():
                self._figure(block, ctx)
            case m.Table():
                self._table(block, ctx)
            case m.ThematicBreak():
                self._text_para(ctx, "Section Break", "* * *")
            case m.RelatedLinks():
                self._text_para(ctx, "Related Heading", block.label or _words(self.language)["read_also"])
                for link in block.links:
                    self._inlines((link,), self._para(ctx, "Related Link"), ctx, _Fmt())
            case m.RawBlock():
                text = self._raw_text(block.text, block.format, ctx)
                if text:
                    self._text_para(ctx, ctx.style, text)
            case _:
                assert_never(block)

    def _list(self, block: m.BulletList | m.OrderedList, ctx: _Ctx) -> None:
        ordered = isinstance(block, m.OrderedList)
        level = ctx.list_level + 1
        num_id = self.numbering.new_list(ordered=ordered, level=min(level, 8),
                                         start=block.start if isinstance(block, m.OrderedList) else 1)
        suffix = "" if level == 0 else f" {min(level, 4) + 1}"
        inner = dataclasses.replace(ctx, list_level=level, style=f"List Continue{suffix}")
        for item in block.items:
            blocks = list(item.blocks)
            paragraph = self._para(ctx, f"List {'Number' if ordered else 'Bullet'}{suffix}")
            _ooxml.set_numbering(paragraph, num_id, min(level, 8))
            if blocks and isinstance(blocks[0], m.Paragraph):
                self._inlines(blocks.pop(0).children, paragraph, ctx, _Fmt())  # type: ignore[union-attr]
            self._blocks(tuple(blocks), inner)

    def _table(self, block: m.Table, ctx: _Ctx) -> None:
        rows = [*block.header, *block.rows]
        columns = max((len(r) for r in rows), default=0)
        if block.caption:
            self._inlines(block.caption, self._para(ctx, "Table Caption"), ctx, _Fmt())
        if not columns:
            return
        table = self.document.add_table(rows=len(rows), cols=columns)
        _ooxml.element(table).tblStyle_val = self.ids["Table"]
        if ctx.sink is not None:
            ctx.sink.append(_ooxml.element(table))
        cells = table._cells  # one pass over the grid; `table.cell(r, c)` rescans it on every call
        for index, row in enumerate(rows):
            header = index < len(block.header)
            if header:
                _ooxml.repeat_header(_ooxml.element(table.rows[index]))
            for column, cell in enumerate(row):
                paragraph = cells[index * columns + column].paragraphs[0]
                style = self.ids["Table Heading" if header else "Table Text"]
                _ooxml.set_paragraph_style(_ooxml.element(paragraph), style)
                align = cell.align or (block.alignments[column] if column < len(block.alignments) else None)
                if align:
                    paragraph.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                                           "right": WD_ALIGN_PARAGRAPH.RIGHT}[align]
                self._inlines(cell.children, _ooxml.element(paragraph), ctx, _Fmt())

    def _figure(self, block: m.Figure, ctx: _Ctx) -> None:
        data = None if ctx.in_note else self._image(block.src, block.line, ctx)
        if data is not None:
            paragraph = self._para(ctx, "Figure")
            self._picture(paragraph, data, block.alt, "", figure=True)
        elif block.alt and not block.caption:
            self._text_para(ctx, "Caption", block.alt)
        if block.caption or block.credit:
            paragraph = self._para(ctx, "Caption")
            self._inlines(block.caption, paragraph, ctx, _Fmt())
            if block.credit:
                _ooxml.add_text(paragraph, " " if block.caption else "", None)
                _ooxml.add_text(paragraph, block.credit, _Fmt(style=self.ids["Credit"]).rpr())

    # -- inlines

    def _inlines(self, nodes: tuple[m.Inline, ...], parent: Any, ctx: _Ctx, fmt: _Fmt) -> None:
        for node in nodes:
            match node:
                case m.Text():
                    _ooxml.add_text(parent, node.text, fmt.rpr())
                case m.Emphasis():
                    self._inlines(node.children, parent, ctx, dataclasses.replace(fmt, italic=not fmt.italic))
                case m.Strong():
                    self._inlines(node.children, parent, ctx, dataclasses.replace(fmt, bold=True))
                case m.Strikethrough():
                    self._inlines(node.children, parent, ctx, dataclasses.replace(fmt, strike=True))
                case m.Superscript():
                    self._inlines(node.children, parent, ctx, dataclasses.replace(fmt, vert="superscript"))
                case m.Subscript():
                    self._inlines(node.children, parent, ctx, dataclasses.replace(fmt, vert="subscript"))
                case m.Code():
                    _ooxml.add_text(parent, node.text, dataclasses.replace(fmt, style=self.ids["Verbatim Char"]).rpr())
                case m.Link():
                    target = _link_target(node.url, ctx.prefix)
                    if target is None:
                        self._inlines(node.children, parent, ctx, fmt)
                    else:
                        link = _ooxml.add_hyperlink(parent, ctx.part, target)
                        self._inlines(node.children, link, ctx, dataclasses.replace(fmt, style=self.ids["Hyperlink"]))
                case m.Image():
                    data = None if ctx.in_note else self._image(node.src, node.line, ctx)
                    if data is None:
                        _ooxml.add_text(parent, node.alt, fmt.rpr())
                    else:
                        self._picture(parent, data, node.alt, node.title, figure=False)
                case m.LineBreak():
                    _ooxml.add_break(parent)
                case m.Footnote():
                    self._footnote(node, parent, ctx)
                case m.RawInline():
                    _ooxml.add_text(parent, self._raw_text(node.text, node.format, ctx), fmt.rpr())
                case _:
                    assert_never(node)

    def _footnote(self, node: m.Footnote, parent: Any, ctx: _Ctx) -> None:
        if ctx.in_note:  # Word cannot anchor a footnote inside a footnote: keep the words in brackets
            self.report.warn("docx.nested-footnote", "a footnote inside a footnote was set in brackets",
                             path=ctx.source)
            _ooxml.add_text(parent, " (", None)
            for block in node.blocks:
                if isinstance(block, m.Paragraph):
                    self._inlines(block.children, parent, ctx, _Fmt())
            _ooxml.add_text(parent, ")", None)
            return
        note_id, note = self.notes.new()
        _ooxml.Footnotes.reference(parent, note_id, self.ids["Footnote Reference"])
        inner = _Ctx(note, self.notes.part, ctx.source, style="Footnote Text", prefix=ctx.prefix, in_note=True)
        self._blocks(node.blocks, inner)
        _ooxml.Footnotes.mark(note, self.ids["Footnote Reference"], self.ids["Footnote Text"])

    def _raw_text(self, text: str, format: str, ctx: _Ctx) -> str:
        """What raw markup says in words: Word cannot hold HTML, so the tags go and the text stays.

        Reported once per source and format (with a count and the first fragment), not once per tag.
        """
        self.raw.setdefault((ctx.source, format), []).append(text)
        if format != "html":
            return text
        return "\n" if re.fullmatch(r"<br\s*/?>", text.strip(), re.IGNORECASE) else _ooxml.markup_text(text)

    def report_dropped(self) -> None:
        """One warning per source and format whose raw markup was reduced to its text."""
        for (source, format), fragments in self.raw.items():
            code = "docx.raw-html-dropped" if format == "html" else "docx.raw-dropped"
            first = " ".join(fragments[0].split())[:60]
            self.report.warn(code, f"{len(fragments)} raw {format} fragment(s) cannot be expressed in Word; "
                             f"their text was kept (first: {first!r})", path=source)

    # -- pictures

    def _image(self, src: str, line: int, ctx: _Ctx) -> bytes | None:
        """The bytes Word can show for `src` (named on the source's `line`), or None after a warning."""
        try:
            data = self.policy.read(src, source=ctx.source, report=self.report, line=line)
        except ValueError as exc:  # a NUL byte in the path: the policy should refuse it, not raise
            self.report.warn("resource.refused", f"{src!r} refused: {exc}", path=ctx.source, line=line)
            return None
        if data is None or image_refused(data, src=src, source=ctx.source, report=self.report, line=line):
            return None  # Pillow or Word would decode it: a bomb or damaged data must not get that far
        converted = _ooxml.embeddable(data)
        if converted is None:
            kind = media_type(data) or "this format"
            self.report.warn("docx.image-unsupported", f"{src!r}: Word cannot show {kind} (or the file is damaged); "
                             "its alt text is used instead", path=ctx.source, line=line)
        return converted

    def _picture(self, parent: Any, data: bytes, alt: str, title: str, *, figure: bool) -> None:
        size = image_size(data) or (640, 480)
        width, height = size[0] * EMU_PER_PX, size[1] * EMU_PER_PX
        if figure:
            scale = min(self.text_width / width, self.text_height * 0.7 / height)
        else:
            line = _docx_styles.points(self.tokens.sizes.base, 11.0) * 1.5 * EMU_PER_PT
            scale = min(1.0, self.text_width / width, line / height)
        _ooxml.add_picture(parent, self.document.part, data, width=int(width * scale), height=int(height * scale),
                           alt=alt, title=title)


def _link_target(url: str, prefix: str) -> str | None:
    """The hyperlink target for a source URL: None for unsafe or empty ones, sources mapped to their DOCX."""
    url = url.strip()
    if not url or safe_url(url) is None:
        return None
    if url.startswith("#"):
        return f"#{prefix}{url[1:]}"
    if "://" in url or ":" in url.split("/", 1)[0]:
        return url
    path, hash_, fragment = url.partition("#")
    pure = PurePosixPath(path)
    if pure.suffix.lower() in SOURCE_SUFFIXES:
        path = str(pure.with_suffix(".docx"))
    return path + hash_ + fragment


def _words(language: str) -> dict[str, str]:
    """The syndication page's words for `language`, plus the ones only a Word document needs."""
    return {"contents": CONTENTS.get(locale_key(language), "Contents"), **labels(language)}


def _timestamp(doc: m.Article | m.Collection) -> dt.datetime:
    """SOURCE_DATE_EPOCH when set, else the document's own date: never the wall clock, so bytes repeat."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None)
    dates = [doc.metadata.date] + ([a.metadata.date for a in doc.articles] if isinstance(doc, m.Collection) else [])
    date = next((d for d in dates if d is not None), None)
    return _as_utc(date) if date else FALLBACK_DATE


def _as_utc(value: dt.date | dt.datetime) -> dt.datetime:
    """A naive UTC datetime as python-docx writes core properties (a bare date is its midnight), 1900 or later.

    Earlier years are written as non-W3CDTF text by python-docx, so they are clamped rather than kept.
    """
    try:
        if isinstance(value, dt.datetime):
            moment = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        else:
            moment = dt.datetime(value.year, value.month, value.day)
    except OverflowError:
        return FALLBACK_DATE
    return max(moment, dt.datetime(1900, 1, 1))


def _core_properties(document: Any, doc: m.Article | m.Collection) -> None:
    """Core properties in the form `exporter check` compares across formats (see `exporter.identity`)."""
    meta = doc.metadata
    author = "; ".join(p.name for p in document_authors(meta)) or meta.publisher  # authors only, as every format
    values = {"title": meta.title, "subject": meta.subtitle, "author": author, "last_modified_by": author,
              "keywords": ", ".join(dict.fromkeys((*meta.tags, *meta.keywords))), "comments": meta.summary,
              "category": meta.section, "language": meta.language,  # the BCP 47 tag; proofing keeps Word's form
              "identifier": document_identifier(meta, doc.source)}
    props = document.core_properties
    for name, value in values.items():
        setattr(props, name, _ooxml.xml_text(value)[:255])  # core.xml fields are short, plain strings
    props.revision = 1
    props.created = props.modified = _timestamp(doc)
    last = modified(doc) if isinstance(doc, m.Article) else None
    if last is not None and not os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        props.modified = _as_utc(last)
