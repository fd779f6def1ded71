"""The Markdown reader: fixture files with JSON goldens, plus content checks node by node."""

from __future__ import annotations

import dataclasses
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
    Text,
    ThematicBreak,
    inline_text,
    iter_footnotes,
)
from exporter.model_json import from_json, to_json
from exporter.readers import markdown as markdown_module
from exporter.readers.markdown import MAX_DEPTH, MarkdownReader

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
UPDATE = os.environ.get("UPDATE_GOLDENS") == "1"

# (fixture stem, reader options, golden stem)
GOLDEN_CASES: list[tuple[str, dict[str, bool], str]] = [
    *((p.stem, {}, p.stem) for p in sorted(FIXTURES.glob("*.md"))),
    ("typography", {"typographer": False}, "typography.plain"),
]


def t(text: str) -> Text:
    """Shorthand for the many texts compared below."""
    return Text(text=text)


def read(name: str, **options: bool) -> tuple[Article, Report]:
    report = Report()
    data = (FIXTURES / f"{name}.md").read_bytes()
    article = MarkdownReader(**options).read(data, path=f"{name}.md", report=report)
    return article, report


def read_text(text: str, **options: bool) -> tuple[Article, Report]:
    report = Report()
    return MarkdownReader(**options).read(text.encode(), path="inline.md", report=report), report


def blocks_of(text: str, **options: bool) -> tuple[Block, ...]:
    return read_text(text, **options)[0].blocks


def assert_golden(article: Article, golden: str) -> None:
    """Compare with `<golden>.json`; `UPDATE_GOLDENS=1` (re)writes it, a missing golden fails otherwise."""
    path = FIXTURES / f"{golden}.json"
    actual = to_json(article)
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no golden {path.name}; run with UPDATE_GOLDENS=1 to write it, then review it")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs; rerun with UPDATE_GOLDENS=1 if the change is intended"
    assert from_json(expected) == article  # the JSON form is lossless


@pytest.mark.parametrize(("name", "options", "golden"), GOLDEN_CASES, ids=[g for _, _, g in GOLDEN_CASES])
def test_golden(name: str, options: dict[str, bool], golden: str) -> None:
    article, _ = read(name, **options)
    assert_golden(article, golden)


def test_reader_facts_and_registry() -> None:
    from exporter.registry import READERS

    assert READERS.load("markdown") is MarkdownReader
    assert MarkdownReader.name == "markdown"
    assert MarkdownReader.suffixes == (".md", ".markdown", ".mdown")
    reader = MarkdownReader()
    assert reader.typographer is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        reader.typographer = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        MarkdownReader(True)  # type: ignore[call-arg]  # options are keyword-only


def test_parser_built_once_per_option_set() -> None:
    assert markdown_module._parser(True) is markdown_module._parser(True)
    assert markdown_module._parser(True) is not markdown_module._parser(False)


# ------------------------------------------------------------------------------------------- inlines


def test_basic_inlines_and_blocks() -> None:
    article, report = read("basic")
    assert article.metadata.title == "Basic Markdown"
    assert not report.items
    first, heading, breaks, raw, rule, sub, last = article.blocks
    assert isinstance(first, Paragraph)
    kinds = [type(n) for n in first.children]
    assert kinds == [Text, Emphasis, Text, Strong, Text, Code, Text, Strikethrough, Text, Link, Text, Link,
                     Text]
    assert first.children[0] == t("Opening paragraph with ")
    # the soft break became one space, merged into the neighbouring text
    assert first.children[8] == t(" text, a ")
    assert first.children[9] == Link(url="https://example.org/a", title="Link title", children=(t("link"),))
    assert first.children[11] == Link(url="https://example.org/auto", children=(t("https://example.org/auto"),))
    assert heading == Heading(level=2, children=(t("Section with an id"),), id="custom-id")
    assert isinstance(breaks, Paragraph)
    assert breaks.children[:3] == (t("Line one"), LineBreak(), t("line two & an entity © and "))
    assert RawInline(text="<kbd>", line=12) in breaks.children and RawInline(text="</kbd>", line=12) in breaks.children
    assert raw == RawBlock(text='<div class="note"><p>Raw block</p></div>', line=14)  # and the comment is gone
    assert rule == ThematicBreak()
    assert sub == Heading(level=3, children=(t("Plain subsection"),))
    assert isinstance(last, Paragraph)
    assert last.children[:6] == (
        t("Water is H"), Subscript(children=(t("2"),)), t("O, the 2"),
        Superscript(children=(t("nd"),)), t(" try, and "), Strikethrough(children=(t("this"),)),
    )


