"""EPUB 3.3 (`--to epub`): valid for EPUBCheck, accessible for DAISY Ace, byte-identical on identical input.

EbookLib builds the package (OPF manifest, spine, metadata and the NCX for EPUB 2 readers). Content
documents, the navigation document, the title page and the cover page are rendered from the theme's
templates and handed to EbookLib verbatim (as plain items, so it never re-parses them with its HTML
parser). The archive EbookLib writes is then re-packed by `_epub_zip`, because EbookLib stamps every entry
with the wall clock, and its package document gets the `xml:lang` EbookLib omits and Ace requires.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

from exporter.diagnostics import Report
from exporter.html_body import BodyOptions
from exporter.html_context import article_context, credits, direction, format_date, iso, labels, locale_key
from exporter.identity import document_identifier
from exporter.model import Article, Collection
from exporter.renderers import _epub_meta as meta_mod
from exporter.renderers._epub_assets import ImageStore, PackedImage, chapter_prefix, link_resolver, source_key
from exporter.renderers._epub_cover import draw_cover
from exporter.renderers._epub_fonts import font_face_rules, layout_features, subset_fonts
from exporter.renderers._epub_xhtml import NavEntry, nest, render_document, resolved_css, visible_text
from exporter.renderers._epub_zip import build_zip, read_entries
from exporter.resources import ResourcePolicy
from exporter.sanitize import sanitizer
from exporter.themes import Theme

CSS_FILE = "css/book.css"
NAV_LABELS: dict[str, dict[str, str]] = {
    "en": {"contents": "Contents", "landmarks": "Landmarks", "cover": "Cover", "titlepage": "Title page",
           "start": "Start of content"},
    "sr-Cyrl": {"contents": "Садржај", "landmarks": "Оријентири", "cover": "Корица", "titlepage": "Насловна страна",
                "start": "Почетак текста"},
    "sr-Latn": {"contents": "Sadržaj", "landmarks": "Orijentiri", "cover": "Korica", "titlepage": "Naslovna strana",
                "start": "Početak teksta"},
    "sq": {"contents": "Përmbajtja", "landmarks": "Pikat kryesore", "cover": "Kopertina",
           "titlepage": "Faqja e titullit", "start": "Fillimi i tekstit"},
}
"""Words of the book's own pages, in the book's language: the nav document is marked with that language,
so an English "Contents" in a Serbian book would be read with the wrong voice. Unknown languages get English."""


@dataclass(frozen=True, slots=True)
class _Doc:
    """One XHTML document of the book."""

    id: str
    file_name: str
    text: str
    root: Any = field(repr=False, compare=False)
    """The parsed document (lxml), for the font subset's character set."""
    properties: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EpubRenderer:
    """An EPUB 3.3 book: one chapter per article, a title page, a cover, a nav document and an NCX."""

    name: ClassVar[str] = "epub"
    suffix: ClassVar[str] = ".epub"
    media_type: ClassVar[str] = "application/epub+zip"
    embed_fonts: bool = True
    """Embed the theme's fonts, subset to the characters used (`--no-embed-fonts` leaves them out)."""
    urls: Mapping[str, str] = field(default_factory=dict)
    """Source path → canonical URL, for links to sources that are not in this book (filled by the pipeline)."""
    allow_remote: bool = False
    """Fetch http(s) images (public addresses only) into the book; off: never touch the network."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses."""
    policy: ResourcePolicy = field(init=False, repr=False, compare=False)
    """What this render may read, built from the two options above; every image comes through it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "policy", ResourcePolicy.for_renderer(
            "epub", allow_remote=self.allow_remote, allow_private_network=self.allow_private_network))

    def render(self, doc: Article | Collection, theme: Theme, report: Report) -> bytes:
        """The finished `.epub` bytes."""
        return _Builder(self, doc, theme, report).build()


class _Builder:
    """The state of one render: collected images, documents and navigation."""

    def __init__(self, options: EpubRenderer, doc: Article | Collection, theme: Theme, report: Report) -> None:
        self.options, self.theme, self.report = options, theme, report
        self.meta = doc.metadata
        self.words = NAV_LABELS.get(locale_key(self.meta.language), NAV_LABELS["en"])
        self.articles = (doc,) if isinstance(doc, Article) else doc.articles
        self.source = doc.source if isinstance(doc, Article) else doc.metadata_file()
        self.store = ImageStore(report, options.policy)
        self.lead_files: set[str] = set()
        self.identifier = document_identifier(self.meta, doc.source)
        self.modified = meta_mod.modified(self.meta, self.articles)
        self.chapter_files = [f"text/ch-{n:03d}.xhtml" for n in range(1, len(self.articles) + 1)]
        self.chapter_map = {source_key(a.source): f for a, f in zip(self.articles, self.chapter_files, strict=True)
                            if a.source}
        self.urls = {source_key(k): v for k, v in options.urls.items()}
        self.urls.update({source_key(a.source): a.metadata.canonical_url for a in self.articles
                          if a.source and a.metadata.canonical_url})

    def build(self) -> bytes:
        """Render every document, subset the fonts, let EbookLib write the package, re-pack it reproducibly."""
        cover = self._cover()
        chapters = [self._chapter(a, f) for a, f in zip(self.articles, self.chapter_files, strict=True)]
        title_page = self._document("titlepage", "text/titlepage.xhtml", "titlepage.xhtml.j2", self.meta.title,
                                    book=self._book_context(), body_type="frontmatter")
        cover_page = self._document("cover", "text/cover.xhtml", "cover.xhtml.j2", self.meta.title,
                                    cover=self._cover_context(cover), body_type="cover")
        documents = [cover_page, title_page, self._nav(chapters), *chapters]
        css = resolved_css(self.theme)
        fonts = []
        if self.options.embed_fonts and self.theme.font_faces:
            fonts = subset_fonts(self.theme.font_faces, visible_text([d.root for d in documents]),
                                 layout_features(css))
            css = font_face_rules(fonts, "../fonts/") + "\n\n" + css
        from ebooklib import epub

        book = epub.EpubBook()
        self._metadata(book, meta_mod.Accessibility.survey(self.articles, cover=True))
        book.add_item(_item(epub, "css", CSS_FILE, "text/css", css.encode("utf-8")))
        book.add_item(_item(epub, "cover-image", cover.file_name, cover.media_type, cover.data,
                            properties=("cover-image",)))
        for packed in self.store.images.values():
            if packed is not cover:
                book.add_item(_item(epub, _id(packed.file_name), packed.file_name, packed.media_type, packed.data))
        for font in fonts:
            book.add_item(_item(epub, _id(f"font-{font.file_name}"), f"fonts/{font.file_name}", font.media_type,
                                font.data))
        for document in documents:
            book.add_item(_item(epub, document.id, document.file_name, "application/xhtml+xml",
                                document.text.encode("utf-8"), properties=document.properties))
        book.add_item(epub.EpubNcx())
        book.spine = [d.id for d in documents]
        numbers = iter(range(1, 1_000_000))
        book.toc = [_ncx_entry(epub, e, numbers) for e in self._toc()]
        if direction(self.meta.language, self.meta.direction) == "rtl":
            book.set_direction("rtl")
        raw = io.BytesIO()
        epub.write_epub(raw, book, {"mtime": self.modified, "epub2_guide": False, "epub3_landmark": False,
                                     "compresslevel": 0})
        entries = [(name, _patch_opf(data, self.meta.language) if name.endswith(".opf") else data)
                   for name, data in read_entries(raw.getvalue())]
        return build_zip(entries, self.modified)

    # -- documents

    def _document(self, doc_id: str, file_name: str, template: str, title: str, *, lang: str = "",
                  body_type: str = "", **context: Any) -> _Doc:
        lang = lang or self.meta.language
        text, root = render_document(self.theme, template, {
            "lang": lang, "dir": direction(lang, self.meta.direction if lang == self.meta.language else "auto"),
            "title": title, "css": "../" + CSS_FILE if "/" in file_name else CSS_FILE, "body_type": body_type,
            "body_class": "", "labels": self.words, **context}, source=self.source)
        return _Doc(doc_id, file_name, text, root)

    def _chapter(self, article: Article, file_name: str) -> _Doc:
        prefix = chapter_prefix(file_name)
        image = self.store.resolver(article.source, "../")
        options = BodyOptions(
            footnotes="aside",
            link=link_resolver(article.source, self.chapter_map, self.urls, self.report, here=file_name,
                               id_prefix=prefix),
            image=image,
            raw_html=sanitizer(xhtml=True, image=image),
            id_prefix=prefix,
        )
        context = article_context(article, body_options=options, report=self.report)
        return self._document(Path(file_name).stem, file_name, "chapter.xhtml.j2", article.metadata.title,
                              lang=article.metadata.language, body_type="bodymatter", article=context)

    def _book_context(self) -> dict[str, object]:
        m = self.meta
        lead = Article(metadata=m) if m.authors or len(self.articles) != 1 else self.articles[0]
        return {"kicker": m.kicker, "title": m.title, "subtitle": m.subtitle,
                "credits": credits(lead, lambda url: url), "labels": labels(m.language),
                "published": _day(m.date, m.language),
                "summary": m.summary, "publisher": m.publisher, "rights": m.rights, "identifier": self.identifier}

    def _cover(self) -> PackedImage:
        """The lead (or collection) image when it can be read, else one drawn from the theme."""
        if self.meta.image is not None:
            packed = self.store.add(self.meta.image.src, source=self.source, line=self.meta.image.line)
            if packed is not None and packed.media_type != "image/svg+xml":
                self.lead_files.add(packed.file_name)
                return packed
        context = self._book_context()
        lines = cast(list[dict[str, Any]], context["credits"])
        byline = " · ".join(f"{line['label']} {', '.join(p['name'] for p in line['people'])}" for line in lines)
        png = draw_cover(self.theme, title=self.meta.title, byline=byline, kicker=self.meta.kicker,
                         publisher=self.meta.publisher)
        packed = self.store.add_bytes(png, source=self.source, src="cover.png")
        assert packed is not None  # a PNG we drew ourselves always sniffs as PNG
        return packed

    def _cover_context(self, cover: PackedImage) -> dict[str, object]:
        alt = f"{self.words['cover']}: {self.meta.title}"
        lead = self.meta.image
        if lead is not None and lead.alt and cover.file_name in self.lead_files:
            alt += f". {lead.alt}"
        return {"url": "../" + cover.file_name, "alt": alt, "width": cover.width, "height": cover.height}

    def _toc(self) -> list[NavEntry]:
        """One entry per chapter, its headings nested below (ids carry the chapter's prefix)."""
        entries = []
        for article, file_name in zip(self.articles, self.chapter_files, strict=True):
            prefix = chapter_prefix(file_name)
            outline = [(level, f"{prefix}{anchor}" if anchor else "", text) for level, anchor, text in article.outline]
            entries.append(nest(NavEntry(article.metadata.title, f"{file_name}#{prefix}title"), outline, file_name))
        return entries

    def _nav(self, chapters: list[_Doc]) -> _Doc:
        landmarks = [
            {"type": "cover", "href": "text/cover.xhtml", "label": self.words["cover"]},
            {"type": "titlepage", "href": "text/titlepage.xhtml", "label": self.words["titlepage"]},
            {"type": "toc", "href": "nav.xhtml#toc", "label": self.words["contents"]},
            {"type": "bodymatter", "href": chapters[0].file_name, "label": self.words["start"]},
        ]
        doc = self._document("nav", "nav.xhtml", "nav.xhtml.j2", self.words["contents"], toc=self._toc(),
                             landmarks=landmarks, body_type="frontmatter")
        return dataclasses.replace(doc, properties=("nav",))

    # -- package metadata

    def _metadata(self, book: Any, survey: meta_mod.Accessibility) -> None:
        m = self.meta
        book.set_identifier(self.identifier)
        book.set_title(m.title)
        book.language = m.language
        languages = dict.fromkeys([m.language, *(a.metadata.language for a in self.articles)])
        entries: list[meta_mod.Entry] = [("DC", "language", lang, {}) for lang in languages]
        entries += meta_mod.credits(m, self.articles)
        dates = [d for d in (m.date, *(a.metadata.date for a in self.articles)) if d]
        if dates:
            entries.append(("DC", "date", meta_mod.iso_date(m.date or dates[0]), {}))
        for name, value in (("publisher", m.publisher), ("rights", m.rights),
                            ("description", m.summary or m.subtitle)):
            if value:
                entries.append(("DC", name, value, {}))
        tags = dict.fromkeys([*m.tags, *(t for a in self.articles for t in a.metadata.tags)])
        entries += [("DC", "subject", tag, {}) for tag in tags]
        if m.canonical_url:
            entries.append(("DC", "source", m.canonical_url, {}))
        entries += survey.entries(m.publisher)
        entries.append((None, "meta", "", {"name": "cover", "content": "cover-image"}))
        for namespace, name, value, attributes in entries:
            book.add_metadata(namespace, name, value, attributes or None)


def _day(value: dt.date | dt.datetime | None, language: str) -> dict[str, str] | None:
    """A title-page date: the day only (the hour of publication belongs to the article, not the book)."""
    if value is None:
        return None
    day = value.date() if isinstance(value, dt.datetime) else value
    return {"iso": iso(day), "text": format_date(day, language)}


def _item(epub: Any, item_id: str, file_name: str, media_type: str, data: bytes, *,
          properties: tuple[str, ...] = ()) -> Any:
    """A verbatim EbookLib item (EbookLib's EpubHtml would re-parse and re-serialise our XHTML)."""
    item = epub.EpubItem(uid=item_id, file_name=file_name, media_type=media_type, content=data)
    item.properties = list(properties)
    return item


def _patch_opf(data: bytes, language: str) -> bytes:
    """The package document with `xml:lang` on its root, which EbookLib omits and DAISY Ace requires."""
    from lxml import etree

    root = etree.fromstring(data)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _id(name: str) -> str:
    """A manifest id (an XML NCName) from a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", Path(name).name)


def _ncx_entry(epub: Any, entry: NavEntry, numbers: Any) -> Any:
    """EbookLib's TOC structure (Link, or (Link, children)) for the NCX."""
    link = epub.Link(entry.href, entry.label, f"navpoint-{next(numbers)}")
    if not entry.children:
        return link
    return (link, [_ncx_entry(epub, child, numbers) for child in entry.children])
