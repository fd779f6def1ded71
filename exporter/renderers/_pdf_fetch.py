"""WeasyPrint's door to the outside world, narrowed to the source folder and the theme's folders.

A source is untrusted input: an image path like `../../etc/passwd` or `http://169.254.169.254/` must not be
read while rendering. Every URL WeasyPrint asks for (images, fonts, stylesheets) comes through here; what is
refused becomes a `resource.refused` warning naming the source, and WeasyPrint carries on without it.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from exporter.diagnostics import Report

MAX_RESOURCE_BYTES = 64 * 1024 * 1024
"""Largest file handed to WeasyPrint; bigger ones are refused rather than exhausting a worker."""


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """True when `path` (resolved, symlinks followed) lies in one of `roots`."""
    resolved = path.resolve()
    return any(resolved == root or root in resolved.parents for root in roots)


class GuardedFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """A `URLFetcher` that reads local files under `roots` only, and the network only when allowed."""

    def __init__(self, roots: Iterable[Path], report: Report, *, source: str = "", allow_remote: bool = False,
                 timeout: int = 10) -> None:
        super().__init__(timeout=timeout, allowed_protocols=("file", "data", "http", "https"))
        self.roots = tuple(dict.fromkeys(Path(r).resolve() for r in roots))
        self.report = report
        self.source = source
        self.allow_remote = allow_remote
        self._refused: set[str] = set()

    def refuse(self, url: str, why: str) -> ValueError:
        """Record one warning per refused URL and return the error WeasyPrint turns into a skipped resource."""
        if url not in self._refused:
            self._refused.add(url)
            self.report.warn("resource.refused", f"{why}: {url}", path=self.source)
        return ValueError(f"refused: {url}")

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Serve `url` if the policy allows it; raise (after a warning) otherwise."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme in ("http", "https"):
            if not self.allow_remote:
                raise self.refuse(url, "remote resource not fetched (allow_remote is off)")
            return super().fetch(url, headers)
        if scheme != "file":
            raise self.refuse(url, f"{scheme or 'relative'} URLs are not allowed")
        path = Path(url2pathname(unquote(urlsplit(url).path)))
        if not inside(path, self.roots):
            raise self.refuse(url, "outside the source folder and the theme")
        try:
            if path.stat().st_size > MAX_RESOURCE_BYTES:
                raise self.refuse(url, f"larger than {MAX_RESOURCE_BYTES:,} bytes")
            data = path.read_bytes()
        except OSError as exc:
            self.report.warn("resource.missing", f"cannot read {path.name}: {exc.strerror}", path=self.source)
            raise ValueError(f"missing: {url}") from None
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.resolve().as_uri(), data, {"Content-Type": media_type})
