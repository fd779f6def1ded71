"""Fuzzing the whole path: random Markdown, plain text, front matter and bytes → load → every renderer.

Whatever a partner sends, the only exceptions allowed out of `exporter.loader` and a renderer are
`ExporterError` subclasses (a `SourceError` naming the file, a `RenderError`): anything else would be a
traceback for the user and a crashed job. Markdown comes from a small grammar of its constructs (nested
lists, quotes, fences, tables, footnotes, containers, raw HTML, entities) filled with hostile text: control
characters, NUL, bidi controls, astral characters, lone combining marks, noncharacters. Examples are
bounded so the module runs in about a minute; every bug it found has a plain regression test at the end.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.diagnostics import Report
from exporter.errors import ExporterError
from exporter.loader import loads, read_bytes
from exporter.model import Article
from exporter.renderers import build
from exporter.resources import ResourcePolicy
from exporter.themes import Theme

IMAGES = Path(__file__).parent / "renderers" / "fixtures" / "epub"
"""Where relative image paths point: `images/photo.png` and `images/diagram.svg` exist there."""
FAST_FORMATS = ("html", "json", "docx", "epub")
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                          HealthCheck.filter_too_much])

# ------------------------------------------------------------------------------------------- text

_HOSTILE = (
    "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\r\t\u2028\u2029\ufeff\ufffe\uffff\ufffd"  # controls, separators, BOM
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200d\u00ad"  # bidi, zero-width
    "\u0301\u0308\u20dd"  # combining marks with nothing to combine with
    "😀👩‍👩‍👧𝔸𠀀\U0010fffd\U000e0001"  # astral letters, emoji sequences, private use, a tag character
    "Ђорђе Škoda اقرأ עברית 中文 "
)
_MARKUP = "*_`[]()!#>-+|:~^{}<>&;\\=\"'/.,0123456789 \n"

hostile_char = st.one_of(st.sampled_from(_HOSTILE), st.sampled_from(_MARKUP), st.characters(codec="utf-8"))
words = st.text(hostile_char, max_size=20)
"""Short runs of text: any Unicode scalar value (surrogates cannot be encoded), biased to the nasty ones."""

urls = st.one_of(st.sampled_from([
    "images/photo.png", "images/diagram.svg", "images/missing.png", "../../../etc/passwd", "/etc/passwd",
    "file:///etc/passwd", "http://127.0.0.1:9/x.png", "https://example.com/a b", "javascript:alert(1)",
    "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>", "data:image/svg+xml,<svg onload=x>",
    "#", "#frag", "other.md", "other.md#x", "../up.md", "C:\\Windows\\win.ini", "//evil.example/x", "%00",
    "a%2F..%2F..%2Fetc", "mailto:", "tel:+1", "?q=1", "images/", "images/photo.png?x#y", "",
]), words)
entities = st.one_of(
    st.sampled_from(["&amp;", "&lt;", "&nbsp;", "&#0;", "&#x0;", "&#xD800;", "&#xDFFF;", "&#x110000;", "&#xFFFE;",
                     "&#x202E;", "&#8;", "&#x1F600;", "&bogus;", "&#99999999999;", "&"]),
    st.integers(0, 0x10FFFF).map(lambda n: f"&#x{n:X};"),
)


def _inline(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        inner.map(lambda t: f"*{t}*"), inner.map(lambda t: f"**{t}**"), inner.map(lambda t: f"~~{t}~~"),
        inner.map(lambda t: f"_{t}_"), inner.map(lambda t: f"`{t}`"), inner.map(lambda t: f"^{t}^"),
        inner.map(lambda t: f"~{t}~"), inner.map(lambda t: f"{t}  \n"), inner.map(lambda t: f"{t}\\\n"),
        st.tuples(inner, urls).map(lambda p: f"[{p[0]}]({p[1]})"),
        st.tuples(inner, urls, words).map(lambda p: f'[{p[0]}]({p[1]} "{p[2]}")'),
        st.tuples(inner, urls).map(lambda p: f"![{p[0]}]({p[1]})"),
        urls.map(lambda u: f"<{u}>"), words.map(lambda t: f"[^{t}]"),
        inner.map(lambda t: f'<span onclick="x()" style="color:red">{t}</span>'),
        inner.map(lambda t: f"<sup>{t}</sup><img src=x onerror=alert(1)>"), entities,
        st.tuples(inner, inner).map("".join),
    )


inline = st.recursive(words, _inline, max_leaves=8)
"""Markdown inline text: emphasis, links, images, code, footnote references, raw HTML and entities, nested."""


def _blocks(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def prefixed(prefix: str) -> st.SearchStrategy[str]:
        return inner.map(lambda t: "\n".join(prefix + line for line in t.split("\n")))

    return st.one_of(
        prefixed("> "), prefixed("- "), prefixed("1. "), prefixed("    "), prefixed("  * "),
        st.tuples(words, inner).map(lambda p: f"::: {p[0]}\n{p[1]}\n:::"),
        st.tuples(words, inner).map(lambda p: f"[^{p[0]}]: {p[1]}"),
        st.tuples(inline, inner).map(lambda p: f"{p[0]}\n: {p[1]}"),
        st.lists(inner, min_size=2, max_size=3).map("\n\n".join),
    )


def _leaf_blocks() -> st.SearchStrategy[str]:
    cells = st.lists(inline.map(lambda t: t.replace("\n", " ")), min_size=1, max_size=3)
    return st.one_of(
        inline,
        st.tuples(st.integers(1, 7), inline, words).map(lambda p: f"{'#' * p[0]} {p[1]} {{#{p[2]}}}"),
        st.tuples(words, words).map(lambda p: f"```{p[0]}\n{p[1]}\n```"),
        words.map(lambda t: f"~~~\n{t}"),  # never closed
        st.tuples(cells, cells).map(lambda p: f"| {' | '.join(p[0])} |\n|{'---|' * len(p[0])}\n| {' | '.join(p[1])} |"),
        st.sampled_from(["---", "***", "<div>", "</div>", "<script>alert(1)</script>", "<svg onload=x><circle/></svg>",
                         "<!-- unclosed", "<![CDATA[x]]>", "<iframe src=//x></iframe>", "<table><tr><td>x",
                         "READ ALSO:", "ПРОЧИТАЈТЕ И:", "> " * 70 + "deep", "- " * 70 + "deep", "\t\t\t"]),
        st.tuples(words, urls).map(lambda p: f"READ ALSO:\n- [{p[0]}]({p[1]})"),
        st.tuples(inline, urls).map(lambda p: f"![{p[0]}]({p[1]})\n*{p[0]}* Photo: {p[0]}"),
    )


markdown_body = st.lists(st.recursive(_leaf_blocks(), _blocks, max_leaves=4), min_size=1, max_size=6).map(
    lambda blocks: "\n\n".join(blocks) + "\n")
"""A Markdown body built from the grammar above."""

# ------------------------------------------------------------------------------------ front matter

_KEYS = ["title", "subtitle", "kicker", "date", "updated", "embargo", "authors", "author", "tags", "keywords",
         "language", "lang", "direction", "section", "summary", "slug", "canonical_url", "image", "rights",
         "publisher", "corrections", "isbn", "doi", "id", "dateline", "order", "schema_type", "extra", "x-y"]
_YAML_VALUES = [
    "", "~", "null", "[]", "{}", "0", "-1", "1e400", ".nan", "yes", "2024-02-30", "2024-05-01T25:61:00Z",
    "2024-05-01T10:00:00+01:00", "1999-12-31", "&a [*a]", "*missing", "!!binary aGVsbG8=",
    "!!python/object:os.system", "!!set {a, b}", "[a, [b, [c, [d]]]]", "{name: X, role: cook}",
    "[{name: A, role: editor}, {url: 'javascript:x'}]", "|\n  multi\n  line", ">-\n  folded", "'unterminated",
    "\"\\u202e\\x00\"", "- a\n- b", "{src: images/photo.png, alt: A}", "{src: ../../etc/passwd}",
    "[{date: 2024-01-01, text: fixed}]", "[{date: nope}]", "ar", "sr-Cyrl", "rtl", "xx-!!",
    "978-3-16-148410-0", "10.1000/xyz", "https://example.com/a", "&x {<<: *x}",
]
_TOML_VALUES = ['""', "0", "1979-05-27", "1979-05-27T07:32:00Z", "[1, 'a']", "{name = 'A'}", "[{name = 'A'}]",
                "true", "nan", "'''\nmulti\n'''", "'unterminated", "[[x]]", "\"\\u0000\""]


def _yaml_value() -> st.SearchStrategy[str]:
    quoted = words.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"')
    escaped = words.map(json.dumps)  # every character as an escape, astral ones as (YAML-legal) surrogate pairs
    return st.one_of(st.sampled_from(_YAML_VALUES), quoted, escaped, words.map(lambda t: t.replace("\n", " ")))


def _toml_value() -> st.SearchStrategy[str]:
    quoted = words.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"')
    return st.one_of(st.sampled_from(_TOML_VALUES), quoted, words)


yaml_front = st.lists(st.tuples(st.one_of(st.sampled_from(_KEYS), words), _yaml_value()), max_size=8).map(
    lambda pairs: "---\n" + "\n".join(f"{k}: {v}" for k, v in pairs) + "\n---\n")
toml_front = st.lists(st.tuples(st.one_of(st.sampled_from(_KEYS), words), _toml_value()), max_size=8).map(
    lambda pairs: "+++\n" + "\n".join(f"{k} = {v}" for k, v in pairs) + "\n+++\n")
front_matter = st.one_of(yaml_front, yaml_front, toml_front, st.just(""),
                         st.sampled_from(["---\n", "+++\ntitle = 'x'\n", "---\n---\n", "+++\n+++\n"]),
                         words.map(lambda t: f"---\n{t}\n---\n"))
"""Front matter, mostly well-formed enough to reach validation; some broken on purpose."""

# ------------------------------------------------------------------------------------------ checks


def _load(source: bytes, name: str) -> Article | None:
    """The article, or None when the loader refused the source properly (with an `ExporterError`)."""
    try:
        return read_bytes(source, str(IMAGES / name), report=Report())
    except ExporterError as exc:
        if exc.message.startswith("could not be read (") and exc.__cause__ is not None:
            raise exc.__cause__ from None  # the loader's safety net caught a reader crash: a bug to fix
        return None


def _render_all(article: Article, formats: tuple[str, ...]) -> None:
    """Render in every format; only `ExporterError` may escape, and what comes out must be well-formed."""
    theme = Theme.load("default")
    for name in formats:
        renderer = build(name, {})
        try:
            data = renderer.render(article, theme, Report())
        except ExporterError:
            continue
        assert data, name
        if name in ("epub", "docx"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                assert archive.testzip() is None
        if name == "html":
            renderer.companions(article, theme, Report())  # type: ignore[attr-defined]


@pytest.mark.slow
@settings(SETTINGS, max_examples=120)
@given(front=front_matter, body=markdown_body)
def test_markdown_through_every_renderer(front: str, body: str) -> None:
    article = _load((front + body).encode("utf-8"), "fuzz.md")
    if article is not None:
        _render_all(article, FAST_FORMATS)


@pytest.mark.slow
@settings(SETTINGS, max_examples=12)
@given(body=markdown_body)
def test_markdown_to_pdf(body: str) -> None:
    article = _load(("---\ntitle: PDF\n---\n" + body).encode("utf-8"), "fuzz.md")
    if article is not None:
        _render_all(article, ("pdf",))


@pytest.mark.slow
@settings(SETTINGS, max_examples=80)
@given(front=front_matter, body=st.lists(words, max_size=8).map("\n\n".join))
def test_plain_text_through_every_renderer(front: str, body: str) -> None:
    article = _load((front + body).encode("utf-8"), "fuzz.txt")
    if article is not None:
        _render_all(article, FAST_FORMATS)


@pytest.mark.slow
@settings(SETTINGS, max_examples=150)
@given(front=front_matter, body=inline)
def test_front_matter_is_validated_or_refused(front: str, body: str) -> None:
    article = _load((front + "\n" + body).encode("utf-8"), "fuzz.md")
    if article is not None:
        _render_all(article, ("html", "json", "docx"))


@pytest.mark.slow
@settings(SETTINGS, max_examples=150)
@given(data=st.one_of(
    st.binary(max_size=400), st.binary(max_size=40).map(lambda b: b"---\ntitle: x\n---\n" + b),
    st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff\x00", b"\x00" * 9, b"%PDF-1.7"]).flatmap(
        lambda head: st.binary(max_size=80).map(lambda tail: head + tail))))
def test_random_bytes_in_a_markdown_file(data: bytes) -> None:
    article = _load(data, "fuzz.md")
    if article is not None:
        _render_all(article, ("html", "json", "docx"))


def test_in_memory_sources_take_the_same_path() -> None:
    """`loads` (the API's entry) and `read_bytes` agree, so fuzzing one covers both."""
    text = "---\ntitle: Same\n---\n\nBody *text*.\n"
    assert loads(text, base_dir=IMAGES).blocks == read_bytes(text.encode(), str(IMAGES / "x.md")).blocks


# ------------------------------------------------------------------------------ regressions it found


def test_a_yaml_forbidden_control_character_is_a_located_source_error() -> None:
    """U+0080–U+009F pass XML but not YAML: PyYAML raised a bare ReaderError before parsing began."""
    with pytest.raises(ExporterError) as caught:
        loads("---\ntitle: fine\nsubtitle: bad\x83char\n---\n\nBody.\n")
    assert caught.value.__cause__ is None
    assert "U+0083" in caught.value.message and (caught.value.line, caught.value.column) == (3, 14)  # type: ignore[attr-defined]


def test_escaped_surrogates_in_front_matter_are_joined_or_removed() -> None:
    """`"\\ud83d\\ude00"` in YAML became two surrogate halves that no renderer could encode."""
    report = Report()
    article = loads('---\ntitle: "Smile \\ud83d\\ude00, half \\ud800, nul \\x00"\n---\n\nBody.\n', report=report)
    assert article.metadata.title == "Smile 😀, half , nul"
    assert "source.control-characters" in report.codes()
    for name in ("json", "html"):
        assert "😀" in build(name, {}).render(article, Theme.load("default"), Report()).decode("utf-8")


def test_a_nul_escape_in_an_image_path_is_refused_not_raised() -> None:
    """`%00` became a NUL in the path, and `Path.resolve` raised ValueError in every renderer."""
    report = Report()
    assert ResourcePolicy().locate("a%00.png", source=str(IMAGES / "x.md"), report=report) is None
    assert report.codes() == {"resource.refused"}


def test_a_nul_escape_in_a_link_leaves_an_epub_link_unresolved() -> None:
    """EPUB's link resolver resolved `%00.md` as a path and raised ValueError."""
    article = loads("# T\n\nSee [the other](a%00.md) and ![pic](x%00.png).\n", base_dir=IMAGES)
    report = Report()
    book = build("epub", {}).render(article, Theme.load("default"), report)
    assert book.startswith(b"PK") and {"epub.link-unresolved", "resource.refused"} <= report.codes()
