"""The resource policy: which local files a renderer may read for an article, and nothing from the network.

Sources come from partners and freelancers, so an image reference is untrusted input: `../../etc/passwd`,
`/home/x/.ssh/id_rsa`, `file:///…` or a tracking-pixel URL must never end up read or embedded. Every
renderer reads images (and any other referenced file) only through `ResourcePolicy.read`, which allows
relative paths that stay inside the source's folder tree (or other explicit roots) after symlinks are
resolved, and reports everything else as `resource.refused` instead of raising.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from exporter.diagnostics import Report

MAX_RESOURCE_BYTES = 40 * 1024 * 1024
"""Largest file read through the policy; a bigger one is refused rather than bloating every output."""

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourcePolicy:
    """What may be read: relative paths under the source's folder (and `roots`); never remote URLs."""

    roots: tuple[Path, ...] = ()
    """Extra folders whose files may be read (e.g. a shared assets folder); the source's folder is always one."""
    allow_remote: bool = False
    """Reserved: remote fetching is not implemented, so URLs are refused even when True (with a clearer reason)."""
    max_bytes: int = MAX_RESOURCE_BYTES
    """Size limit per file."""

    def locate(self, src: str, *, source: str, report: Report) -> Path | None:
        """The real path `src` names, when the policy allows it; otherwise None and a `resource.refused` warning."""
        reason = self._refusal(src)
        if reason:
            report.warn("resource.refused", f"{src!r} refused: {reason}", path=source)
            return None
        base = Path(source).parent if source else Path()
        try:
            base_real = base.resolve(strict=False)
            target = (base / unquote(src.split("#", 1)[0].split("?", 1)[0])).resolve(strict=False)
        except (OSError, RuntimeError) as exc:  # symlink loops
            report.warn("resource.refused", f"{src!r} refused: {exc}", path=source)
            return None
        allowed = (base_real, *(r.resolve() for r in self.roots))
        if not any(target == root or root in target.parents for root in allowed):
            report.warn("resource.refused", f"{src!r} refused: it resolves outside the source's folder", path=source)
            return None
        if not target.is_file():
            report.warn("resource.missing", f"{src!r} not found (looked for {target})", path=source)
            return None
        return target

    def read(self, src: str, *, source: str, report: Report) -> bytes | None:
        """The bytes of `src` (relative to the folder of `source`), or None after reporting why not."""
        target = self.locate(src, source=source, report=report)
        if target is None:
            return None
        try:
            size = target.stat().st_size
            if size > self.max_bytes:
                report.warn("resource.refused", f"{src!r} refused: {size:,} bytes is over the "
                            f"{self.max_bytes:,}-byte limit", path=source)
                return None
            return target.read_bytes()
        except OSError as exc:
            report.warn("resource.missing", f"{src!r} cannot be read: {exc.strerror}", path=source)
            return None

    def _refusal(self, src: str) -> str:
        """Why `src` may not be read at all, before touching the file system; empty when it may."""
        text = src.strip()
        if not text:
            return "empty reference"
        if text.startswith("//") or _SCHEME.match(text):
            if text.lower().startswith("file:"):
                return "file: URLs are never read"
            return "remote resources are never fetched" + ("" if not self.allow_remote else " (not implemented)")
        if text.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:[\\/]", text):
            return "absolute paths are not allowed; use a path relative to the source"
        if ".." in PurePosixPath(text.replace("\\", "/")).parts:
            return "'..' may not leave the source's folder"
        return ""


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from the image header, or None when Pillow cannot identify the data."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow ships with every HTML-based format
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def media_type(data: bytes) -> str | None:
    """The IANA image type sniffed from the bytes (never from the file name, which a source controls)."""
    signatures = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
                  (b"GIF89a", "image/gif"))
    for magic, kind in signatures:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "image/svg+xml"
    return None
