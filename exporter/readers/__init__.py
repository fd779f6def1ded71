"""Source readers: one module per source format, each turning bytes into an `Article`.

A reader decodes, splits front matter, validates metadata and builds blocks; it never renders and never
reads any file but the one it is given. Transforms (heading ids, typography, assets) run afterwards, in
`exporter.loader`.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from exporter.diagnostics import Report
from exporter.model import Article


class Reader(Protocol):
    """What every reader class provides; options are dataclass fields, as for renderers."""

    name: ClassVar[str]
    """Registry key and `--from` value."""
    suffixes: ClassVar[tuple[str, ...]]
    """File suffixes this reader claims (lower case, with the dot)."""

    def read(self, data: bytes, *, path: str, report: Report) -> Article:
        """Build the article from the source's bytes; `path` is used for messages and as `Article.source`."""
        ...
