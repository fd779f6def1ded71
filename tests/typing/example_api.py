"""A user's script: `mypy --strict` must accept it, so the public API's types are the real ones."""

from __future__ import annotations

import io
from pathlib import Path

import exporter
from exporter import Article, BatchReport, DocxOptions, HtmlOptions, PdfOptions, Report, Theme


def publish(source: Path, out: Path) -> dict[str, int]:
    article: Article = exporter.load(source)
    report = Report()
    sizes: dict[str, int] = {}
    page: bytes = exporter.render(article, "html", options=HtmlOptions(mode="fragment"), report=report)
    sizes["html"] = len(page)
    pdf = exporter.render(article, "pdf", theme=Theme.load("default"), options=PdfOptions(page_size="A5"))
    sizes["pdf"] = len(pdf)
    buffer = io.BytesIO()
    exporter.render_to(article, "docx", buffer, options=DocxOptions(toc_depth=3))
    sizes["docx"] = len(buffer.getvalue())
    exporter.render_to(article, "json", out / "article.json", options={"indent": None})
    batch: BatchReport = exporter.export([source], ["html", "epub"], out, jobs=2)
    sizes["failed"] = len(batch.failed)
    available: list[str] = [name for name, reason in exporter.formats().items() if not reason]
    sizes["formats"] = len(available)
    themes: dict[str, str] = exporter.available_themes()
    sizes["themes"] = len(themes)
    return sizes


def safe_render(text: str) -> bytes | None:
    try:
        return exporter.render(exporter.loads(text), "epub")
    except exporter.SourceError as exc:
        print(exc.path, exc.line, exc.message)
    except exporter.ExporterError as exc:
        print(exc)
    return None