def test_sub_and_strike_coexist_and_spaces_are_not_subscript() -> None:
    (para,) = blocks_of("~~gone~~ H~2~O ~not sub~ x^2^ y^not sup^")
    assert isinstance(para, Paragraph)
    assert para.children == (
        Strikethrough(children=(t("gone"),)), t(" H"), Subscript(children=(t("2"),)),
        t("O ~not sub~ x"), Superscript(children=(t("2"),)), t(" y^not sup^"),
    )


def test_adjacent_texts_are_merged_and_empty_paragraphs_dropped() -> None:
    blocks = blocks_of("a\\*b &amp; c\nd\n\n&#32;\n\nlast")
    assert blocks == (Paragraph(children=(t("a*b & c d"),)), Paragraph(children=(t("last"),)))


def test_link_targets_kept_as_written_and_unsafe_links_refused() -> None:
    (para,) = blocks_of(
        "[a](<my file.md>) ![b](images/слика.png) [c](java&#9;script:alert(1)) [d](JavaScript:x)")
    assert isinstance(para, Paragraph)
    assert para.children[0] == Link(url="my file.md", children=(t("a"),))
    assert para.children[2] == Image(src="images/слика.png", alt="b", line=1)
    assert not [n for n in para.children[3:] if isinstance(n, Link)]


def test_typographer_on_and_off() -> None:
    on, _ = read("typography")
    off, _ = read("typography", typographer=False)
    assert inline_text(on.blocks[0].children) == (  # type: ignore[union-attr]
        "“Double” and ‘single’ quotes – an en dash — an em dash… and © 2024.")
    assert inline_text(off.blocks[0].children) == (  # type: ignore[union-attr]
        "\"Double\" and 'single' quotes -- an en dash --- an em dash... and (c) 2024.")


# -------------------------------------------------------------------------------------------- blocks


def test_lists_tight_loose_start_nesting_and_definitions() -> None:
    article, _ = read("lists")
    tight, ordered, loose, definitions = article.blocks
    assert isinstance(tight, BulletList) and tight.tight
    assert [inline_text(i.blocks[0].children) for i in tight.items] == ["tight one", "tight two"]  # type: ignore[union-attr]
    nested = tight.items[1].blocks[1]
    assert isinstance(nested, BulletList) and len(nested.items) == 2
    assert isinstance(ordered, OrderedList) and ordered.start == 3 and ordered.tight
    assert isinstance(loose, BulletList) and not loose.tight
    assert isinstance(definitions, DefinitionList)
    term, other = definitions.items
    assert term.term == (t("Term"),)
    assert len(term.definitions) == 2
    assert [inline_text(b.children) for b in term.definitions[0]] == [  # type: ignore[union-attr]
        "First definition.", "Second paragraph of the first definition."]
    assert other.definitions == ((Paragraph(children=(t("Short."),)),),)


def test_code_blocks() -> None:
    article, _ = read("code")
    assert article.blocks == (
        CodeBlock(text='print("hi")\n', language="python"),
        CodeBlock(text="key: value", language="yaml"),
        CodeBlock(text="indented code\nsecond line"),
        CodeBlock(text="no language"),
    )


def test_tables() -> None:
    article, _ = read("tables")
    (table,) = article.blocks
    assert isinstance(table, Table)
    assert table.alignments == ("left", "center", None, "right")
    assert [inline_text(c.children) for c in table.header[0]] == ["Format", "Engine", "Notes", "Time"]
    assert len(table.rows) == 3
    assert table.rows[0][1].children == (Emphasis(children=(t("templates"),)),)
    assert table.rows[1][1].children == (t("CSS"), Superscript(children=(t("print"),)))
    assert table.rows[2][0].children == ()
    assert table.caption == (t("Build times by "), Strong(children=(t("format"),)), t("."))


def test_quotes_attributions_and_containers() -> None:
    article, report = read("quotes")
    separate, same_line, lone_dash, pull, aside, note, sidebar, unknown = article.blocks
    assert separate == BlockQuote(blocks=(Paragraph(children=(t("Borders are easy to draw."),)),),
                                  attribution=(t("Vesna Marković, retired surveyor"),))
    assert same_line == BlockQuote(
        blocks=(Paragraph(children=(t("A single paragraph with the source on its last line."),)),),
        attribution=(t("Arbër, silversmith"),))
    assert isinstance(lone_dash, BlockQuote) and lone_dash.attribution == () and len(lone_dash.blocks) == 1
    assert pull == PullQuote(blocks=(Paragraph(children=(t("“A line drawn in a palace.”"),)),),
                             attribution=(t("The author"),))
    assert isinstance(aside, Aside) and aside.kind == "aside"
    assert isinstance(aside.blocks[0], Paragraph)
    assert aside.blocks[0].children[0] == Strong(children=(t("What is a border?"),))
    assert isinstance(note, Aside) and note.kind == "note"
    assert isinstance(sidebar, Aside) and sidebar.kind == "sidebar"
    assert isinstance(unknown, Aside) and unknown.kind == "gallery"
    (warning,) = report.warnings
    assert warning.code == "markdown.unknown-container"
    assert warning.line == 32  # the `::: gallery` line, counted in the file (front matter included)


