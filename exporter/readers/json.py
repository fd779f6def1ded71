"""The model's own JSON as a source: lossless, versioned, validated field by field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from exporter.diagnostics import Report
from exporter.errors import SourceError
from exporter.model import Article
from exporter.model_json import ModelDataError, from_data
from exporter.readers._text import decode_source, without_illegal


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonReader:
    """Reads `exporter` JSON (`"schema": 1`, `"kind": "article"`); a collection is refused here."""

    name: ClassVar[str] = "json"
    suffixes: ClassVar[tuple[str, ...]] = (".json",)

    def read(self, data: bytes, *, path: str, report: Report) -> Article:
        """Parse and validate; a JSON path in the message says which field is wrong."""
        text = decode_source(data, path, report)
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"invalid JSON: {exc.msg}", path, exc.lineno, exc.colno) from None
        removed = [0]
        parsed = without_illegal(parsed, removed)
        if removed[0]:
            report.warn("source.control-characters",
                        f"removed {removed[0]} escaped control character(s) that XML forbids", path=path)
        try:
            doc = from_data(parsed)
        except ModelDataError as exc:
            raise SourceError(f"not a valid exporter document: {exc}", path) from None
        if not isinstance(doc, Article):
            raise SourceError("this JSON holds a collection; load it with load_collection or --combine", path)
        return doc if doc.source else Article(metadata=doc.metadata, blocks=doc.blocks, source=path)
