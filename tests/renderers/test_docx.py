"""The DOCX renderer: reopened with python-docx and read as XML, every sample source in both built-in themes."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import docx
import pytest
from docx_support import (
    FIXTURES,
    NS,
    ROOT,
    DocxFacts,
    W,
    articles,
    documents,
    expected_alts,
    expected_headings,
    expected_links,
    expected_lists,
    load_any,
    rendered,
    source_words,
    top_notes,
    words,
)

from exporter.diagnostics import Report
from exporter.errors import OptionError
from exporter.identity import document_identifier
from exporter.loader import load
from exporter.model import Collection, inline_text, iter_texts
from exporter.renderers import build
from exporter.renderers.docx import DocxRenderer
from exporter.themes import Theme

DOCUMENTS = documents()
THEMES = ("default", "newsroom")
CASES = [pytest.param(path, theme, id=f"{path.relative_to(ROOT)}-{theme}") for path in DOCUMENTS for theme in THEMES]
EVERYTHING = FIXTURES / "everything.json"
ALLOWED_RUN_PROPERTIES = {"rStyle", "b", "i", "strike", "vertAlign"}
"""Semantic toggles (emphasis, strong, …) and a character style: the only run properties the renderer writes."""


def test_the_corpus_is_found_dynamically() -> None:
    names = {p.name for p in DOCUMENTS}
    assert {"nato-kosovo.txt", "collection", "everything.json"} <= names
    assert len(DOCUMENTS) >= 6


@pytest.mark.parametrize(("path", "theme"), CASES)
def test_every_heading_is_a_word_heading(path: Path, theme: str) -> None:
    document = docx.Document(io.BytesIO(rendered(path, theme)[0]))
    found = [(int(p.style.name.split()[1]), p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert found == expected_headings(load_any(path))


@pytest.mark.parametrize(("path", "theme"), CASES)
def test_no_direct_formatting_for_what_styles_express(path: Path, theme: str) -> None:
    facts = DocxFacts(rendered(path, theme)[0])
    for part in ("word/document.xml", "word/footnotes.xml"):
        if part not in facts.parts:
            continue
        root = facts.xml(part)
        for rpr in root.iterfind(".//w:r/w:rPr", NS):
            names = {child.tag.split("}")[1] for child in rpr}
            assert names <= ALLOWED_RUN_PROPERTIES, (part, names)
        for ppr in root.iterfind(".//w:p/w:pPr", NS):
            if ppr.getparent().getparent().get(f"{{{W}}}type"):  # the footnote separators
                continue
            names = {child.tag.split("}")[1] for child in ppr}
            if names == {"sectPr"}:  # the paragraph that ends a section (a collection's article)
                continue
            assert "pStyle" in names or ppr.getparent().getparent().tag == f"{{{W}}}tc"
            assert names <= {"pStyle", "numPr", "jc"}, (part, names)


@pytest.mark.parametrize(("path", "theme"), CASES)
def test_footnotes_are_real_word_footnotes(path: Path, theme: str) -> None:
    facts = DocxFacts(rendered(path, theme)[0])
    notes = [n for a in articles(load_any(path)) for n in top_notes(a.blocks)]
    found = facts.footnotes()
    assert len(found) == len(notes)
    for element, note in zip(found, notes, strict=True):
        assert words(facts.text_of(element)) == words(" ".join(iter_texts(note.blocks)))
        assert element.find(".//w:footnoteRef", NS) is not None
    references = [int(r.get(f"{{{W}}}id")) for r in facts.xml("word/document.xml").iter(f"{{{W}}}footnoteReference")]
    assert references == list(range(1, len(notes) + 1))
    if notes:
        separators = facts.xml("word/footnotes.xml").iterfind("w:footnote[@w:type]", NS)
        assert [s.get(f"{{{W}}}type") for s in separators] == ["separator", "continuationSeparator"]
        assert b"footnotes+xml" in facts.parts["[Content_Types].xml"]


@pytest.mark.parametrize(("path", "theme"), CASES)
def test_hyperlinks_are_relationship_based_with_the_right_targets(path: Path, theme: str) -> None:
    facts = DocxFacts(rendered(path, theme)[0])
    assert Counter(facts.hyperlink_targets()) == Counter(expected_links(load_any(path)))
    bookmarks = {b.get(f"{{{W}}}name") for b in facts.xml("word/document.xml").iter(f"{{{W}}}bookmarkStart")}
    assert {t[1:] for t in facts.hyperlink_targets() if t.startswith("#")} <= bookmarks
    for link in facts.xml("word/document.xml").iter(f"{{{W}}}hyperlink"):
        style = link.getparent().find("w:pPr/w:pStyle", NS)
        if style is not None and style.get(f"{{{W}}}val").startswith("TOC"):
            continue  # table of contents entries look like the contents, as Word's own do
        styles = {r.get(f"{{{W}}}val") for r in link.iterfind("w:r/w:rPr/w:rStyle", NS)}
        assert styles and styles <= {"Hyperlink", "VerbatimChar"}, styles


@pytest.mark.parametrize(("path", "theme"), CASES)
def test_pictures_have_alt_text(path: Path, theme: str) -> None:
    facts = DocxFacts(rendered(path, theme)[0])
    descriptions = [d.get("descr") for d in facts.xml("word/document.xml").iterfind(".//wp:docPr", NS)]
    assert Counter(descriptions) == Counter(expected_alts(load_any(path)))
    assert all(descriptions)


@pytest.mark.parametrize(("path", "theme"), CASES)
def test_list_levels_styles_and_restarts(path: Path, theme: str) -> None:
    document = docx.Document(io.BytesIO(rendered(path, theme)[0]))
    found = []
    for paragraph in document.paragraphs:
        numpr = paragraph._p.find("w:pPr/w:numPr", NS)
        if numpr is not None:
            level = int(numpr.find("w:ilvl", NS).get(f"{{{W}}}val"))
            found.append((numpr.find("w:numId", NS).get(f"{{{W}}}val"), paragraph.style.name, level, paragraph.text))
    expected = [item for a in articles(load_any(path)) for item in expected_lists(a.blocks)]
    assert [(level, text) for _, _, level, text in found] == [(level, text) for _, _, level, text in expected]
    for (_, style, level, _), (_, ordered, _, _) in zip(found, expected, strict=True):
        assert style == f"List {'Number' if ordered else 'Bullet'}{'' if level == 0 else f' {level + 1}'}"
    same_list = {(a[0], b[0]) for a, b in zip(found, expected, strict=True)}
    assert len({num for num, _ in same_list}) == len({serial for _, serial in same_list}) == len(same_list)


@pytest.mark.parametrize(("path", "theme"), CASES)
def test_every_word_of_the_source_is_in_the_document(path: Path, theme: str) -> None:
    missing = Counter(source_words(load_any(path))) - Counter(DocxFacts(rendered(path, theme)[0]).all_words())
    assert not missing


@pytest.mark.parametrize(("path", "theme"), CASES)
def test_the_project_docx_validator_finds_nothing(path: Path, theme: str, tmp_path: Path) -> None:
    from exporter.validate.docx import check_docx

    target = tmp_path / "out.docx"
    target.write_bytes(rendered(path, theme)[0])
    assert [str(d) for d in check_docx(target)] == []


def test_the_wire_story_file_words_survive() -> None:
    path = ROOT / "sources/world/nato-kosovo.txt"
    body = path.read_text(encoding="utf-8").split("---", 2)[2]
    missing = Counter(words(body)) - Counter(DocxFacts(rendered(path)[0]).all_words())
    assert not missing


def test_everything_fixture_details() -> None:
    data, codes = rendered(EVERYTHING)
    document = docx.Document(io.BytesIO(data))
    styles = [p.style.name for p in document.paragraphs]
    for name in ("Kicker", "Title", "Subtitle", "Author", "Date", "Figure", "Caption", "Quote", "Pull Quote",
                 "Quote Attribution", "Aside", "Source Code", "Definition Term", "Definition", "Table Caption",
                 "Section Break", "Related Heading", "Related Link", "Corrections Heading", "Correction", "Rights"):
        assert name in styles, name
    assert {"docx.raw-html-dropped", "resource.refused", "docx.nested-footnote", "image.unreadable"} <= set(codes)
    text = " ".join(p.text for p in document.paragraphs)
    assert "bold html" in text and "Raw block html words" in text and "<b>" not in text
    assert "script link" in text
    assert "Damaged picture alt words" in text  # a picture Word cannot show leaves its alt text
    table = document.tables[0]
    assert table.style.name == "Table"
    assert table.rows[0]._tr.find("w:trPr/w:tblHeader", NS) is not None
    assert [c.paragraphs[0].alignment for c in table.rows[1].cells] == [0, 2]
    assert table.rows[2].cells[1].paragraphs[0].alignment == 1
    code_runs = [r for p in document.paragraphs for r in p.runs if r.style.name == "Verbatim Char"]
    assert [r.text for r in code_runs] == ["inline_code()"]
    dateline = document.paragraphs[styles.index("Body Text")].runs[0]
    assert (dateline.style.name, dateline.text) == ("Dateline", "PRIZREN, Kosovo")
    numbering = DocxFacts(data).xml("word/numbering.xml")
    third = next(p for p in document.paragraphs if p.text == "Third item eta")
    num_id = third._p.find("w:pPr/w:numPr/w:numId", NS).get(f"{{{W}}}val")
    start = numbering.find(f"w:num[@w:numId='{num_id}']/w:lvlOverride/w:startOverride", NS)
    assert start.get(f"{{{W}}}val") == "3"
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    widths = [int(p._p.find(".//wp:extent", NS).get("cx")) for p in document.paragraphs if p.style.name == "Figure"]
    assert len(widths) == 2 and all(abs(w - text_width) < 2000 for w in widths)  # scaled to the text width
    assert abs(section.page_width - docx.shared.Mm(210)) < docx.shared.Mm(0.1)  # stored in twips
    assert abs(section.left_margin - docx.shared.Mm(24)) < docx.shared.Mm(0.1)
    assert "Everything a Word Editor Meets" in section.header.paragraphs[0].text
    assert b"PAGE" in DocxFacts(data).parts["word/footer1.xml"]


def test_core_properties_and_language() -> None:
    serbian = DocxFacts(rendered(ROOT / "sources/world/kosovo-sr.md")[0])
    defaults = serbian.xml("word/styles.xml").find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS)
    assert defaults.get(f"{{{W}}}val") == "sr-Cyrl-RS"
    normal = serbian.xml("word/styles.xml").find("w:style[@w:styleId='Normal']/w:rPr/w:lang", NS)
    assert normal.get(f"{{{W}}}val") == "sr-Cyrl-RS"
    assert serbian.xml("word/settings.xml").find("w:proofState", NS) is None
    props = docx.Document(io.BytesIO(rendered(EVERYTHING)[0])).core_properties
    assert props.title == "Everything a Word Editor Meets"
    assert props.author == "Ana Kovač; Ben Ode"
    assert props.subject == "A fixture touching every block and inline node"
    assert props.keywords == "docx, fixtures, word"
    assert props.language == "en"  # the model's BCP 47 tag; Word's proofing form stays on the styles
    assert props.created.date().isoformat() == "2024-03-14"  # the article's date, never the wall clock
    assert props.modified.date().isoformat() == "2024-03-15"  # its last update
    serbian_props = docx.Document(io.BytesIO(serbian.data)).core_properties
    assert serbian_props.language == "sr-Cyrl"


def test_core_properties_say_what_every_format_says() -> None:
    """Authors are the `author` role only (photographer and translator are contributors), and the identifier is
    `exporter.identity.document_identifier`'s, as in the EPUB, PDF and HTML."""
    article = load(EVERYTHING.relative_to(ROOT))
    props = docx.Document(io.BytesIO(rendered(EVERYTHING)[0])).core_properties
    assert props.author == "Ana Kovač; Ben Ode"
    assert props.identifier == document_identifier(article.metadata, article.source)
    assert props.identifier.startswith("urn:uuid:")
    doi = load(ROOT / "sources/longform/balkan-borders.md")
    longform = docx.Document(io.BytesIO(DocxRenderer().render(doi, Theme.load("default"), Report()))).core_properties
    assert longform.identifier == "urn:doi:10.5555/example.2024.001"
    assert longform.author == "Mira Lindqvist"  # not the translator


