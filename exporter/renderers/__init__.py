"""Renderers: one module per output format, each turning an `Article` or `Collection` into bytes.

A renderer is a frozen dataclass whose fields are its options; it never writes files or prints. The
registry (`exporter.registry.RENDERERS`) maps format names to classes and `build` makes an instance
from user options, refusing unknown ones by name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar, Protocol, cast

from exporter.diagnostics import Report
from exporter.errors import OptionError
from exporter.model import Article, Collection
from exporter.registry import RENDERERS
from exporter.themes import Theme


class Renderer(Protocol):
    """What every output format provides."""

    name: ClassVar[str]
    """Registry key and `--to` value (`pdf`)."""
    suffix: ClassVar[str]
    """Output file suffix (`.pdf`)."""
    media_type: ClassVar[str]
    """IANA media type of the output."""

    def render(self, doc: Article | Collection, theme: Theme, report: Report) -> bytes:
        """The finished file's bytes."""
        ...


def build(format: str, options: Mapping[str, object] | None = None) -> Renderer:
    """An instance of the renderer for `format` with `options`; `OptionError` names any unknown option."""
    cls = RENDERERS.load(format)
    options = dict(options or {})
    if dataclasses.is_dataclass(cls):
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(options) - known)
        if unknown:
            allowed = ", ".join(sorted(known)) or "none"
            raise OptionError(f"the {format} renderer has no option {unknown[0]!r} (options: {allowed})")
    try:
        return cast(Renderer, cls(**options))
    except (TypeError, ValueError) as exc:
        raise OptionError(f"{format}: {exc}") from None
