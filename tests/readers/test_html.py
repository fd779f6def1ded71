"""The HTML reader: CMS-export fixtures checked node by node, JSON goldens, and hostile-input edge cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest

from exporter.diagnostics import Report
from exporter.errors import SourceError
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
    LineBreak,
    Link,
    OrderedList,
    Paragraph,
    Person,
    PullQuote,
    RelatedLinks,
    Strong,
    Subscript,
    Superscript,
    Table,
    Text,
    ThematicBreak,
    inline_text,
    iter_blocks,
    iter_footnotes,
    iter_texts,
)
from exporter.model_json import from_json, to_json
from exporter.readers.html import HtmlReader

FIXTURES = Path(__file__).parent / "fixtures" / "html"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"
GOLDENS = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in HtmlReader.suffixes)


def read(name: str) -> tuple[Article, Report]:
    report = Report()
    return HtmlReader().read((FIXTURES / name).read_bytes(), path=name, report=report), report


def read_bytes(data: bytes) -> tuple[Article, Report]:
    report = Report()
    return HtmlReader().read(data, path="inline.html", report=report), report


def blocks_of(html: str) -> tuple[Block, ...]:
    return read_bytes(f"<title>t</title>{html}".encode())[0].blocks


def T(text: str) -> Text:
    return Text(text=text)


def P(text: str) -> Paragraph:
    """A paragraph of plain text."""
    return Paragraph(children=(T(text),))


def all_text(article: Article) -> str:
    """Everything a renderer could print: metadata and body, footnotes included."""
    return to_json(article)


# -------------------------------------------------------------------------------------------- goldens


@pytest.mark.parametrize("name", GOLDENS)
def test_golden(name: str) -> None:
    article, _ = read(name)
    path = FIXTURES / f"{Path(name).stem}.json"
    actual = to_json(article)
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no golden {path.name}; run with UPDATE_GOLDENS=1 to write it, then review it")
    assert actual == path.read_text(encoding="utf-8"), f"{path.name} differs; UPDATE_GOLDENS=1 if intended"
    assert from_json(actual) == article


def test_reader_facts_and_registry() -> None:
    from exporter.registry import READERS

    assert READERS.load("html") is HtmlReader
    assert HtmlReader.name == "html"
    assert HtmlReader.suffixes == (".html", ".htm", ".xhtml")
    assert dataclasses.is_dataclass(HtmlReader) and HtmlReader.__slots__ == ()
    assert HtmlReader.__dataclass_params__.frozen  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        HtmlReader(True)  # type: ignore[call-arg]  # options (none yet) are keyword-only


# --------------------------------------------------------------------------------- the CMS export


def test_cms_metadata_from_head_and_masthead() -> None:
    article, _ = read("cms-export.html")
    meta = article.metadata
    assert meta.title == "Harbour towns vote to share one ferry fleet"
    assert meta.subtitle == ("Four councils agree to pool boats and crews, ending a decade of duplicated "
                             "timetables.")
    assert meta.kicker == "Regions"
    assert meta.authors == (Person(name="Mara Lind"), Person(name="Tomas Okafor"))
    assert meta.date == dt.datetime(2024, 3, 5, 9, 30, tzinfo=dt.UTC)
    assert meta.updated == dt.datetime(2024, 3, 5, 14, 5, tzinfo=dt.UTC)
    assert meta.language == "en-GB"
    assert meta.section == "Regions"
    assert meta.tags == ("Transport", "Local government", "Ferries")
    assert meta.keywords == ("ferries", "harbour councils", "timetables")
    assert meta.summary.startswith("Four harbour councils agreed")  # description beats og:description
    assert meta.canonical_url == "https://ledger.example/news/ferry-fleet"  # <link rel> beats og:url
    assert meta.image is not None
    assert (meta.image.src, meta.image.alt) == ("https://cdn.ledger.example/img/ferry-lead.jpg",
                                                "A ferry leaving Port Ellery at dawn")
    assert meta.publisher == "The Coastal Ledger"
    assert meta.rights == "© 2024 The Coastal Ledger. All rights reserved."
    assert meta.slug == "harbour-towns-vote-to-share-one-ferry-fleet"
    assert article.source == "cms-export.html"


def test_cms_masthead_is_not_repeated_in_the_body() -> None:
    article, _ = read("cms-export.html")
    body = " ".join(iter_texts(article.blocks))
    assert not any(isinstance(b, Heading) and b.level == 1 for b in iter_blocks(article.blocks))
    for lifted in ("Harbour towns vote", "Four councils agree", "By Mara", "5 March 2024"):
        assert lifted not in body
    assert "Regions" not in body


def test_cms_block_sequence() -> None:
    article, _ = read("cms-export.html")
    assert [type(b) for b in article.blocks] == [
        Figure, Paragraph, Paragraph, Figure, Heading, Paragraph, BulletList, OrderedList, BlockQuote,
        PullQuote, Aside, Table, DefinitionList, CodeBlock, ThematicBreak, Paragraph, RelatedLinks,
    ]


def test_cms_paragraph_whitespace_and_inlines() -> None:
    blocks = read("cms-export.html")[0].blocks
    first, second = blocks[1], blocks[2]
    assert isinstance(first, Paragraph) and isinstance(second, Paragraph)
    assert first.children[0] == T("PORT ELLERY — Councillors from four harbour towns voted on Tuesday to "
                                  "merge their ferry services into a single fleet,")
    assert isinstance(first.children[1], Footnote)
    assert first.children[2:] == (T(" a move officials said would cut costs by "),
                                  Strong(children=(T("a fifth"),)), T("."))
    assert second.children[1] == Link(url="https://ledger.example/news/talks",
                                      children=(T("three years of talks"),), title="Earlier coverage")
    assert second.children[2] == T(", covers nine boats and 140 crew.")
    assert blocks[5] == Paragraph(children=(
        T("Tickets will be valid on every route, and the "), Code(text="FERRY-1"),
        T(" app replaces four apps."), LineBreak(), T("Season passes carry over.")))


def test_cms_figures() -> None:
    blocks = read("cms-export.html")[0].blocks
    lead, lone = blocks[0], blocks[3]
    assert lead == Figure(src="https://cdn.ledger.example/img/ferry-lead.jpg",
                          alt="A ferry leaving Port Ellery at dawn",
                          caption=(T("The 06:10 sailing leaves Port Ellery."),), credit="Ana Ruiz / Ledger",
                          width=1600, height=900, line=52)
    assert lone == Figure(src="https://cdn.ledger.example/img/map.png", alt="Map of the four harbours",
                          width=800, height=600, line=65)  # the onerror handler is simply not part of the model


def test_cms_footnotes_carry_their_blocks_and_leave_the_body() -> None:
    article, _ = read("cms-export.html")
    notes = list(iter_footnotes(article.blocks))
    assert [n.label for n in notes] == ["1", "2"]
    assert notes[0].blocks == (P("The fleet will be run by a joint board with one seat per town."),)
    assert notes[1].blocks == (Paragraph(children=(
        T("Figures from the councils’ "), Emphasis(children=(T("joint report"),)), T("."))),)
    text = all_text(article)
    assert "↩" not in text and "fnref" not in text
    assert sum(isinstance(b, ThematicBreak) for b in article.blocks) == 1  # the notes section's <hr> is gone
    assert not any(isinstance(b, OrderedList) and len(b.items) == 2 and "joint board" in
                   " ".join(iter_texts((b,))) for b in iter_blocks(article.blocks))


def test_cms_lists_quotes_and_boxes() -> None:
    blocks = read("cms-export.html")[0].blocks
    bullets, ordered, quote, pull, aside = blocks[6:11]
    assert isinstance(bullets, BulletList) and bullets.tight
    first = Paragraph(children=(T("One timetable from "), Strong(children=(T("1 June"),))))
    assert bullets.items[0].blocks == (first,)
    nested = bullets.items[1].blocks
    assert nested[0] == Paragraph(children=(T("Shared crews"),))
    assert isinstance(nested[1], BulletList)
    assert inline_text(nested[1].items[0].blocks[0].children) == "Rotations every four weeks"  # type: ignore[union-attr]
    assert isinstance(ordered, OrderedList) and ordered.start == 3 and not ordered.tight
    assert quote == BlockQuote(
        blocks=(P("We have run four half-empty boats on the same water for ten years."),),
        attribution=(Emphasis(children=(T("Ines Varga"),)), T(", Port Ellery council leader")))
    assert pull == PullQuote(blocks=(Paragraph(children=(T("“Four half-empty boats on the same water.”"),)),))
    assert isinstance(aside, Aside) and aside.kind == "factbox"
    assert aside.blocks[0] == Heading(level=3, children=(T("The fleet in numbers"),))


def test_cms_heading_table_definitions_code() -> None:
    blocks = read("cms-export.html")[0].blocks
    assert blocks[4] == Heading(level=2, children=(T("What changes for passengers"),), id="what-changes")
    table = blocks[11]
    assert isinstance(table, Table)
    assert table.caption == (T("Sailings per day"),)
    assert [inline_text(c.children) for c in table.header[0]] == ["Route", "Before", "After"]
    assert [[inline_text(c.children) for c in row] for row in table.rows] == [
        ["Ellery – Kessock", "6", "9"], ["Ardle – Kessock", "4", "7"]]
    assert table.alignments == (None, "right", "right")
    assert table.rows[0][1].align == "right"
    dl = blocks[12]
    assert isinstance(dl, DefinitionList) and dl.items[0].term == (T("Pooling"),)
    assert dl.items[0].definitions == ((P("Sharing boats and crews between councils."),),)
    assert blocks[13] == CodeBlock(text='fares = {"adult": 4.5}\nprint(fares["adult"])', language="python")


def test_cms_related_links_keep_their_urls() -> None:
    related = read("cms-export.html")[0].blocks[-1]
    assert related == RelatedLinks(label="READ ALSO", links=(
        Link(url="/news/ferry-strike", children=(T("Ferry crews call off strike"),)),
        Link(url="/news/kessock-yard", children=(T("Kessock yard wins refit deal"),))))


def test_cms_no_script_style_or_page_furniture_survives() -> None:
    article, _ = read("cms-export.html")
    text = all_text(article)
    for leaked in ("dataLayer", "INJECTED", "LDJSON", "analytics", "font-family", "margin", "SVG TEXT",
                   "Sign up", "pixel.gif", "trackFooter", "alert", "javascript", "initAds", "video.example",
                   "Other story", "Sport", "© The Coastal Ledger"):
        assert leaked not in text, leaked
    assert Paragraph(children=(T("Editors can click here for nothing."),)) in article.blocks  # link text kept


def test_cms_dropped_elements_reported_once_per_kind_with_lines() -> None:
    _, report = read("cms-export.html")
    dropped = [(d.message.split(">")[0].lstrip("<"), d.line) for d in report if d.code == "html.dropped"]
    assert dropped == [("script", 61), ("iframe", 83), ("form", 113), ("noscript", 114), ("style", 115),
                       ("svg", 116)]
    unsafe = [d for d in report if d.code == "html.unsafe-url"]
    assert len(unsafe) == 1 and unsafe[0].line == 112
    assert not report.errors


# -------------------------------------------------------------------------- legacy and Pandoc pages


def test_legacy_page_declared_charset_and_body_root() -> None:
    article, report = read("legacy-cp1252.html")
    meta = article.metadata
    assert meta.title == "Café owners “welcome” the ferry plan"
    assert meta.authors == (Person(name="Jane Roe"), Person(name="John Poe"))  # "By " stripped, comma split
    assert meta.date == dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.UTC)  # RFC 2822 in <meta name=date>
    assert meta.publisher == "Harbour Weekly"
    assert article.blocks == (
        P("Traders on the quay – most of them family firms – said the merger… was overdue."),
        Figure(src="images/cafe.jpg", alt="Café terrace on the quay", line=14),
        Paragraph(children=(T("Prices are unchanged for now."),)),
        RelatedLinks(label="READ ALSO", links=(Link(url="", children=(T("Ferry fares frozen"),)),
                                               Link(url="", children=(T("Harbour dredging starts"),)))),
    )
    assert "Copyright" not in all_text(article) and "Archive" not in all_text(article)
    assert [(d.code, d.line) for d in report] == [("html.dropped", 10)] * 2 + [("html.dropped", 18)]
    assert "source.encoding" not in report.codes()


def test_pandoc_xhtml_notes_quotes_and_tables() -> None:
    article, report = read("pandoc-notes.xhtml")
    meta = article.metadata
    assert (meta.title, meta.language, meta.date, meta.rights) == (
        "Trajekti i luke", "sr-Latn", dt.date(2024, 3, 6), "CC BY 4.0")
    first = article.blocks[0]
    assert isinstance(first, Paragraph)
    notes = [n for n in first.children if isinstance(n, Footnote)]
    assert [n.label for n in notes] == ["1", "2"]
    assert notes[0].blocks == (Paragraph(children=(T("Vez je dug 120 metara."),)),)
    see_also = Link(url="#fn1", children=(T("napomenu 1"),))
    assert notes[1].blocks[1] == Paragraph(children=(T("Vidi i "), see_also, T(".")))
    quote, dashed, code, table, related = article.blocks[1:]
    assert quote == BlockQuote(blocks=(Paragraph(children=(T("Ovo je dan za sve luke."),)),),
                               attribution=(T("Ines Varga"),))
    assert dashed == BlockQuote(blocks=(Paragraph(children=(T("Brodovi će ploviti češće."),)),),
                                attribution=(T("lučki kapetan"),))
    assert code == CodeBlock(text="linija 1\nlinija 2")
    assert isinstance(table, Table) and len(table.header) == 1 and len(table.rows) == 1
    assert [len(r) for r in (*table.header, *table.rows)] == [3, 3]  # colspan padded to the grid
    assert related == RelatedLinks(label="Pročitajte i", links=(
        Link(url="/vesti/trajekti", children=(T("Trajekti bez štrajka"),)),
        Link(url="/vesti/brodogradiliste", children=(T("Brodogradilište dobija posao"),))))
    assert report.codes() == {"html.table-span"}


# ------------------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(("html", "children"), [
    ("<p>  a <em> b </em> c  </p>", (T("a "), Emphasis(children=(T("b "),)), T("c"))),
    ("<p>\n  line one\n  line two\n</p>", (T("line one line two"),)),
    ("<p>end <br>\n start</p>", (T("end"), LineBreak(), T("start"))),
    ("<p>keep&nbsp;&nbsp;nbsp</p>", (T("keep\u00a0\u00a0nbsp"),)),
    ("<p>x<sup>2</sup> H<sub>2</sub>O</p>", (T("x"), Superscript(children=(T("2"),)), T(" H"),
                                            Subscript(children=(T("2"),)), T("O"))),
    ("<p>a <img src='i.png' alt='I'> b</p>", (T("a "), Image(src="i.png", alt="I", line=1), T(" b"))),
])
def test_whitespace_and_inline_mapping(html: str, children: tuple[object, ...]) -> None:
    assert blocks_of(html) == (Paragraph(children=children),)  # type: ignore[arg-type]


def test_double_break_separates_paragraphs_and_spacers_vanish() -> None:
    assert blocks_of("<div>one<br><br>two</div><p>&nbsp;</p><p> </p>") == (
        Paragraph(children=(T("one"),)), Paragraph(children=(T("two"),)))


def test_block_content_in_a_cell_becomes_line_breaks() -> None:
    (table,) = blocks_of("<table><tr><td><p>a</p><p>b</p></td></tr></table>")
    assert isinstance(table, Table) and table.rows[0][0].children == (T("a"), LineBreak(), T("b"))


def test_deep_nesting_is_flattened_not_a_recursion_error() -> None:
    deep = "<div><blockquote>" * 100 + "<p>deep <em>text</em></p>" + "</blockquote></div>" * 100
    article, report = read_bytes(f"<title>Deep</title>{deep}".encode())
    assert "deep text" in " ".join(iter_texts(article.blocks))
    assert "html.too-deep" in report.codes()
    inline, report = read_bytes(("<p>" + "<span><b>" * 120 + "core" + "</b></span>" * 120 + "</p>").encode())
    assert "core" in " ".join(iter_texts(inline.blocks)) and "html.too-deep" in report.codes()


def test_nesting_beyond_the_parser_limit_is_a_source_error() -> None:
    with pytest.raises(SourceError) as info:
        read_bytes(("<p>ok</p>\n" + "<div>" * 400 + "x" + "</div>" * 400).encode())
    assert info.value.line == 2 and "nested too deeply" in info.value.message


@pytest.mark.parametrize("data", [b"", b"  \n\t ", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"])
def test_empty_or_binary_is_a_source_error(data: bytes) -> None:
    with pytest.raises(SourceError):
        read_bytes(data)


def test_declared_charset_is_honoured_and_bad_bytes_replaced() -> None:
    latin2 = "<meta charset='iso-8859-2'><h1>Čeka</h1><p>žena</p>".encode("iso-8859-2")
    article, report = read_bytes(latin2)
    assert article.metadata.title == "Čeka" and article.blocks == (Paragraph(children=(T("žena"),)),)
    assert not report.items
    broken = "<meta charset=windows-1252><h1>T</h1><p>caf\xe9 \x81</p>".encode("latin-1")
    article, report = read_bytes(broken)
    assert article.blocks == (Paragraph(children=(T("café \ufffd"),)),)
    assert report.codes() == {"html.charset"}


def test_byte_order_mark_outranks_the_meta_charset() -> None:
    article, _ = read_bytes("\ufeff<meta charset='windows-1252'><h1>Żółw</h1>".encode())
    assert article.metadata.title == "Żółw"


def test_unusable_head_values_are_warnings_not_failures() -> None:
    article, report = read_bytes(b'<html lang="english"><meta name="date" content="5th of March">'
                                 b'<meta charset="no-such-charset"><h1>T</h1></html>')
    assert article.metadata.language == "en" and article.metadata.date is None
    assert article.metadata.extra == {"meta:date": "5th of March"}
    assert {"html.bad-language", "html.bad-date", "html.charset"} <= report.codes()


def test_title_falls_back_to_the_page_title_without_the_site_name() -> None:
    article, _ = read_bytes(b'<title>Quiet harbour | Ledger</title>'
                            b'<meta property="og:site_name" content="Ledger"><p>x</p>')
    assert article.metadata.title == "Quiet harbour"


def test_kicker_inside_the_headline_is_not_part_of_the_title() -> None:
    article, _ = read_bytes(b'<h1><span class="kicker">World:</span> The <em>real</em><br>title</h1><p>x</p>')
    assert (article.metadata.kicker, article.metadata.title) == ("World:", "The real title")


def test_footnotes_that_refer_to_each_other_terminate() -> None:
    (para,) = blocks_of('<p>a<sup><a href="#n1">1</a></sup></p>'
                        '<ol><li id="n1">see<sup><a href="#n2">2</a></sup></li>'
                        '<li id="n2">back<sup><a href="#n1">1</a></sup></li></ol>')
    assert isinstance(para, Paragraph)
    outer = para.children[1]
    assert isinstance(outer, Footnote)
    inner = outer.blocks[0].children[1]  # type: ignore[union-attr]
    assert isinstance(inner, Footnote)
    assert inner.blocks == (Paragraph(children=(T("back"), Superscript(children=(T("1"),)))),)


def test_unsafe_image_sources_are_dropped() -> None:
    html = '<p>x <img src="javascript:alert(1)"></p><p><img src="data:image/png;base64,AAAA"></p>'
    assert blocks_of(html) == (P("x"), Figure(src="data:image/png;base64,AAAA", line=1))


def test_google_docs_export_notes_point_back_from_an_anchor() -> None:
    article, report = read("google-docs.html")
    assert article.metadata.title == "Ferry board minutes"
    heading, para, bullets, rule = article.blocks  # the "title" paragraph is lifted, not repeated
    assert heading == Heading(level=2, children=(T("Agenda"),), id="h.agenda")
    assert isinstance(para, Paragraph) and isinstance(bullets, BulletList) and isinstance(rule, ThematicBreak)
    assert para.children[0] == T("The board met in Kessock\u00a0on 4 March.")  # class-only italics are lost
    note = para.children[1]
    assert isinstance(note, Footnote) and note.label == "1"
    assert note.blocks == (P("\u00a0The meeting moved from Ardle after a storm."),)
    assert para.children[2] == T("\u00a0All four towns attended.")
    assert "[1]" not in all_text(article) and "font-weight" not in all_text(article)
    assert not report.items


def test_author_urls_pair_with_names_of_the_same_count() -> None:
    article, report = read_bytes(b'<meta name="author" content="Ana Ruiz">'
                                 b'<meta property="article:author" content="https://ledger.example/staff/ana">'
                                 b"<h1>T</h1><p>x</p>")
    assert article.metadata.authors == (Person(name="Ana Ruiz", url="https://ledger.example/staff/ana"),)
    only_urls, report = read_bytes(b'<meta property="article:author" content="https://ledger.example/staff/ana">'
                                   b"<h1>T</h1>")
    assert only_urls.metadata.authors == () and "html.author-url" in report.codes()


def test_a_read_also_label_owns_the_list_after_it() -> None:
    assert blocks_of("<p>Read also:</p><ul><li><a href='/a'>A</a></li><li><a href='/b'>B</a></li></ul>") == (
        RelatedLinks(label="Read also", links=(Link(url="/a", children=(T("A"),)),
                                               Link(url="/b", children=(T("B"),)))),)
    assert blocks_of("<p>See also: the 2019 report, which found costs rose.</p>") == (
        P("See also: the 2019 report, which found costs rose."),)  # prose, not navigation
