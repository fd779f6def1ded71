"""File disclosure: sources naming files outside their folder, exported to every format, leak none of their bytes.

The sources name `/etc/passwd`, `../../../../etc/hostname` and `file:///etc/hostname` (and a secret file of
the test's own next to the source folder) as images, raw HTML images, SVG references, stylesheets, an XXE
entity and through symlinks inside the source folder. Every output is searched: its bytes, every member of
a zip decompressed, and for PDF the extracted text and every stream decompressed.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, PngImagePlugin

from exporter import pipeline

FORMATS = ("html", "pdf", "epub", "docx", "json")
TOKEN = "SECRET-7f3a91c2-do-not-export"
"""In the test's own secret files outside the source folder (a text file and a PNG's text chunk)."""

MARKDOWN = """---
title: Disclosure
language: en
image: /etc/passwd
---

Text before the traps.

![passwd](/etc/passwd)

![hostname](../../../../etc/hostname)

![file URL](file:///etc/hostname)

![secret next door](../secret.png)

![secret by absolute path]({secret_png})

![symlink to hostname](leak.png)

![symlink to the secret](secret-link.png)

![through a linked folder](etc-link/passwd)

![an SVG with references](trap.svg)

![an SVG with an entity](xxe.svg)

<p><img src="/etc/passwd" alt="raw"> <img src="file:///etc/passwd" alt="raw"> <img src="../../../../etc/hostname"
alt="raw"> <img src="leak.png" alt="raw"></p>

<link rel="stylesheet" href="/etc/passwd">

<style>@import url("file:///etc/passwd"); p {{ background: url(../../../../etc/hostname) }}</style>

<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/><text>inline</text></svg>

<object data="/etc/passwd"></object><iframe src="file:///etc/hostname"></iframe>

[a link to the secret](../secret.txt) and [another](file:///etc/passwd).

Text after the traps.
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Disclosure page</title>
<link rel="stylesheet" href="/etc/passwd"><link rel="stylesheet" href="leak.css">
<style>@import url("file:///etc/passwd");</style>
<meta property="og:image" content="file:///etc/passwd">
</head><body><article><h1>Disclosure page</h1><p>Text before the traps.</p>
<figure><img src="/etc/passwd" alt="a"></figure>
<p><img src="../../../../etc/hostname" alt="b"> <img src="file:///etc/hostname" alt="c"> <img src="leak.png" alt="d">
<img src="trap.svg" alt="e"> <img src="xxe.svg" alt="f"> <img src="../secret.png" alt="g"></p>
<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>
<object data="file:///etc/passwd"></object><iframe src="/etc/passwd"></iframe>
<p>Text after the traps.</p>
</article></body></html>
"""

TRAP_SVG = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40">
<style>@import url("file:///etc/passwd");</style>
<image href="file:///etc/passwd" width="10" height="10"/><image xlink:href="../../../../etc/hostname" width="10"/>
<image href="leak.png" width="10" height="10"/><image href="{secret_png}" width="10" height="10"/>
<rect width="40" height="40" fill="#369"/></svg>
"""

XXE_SVG = """<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY passwd SYSTEM "file:///etc/passwd"><!ENTITY secret SYSTEM "file://{secret_txt}">]>
<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60"><text x="5" y="20">&passwd;</text>
<text x="5" y="40">&secret;</text></svg>
"""


def needles() -> list[bytes]:
    """What must appear in no output: each account line's head from /etc/passwd, the hostname, the token."""
    found = [TOKEN.encode()]
    passwd = Path("/etc/passwd")
    if passwd.is_file():
        found += [":".join(line.split(":")[:4]).encode() for line in passwd.read_text().splitlines()
                  if line.count(":") >= 4 and ":x:" in line]
    hostname = Path("/etc/hostname")
    if hostname.is_file() and len(hostname.read_text().strip()) >= 4:
        found.append(hostname.read_text().strip().encode())
    return found


def _secret_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", TOKEN)
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("disclosure")
    (root / "secret.txt").write_text(f"{TOKEN}\n", encoding="utf-8")
    (root / "secret.png").write_bytes(_secret_png())
    story = root / "story"
    story.mkdir()
    names = {"secret_png": root / "secret.png", "secret_txt": root / "secret.txt"}
    (story / "story.md").write_text(MARKDOWN.format(**names), encoding="utf-8")
    (story / "page.html").write_text(PAGE, encoding="utf-8")
    (story / "trap.svg").write_text(TRAP_SVG.format(**names), encoding="utf-8")
    (story / "xxe.svg").write_text(XXE_SVG.format(**names), encoding="utf-8")
    (story / "leak.png").symlink_to("/etc/hostname")
    (story / "leak.css").symlink_to("/etc/passwd")
    (story / "secret-link.png").symlink_to(root / "secret.png")
    (story / "etc-link").symlink_to("/etc")
    return story


def _pieces(path: Path) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) for everything an output holds: the file, zip members decompressed, PDF text and streams."""
    data = path.read_bytes()
    yield path.name, data
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as package:
            for name in package.namelist():
                yield f"{path.name}!{name}", package.read(name)
    if data.startswith(b"%PDF"):
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
        yield f"{path.name} (text)", text
        with pikepdf.open(path) as pdf:
            for number, obj in enumerate(pdf.objects):
                if isinstance(obj, pikepdf.Stream):
                    try:
                        yield f"{path.name} stream {number}", obj.read_bytes()
                    except pikepdf.PdfError:  # an image filter pikepdf does not decode (DCT): the raw bytes then
                        yield f"{path.name} stream {number}", obj.read_raw_bytes()


@pytest.mark.parametrize("network", ["off", "on"])
def test_no_output_holds_a_byte_of_a_file_outside_the_source_folder(folder: Path, tmp_path: Path,
                                                                     network: str) -> None:
    flags = {"allow_remote": True, "allow_private_network": True} if network == "on" else {}
    report = pipeline.export([folder / "story.md", folder / "page.html"], FORMATS, tmp_path, jobs=1, timeout=None,
                             incremental=False, **flags)  # type: ignore[arg-type]
    assert [(r.job.format, r.status) for r in report.results] == [(f, "done") for f in FORMATS for _ in (1, 2)]
    outputs = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert {p.suffix for p in outputs} >= {".html", ".pdf", ".epub", ".docx", ".json"}
    secrets = needles()
    searched = 0
    for output in outputs:
        for where, data in _pieces(output):
            searched += 1
            for secret in secrets:
                assert secret not in data, f"{secret!r} leaked into {where}"
    assert searched > len(outputs)  # zip members and PDF streams were opened too
    for result in report.results:
        refused = [d for d in result.diagnostics if d.code == "resource.refused"]
        if result.job.format != "json":
            assert len(refused) >= 3, (result.job.format, result.job.source, [str(d) for d in result.diagnostics])
            assert all(d.path == str(result.job.source) for d in refused)


def test_the_text_around_the_traps_survives(folder: Path, tmp_path: Path) -> None:
    """The refusals cost only the refused resources: the article itself is exported whole."""
    report = pipeline.export([folder / "story.md"], ("html", "docx"), tmp_path, jobs=1, timeout=None)
    assert {r.status for r in report.results} == {"done"}
    html = (tmp_path / "story.html").read_text(encoding="utf-8")
    assert "Text before the traps." in html and "Text after the traps." in html
    with zipfile.ZipFile(tmp_path / "story.docx") as package:
        document = package.read("word/document.xml").decode("utf-8")
    assert "Text before the traps." in document and "Text after the traps." in document
