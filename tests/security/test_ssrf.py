"""SSRF: sources naming a server the test runs on loopback, exported to every format, in each network mode.

By default nothing may reach the server; `allow_remote` alone still may not (loopback is private); with
`allow_private_network` as well the images arrive and end up in the outputs. Links, stylesheets and
`@import`s written in a source are never fetched in any mode.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner
from recording_server import Recorder, recording_server

import exporter
from exporter import pipeline
from exporter.cli import main
from exporter.diagnostics import Report
from exporter.options import PdfOptions

PNG = (Path(__file__).parents[1] / "renderers" / "fixtures" / "html" / "pics" / "photo.png").read_bytes()
FORMATS = ("html", "pdf", "epub", "docx", "json")
NEVER = {"/md-link", "/raw-link", "/raw.css", "/raw-import.css", "/raw-bg.png", "/raw-style.png", "/raw-svg.png",
         "/page.css", "/page-import.css", "/page-bg.png", "/preload.png", "/html-link", "/html-style.png",
         "/html-svg.png", "/nested.css", "/css-bg.png"}
"""What a source names but no renderer may ever ask for: links, and what the sanitiser and readers drop."""
IMAGES = {"/lead.png", "/md-image.png", "/raw-img.png", "/html-img.png", "/og.png"}
"""The images a render may fetch when both switches are on."""

MARKDOWN = """---
title: Harbour lights
language: en
image: {{src: "{u}/lead.png", alt: Lead}}
---

The lights came on at dusk. See [the harbour log]({u}/md-link).

![Boats at the quay]({u}/md-image.png)

<p>Raw: <img src="{u}/raw-img.png" alt="raw"> and <a href="{u}/raw-link">a raw link</a>.</p>

<link rel="stylesheet" href="{u}/raw.css">

<style>@import url("{u}/raw-import.css"); p {{ background: url({u}/raw-bg.png) }}</style>

<p style="background-image: url({u}/raw-style.png)">Styled paragraph.</p>

<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="{u}/raw-svg.png" width="10"/></svg>

![A drawing](drawing.svg)

The end.
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour page</title>
<link rel="stylesheet" href="{u}/page.css">
<link rel="preload" as="image" href="{u}/preload.png">
<style>@import url("{u}/page-import.css"); body {{ background: url({u}/page-bg.png) }}</style>
<meta property="og:image" content="{u}/og.png">
</head><body><article><h1>Harbour page</h1>
<p>Lights on the water. <a href="{u}/html-link">More from the log</a>.</p>
<figure><img src="{u}/html-img.png" alt="Boats"><figcaption>Boats</figcaption></figure>
<p style="background: url({u}/html-style.png)">Styled.</p>
<svg xmlns="http://www.w3.org/2000/svg"><image href="{u}/html-svg.png" width="5" height="5"/></svg>
<p>Drawn: <img src="drawing.svg" alt="Drawing"></p>
</article></body></html>
"""

DRAWING = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">
<image href="{u}/svg-file.png" width="10" height="10"/><image xlink:href="{u}/svg-xlink.png" width="5" height="5"/>
<rect width="20" height="20" fill="#336"/></svg>
"""


@dataclass
class Trap:
    """The loopback server and the folder of sources naming it."""

    server: Recorder
    folder: Path

    @property
    def sources(self) -> list[Path]:
        return [self.folder / "story.md", self.folder / "page.html"]


@pytest.fixture(scope="module")
def trap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trap]:
    folder = tmp_path_factory.mktemp("ssrf")
    with recording_server(PNG) as server:
        u = server.url("")
        (folder / "story.md").write_text(MARKDOWN.format(u=u), encoding="utf-8")
        (folder / "page.html").write_text(PAGE.format(u=u), encoding="utf-8")
        (folder / "drawing.svg").write_text(DRAWING.format(u=u), encoding="utf-8")
        yield Trap(server, folder)


@dataclass
class Phase:
    """One export of both sources to every format, and what the server saw during it."""

    report: pipeline.BatchReport
    requests: list[str]
    out: Path


@pytest.fixture(scope="module")
def phases(trap: Trap, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Phase]:
    """The three modes in turn, into one output folder (so each switch must also rebuild what it affects)."""
    out = tmp_path_factory.mktemp("ssrf-out")
    results = {}
    for mode, flags in (("default", {}), ("remote", {"allow_remote": True}),
                        ("private", {"allow_remote": True, "allow_private_network": True}),
                        ("again", {"allow_remote": True, "allow_private_network": True})):
        trap.server.requests.clear()
        report = pipeline.export(trap.sources, FORMATS, out, jobs=1, timeout=None, **flags)  # type: ignore[arg-type]
        results[mode] = Phase(report, list(trap.server.requests), out)
    return results


