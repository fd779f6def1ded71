"""The resource policy: which addresses may be fetched, and every fetch bounded in time, size and redirects.

Remote reads are exercised against a loopback server the test starts (so `allow_private_network` is on);
nothing here touches any other host.
"""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from loopback import serving

from exporter import _remote
from exporter.diagnostics import Report
from exporter.errors import OptionError
from exporter.resources import ResourcePolicy, is_remote, resolving_once

PNG = (Path(__file__).parent / "renderers" / "fixtures" / "html" / "pics" / "photo.png").read_bytes()


# ------------------------------------------------------------------------------------------------ the address rule


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("10.20.30.40", "private"),
    ("192.168.1.1", "private"), ("172.16.0.1", "private"), ("169.254.169.254", "link-local"),
    ("fe80::1%eth0", "link-local"), ("fd00::1", "private"), ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"), ("2002:7f00:1::", "loopback"), ("64:ff9b::a9fe:a9fe", "link-local"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("100.64.0.1", "non-public"), ("240.0.0.1", "private"), ("not-an-ip", "malformed"),
])
def test_private_and_special_addresses_are_blocked(address: str, reason: str) -> None:
    assert _remote.blocked_address(address) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_pass(address: str) -> None:
    assert _remote.blocked_address(address) == ""


def test_a_public_literal_passes_the_check_without_any_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_connection(*args: object, **kwargs: object) -> None:
        raise AssertionError("the check must not connect")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    target = _remote._check("https://93.184.216.34:8443/a.png?x=1", allow_private_network=False)
    assert (target.https, target.host, target.port, target.path, target.addresses) == (
        True, "93.184.216.34", 8443, "/a.png?x=1", ("93.184.216.34",))
    with pytest.raises(_remote.Refused, match="loopback"):
        _remote._check("http://[::ffff:127.0.0.1]/a.png", allow_private_network=False)
    assert _remote._check("http://127.0.0.1/", allow_private_network=True).addresses == ("127.0.0.1",)


