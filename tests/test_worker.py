"""The worker's link rewriting: every `Link` anywhere in a block tree, and nothing else."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from hypothesis import given, settings
from model_strategies import articles

from exporter._worker import _relink
from exporter.model import Article, Link


def _moved(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return url
    return "moved/" + parts.path + (f"#{parts.fragment}" if parts.fragment else "")


def _rewrite_everywhere(node: object) -> object:
    """The reference: visit every field of every dataclass, whatever its type, and move every link."""
    if isinstance(node, tuple):
        return tuple(_rewrite_everywhere(item) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: _rewrite_everywhere(getattr(node, f.name)) for f in dataclasses.fields(node) if f.init}
        if isinstance(node, Link):
            changes["url"] = _moved(node.url)
        return dataclasses.replace(node, **changes)
    return node


class _EveryPath(dict[str, str]):
    """A link table that knows every path, so every relative link in the tree must be rewritten."""

    def get(self, key: str, default: str | None = None) -> str:  # type: ignore[override]
        return "moved/" + key


@settings(max_examples=200, deadline=None)
@given(articles)
def test_relink_reaches_every_link_in_every_kind_of_node(article: Article) -> None:
    assert _relink(article.blocks, _EveryPath()) == _rewrite_everywhere(article.blocks)


@settings(max_examples=100, deadline=None)
@given(articles)
def test_a_tree_without_known_links_is_returned_as_it_is(article: Article) -> None:
    assert _relink(article.blocks, {}) is article.blocks
