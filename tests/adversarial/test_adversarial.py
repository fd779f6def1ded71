"""The adversarial corpus through the CLI, every case to every format: a stated outcome, never a traceback.

The whole corpus is exported once to html, epub, docx and json (a batch where some jobs must fail), and the
cases that matter on paper once to pdf; each test then checks one (case, format) pair from the batch
report and the files written: the error or warning code, the file and line it names, and the words the
output must hold. `adversarial_corpus.py` says how each case is made.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import adversarial_corpus as corpus_
import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree

from exporter.cli import main
from exporter.model import Article, iter_texts
from exporter.model_json import from_json
from exporter.paths import safe_name

pytestmark = pytest.mark.slow

FORMATS = ("html", "epub", "docx", "json")
PDF_CASES = ("long-word", "long-title", "bomb-png", "odd-name")
"""Paper is where a long word or title overflows and where WeasyPrint would decode a bomb; the rest is the
same model through the same HTML as the EPUB, so it is not rendered again (test time)."""
WORD = ("Donaudampfschifffahrtsgesellschaftskapitän" * 300)[:10_000]
LAST_WORD = f"word{corpus_.PARAGRAPH_BYTES // 11 - 1}"


@dataclass(frozen=True)
class Case:
    """What one corpus file must do in every format."""

    file: str
    """File name in the corpus."""
    fails: str = ""
    """A fragment of the error message when every job of the file must fail (with code `SourceError`)."""
    codes: tuple[str, ...] = ()
    """Warning codes every produced output reports (image codes only where images are read)."""
    line: bytes | int = 0
    """The line the first expected diagnostic names: a number, or bytes whose first line in the file it is."""
    words: tuple[str, ...] = ()
    """Text every produced output must contain."""


CASES = {
    "cp1252": Case("cp1252.md", codes=("source.encoding",), line=1,
                   words=("Café owners “welcome” the change", "mayor’s office", "rules – announced", "€2 million")),
    "latin1": Case("latin1.md", codes=("source.encoding",), line=1,
                   words=("Genève", "Ça a été déjà fait à Genève", "façade naïve du musée")),
    "utf16": Case("utf16.md", words=("Zürich report", "The Ελληνικά and Српски words survive")),
    "invalid-utf8": Case("invalid-utf8.md", codes=("source.encoding",), line=b"\xff",
                         words=("Београд — Нови Сад", "A broken \ufffd byte here.", "Завршетак текста.")),
    "empty": Case("empty.md", fails="the file is empty"),
    "binary": Case("binary.md", fails="binary file"),
    "oversized": Case("oversized.md", fails="sources are limited to 52,428,800 (--limit source_bytes=N"),
    "big-paragraph": Case("big-paragraph.md", words=("word0 word1 word2", LAST_WORD)),
    "many-headings": Case("many-headings.md", words=("Heading 0", "Heading 19999", "Text 19999.")),
    "long-word": Case("long-word.md", words=(f"Before {WORD} after.",)),
    "long-title": Case("long-title.md", codes=("meta.title-too-long",), line=2,
                       words=("Headline0 Headline1", "The body of a story")),
    "deep-nesting": Case("deep-nesting.md", codes=("markdown.too-deep",), words=("level 54", "quote 59")),
    "very-deep": Case("very-deep.md", codes=("markdown.too-deep",), words=("deep list item", "deep quote",
                                                                           "The end.")),
    "many-footnotes": Case("many-footnotes.md", fails="footnote [^5001] is one more than the 5,000",
                           line=b"Claim 5001."),
    "huge-table": Case("huge-table.md", fails="more than 100,000 cells", line=5),
    "corrupt-jpeg": Case("corrupt-jpeg.md", codes=("image.unreadable",), line=0,
                         words=("Before the photo.", "Firefighters at the scene", "After the photo.")),
    "bomb-png": Case("bomb-png.md", codes=("image.too-large",),
                     words=("Before the picture.", "A chart of the vote", "tiny bomb icon")),
    "odd-name": Case(corpus_.ODD_NAME, words=("saved under a name full of shell metacharacters",)),
}
IMAGE_CODES = frozenset({"image.unreadable", "image.too-large"})
FAILING = sorted(name for name, case in CASES.items() if case.fails)


@dataclass(frozen=True)
class Batch:
    """One CLI run: its result, the folder it wrote and its JSON report by (file name, format)."""

    result: Any
    out: Path
    jobs: dict[tuple[str, str], dict[str, Any]]


def _export(args: list[str], out: Path) -> Batch:
    report = out.with_suffix(".json")
    result = CliRunner().invoke(main, ["export", *args, "-o", str(out), "--report", str(report), "-j", "2", "-q"])
    jobs = {(Path(j["source"]).name, j["format"]): j for j in json.loads(report.read_text())["jobs"]}
    return Batch(result, out, jobs)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus_.build(tmp_path_factory.mktemp("adversarial") / "corpus")


@pytest.fixture(scope="module")
def batch(corpus: Path) -> Batch:
    # Fonts are not what this corpus is about, and subsetting them for every new set of characters (Greek,
    # Cyrillic, €) costs seconds per book; tests/renderers/test_epub.py embeds them.
    return _export([str(corpus), "--to", ",".join(FORMATS), "--no-embed-fonts"], corpus.parent / "out")


@pytest.fixture(scope="module")
def pdf_batch(corpus: Path) -> Batch:
    return _export([*(str(corpus / CASES[name].file) for name in PDF_CASES), "--to", "pdf"], corpus.parent / "pdf")


# ------------------------------------------------------------------------------------------ the batch


def test_the_batch_goes_on_and_exits_1_without_a_traceback(batch: Batch) -> None:
    assert batch.result.exit_code == 1, batch.result.output
    assert isinstance(batch.result.exception, SystemExit)
    assert "Traceback" not in batch.result.output
    failed = {name for (name, _), job in batch.jobs.items() if job["status"] == "failed"}
    assert failed == {CASES[name].file for name in FAILING}
    assert sum(job["status"] == "done" for job in batch.jobs.values()) == (len(CASES) - len(FAILING)) * len(FORMATS)
    for name in FAILING:  # every failure is one located line on stderr, not a stack
        assert re.search(rf"{re.escape(CASES[name].file)}(:\d+)?: error: ", batch.result.stderr), name


def test_the_paper_batch_succeeds_with_its_warnings(pdf_batch: Batch) -> None:
    assert pdf_batch.result.exit_code == 0, pdf_batch.result.output
    assert "Traceback" not in pdf_batch.result.output
    assert {job["status"] for job in pdf_batch.jobs.values()} == {"done"}


PAIRS = [(name, fmt) for name in CASES for fmt in FORMATS] + [(name, "pdf") for name in PDF_CASES]


@pytest.mark.parametrize(("name", "fmt"), PAIRS, ids=[f"{n}-{f}" for n, f in PAIRS])
def test_case_behaves_as_stated(name: str, fmt: str, corpus: Path, batch: Batch, pdf_batch: Batch) -> None:
    case = CASES[name]
    run = pdf_batch if fmt == "pdf" else batch
    job = run.jobs[(case.file, fmt)]
    diagnostics = [d for d in job["diagnostics"] if not d["code"].startswith("feed.")]
    for diagnostic in diagnostics:  # whatever is reported names the file it is about
        assert Path(diagnostic["path"]).name == case.file, diagnostic
    line = _line(corpus / case.file, case.line)
    if case.fails:
        assert job["status"] == "failed"
        (error,) = diagnostics
        assert (error["level"], error["code"]) == ("error", "SourceError")
        assert case.fails in error["message"]
        assert error["line"] == line
        assert not Path(job["output"]).exists()
        return
    assert job["status"] == "done"
    expected = {c for c in case.codes if fmt != "json" or c not in IMAGE_CODES}  # JSON never reads images
    assert {d["code"] for d in diagnostics} == expected
    if expected and line:
        assert next(d for d in diagnostics if d["code"] in expected)["line"] == line
    output = Path(job["output"])
    assert output == run.out / (safe_name(Path(case.file).stem) + output.suffix)
    text = " ".join(_TEXT[fmt](output).replace("\u00ad", "").split())
    if fmt == "pdf":  # lines break inside the long word: compare without whitespace
        text = "".join(text.split())
    for words in case.words:
        assert ("".join(words.split()) if fmt == "pdf" else words) in text, (words, text[:300])
    if case.codes and IMAGE_CODES & set(case.codes):
        _assert_no_image(output, fmt)


def test_the_odd_name_keeps_its_letters_and_metacharacters(batch: Batch) -> None:
    for fmt in FORMATS:
        output = Path(batch.jobs[(corpus_.ODD_NAME, fmt)]["output"])
        assert output.name.startswith("Q&A it's _odd_ ;&$()_ Ünïcödé."), output.name
        assert output.is_file()


def test_the_long_word_stays_on_the_page(pdf_batch: Batch) -> None:
    pdf = Path(pdf_batch.jobs[("long-word.md", "pdf")]["output"])
    pages = re.findall(rb'<page width="([\d.]+)"', _pdftotext(pdf, "-bbox"))
    boxes = re.findall(rb'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', _pdftotext(pdf, "-bbox"))
    width = float(pages[0])
    assert boxes and all(float(x0) >= 0 and float(x1) <= width for x0, x1 in boxes)
    assert 1 <= len(pages) <= 6  # 10,000 characters are a few pages of broken word, not hundreds


@pytest.mark.parametrize(("name", "most"), [("long-title", 2), ("bomb-png", 1), ("odd-name", 1)])
def test_paper_page_counts_stay_sane(name: str, most: int, pdf_batch: Batch) -> None:
    pdf = Path(pdf_batch.jobs[(CASES[name].file, "pdf")]["output"])
    assert 1 <= len(re.findall(rb"<page ", _pdftotext(pdf, "-bbox"))) <= most


def test_no_generated_case_is_committed() -> None:
    committed = {p.name for p in corpus_.FIXTURES.iterdir()}
    assert committed.isdisjoint({"big-paragraph.md", "many-headings.md", "oversized.md", "images"})
    assert max(p.stat().st_size for p in corpus_.FIXTURES.iterdir()) < 20_000


# ------------------------------------------------------------------------------------------- helpers


def _line(path: Path, where: bytes | int) -> int:
    if isinstance(where, int):
        return where
    data = path.read_bytes()
    return data.count(b"\n", 0, data.index(where)) + 1


def _html_text(path: Path) -> str:
    return str(lxml.html.fromstring(path.read_bytes()).text_content())


def _epub_text(path: Path) -> str:
    with zipfile.ZipFile(path) as book:
        assert book.namelist()[0] == "mimetype"
        chapters = [n for n in book.namelist() if n.endswith(".xhtml") and "/text/" in f"/{n}"]
        return " ".join("".join(etree.fromstring(book.read(n)).itertext()) for n in sorted(chapters))


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as document:
        root = etree.fromstring(document.read("word/document.xml"))
    paragraphs = root.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p")
    return " ".join("".join(t.text or "" for t in p.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")) for p in paragraphs)


def _json_text(path: Path) -> str:
    doc = from_json(path.read_text(encoding="utf-8"))
    assert isinstance(doc, Article)
    return " ".join([doc.metadata.title, *iter_texts(doc.blocks)])


def _pdftotext(path: Path, *extra: str) -> bytes:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *extra, str(path), "-"], capture_output=True,
                          check=True).stdout


def _pdf_text(path: Path) -> str:
    """The text without folios and running heads (the title again on later pages), so a word running over a
    page break is whole again; words hyphenated at a line end are joined."""
    lines = _pdftotext(path).decode("utf-8").replace("\f", "\n").split("\n")
    title = next(line for line in lines if line.strip())
    body = [line for line in lines if not line.strip().isdigit() and line != title]
    return title + "\n" + re.sub("[-\u2010]\n", "", "\n".join(body))


_TEXT = {"html": _html_text, "epub": _epub_text, "docx": _docx_text, "json": _json_text, "pdf": _pdf_text}


def _assert_no_image(output: Path, fmt: str) -> None:
    """The refused image went nowhere: not copied, packed, embedded or drawn."""
    if fmt == "html":
        assert "<img" not in output.read_text(encoding="utf-8")
        assert not any(p.suffix in (".png", ".jpg") for p in output.parent.rglob(f"{output.stem}_files/*"))
    elif fmt == "epub":
        with zipfile.ZipFile(output) as book:  # the generated cover is the only picture
            assert [n for n in book.namelist() if n.endswith((".jpg", ".jpeg"))] == []
            assert len([n for n in book.namelist() if n.endswith(".png")]) <= 1
    elif fmt == "docx":
        with zipfile.ZipFile(output) as document:
            assert [n for n in document.namelist() if n.startswith("word/media/")] == []
    elif fmt == "pdf":
        assert b"/Subtype /Image" not in output.read_bytes() and b"/Subtype/Image" not in output.read_bytes()
