"""The resource policy: which files and URLs a renderer may read for an article, and with which limits.

Sources come from partners and freelancers, so an image reference is untrusted input: `../../etc/passwd`,
`/home/x/.ssh/id_rsa`, `file:///…`, `http://169.254.169.254/` or a tracking-pixel URL must never end up
read, fetched or embedded. Every renderer reads images (and any other referenced file) only through
`ResourcePolicy.read`, which allows relative paths that stay inside the source's folder tree (or other
explicit roots) after symlinks are resolved and, only when `allow_remote` is on, http(s) URLs on public
addresses (`exporter._remote`); everything else is reported as `resource.refused` instead of raising.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from urllib.parse import unquote

from exporter.diagnostics import Report
from exporter.errors import OptionError
from exporter.limits import Limits, current, raise_hint

REMOTE_TIMEOUT = 10.0
"""Seconds one remote fetch may take, redirects included."""
_MAX_FETCHED = 256
"""Remote answers one policy remembers (an image used on every page is fetched once)."""

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


_NOTHING_SHIPPED: Mapping[str, bytes] = MappingProxyType({})
_SHIPPED: contextvars.ContextVar[Mapping[str, bytes]] = contextvars.ContextVar("exporter_shipped_files",
                                                                               default=_NOTHING_SHIPPED)


@contextlib.contextmanager
def shipped(files: Mapping[str, bytes]) -> Iterator[None]:
    """Read local files from `files` (resolved path → bytes, read by the batch's parent) before the disk.

    A worker on another machine (a Dask cluster) has no access to the source folder, so the parent sends the
    files a job may need along with the source; the policy's checks apply to them exactly as to the disk.
    """
    token = _SHIPPED.set(files)
    try:
        yield
    finally:
        _SHIPPED.reset(token)


def shipped_file(path: Path) -> bytes | None:
    """The bytes the parent sent for `path` (see `shipped`), or None."""
    return _SHIPPED.get().get(str(path))


_RESOLVED: contextvars.ContextVar[dict[Path, Path] | None] = contextvars.ContextVar("exporter_resolved_paths",
                                                                                    default=None)


@contextlib.contextmanager
def resolving_once() -> Iterator[None]:
    """Resolve each path once until the block ends (one batch job): the job's manifest entry and its renderer
    locate the same images, and resolving walks every folder of the path on disk. The next job resolves
    afresh, so a folder or link changed between jobs is seen."""
    token = _RESOLVED.set({})
    try:
        yield
    finally:
        _RESOLVED.reset(token)


def _real(path: Path) -> Path:
    """`path` with symbolic links and `..` resolved (remembered within `resolving_once`)."""
    memo = _RESOLVED.get()
    if memo is None:
        return path.resolve(strict=False)
    found = memo.get(path)
    if found is None:
        found = memo[path] = path.resolve(strict=False)
    return found


def is_remote(src: str) -> bool:
    """Whether `src` is an http(s) URL, the only kind of URL the policy may fetch."""
    return src.strip().lower().startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourcePolicy:
    """What may be read: relative paths under the source's folder (and `roots`); http(s) only when allowed.

    One policy serves one render (renderers build it from their `allow_remote` and `allow_private_network`
    options), so it remembers the remote answers it got and an image used twice is fetched once.
    """

    roots: tuple[Path, ...] = ()
    """Extra folders whose files may be read (e.g. a shared assets folder); the source's folder is always one."""
    allow_remote: bool = False
    """Fetch http(s) URLs: public addresses only, within `timeout` and `max_bytes`, redirects re-checked."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses (an intranet server)."""
    max_bytes: int = field(default_factory=lambda: current().resource_bytes)
    """Size limit per file or download (default: the current job's `resource_bytes` limit)."""
    timeout: float = REMOTE_TIMEOUT
    """Seconds one remote fetch may take."""
    _fetched: dict[str, tuple[bytes | None, str, str]] = field(default_factory=dict, init=False, repr=False,
                                                                compare=False)
    """URL → (bytes, or None with the warning's code and message), for this policy's lifetime."""

    @classmethod
    def for_renderer(cls, name: str, *, allow_remote: object = False,
                     allow_private_network: object = False) -> ResourcePolicy:
        """The policy of one render, from a renderer's two network options (checked: a string is not a yes)."""
        for option, value in (("allow_remote", allow_remote), ("allow_private_network", allow_private_network)):
            if not isinstance(value, bool):
                raise OptionError(f"{name}: {option} must be true or false, not {value!r}")
        return cls(allow_remote=bool(allow_remote), allow_private_network=bool(allow_private_network))

    def locate(self, src: str, *, source: str, report: Report, line: int = 0) -> Path | None:
        """The real path `src` names, when the policy allows it; otherwise None and a `resource.refused` warning.

        Only local files are located; a URL is refused here even when `allow_remote` is on (use `read`).
        """
        reason = self._refusal(src)
        if reason:
            report.warn("resource.refused", f"{src!r} refused: {reason}", path=source, line=line)
            return None
        base = Path(source).parent if source else Path()
        try:
            base_real = _real(base)
            target = _real(base / unquote(src.split("#", 1)[0].split("?", 1)[0]))
        except (OSError, RuntimeError, ValueError) as exc:  # symlink loops; a NUL (`%00`) in the path
            report.warn("resource.refused", f"{src!r} refused: {exc}", path=source, line=line)
            return None
        allowed = (base_real, *(_real(r) for r in self.roots))
        if not any(target == root or root in target.parents for root in allowed):
            report.warn("resource.refused", f"{src!r} refused: it resolves outside the source's folder", path=source,
                        line=line)
            return None
        if str(target) not in _SHIPPED.get() and not target.is_file():
            report.warn("resource.missing", f"{src!r} not found (looked for {target})", path=source, line=line)
            return None
        return target

    def read(self, src: str, *, source: str, report: Report, line: int = 0) -> bytes | None:
        """The bytes of `src` (a path relative to the folder of `source`, or an allowed URL), or None after
        reporting why not (naming `source` and, when the caller knows it, the `line`)."""
        if self.allow_remote and is_remote(src):
            return self._fetch(src.strip(), source=source, report=report, line=line)
        target = self.locate(src, source=source, report=report, line=line)
        if target is None:
            return None
        sent = shipped_file(target)
        if sent is not None:
            if len(sent) > self.max_bytes:
                report.warn("resource.refused", f"{src!r} refused: {len(sent):,} bytes is over the "
                            f"{self.max_bytes:,}-byte limit", path=source, line=line)
                return None
            return sent
        try:
            size = target.stat().st_size
            if size > self.max_bytes:
                report.warn("resource.refused", f"{src!r} refused: {size:,} bytes is over the "
                            f"{self.max_bytes:,}-byte limit", path=source, line=line)
                return None
            return target.read_bytes()
        except OSError as exc:
            report.warn("resource.missing", f"{src!r} cannot be read: {exc.strerror}", path=source, line=line)
            return None

    def _fetch(self, url: str, *, source: str, report: Report, line: int) -> bytes | None:
        """A remote read, remembered: a failure is reported again to each caller, but never retried."""
        known = self._fetched.get(url)
        if known is None:
            from exporter import _remote  # http.client and ssl load only when something is really fetched

            try:
                known = (_remote.fetch(url, max_bytes=self.max_bytes, timeout=self.timeout,
                                       allow_private_network=self.allow_private_network), "", "")
            except _remote.Refused as exc:
                known = (None, "resource.refused", f"{url!r} refused: {exc}")
            except _remote.Unavailable as exc:
                known = (None, "resource.missing", f"{url!r} could not be fetched: {exc}")
            if len(self._fetched) >= _MAX_FETCHED:
                self._fetched.pop(next(iter(self._fetched)))
            self._fetched[url] = known
        data, code, message = known
        if data is None:
            report.warn(code, message, path=source, line=line)
        return data

    def _refusal(self, src: str) -> str:
        """Why `src` may not be located as a local file, before touching the file system; empty when it may."""
        text = src.strip()
        if not text:
            return "empty reference"
        if "\x00" in text:
            return "a NUL character is in the path"
        if text.startswith("//"):
            return "protocol-relative URLs are never fetched; write http:// or https://"
        if text.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:[\\/]", text):
            return "absolute paths are not allowed; use a path relative to the source"
        if _SCHEME.match(text):
            scheme = text.split(":", 1)[0].lower()
            if scheme not in ("http", "https"):
                return f"{scheme}: URLs are never read"
            if self.allow_remote:
                return "a URL is not a local file"
            return "remote resources are not fetched (allow_remote is off)"
        if ".." in PurePosixPath(text.replace("\\", "/")).parts:
            return "'..' may not leave the source's folder"
        return ""


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from the image header, or None when Pillow cannot identify the data.

    Only the header is read, so a decompression bomb is harmless here; Pillow's own bomb warning is kept
    quiet (`check_image` is where the pixel limit is applied, with a warning the user can act on).
    """
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - Pillow ships with every HTML-based format
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
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


# ---------------------------------------------------------------------------------------------- image limits

TOO_LARGE = "image.too-large"
"""Code of the warning for an image over the pixel limit (a decompression bomb among them)."""
UNREADABLE = "image.unreadable"
"""Code of the warning for an image whose data cannot be decoded (truncated, corrupt)."""
_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")


@dataclass(frozen=True, slots=True)
class ImageProblem:
    """Why an image must be left out: a stable diagnostic code and a message that names the limit."""

    code: str
    """`image.too-large` or `image.unreadable`."""
    message: str
    """What is wrong and what to do, without the image's name (the caller adds it)."""

    def __str__(self) -> str:
        return self.message


def check_image(data: bytes, limits: Limits | None = None) -> ImageProblem | None:
    """Why the raster image in `data` must not be decoded or embedded, or None when it may be.

    Call it before anything decodes the image (Pillow, WeasyPrint, a reader's e-book app): the header alone
    says how many pixels the picture claims, so a 60-byte PNG declaring 100,000 × 100,000 pixels is refused
    without allocating them. `limits` defaults to the current job's (`exporter.limits.current`). Damaged
    data is found by verifying the file's structure (a JPEG without its end marker is decoded at 1/8 scale).
    Pillow's process-wide `MAX_IMAGE_PIXELS` is never changed. SVG (vector) and non-images give None: the
    callers already handle those.
    """
    kind = media_type(data)
    if kind is None or kind == "image/svg+xml":
        return None
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow ships with every HTML-based format
        return None
    limit = (limits or current()).image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > limit:
                    return _too_large(f"{width:,} × {height:,} pixels", limit)
                if image.format != "JPEG":
                    image.verify()  # chunk checksums and structure, without decoding
                elif not data.rstrip(b"\0").endswith(b"\xff\xd9"):  # no end marker: truncated, or a trailer
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                    image.load()
    except Image.DecompressionBombError as exc:  # over twice Pillow's own limit: the header said enough
        found = _PILLOW_PIXELS.search(str(exc))
        pixels = int(found.group(1)) if found else 0
        if pixels and pixels > limit:
            return _too_large(f"{pixels:,} pixels", limit)
        return ImageProblem(TOO_LARGE, f"{pixels:,} pixels is more than Pillow decodes at all "
                            f"({2 * (Image.MAX_IMAGE_PIXELS or 0):,}), whatever image_pixels allows")
    except Exception as exc:  # any decoder failure means the picture cannot be shown
        return ImageProblem(UNREADABLE, f"the image data is damaged or truncated ({type(exc).__name__}: {exc})")
    return None


def _too_large(size: str, limit: int) -> ImageProblem:
    return ImageProblem(TOO_LARGE, f"{size} is over the {limit:,}-pixel limit; {raise_hint('image_pixels')}")


def image_refused(data: bytes, *, src: str, source: str, report: Report, line: int = 0,
                  limits: Limits | None = None) -> bool:
    """True, after one warning naming `src` and `source`, when `check_image` says the image must be left out."""
    problem = check_image(data, limits)
    if problem is None:
        return False
    report.warn(problem.code, f"{src!r} left out (its alt text is kept): {problem.message}", path=source, line=line)
    return True
