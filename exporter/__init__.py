"""exporter: one article model, many publishing formats.

The public API is re-exported here and listed in `__all__`; everything else is private by convention.
Names are resolved lazily on first use, so `import exporter` (and `exporter --help`) stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from exporter.api import (
        available_themes,
        formats,
        register_reader,
        register_renderer,
        register_theme,
        render,
        render_to,
    )
    from exporter.diagnostics import Diagnostic, Report
    from exporter.errors import (
        ExporterError,
        FormatUnavailable,
        OptionError,
        RenderError,
        SourceError,
        ThemeError,
        UnknownFormatError,
    )
    from exporter.limits import Limits
    from exporter.loader import load, load_collection, loads
    from exporter.model import Article, Block, Collection, Inline, Metadata, Person
    from exporter.model_json import from_json, json_schema, to_json
    from exporter.options import DocxOptions, EpubOptions, HtmlOptions, JsonOptions, PdfOptions, RendererOptions
    from exporter.pipeline import BatchReport, export
    from exporter.themes import Theme
    from exporter.validate import CheckReport, check

_LOCATIONS = {
    "Article": "exporter.model",
    "available_themes": "exporter.api",
    "BatchReport": "exporter.pipeline",
    "CheckReport": "exporter.validate",
    "DocxOptions": "exporter.options",
    "EpubOptions": "exporter.options",
    "HtmlOptions": "exporter.options",
    "JsonOptions": "exporter.options",
    "Limits": "exporter.limits",
    "PdfOptions": "exporter.options",
    "RendererOptions": "exporter.options",
    "check": "exporter.validate",
    "Block": "exporter.model",
    "Collection": "exporter.model",
    "Diagnostic": "exporter.diagnostics",
    "ExporterError": "exporter.errors",
    "FormatUnavailable": "exporter.errors",
    "Inline": "exporter.model",
    "Metadata": "exporter.model",
    "OptionError": "exporter.errors",
    "Person": "exporter.model",
    "RenderError": "exporter.errors",
    "Report": "exporter.diagnostics",
    "SourceError": "exporter.errors",
    "Theme": "exporter.themes",
    "ThemeError": "exporter.errors",
    "UnknownFormatError": "exporter.errors",
    "export": "exporter.pipeline",
    "formats": "exporter.api",
    "from_json": "exporter.model_json",
    "json_schema": "exporter.model_json",
    "load": "exporter.loader",
    "load_collection": "exporter.loader",
    "loads": "exporter.loader",
    "register_reader": "exporter.api",
    "register_renderer": "exporter.api",
    "register_theme": "exporter.api",
    "render": "exporter.api",
    "render_to": "exporter.api",
    "to_json": "exporter.model_json",
}

__all__ = [
    "Article",
    "BatchReport",
    "Block",
    "CheckReport",
    "Collection",
    "Diagnostic",
    "DocxOptions",
    "EpubOptions",
    "ExporterError",
    "FormatUnavailable",
    "HtmlOptions",
    "Inline",
    "JsonOptions",
    "Limits",
    "Metadata",
    "OptionError",
    "PdfOptions",
    "Person",
    "RenderError",
    "RendererOptions",
    "Report",
    "SourceError",
    "Theme",
    "ThemeError",
    "UnknownFormatError",
    "__version__",
    "available_themes",
    "check",
    "export",
    "formats",
    "from_json",
    "json_schema",
    "load",
    "load_collection",
    "loads",
    "register_reader",
    "register_renderer",
    "register_theme",
    "render",
    "render_to",
    "to_json",
]


def __getattr__(name: str) -> Any:
    if name in _LOCATIONS:
        value = getattr(importlib.import_module(_LOCATIONS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'exporter' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
