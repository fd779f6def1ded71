"""Refused images name the source line: Markdown and HTML sources, a collection's cover, every format, the CLI.

Each source refers to images the resource policy must refuse (absolute paths, `..`, protocol-relative URLs)
on lines the test knows, as a lead image, an inline image, a figure and a raw-HTML `<img>`; every
`resource.refused` warning a renderer reports must name the source file and exactly that line (a raw-HTML
image: its HTML block's first line), and `--strict` must turn them into a failed run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter import pipeline
from exporter.cli import main
from exporter.diagnostics import Diagnostic, Report
from exporter.loader import load_collection
from exporter.renderers.epub import EpubRenderer
from exporter.renderers.pdf import PdfRenderer
from exporter.themes import Theme

FORMATS = ("html", "epub", "pdf", "docx")

MARKDOWN = """\
---
title: Lines
image: /etc/lead.png
language: en
---

Opening text with an inline ![inline](../inline.png) picture.

![A figure](../../figure.png)

<p><img src="/etc/raw.png" alt="raw"></p>

A paragraph whose first line is plain
and whose second line holds ![late](//example.invalid/late.png) an image.

Closing text.
"""
MARKDOWN_LINES = {"/etc/lead.png": 3, "../inline.png": 7, "../../figure.png": 9, "/etc/raw.png": 11,
                  "//example.invalid/late.png": 14}
"""Refused reference → the line it is written on (the raw `<img>` is in an HTML block starting on its line)."""

PAGE = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Lines page</title>
<meta property="og:image" content="/etc/og.png">
</head><body><article><h1>Lines page</h1>
<p>Text with <img src="../inline.png" alt="i"> inside.</p>
<figure><img src="/etc/figure.png" alt="f"><figcaption>A caption</figcaption></figure>
<p>Closing text.</p>
</article></body></html>
"""
PAGE_LINES = {"/etc/og.png": 3, "../inline.png": 5, "/etc/figure.png": 6}

COLLECTION = """\
title: A book of lines
language: en
image: {src: ../cover.png, alt: The cover}
order: [one.md]
"""


def refusals(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic] | Report) -> list[tuple[str, str, int]]:
    """(path, refused reference, line) of every `resource.refused` warning."""
    found = []
    for d in diagnostics:
        if d.code == "resource.refused":
            src = re.match(r"^'([^']*)'", d.message)
            assert src is not None, d.message
            found.append((d.path, src.group(1), d.line))
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lines")
    (root / "story.md").write_text(MARKDOWN, encoding="utf-8")
    (root / "page.html").write_text(PAGE, encoding="utf-8")
    return root


@pytest.mark.slow
def test_every_format_names_the_line_of_each_refused_image(folder: Path, tmp_path: Path) -> None:
    story, page = folder / "story.md", folder / "page.html"
    report = pipeline.export([story, page], FORMATS, tmp_path, jobs=1, timeout=None, incremental=False)
    assert sorted((r.job.format, r.job.source.name, r.status) for r in report.results) == sorted(
        (f, s.name, "done") for f in FORMATS for s in (story, page))
    for result in report.results:
        source = result.job.source
        expected = dict(MARKDOWN_LINES if source == story else PAGE_LINES)
        if result.job.format == "docx" and source == story:
            del expected["/etc/raw.png"]  # Word drops raw HTML whole (`docx.raw-html-dropped`), reading no image
        found = refusals(result.diagnostics)
        where = (result.job.format, source.name)
        assert {path for path, _, _ in found} == {str(source)}, where
        assert {(src, line) for _, src, line in found} == set(expected.items()), where


def test_the_cli_prints_path_and_line_and_strict_fails(folder: Path, tmp_path: Path) -> None:
    story = folder / "story.md"
    relaxed = CliRunner().invoke(main, ["export", str(story), "--to", "html", "-o", str(tmp_path / "a")])
    assert relaxed.exit_code == 0, relaxed.output
    for src, line in MARKDOWN_LINES.items():
        assert re.search(rf"{re.escape(str(story))}:{line}: warning: {re.escape(repr(src))} refused",
                         relaxed.stderr), (src, relaxed.stderr)
    strict = CliRunner().invoke(main, ["export", str(story), "--to", "html", "-o", str(tmp_path / "b"), "--strict"])
    assert strict.exit_code == 1
    assert f"{story}:9: warning: '../../figure.png' refused" in strict.stderr


@pytest.mark.slow
def test_a_collection_cover_is_refused_at_its_line_in_collection_yaml(tmp_path: Path) -> None:
    (tmp_path / "collection.yaml").write_text(COLLECTION, encoding="utf-8")
    (tmp_path / "one.md").write_text("---\ntitle: One\n---\n\nText of the one chapter.\n", encoding="utf-8")
    book = load_collection(tmp_path, report=Report())
    theme = Theme.load("default")
    for renderer in (EpubRenderer(), PdfRenderer()):
        report = Report()
        assert renderer.render(book, theme, report)
        found = refusals(report)
        assert found, renderer.name
        assert set(found) == {(str(tmp_path / "collection.yaml"), "../cover.png", 3)}, renderer.name


CHAPTER = """\
---
title: Damaged pictures
---

![A damaged photo](broken.png)

![A hostile drawing](hostile.svg)
"""
HOSTILE_SVG = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">]><svg xmlns="http://www.w3.org/2000/svg">&lol;</svg>'


@pytest.mark.parametrize("metadata_file", ["collection.yaml", "collection.toml"])
def test_what_the_pdf_engine_finds_in_a_chapter_image_is_reported_at_its_line(tmp_path: Path,
                                                                              metadata_file: str) -> None:
    cover = ("title = \"Damage\"\nimage = { src = \"../cover.png\", alt = \"c\" }\n" if metadata_file.endswith("toml")
             else "title: Damage\nimage: {src: ../cover.png, alt: c}\n")
    (tmp_path / metadata_file).write_text(cover, encoding="utf-8")
    (tmp_path / "one.md").write_text(CHAPTER, encoding="utf-8")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # a header, then nothing usable
    (tmp_path / "hostile.svg").write_bytes(HOSTILE_SVG)
    report = Report()
    assert PdfRenderer().render(load_collection(tmp_path, report=Report()), Theme.load("default"), report)
    found = {(d.code, Path(d.path).name, d.line) for d in report if d.code != "pdf.layout-relaxed"}
    # the chapter's problems at the chapter's lines, not at the book's folder; the cover at its own file
    assert found == {("image.unreadable", "one.md", 5), ("image.invalid", "one.md", 7),
                     ("resource.refused", metadata_file, 2)}
    epub = Report()
    assert EpubRenderer().render(load_collection(tmp_path, report=Report()), Theme.load("default"), epub)
    assert refusals(epub) == [(str(tmp_path / metadata_file), "../cover.png", 2)]