def test_footnotes() -> None:
    article, report = read("footnotes")
    (para,) = article.blocks
    assert isinstance(para, Paragraph)
    notes = [n for n in para.children if isinstance(n, Footnote)]
    assert [n.label for n in notes] == ["a", "long", "a", ""]
    assert notes[0] == notes[2]  # a note referenced twice carries its blocks at both places
    assert notes[0].blocks == (Paragraph(children=(
        t("Source for the "), Emphasis(children=(t("claim"),)), t("."))),)
    first, second = notes[1].blocks
    assert first == Paragraph(children=(t("The first paragraph."),))
    assert isinstance(second, Paragraph)
    inner = second.children[-1]
    assert inner == Footnote(blocks=(Paragraph(children=(t("Nested note text."),)),), label="inner")
    assert notes[3].blocks == (Paragraph(children=(t("Written "), Emphasis(children=(t("inline"),)),
                                                   t("."))),)
    assert [n.label for n in iter_footnotes(article.blocks)] == ["a", "long", "inner", "a", ""]
    assert [(d.code, d.line) for d in report.warnings] == [("markdown.unused-footnote", 15)]


def test_undefined_and_circular_footnotes_warn() -> None:
    article, report = read_text("x[^missing] y[^loop]\n\n[^loop]: again[^loop]\n")
    (para,) = article.blocks
    assert isinstance(para, Paragraph)
    assert para.children[0] == t("x[^missing] y")
    note = para.children[1]
    assert isinstance(note, Footnote)
    assert note.blocks == (Paragraph(children=(t("again[^loop]"),)),)
    assert {"markdown.undefined-footnote", "markdown.footnote-loop"} <= report.codes()


def test_figures_captions_and_credits() -> None:
    article, _ = read("figures")
    bridge, most, lamps, only, river, inline, linked = article.blocks
    assert bridge == Figure(src="images/bridge.png", alt="A stone bridge at dusk.",
                            caption=(t("The old bridge in October."),), credit="Teo Varga", line=5)
    assert most == Figure(src="images/most.png", alt="Мост у сумрак.", caption=(t("Стари мост."),),
                          credit="Јелена Николић", line=7)
    assert lamps == Figure(src="images/lamps.png", alt="Lamps on the river, credit: Agency",
                           caption=(t("Lamps on the "), Emphasis(children=(t("river"),))),
                           credit="Agency", line=9)
    assert only == Figure(src="images/only.png", alt="Only a title", caption=(t("Caption without a credit"),),
                          line=11)
    assert river == Figure(src="images/river.png", alt="A river", caption=(t("A river"),), credit="AP", line=13)
    assert isinstance(inline, Paragraph)
    assert Image(src="images/lantern.png", alt="lantern", title="icon", line=15) in inline.children
    image = Image(src="images/linked.png", alt="Linked image", line=17)
    assert linked == Paragraph(children=(Link(url="https://example.org", children=(image,)),))


def _inlines_held(block: Block) -> tuple[Inline, ...]:
    if isinstance(block, Table):
        return tuple(i for row in block.rows for cell in row for i in cell.children)
    if isinstance(block, BlockQuote):
        return block.attribution
    return block.children if isinstance(block, Paragraph) else ()


def test_images_and_raw_html_carry_the_file_line_they_are_written_on() -> None:
    """After soft breaks, in table cells, attributions and footnotes: the line counts from the file's top."""
    article, _ = read_text("---\ntitle: T\nimage: lead.png\n---\n\nOne\ntwo ![a](a.png) <b>x</b>\n\n| h |\n|---|\n"
                           "| ![c](c.png) |\n\n> Quoted.\n>\n> — Someone ![q](q.png)\n\nNote[^n].\n\n"
                           "[^n]: See\n    ![f](f.png)\n\n<div><img src=\"d.png\"></div>\n")
    found: dict[str, int] = {}
    for block in (*article.blocks, *(b for note in iter_footnotes(article.blocks) for b in note.blocks)):
        for node in _inlines_held(block):
            if isinstance(node, Image | RawInline):
                found[node.src if isinstance(node, Image) else node.text] = node.line
        if isinstance(block, RawBlock):
            found[block.text] = block.line
    assert article.metadata.image is not None and article.metadata.image.line == 3
    assert found == {"a.png": 7, "<b>": 7, "</b>": 7, "c.png": 11, "q.png": 15, "f.png": 20,
                     '<div><img src="d.png"></div>': 22}


