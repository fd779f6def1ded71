"""Bidi controls (`exporter.bidi`): pairs kept, strays dropped, once for every format.

`fixtures/bidi/mixed.md` quotes Hebrew and Arabic inside balanced embeddings and isolates (one spanning
an emphasis), and carries a lone RLO, a stray PDF and PDI, a Trojan-Source style line in a code block,
and an override written as a character reference.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree
from lxml import html as lxml_html

from exporter.bidi import balance, balance_article, balance_metadata, balance_run
from exporter.diagnostics import Report
from exporter.loader import load, loads
from exporter.model import Article, Metadata, iter_texts
from exporter.model_json import to_json
from exporter.renderers import build
from exporter.themes import Theme
from exporter.transforms import may_hold_bidi_controls

FIXTURE = Path(__file__).parent / "fixtures" / "bidi" / "mixed.md"
LRE, RLE, PDF, LRO, RLO = "\u202a\u202b\u202c\u202d\u202e"
LRI, RLI, FSI, PDI = "\u2066\u2067\u2068\u2069"
LRM, RLM, ALM = "\u200e\u200f\u061c"
CONTROLS = set(LRE + RLE + PDF + LRO + RLO + LRI + RLI + FSI + PDI)


@pytest.mark.parametrize(("text", "expected"), [
    (f"he said {RLE}שלום{PDF}.", f"he said {RLE}שלום{PDF}."),
    (f"{RLI}مرحبا{PDI} and {LRI}x{PDI}", f"{RLI}مرحبا{PDI} and {LRI}x{PDI}"),
    (f"{LRO}{RLE}nested{PDF}{PDF}", f"{LRO}{RLE}nested{PDF}{PDF}"),
    (f"access{RLO} = admin", "access = admin"),  # Trojan Source: an override nobody closes
    (f"stray{PDF} closer{PDI}", "stray closer"),
    (f"{RLI}{RLE}open inside{PDI}", f"{RLI}open inside{PDI}"),  # a PDI closes the embedding opened in it
    (f"{RLE}{RLI}x{PDF}{PDI}", f"{RLI}x{PDI}"),  # a PDF cannot close an embedding across an open isolate
    (f"{RLE}line one\nline two{PDF}", "line one\nline two"),  # a paragraph end closes everything
    (f"{RLE}a\u2029b{PDF}", "a\u2029b"),
    (f"marks {LRM}{RLM}{ALM} stay", f"marks {LRM}{RLM}{ALM} stay"),
])
def test_balance_keeps_pairs_and_drops_strays(text: str, expected: str) -> None:
    assert balance(text) == expected
    assert balance(expected) == expected


def test_a_run_split_over_inline_nodes_is_balanced_as_one() -> None:
    assert balance_run([f"{RLE}مرحبا ", "بالعالم", f"{PDF} end"]) == [f"{RLE}مرحبا ", "بالعالم", f"{PDF} end"]
    assert balance_run([f"{RLO}a", "b", "c"]) == ["a", "b", "c"]


def test_text_without_controls_is_returned_as_is() -> None:
    text = "plain words"
    assert balance(text) is text
    article = load(FIXTURE)  # already balanced: a second pass changes nothing and says nothing
    report = Report()
    assert balance_article(article, report) is article and not report.items


@pytest.fixture(scope="module")
def loaded() -> tuple[object, Report]:
    report = Report()
    return load(FIXTURE, report=report), report


def test_loading_drops_every_stray_with_one_warning(loaded) -> None:  # type: ignore[no-untyped-def]
    article, report = loaded
    assert [d.code for d in report] == ["text.bidi-unbalanced"]
    assert report.items[0].path == str(FIXTURE)
    assert article.metadata.title == f"Quoting {RLI}שלום עולם{PDI} and {RLE}مرحبا{PDF}"
    assert article.metadata.tags == ("stray override",)
    texts = "\n".join(iter_texts(article.blocks))
    assert f"{RLE}مرحبا " in texts and f"{PDF} to the room{RLM}" in texts  # a pair around an emphasis
    assert f"{LRI}Hebrew: {RLE}עברית{PDF}{PDI}" in texts and f"{FSI}أهلا{PDI}" in texts
    code = article.blocks[4].text
    assert RLO not in code and f'"none{LRI}// Check if admin{PDI}":' in code
    assert "nobody closes would flip" in texts and "gnp.exe" in texts and RLO not in texts


def test_json_sources_and_collection_metadata_are_balanced_too() -> None:
    report = Report()
    article = loads(to_json(Article(metadata=Metadata(title=f"Headline{RLO}"))), format="json", report=report)
    assert article.metadata.title == "Headline" and "text.bidi-unbalanced" in report.codes()
    report = Report()
    metadata = balance_metadata(Metadata(title=f"Issue {LRI}7", subtitle=f"{RLE}ok{PDF}"), report, "c.yaml")
    assert (metadata.title, metadata.subtitle) == ("Issue 7", f"{RLE}ok{PDF}")
    assert [(d.code, d.path) for d in report] == [("text.bidi-unbalanced", "c.yaml")]


def _assert_balanced(texts: list[str]) -> None:
    """Every paragraph-level text (and attribute) of an output is balanced, and the quoted pairs survive."""
    assert texts
    unbalanced = [t for t in texts if balance(t) != t]
    assert not unbalanced
    joined = "\n".join(texts)
    assert f"{RLI}שלום עולם{PDI}" in joined and f"{FSI}أهلا{PDI}" in joined
    assert "nobody closes would flip" in joined


def _markup_texts(root: etree._Element) -> list[str]:
    blocks = {"p", "h1", "h2", "h3", "li", "pre", "td", "th", "figcaption", "title", "dd", "dt", "blockquote"}
    texts = ["".join(e.itertext()) for e in root.iter() if isinstance(e.tag, str)
             and etree.QName(e).localname in blocks]
    return texts + [str(v) for e in root.iter() if isinstance(e.tag, str) for v in e.attrib.values()]


def test_html_output_holds_no_unbalanced_control(loaded) -> None:  # type: ignore[no-untyped-def]
    article, _ = loaded
    page = build("html", {}).render(article, Theme.load("default"), Report())
    _assert_balanced(_markup_texts(lxml_html.document_fromstring(page)))


def test_epub_output_holds_no_unbalanced_control(loaded) -> None:  # type: ignore[no-untyped-def]
    article, _ = loaded
    book = build("epub", {}).render(article, Theme.load("default"), Report())
    texts: list[str] = []
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        for name in archive.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                texts += _markup_texts(etree.fromstring(archive.read(name)))
    _assert_balanced(texts)


def test_docx_output_holds_no_unbalanced_control(loaded) -> None:  # type: ignore[no-untyped-def]
    article, _ = loaded
    document = docx.Document(io.BytesIO(build("docx", {}).render(article, Theme.load("default"), Report())))
    texts = [p.text for p in document.paragraphs] + [document.core_properties.title or ""]
    _assert_balanced(texts)
    assert not any(c in CONTROLS for c in document.core_properties.keywords or "")


@pytest.mark.parametrize(("data", "expected"), [
    (b"plain ASCII copy", False),
    ("\u0402\u043e\u0440\u0452\u0435 and \u05e9\u05dc\u05d5\u05dd".encode(), False),
    ("a lone \u202e override".encode(), True),
    ("an isolate \u2067x\u2069".encode(), True),
    (b"a reference &#x202E; in Markdown", True),
    (b'{"title": "an escape \\u202e in JSON"}', True),
    ("UTF-16 \u202e".encode("utf-16"), True),
    ("GB18030 \u202e".encode("gb18030"), True),
])
def test_the_loader_skips_the_bidi_walk_only_when_the_bytes_cannot_hold_a_control(data: bytes,
                                                                                expected: bool) -> None:
    assert may_hold_bidi_controls(data) is expected
