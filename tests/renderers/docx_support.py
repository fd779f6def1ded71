"""What the DOCX tests need to know about a document: the model's expectations and the file's facts, side by side."""

from __future__ import annotations

import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import lxml.html
from lxml import etree

from exporter.diagnostics import Report
from exporter.loader import COLLECTION_FILES, is_source, load, load_collection
from exporter.model import (
    Article,
    Block,
    BulletList,
    CodeBlock,
    Collection,
    Figure,
    Footnote,
    Heading,
    Image,
    Link,
    OrderedList,
    Paragraph,
    RawBlock,
    inline_text,
    iter_blocks,
    iter_footnotes,
    iter_inlines,
)
from exporter.renderers.docx import DocxRenderer
from exporter.resources import ResourcePolicy, image_size
from exporter.themes import Theme

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R, "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
      "pr": "http://schemas.openxmlformats.org/package/2006/relationships"}
WORD = re.compile(r"\w+")


# ---------------------------------------------------------------------------------------------- corpus


def documents() -> list[Path]:
    """Every sample source and collection folder under sources/, plus the DOCX fixtures; found, never listed."""
    found: list[Path] = []
    for path in sorted((ROOT / "sources").rglob("*")):
        collection = path.is_dir() and any((path / name).is_file() for name in COLLECTION_FILES)
        single = path.is_file() and is_source(path) and not any(
            (parent / name).is_file() for parent in path.parents for name in COLLECTION_FILES)
        if collection or single:
            found.append(path)
    found.extend(sorted(p for p in FIXTURES.iterdir() if p.is_file() and is_source(p)))
    return found


def load_any(path: Path) -> Article | Collection:
    """A folder as a collection, a file as an article."""
    relative = path.relative_to(ROOT)
    report = Report()
    return load_collection(relative, report=report) if path.is_dir() else load(relative, report=report)


@functools.lru_cache(maxsize=64)
def rendered(path: Path, theme: str = "default") -> tuple[bytes, tuple[str, ...]]:
    """The DOCX of a source (cached across tests) and the diagnostic codes the render reported."""
    report = Report()
    data = DocxRenderer().render(load_any(path), Theme.load(theme), report)
    return data, tuple(d.code for d in report)


def articles(doc: Article | Collection) -> tuple[Article, ...]:
    return doc.articles if isinstance(doc, Collection) else (doc,)


# ------------------------------------------------------------------------------------------ expectations


def top_notes(blocks: tuple[Block, ...]) -> list[Footnote]:
    """Footnotes anchored in the text (notes inside notes are not separate Word footnotes)."""
    every = list(iter_footnotes(blocks))
    nested = {id(inner) for note in every for inner in iter_footnotes(note.blocks)}
    return [note for note in every if id(note) not in nested]


def expected_headings(doc: Article | Collection) -> list[tuple[int, str]]:
    """(Word heading level, text): the outline starts at 1, or at 2 under article titles in a collection."""
    out: list[tuple[int, str]] = []
    top = 2 if isinstance(doc, Collection) else 1
    for article in articles(doc):
        headings = [b for b in iter_blocks(article.blocks) if isinstance(b, Heading)]
        if isinstance(doc, Collection):
            out.append((1, article.metadata.title))
        low = min((h.level for h in headings), default=top)
        out.extend((min(9, h.level + top - low), inline_text(h.children)) for h in headings)
    return out


def expected_lists(blocks: tuple[Block, ...], level: int = 0) -> Iterator[tuple[int, bool, int, str]]:
    """(list serial, ordered, level, first paragraph text) per list item, in reading order."""
    counter = iter(range(10**6))
    yield from _lists(blocks, level, counter)


def _lists(blocks: tuple[Block, ...], level: int, counter: Iterator[int]) -> Iterator[tuple[int, bool, int, str]]:
    for block in blocks:
        if isinstance(block, BulletList | OrderedList):
            serial = next(counter)
            for item in block.items:
                first = item.blocks[0] if item.blocks and isinstance(item.blocks[0], Paragraph) else None
                yield serial, isinstance(block, OrderedList), level, inline_text(first.children) if first else ""
                rest = item.blocks[1:] if first else item.blocks
                yield from _lists(rest, level + 1, counter)
        else:
            for child in _children(block):
                yield from _lists((child,), level, counter)


def _children(block: Block) -> tuple[Block, ...]:
    return tuple(getattr(block, "blocks", ()))


def expected_links(doc: Article | Collection) -> list[str]:
    """Hyperlink targets the source asks for: unsafe and empty links dropped, links to sources point at DOCX."""
    out = []
    for number, article in enumerate(articles(doc), 1):
        prefix = f"a{number}_" if isinstance(doc, Collection) else ""
        blocks = article.blocks + tuple(b for note in iter_footnotes(article.blocks) for b in note.blocks)
        for node in all_inlines(blocks):
            if isinstance(node, Link) and node.url.strip() and not node.url.lower().startswith(
                    ("javascript:", "vbscript:", "data:", "file:")):
                url = node.url.strip()
                if url.startswith("#"):
                    url = "#" + re.sub(r"\W", "_", prefix + url[1:])[:40]
                elif "://" not in url and PurePosixPath(url.split("#")[0]).suffix in {".md", ".txt"}:
                    url = str(PurePosixPath(url.split("#")[0]).with_suffix(".docx"))
                out.append(url)
    return out


def all_inlines(blocks: tuple[Block, ...]) -> Iterator[object]:
    """Every inline of the blocks themselves (not of their footnotes), related links and captions included."""
    for block in iter_blocks(blocks):
        holders = [getattr(block, name, ()) for name in ("children", "attribution", "caption", "links")]
        cells = [c.children for row in (*getattr(block, "header", ()), *getattr(block, "rows", ())) for c in row]
        terms = [i.term for i in getattr(block, "items", ()) if hasattr(i, "term")]
        for inlines in (*holders, *cells, *terms):
            for top in inlines:
                yield from iter_inlines(top)


