"""Loading sources and folders: reader choice, collections (with or without collection.yaml), JSON."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from exporter.diagnostics import Report
from exporter.errors import SourceError, UnknownFormatError
from exporter.limits import Limits
from exporter.loader import load, load_collection, loads, reader_name_for
from exporter.model import Article, Collection, Heading, LeadImage, Paragraph, Person, inline_text
from exporter.model_json import from_json, to_json
from exporter.readers.plaintext import PlainTextReader

FIXTURES = Path(__file__).parent / "fixtures"
COLLECTIONS = FIXTURES / "collections"
LETTERS = COLLECTIONS / "letters"
FIELD_NOTES = COLLECTIONS / "field-notes"


def titles(collection: Collection) -> list[str]:
    return [a.metadata.title for a in collection.articles]


# ---------------------------------------------------------------------------------------- collections


def test_collection_yaml_gives_metadata_and_order() -> None:
    report = Report()
    book = load_collection(LETTERS, report=report)
    assert len(report) == 0
    meta = book.metadata
    assert meta.title == "Letters from the Frontier"
    assert meta.subtitle == "Three dispatches from the edges of the map"
    assert meta.authors == (
        Person(name="Hana Weiss", role="editor"),
        Person(name="Milan Kovač", role="editor"),
    )
    assert meta.credited("editor") == meta.authors
    assert meta.date == dt.date(2024, 6, 1)
    assert meta.image == LeadImage(src="cover.jpg", alt="A border post in snow", line=6)
    assert meta.identifiers.isbn == "9783161484100"
    assert meta.slug == "letters-from-the-frontier"
    assert "order" not in meta.extra
    assert titles(book) == ["The Customs House", "The Ferryman", "A Winter Crossing"]
    assert [Path(a.source).name for a in book.articles] == [
        "03-customs-house.txt",
        "01-ferryman.txt",
        "02-winter-crossing.txt",
    ]
    assert book.source == str(LETTERS)


def test_articles_of_a_collection_are_fully_loaded() -> None:
    ferryman = load_collection(LETTERS).articles[1]
    assert ferryman == load(LETTERS / "01-ferryman.txt")
    paragraphs = [inline_text(b.children) for b in ferryman.blocks if isinstance(b, Paragraph)]
    assert paragraphs[0].startswith("The ferry across the Drina leaves")


def test_folder_without_collection_file_uses_file_names_and_folder_title() -> None:
    report = Report()
    notes = load_collection(FIELD_NOTES, report=report)
    assert len(report) == 0
    assert notes.metadata.title == "Field Notes"
    assert notes.metadata.slug == "field-notes"
    assert notes.metadata.authors == ()
    assert titles(notes) == ["Market Day", "River Notes", "Harvest"]
    assert [Path(a.source).relative_to(FIELD_NOTES).as_posix() for a in notes.articles] == [
        "a-market.txt",
        "b-river.txt",
        "later/c-harvest.txt",
    ]


def test_collection_toml() -> None:
    atlas = load_collection(COLLECTIONS / "atlas")
    assert atlas.metadata.title == "An Atlas of Crossings"
    assert atlas.metadata.language == "en-GB"
    assert atlas.metadata.identifiers.doi == "10.5555/atlas.2024"
    assert titles(atlas) == ["A Winter Crossing", "The Ferryman"]


def test_order_naming_a_missing_file_is_an_error_at_its_line() -> None:
    with pytest.raises(SourceError, match=r"order: 'lighthouse\.txt' is not a source") as caught:
        load_collection(COLLECTIONS / "bad-order")
    assert caught.value.path == str(COLLECTIONS / "bad-order" / "collection.yaml")
    assert caught.value.line == 2


def test_files_missing_from_order_go_last_with_a_warning(tmp_path: Path) -> None:
    folder = shutil.copytree(LETTERS, tmp_path / "letters")
    shutil.copy(FIELD_NOTES / "a-market.txt", folder / "00-market.txt")
    (folder / ".hidden.txt").write_text(
        "Hidden\nNot part of the book at all, being a hidden file.\n", "utf-8"
    )
    report = Report()
    book = load_collection(folder, report=report)
    assert titles(book) == ["The Customs House", "The Ferryman", "A Winter Crossing", "Market Day"]
    assert [(d.code, d.path) for d in report] == [("collection.unlisted", str(folder / "collection.yaml"))]
    assert "00-market.txt" in report.warnings[0].message


def test_collection_yaml_may_start_with_a_document_marker(tmp_path: Path) -> None:
    folder = shutil.copytree(FIELD_NOTES, tmp_path / "notes")
    (folder / "collection.yaml").write_text(
        "---\ntitle: Notes From the Valley\norder: [b-river.txt]\n", "utf-8"
    )
    book = load_collection(folder, report=Report())
    assert book.metadata.title == "Notes From the Valley"
    assert titles(book)[0] == "River Notes"


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("title: Notes\ntags: [a, b\ndate: 2024-01-01\n", 3, 5),
        ("title: Notes\ndate: 2024-02-30\n", 2, 7),
        ("title: Notes\nlanguage: no such language\n", 2, 0),
        ("- just\n- a list\n", 1, 1),
    ],
)
def test_errors_in_collection_yaml_point_at_its_own_lines(
    tmp_path: Path, text: str, line: int, column: int
) -> None:
    folder = shutil.copytree(FIELD_NOTES, tmp_path / "notes")
    (folder / "collection.yaml").write_text(text, "utf-8")
    with pytest.raises(SourceError) as caught:
        load_collection(folder)
    assert (caught.value.path, caught.value.line, caught.value.column) == (
        str(folder / "collection.yaml"),
        line,
        column,
    )


def test_collection_yaml_in_a_legacy_encoding_or_empty(tmp_path: Path) -> None:
    folder = shutil.copytree(FIELD_NOTES, tmp_path / "notes")
    (folder / "collection.yaml").write_bytes("title: Café Crème\n".encode("cp1252"))
    report = Report()
    assert load_collection(folder, report=report).metadata.title.startswith("Caf")
    assert report.codes() == {"source.encoding"}
    (folder / "collection.yaml").write_bytes(b"")
    assert load_collection(folder).metadata.title == "Notes"


def test_folder_without_sources_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.log").write_text("not a source\n", "utf-8")
    with pytest.raises(SourceError, match="holds no sources"):
        load_collection(tmp_path)


def test_collection_round_trips_through_json_with_combine(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", str(LETTERS), "--to", "json", "--combine", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / "letters.json"
    assert result.stdout.strip() == f"wrote {written}"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["letters.json"]
    doc = from_json(written.read_bytes())
    assert isinstance(doc, Collection)
    assert doc == load_collection(LETTERS)
    assert titles(doc) == ["The Customs House", "The Ferryman", "A Winter Crossing"]


def test_combine_needs_folders(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", str(LETTERS / "01-ferryman.txt"), "--to", "json", "--combine", "-o", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.stderr == "error: --combine takes folders (each becomes one book or issue)\n"


# ----------------------------------------------------------------------------------------- single files


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("a.md", "markdown"),
        ("A.MARKDOWN", "markdown"),
        ("a.txt", "plaintext"),
        ("a.wire", "plaintext"),
        ("a.htm", "html"),
        ("a.json", "json"),
    ],
)
def test_reader_is_chosen_by_suffix(name: str, reader: str) -> None:
    assert reader_name_for(name) == reader
    assert reader_name_for(name, "plaintext") == "plaintext"


def test_unknown_suffix_or_reader_is_an_unknown_format() -> None:
    with pytest.raises(UnknownFormatError, match=r"no reader for '\.docx'; use --from"):
        reader_name_for("story.docx")
    with pytest.raises(UnknownFormatError, match="no reader for 'files without a suffix'"):
        reader_name_for("README")
    with pytest.raises(UnknownFormatError, match="unknown reader 'rtf'"):
        reader_name_for("story.txt", "rtf")


def test_from_overrides_the_suffix(tmp_path: Path) -> None:
    source = tmp_path / "story.dat"
    shutil.copy(FIELD_NOTES / "a-market.txt", source)
    assert load(source, format="plaintext").metadata.title == "Market Day"


def test_json_source_loads_back_equal(tmp_path: Path) -> None:
    article = load(FIXTURES / "site" / "world" / "balkans" / "border-reopens.txt")
    copy = tmp_path / "copy.json"
    copy.write_text(to_json(article), "utf-8")
    assert load(copy) == article


def test_json_reader_refuses_a_collection(tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    path.write_text(to_json(load_collection(LETTERS)), "utf-8")
    with pytest.raises(SourceError, match="holds a collection"):
        load(path)


def test_invalid_json_source_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "schema": 1,\n  "kind": "article"\n  "metadata": {}\n}\n', "utf-8")
    with pytest.raises(SourceError) as caught:
        load(path)
    assert (caught.value.line, caught.value.column) == (4, 3)
    path.write_text('{"schema": 1, "kind": "article", "metadata": {"title": 1}}', "utf-8")
    with pytest.raises(SourceError, match=r"\$\.metadata\.title: expected str"):
        load(path)


def test_load_runs_the_standard_transforms() -> None:
    text = (
        "Short Title\nFirst paragraph of a long enough story that ends in a full stop, as real copy does.\n"
        "Same Heading\nA second paragraph of the story, long enough and ending with a full stop too.\n"
        "Same Heading\nA third paragraph of the story, also long enough and ending with a full stop.\n"
    )
    article = loads(text, "plaintext")
    assert [b.id for b in article.blocks if isinstance(b, Heading)] == ["same-heading", "same-heading-2"]


def test_folders_and_missing_files_are_source_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a folder"):
        load(tmp_path)
    with pytest.raises(SourceError, match="cannot be read"):
        load(tmp_path / "missing.txt")


def test_oversized_sources_are_refused() -> None:
    with pytest.raises(SourceError, match="sources are limited to 100 "):
        load(LETTERS / "01-ferryman.txt", limits=Limits(source_bytes=100))


def test_a_reader_crash_becomes_a_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: PlainTextReader, data: bytes, *, path: str, report: Report) -> Article:
        raise RuntimeError("boom")

    monkeypatch.setattr(PlainTextReader, "read", boom)
    with pytest.raises(SourceError, match=r"could not be read \(RuntimeError: boom\)") as caught:
        load(LETTERS / "01-ferryman.txt")
    assert caught.value.path == str(LETTERS / "01-ferryman.txt")


def test_escaped_control_characters_in_json_are_removed_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "escaped.json"
    path.write_text(
        '{"schema": 1, "kind": "article", "metadata": {"title": "A\\u0000B", "publisher": "\\u001f"},\n'
        ' "blocks": [{"type": "paragraph", "children": [{"type": "text", "text": "x\\u000by\\ufffe"}]}]}\n',
        "utf-8",
    )
    report = Report()
    article = load(path, report=report)
    assert article.metadata.title == "AB"
    assert article.metadata.publisher == ""
    assert inline_text(article.blocks[0].children) == "xy"  # type: ignore[union-attr]
    assert [(d.code, d.path) for d in report] == [("source.control-characters", str(path))]
    assert "removed 4 escaped control character(s)" in report.warnings[0].message