@pytest.mark.parametrize(("caption", "expected"), [
    ("The bridge. Photo: Teo Varga", ("The bridge.", "Teo Varga")),
    ("The bridge. (Photo: AP)", ("The bridge.", "AP")),
    ("Lamps, credit: Agency", ("Lamps", "Agency")),
    ("Стари мост. Фото: Ј. Н.", ("Стари мост.", "Ј. Н.")),
    ("Photograph: Reuters", ("", "Reuters")),
    ("A telephoto lens: long and heavy", ("A telephoto lens: long and heavy", "")),
])
def test_split_credit(caption: str, expected: tuple[str, str]) -> None:
    from exporter.readers._markdown_inlines import split_credit

    assert split_credit(caption) == expected


# ------------------------------------------------------------------------------------ related, title


def test_related_links_paragraph() -> None:
    article, _ = read("related")
    assert article.blocks[-1] == RelatedLinks(label="READ ALSO", links=(
        Link(url="nato-kosovo.txt", children=(t("NATO Deploys 700 More Troops"),)),
        Link(url="../longform/balkan-borders.md", children=(t("Lines on Water"),)),
    ))
    assert article.blocks[0] == Paragraph(children=(t("Body text."),))


def test_related_links_label_then_list() -> None:
    article, _ = read("related-list")
    assert article.blocks == (Paragraph(children=(t("Body text."),)), RelatedLinks(label="Read also", links=(
        Link(url="first.md", children=(t("First story"),)),
        Link(url="second.md", children=(t("Second story"),)),
    )))


@pytest.mark.parametrize(("name", "label"), [("related-sr", "ПРОЧИТАЈТЕ И"), ("related-zh", "延伸阅读")])
def test_related_links_other_languages(name: str, label: str) -> None:
    article, _ = read(name)
    last = article.blocks[-1]
    assert isinstance(last, RelatedLinks) and last.label == label and len(last.links) == 1


@pytest.mark.parametrize("text", [
    "READ ALSO: [a](a.md)", "**READ ALSO:** [a](a.md)", "Read also: [a](a.md)", "**Read also**: [a](a.md)",
    "LEXONI EDHE: [a](a.md)", "اقرأ أيضا: [a](a.md)", "延伸阅读：[a](a.md)", "ПРОЧИТАЈТЕ И: [a](a.md)",
])
def test_related_label_variants(text: str) -> None:
    last = blocks_of(f"Body.\n\n{text}")[-1]
    assert isinstance(last, RelatedLinks) and last.links == (Link(url="a.md", children=(t("a"),)),)


def test_not_related_without_links_or_with_commentary() -> None:
    article, _ = read("related-not")
    assert all(isinstance(b, Paragraph) for b in article.blocks)
    assert len(article.blocks) == 3


def test_title_from_leading_heading() -> None:
    article, report = read("title-heading")
    assert article.metadata.title == "The Title From the Heading"
    assert article.metadata.slug == "the-title-from-the-heading"
    assert isinstance(article.blocks[0], Paragraph)
    assert article.blocks[1] == Heading(level=1, children=(t("A second level-one heading stays"),))
    assert "meta.no-title" not in report.codes()


def test_no_title_falls_back_to_file_name() -> None:
    article, report = read("no-title")
    assert article.metadata.title == "no title"
    assert "meta.no-title" in report.codes()
    assert isinstance(article.blocks[1], Heading)


def test_heading_repeating_front_matter_title_is_dropped() -> None:
    blocks = blocks_of("---\ntitle: Same Title\n---\n\n# Same  title\n\nBody.\n\n# Other\n")
    assert blocks == (Paragraph(children=(t("Body."),)), Heading(level=1, children=(t("Other"),)))


def test_bom_crlf_and_line_numbers() -> None:
    article, _ = read("crlf-bom")
    assert article.metadata.title == "CRLF"
    assert article.blocks == (Paragraph(children=(t("Line one."),)),
                              BlockQuote(blocks=(Paragraph(children=(t("Quote"),)),)))


