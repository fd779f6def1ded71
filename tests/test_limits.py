"""Input limits: parsed from `--limit`, applied by every reader and renderer, named in every message."""

from __future__ import annotations

import io
import json
import threading
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from exporter import limits as limits_module
from exporter import pipeline
from exporter.cli import main
from exporter.diagnostics import Report
from exporter.errors import OptionError, SourceError
from exporter.limits import Limits, applied, current
from exporter.loader import load, loads
from exporter.model import BulletList, Table
from exporter.resources import check_image, image_size

BODY = "The council met on Tuesday to discuss the bridge."


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 160)).save(out, "PNG")
    return out.getvalue()


# ------------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(("pair", "name", "value"), [
    ("source_bytes=1000", "source_bytes", 1000),
    ("source-bytes=100MB", "source_bytes", 100_000_000),
    ("source_bytes=64MiB", "source_bytes", 64 * 1024 * 1024),
    ("image_pixels=200M", "image_pixels", 200_000_000),
    ("table_cells=1_000_000", "table_cells", 1_000_000),
    ("footnotes = 10,000", "footnotes", 10_000),
    ("TITLE_CHARS=2k", "title_chars", 2000),
    ("nesting=100", "nesting", 100),
])
def test_pairs_are_parsed_with_suffixes(pair: str, name: str, value: int) -> None:
    parsed = Limits.from_pairs([pair])
    assert getattr(parsed, name) == value
    assert parsed.changed() == ((name, value),)


@pytest.mark.parametrize(("pair", "message"), [
    ("pixels=5", "unknown limit 'pixels' (known: source_bytes, resource_bytes, image_pixels, nesting, "
                 "table_cells, footnotes, title_chars)"),
    ("footnotes", "a limit is NAME=VALUE (e.g. source_bytes=100MB), not 'footnotes'"),
    ("footnotes=many", "limit footnotes: 'many' is not a whole number"),
    ("footnotes=-3", "limit footnotes: '-3' is not a whole number"),
    ("footnotes=0", "limit footnotes must be a positive whole number, not 0"),
    ("nesting=500", "limit nesting may be at most 100, not 500"),
    ("title_chars=12,", "limit title_chars: '12,' is not a whole number"),
])
def test_bad_pairs_are_option_errors_that_say_which(pair: str, message: str) -> None:
    with pytest.raises(OptionError) as caught:
        Limits.from_pairs([pair])
    assert message in caught.value.message


def test_defaults_are_the_documented_ones() -> None:
    defaults = Limits()
    assert (defaults.source_bytes, defaults.resource_bytes, defaults.image_pixels, defaults.nesting,
            defaults.table_cells, defaults.footnotes, defaults.title_chars) == (
        50 * 1024 * 1024, 40 * 1024 * 1024, 89_478_485, 50, 100_000, 5_000, 500)
    assert defaults.changed() == ()
    docs = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in Limits.names():
        assert f"| `{name}` | {getattr(defaults, name)}" in docs, name


def test_applied_limits_are_scoped_and_restored() -> None:
    small = Limits(footnotes=3)
    seen: list[Limits] = []
    with applied(small) as active:
        assert active is small and current() is small
        with applied(None):
            assert current() is small
        with applied(Limits(footnotes=9)):
            assert current().footnotes == 9
        assert current() is small
        thread = threading.Thread(target=lambda: seen.append(current()))
        thread.start()
        thread.join()
    assert current() is limits_module.DEFAULTS
    assert seen == [Limits()]  # another thread (an API caller's pool) starts from the defaults


# ------------------------------------------------------------------------------------------ readers


