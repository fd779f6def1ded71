"""The typed option sets: in step with their renderers, checked on creation, accepted by `render`."""

from __future__ import annotations

import dataclasses

import pytest

import exporter
from exporter.errors import OptionError
from exporter.options import OPTIONS, DocxOptions, EpubOptions, HtmlOptions, PdfOptions
from exporter.registry import RENDERERS

POLICY_FIELDS = {"policy", "resources"}
"""Renderer fields the API sets itself (the resource policy), so no option class offers them."""


@pytest.mark.parametrize("format", sorted(OPTIONS))
def test_options_mirror_the_renderer_fields(format: str) -> None:
    if RENDERERS.availability(format):
        pytest.skip(RENDERERS.availability(format))
    renderer = {f.name: f.default for f in dataclasses.fields(RENDERERS.load(format)) if f.init}
    options = {f.name: f.default for f in dataclasses.fields(OPTIONS[format])}
    assert set(options) == set(renderer) - POLICY_FIELDS
    assert {k: v for k, v in options.items() if v is not dataclasses.MISSING} == {
        k: v for k, v in renderer.items() if k in options and v is not dataclasses.MISSING}


@pytest.mark.parametrize("make", [
    lambda: PdfOptions(variant="pdf/x"),  # type: ignore[arg-type]
    lambda: PdfOptions(columns=9),
    lambda: PdfOptions(columns=True),
    lambda: HtmlOptions(mode="page"),  # type: ignore[arg-type]
    lambda: DocxOptions(toc_depth=0),
    lambda: EpubOptions(urls={"a.md": 3}),  # type: ignore[dict-item]
    lambda: PdfOptions.from_mapping({"page_sise": "A4"}),
])
def test_bad_options_fail_on_creation(make: object) -> None:
    with pytest.raises(OptionError):
        make()  # type: ignore[operator]


def test_options_are_frozen_and_hashable() -> None:
    options = PdfOptions(page_size="A5", marks=("crop",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.page_size = "A4"  # type: ignore[misc]
    assert hash(options) == hash(PdfOptions(page_size="A5", marks=("crop",)))


def test_render_takes_typed_options_or_a_mapping() -> None:
    article = exporter.loads("---\ntitle: Options\n---\nBody.\n")
    fragment = exporter.render(article, "html", options=HtmlOptions(mode="fragment", images="embed"))
    assert fragment.lstrip().startswith(b"<article")
    assert exporter.render(article, "html", options={"mode": "fragment", "images": "embed"}) == fragment
    with pytest.raises(OptionError, match="pdf"):
        exporter.render(article, "html", options=PdfOptions())
    with pytest.raises(OptionError, match="nope"):
        exporter.render(article, "html", options={"nope": 1})
