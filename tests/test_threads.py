"""Rendering from several threads of one process gives the same bytes as rendering serially."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import exporter
from exporter.registry import RENDERERS

SOURCES = Path(__file__).resolve().parent.parent / "sources"
ARTICLES = ["longform/balkan-borders.md", "world/kosovo-sr.md", "world/prizren-sq.md", "world/nato-kosovo.txt",
            "tech/typesetting-toolchain.md", "photo/river-of-light.md"]
OPTIONS: dict[str, dict[str, object]] = {"html": {"images": "embed"}}


@pytest.mark.parametrize("format", ["html", "docx", "epub", "json", "pdf"])
def test_threads_render_the_same_bytes_as_serial(format: str) -> None:
    if RENDERERS.availability(format):
        pytest.skip(RENDERERS.availability(format))
    articles = [exporter.load(SOURCES / name) for name in ARTICLES]

    def one(article: exporter.Article) -> bytes:
        return exporter.render(article, format, options=OPTIONS.get(format))

    serial = [one(a) for a in articles]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(one, articles * 2))
    assert parallel == serial * 2
