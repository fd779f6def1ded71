"""A loopback HTTP server that records every request it gets: the trap the SSRF tests set for the exporter."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from loopback import serving


@dataclass
class Recorder:
    """The server's address and what reached it."""

    port: int = 0
    requests: list[str] = field(default_factory=list)
    """Method and path of every request, in arrival order (`GET /lead.png`)."""

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> set[str]:
        return {request.split(" ", 1)[1] for request in self.requests}


@contextmanager
def recording_server(png: bytes) -> Iterator[Recorder]:
    """Serve `png` for every `.png`, a stylesheet that imports more for `.css`, a page for anything else."""
    recorder = Recorder()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            recorder.requests.append(f"{self.command} {self.path}")
            if self.path.endswith(".png"):
                kind, body = "image/png", png
            elif self.path.endswith(".css"):
                kind, body = "text/css", b'@import url("/nested.css"); p { background: url(/css-bg.png) }'
            else:
                kind, body = "text/html", b"<!DOCTYPE html><title>trap</title><p>trap</p>"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as port:
        recorder.port = port
        yield recorder
