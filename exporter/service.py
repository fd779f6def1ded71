"""`exporter serve`: the renderer over HTTP (Starlette on uvicorn), for tools written in PHP, Node or Java.

The service is built to stay up under load and hostile input rather than to be fast at any cost:

- it binds to 127.0.0.1 unless told otherwise (put a proxy with authentication in front of it);
- bodies over `max_body` bytes are refused while they stream in, never buffered whole;
- at most `max_concurrent` renders run at once, in a thread pool off the event loop; a request that finds
  every slot taken gets 503 at once (with Retry-After) instead of queueing, so a burst cannot pile up
  memory. A slot is released when its render thread really ends, even after the client got a timeout;
- each request's images go to its own temporary folder, the only place its render may read from; themes
  are chosen by registered name only (a path would let a client read the server's files);
- every error is an RFC 9457 problem document; a source error carries `line` and `path`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message

from exporter import __version__, renderers
from exporter._service_openapi import PROBLEM, openapi
from exporter.diagnostics import Report
from exporter.errors import (
    ExporterError,
    FormatUnavailable,
    OptionError,
    RenderError,
    SourceError,
    ThemeError,
    UnknownFormatError,
)
from exporter.loader import read_bytes
from exporter.paths import safe_name
from exporter.registry import READERS, RENDERERS
from exporter.themes import Theme, theme_names

READER_BY_MEDIA_TYPE = {"text/markdown": "markdown", "text/x-markdown": "markdown", "text/plain": "plaintext",
                        "text/html": "html", "application/xhtml+xml": "html", "application/json": "json"}
"""Body media type → reader, when the request does not name one with `from`."""
SUFFIX_BY_READER = {"markdown": ".md", "plaintext": ".txt", "html": ".html", "json": ".json"}
SERVICE_OPTIONS: dict[str, dict[str, object]] = {"html": {"images": "embed", "css": "inline", "fonts": "none"}}
"""Options forced per format: one response is one file, so HTML must not need companion files."""
MAX_PARTS = 64
"""Most files one multipart request may carry (the article and its images)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """What one server allows; the defaults suit a small newsroom box."""

    max_body: int = 20 * 1024 * 1024
    """Largest request body in bytes (article plus images)."""
    timeout: float = 60.0
    """Seconds one render may take before the client gets 503 (the thread finishes on its own)."""
    max_concurrent: int = 4
    """Renders running at once; the next request gets 503 immediately."""


