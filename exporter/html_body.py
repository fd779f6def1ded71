"""Model → semantic HTML body, shared by the HTML, EPUB and PDF renderers so the three never drift apart.

The output is polyglot markup (valid HTML5 and well-formed XML), so EPUB can use it as XHTML unchanged.
What differs per format is passed in `BodyOptions`: how footnotes are placed, how links and images are
mapped to the output's own files, and what happens to raw HTML from the source.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Literal, TypeAlias, assert_never

from exporter.diagnostics import Report
from exporter.model import (
    Article,
    Aside,
    Block,
    BlockQuote,
    BulletList,
    Code,
    CodeBlock,
    DefinitionList,
    Emphasis,
    Figure,
    Footnote,
    Heading,
    Image,
    Inline,
    LineBreak,
    Link,
    OrderedList,
    Paragraph,
    PullQuote,
    RawBlock,
    RawInline,
    RelatedLinks,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
)
from exporter.urls import safe_url

FootnoteStyle = Literal["section", "aside", "float"]


@dataclass(frozen=True, slots=True)
class ImageRef:
    """Where an image ends up in the output, and its intrinsic size when known."""

    url: str
    """URL to write in `src`."""
    width: int | None = None
    """Pixels."""
    height: int | None = None
    """Pixels."""


ImageMap: TypeAlias = Callable[[str, int], ImageRef | None]
"""Maps an image source, and the source line it is written on (0 when unknown), to the output's reference;
None drops the image after the callback has reported why (the line goes into that diagnostic)."""


LONG_WORD = 100
"""Characters without a space past which a run is set in `<span class="long-word">` (broken anywhere, never
hyphenated: WeasyPrint's automatic hyphenation of one 10,000-character run takes minutes). No word of any
language is this long; pasted hashes, URLs and keyboard mashing are."""
_LONG_RUN = re.compile(rf"\S{{{LONG_WORD},}}")


def _text(text: str) -> str:
    escaped = escape(text, quote=False)
    if len(text) < LONG_WORD or _LONG_RUN.search(escaped) is None:
        return escaped
    return _LONG_RUN.sub(lambda run: f'<span class="long-word">{run.group()}</span>', escaped)


def _keep_image(src: str, line: int = 0) -> ImageRef | None:
    del line  # nothing is read, so nothing is reported
    return ImageRef(src)


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyOptions:
    """What each HTML-based format decides for itself."""

    footnotes: FootnoteStyle = "section"
    """`section`: numbered notes at the end (web); `aside`: EPUB footnote asides; `float`: CSS page floats."""
    link: Callable[[str], str | None] = safe_url
    """Maps a source URL to the output's URL; None turns the link into plain text."""
    image: ImageMap = _keep_image
    """Maps an image source and its source line to the output's reference; None drops the image."""
    raw_html: Callable[[str, int], str] | None = None
    """Sanitiser for raw HTML from the source, given the markup and its source line (where the images in it are
    reported); None drops raw HTML with a warning."""
    id_prefix: str = ""
    """Prefix for every generated id, so chapters of one book never collide."""
    dateline: str = ""
    """Dateline set at the start of the first paragraph, as newspapers do."""
    notes_heading: str = "Notes"
    """Heading of the notes section (`section` style)."""


@dataclass(slots=True)
class _State:
    options: BodyOptions
    report: Report
    path: str
    notes: list[str] = field(default_factory=list)
    dateline_done: bool = False


def render_body(article: Article, options: BodyOptions, report: Report) -> str:
    """The article body (no title block) as HTML; notes follow it when `footnotes == "section"`."""
    state = _State(options, report, article.source, dateline_done=not options.dateline)
    html = "".join(_block(b, state) for b in article.blocks)
    if options.footnotes == "section" and state.notes:
        prefix = options.id_prefix
        html += (f'<section class="footnotes" id="{prefix}notes" role="doc-endnotes">'
                 f"<h2>{escape(options.notes_heading)}</h2><ol>{''.join(state.notes)}</ol></section>")
    elif options.footnotes == "aside" and state.notes:
        html += "".join(state.notes)
    return html


def render_inlines(inlines: tuple[Inline, ...], options: BodyOptions, report: Report, path: str = "") -> str:
    """Inlines alone (titles, captions) as HTML; footnotes inside them are placed by the caller's style."""
    return _inlines(inlines, _State(options, report, path, dateline_done=True))


def _attr(name: str, value: str) -> str:
    return f' {name}="{escape(value, quote=True)}"'


def _block(block: Block, s: _State) -> str:
    match block:
        case Heading():
            level = min(max(block.level, 2), 6)
            return f"<h{level}{_attr('id', s.options.id_prefix + block.id) if block.id else ''}>" \
                   f"{_inlines(block.children, s)}</h{level}>"
        case Paragraph():
            lead = ""
            if not s.dateline_done:
                s.dateline_done = True
                lead = f'<span class="dateline">{escape(s.options.dateline)}</span> — '
            return f"<p>{lead}{_inlines(block.children, s)}</p>"
        case BlockQuote():
            return f"<blockquote>{_blocks(block.blocks, s)}{_attribution(block.attribution, s)}</blockquote>"
        case PullQuote():
            return (f'<aside class="pull-quote" aria-hidden="true"><blockquote>{_blocks(block.blocks, s)}'
                    f"{_attribution(block.attribution, s)}</blockquote></aside>")
        case Aside():
            return f'<aside class="{escape(block.kind, quote=True)}">{_blocks(block.blocks, s)}</aside>'
        case BulletList():
            items = "".join(f"<li>{_item(i.blocks, block.tight, s)}</li>" for i in block.items)
            return f"<ul>{items}</ul>"
        case OrderedList():
            items = "".join(f"<li>{_item(i.blocks, block.tight, s)}</li>" for i in block.items)
            start = _attr("start", str(block.start)) if block.start != 1 else ""
            return f"<ol{start}>{items}</ol>"
        case DefinitionList():
            parts = []
            for item in block.items:
                parts.append(f"<dt>{_inlines(item.term, s)}</dt>")
                parts.extend(f"<dd>{_item(d, True, s)}</dd>" for d in item.definitions)
            return f"<dl>{''.join(parts)}</dl>"
        case CodeBlock():
            language = _attr("class", f"language-{block.language}") if block.language else ""
            return f"<pre><code{language}>{escape(block.text, quote=False)}</code></pre>"
        case Figure():
            return _figure(block, s)
        case Table():
            return _table(block, s)
        case ThematicBreak():
            return "<hr/>"
        case RelatedLinks():
            label = escape(block.label or "Read also")
            links = "".join(f"<li>{_inlines((link,), s)}</li>" for link in block.links)
            return f'<nav class="related" aria-label="{label}"><h2>{label}</h2><ul>{links}</ul></nav>'
        case RawBlock():
            return _raw(block.text, block.format, block.line, s, "div")
        case _:
            assert_never(block)


def _blocks(blocks: tuple[Block, ...], s: _State) -> str:
    return "".join(_block(b, s) for b in blocks)


def _item(blocks: tuple[Block, ...], tight: bool, s: _State) -> str:
    if tight:
        return "".join(_inlines(b.children, s) if isinstance(b, Paragraph) else _block(b, s) for b in blocks)
    return _blocks(blocks, s)


def _attribution(attribution: tuple[Inline, ...], s: _State) -> str:
    return f"<footer>— <cite>{_inlines(attribution, s)}</cite></footer>" if attribution else ""


def _figure(block: Figure, s: _State) -> str:
    ref = s.options.image(block.src, block.line)
    if ref is None:
        caption = _inlines(block.caption, s)
        return f'<p class="missing-image">{caption or escape(block.alt)}</p>' if caption or block.alt else ""
    size = _size(ref, block.width, block.height)
    image = f'<img src="{escape(ref.url, quote=True)}"{_attr("alt", block.alt)}{size}/>'
    caption = _inlines(block.caption, s)
    credit = f' <span class="credit">{escape(block.credit)}</span>' if block.credit else ""
    figcaption = f"<figcaption>{caption}{credit}</figcaption>" if caption or credit else ""
    css = ' class="full-bleed"' if block.full_bleed else ""
    return f"<figure{css}>{image}{figcaption}</figure>"


def _size(ref: ImageRef, width: int | None, height: int | None) -> str:
    width, height = ref.width or width, ref.height or height
    return (_attr("width", str(width)) + _attr("height", str(height))) if width and height else ""


def _table(block: Table, s: _State) -> str:
    def cell(c: TableCell, column: int, tag: str, scope: str) -> str:
        align = c.align or (block.alignments[column] if column < len(block.alignments) else None)
        style = _attr("class", f"align-{align}") if align else ""
        return f"<{tag}{scope}{style}>{_inlines(c.children, s)}</{tag}>"

    caption = f"<caption>{_inlines(block.caption, s)}</caption>" if block.caption else ""
    head = "".join(
        "<tr>" + "".join(cell(c, i, "th", ' scope="col"') for i, c in enumerate(row)) + "</tr>" for row in block.header
    )
    body = "".join("<tr>" + "".join(cell(c, i, "td", "") for i, c in enumerate(row)) + "</tr>" for row in block.rows)
    return (f"<table>{caption}{f'<thead>{head}</thead>' if head else ''}"
            f"{f'<tbody>{body}</tbody>' if body else ''}</table>")


def _raw(text: str, format: str, line: int, s: _State, wrapper: str) -> str:
    if format != "html" or s.options.raw_html is None:
        s.report.warn("html.raw-dropped", f"raw {format} dropped: this format cannot keep it", path=s.path, line=line)
        return ""
    cleaned = s.options.raw_html(text, line)
    return f'<{wrapper} class="raw">{cleaned}</{wrapper}>' if wrapper == "div" else cleaned


def _inlines(inlines: tuple[Inline, ...], s: _State) -> str:
    return "".join(_inline(i, s) for i in inlines)


def _inline(node: Inline, s: _State) -> str:
    match node:
        case Text():
            return _text(node.text)
        case Emphasis():
            return f"<em>{_inlines(node.children, s)}</em>"
        case Strong():
            return f"<strong>{_inlines(node.children, s)}</strong>"
        case Strikethrough():
            return f"<del>{_inlines(node.children, s)}</del>"
        case Superscript():
            return f"<sup>{_inlines(node.children, s)}</sup>"
        case Subscript():
            return f"<sub>{_inlines(node.children, s)}</sub>"
        case Code():
            return f"<code>{escape(node.text, quote=False)}</code>"
        case Link():
            url = s.options.link(node.url) if node.url else None
            text = _inlines(node.children, s)
            if url is None:
                return text
            title = _attr("title", node.title) if node.title else ""
            return f'<a href="{escape(url, quote=True)}"{title}>{text}</a>'
        case Image():
            ref = s.options.image(node.src, node.line)
            if ref is None:
                return escape(node.alt, quote=False)
            return f'<img src="{escape(ref.url, quote=True)}"{_attr("alt", node.alt)}{_size(ref, None, None)}/>'
        case LineBreak():
            return "<br/>"
        case Footnote():
            return _footnote(node, s)
        case RawInline():
            return _raw(node.text, node.format, node.line, s, "span")
        case _:
            assert_never(node)


def _footnote(node: Footnote, s: _State) -> str:
    number = len(s.notes) + 1
    prefix = s.options.id_prefix
    ref_id, note_id = f"{prefix}fnref-{number}", f"{prefix}fn-{number}"
    s.notes.append("")  # reserve the number before rendering nested notes
    style = s.options.footnotes
    if style == "float":
        content = "<br/>".join(
            _inlines(b.children, s) if isinstance(b, Paragraph) else escape(" ".join(_texts(b))) for b in node.blocks
        )
        return f'<span class="footnote" id="{note_id}">{content}</span>'
    body = _blocks(node.blocks, s)
    if style == "aside":
        s.notes[number - 1] = (f'<aside epub:type="footnote" role="doc-footnote" id="{note_id}">'
                               f'<p class="note-number"><a href="#{ref_id}" role="doc-backlink">{number}.</a></p>'
                               f"{body}</aside>")
        return (f'<a epub:type="noteref" role="doc-noteref" id="{ref_id}" href="#{note_id}" '
                f'class="noteref">{number}</a>')
    back = f' <a href="#{ref_id}" class="backlink" role="doc-backlink" aria-label="Back to text">↩</a>'
    if body.endswith("</p>"):
        body = body[:-4] + back + "</p>"
    else:
        body += f"<p>{back}</p>"
    s.notes[number - 1] = f'<li id="{note_id}">{body}</li>'
    return f'<sup class="noteref"><a href="#{note_id}" id="{ref_id}" role="doc-noteref">{number}</a></sup>'


def _texts(block: Block) -> list[str]:
    from exporter.model import iter_texts

    return [t for t in iter_texts((block,)) if t]