def test_two_runs_give_identical_bytes_and_the_epoch_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    article = load(EVERYTHING.relative_to(ROOT))
    theme = Theme.load("newsroom")
    first = DocxRenderer().render(article, theme, Report())
    assert first == DocxRenderer().render(article, theme, Report())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    stamped = DocxRenderer().render(article, theme, Report())
    assert stamped == DocxRenderer().render(article, theme, Report())
    assert docx.Document(io.BytesIO(stamped)).core_properties.created.isoformat().startswith("2023-11-14T22:13:20")


def _child_theme(tmp_path: Path, *, reference: bool = False) -> Theme:
    folder = tmp_path / "child"
    (folder / "docx").mkdir(parents=True)
    (folder / "theme.toml").write_text('[theme]\nname = "child"\nextends = "default"\n\n[tokens.colours]\n'
                                       'accent = "#123456"\n\n[tokens.fonts]\ntext = "Liberation Serif"\n')
    if reference:
        base = docx.Document()
        heading = base.styles["Heading 1"]
        heading.font.name = "Reference Display"
        heading.font.color.rgb = docx.shared.RGBColor(0x00, 0xAA, 0x00)
        base.save(str(folder / "docx" / "reference.docx"))
    return Theme.load(folder)


def test_a_child_theme_changes_accent_and_body_font(tmp_path: Path) -> None:
    article = load(EVERYTHING.relative_to(ROOT))
    styles = docx.Document(io.BytesIO(DocxRenderer().render(article, _child_theme(tmp_path), Report()))).styles
    default = docx.Document(io.BytesIO(rendered(EVERYTHING)[0])).styles
    assert str(styles["Hyperlink"].font.color.rgb) == "123456" != str(default["Hyperlink"].font.color.rgb)
    assert str(styles["Kicker"].font.color.rgb) == "123456"
    assert styles["Normal"].font.name == "Liberation Serif" != default["Normal"].font.name
    newsroom = docx.Document(io.BytesIO(rendered(EVERYTHING, "newsroom")[0])).styles
    assert newsroom["Heading 1"].font.name == "Noto Sans" and default["Heading 1"].font.name == "Noto Serif"
    assert str(newsroom["Hyperlink"].font.color.rgb) == "C8102E"


