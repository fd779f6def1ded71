"""The HTTP service: endpoints and problem details in-process, a burst against a real uvicorn, schemathesis."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx2")  # the httpx fork starlette's TestClient asks for

from starlette.testclient import TestClient  # noqa: E402

from exporter.service import Limits, create_app  # noqa: E402

SOURCES = Path(__file__).resolve().parent.parent / "sources"
MARKDOWN = b"---\ntitle: Ferry Notes\nlang: en\n---\n\nThe river was *high* that spring.\n"
EXPORTER = Path(sys.executable).parent / "exporter"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(Limits(max_body=2 * 1024 * 1024)))


def test_listings_and_health(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert {"html", "pdf", "epub", "docx", "json"} <= set(client.get("/formats").json())
    assert "default" in client.get("/themes").json()
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1") and "/render" in document["paths"]


@pytest.mark.parametrize(("to", "magic"), [("html", b"<!DOCTYPE html>"), ("docx", b"PK"), ("epub", b"PK"),
                                           ("json", b"{"), ("pdf", b"%PDF")])
def test_render_markdown_body(client: TestClient, to: str, magic: bytes) -> None:
    formats = client.get("/formats").json()
    if not formats[to]["available"]:
        pytest.skip(formats[to]["reason"])
    response = client.post(f"/render?to={to}", content=MARKDOWN, headers={"content-type": "text/markdown"})
    assert response.status_code == 200, response.text
    assert response.content.lstrip()[:len(magic)].upper() == magic.upper()
    assert response.headers["content-type"].startswith(formats[to]["media_type"])


def test_multipart_images_are_the_only_readable_files(client: TestClient) -> None:
    image = (SOURCES / "photo/images/river-01.png").read_bytes()
    article = b"---\ntitle: Pictures\n---\n\n![The river](img/river.png)\n\n![Secret](../../../etc/hostname)\n"
    response = client.post("/render?to=html", files={"article": ("pictures.md", article, "text/markdown"),
                                                     "img/river.png": ("img/river.png", image, "image/png")})
    assert response.status_code == 200, response.text
    assert b"data:image/png;base64," in response.content
    assert response.headers["x-exporter-warnings"] == "1"  # the '..' reference was refused
    assert 'filename="pictures.html"' in response.headers["content-disposition"]


def test_image_names_may_not_escape(client: TestClient) -> None:
    response = client.post("/render?to=html", files={"article": ("a.md", b"# x\n"), "x": ("../evil.png", b"x")})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("name", [b"\x00", b"a\x00.png", b"tab\t.png"])
def test_image_names_with_control_characters_are_refused(client: TestClient, name: bytes) -> None:
    """A form field without a file name is named by its key, which a client may fill with any byte (the body is
    written by hand: HTTP libraries escape such names)."""
    body = (b"--B\r\nContent-Disposition: form-data; name=\"article\"; filename=\"a.md\"\r\n\r\n# x\n\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"" + name + b"\"\r\n\r\nx\r\n--B--\r\n")
    response = client.post("/render?to=html", content=body, headers={"content-type": "multipart/form-data; boundary=B"})
    assert response.status_code == 400, response.text[:200]
    assert "control characters" in response.json()["detail"]


def test_source_errors_are_problems_with_a_line(client: TestClient) -> None:
    response = client.post("/render?to=html", content=b"---\ntitle: [\n---\n# Hi\n",
                           headers={"content-type": "text/markdown"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] and problem["status"] == 422 and problem["type"].startswith("https://")
    assert problem["line"] == 2 and problem["path"] == "article.md"
    assert "exporter-serve-" not in problem["detail"]  # the temporary folder never leaks


@pytest.mark.parametrize(("query", "status"), [("to=nope", 400), ("to=html&theme=/etc", 400),
                                               ("to=html&from=nope", 400), ("", 400)])
def test_bad_queries(client: TestClient, query: str, status: int) -> None:
    response = client.post(f"/render?{query}", content=MARKDOWN, headers={"content-type": "text/markdown"})
    assert response.status_code == status
    assert response.json()["status"] == status


def test_limits() -> None:
    small = TestClient(create_app(Limits(max_body=100)))
    assert small.post("/render?to=json", content=b"x" * 101, headers={"content-type": "text/plain"}).status_code == 413
    assert small.post("/render?to=json", content=b"x", headers={"content-type": "image/png"}).status_code == 415


def test_full_slots_answer_503_at_once_and_slow_renders_time_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import exporter.service

    release = threading.Event()
    real = exporter.service.render_upload

    def slow(*args: object) -> object:
        release.wait(5)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(exporter.service, "render_upload", slow)
    app = TestClient(create_app(Limits(max_concurrent=1, timeout=0.5)))
    headers = {"content-type": "text/markdown"}
    first: list[int] = []
    holder = threading.Thread(target=lambda: first.append(app.post("/render?to=json", content=MARKDOWN,
                                                                       headers=headers).status_code))
    holder.start()
    time.sleep(0.2)
    started = time.monotonic()
    busy = app.post("/render?to=json", content=MARKDOWN, headers=headers)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert time.monotonic() - started < 0.4  # refused at once, not queued
    holder.join()
    assert first == [503]  # the render outlived the 0.5 s timeout
    assert app.get("/healthz").json()["active"] == 1  # ...and still holds its slot until its thread ends
    release.set()
    for _ in range(50):
        if app.get("/healthz").json()["active"] == 0:
            break
        time.sleep(0.1)
    assert app.post("/render?to=json", content=MARKDOWN, headers=headers).status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_burst_against_uvicorn_gets_200_or_503_and_memory_settles() -> None:
    psutil = pytest.importorskip("psutil")
    port = _free_port()
    server = subprocess.Popen([str(EXPORTER), "serve", "--port", str(port), "--max-concurrent", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        article = (SOURCES / "longform/balkan-borders.md").read_bytes()
        formats = ["html", "docx", "epub", "json", "pdf"]
        available = [f for f, v in httpx.get(f"{base}/formats").json().items() if v["available"] and f in formats]

        def post(to: str) -> int:
            return int(httpx.post(f"{base}/render?to={to}", content=article, timeout=120,
                                  headers={"content-type": "text/markdown"}).status_code)

        for _ in range(2):  # warm up every engine, so the baseline includes fonts, CSS and templates
            warm = [post(f) for f in available]
            assert warm == [200] * len(available), (available, warm)
        process = psutil.Process(server.pid)
        baseline = process.memory_info().rss

        def burst() -> list[int]:
            statuses: list[int] = []

            def client(offset: int) -> None:
                with httpx.Client(timeout=120) as session:
                    for i in range(25):
                        to = available[(i + offset) % len(available)]
                        statuses.append(session.post(f"{base}/render?to={to}", content=article,
                                                     headers={"content-type": "text/markdown"}).status_code)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return statuses

        rss = []
        for _ in range(2):  # twice: the second burst shows whether memory keeps growing
            statuses = burst()
            assert len(statuses) == 50
            assert set(statuses) <= {200, 503}, statuses
            assert statuses.count(200) > 0 and statuses.count(503) > 0, statuses
            time.sleep(1)
            rss.append(process.memory_info().rss)
            print(f"burst: {statuses.count(200)} x 200, {statuses.count(503)} x 503; rss {rss[-1] >> 20} MiB "
                  f"(baseline {baseline >> 20} MiB)")
        assert rss[0] < baseline * 1.5 + 150 * 1024 * 1024, (baseline, rss)
        assert rss[1] < rss[0] + 50 * 1024 * 1024, (baseline, rss)  # no growth per burst: nothing leaks
        assert httpx.get(f"{base}/healthz").json()["active"] == 0
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error() -> None:
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, settings

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Limits(max_body=64 * 1024, timeout=20)))
    from hypothesis import given
    from hypothesis.strategies import SearchStrategy

    deadline = time.monotonic() + 30
    failures: list[str] = []

    def fuzz(strategy: SearchStrategy[object]) -> None:
        @given(case=strategy)
        @settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: object) -> None:
            if time.monotonic() > deadline:
                return
            response = case.call()  # type: ignore[attr-defined]
            if response.status_code >= 500 and response.status_code != 503:
                failures.append(f"{case!r} -> {response.status_code} {response.text[:300]}")

        check()

    for operation in schema.get_all_operations():
        fuzz(operation.ok().as_strategy())
    assert not failures, failures