SAMPLES = Path(__file__).parents[2] / "sources"


@pytest.mark.parametrize("path", sorted(SAMPLES.rglob("*.md")), ids=lambda p: p.name)
def test_sample_sources_read_cleanly(path: Path) -> None:
    report = Report()
    article = MarkdownReader().read(path.read_bytes(), path=str(path), report=report)
    assert not report.items, [str(d) for d in report]
    assert article.metadata.title and article.blocks


def test_sample_photo_essay_and_longform() -> None:
    photo = SAMPLES / "photo" / "river-of-light.md"
    article = MarkdownReader().read(photo.read_bytes(), path=str(photo), report=Report())
    figures = [b for b in article.blocks if isinstance(b, Figure)]
    assert [f.credit for f in figures] == ["Teo Varga"] * 3
    assert article.images[1:] == ("images/river-01.png", "images/river-02.png", "images/lantern-icon.png",
                                  "images/river-03.png")
    longform = SAMPLES / "longform" / "balkan-borders.md"
    article = MarkdownReader().read(longform.read_bytes(), path=str(longform), report=Report())
    assert len(list(iter_footnotes(article.blocks))) == 15
    quotes = [b for b in article.blocks if isinstance(b, BlockQuote)]
    assert all(q.attribution for q in quotes) and len(quotes) == 4
    assert sum(isinstance(b, PullQuote) for b in article.blocks) == 2
    assert isinstance(article.blocks[-1], RelatedLinks)


# ------------------------------------------------------------------------------------ errors, limits


def _depth(blocks: tuple[Block, ...]) -> int:
    deepest, stack = 0, [(b, 1) for b in blocks]
    while stack:
        block, level = stack.pop()
        deepest = max(deepest, level)
        children: tuple[Block, ...] = ()
        if isinstance(block, BlockQuote | PullQuote | Aside):
            children = block.blocks
        elif isinstance(block, BulletList | OrderedList):
            children = tuple(b for item in block.items for b in item.blocks)
        stack.extend((c, level + 1) for c in children)
    return deepest


@pytest.mark.parametrize("source", [
    ">" * 5000 + " deep",
    "".join("  " * i + "- x\n" for i in range(200)),
    "".join("  " * i + "- x\n" for i in range(55)),
    "> - " * 400 + "x",
    "::: note\n" * 300 + "x\n" + ":::\n" * 300,
    "[" * 5000 + "a" + "]" * 5000,
    "*" * 20000 + "a" + "*" * 20000,
    "*a " * 3000 + "x" + " a*" * 3000,
    "![" * 200 + "a" + "](b)" * 200,
    "a[^0]\n\n" + "".join(f"[^{i}]: n{i}[^{i + 1}]\n" for i in range(100)),
])
def test_pathological_nesting_never_escapes(source: str) -> None:
    article, _ = read_text(source)
    assert _depth(article.blocks) <= MAX_DEPTH + 1
    assert article.word_count >= 0  # the model's own recursive walks survive the result


def test_deep_lists_are_flattened_with_a_warning() -> None:
    article, report = read_text("".join("  " * i + f"- item {i}\n" for i in range(55)))
    assert "markdown.too-deep" in report.codes()
    assert _depth(article.blocks) == MAX_DEPTH + 1  # 50 lists, and the paragraphs in the deepest
    assert "item 54" in " ".join(t for t in _texts(article.blocks))  # flattened, not lost


def _texts(blocks: tuple[Block, ...]) -> list[str]:
    from exporter.model import iter_texts

    return list(iter_texts(blocks))


def test_unexpected_failure_becomes_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> int:
        raise ValueError("boom")

    monkeypatch.setattr(markdown_module._Builder, "block", broken)
    with pytest.raises(SourceError) as caught:
        read_text("---\ntitle: x\n---\n\nText.\n")
    assert caught.value.path == "inline.md"
    assert "boom" in caught.value.message


def test_recursion_error_becomes_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def deep(*_args: object) -> int:
        raise RecursionError

    monkeypatch.setattr(markdown_module._Builder, "block", deep)
    with pytest.raises(SourceError, match="nested too deeply"):
        read_text("Text.\n")


@pytest.mark.parametrize(("data", "line"), [(b"", 0), (b"---\ntitle: [unclosed\n---\nBody\n", 2)])
def test_bad_sources_raise_located_source_errors(data: bytes, line: int) -> None:
    with pytest.raises(SourceError) as caught:
        MarkdownReader().read(data, path="bad.md", report=Report())
    assert caught.value.path == "bad.md"
    assert caught.value.line == line