def test_a_reference_docx_wins_over_tokens(tmp_path: Path) -> None:
    article = load(EVERYTHING.relative_to(ROOT))
    data = DocxRenderer().render(article, _child_theme(tmp_path, reference=True), Report())
    styles = docx.Document(io.BytesIO(data)).styles
    assert styles["Heading 1"].font.name == "Reference Display"
    assert str(styles["Heading 1"].font.color.rgb) == "00AA00"
    assert str(styles["Kicker"].font.color.rgb) == "123456"  # missing from the reference: built from tokens


def test_a_collection_is_one_document_with_a_toc_and_a_page_per_article() -> None:
    path = ROOT / "sources/collection"
    collection = load_any(path)
    assert isinstance(collection, Collection)
    document = docx.Document(io.BytesIO(rendered(path)[0]))
    assert len(document.sections) == len(collection.articles) + 1
    assert all(s.start_type == docx.enum.section.WD_SECTION.NEW_PAGE for s in document.sections[1:])
    instructions = "".join(t.text for t in document.element.body.iter(f"{{{W}}}instrText"))
    assert "TOC" in instructions
    titles = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert titles == [a.metadata.title for a in collection.articles]
    entries = [p.text for p in document.paragraphs if p.style.name == "TOC 1"]
    assert entries == titles
    facts = DocxFacts(rendered(path)[0])
    bookmarks = {b.get(f"{{{W}}}name") for b in facts.xml("word/document.xml").iter(f"{{{W}}}bookmarkStart")}
    assert {t[1:] for t in facts.hyperlink_targets(toc=True)} == {"a1_title", "a2_title", "a3_title"} <= bookmarks
    assert document.paragraphs[0].style.name in {"Kicker", "Title"}