class Problem(Exception):
    """An RFC 9457 problem document on its way to the client."""

    def __init__(self, status: int, title: str, detail: str = "", **extra: str | int) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        """The problem as `application/problem+json`."""
        slug = self.title.lower().replace(" ", "-")
        body: dict[str, object] = {"type": f"https://exporter.invalid/problems/{slug}", "title": self.title,
                                   "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body.update(self.extra)
        return JSONResponse(body, status_code=self.status, media_type=PROBLEM, headers=headers)


def _problem_for(exc: ExporterError, article_name: str, folder: str) -> Problem:
    """Map the library's error tree onto HTTP statuses; temporary paths never reach the client."""
    detail = exc.message.replace(folder + "/", "").replace(folder, "")
    if isinstance(exc, SourceError):
        extra: dict[str, str | int] = {"path": article_name}
        if exc.line:
            extra["line"] = exc.line
        if exc.column:
            extra["column"] = exc.column
        return Problem(422, "Invalid source", detail, **extra)
    if isinstance(exc, FormatUnavailable):
        return Problem(501, "Format unavailable", detail)
    if isinstance(exc, UnknownFormatError | OptionError | ThemeError):
        return Problem(400, "Bad request", detail)
    if isinstance(exc, RenderError):
        return Problem(422, "Render failed", detail)
    return Problem(422, "Export failed", detail)


@dataclass(frozen=True, slots=True)
class _Upload:
    """One request's input, parsed on the event loop and rendered in a worker thread."""

    article: bytes
    article_name: str
    reader: str
    images: dict[str, bytes]


def _safe_relative(name: str) -> PurePosixPath | None:
    """A client's file name as a relative path inside the request folder, or None when it tries to leave it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if (not name or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts) or ":" in name
            or any(ord(ch) < 0x20 or ch == "\x7f" for ch in name)):  # a NUL cannot even name a file
        return None
    return path


def render_upload(upload: _Upload, to: str, theme: str) -> tuple[bytes, Report]:
    """Write the images to a fresh folder, read the article as if it lived there, render; runs in a thread."""
    with tempfile.TemporaryDirectory(prefix="exporter-serve-") as tmp:
        folder = Path(tmp)
        for name, data in upload.images.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        report = Report(path=upload.article_name)
        try:
            article = read_bytes(upload.article, str(folder / f"article{SUFFIX_BY_READER.get(upload.reader, '')}"),
                                 format=upload.reader, report=report)
            renderer = renderers.build(to, SERVICE_OPTIONS.get(to))
            return renderer.render(article, Theme.load(theme), report), report
        except ExporterError as exc:
            raise _problem_for(exc, upload.article_name, tmp) from exc


class Service:
    """The app's state: limits, the render pool and the count of free slots."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.pool = ThreadPoolExecutor(max_workers=limits.max_concurrent, thread_name_prefix="exporter-render")
        self.slots = threading.BoundedSemaphore(limits.max_concurrent)
        self.active = 0
        self._lock = threading.Lock()

    async def read_body(self, request: Request) -> bytes:
        """The body, refused with 413 as soon as it passes the limit (by header or while streaming)."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_body:
            raise Problem(413, "Body too large", f"the limit is {self.limits.max_body} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.limits.max_body:
                raise Problem(413, "Body too large", f"the limit is {self.limits.max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def parse(self, request: Request, reader: str | None) -> _Upload:
        """The article (and images) from a plain body or a multipart form."""
        body = await self.read_body(request)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "multipart/form-data":
            return await self._parse_form(request, body, reader)
        chosen = reader or READER_BY_MEDIA_TYPE.get(media)
        if chosen is None:
            raise Problem(415, "Unsupported media type",
                          f"send one of {', '.join(READER_BY_MEDIA_TYPE)} or multipart/form-data, or set 'from'")
        return _Upload(body, "article" + SUFFIX_BY_READER.get(chosen, ""), chosen, {})

    async def _parse_form(self, request: Request, body: bytes, reader: str | None) -> _Upload:
        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(request.scope, replay).form(max_files=MAX_PARTS, max_fields=MAX_PARTS,
                                                             max_part_size=self.limits.max_body)
        except Exception as exc:  # python-multipart and Starlette raise several types for malformed forms
            raise Problem(400, "Bad request", f"unreadable multipart body: {exc}") from None
        article: bytes | None = None
        name, images = "article", {}
        for key, value in form.multi_items():
            data = await value.read() if isinstance(value, UploadFile) else value.encode("utf-8")
            if key == "article":
                article = data
                name = (value.filename if isinstance(value, UploadFile) else None) or name
                continue
            filename = value.filename if isinstance(value, UploadFile) and value.filename else key
            relative = _safe_relative(filename)
            if relative is None:
                raise Problem(400, "Bad request", f"image name {filename!r} must be a relative path without '..' "
                              "or control characters")
            images[str(relative)] = data
        await form.close()
        if article is None:
            raise Problem(400, "Bad request", "the form has no 'article' part")
        chosen = reader or {s: r for r, s in SUFFIX_BY_READER.items()}.get(PurePosixPath(name).suffix.lower())
        return _Upload(article, PurePosixPath(name).name, chosen or "markdown", images)

    def _acquire(self) -> bool:
        if not self.slots.acquire(blocking=False):
            return False
        with self._lock:
            self.active += 1
        return True

    def _release(self) -> None:
        with self._lock:
            self.active -= 1
        self.slots.release()

    async def run(self, job: Callable[[], tuple[bytes, Report]]) -> tuple[bytes, Report]:
        """Run `job` in the pool if a slot is free (else 503 now); 503 after `timeout` seconds."""
        if not self._acquire():
            raise Problem(503, "Busy", f"all {self.limits.max_concurrent} render slots are in use; retry shortly")

        def guarded() -> tuple[bytes, Report]:
            try:
                return job()
            finally:
                self._release()  # only when the thread is really done, so a timed-out render still holds its slot

        try:
            future = asyncio.get_running_loop().run_in_executor(self.pool, guarded)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._release()
            raise Problem(503, "Busy", "the service is shutting down") from None
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.limits.timeout)
        except TimeoutError:
            raise Problem(503, "Render timed out", f"the render took over {self.limits.timeout:g} s") from None


def _check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise Problem(400, "Bad request", f"unknown {what} {value!r} (known: {', '.join(allowed) or 'none'})")


def _attachment(name: str) -> str:
    """`Content-Disposition` for a download: HTTP headers are Latin-1, so an ASCII `filename` for old clients
    and the real (safe, UTF-8) name as RFC 6266's `filename*` (`Ђорђе.pdf` used to fail the response)."""
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def create_app(limits: Limits | None = None) -> Starlette:
    """The ASGI application (uvicorn, hypercorn or a test client can run it)."""
    service = Service(limits or Limits())

    async def render(request: Request) -> Response:
        params = request.query_params
        to, theme, reader = params.get("to", ""), params.get("theme", "default"), params.get("from")
        _check_choice(to, RENDERERS.names(), "format")
        _check_choice(theme, tuple(theme_names()), "theme")
        if reader is not None:
            _check_choice(reader, READERS.names(), "reader")
        upload = await service.parse(request, reader)
        data, report = await service.run(lambda: render_upload(upload, to, theme))
        renderer = RENDERERS.load(to)
        name = safe_name(PurePosixPath(upload.article_name).stem or "article") + str(getattr(renderer, "suffix", ""))
        return Response(data, media_type=str(getattr(renderer, "media_type", "application/octet-stream")),
                        headers={"Content-Disposition": _attachment(name), "X-Exporter-Warnings": str(len(report))})

    async def formats(request: Request) -> Response:
        del request
        table: dict[str, dict[str, object]] = {}
        for name in RENDERERS.names():
            reason = RENDERERS.availability(name)
            entry: dict[str, object] = {"available": not reason}
            if reason:
                entry["reason"] = reason
            else:
                entry["media_type"] = str(getattr(RENDERERS.load(name), "media_type", ""))
            table[name] = entry
        return JSONResponse(table)

    async def themes(request: Request) -> Response:
        del request
        return JSONResponse(theme_names())

    async def healthz(request: Request) -> Response:
        del request
        return JSONResponse({"status": "ok", "version": __version__, "active": service.active,
                             "max_concurrent": limits_.max_concurrent})

    async def openapi_json(request: Request) -> Response:
        del request
        document = openapi(RENDERERS.names(), READERS.names(), tuple(theme_names()), __version__, limits_.max_body)
        return Response(json.dumps(document), media_type="application/json")

    async def on_problem(request: Request, exc: Exception) -> Response:
        del request
        assert isinstance(exc, Problem)
        return exc.response({"Retry-After": "1"} if exc.status == 503 else None)

    async def on_http(request: Request, exc: Exception) -> Response:
        del request
        assert isinstance(exc, HTTPException)
        return Problem(exc.status_code, "Not found" if exc.status_code == 404 else "Bad request",
                       str(exc.detail)).response(dict(exc.headers or {}))

    async def on_crash(request: Request, exc: Exception) -> Response:
        del request
        return Problem(500, "Internal error", f"{type(exc).__name__}: the render crashed; please report it").response()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        del app
        yield
        service.pool.shutdown(wait=False, cancel_futures=True)

    limits_ = service.limits
    return Starlette(routes=[Route("/render", render, methods=["POST"]), Route("/formats", formats),
                             Route("/themes", themes), Route("/healthz", healthz),
                             Route("/openapi.json", openapi_json)],
                     exception_handlers={Problem: on_problem, HTTPException: on_http, Exception: on_crash},
                     lifespan=lifespan)


def serve(host: str = "127.0.0.1", port: int = 8000, limits: Limits | None = None) -> None:
    """Run the service with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(limits), host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
