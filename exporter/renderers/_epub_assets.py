"""What goes into the package besides text: images (read through the resource policy), SVG cleaning, links."""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from exporter.diagnostics import Report
from exporter.html_body import ImageMap, ImageRef
from exporter.resources import ResourcePolicy, image_refused, image_size, media_type
from exporter.svg import checked_svg
from exporter.urls import safe_url


@dataclass(frozen=True, slots=True)
class PackedImage:
    """An image stored in the package."""

    file_name: str
    """Path inside the package folder (`images/…`)."""
    media_type: str
    """A core media type."""
    data: bytes
    """The bytes as stored (SVG cleaned)."""
    width: int | None = None
    """Pixels, when known."""
    height: int | None = None
    """Pixels, when known."""


_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
             "image/svg+xml": ".svg"}
"""EPUB 3.3 core image media types → the suffix stored in the package."""


@dataclass
class ImageStore:
    """Images of one book, deduplicated by content, each stored once under a name derived from its hash."""

    report: Report
    policy: ResourcePolicy
    """The render's policy: the only way an image's bytes get into the book."""
    images: dict[str, PackedImage] = field(default_factory=dict)
    """By content hash, in first-use order."""

    def add_bytes(self, data: bytes, *, source: str, src: str, line: int = 0) -> PackedImage | None:
        """Store bytes already in hand (a generated cover, a read image); `line` is where the source names it."""
        kind = media_type(data)
        if kind is None:
            self.report.warn("image.unsupported", f"{src}: not a PNG, JPEG, GIF, WebP or SVG image", path=source,
                             line=line)
            return None
        suffix = _SUFFIXES[kind]
        if kind == "image/svg+xml":
            cleaned = checked_svg(data, src=src, source=source, report=self.report, line=line)
            if cleaned is None:
                return None
            data = cleaned
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self.images:
            size = image_size(data) if kind != "image/svg+xml" else None
            width, height = size if size else (None, None)
            self.images[digest] = PackedImage(f"images/img-{digest[:16]}{suffix}", kind, data, width, height)
        return self.images[digest]

    def add(self, src: str, *, source: str, line: int = 0) -> PackedImage | None:
        """Read `src` (relative to `source`, named on its `line`) through the policy and store it; None (reported)
        when refused."""
        data = self.policy.read(src, source=source, report=self.report, line=line)
        if data is None or image_refused(data, src=src, source=source, report=self.report, line=line):
            return None  # a bomb would take down the reader's e-book app, a damaged image shows as a hole
        return self.add_bytes(data, source=source, src=src, line=line)

    def resolver(self, source: str, prefix: str) -> ImageMap:
        """html_body's image callback for one chapter: `prefix` is the way from the chapter to the package root."""

        def image(src: str, line: int) -> ImageRef | None:
            packed = self.add(src, source=source, line=line)
            return None if packed is None else ImageRef(prefix + packed.file_name, packed.width, packed.height)

        return image


def _key(path: str | Path) -> str:
    try:
        return os.path.normcase(str(Path(path).resolve()))
    except (OSError, RuntimeError, ValueError):  # a NUL (`%00`) or a symlink loop: no source can match it
        return os.path.normcase(str(path))


def link_resolver(source: str, chapters: Mapping[str, str], urls: Mapping[str, str], report: Report, *,
                  here: str, id_prefix: str) -> Callable[[str], str | None]:
    """html_body's link callback: other sources become their chapter in this book, else their canonical URL,
    else plain text with a warning, so no link in the book ever dangles.

    `chapters` maps source paths to package paths, `urls` maps source paths to canonical URLs, and `here`
    is this chapter's package path (relative hrefs are written from it); `#fragment` links within the article
    get the chapter's `id_prefix`, as its ids do.
    """

    def link(url: str) -> str | None:
        if safe_url(url) is None:
            return None
        if url.startswith("#"):
            return f"#{id_prefix}{url[1:]}"
        parts = urlsplit(url)
        if parts.scheme or url.startswith("//"):
            return url
        if not parts.path:
            return url
        target = _key(Path(source).parent / unquote(parts.path))
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        if target in chapters:
            other = chapters[target]
            fragment = f"#{chapter_prefix(other)}{parts.fragment}" if parts.fragment else ""
            return posixpath.relpath(other, posixpath.dirname(here)) + fragment
        known = urls.get(target) or urls.get(parts.path)
        if known:
            return known + fragment
        report.warn("epub.link-unresolved",
                    f"link to {url!r} points outside this book and its canonical URL is unknown; kept as text",
                    path=source)
        return None

    return link


def chapter_prefix(file_name: str) -> str:
    """The id prefix of the chapter stored at `file_name` (`text/ch-002.xhtml` → `ch-002-`)."""
    return posixpath.splitext(posixpath.basename(file_name))[0] + "-"


def source_key(path: str) -> str:
    """The key `link_resolver` looks sources up by."""
    return _key(path)