def test_registry_builds_it_and_refuses_unknown_options() -> None:
    renderer = build("docx", {"toc": False})
    assert isinstance(renderer, DocxRenderer) and renderer.suffix == ".docx"
    with pytest.raises(OptionError, match="colour"):
        build("docx", {"colour": "red"})
    with pytest.raises(OptionError, match="toc_depth"):
        build("docx", {"toc_depth": 0})
    collection = load_any(ROOT / "sources/collection")
    plain = docx.Document(io.BytesIO(DocxRenderer(toc=False).render(collection, Theme.load("default"), Report())))
    assert not list(plain.element.body.iter(f"{{{W}}}instrText"))
    assert not [p for p in plain.paragraphs if p.style.name.startswith("TOC")]


def test_unsafe_links_become_text_and_raw_html_is_reported() -> None:
    facts = DocxFacts(rendered(EVERYTHING)[0])
    assert not any(t.startswith("javascript") for t in facts.hyperlink_targets())
    assert "#second_level" in facts.hyperlink_targets()
    assert inline_text(()) == ""


# --------------------------------------------------------------------------------------- LibreOffice


def _split_marks(text: str) -> str:
    """Footnote numbers and superscripts glued to the word before them ("note1") count as separate words."""
    return re.sub(r"(?<=[^\W\d])(\d+)\b", r" \1", text)


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.fail("LibreOffice (soffice) is not installed: run make test to install LibreOffice "
                    "(Debian package libreoffice-writer-nogui)")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
