"""WeasyPrint's door to the outside world, narrowed to the source folder, the theme's folders and the policy.

A source is untrusted input: an image path like `../../etc/passwd` or `http://169.254.169.254/` must not be
read while rendering. Every URL WeasyPrint asks for (images, fonts, stylesheets, an SVG's own references)
comes through here: `file:` URLs are served from the roots, http(s) URLs only through the render's
`ResourcePolicy` (so WeasyPrint never opens a connection itself), `data:` as is, anything else never. What is
refused becomes a warning naming the source, and WeasyPrint carries on without it.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from exporter.diagnostics import Report
from exporter.resources import ResourcePolicy, image_refused, media_type, shipped_file
from exporter.svg import checked_svg


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """True when `path` (resolved, symlinks followed) lies in one of `roots`."""
    resolved = path.resolve()
    return any(resolved == root or root in resolved.parents for root in roots)


class GuardedFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """A `URLFetcher` that reads local files under `roots` only, and the network only through `policy`."""

    def __init__(self, roots: Iterable[Path], report: Report, *, source: str = "",
                 policy: ResourcePolicy | None = None, origins: Mapping[str, tuple[str, int]] | None = None) -> None:
        super().__init__(allowed_protocols=("data",))  # WeasyPrint's own fetching serves data: URLs alone
        self.roots = tuple(dict.fromkeys(Path(r).resolve() for r in roots))
        self.report = report
        self.source = source
        self.policy = policy if policy is not None else ResourcePolicy()
        self.origins = origins if origins is not None else {}
        """URL → the source file and line that named it (`ImageMapper.origins`); others are the document's."""
        self._refused: set[str] = set()

    def origin(self, url: str) -> tuple[str, int]:
        """The source file and line a problem with `url` is reported at."""
        return self.origins.get(url, (self.source, 0))

    def refuse(self, url: str, why: str) -> ValueError:
        """Record one warning per refused URL and return the error WeasyPrint turns into a skipped resource."""
        if url not in self._refused:
            self._refused.add(url)
            source, line = self.origin(url)
            self.report.warn("resource.refused", f"{why}: {url}", path=source, line=line)
        return ValueError(f"refused: {url}")

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Serve `url` if the policy allows it; raise (after a warning) otherwise."""
        if not isinstance(url, str) or not url:  # an SVG `<image>` whose reference was cleaned away: nothing to say
            raise ValueError("no URL")
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme in ("http", "https"):
            return self._remote(url)
        if scheme != "file":
            raise self.refuse(url, f"{scheme or 'relative'} URLs are not allowed")
        path = Path(url2pathname(unquote(urlsplit(url).path)))
        if not inside(path, self.roots):
            raise self.refuse(url, "outside the source folder and the theme")
        try:
            data = shipped_file(path) or b""
            if not data:
                if path.stat().st_size > self.policy.max_bytes:  # the job's `resource_bytes` limit
                    raise self.refuse(url, f"larger than {self.policy.max_bytes:,} bytes")
                data = path.read_bytes()
        except OSError as exc:
            source, line = self.origin(url)
            self.report.warn("resource.missing", f"cannot read {path.name}: {exc.strerror}", path=source, line=line)
            raise ValueError(f"missing: {url}") from None
        data = self.inert(url, data)
        self.check_image(url, data, path.name)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.resolve().as_uri(), data, {"Content-Type": kind})

    def inert(self, url: str, data: bytes) -> bytes:
        """SVG bytes cleaned by `exporter.svg` (WeasyPrint would follow their references); anything else as is."""
        if media_type(data) != "image/svg+xml":
            return data
        source, line = self.origin(url)
        cleaned = checked_svg(data, src=url, source=source, report=self.report, line=line)
        if cleaned is None:
            raise ValueError(f"invalid SVG: {url}")
        return cleaned

    def _remote(self, url: str) -> URLFetcherResponse:
        """An http(s) URL read through the policy, which reports (once per URL) why it could not be."""
        if url in self._refused:
            raise ValueError(f"refused: {url}")
        source, line = self.origin(url)
        data = self.policy.read(url, source=source, report=self.report, line=line)
        if data is None:
            self._refused.add(url)
            raise ValueError(f"refused: {url}")
        self.check_image(url, data, url)
        kind = media_type(data) or mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, self.inert(url, data), {"Content-Type": kind})

    def check_image(self, url: str, data: bytes, name: str) -> None:
        """Refuse, after one `image.too-large` or `image.unreadable` warning, a raster image WeasyPrint must not
        decode: a decompression bomb would exhaust the worker before WeasyPrint noticed (alt text is printed)."""
        source, line = self.origin(url)
        if url in self._refused or image_refused(data, src=name, source=source, report=self.report, line=line):
            self._refused.add(url)
            raise ValueError(f"refused: {url}")