def test_by_default_no_format_makes_any_request(phases: dict[str, Phase], trap: Trap) -> None:
    phase = phases["default"]
    assert phase.requests == []
    assert [(r.job.format, r.status) for r in phase.report.results] == [(f, "done") for f in FORMATS for _ in (1, 2)]
    for result in phase.report.results:
        refused = [d for d in result.diagnostics if d.code == "resource.refused" and "127.0.0.1" in d.message]
        if result.job.format == "json":
            assert not refused  # the model keeps the URLs as written and reads nothing
            continue
        assert refused, (result.job.format, result.job.source)
        assert all(d.path == str(result.job.source) for d in refused)
        assert all("allow_remote is off" in d.message for d in refused), [d.message for d in refused]


def test_allow_remote_alone_still_refuses_the_loopback_server(phases: dict[str, Phase]) -> None:
    phase = phases["remote"]
    assert phase.requests == []
    statuses = {(r.job.format, r.status) for r in phase.report.results}
    assert statuses == {*((f, "done") for f in FORMATS if f != "json"), ("json", "skipped")}  # the switch rebuilt
    for result in phase.report.results:
        if result.status == "done":
            messages = [d.message for d in result.diagnostics if d.code == "resource.refused"]
            assert any("loopback" in m for m in messages), (result.job.format, messages)


def test_with_both_switches_the_images_arrive_and_nothing_else_is_asked_for(phases: dict[str, Phase]) -> None:
    phase = phases["private"]
    paths = {request.split(" ", 1)[1] for request in phase.requests}
    assert {"/lead.png", "/md-image.png", "/raw-img.png", "/html-img.png"} <= paths
    assert phase.requests.count("GET /md-image.png") == 4  # once per format (html, pdf, epub, docx), not per use
    assert not paths & NEVER, sorted(paths & NEVER)
    assert {request.split(" ", 1)[0] for request in phase.requests} == {"GET"}
    assert not any(d.code == "resource.refused" and "127.0.0.1" in d.message
                   for r in phase.report.results for d in r.diagnostics)
    assert phases["again"].requests == []  # unchanged inputs: every job skipped, nothing fetched again
    assert {r.status for r in phases["again"].report.results} == {"skipped"}


def test_with_both_switches_the_fetched_bytes_are_in_every_output(phases: dict[str, Phase]) -> None:
    out = phases["private"].out
    for stem in ("story", "page"):
        assert PNG in [p.read_bytes() for p in (out / f"{stem}_files").iterdir()], stem
        html = (out / f"{stem}.html").read_text(encoding="utf-8")
        assert 'src="http' not in html and f'src="{stem}_files/' in html  # copied, never hotlinked
        for suffix in (".epub", ".docx"):
            with zipfile.ZipFile(out / f"{stem}{suffix}") as package:
                assert any(package.read(name) == PNG for name in package.namelist()), (stem, suffix)
        with pikepdf.open(out / f"{stem}.pdf") as pdf:
            images = [x for page in pdf.pages for x in page.get_images().values()]
            assert any((int(x.Width), int(x.Height)) == (64, 40) for x in images), stem


def test_cli_strict_fails_on_a_refusal_and_the_switches_reach_the_renderers(trap: Trap, tmp_path: Path) -> None:
    runner = CliRunner()
    source = str(trap.folder / "story.md")
    trap.server.requests.clear()
    strict = runner.invoke(main, ["export", source, "--to", "docx", "-o", str(tmp_path), "--strict", "-q"])
    assert strict.exit_code == 1, strict.output
    assert "resource.refused" in strict.output and trap.server.requests == []
    lone = runner.invoke(main, ["export", source, "--to", "docx", "-o", str(tmp_path), "--allow-private-network"])
    assert lone.exit_code == 2 and "--allow-remote" in lone.output
    both = runner.invoke(main, ["export", source, "--to", "docx", "-o", str(tmp_path), "-q", "--allow-remote",
                                "--allow-private-network"])
    assert both.exit_code == 0, both.output
    assert "GET /md-image.png" in trap.server.requests and not trap.server.paths() & NEVER
    with zipfile.ZipFile(tmp_path / "story.docx") as package:
        assert any(package.read(name) == PNG for name in package.namelist())


def test_the_api_takes_the_switches_and_pdf_options_keep_allow_remote(trap: Trap) -> None:
    article = exporter.load(trap.folder / "story.md")
    trap.server.requests.clear()
    report = Report()
    plain = exporter.render(article, "epub", report=report)
    assert trap.server.requests == [] and "resource.refused" in report.codes()
    fetched = exporter.render(article, "epub", allow_remote=True, allow_private_network=True)
    with zipfile.ZipFile(io.BytesIO(fetched)) as package:
        assert any(package.read(name) == PNG for name in package.namelist())
    with zipfile.ZipFile(io.BytesIO(plain)) as package:
        assert not any(package.read(name) == PNG for name in package.namelist())
    trap.server.requests.clear()
    exporter.render(article, "pdf", options=PdfOptions(allow_remote=True))
    assert trap.server.requests == []
    exporter.render(article, "pdf", options=PdfOptions(allow_remote=True, allow_private_network=True))
    assert "GET /md-image.png" in trap.server.requests and not trap.server.paths() & NEVER

