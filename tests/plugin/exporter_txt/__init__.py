"""A plain-text renderer, the smallest plugin exporter can load (`--to txt`); used by tests/test_plugin.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from exporter.diagnostics import Report
from exporter.model import Article, Collection
from exporter.themes import Theme


@dataclass(frozen=True, slots=True, kw_only=True)
class TxtRenderer:
    """The article's title and the plain text of its model JSON's strings, one paragraph a line."""

    name: ClassVar[str] = "txt"
    suffix: ClassVar[str] = ".txt"
    media_type: ClassVar[str] = "text/plain"
    width: int = 0
    """An option, to prove plugin options pass through; 0 means no wrapping."""

    def render(self, doc: Article | Collection, theme: Theme, report: Report) -> bytes:
        """UTF-8 text: the title, a rule, then every text run of the document."""
        del theme, report
        title = doc.metadata.title
        lines = [title, "=" * len(title), ""]
        lines.extend(_texts(doc))
        return ("\n".join(lines) + "\n").encode("utf-8")


def _texts(node: object) -> list[str]:
    """Every `text` string in the model, in document order (walks the frozen dataclasses generically)."""
    found: list[str] = []
    fields = getattr(node, "__dataclass_fields__", None)
    if fields is not None:
        for name in fields:
            value = getattr(node, name)
            if name == "text" and isinstance(value, str):
                found.append(value)
            elif name != "metadata":
                found.extend(_texts(value))
    elif isinstance(node, tuple | list):
        for item in node:
            found.extend(_texts(item))
    return found