def test_libreoffice_converts_every_docx_and_the_words_survive(theme: str, tmp_path: Path) -> None:
    from pypdf import PdfReader

    soffice = _soffice()
    inputs = []
    for number, path in enumerate(DOCUMENTS):
        target = tmp_path / f"{number:02d}-{path.stem}.docx"
        target.write_bytes(rendered(path, theme)[0])
        inputs.append((path, target))
    profile = (tmp_path / "profile").as_uri()
    result = subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                             "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *(str(t) for _, t in inputs)],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    for path, target in inputs:
        pdf = tmp_path / "pdf" / f"{target.stem}.pdf"
        assert pdf.is_file(), f"{path}: LibreOffice produced no PDF\n{result.stdout}\n{result.stderr}"
        text = " ".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
        facts = DocxFacts(target.read_bytes())
        body = [facts.text_of(facts.xml("word/document.xml")), *(facts.text_of(n) for n in facts.footnotes())]
        expected = Counter(words(_split_marks(" ".join(body))))
        missing = expected - Counter(words(_split_marks(text.replace("-\n", "-"))))
        assert not missing, f"{path}: {sorted(missing)[:20]}"


def _style_ids(data: bytes) -> tuple[dict[str, str], set[str]]:
    """(style id → type) defined in styles.xml, and every style id the document, notes and chrome refer to."""
    import zipfile

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
        defined = {s.get(f"{w}styleId"): s.get(f"{w}type") for s in styles.iter(f"{w}style")}
        used = {s.get(f"{w}val") for s in styles.iter(f"{w}basedOn", f"{w}next", f"{w}link")}
        for name in archive.namelist():
            if name.startswith("word/") and name.endswith(".xml") and name != "word/styles.xml":
                root = etree.fromstring(archive.read(name))
                used |= {e.get(f"{w}val") for e in root.iter(f"{w}pStyle", f"{w}rStyle", f"{w}tblStyle")}
    return defined, used


def test_every_style_used_is_defined_and_unused_table_styles_are_gone(tmp_path: Path) -> None:
    data = rendered(EVERYTHING)[0]
    defined, used = _style_ids(data)
    assert used and used <= set(defined), sorted(used - set(defined))
    tables = {sid for sid, kind in defined.items() if kind == "table"}
    assert tables == {"TableNormal", "Table"}  # the blank template's hundred table styles are not shipped
    reference = _child_theme(tmp_path, reference=True)
    own = _style_ids(DocxRenderer().render(load(EVERYTHING.relative_to(ROOT)), reference, Report()))[0]
    assert "LightShading-Accent1" in own  # a theme's reference.docx keeps every style its designer put there
