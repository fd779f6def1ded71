"""Bytes → text for every reader: BOMs, UTF-16, detected legacy encodings, control characters, non-text.

The fixtures in `fixtures/encodings/` were written once by a throwaway script and are kept as plain files:
`utf8-bom`, `utf16-le-bom`, `utf16-be-bom` and `crlf` hold the same short story (Cyrillic, curly quotes);
`utf8-damaged` is that story in UTF-8 with one stray cp1252 byte (0x96) on line 3; `cp1252` is a story
in Windows-1252; `control-characters` has NUL, BEL, VT and U+FFFE in it; `empty` is 0 bytes, `blank` only
whitespace; `photo.md` is an 8×8 PNG with a Markdown suffix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.diagnostics import Report
from exporter.errors import SourceError
from exporter.loader import load
from exporter.model import Article, Paragraph, inline_text
from exporter.readers._text import decode_source

FIXTURES = Path(__file__).parent / "fixtures" / "encodings"
TITLE = "Бања Лука Hosts Regional Summit"
FIRST = (
    "Leaders from six Western Balkan countries met on Tuesday in the city the locals spell Бања Лука, "
    "promising “practical steps” on roaming charges and border queues."
)
SECOND = "The host’s closing statement was short: “We agreed more than we expected.”"


def paragraphs(article: Article) -> list[str]:
    return [inline_text(b.children) for b in article.blocks if isinstance(b, Paragraph)]


@pytest.mark.parametrize(
    ("name", "bom"),
    [
        ("utf8-bom.txt", b"\xef\xbb\xbf"),
        ("utf16-le-bom.txt", b"\xff\xfe"),
        ("utf16-be-bom.txt", b"\xfe\xff"),
        ("crlf.txt", b""),
    ],
)
def test_unicode_files_read_without_warnings(name: str, bom: bytes) -> None:
    path = FIXTURES / name
    assert path.read_bytes().startswith(bom)
    report = Report()
    article = load(path, report=report)
    assert len(report) == 0
    assert article.metadata.title == TITLE
    assert article.metadata.dateline == "BANJA LUKA, Bosnia"
    assert paragraphs(article) == [FIRST, SECOND]


def test_bom_is_not_kept_in_the_text() -> None:
    text = decode_source((FIXTURES / "utf8-bom.txt").read_bytes(), "x.txt", Report())
    assert text.startswith("Бања")
    assert "\ufeff" not in text
    assert "\r" not in decode_source((FIXTURES / "crlf.txt").read_bytes(), "x.txt", Report())


def test_cp1252_is_detected_and_read_with_a_warning() -> None:
    report = Report()
    article = load(FIXTURES / "cp1252.txt", report=report)
    assert [d.code for d in report] == ["source.encoding"]
    warning = report.warnings[0]
    assert warning.line == 1
    assert warning.path == str(FIXTURES / "cp1252.txt")
    assert "save it as UTF-8" in warning.message
    # Characters that every Windows code page shares come out right whatever the guess.
    body = " ".join(paragraphs(article))
    assert article.metadata.title == "Café Owners Protest New Terrace Rules"
    for fragment in ("city’s cafés", "“terrace strike”", "€12 per table — a rule"):
        assert fragment in body


def test_cp1252_letters_outside_cp1250_survive() -> None:
    body = " ".join(paragraphs(load(FIXTURES / "cp1252.txt", report=Report())))
    assert "“naïve and unworkable.”" in body
    assert "À la fin" in body


def test_damaged_utf8_keeps_the_good_text_and_warns_at_the_bad_byte() -> None:
    report = Report()
    article = load(FIXTURES / "utf8-damaged.txt", report=report)
    assert [(d.code, d.line) for d in report] == [("source.encoding", 3)]
    assert "1 bad byte" in report.warnings[0].message
    assert article.metadata.title == TITLE
    assert paragraphs(article) == [FIRST.replace("promising ", "promising \ufffd "), SECOND]


def test_bytes_that_are_no_utf8_at_all_are_detected_with_a_warning() -> None:
    data = "Ovo je članak o Prištini i Đakovici, pisan u staroj kodnoj strani.\n".encode("cp1250") * 4
    report = Report()
    text = decode_source(data, "legacy.txt", report)
    assert report.codes() == {"source.encoding"}
    assert text.count("\n") == 4
    assert "\ufffd" not in text


def test_control_characters_are_removed_with_a_warning() -> None:
    report = Report()
    article = load(FIXTURES / "control-characters.txt", report=report)
    assert [d.code for d in report] == ["source.control-characters"]
    warning = report.warnings[0]
    assert (warning.line, warning.column) == (3, 54)
    assert "removed 4 control character(s)" in warning.message
    assert "U+0000" in warning.message
    assert paragraphs(article) == [
        "A reporter pasted this paragraph from an old terminal session, bell and all.",
        "A vertical tab and a noncharacter were in it too.",
    ]


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff"])
def test_every_xml_illegal_character_goes(char: str) -> None:
    report = Report()
    assert decode_source(f"Title\n\nab{char}cd\n".encode(), "x.txt", report) == "Title\n\nabcd\n"
    assert (report.warnings[0].code, report.warnings[0].line, report.warnings[0].column) == (
        "source.control-characters",
        3,
        3,
    )


@pytest.mark.parametrize("char", ["\t", "\u00a0", "\u200b", "\u2028", "🙂", "\ufffd"])
def test_legal_characters_stay(char: str) -> None:
    report = Report()
    assert decode_source(f"ab{char}cd\n".encode(), "x.txt", report) == f"ab{char}cd\n"
    assert len(report) == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.txt", "the file is empty"),
        ("blank.txt", "the file is empty"),
        ("photo.md", "this is a binary file"),
    ],
)
def test_empty_and_binary_files_are_source_errors(name: str, message: str) -> None:
    path = FIXTURES / name
    with pytest.raises(SourceError, match=message) as caught:
        load(path)
    assert caught.value.path == str(path)
    assert (caught.value.line, caught.value.column) == (0, 0)
    assert str(caught.value).startswith(f"{path}: ")


def test_the_binary_fixture_is_a_real_png() -> None:
    assert (FIXTURES / "photo.md").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"PK\x03\x04" + bytes(40),
        b"\x7fELF\x02\x01\x01" + bytes(60),
        bytes(range(32)) * 40,
    ],
)
def test_other_binary_files_are_refused(data: bytes) -> None:
    with pytest.raises(SourceError, match="binary file"):
        decode_source(data, "x.txt", Report())


def test_a_bom_that_lies_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="byte-order mark"):
        decode_source(b"\xff\xfe" + b"\x00\xd8", "x.txt", Report())


LEGACY = [
    ("Ça a été déjà fait à Genève, dit la façade naïve du musée.\n", "latin-1"),
    ("Straße über Köln, sagte der Bürgermeister.\n", "cp1252"),
    ("Në Prishtinë, qeveria çeli rrugën e re.\n", "cp1252"),
    ("Ćevapi i čevapčići, đak, žena, šuma.\n", "cp1250"),
    ("Zażółć gęślą jaźń, powiedział burmistrz.\n", "cp1250"),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy.\n", "cp1250"),
    ("Влада у Београду је у уторак усвојила закон.\n", "cp1251"),
]


@pytest.mark.parametrize(("text", "encoding"), LEGACY, ids=[e + ":" + t[:12] for t, e in LEGACY])
def test_one_short_legacy_line_is_read_in_the_right_code_page(text: str, encoding: str) -> None:
    # On one line the detector's scores are noise (latin-1 French scored best as Baltic cp1257): the
    # candidate whose letters come from one alphabet, with no symbol stuck inside a word, wins.
    report = Report()
    assert decode_source(text.encode(encoding), "legacy.md", report) == text
    assert report.codes() == {"source.encoding"}