def test_a_host_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
               (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(_remote.Refused, match=r"cdn\.example \(10\.0\.0\.7\) is a private address"):
        _remote._check("http://cdn.example/a.png", allow_private_network=False)


@pytest.mark.parametrize("url", ["ftp://93.184.216.34/a.png", "gopher://93.184.216.34/", "http:///a.png",
                                 "http://93.184.216.34:port/a.png"])
def test_only_http_and_https_urls_with_a_host_are_fetched(url: str) -> None:
    with pytest.raises(_remote.Refused):
        _remote.fetch(url, max_bytes=100)


# ------------------------------------------------------------------------------------------------ a loopback server


@dataclass
class Server:
    """A loopback HTTP server whose answers the test sets per path; it records every request."""

    routes: dict[str, tuple[int, dict[str, str], bytes, float]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path, Host header) of every request received."""
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("Host", "")))
            status, headers, body, drip = state.routes.get(self.path, (404, {}, b"", 0.0))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                if drip:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(drip)
                else:
                    self.wfile.write(body)
            except OSError:  # the client gave up, as it should
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as port:
        state.port = port
        yield state


def _policy(**options: object) -> ResourcePolicy:
    return ResourcePolicy(allow_remote=True, allow_private_network=True, **options)  # type: ignore[arg-type]


def test_an_allowed_fetch_returns_the_bytes_and_names_the_host(server: Server) -> None:
    server.routes["/photo.png"] = (200, {"Content-Type": "image/png"}, PNG, 0.0)
    report = Report()
    assert _policy().read(server.url("/photo.png"), source="story.md", report=report) == PNG
    assert not report.items
    assert server.requests == [("/photo.png", f"127.0.0.1:{server.port}")]


def test_loopback_is_refused_without_allow_private_network_and_nothing_is_sent(server: Server) -> None:
    server.routes["/photo.png"] = (200, {}, PNG, 0.0)
    report = Report()
    policy = ResourcePolicy(allow_remote=True)
    assert policy.read(server.url("/photo.png"), source="story.md", report=report, line=7) is None
    assert [(d.code, d.path, d.line) for d in report] == [("resource.refused", "story.md", 7)]
    assert "loopback" in report.items[0].message
    assert ResourcePolicy().read(server.url("/photo.png"), source="story.md", report=report) is None
    assert "allow_remote is off" in report.items[1].message
    assert server.requests == []


def test_the_host_is_resolved_once_and_the_connection_goes_to_that_address(
        server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second lookup is where DNS rebinding would strike: there must be none, and the Host header keeps the name."""
    server.routes["/photo.png"] = (200, {}, PNG, 0.0)
    lookups: list[str] = []

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    url = f"http://images.newsroom.test:{server.port}/photo.png"
    assert _remote.fetch(url, max_bytes=len(PNG), allow_private_network=True) == PNG
    assert lookups[0] == "images.newsroom.test"
    assert set(lookups[1:]) <= {"127.0.0.1"}  # connecting to the vetted literal asks no name server
    assert server.requests == [("/photo.png", f"images.newsroom.test:{server.port}")]


def test_a_body_over_the_size_limit_is_refused(server: Server) -> None:
    server.routes["/declared.png"] = (200, {}, PNG, 0.0)
    server.routes["/chunked.png"] = (200, {"Transfer-Encoding": "chunked"},
                                     b"".join(b"%x\r\n%s\r\n" % (len(PNG[i:i + 50]), PNG[i:i + 50])
                                              for i in range(0, len(PNG), 50)) + b"0\r\n\r\n", 0.0)
    report = Report()
    policy = _policy(max_bytes=len(PNG) - 1)
    assert policy.read(server.url("/declared.png"), source="s.md", report=report) is None
    assert policy.read(server.url("/chunked.png"), source="s.md", report=report) is None
    assert [d.code for d in report] == ["resource.refused"] * 2
    assert all("limit" in d.message for d in report)
    assert _policy(max_bytes=len(PNG)).read(server.url("/chunked.png"), source="s.md", report=report) == PNG


def test_a_slow_server_is_abandoned_at_the_timeout(server: Server) -> None:
    server.routes["/drip.png"] = (200, {}, PNG[:200], 0.02)  # 4 s in all, each byte well within any read timeout
    report = Report()
    started = time.monotonic()
    assert _policy(timeout=0.5).read(server.url("/drip.png"), source="s.md", report=report) is None
    assert time.monotonic() - started < 2
    assert [d.code for d in report] == ["resource.missing"]
    assert "within 0.5 s" in report.items[0].message


def test_a_silent_server_is_abandoned_at_the_timeout() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts the connection and never answers
    try:
        started = time.monotonic()
        with pytest.raises(_remote.Unavailable, match=r"within 0\.3 s"):
            _remote.fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/", max_bytes=100, timeout=0.3,
                          allow_private_network=True)
        assert time.monotonic() - started < 2
    finally:
        listener.close()


def test_redirects_are_followed_only_to_checked_targets_and_at_most_three(server: Server) -> None:
    server.routes["/photo.png"] = (200, {}, PNG, 0.0)
    for hop in range(5):
        server.routes[f"/r{hop}"] = (302, {"Location": f"/r{hop + 1}" if hop < 4 else "/photo.png"}, b"", 0.0)
    server.routes["/to-file"] = (301, {"Location": "file:///etc/passwd"}, b"", 0.0)
    server.routes["/to-metadata"] = (307, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"", 0.0)
    report = Report()
    policy = _policy()
    assert policy.read(server.url("/r2"), source="s.md", report=report) == PNG  # three hops
    assert policy.read(server.url("/r0"), source="s.md", report=report) is None  # five hops
    assert policy.read(server.url("/to-file"), source="s.md", report=report) is None
    assert ResourcePolicy(allow_remote=True).read("http://169.254.169.254/", source="s.md", report=report) is None
    messages = [d.message for d in report]
    assert "more than 3 redirects" in messages[0] and "file URLs are not fetched" in messages[1]
    assert "link-local" in messages[2]
    assert [d.code for d in report] == ["resource.refused"] * 3


