"""The model itself as output (`--to json`): the golden format for tests and the hand-off to other tools."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from exporter.diagnostics import Report
from exporter.model import Article, Collection
from exporter.model_json import to_json
from exporter.themes import Theme


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonRenderer:
    """Versioned model JSON; the theme does not apply."""

    name: ClassVar[str] = "json"
    suffix: ClassVar[str] = ".json"
    media_type: ClassVar[str] = "application/json"
    indent: int | None = 2
    """Spaces per indentation level; None writes one compact line."""

    def render(self, doc: Article | Collection, theme: Theme, report: Report) -> bytes:
        """The document as UTF-8 JSON."""
        del theme, report
        return to_json(doc, indent=self.indent).encode("utf-8")
