"""Batch export as a newsroom runs it: incremental rebuilds, failures, interruptions, and a Dask cluster."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from cli_process import FAULT_HANDLER_ENV, INTERACTIVE_EXPORTER, communicate
from click.testing import CliRunner

from exporter import _scheduler, pipeline, shared_cache
from exporter._worker import Outcome, Task
from exporter.cli import main
from exporter.feeds import ENTRY_CACHE
from exporter.manifest import MANIFEST_NAME
from exporter.watch import watch

CORPUS_SCRIPT = Path("/work/shared/bench/make_corpus.py")
ROOT = Path(__file__).parent.parent
THEMES = ROOT / "themes"
SKIP = ("manifest.json", "images/*")
"""The corpus generator's own index and image folder are not articles."""


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight generated articles (four languages, images, READ ALSO links between them)."""
    if not CORPUS_SCRIPT.is_file():
        pytest.skip("the shared corpus generator is not available")
    folder = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(CORPUS_SCRIPT), str(folder), "--count", "8", "--seed", "1", "-q"],
                   check=True)
    return folder


@pytest.fixture
def sources(corpus: Path, tmp_path: Path) -> Path:
    """A private copy of the corpus, free to edit."""
    return Path(shutil.copytree(corpus, tmp_path / "src"))


@pytest.fixture(autouse=True)
def _fixed_dates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    yield


def _export(src: Path, out: Path, formats: str = "html,json", **options: object) -> pipeline.BatchReport:
    return pipeline.export([src], formats, out, exclude=SKIP, **options)  # type: ignore[arg-type]


def _statuses(report: pipeline.BatchReport) -> dict[str, str]:
    return {f"{r.job.source.name}:{r.job.format}": r.status for r in report.results}


def _tree(folder: Path) -> dict[str, bytes]:
    """Every output file (the manifest and the workers' shared cache are bookkeeping, not output)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST_NAME and shared_cache.FOLDER not in p.relative_to(folder).parts}


def test_noop_rebuild_renders_nothing(sources: Path, tmp_path: Path) -> None:
    first = _export(sources, tmp_path / "out")
    assert first.count("done") == 16 and first.ok()
    assert (tmp_path / "out" / MANIFEST_NAME).is_file()
    second = _export(sources, tmp_path / "out")
    assert set(_statuses(second).values()) == {"skipped"}
    assert _export(sources, tmp_path / "out", force=True).count("done") == 16


def test_one_file_edit_rerenders_only_its_outputs(sources: Path, tmp_path: Path) -> None:
    _export(sources, tmp_path / "out")
    edited = sorted(sources.glob("003-*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more paragraph.\n", encoding="utf-8")
    report = _export(sources, tmp_path / "out")
    done = sorted(k for k, v in _statuses(report).items() if v == "done")
    assert done == [f"{edited.name}:html", f"{edited.name}:json"]
    assert "One more paragraph." in (tmp_path / "out" / edited.with_suffix(".html").name).read_text(encoding="utf-8")


def test_an_edited_image_rerenders_the_articles_that_use_it(sources: Path, tmp_path: Path) -> None:
    _export(sources, tmp_path / "out")
    image = sorted((sources / "images").iterdir())[0]
    image.write_bytes(image.read_bytes() + b"\0")
    report = _export(sources, tmp_path / "out")
    done = {k for k, v in _statuses(report).items() if v == "done"}
    assert done and len(done) < 16
    assert all(k.endswith(":html") or k.endswith(":json") for k in done)


def test_theme_edit_rerenders_everything(sources: Path, tmp_path: Path) -> None:
    theme = tmp_path / "house"
    (theme / "css").mkdir(parents=True)
    toml = '[theme]\nname = "house"\nextends = "default"\n\n[tokens.colours]\naccent = "{}"\n'
    (theme / "theme.toml").write_text(toml.format("#1f5fa8"), encoding="utf-8")
    _export(sources, tmp_path / "out", theme=str(theme))
    assert set(_statuses(_export(sources, tmp_path / "out", theme=str(theme))).values()) == {"skipped"}
    (theme / "theme.toml").write_text(toml.format("#a81f1f"), encoding="utf-8")
    report = _export(sources, tmp_path / "out", theme=str(theme))
    assert set(_statuses(report).values()) == {"done"}
    assert any("#a81f1f" in p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*.html"))


def test_prune_include_and_exclude(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _export(sources, out, "json")
    gone = sorted(sources.glob("00[0-9]-*.md"))[-1]
    gone.unlink()
    kept = _export(sources, out, "json")
    assert (out / gone.with_suffix(".json").name).exists()  # without --prune, old outputs stay
    assert not kept.pruned
    report = _export(sources, out, "json", prune=True)
    assert not (out / gone.with_suffix(".json").name).exists()
    assert [p.name for p in report.pruned] == [gone.with_suffix(".json").name]
    only = pipeline.export([sources], "json", tmp_path / "only", include=["000-*"], exclude=SKIP)
    assert [r.job.source.name for r in only.results] == [next(sources.glob("000-*.md")).name]


def test_batch_links_point_at_the_sibling_output(sources: Path, tmp_path: Path) -> None:
    _export(sources, tmp_path / "out", "html")
    pages = [p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*.html")]
    assert any('.html"' in page and "READ" in page for page in pages)
    assert not any('.md"' in page for page in pages)


def test_epub_links_to_siblings_go_to_their_web_pages(sources: Path, tmp_path: Path) -> None:
    report = pipeline.export(sorted(sources.glob("00[0-3]-*.md")), "epub", tmp_path / "out",
                             site_url="https://news.example.com/")
    assert report.ok()
    texts = [b"".join(zipfile.ZipFile(r.job.output).read(n) for n in zipfile.ZipFile(r.job.output).namelist()
                      if n.endswith(".xhtml")) for r in report.results]
    assert any(b"https://news.example.com/0" in text and b'.html"' in text for text in texts)
    assert not any(b'.md"' in text for text in texts)


def test_a_failing_source_is_reported_and_the_others_are_produced(sources: Path, tmp_path: Path) -> None:
    (sources / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["export", str(sources), "--to", "json", "-o", str(tmp_path / "out"),
                                       "--exclude", "manifest.json", "-j", "1", "--report",
                                       str(tmp_path / "report.json")])
    assert result.exit_code == 1, result.output
    assert f"{sources / 'broken.md'}:" in result.stderr
    assert len(list((tmp_path / "out").glob("[!.]*.json"))) == 8
    assert '"failed": 1' in (tmp_path / "report.json").read_text(encoding="utf-8")


def test_a_runaway_job_is_ended_and_the_batch_goes_on(sources: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real = _scheduler.work  # type: ignore[attr-defined]

    def slow(task: Task) -> Outcome:
        if task.source.endswith(next(sources.glob("002-*.md")).name):
            time.sleep(30)
        return real(task)

    monkeypatch.setattr(_scheduler, "work", slow)
    report = _export(sources, tmp_path / "out", "json", timeout=0.5)
    assert [r.job.source.name[:3] for r in report.failed] == ["002"]
    assert report.failed[0].diagnostics[0].code == "job.timeout"
    assert report.count("done") == 7


def test_a_runaway_pdf_layout_in_process_is_ended_not_laid_out_again(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`--jobs 1` ends a job with an alarm inside the engine; the PDF engine's retry of a failed layout (and
    the renderers' engine-crash handling) must let it through."""
    import weasyprint

    attempts: list[float] = []

    def runaway(self: object, *args: object, **kwargs: object) -> bytes:
        attempts.append(time.monotonic())
        time.sleep(30)
        return b""

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", runaway)
    started = time.monotonic()
    report = pipeline.export([ROOT / "sources" / "world" / "nato-kosovo.txt"], "pdf", tmp_path / "out", jobs=1,
                             timeout=0.5)
    assert time.monotonic() - started < 10 and len(attempts) == 1
    assert [d.code for r in report.failed for d in r.diagnostics] == ["job.timeout"]


def test_watch_runs_the_incremental_export(sources: Path, tmp_path: Path) -> None:
    seen: list[pipeline.BatchReport] = []

    def run() -> pipeline.BatchReport:
        return _export(sources, tmp_path / "out", "json")

    watch([sources], run, tmp_path / "out", on_report=seen.append, iterations=1)
    assert watch([sources], run, tmp_path / "out", iterations=1).count("skipped") == 8
    assert seen[0].count("done") == 8


def _cli_batch(src: Path, out: Path) -> subprocess.Popen[bytes]:
    # PDF keeps the batch running for seconds after its first output, so the signal lands mid-batch
    command = [*INTERACTIVE_EXPORTER, "export", str(src), "--to", "docx,html,pdf", "-o", str(out), "-j", "2",
               "--exclude", "manifest.json", "-q"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, **FAULT_HANDLER_ENV})


def _wait_for_first_output(out: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not any(out.glob("*.docx")) and not any(out.glob("*.html")):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.parametrize("kill", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_an_interrupted_batch_leaves_no_partial_file_and_the_next_run_finishes(
        sources: Path, tmp_path: Path, kill: signal.Signals) -> None:
    out = tmp_path / "out"
    process = _cli_batch(sources, out)
    _wait_for_first_output(out, process)
    if kill == signal.SIGINT:
        process.send_signal(kill)
    else:
        os.killpg(process.pid, kill)
    _, stderr = communicate(process, timeout=60)
    if kill == signal.SIGINT:
        assert process.returncode == 130, stderr.decode()
        assert b"Traceback" not in stderr
        assert not list(out.rglob("*.part"))
    for docx in out.glob("*.docx"):
        assert zipfile.ZipFile(docx).testzip() is None  # every file on disk is whole
    rerun = _cli_batch(sources, out)
    assert rerun.wait(timeout=120) == 0
    assert not list(out.rglob("*.part"))
    assert len(list(out.glob("*.docx"))) == len(list(out.glob("*.html"))) == 8
    final = pipeline.export([sources], "docx,html", out, exclude=SKIP)
    assert set(_statuses(final).values()) == {"skipped"}


@pytest.mark.slow
def test_a_dask_cluster_gives_byte_identical_results(sources: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    local = _export(sources, tmp_path / "local", "html,docx,json", jobs=1)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        remote = _export(sources, tmp_path / "dask", "html,docx,json", executor=client.get_executor())
    assert local.ok() and remote.ok() and remote.count("done") == 24
    assert _tree(tmp_path / "local") == _tree(tmp_path / "dask")


class _Elsewhere(Executor):
    """Runs tasks on a thread after moving the source folder out of reach, as a worker on another machine sees it."""

    def __init__(self, sources: Path) -> None:
        self.sources = sources
        self.pool = ThreadPoolExecutor(max_workers=1)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self.sources.exists():
            self.sources.rename(self.sources.with_name("out-of-reach"))
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_workers_need_no_shared_file_system(sources: Path, tmp_path: Path) -> None:
    formats = "html,epub,docx,pdf"
    local = _export(sources, tmp_path / "local", formats, jobs=1, include=["00[0-2]*"])
    with _Elsewhere(sources) as elsewhere:
        remote = _export(sources, tmp_path / "remote", formats, executor=elsewhere, include=["00[0-2]*"])
    assert not sources.exists(), "the workers ran while the source folder was out of reach"
    assert local.ok() and remote.ok() and remote.count("done") == local.count("done") == 12
    assert not [d for r in remote.results for d in r.diagnostics if d.code.startswith("resource.")]
    assert _tree(tmp_path / "local") == _tree(tmp_path / "remote")
    images = [name for name in _tree(tmp_path / "remote") if name.endswith((".png", ".jpg"))]
    assert images, "the articles' images were shipped to the workers and copied next to the pages"


class _Recording(Executor):
    """Runs tasks on a thread and keeps every outcome, to see what the workers sent back."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.outcomes: list[Outcome] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self.pool.submit(fn, *args, **kwargs)
        future.add_done_callback(lambda done: self.outcomes.append(done.result()))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_the_theme_fonts_are_written_by_the_parent_into_every_page_folder(tmp_path: Path) -> None:
    from exporter.themes import Theme

    src = Path(shutil.copytree(ROOT / "sources", tmp_path / "src", ignore=shutil.ignore_patterns("collection")))
    with _Recording() as recording:
        report = pipeline.export([src], "html", tmp_path / "out", executor=recording)
    assert report.ok() and report.count("done") == 6
    sent = {name for outcome in recording.outcomes for name in outcome.companions}
    assert sent and not [name for name in sent if name.startswith("_fonts/")]  # images still travel, fonts not
    fonts = {f"_fonts/{face.path.name}": face.path.read_bytes() for face in Theme.load().font_faces}
    manifest = json.loads((tmp_path / "out" / MANIFEST_NAME).read_text(encoding="utf-8"))["jobs"]
    for result in report.results:
        folder = result.job.output.parent
        for name, data in fonts.items():
            assert (folder / name).read_bytes() == data, (folder, name)
        key = result.job.output.relative_to(tmp_path / "out").as_posix()
        listed = {PurePosixPath(path).relative_to(PurePosixPath(key).parent).as_posix()
                  for path in manifest[key]["outputs"]}
        assert set(fonts) <= listed  # so --prune and the no-op check know the page's fonts
    local = tmp_path / "local"
    assert pipeline.export([src], "html", local, jobs=1).ok()
    assert _tree(tmp_path / "out") == _tree(local)


def test_one_edit_rewrites_the_feeds_without_reading_the_other_articles(
        sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert _export(sources, out, "html").ok()
    edited = sorted(sources.glob("*.md"))[3]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA late paragraph from the desk.\n", encoding="utf-8")
    reads: list[Path] = []
    real = pipeline.load_document
    monkeypatch.setattr(pipeline, "load_document", lambda job, *a, **k: reads.append(job.source) or real(job, *a, **k))
    again = _export(sources, out, "html")
    assert again.count("done") == 1 and again.count("skipped") == 7
    assert reads == []  # the seven unchanged entries came from the feed cache
    monkeypatch.undo()
    fresh = tmp_path / "fresh"
    assert _export(sources, fresh, "html").ok()
    for feed in ("feed.atom", "feed.rss", "feed.json"):
        assert (out / feed).read_bytes() == (fresh / feed).read_bytes(), feed
    assert "A late paragraph from the desk." in (out / "feed.json").read_text(encoding="utf-8")


def test_a_stale_feed_cache_entry_is_not_used(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _export(sources, out, "html").ok()
    cache = out / ENTRY_CACHE
    data = json.loads(cache.read_text(encoding="utf-8"))
    for entry in data["entries"].values():
        entry["key"] = "stale"
        entry["content"] = "<p>tampered</p>"
    cache.write_text(json.dumps(data), encoding="utf-8")
    edited = sorted(sources.glob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert _export(sources, out, "html").ok()
    assert "tampered" not in (out / "feed.json").read_text(encoding="utf-8")


def test_font_subsets_are_shared_through_the_output_folder(sources: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from exporter.renderers import _epub_fonts

    out = tmp_path / "out"
    _epub_fonts._MADE.clear()
    assert _export(sources, out, "epub").ok()
    entries = sorted((out / shared_cache.FOLDER / "fonts").glob("[0-9a-f]*"))
    assert len(entries) >= 4  # every face of the theme, once per script mix
    first = {p.name: p.read_bytes() for p in out.glob("*.epub")}

    def refuse(*_: object) -> bytes:
        raise AssertionError("subset again although the output folder holds it")

    _epub_fonts._MADE.clear()  # a new worker process: nothing in memory, everything on disk
    real = _epub_fonts._subset_bytes
    monkeypatch.setattr(_epub_fonts, "_subset_bytes", refuse)
    assert _export(sources, out, "epub", force=True).ok()
    assert {p.name: p.read_bytes() for p in out.glob("*.epub")} == first
    monkeypatch.setattr(_epub_fonts, "_subset_bytes", real)
    _epub_fonts._MADE.clear()
    fresh = tmp_path / "fresh"  # and the same bytes as a run that subset everything itself
    assert _export(sources, fresh, "epub", jobs=2).ok()
    assert {p.name: p.read_bytes() for p in fresh.glob("*.epub")} == first


def test_a_batch_prunes_subsets_no_longer_used(sources: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A face the theme dropped long ago leaves its subset behind; the batch keeps only what it uses."""
    from exporter.renderers import _epub_fonts

    out = tmp_path / "out"
    _epub_fonts._MADE.clear()
    assert _export(sources, out, "epub").ok()
    fonts = out / shared_cache.FOLDER / "fonts"
    used = {p.name: p.stat().st_size for p in fonts.iterdir() if not p.name.endswith(".lock")}
    stale = fonts / ("0" * 40)
    stale.write_bytes(bytes(4096))
    os.utime(stale, (1_600_000_000, 1_600_000_000))
    monkeypatch.setattr(shared_cache, "KEEP_BYTES", sum(used.values()))
    _epub_fonts._MADE.clear()  # a new process: the subsets are read from the folder, which marks them used
    assert _export(sources, out, "epub", force=True).ok()
    assert {p.name for p in fonts.iterdir() if not p.name.endswith(".lock")} == set(used)
    _epub_fonts._MADE.clear()


def test_a_changed_source_date_epoch_rebuilds_and_reaches_every_worker(sources: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    out = tmp_path / "out"
    assert _export(sources, out, "docx").ok()
    assert _export(sources, out, "docx").count("skipped") == 8
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")  # 2020-09-13T12:26:40Z
    # a pool's fork server (or a cluster worker) may have been started with another environment
    rebuilt = _export(sources, out, "docx", jobs=2)
    assert rebuilt.ok() and rebuilt.count("done") == 8
    for document in out.glob("*.docx"):
        with zipfile.ZipFile(document) as archive:
            assert b"2020-09-13T12:26:40Z" in archive.read("docProps/core.xml"), document.name