def test_only_a_200_answer_is_used_and_each_url_is_fetched_once(server: Server) -> None:
    server.routes["/photo.png"] = (200, {}, PNG, 0.0)
    server.routes["/gone.png"] = (410, {}, b"gone", 0.0)
    report = Report()
    policy = _policy()
    for _ in range(2):
        assert policy.read(server.url("/photo.png"), source="s.md", report=report) == PNG
        assert policy.read(server.url("/gone.png"), source="s.md", report=report) is None
    assert [d.code for d in report] == ["resource.missing"] * 2  # reported to every caller …
    assert "HTTP 410" in report.items[0].message
    assert [path for path, _ in server.requests] == ["/photo.png", "/gone.png"]  # … but asked for once


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_https_checks_the_certificate_against_the_host_name_sent_as_sni(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=images.newsroom.test", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept() -> None:
        connection, _ = listener.accept()
        try:
            context.wrap_socket(connection, server_side=True).close()
        except (ssl.SSLError, OSError):  # the client rejects the self-signed certificate
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, p, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", p))])
    try:
        with pytest.raises(_remote.Unavailable, match="TLS failed: CERTIFICATE_VERIFY_FAILED"):
            _remote.fetch(f"https://images.newsroom.test:{port}/photo.png", max_bytes=100, timeout=5,
                          allow_private_network=True)
    finally:
        thread.join(5)
        listener.close()
    assert names == ["images.newsroom.test"]


# ------------------------------------------------------------------------------------------------ local reads


@pytest.mark.parametrize(("src", "why"), [
    ("/etc/passwd", "absolute paths"), ("../../../../etc/hostname", "'..'"), ("file:///etc/hostname", "file:"),
    ("FILE:/etc/hostname", "file:"), ("//cdn.example/a.png", "protocol-relative"), ("C:\\x.png", "absolute"),
    ("a\x00b.png", "NUL"), ("data:image/png;base64,AAAA", "data:"), ("", "empty"),
])
def test_local_reads_stay_inside_the_source_folder(tmp_path: Path, src: str, why: str) -> None:
    report = Report()
    for policy in (ResourcePolicy(), _policy()):
        assert policy.read(src, source=str(tmp_path / "story.md"), report=report) is None
    assert [d.code for d in report] == ["resource.refused"] * 2
    assert all(why in d.message for d in report)


def test_a_symlink_out_of_the_folder_is_refused_and_one_inside_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "story"
    folder.mkdir()
    (tmp_path / "photo.png").write_bytes(PNG)
    (folder / "out.png").symlink_to(tmp_path / "photo.png")
    (folder / "real.png").write_bytes(PNG)
    (folder / "in.png").symlink_to(folder / "real.png")
    report = Report()
    source = str(folder / "story.md")
    assert ResourcePolicy().read("out.png", source=source, report=report) is None
    assert ResourcePolicy().read("in.png", source=source, report=report) == PNG
    assert [d.code for d in report] == ["resource.refused"]


def test_a_job_resolves_each_path_once_and_the_next_job_sees_a_changed_link(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    resolved: list[Path] = []
    resolve = Path.resolve

    def counted(self: Path, strict: bool = False) -> Path:
        resolved.append(self)
        return resolve(self, strict)

    monkeypatch.setattr(Path, "resolve", counted)
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "real.png").write_bytes(PNG)
    (tmp_path / "secret.png").write_bytes(PNG)
    (folder / "photo.png").symlink_to(folder / "real.png")
    source, report = str(folder / "story.md"), Report()
    with resolving_once():  # one job: its manifest entry and its renderer locate the image
        first = ResourcePolicy().locate("photo.png", source=source, report=report)
        assert ResourcePolicy().read("photo.png", source=source, report=report) == PNG
    assert resolved == [folder, folder / "photo.png"]  # the folder and the image once, not once per call
    assert first == resolve(folder / "real.png")
    (folder / "photo.png").unlink()
    (folder / "photo.png").symlink_to(tmp_path / "secret.png")  # now points out of the folder
    with resolving_once():  # the next job resolves afresh
        assert ResourcePolicy().read("photo.png", source=source, report=report) is None
    assert ResourcePolicy().read("photo.png", source=source, report=report) is None  # and so does a plain call
    assert [d.code for d in report] == ["resource.refused"] * 2


def test_network_options_must_be_booleans() -> None:
    assert ResourcePolicy.for_renderer("html", allow_remote=True).allow_remote
    with pytest.raises(OptionError, match="html: allow_remote must be true or false"):
        ResourcePolicy.for_renderer("html", allow_remote="false")
    assert is_remote(" HTTPS://example.org/a.png") and not is_remote("https:a.png") and not is_remote("a.png")