def test_source_size_names_the_file_and_the_limit(tmp_path: Path) -> None:
    source = tmp_path / "story.md"
    source.write_text(f"# Story\n\n{BODY}\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load(source, limits=Limits(source_bytes=10))
    assert caught.value.path == str(source)
    assert "sources are limited to 10 (--limit source_bytes=N raises the limit)" in caught.value.message
    with pytest.raises(SourceError, match="sources are limited to 10 "):
        loads(BODY, "plaintext", limits=Limits(source_bytes=10))  # in memory too: the API and the service
    assert load(source).metadata.title == "Story"


def test_long_titles_are_cut_at_a_word_with_a_located_warning() -> None:
    report = Report()
    article = loads(f"---\ntitle: {'Minister resigns over bridge ' * 10}\n---\n\n{BODY}\n", "markdown",
                    report=report, limits=Limits(title_chars=40))
    assert article.metadata.title == "Minister resigns over bridge Minister…"
    (warning,) = report.warnings
    assert (warning.code, warning.line) == ("meta.title-too-long", 2)
    assert "cut to 40 (--limit title_chars=N raises the limit)" in warning.message


def test_a_json_source_is_held_to_the_same_limits(tmp_path: Path) -> None:
    source = tmp_path / "story.json"
    article = loads(f"# {'Word ' * 30}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nOne[^1] two[^2].\n\n[^1]: x\n[^2]: y\n")
    from exporter.model_json import to_json

    source.write_text(to_json(article), encoding="utf-8")
    report = Report()
    assert len(load(source, report=report, limits=Limits(title_chars=20)).metadata.title) <= 20
    assert report.codes() == {"meta.title-too-long"}
    with pytest.raises(SourceError, match="more than 1 footnotes"):
        load(source, limits=Limits(footnotes=1))
    with pytest.raises(SourceError, match="a table has 4 cells, over the 3-cell limit"):
        load(source, limits=Limits(table_cells=3))


def test_markdown_footnotes_over_the_limit_name_the_line_of_the_first_one_over() -> None:
    text = "# Notes\n\nOne.[^a]\n\nTwo.[^b] Three.[^c]\n\nFour.[^d]\n\n[^a]: A\n[^b]: B\n[^c]: C\n[^d]: D\n"
    with pytest.raises(SourceError) as caught:
        loads(text, limits=Limits(footnotes=3))
    assert caught.value.line == 7
    assert "footnote [^d] is one more than the 3 a source may hold" in caught.value.message
    assert len(loads(text, limits=Limits(footnotes=4)).blocks) == 3


def test_html_footnotes_over_the_limit_name_the_reference_line() -> None:
    refs = "\n".join(f'<p>Claim {i}.<sup><a href="#n{i}">{i}</a></sup></p>' for i in range(1, 4))
    notes = "".join(f'<li id="n{i}">Source {i}.</li>' for i in range(1, 4))
    page = f"<html><body><article><h1>T</h1>\n{refs}\n<ol class=\"footnotes\">{notes}</ol></article></body></html>"
    with pytest.raises(SourceError) as caught:
        loads(page, "html", limits=Limits(footnotes=2))
    assert caught.value.line == 4
    assert "footnote '3' is one more than the 2" in caught.value.message


def test_tables_over_the_limit_name_the_table_line() -> None:
    table = "| a | b | c |\n|---|---|---|\n" + "| 1 | 2 | 3 |\n" * 3
    with pytest.raises(SourceError) as caught:
        loads(f"# T\n\nIntro.\n\n{table}", limits=Limits(table_cells=11))
    assert caught.value.line == 5
    assert "more than 11 cells; split it or --limit table_cells=N raises the limit" in caught.value.message
    assert any(isinstance(b, Table) for b in loads(f"# T\n\n{table}", limits=Limits(table_cells=12)).blocks)


def test_an_html_table_counts_the_cells_short_rows_are_padded_with() -> None:
    wide = "<tr>" + "<td>x</td>" * 50 + "</tr>"
    page = f"<html><body><article><h1>T</h1>\n<p>Intro</p>\n<table>{wide}" + "<tr><td>1</td></tr>" * 50 + \
        "</table></article></body></html>"
    with pytest.raises(SourceError) as caught:  # 51 rows padded to 50 columns: 2,550 cells, not 100
        loads(page, "html", limits=Limits(table_cells=2000))
    assert caught.value.line == 3
    assert "2,550 cells (51 rows of 50)" in caught.value.message


def test_the_nesting_limit_flattens_at_the_chosen_depth() -> None:
    text = "".join("  " * i + f"- item {i}\n" for i in range(8))
    report = Report()
    article = loads(text, report=report, limits=Limits(nesting=3))
    depth, blocks = 0, article.blocks
    while lists := [b for b in blocks if isinstance(b, BulletList)]:
        depth, blocks = depth + 1, lists[0].items[0].blocks
    assert depth == 3
    assert "markdown.too-deep" in report.codes()
    assert "item 7" in json.dumps([str(b) for b in article.blocks], ensure_ascii=False)
    html = "<html><body><article><h1>T</h1>" + "<div>" * 8 + "<p>deep</p>" + "</div>" * 8 + "</article></body></html>"
    report = Report()
    loads(html, "html", report=report, limits=Limits(nesting=3))
    assert "html.too-deep" in report.codes()


def test_markers_past_the_parser_limit_do_not_swallow_the_rest_of_the_file() -> None:
    report = Report()
    article = loads(f"# Deep\n\n{'- ' * 400}item\n\n{'> ' * 400}quote\n\nThe end.\n", report=report)
    from exporter.model import iter_texts

    text = " ".join(iter_texts(article.blocks))
    assert ("item" in text, "quote" in text, "The end." in text) == (True, True, True)
    assert "markdown.too-deep-dropped" not in report.codes()


# ------------------------------------------------------------------------------------------- images


def test_check_image_applies_the_pixel_limit_from_the_header() -> None:
    data = png(100, 100)
    assert check_image(data) is None
    problem = check_image(data, Limits(image_pixels=5000))
    assert problem is not None and problem.code == "image.too-large"
    assert str(problem) == "100 × 100 pixels is over the 5,000-pixel limit; --limit image_pixels=N raises the limit"
    with applied(Limits(image_pixels=5000)):
        assert check_image(data) == problem  # the current job's limits by default


def test_bombs_and_damage_never_reach_pillow_as_a_warning_or_a_global() -> None:
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    def declared(width: int, height: int) -> bytes:
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))

    before = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning would fail the test
        bomb = check_image(declared(100_000, 100_000))
        between = check_image(declared(10_000, 10_000))  # over Pillow's warning, under its error
        assert image_size(declared(100_000, 100_000)) is None
        assert image_size(declared(10_000, 10_000)) == (10_000, 10_000)
    assert bomb is not None and bomb.code == "image.too-large" and "10,000,000,000 pixels" in bomb.message
    assert between is not None and "10,000 × 10,000 pixels" in between.message
    assert before == Image.MAX_IMAGE_PIXELS
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, "JPEG")
    damaged = check_image(out.getvalue()[:300])
    assert damaged is not None and damaged.code == "image.unreadable"
    assert check_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    assert check_image(b"not an image") is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_limits_reach_the_renderers_in_the_worker(tmp_path: Path, jobs: int) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "photo.png").write_bytes(png(100, 100))
    for name in ("one", "two"):
        (tmp_path / "src" / f"{name}.md").write_text(f"# {name}\n\n![Bridge at dusk](photo.png)\n", encoding="utf-8")
    out = tmp_path / "out"
    report = pipeline.export([tmp_path / "src"], "html,docx", out, jobs=jobs, limits=Limits(image_pixels=5000))
    assert report.ok() and len(report.results) == 4
    for result in report.results:
        assert [d.code for d in result.diagnostics if not d.code.startswith("feed.")] == ["image.too-large"]
    assert "<img" not in (out / "one.html").read_text(encoding="utf-8")
    assert "Bridge at dusk" in (out / "one.html").read_text(encoding="utf-8")
    again = pipeline.export([tmp_path / "src"], "html,docx", out, jobs=jobs)  # new limits: a new key, a rebuild
    assert [r.status for r in again.results] == ["done"] * 4
    assert "<img" in (out / "one.html").read_text(encoding="utf-8")
    unchanged = pipeline.export([tmp_path / "src"], "html,docx", out, jobs=jobs)
    assert [r.status for r in unchanged.results] == ["skipped"] * 4


