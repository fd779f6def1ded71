"""The article model: immutability, closed node unions, traversal and the derived helpers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing

import pytest
from hypothesis import HealthCheck, given, settings
from model_strategies import articles

from exporter import model
from exporter.model import (
    Article,
    Aside,
    BlockQuote,
    BulletList,
    Code,
    CodeBlock,
    Collection,
    DefinitionItem,
    DefinitionList,
    Emphasis,
    Figure,
    Footnote,
    Heading,
    Image,
    LeadImage,
    LineBreak,
    Link,
    ListItem,
    Metadata,
    OrderedList,
    Paragraph,
    Person,
    PullQuote,
    RawInline,
    RelatedLinks,
    Strong,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    count_words,
    inline_text,
    iter_blocks,
    iter_footnotes,
    iter_texts,
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def t(text: str) -> Text:
    return Text(text=text)


def para(*inlines: model.Inline) -> Paragraph:
    return Paragraph(children=inlines)


def note(*blocks: model.Block, label: str = "") -> Footnote:
    return Footnote(blocks=blocks, label=label)


def walk(node: object) -> typing.Iterator[object]:
    """Every model object reachable from `node` by plain field traversal (footnote bodies included)."""
    yield node
    if isinstance(node, tuple):
        for item in node:
            yield from walk(item)
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from walk(getattr(node, f.name))


def walk_outside_footnotes(node: object) -> typing.Iterator[object]:
    yield node
    if isinstance(node, Footnote):
        return
    if isinstance(node, tuple):
        for item in node:
            yield from walk_outside_footnotes(item)
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            yield from walk_outside_footnotes(getattr(node, f.name))


# ------------------------------------------------------------------------------------------ structure


def test_node_unions_are_closed_and_tags_unique() -> None:
    blocks = typing.get_args(model.Block)
    inlines = typing.get_args(model.Inline)
    assert len(blocks) == 14
    assert len(inlines) == 12
    tags = [c.tag for c in (*blocks, *inlines, ListItem, DefinitionItem, TableCell)]
    assert len(tags) == len(set(tags))


@pytest.mark.parametrize(
    "cls",
    [
        *typing.get_args(model.Block),
        *typing.get_args(model.Inline),
        Metadata,
        Article,
        Collection,
        Person,
        LeadImage,
        ListItem,
        TableCell,
        DefinitionItem,
    ],
)
def test_classes_are_frozen_slotted_keyword_only_and_documented(cls: type) -> None:
    params = getattr(cls, "__dataclass_params__")  # noqa: B009
    assert params.frozen
    assert "__slots__" in vars(cls)
    assert all(f.kw_only for f in dataclasses.fields(cls))
    assert cls.__doc__


def test_nodes_cannot_be_changed() -> None:
    article = Article(metadata=Metadata(title="T"), blocks=(para(t("x")),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.metadata.title = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Paragraph((t("positional"),))  # type: ignore[misc]


def test_metadata_defaults() -> None:
    meta = Metadata(title="T")
    assert meta.language == "en"
    assert meta.direction == "auto"
    assert meta.authors == ()
    assert meta.extra == {}
    assert meta.identifiers == model.Identifiers()


def test_credited_filters_by_role_in_source_order() -> None:
    meta = Metadata(
        title="T",
        authors=(
            Person(name="A"),
            Person(name="P", role="photographer"),
            Person(name="B", role="author"),
            Person(name="E", role="editor"),
        ),
    )
    assert [p.name for p in meta.credited("author")] == ["A", "B"]
    assert [p.name for p in meta.credited("photographer", "editor")] == ["P", "E"]
    assert meta.credited("translator") == ()


# ------------------------------------------------------------------------------------------ traversal


def _sample() -> Article:
    inner = note(para(t("Inner note with "), Image(src="img/in-note.png", alt="x")), label="inner")
    outer = note(
        para(t("Outer note "), inner), Heading(level=3, children=(t("Not in outline"),)), label="outer"
    )
    return Article(
        metadata=Metadata(
            title="Kosovo Border Reopens",
            subtitle="A week of tension ends",
            image=LeadImage(src="img/lead.jpg"),
        ),
        blocks=(
            Heading(
                level=2,
                id="first",
                children=(t("First "), Emphasis(children=(t("part"),))),
            ),
            para(t("Police said traffic began moving"), outer, t(" at dawn.")),
            BlockQuote(
                blocks=(
                    Heading(level=3, id="quoted", children=(t("Quoted"),)),
                    para(t("Freedom of movement must be protected.")),
                ),
                attribution=(t("EU spokesman"), note(para(t("Brussels briefing.")))),
            ),
            BulletList(
                items=(
                    ListItem(
                        blocks=(
                            para(Link(url="https://x", children=(Image(src="img/inline.png", alt="icon"),))),
                            OrderedList(
                                items=(
                                    ListItem(blocks=(Heading(level=4, id="deep", children=(t("Deep"),)),)),
                                )
                            ),
                        )
                    ),
                )
            ),
            Figure(
                src="img/map.png", alt="map", caption=(t("Map "), Image(src="img/lead.jpg")), credit="OSM"
            ),
            Table(
                header=((TableCell(children=(t("Town"),)),),),
                rows=((TableCell(children=(Image(src="img/cell.png"), note(para(t("Cell note."))))),),),
            ),
            DefinitionList(
                items=(
                    DefinitionItem(
                        term=(t("KFOR"),), definitions=((para(t("Kosovo Force")), Figure(src="img/def.png")),)
                    ),
                )
            ),
            Aside(blocks=(Heading(level=2, children=(t("Box"),)),)),
            CodeBlock(text="exporter inspect story.txt"),
            ThematicBreak(),
            RelatedLinks(links=(Link(url="", children=(t("Beijing Backs Belgrade"),)),)),
        ),
    )


def test_iter_blocks_is_depth_first_in_reading_order() -> None:
    tags = [b.tag for b in iter_blocks(_sample().blocks)]
    assert tags == [
        "heading",
        "paragraph",
        "block_quote",
        "heading",
        "paragraph",
        "bullet_list",
        "paragraph",
        "ordered_list",
        "heading",
        "figure",
        "table",
        "definition_list",
        "paragraph",
        "figure",
        "aside",
        "heading",
        "code_block",
        "thematic_break",
        "related_links",
    ]


def test_iter_footnotes_includes_nested_notes_in_reading_order() -> None:
    labels = [n.label for n in iter_footnotes(_sample().blocks)]
    assert labels == ["outer", "inner", "", ""]
    texts = [inline_text(n.blocks[0].children) for n in iter_footnotes(_sample().blocks)]  # type: ignore[union-attr]
    assert texts == ["Outer note ", "Inner note with x", "Brussels briefing.", "Cell note."]


def test_outline_lists_body_headings_but_not_footnote_headings() -> None:
    assert _sample().outline == (
        (2, "first", "First part"),
        (3, "quoted", "Quoted"),
        (4, "deep", "Deep"),
        (2, "", "Box"),
    )


def test_images_lead_first_deduplicated_footnotes_included() -> None:
    assert _sample().images == (
        "img/lead.jpg",
        "img/in-note.png",
        "img/inline.png",
        "img/map.png",
        "img/cell.png",
        "img/def.png",
    )


def test_images_without_lead_image() -> None:
    article = Article(metadata=Metadata(title="T"), blocks=(Figure(src="a.png"), Figure(src="a.png")))
    assert article.images == ("a.png",)
    assert Article(metadata=Metadata(title="T")).images == ()


def test_inline_text_skips_notes_and_raw_markup() -> None:
    inlines = (
        t("A"),
        Strong(children=(t("B"),)),
        LineBreak(),
        Code(text="c()"),
        Image(src="i", alt="alt"),
        note(para(t("hidden"))),
        RawInline(text="<b>raw</b>"),
        Link(url="u", children=(t("L"),)),
    )
    assert inline_text(inlines) == "AB\nc()altL"


def test_iter_texts_reads_code_credits_and_notes() -> None:
    texts = [s for s in iter_texts(_sample().blocks) if s]
    assert "exporter inspect story.txt" in texts
    assert "OSM" in texts
    assert "Inner note with x" in texts
    assert "Beijing Backs Belgrade" in texts


# -------------------------------------------------------------------------------------- word counting


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("one", 1),
        ("  two   words ", 2),
        ("NATO-led peacekeeping force", 3),
        ("Kosovo’s sovereignty, the minister's view", 5),
        ("НАТО шаље још 700 војника на Косово", 7),
        ("Prishtinë është kryeqyteti", 3),
        ("— … “ ” 1998-99", 1),
        ("e-mail re-enactment self-driving", 3),
    ],
)
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


def test_word_count_covers_title_dek_body_code_and_footnotes() -> None:
    article = Article(
        metadata=Metadata(title="Two words", subtitle="three more words"),
        blocks=(
            para(t("four words in body"), note(para(t("note has four words")))),
            CodeBlock(text="print(x)"),
            Figure(src="f.png", caption=(t("caption"),), credit="credit line"),
        ),
    )
    assert article.word_count == 2 + 3 + 4 + 4 + 2 + 1 + 2


def test_reading_time_rounds_and_is_at_least_a_minute() -> None:
    def of(words: int) -> Article:
        return Article(metadata=Metadata(title=""), blocks=(para(t("word " * words)),))

    assert of(0).reading_time == 1
    assert of(100).reading_time == 1
    assert of(460).reading_time == 2
    assert of(2300).reading_time == 10
    assert of(2300).word_count == 2300


# ------------------------------------------------------------------------------------------ properties


@PROPERTY
@given(articles)
def test_iter_footnotes_finds_every_footnote(article: Article) -> None:
    expected = sorted(id(n) for n in walk(article.blocks) if isinstance(n, Footnote))
    assert sorted(id(n) for n in iter_footnotes(article.blocks)) == expected


@PROPERTY
@given(articles)
def test_images_finds_every_image(article: Article) -> None:
    expected = {n.src for n in walk(article) if isinstance(n, Image | Figure | LeadImage)}
    assert set(article.images) == expected
    assert len(article.images) == len(set(article.images))
    if article.metadata.image:
        assert article.images[0] == article.metadata.image.src


@PROPERTY
@given(articles)
def test_outline_matches_every_heading_outside_footnotes(article: Article) -> None:
    headings = [n for n in walk_outside_footnotes(article.blocks) if isinstance(n, Heading)]
    assert [(h.level, h.id) for h in headings] == [(level, id_) for level, id_, _ in article.outline]
    assert article.word_count >= 0
    assert article.reading_time >= 1


def test_dates_and_datetimes_are_distinct_values() -> None:
    # The JSON codec relies on this: a date and midnight of that date are not the same publication time.
    assert dt.date(2023, 5, 30) != dt.datetime(2023, 5, 30, tzinfo=dt.UTC)
    assert Metadata(title="T", date=dt.date(2023, 5, 30)) != Metadata(
        title="T", date=dt.datetime(2023, 5, 30, tzinfo=dt.UTC)
    )


def test_pull_quote_and_block_quote_are_different_nodes() -> None:
    body = (para(t("q")),)
    assert BlockQuote(blocks=body) != PullQuote(blocks=body)
