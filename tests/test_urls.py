"""The one URL rule every format uses: what a browser would run or fetch from disk never survives."""

from __future__ import annotations

import io
import zipfile

import pytest

from exporter import render
from exporter.model import Article, Link, Metadata, Paragraph, Text
from exporter.urls import safe_url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "java\tscript:alert(1)", " JavaScript:x", "data:text/html,x",
                                 "file:///etc/passwd", "vbscript:x"])
def test_dangerous_schemes_are_refused(url: str) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize("url", ["https://example.org/a", "mailto:desk@example.org", "other.md", "#notes", "../x.html"])
def test_ordinary_links_are_kept(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize("to", ["html", "epub", "docx"])
def test_a_tab_inside_the_scheme_does_not_smuggle_a_link_into_any_output(to: str) -> None:
    trap = Link(url="java\tscript:alert(1)", children=(Text(text="the trap"),))
    desk = Link(url="https://example.org/desk", children=(Text(text="the desk"),))
    article = Article(metadata=Metadata(title="Links"),
                      blocks=(Paragraph(children=(trap, Text(text=" and "), desk)),))
    data = render(article, to)
    texts = [zipfile.ZipFile(io.BytesIO(data)).read(n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist()] \
        if to != "html" else [data]
    joined = b"".join(texts)
    assert b"the trap" in joined  # the words stay …
    assert b"script:alert" not in joined.replace(b"\t", b"").replace(b"&#9;", b"")  # … the link does not
    assert b"https://example.org/desk" in joined