def test_the_api_renders_under_the_given_limits(tmp_path: Path) -> None:
    import exporter

    (tmp_path / "photo.png").write_bytes(png(100, 100))
    article = exporter.loads("# Story\n\n![Bridge at dusk](photo.png)\n", base_dir=tmp_path)
    report = Report()
    page = exporter.render(article, "html", report=report, limits=exporter.Limits(image_pixels=5000))
    assert b"<img" not in page and b"Bridge at dusk" in page
    assert report.codes() == {"image.too-large"}
    assert b"<img" in exporter.render(article, "html", options={"images": "embed"})


@pytest.mark.parametrize("format", ["html", "epub", "docx", "pdf"])
def test_resource_bytes_bounds_what_a_renderer_reads(tmp_path: Path, format: str) -> None:
    (tmp_path / "photo.png").write_bytes(png(100, 100))
    (tmp_path / "story.md").write_text("# Story\n\n![Bridge](photo.png)\n", encoding="utf-8")
    report = pipeline.export([tmp_path / "story.md"], format, tmp_path / "out", limits=Limits(resource_bytes=100))
    (result,) = report.results
    assert result.status == "done"
    assert [d.code for d in result.diagnostics] == ["resource.refused"]
    # PDF: WeasyPrint's fetcher applies the same job limit to the file the print HTML names
    expected = "larger than 100 bytes" if format == "pdf" else "over the 100-byte limit"
    assert expected in result.diagnostics[0].message


# ---------------------------------------------------------------------------------------------- CLI


def test_the_cli_lists_every_limit_and_refuses_unknown_ones(tmp_path: Path) -> None:
    runner = CliRunner()
    help_text = " ".join(runner.invoke(main, ["export", "--help"]).output.split())
    for name in Limits.names():
        assert f"{name}=" in help_text, name
    source = tmp_path / "story.md"
    source.write_text(f"# Story\n\n{BODY}\n", encoding="utf-8")
    bad = runner.invoke(main, ["export", str(source), "--to", "html", "-o", str(tmp_path / "out"),
                               "--limit", "pixels=5"])
    assert bad.exit_code == 2
    assert "error: unknown limit 'pixels'" in bad.stderr
    assert "Traceback" not in bad.output
    assert not (tmp_path / "out").exists()


def test_the_cli_applies_limits_to_export_and_inspect(tmp_path: Path) -> None:
    source = tmp_path / "story.md"
    source.write_text(f"---\ntitle: A title far too long for the front page\n---\n\n{BODY}\n", encoding="utf-8")
    runner = CliRunner()
    inspected = runner.invoke(main, ["inspect", str(source), "--json", "--limit", "title_chars=12"])
    assert inspected.exit_code == 0
    assert json.loads(inspected.stdout)["metadata"]["title"] == "A title far…"
    assert f"{source}:2: warning: title is 39 characters; cut to 12" in inspected.stderr
    failed = runner.invoke(main, ["export", str(source), "--to", "html,json", "-o", str(tmp_path / "out"),
                                  "--limit", "source_bytes=50", "-q"])
    assert failed.exit_code == 1
    assert f"{source}: error: the file is" in failed.stderr
    assert failed.stderr.count("sources are limited to 50 (--limit source_bytes=N raises the limit)") == 2
    assert "Traceback" not in failed.output
