"""Front matter: YAML and TOML parsed safely, validated into `Metadata`, faults reported at file:line:col."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from exporter.diagnostics import Report
from exporter.errors import SourceError
from exporter.limits import Limits
from exporter.loader import load, loads
from exporter.model import Person
from exporter.readers._meta import (
    MAX_NODES,
    FrontMatter,
    build_metadata,
    slugify_title,
    split_front_matter,
)

FIXTURES = Path(__file__).parent / "fixtures" / "meta"
BODY = "Officials met in Pristina on Tuesday to discuss the border crossing."


# ------------------------------------------------------------------------------------- broken fixtures

BROKEN = [
    # file, line, column, message fragment
    ("invalid-yaml.txt", 5, 5, "invalid YAML front matter: expected ',' or ']'"),
    ("list-front-matter.txt", 2, 1, "front matter must be a mapping of keys to values, found a list"),
    ("impossible-date.txt", 4, 7, "invalid date in front matter: day is out of range for month"),
    ("unsafe-tag.txt", 3, 10, "unsafe or unknown YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("invalid-toml.txt", 3, 11, "invalid TOML front matter: Invalid value"),
    ("bad-language.txt", 4, 0, "language: 'english please' is not a valid BCP 47 language tag"),
    ("bad-isbn.txt", 4, 0, "isbn: '978-3-16-148410-1' is not a valid ISBN"),
    ("billion-laughs.txt", 7, 1, f"front matter expands to more than {MAX_NODES:,} values"),
    ("unclosed.txt", 1, 1, "front matter opened with '---' on line 1 is never closed"),
]


@pytest.mark.parametrize(("name", "line", "column", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_front_matter_is_a_source_error_at_the_right_place(
    name: str, line: int, column: int, message: str
) -> None:
    path = FIXTURES / name
    with pytest.raises(SourceError) as caught:
        load(path)
    error = caught.value
    assert message in error.message
    assert (error.path, error.line, error.column) == (str(path), line, column)
    where = f"{path}:{line}:{column}" if column else f"{path}:{line}"
    assert str(error) == f"{where}: {error.message}"


def test_the_line_numbers_point_at_the_faulty_text() -> None:
    def line_of(name: str, line: int) -> str:
        return (FIXTURES / name).read_text(encoding="utf-8").split("\n")[line - 1]

    assert line_of("impossible-date.txt", 4) == "date: 2023-02-30"
    assert line_of("unsafe-tag.txt", 3)[9:].startswith("!!python/object/apply")
    assert line_of("invalid-toml.txt", 3)[10:] == "World"
    assert line_of("bad-language.txt", 4).startswith("language:")
    assert line_of("bad-isbn.txt", 4).startswith("isbn:")
    assert line_of("billion-laughs.txt", 7).startswith("lol5:")  # 9 ** 5 values: past the limit


def test_unsafe_tag_is_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "owned"
    text = f'---\ntitle: x\nsummary: !!python/object/apply:os.system ["touch {marker}"]\n---\n\n{BODY}\n'
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError, match="unsafe or unknown YAML tag"):
        loads(text, "plaintext")
    assert not marker.exists()


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/name:os.system",
        "!!python/object:collections.OrderedDict {}",
        "!custom value",
        "!!binary aGVsbG8=",
    ],
)
def test_only_plain_yaml_values_are_allowed(tag: str) -> None:
    text = f"---\ntitle: x\nvalue: {tag}\n---\n\n{BODY}\n"
    if tag.startswith("!!binary"):  # a standard YAML type: allowed, kept as text in extra
        assert isinstance(loads(text, "plaintext").metadata.extra["value"], str)
        return
    with pytest.raises(SourceError, match="unsafe or unknown YAML tag") as caught:
        loads(text, "plaintext")
    assert caught.value.line == 3


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(SourceError, match=r"refers to itself|expands to more than") as caught:
        loads(f"---\ntitle: x\nloop: &a [1, *a]\n---\n\n{BODY}\n", "plaintext")
    assert caught.value.line == 3


def test_ordinary_aliases_still_work() -> None:
    article = loads(f"---\ntitle: x\nbase: &b {{desk: world}}\ncopy: *b\n---\n\n{BODY}\n", "plaintext")
    assert article.metadata.extra == {"base": {"desk": "world"}, "copy": {"desk": "world"}}


def test_too_many_aliases_are_refused() -> None:
    aliases = ", ".join(["*a"] * 101)
    with pytest.raises(SourceError, match="101 YAML aliases"):
        loads(f"---\ntitle: x\na: &a 1\nb: [{aliases}]\n---\n\n{BODY}\n", "plaintext")


@pytest.mark.parametrize(
    ("front", "line", "message"),
    [
        ("date: 30 May 2023", 3, None),  # not a date to YAML: a string, then refused by the checker
        ('updated: "2023-02-30"', 3, "updated: '2023-02-30' is not a valid ISO 8601 date"),
        ("tags: {a: 1}", 3, "tags: expected a list of text, found a mapping"),
        ("title: [a, b]", 2, "title: expected text, found a list"),
        ("authors: [{name: A, role: boss}]", 3, "unknown role 'boss'"),
        ("authors: [{nom: A}]", 3, "each person is a name"),
        ("image: {src: a.jpg, size: big}", 3, "unknown image field 'size'"),
        (
            "corrections: [{date: 2023-05-31}]",
            3,
            "each correction is a mapping with exactly 'date' and 'text'",
        ),
        ("corrections: oops", 3, "expected a list of corrections"),
        ("doi: 11.1/x", 3, "'11.1/x' is not a DOI"),
        ("identifiers: {issn: 1234}", 3, "unknown identifier 'issn'"),
        ("dir: sideways", 3, "expected ltr, rtl or auto"),
    ],
)
def test_invalid_values_name_the_key_and_its_line(front: str, line: int, message: str | None) -> None:
    text = (
        f"---\ntitle: x\n{front}\n---\n\n{BODY}\n"
        if not front.startswith("title")
        else f"---\n{front}\n---\n\n{BODY}\n"
    )
    with pytest.raises(SourceError) as caught:
        loads(text, "plaintext")
    assert caught.value.line == line
    if message:
        assert message in caught.value.message
    else:
        assert "is not a valid ISO 8601 date" in caught.value.message


# ------------------------------------------------------------------------------------------- warnings


def test_naive_datetime_is_taken_as_utc_with_a_warning() -> None:
    report = Report()
    article = load(FIXTURES / "naive-datetime.txt", report=report)
    assert article.metadata.date == dt.datetime(2023, 5, 30, 14, 5, tzinfo=dt.UTC)
    assert [(d.code, d.line) for d in report] == [("meta.naive-time", 3)]
    assert report.warnings[0].message.startswith("date: ")


def test_duplicate_key_under_an_alias_warns_and_keeps_the_first() -> None:
    report = Report()
    article = loads(
        f"---\ntitle: x\nsubtitle: first\ndek: second\n---\n\n{BODY}\n", "plaintext", report=report
    )
    assert article.metadata.subtitle == "first"
    assert [(d.code, d.line) for d in report] == [("meta.duplicate-key", 4)]


def test_overlong_title_is_cut_with_a_warning() -> None:
    report = Report()
    article = loads(f"---\ntitle: {'word ' * 200}\n---\n\n{BODY}\n", "plaintext", report=report)
    assert len(article.metadata.title) <= Limits().title_chars
    assert article.metadata.title.endswith("…")
    assert report.codes() == {"meta.title-too-long"}


# --------------------------------------------------------------------------------------- good metadata


def test_aliases_people_and_unknown_keys() -> None:
    report = Report()
    meta = load(FIXTURES / "aliases.txt", report=report).metadata
    assert len(report) == 0
    assert meta.subtitle == "Negotiators return after a week of clashes"  # dek
    assert meta.language == "sr-Latn"  # lang, standardised
    assert meta.section == "World"  # category
    assert meta.summary == "Kosovo and Serbia agree to meet again."  # description
    assert meta.updated == dt.datetime(
        2023, 6, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )  # lastmod
    assert meta.authors == (
        Person(name="Ana Petrović"),
        Person(name="Arben Krasniqi", role="photographer", url="https://example.org/arben"),
    )
    assert meta.extra == {"desk_priority": 2, "wire": {"agency": "AP", "filed": "2023-05-30"}}


def test_slug_is_derived_unicode_aware_from_a_cyrillic_title() -> None:
    meta = load(FIXTURES / "cyrillic-title.txt").metadata
    assert meta.title == "НАТО шаље још 700 војника на Косово"
    assert meta.slug == "нато-шаље-још-700-војника-на-косово"
    assert meta.language == "sr-Cyrl"
    assert meta.date == dt.date(2023, 5, 30)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Beijing Backs Belgrade", "beijing-backs-belgrade"),
        ("Prishtina: Kryeministri në Mitrovicë", "prishtina-kryeministri-në-mitrovicë"),
        ("  ", "article"),
        ("延伸阅读 2023", "延伸阅读-2023"),
    ],
)
def test_slugify_title(title: str, slug: str) -> None:
    assert slugify_title(title) == slug


def test_explicit_slug_is_kept_but_normalised() -> None:
    meta = loads(f"---\ntitle: x\nslug: My Own Slug\n---\n\n{BODY}\n", "plaintext").metadata
    assert meta.slug == "my-own-slug"


def test_toml_front_matter() -> None:
    meta = load(FIXTURES / "toml-front-matter.txt").metadata
    assert meta.title == "Talks Resume in Pristina"
    assert meta.date == dt.datetime(2023, 5, 30, 8, 0, tzinfo=dt.UTC)
    assert meta.tags == ("Kosovo", "Serbia")
    assert meta.language == "en-GB"
    assert meta.identifiers.isbn == "9783161484100"
    assert meta.identifiers.doi == "10.1234/pristina.2023"


@pytest.mark.parametrize(
    ("isbn", "digits"),
    [("978-3-16-148410-0", "9783161484100"), ("0-306-40615-2", "0306406152"), ("080442957X", "080442957X")],
)
def test_valid_isbns(isbn: str, digits: str) -> None:
    meta = loads(f"---\ntitle: x\nisbn: {isbn}\n---\n\n{BODY}\n", "plaintext").metadata
    assert meta.identifiers.isbn == digits


def test_corrections_are_sorted_oldest_first() -> None:
    front = (
        "corrections:\n  - {date: 2023-06-02, text: second}\n"
        "  - {date: 2023-06-01T10:00:00+02:00, text: first}"
    )
    meta = loads(f"---\ntitle: x\n{front}\n---\n\n{BODY}\n", "plaintext").metadata
    assert [c.text for c in meta.corrections] == ["first", "second"]


# --------------------------------------------------------------------------------------------- splitter


def test_split_front_matter_reports_where_the_body_starts() -> None:
    front = split_front_matter("---\ntitle: x\ndate: 2023-05-30\n---\nbody line\n", "a.md")
    assert front.data == {"title": "x", "date": dt.date(2023, 5, 30)}
    assert front.body == "body line\n"
    assert front.body_line == 5
    assert front.syntax == "yaml"
    assert front.key_lines == {"title": 2, "date": 3}


def test_no_front_matter_leaves_the_text_alone() -> None:
    front = split_front_matter("title: x\n---\n", "a.md")
    assert front.data is None
    assert front.body == "title: x\n---\n"


def test_yaml_document_end_marker_closes_front_matter() -> None:
    assert split_front_matter("---\ntitle: x\n...\nbody\n", "a.md").body == "body\n"


def test_empty_front_matter_is_an_empty_mapping() -> None:
    front = split_front_matter("---\n---\nbody\n", "a.md")
    assert front.data == {}
    meta = build_metadata(front, path="dir/my-story.md", report=Report())
    assert meta.title == "my story"


def test_fallback_title_beats_the_file_name_without_warning() -> None:
    report = Report()
    meta = build_metadata(
        FrontMatter(data={}, body=""), path="a.md", report=report, fallback_title="Line Title"
    )
    assert meta.title == "Line Title"
    assert len(report) == 0