def expected_alts(doc: Article | Collection) -> list[str]:
    """Alt text of every picture the policy lets the renderer read (lead images, figures, inline images)."""
    out = []
    policy = ResourcePolicy()
    for article in articles(doc):
        candidates = [(article.metadata.image.src, article.metadata.image.alt)] if article.metadata.image else []
        candidates += [(b.src, b.alt) for b in iter_blocks(article.blocks) if isinstance(b, Figure)]
        candidates += [(n.src, n.alt) for n in all_inlines(article.blocks) if isinstance(n, Image)]
        for src, alt in candidates:
            data = policy.read(src, source=article.source, report=Report())
            if data is not None and image_size(data) is not None:  # readable and a real picture
                out.append(alt)
    return out


def source_words(doc: Article | Collection) -> list[str]:
    """Every word the reader found: metadata shown to readers, body, notes, captions, credits."""
    parts = [doc.metadata.title, doc.metadata.subtitle] if isinstance(doc, Collection) else []
    for article in articles(doc):
        meta = article.metadata
        parts += [meta.title, meta.subtitle, meta.kicker, meta.dateline, *meta.tags, meta.rights,
                  *(p.name for p in meta.authors), *(c.text for c in meta.corrections)]
        if meta.image:
            parts += [meta.image.caption, meta.image.credit, meta.image.alt]
        parts += list(block_texts(article.blocks))
    return words(" ".join(parts))


def block_texts(blocks: tuple[Block, ...]) -> Iterator[str]:
    """Readable text per inline container (cells and links apart, unlike `iter_texts`), notes included."""
    for block in iter_blocks(blocks):
        if isinstance(block, CodeBlock):
            yield block.text
        elif isinstance(block, RawBlock):  # the renderer keeps what the markup says, not the tags
            yield lxml.html.fragment_fromstring(block.text, create_parent="div").text_content()
        yield getattr(block, "credit", "")
        holders = [getattr(block, name, ()) for name in ("children", "attribution", "caption")]
        holders += [(link,) for link in getattr(block, "links", ())]
        holders += [c.children for row in (*getattr(block, "header", ()), *getattr(block, "rows", ())) for c in row]
        holders += [i.term for i in getattr(block, "items", ()) if hasattr(i, "term")]
        for inlines in holders:
            yield inline_text(inlines)
            for top in inlines:
                for node in iter_inlines(top):
                    if isinstance(node, Footnote):
                        yield from block_texts(node.blocks)


def words(text: str) -> list[str]:
    """Words after normalising Unicode, quotes and case: what a reader would call the same words."""
    text = unicodedata.normalize("NFC", text).translate(str.maketrans("‘’‚‛“”„‟", "''''\"\"\"\""))
    return [w.casefold() for w in WORD.findall(text)]


# ------------------------------------------------------------------------------------------- the file


@dataclass
class DocxFacts:
    """The parts of a DOCX the tests look at, parsed once."""

    data: bytes
    parts: dict[str, bytes] = field(init=False)

    def __post_init__(self) -> None:
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            self.parts = {name: archive.read(name) for name in archive.namelist()}

    def xml(self, name: str) -> etree._Element:
        return etree.fromstring(self.parts[name])

    def rels(self, name: str = "word/_rels/document.xml.rels") -> dict[str, etree._Element]:
        return {r.get("Id"): r for r in self.xml(name).iterfind("pr:Relationship", NS)} if name in self.parts else {}

    def footnotes(self) -> list[etree._Element]:
        if "word/footnotes.xml" not in self.parts:
            return []
        return [n for n in self.xml("word/footnotes.xml").iterfind("w:footnote", NS) if int(n.get(f"{{{W}}}id")) > 0]

    def text_of(self, element: etree._Element) -> str:
        pieces = []
        for node in element.iter(f"{{{W}}}t", f"{{{W}}}tab", f"{{{W}}}br", f"{{{W}}}p", f"{{{W}}}instrText"):
            pieces.append(node.text or "" if node.tag == f"{{{W}}}t" else " ")
        return "".join(pieces)

    def all_words(self) -> list[str]:
        """Words of the body, the notes and the pictures' alt text."""
        text = [self.text_of(self.xml("word/document.xml"))]
        text += [self.text_of(n) for n in self.footnotes()]
        text += [d.get("descr", "") for d in self.xml("word/document.xml").iterfind(".//wp:docPr", NS)]
        return words(" ".join(text))

    def hyperlink_targets(self, *, toc: bool = False) -> list[str]:
        """Targets of every `w:hyperlink` in body and notes (table of contents entries only when `toc`)."""
        out = []
        for part, rels_name in (("word/document.xml", "word/_rels/document.xml.rels"),
                                ("word/footnotes.xml", "word/_rels/footnotes.xml.rels")):
            if part not in self.parts:
                continue
            rels = self.rels(rels_name)
            for link in self.xml(part).iter(f"{{{W}}}hyperlink"):
                style = link.getparent().find("w:pPr/w:pStyle", NS)
                if toc != (style is not None and style.get(f"{{{W}}}val", "").startswith("TOC")):
                    continue
                rid, anchor = link.get(f"{{{R}}}id"), link.get(f"{{{W}}}anchor")
                if anchor:
                    out.append(f"#{anchor}")
                    continue
                rel = rels[rid]
                assert rel.get("TargetMode") == "External", rid
                assert rel.get("Type").endswith("/hyperlink"), rid
                out.append(rel.get("Target"))
        return out
