"""The in-memory API other publishing tools call: render to bytes, list and register implementations."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from exporter import renderers
from exporter.diagnostics import Report
from exporter.limits import Limits, applied
from exporter.model import Article, Collection
from exporter.options import RendererOptions, as_mapping, with_network
from exporter.registry import READER_SUFFIXES, READERS, RENDERERS, THEMES
from exporter.themes import Theme, theme_names


def render(doc: Article | Collection, to: str, *, theme: str | Theme = "default",
           options: RendererOptions | Mapping[str, object] | None = None, report: Report | None = None,
           allow_remote: bool = False, allow_private_network: bool = False, limits: Limits | None = None) -> bytes:
    """Render a document to one format's bytes, with no temporary files; problems go to `report`.

    `options` is the format's typed option set (`PdfOptions(page_size="A5")`), checked when it is made, or a
    plain mapping (the only choice for plugin formats), checked here. Safe to call from several threads.
    `allow_remote` lets the renderer fetch http(s) images from public addresses (`allow_private_network`:
    from private ones too), as the options of the same names do; nothing is fetched otherwise.
    `limits` bound the images read (`image_pixels`, `resource_bytes`); the defaults when None.
    """
    loaded = theme if isinstance(theme, Theme) else Theme.load(theme)
    mapping = with_network(RENDERERS.load(to), as_mapping(to, options), allow_remote=allow_remote,
                           allow_private_network=allow_private_network)
    with applied(limits):
        renderer = renderers.build(to, mapping)
        return renderer.render(doc, loaded, report if report is not None else Report())


def render_to(doc: Article | Collection, to: str, destination: str | Path | BinaryIO, *,
              theme: str | Theme = "default", options: RendererOptions | Mapping[str, object] | None = None,
              report: Report | None = None, allow_remote: bool = False, allow_private_network: bool = False,
              limits: Limits | None = None) -> None:
    """Render and write to a path (atomically) or a binary stream."""
    data = render(doc, to, theme=theme, options=options, report=report, allow_remote=allow_remote,
                  allow_private_network=allow_private_network, limits=limits)
    if isinstance(destination, str | Path):
        from exporter.atomic import write_atomically

        write_atomically(Path(destination), data)
    else:
        destination.write(data)


def formats() -> dict[str, str]:
    """Every output format → empty string when it can run here, else the reason it cannot."""
    return {name: RENDERERS.availability(name) for name in RENDERERS.names()}


def available_themes() -> dict[str, str]:
    """Every theme found by name → its description."""
    return theme_names()


def register_reader(name: str, target: str | type, *, suffixes: tuple[str, ...] = ()) -> None:
    """Add a source reader at run time (like the `exporter.readers` entry-point group)."""
    READERS.register(name, target)
    for suffix in suffixes:
        READER_SUFFIXES.setdefault(suffix.lower(), name)


def register_renderer(name: str, target: str | type) -> None:
    """Add an output format at run time (like the `exporter.renderers` entry-point group)."""
    RENDERERS.register(name, target)


def register_theme(name: str, folder: str | Path) -> None:
    """Add a theme folder under a name at run time (like the `exporter.themes` entry-point group)."""
    THEMES.register(name, Path(folder).resolve())
