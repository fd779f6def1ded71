"""Plain-text wire copy: one-paragraph-per-line and hard-wrapped files, titles, datelines and READ ALSO."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from exporter.diagnostics import Report
from exporter.loader import load, loads
from exporter.model import Article, Heading, Paragraph, RelatedLinks, Text, inline_text
from exporter.readers.plaintext import PlainTextReader

FIXTURES = Path(__file__).parent / "fixtures" / "plaintext"
WIRE = FIXTURES / "nato-kosovo-wire.txt"
CORPUS = Path("/work/shared/corpus/nato-kosovo-wire.txt")


def texts(article: Article, kind: type) -> list[str]:
    return [inline_text(b.children) for b in article.blocks if isinstance(b, kind)]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def wire() -> tuple[Article, Report]:
    report = Report()
    return load(WIRE, report=report), report


# ------------------------------------------------------------------------------------- the wire story


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not mounted")
def test_fixture_is_the_corpus_file_byte_for_byte() -> None:
    assert WIRE.read_bytes() == CORPUS.read_bytes()


def test_wire_story_has_one_subheading(wire: tuple[Article, Report]) -> None:
    article, _ = wire
    headings = [b for b in article.blocks if isinstance(b, Heading)]
    assert [inline_text(h.children) for h in headings] == ["Beijing Backs Belgrade"]
    assert headings[0].level == 2
    assert headings[0].id == "beijing-backs-belgrade"


def test_wire_story_has_sixteen_paragraphs_one_per_line(wire: tuple[Article, Report]) -> None:
    article, _ = wire
    paragraphs = texts(article, Paragraph)
    assert len(paragraphs) == 16
    assert paragraphs[0].startswith("NATO has deployed 700 additional troops to northern Kosovo")
    assert paragraphs[-1].startswith("Last year, Russian ally Serbia received a powerful Chinese")
    assert all("\n" not in p for p in paragraphs)
    source_lines = [line for line in WIRE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert paragraphs == [
        line.strip()
        for line in source_lines
        if line.strip() not in ("Beijing Backs Belgrade",) and not line.startswith("READ ALSO")
    ]


def test_wire_story_subheading_sits_between_the_right_paragraphs(wire: tuple[Article, Report]) -> None:
    article, _ = wire
    index = next(i for i, b in enumerate(article.blocks) if isinstance(b, Heading))
    before, after = article.blocks[index - 1], article.blocks[index + 1]
    assert inline_text(before.children).startswith("Stoltenberg criticized the clashes")  # type: ignore[union-attr]
    assert inline_text(after.children).startswith("Following increased clashes")  # type: ignore[union-attr]


def test_wire_story_read_also_is_one_related_link(wire: tuple[Article, Report]) -> None:
    article, _ = wire
    related = [b for b in article.blocks if isinstance(b, RelatedLinks)]
    assert len(related) == 1
    assert article.blocks[-1] is related[0]
    assert [inline_text(link.children) for link in related[0].links] == [
        "UK Government Covering Up For Boris Johnson In Covid-19 Probe"
    ]
    assert related[0].label == "READ ALSO"
    assert not any("READ ALSO" in p for p in texts(article, Paragraph))


def test_wire_story_keeps_curly_quotes(wire: tuple[Article, Report]) -> None:
    article, _ = wire
    body = "\n".join(texts(article, Paragraph))
    for mark in "“”’":
        assert mark in body
    assert "“take all necessary actions to maintain a safe and secure environment" in body
    assert "Kosovo’s sovereignty" in body
    assert '"' not in body
    assert "'" not in body


def test_wire_story_without_front_matter_warns_and_titles_from_file_name(
    wire: tuple[Article, Report],
) -> None:
    article, report = wire
    assert article.metadata.title == "nato kosovo wire"
    assert article.metadata.slug == "nato-kosovo-wire"
    assert report.codes() == {"meta.no-title"}
    assert report.warnings[0].path == str(WIRE)
    assert article.source == str(WIRE)


# ----------------------------------------------------------------------------------- hard-wrapped text


def test_hard_wrapped_story_joins_lines_into_paragraphs() -> None:
    report = Report()
    article = load(FIXTURES / "hard-wrapped.txt", report=report)
    assert len(report) == 0
    assert article.metadata.title == "Kosovo Border Crossing Reopens After Week of Tension"
    assert article.metadata.dateline == "PRISTINA, Kosovo"
    assert texts(article, Heading) == ["Talks Set for Next Month"]
    paragraphs = texts(article, Paragraph)
    assert len(paragraphs) == 7
    assert paragraphs[0] == (
        "Kosovo reopened its main border crossing with Serbia on Saturday, a week after truck drivers "
        "blocked the road in a dispute over new licence plate rules that had left hundreds of vehicles "
        "stranded on both sides of the frontier."
    )
    assert paragraphs[-1].endswith("“We are not politicians,” he said. “We just want to work.”")
    assert all("\n" not in p and "  " not in p for p in paragraphs)
    assert [type(b).__name__ for b in article.blocks] == ["Paragraph"] * 3 + ["Heading"] + ["Paragraph"] * 4


def test_hard_wrapped_fixture_really_is_wrapped() -> None:
    lines = (FIXTURES / "hard-wrapped.txt").read_text(encoding="utf-8").splitlines()
    assert max(len(line) for line in lines) <= 72
    assert 250 <= sum(len(line.split()) for line in lines) <= 350


FIRST = (
    "Police in northern Kosovo used tear gas on Friday to disperse hundreds of protesters gathered outside a "
    "municipal building in Zvecan, witnesses said."
)
SECOND = (
    "Several officers and demonstrators were hurt, according to local health officials, who gave no figures "
    "and said the wounded had been taken to a hospital in Mitrovica."
)


def test_conventions_are_decided_per_file() -> None:
    one_per_line = f"{FIRST}\n{SECOND}\n"
    wrapped = (
        "First paragraph of the story,\nwrapped over two lines.\n\nSecond paragraph,\nwrapped as well.\n"
    )
    assert texts(loads(one_per_line, "plaintext"), Paragraph) == [FIRST, SECOND]
    assert texts(loads(wrapped, "plaintext"), Paragraph) == [
        "First paragraph of the story, wrapped over two lines.",
        "Second paragraph, wrapped as well.",
    ]


# ------------------------------------------------------------------------------------------ front matter


def test_front_matter_on_top_gives_metadata() -> None:
    report = Report()
    article = load(FIXTURES / "front-matter.txt", report=report)
    meta = article.metadata
    assert len(report) == 0
    assert meta.title == "Serbia Puts Army on Alert as Kosovo Tensions Rise"
    assert meta.date == dt.date(2023, 5, 30)
    assert meta.section == "World"
    assert meta.tags == ("Kosovo", "Serbia", "NATO")
    assert meta.language == "en"
    assert meta.slug == "serbia-puts-army-on-alert-as-kosovo-tensions-rise"
    paragraphs = texts(article, Paragraph)
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Serbia’s president put the army")
    assert not any(isinstance(b, Heading) for b in article.blocks)
    related = article.blocks[-1]
    assert isinstance(related, RelatedLinks)
    assert [inline_text(link.children) for link in related.links] == [
        "NATO Deploys 700 More Troops to Northern Kosovo",
        "Beijing Backs Belgrade Over Kosovo",
    ]


def test_front_matter_title_wins_over_a_title_line() -> None:
    article = loads(f"---\ntitle: From Front Matter\n---\nShort Title Line\n{FIRST}\n{SECOND}\n", "plaintext")
    assert article.metadata.title == "From Front Matter"
    assert texts(article, Paragraph)[0] == "Short Title Line"


# -------------------------------------------------------------------------------------------- no title


def test_file_without_title_warns_meta_no_title() -> None:
    report = Report()
    article = load(FIXTURES / "no-title.txt", report=report)
    assert article.metadata.title == "no title"
    assert [d.code for d in report] == ["meta.no-title"]
    assert report.warnings[0].level == "warning"
    assert len(texts(article, Paragraph)) == 2


def test_reader_can_be_used_directly_and_headings_can_be_turned_off() -> None:
    data = WIRE.read_bytes()
    article = PlainTextReader(detect_headings=False).read(data, path="wire.txt", report=Report())
    assert not any(isinstance(b, Heading) for b in article.blocks)
    assert len([b for b in article.blocks if isinstance(b, Paragraph)]) == 17
    assert article.source == "wire.txt"


@pytest.mark.parametrize(
    ("line", "is_related"),
    [
        ("READ ALSO:UK Government Covering Up", True),
        ("Read also: Something Else", True),
        ("ПРОЧИТАЈТЕ И: Београд и Приштина", True),
        ("Lexoni edhe: Prishtina", True),
        ("We read also the papers: all of them.", False),
        ("READ ALSO:", False),
    ],
)
def test_read_also_labels(line: str, is_related: bool) -> None:
    body = f"{FIRST}\n{SECOND}\n{line}\n"
    article = loads(body, "plaintext")
    assert isinstance(article.blocks[-1], RelatedLinks) is is_related
    if not is_related:
        assert texts(article, Paragraph)[-1] == line


def test_text_nodes_are_plain_text() -> None:
    article = load(FIXTURES / "front-matter.txt")
    for block in article.blocks:
        if isinstance(block, Paragraph):
            assert all(isinstance(i, Text) for i in block.children)


def test_short_one_per_line_brief_keeps_its_paragraphs() -> None:
    brief = "Police used tear gas in Zvecan on Friday.\nSeveral people were hurt.\nTalks resume on Monday.\n"
    assert len(texts(loads(brief, "plaintext"), Paragraph)) == 3
