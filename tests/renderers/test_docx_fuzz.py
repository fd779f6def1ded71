"""Any model the readers could produce renders to a DOCX that python-docx reopens: no crash, no invalid XML."""

from __future__ import annotations

import io

import docx
from hypothesis import HealthCheck, given, settings
from model_strategies import articles, documents

from exporter.diagnostics import Report
from exporter.model import Article, Collection
from exporter.renderers.docx import DocxRenderer
from exporter.themes import Theme


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_renders_and_reopens(doc: Article | Collection) -> None:
    data = DocxRenderer().render(doc, Theme.load("default"), Report())
    reopened = docx.Document(io.BytesIO(data))
    assert reopened.paragraphs
    assert reopened.core_properties.created is not None


@settings(max_examples=10, deadline=None)
@given(articles)
def test_rendering_is_deterministic(article: Article) -> None:
    theme = Theme.load("newsroom")
    assert DocxRenderer().render(article, theme, Report()) == DocxRenderer().render(article, theme, Report())
