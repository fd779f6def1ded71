"""The accessibility survey behind the EPUB's schema.org claims counts what is really in the book."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from hypothesis import given, settings
from model_strategies import articles

from exporter.model import Article, Figure, Image, LeadImage, Table
from exporter.renderers._epub_meta import Accessibility


def _every_node(node: object) -> Iterator[object]:
    """The reference: every dataclass under `node`, through every field of every node."""
    if isinstance(node, tuple):
        for child in node:
            yield from _every_node(child)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        yield node
        for f in dataclasses.fields(node):
            yield from _every_node(getattr(node, f.name))


@settings(max_examples=200, deadline=None)
@given(articles, articles)
def test_survey_counts_every_picture_and_headerless_table(first: Article, second: Article) -> None:
    nodes = [n for a in (first, second) for n in _every_node((a.metadata.image, a.blocks))]
    pictures = [n for n in nodes if isinstance(n, (Figure, Image, LeadImage))]
    expected = Accessibility(
        images=1 + len(pictures),
        images_without_alt=sum(1 for p in pictures if not p.alt.strip()),
        tables_without_headers=sum(1 for n in nodes if isinstance(n, Table) and not n.header))
    assert Accessibility.survey([first, second], cover=True) == expected
