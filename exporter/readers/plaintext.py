"""Plain-text wire copy → `Article`, guessing per file which of the two wire conventions it follows.

Agencies send either one paragraph per line (the sample NATO story) or text hard-wrapped at 80 columns
with blank lines between paragraphs. The reader looks at the whole file before deciding, then finds the
structure a sub-editor would see: a title line, short unpunctuated subheadings, a dateline, and the
trailing "READ ALSO" line, which is navigation, not body text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from exporter.diagnostics import Report
from exporter.model import Article, Block, Heading, Link, Paragraph, RelatedLinks, Text
from exporter.readers._meta import FrontMatter, build_metadata, split_front_matter
from exporter.readers._related import split_related
from exporter.readers._text import decode_source

WRAP_COLUMNS = 80
"""Lines no longer than this, in multi-line blocks, mark a hard-wrapped file."""
HEADING_MAX_CHARS = 70
HEADING_MAX_WORDS = 10
_CLOSING = tuple(".,;:!?…\"”’»)]–—-")
_SENTENCE_END = tuple(".,;:!?…")
_DATELINE = re.compile(
    r"^(?P<place>[A-ZÀ-ÞА-Я][A-ZÀ-ÞА-Я .'-]{1,40}(?:, [\w .'-]{2,30})?)"  # PRISTINA, Kosovo
    r"\s*(?:\([^)]{1,30}\))?\s+[—–-]{1,2}\s+"  # optional (AP), then the dash
)


@dataclass(frozen=True, slots=True)
class _Chunk:
    """A paragraph-to-be: its text and the file line it starts on."""

    text: str
    line: int
    lines: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PlainTextReader:
    """Reads wire copy; options: `detect_headings` (short unpunctuated lines become subheadings)."""

    name: ClassVar[str] = "plaintext"
    suffixes: ClassVar[tuple[str, ...]] = (".txt", ".text", ".wire")
    detect_headings: bool = True
    """Turn short, unpunctuated lines between paragraphs into subheadings."""

    def read(self, data: bytes, *, path: str, report: Report) -> Article:
        """Split front matter, choose the convention, then classify each chunk."""
        text = decode_source(data, path, report)
        front = split_front_matter(text, path)
        chunks = _chunks(front.body, front.body_line)
        related: RelatedLinks | None = None
        if chunks and (found := split_related(chunks[-1].text)):
            label, rest = found
            related = RelatedLinks(label=label, links=tuple(_related_links(rest)))
            chunks = chunks[:-1]
        title = ""
        if not (front.data or {}).get("title") and len(chunks) > 1 and _is_title(chunks[0]):
            title = chunks.pop(0).text
        front, chunks = _lift_dateline(front, chunks)
        blocks: list[Block] = []
        for index, chunk in enumerate(chunks):
            between = 0 < index < len(chunks) - 1
            if self.detect_headings and between and _is_heading(chunk):
                blocks.append(Heading(level=2, children=(Text(text=chunk.text),)))
            else:
                blocks.append(Paragraph(children=(Text(text=chunk.text),)))
        if related is not None:
            blocks.append(related)
        metadata = build_metadata(front, path=path, report=report, fallback_title=title)
        return Article(metadata=metadata, blocks=tuple(blocks), source=path)


def _chunks(body: str, first_line: int) -> list[_Chunk]:
    """Paragraph candidates, by the convention this file follows."""
    lines = body.split("\n")
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(lines, start=first_line):
        if line.strip():
            blocks[-1].append((number, line.strip()))
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    if _hard_wrapped(blocks):
        return [_Chunk(" ".join(t for _, t in b), b[0][0], len(b)) for b in blocks]
    return [_Chunk(t, n, 1) for b in blocks for n, t in b]


def _hard_wrapped(blocks: list[list[tuple[int, str]]]) -> bool:
    """Hard-wrapped text has multi-line blocks whose lines were broken because the next word did not fit.

    Short lines alone do not prove it (a brief written one sentence a line is short too): a wrapped line is
    filled close to the widest line, and it rarely ends a sentence right before a capitalised line.
    """
    lines = [t for b in blocks for _, t in b]
    if not lines or sum(1 for t in lines if len(t) <= WRAP_COLUMNS) < 0.95 * len(lines):
        return False
    widest = max(len(t) for t in lines)
    inner = [(b[i][1], b[i + 1][1]) for b in blocks for i in range(len(b) - 1)]
    if not inner:
        return False
    wrapped = sum(1 for line, after in inner
                  if len(line) >= 0.7 * widest and not (line.endswith(_SENTENCE_END) and after[:1].isupper()))
    return wrapped >= 0.5 * len(inner)


def _is_heading(chunk: _Chunk) -> bool:
    text = chunk.text
    return (
        chunk.lines == 1
        and len(text) <= HEADING_MAX_CHARS
        and len(text.split()) <= HEADING_MAX_WORDS
        and not text.endswith(_CLOSING)
        and text[:1].isupper()
    )


def _is_title(chunk: _Chunk) -> bool:
    return chunk.lines == 1 and len(chunk.text) <= 160 and not chunk.text.endswith(_SENTENCE_END)


def _related_links(rest: str) -> list[Link]:
    """Titles after a READ ALSO label; several may be separated by `|` or `;`."""
    titles = [t.strip() for t in re.split(r"\s+[|;]\s+", rest) if t.strip()]
    return [Link(url="", children=(Text(text=t),)) for t in titles]


def _lift_dateline(front: FrontMatter, chunks: list[_Chunk]) -> tuple[FrontMatter, list[_Chunk]]:
    """Move a leading dateline ("PRISTINA, Kosovo (AP) —") into metadata, where every renderer places it."""
    data = dict(front.data or {})
    found = _DATELINE.match(chunks[0].text) if chunks else None
    if found is None or "dateline" in data:
        return front, chunks
    data["dateline"] = found.group("place").strip()
    first = _Chunk(chunks[0].text[found.end():], chunks[0].line, chunks[0].lines)
    lifted = FrontMatter(data=data, body=front.body, body_line=front.body_line, syntax=front.syntax,
                         key_lines=front.key_lines)
    return lifted, [first, *chunks[1:]]
