"""`exporter export` on a folder as a desk runs it: what it prints, `--report`, `--fail-fast`, and where it runs."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from exporter import pipeline
from exporter.cli import main
from exporter.diagnostics import Diagnostic
from exporter.limits import Limits
from exporter.manifest import MANIFEST_NAME

SITE = Path(__file__).parent / "fixtures" / "site"
"""Three dated and undated wire stories in nested desks, a hidden `.drafts/` folder and a `notes.log`."""
PAGES = ("culture/market-day", "world/balkans/border-reopens", "world/serbia-alert")
BROKEN_YAML = "---\ntitle: [unclosed\n---\n"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CLI_DOCS = Path(__file__).parent.parent / "docs" / "cli.md"


@pytest.fixture(autouse=True)
def _fixed_dates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    yield


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A private copy of the site fixture, free to edit."""
    return Path(shutil.copytree(SITE, tmp_path / "src"))


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def summary_rows(stderr: str) -> dict[str, list[str]]:
    """The end-of-batch table, `format → [done, skipped, failed, warnings]` (time varies)."""
    rows: dict[str, list[str]] = {}
    for line in stderr.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if line.lstrip().startswith("│") and len(cells) == 6:
            assert re.fullmatch(r"\d+\.\d\ds", cells[5]), line
            rows[cells[0]] = cells[1:5]
    return rows


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST_NAME}


def add_broken(folder: Path, *, lines: int = 0) -> Path:
    """A source whose front matter never closes its list (line 2, column 17), padded to sort first in a batch."""
    broken = folder / "broken.md"
    broken.write_text(BROKEN_YAML + "A paragraph that will never be read.\n\n" * lines, encoding="utf-8")
    return broken


# ------------------------------------------------------------------------------------------------ display


def test_a_pipe_gets_one_line_per_written_file_and_a_summary_table(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", site, "--to", "html,json", "-o", out, "-j", "1")
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()) == sorted(
        f"wrote {out / page}{suffix}" for page in PAGES for suffix in (".html", ".json"))
    assert "Market Day" in (out / "culture" / "market-day.html").read_text(encoding="utf-8")
    # the feeds are built from the html pages, so their warnings (two undated stories) count there
    assert summary_rows(result.stderr) == {"html": ["3", "0", "0", "2"], "json": ["3", "0", "0", "0"]}
    assert "6 written, 0 failed, 2 warnings, 0 unchanged" in result.stderr
    assert "exporting" not in result.stderr  # no progress bar in a log

    again = run("export", site, "--to", "html,json", "-o", out, "-j", "1")
    assert again.exit_code == 0, again.output
    assert again.stdout == ""  # nothing written, nothing listed
    assert summary_rows(again.stderr) == {"html": ["0", "3", "0", "0"], "json": ["0", "3", "0", "0"]}
    assert "0 written, 0 failed, 0 warnings, 6 unchanged" in again.stderr


def test_quiet_prints_nothing_on_success_and_only_problems_on_failure(site: Path, tmp_path: Path) -> None:
    quiet = run("export", site, "--to", "json", "-o", tmp_path / "ok", "-j", "1", "-q")
    assert quiet.exit_code == 0, quiet.output
    assert (quiet.stdout, quiet.stderr) == ("", "")
    assert json.loads((tmp_path / "ok" / "world" / "serbia-alert.json").read_bytes())["metadata"]["title"] == (
        "Serbia Puts Army on Alert as Kosovo Tensions Rise")

    broken = add_broken(site)
    failed = run("export", site, "--to", "json", "-o", tmp_path / "failed", "-j", "1", "-q")
    assert failed.exit_code == 1
    assert failed.stdout == ""
    problem, summary = failed.stderr.splitlines()  # the failure and one summary line, no table
    assert problem == (f"{broken}:2:17: error: invalid YAML front matter: expected ',' or ']', "
                       "but got '<stream end>' [SourceError]")
    assert summary.startswith("3 written, 1 failed, 0 warnings, 0 unchanged in ")


def test_every_failure_is_printed_with_its_path_and_line(site: Path, tmp_path: Path) -> None:
    broken = add_broken(site)
    result = run("export", site, "--to", "html,json", "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    located = [line for line in result.stderr.splitlines() if line.startswith(f"{broken}:")]
    assert located == [f"{broken}:2:17: error: invalid YAML front matter: expected ',' or ']', "
                       "but got '<stream end>' [SourceError]"] * 2  # one per format: each job failed
    assert summary_rows(result.stderr) == {"html": ["3", "0", "1", "2"], "json": ["3", "0", "1", "0"]}
    assert "6 written, 2 failed, 2 warnings" in result.stderr
    assert f"wrote {tmp_path / 'out' / 'broken.html'}" not in result.stdout
    assert not (tmp_path / "out" / "broken.html").exists()


def _run_in_a_terminal(args: list[str], cwd: Path) -> tuple[int, str, bytes]:
    """Run the CLI with stderr on a pseudo-terminal (what a person sees) and stdout on a pipe."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CI"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "exporter", *args], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    screen = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    stdout, _ = process.communicate(timeout=60)
    return process.returncode, ANSI.sub("", screen.decode("utf-8", "replace")), stdout


def test_a_terminal_gets_a_progress_bar_with_per_format_counts(site: Path, tmp_path: Path) -> None:
    code, screen, stdout = _run_in_a_terminal(["export", str(site), "--to", "html,json", "-o", "out", "-j", "1"],
                                              tmp_path)
    assert code == 0, screen
    assert stdout == b""  # the bar replaces the `wrote` lines
    bar = [line for line in screen.replace("\r", "\n").splitlines() if line.startswith("exporting")]
    assert bar, screen
    assert re.search(r"━+ 6/6 \S+ html 3  json 3", bar[-1]), bar
    assert summary_rows(screen) == {"html": ["3", "0", "0", "2"], "json": ["3", "0", "0", "0"]}
    assert "6 written, 0 failed, 2 warnings, 0 unchanged" in screen
    assert (tmp_path / "out" / "world" / "serbia-alert.html").is_file()


# ------------------------------------------------------------------------------------------------- report


def documented_report() -> Any:
    """The example `--report` file in docs/cli.md: the shape users are told to rely on."""
    block = re.search(r"`--report report.json` writes the same as JSON:\n\n```json\n(.*?)```",
                      CLI_DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert block, "docs/cli.md no longer documents the --report file"
    return json.loads(block.group(1))


def test_the_json_report_holds_the_summary_and_every_diagnostic(site: Path, tmp_path: Path) -> None:
    broken = add_broken(site)
    result = run("export", site, "--to", "html,json", "-o", tmp_path / "out", "-j", "1",
                 "--report", tmp_path / "report.json")
    assert result.exit_code == 1
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    documented = documented_report()
    assert set(report) == set(documented)
    documented_job = documented["jobs"][0]
    assert all(set(job) == set(documented_job) for job in report["jobs"])
    assert {key for job in report["jobs"] for d in job["diagnostics"] for key in d} == set(
        documented_job["diagnostics"][0])
    assert set(report["totals"]) == set(documented["totals"])
    assert report["totals"] == {"done": 6, "skipped": 0, "failed": 2, "cancelled": 0}
    assert report["warnings"] == 2 and report["interrupted"] is False and report["pruned"] == []
    assert report["seconds"] > 0
    table = summary_rows(result.stderr)
    assert {name: [str(int(row[k])) for k in ("done", "skipped", "failed", "warnings")]
            for name, row in report["formats"].items()} == table
    assert all(set(row) == set(documented["formats"]["html"])
               for row in report["formats"].values())

    assert [(Path(j["source"]).name, j["format"], j["status"]) for j in report["jobs"]] == [
        (name, format, "failed" if name == "broken.md" else "done") for format in ("html", "json")
        for name in ("broken.md", "market-day.txt", "border-reopens.txt", "serbia-alert.txt")]
    for job in report["jobs"]:
        if job["status"] == "done":
            assert Path(job["output"]).read_bytes()  # every job reported done is on disk
        for raw in job["diagnostics"]:
            assert f"{Diagnostic(**raw)}" in result.stderr.splitlines()  # the same lines the terminal showed
    failure = next(j for j in report["jobs"] if j["status"] == "failed")["diagnostics"]
    assert failure == [{"level": "error", "code": "SourceError", "path": str(broken), "line": 2, "column": 17,
                        "message": "invalid YAML front matter: expected ',' or ']', but got '<stream end>'"}]
    undated = sorted(Path(d["path"]).name for j in report["jobs"] for d in j["diagnostics"]
                     if d["code"] == "feed.undated")
    assert undated == ["border-reopens.txt", "market-day.txt"]


# ---------------------------------------------------------------------------------------------- fail fast


@pytest.mark.parametrize("jobs", [1, 2], ids=["in-process", "pool"])
def test_fail_fast_cancels_what_has_not_run(site: Path, tmp_path: Path, jobs: int) -> None:
    add_broken(site, lines=400)  # the biggest source runs first
    report = pipeline.export([site], "json,html", tmp_path / "out", jobs=jobs, fail_fast=True)
    statuses = {(r.job.source.name, r.job.format): r.status for r in report.results}
    failed = {key for key, status in statuses.items() if status == "failed"}
    assert ("broken.md", "json") in failed and failed <= {("broken.md", "json"), ("broken.md", "html")}
    # a job a pool worker had already taken when the failure arrived finishes and is kept; nothing starts after
    ran = [r for r in report.results if r.status == "done"]
    assert len(ran) <= (0 if jobs == 1 else 2 * jobs - 1)
    assert {s for key, s in statuses.items() if key not in failed} <= {"cancelled", "done"}
    assert len(statuses) == 8 and not report.ok() and report.count("cancelled") >= 6 - len(ran)
    written = {p for p in (tmp_path / "out").rglob("*") if p.is_file() and p.name != MANIFEST_NAME}
    assert {r.job.output for r in ran} <= written
    assert not {r.job.output for r in report.results if r.status == "cancelled"} & written

    goes_on = pipeline.export([site], "json,html", tmp_path / "out", jobs=jobs)
    assert goes_on.count("done") == 6 - len(ran) and goes_on.count("skipped") == len(ran)
    assert goes_on.count("cancelled") == 0


def test_fail_fast_on_the_command_line_exits_1_and_says_what_was_cancelled(site: Path, tmp_path: Path) -> None:
    broken = add_broken(site, lines=400)
    result = run("export", site, "--to", "json", "-o", tmp_path / "out", "-j", "1", "--fail-fast",
                 "--report", tmp_path / "report.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{broken}:2:17: error: invalid YAML front matter" in result.stderr
    assert "0 written, 1 failed, 3 cancelled, 0 warnings" in result.stderr
    assert summary_rows(result.stderr) == {"json": ["0", "0", "4", "0"]}  # cancelled count as not done
    totals = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["totals"]
    assert totals == {"done": 0, "skipped": 0, "failed": 1, "cancelled": 3}


def test_fail_fast_also_stops_on_a_source_that_cannot_be_read(site: Path, tmp_path: Path) -> None:
    big, *small = sorted((site / f"{page}.txt" for page in PAGES), key=lambda p: -p.stat().st_size)
    assert big.stat().st_size > small[0].stat().st_size
    limits = Limits(source_bytes=big.stat().st_size - 1)  # refused when read, before any job renders
    report = pipeline.export([site], "json", tmp_path / "out", jobs=1, fail_fast=True, limits=limits)
    statuses = {r.job.source.name: r.status for r in report.results}
    assert statuses == {big.name: "failed", **{p.name: "cancelled" for p in small}}
    assert "sources are limited to" in report.failed[0].diagnostics[0].message
    assert not [p for p in tmp_path.joinpath("out").rglob("*.json") if p.name != MANIFEST_NAME]


# ------------------------------------------------------------------------------------------------ planning


def test_two_sources_for_one_output_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    desk = tmp_path / "src"
    desk.mkdir()
    (desk / "a.md").write_text("# Alpha\n\nFrom Markdown.\n", encoding="utf-8")
    (desk / "a.txt").write_text("Alpha\n\nFrom the wire.\n", encoding="utf-8")
    (desk / "b.md").write_text("# Beta\n\nFine on its own.\n", encoding="utf-8")
    result = run("export", desk, "--to", "html,json", "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 2
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith("error: ") and "would both write" in message, message
    assert f"{desk / 'a.md'}" in message and f"{desk / 'a.txt'}" in message
    assert not (tmp_path / "out").exists()  # not even b.md was rendered


@pytest.mark.parametrize(("option", "said"), [
    ("pdf.page_numbers=n-of-N", "pdf: page_numbers must be 'n', 'n of N' or 'none', not 'n-of-N'"),
    ("html.colour=red", "the html renderer has no option 'colour'")])
def test_a_bad_option_is_refused_once_before_anything_is_rendered_or_pruned(site: Path, tmp_path: Path, option: str,
                                                                            said: str) -> None:
    out = tmp_path / "out"
    assert run("export", site, "--to", "json", "-o", out, "-j", "1").exit_code == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    (site / "culture" / "market-day.txt").unlink()  # --prune would remove its output, were the run to start
    result = run("export", site, "--to", "json,html,pdf", "-o", out, "-j", "2", "--prune", "-O", option)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines()[0].startswith(f"error: {said}"), result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2  # once, not once per source
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_hidden_files_and_the_output_folder_inside_the_sources_are_skipped(site: Path, tmp_path: Path) -> None:
    (site / ".unpublished.md").write_text("# Embargoed\n\nNot before Monday.\n", encoding="utf-8")
    out = site / "public"
    first = run("export", site, "--to", "json", "-o", out, "-j", "1", "--report", tmp_path / "first.json")
    assert first.exit_code == 0, first.output
    # the second run finds the first run's JSON outputs inside the folder; they are outputs, not sources
    second = run("export", site, "--to", "json", "-o", out, "-j", "1", "--report", tmp_path / "second.json")
    assert second.exit_code == 0, second.output
    for name, status in (("first.json", "done"), ("second.json", "skipped")):
        jobs = json.loads((tmp_path / name).read_text(encoding="utf-8"))["jobs"]
        assert sorted((Path(j["source"]).relative_to(site).as_posix(), j["status"]) for j in jobs) == [
            (f"{page}.txt", status) for page in PAGES]
    assert sorted(tree(out)) == [f"{page}.json" for page in PAGES]
    assert "Embargoed" not in first.stderr + second.stderr


# ---------------------------------------------------------------------------------------------- executors


def test_any_executor_gives_byte_identical_output(site: Path, tmp_path: Path) -> None:
    local = pipeline.export([site], "html,docx,json", tmp_path / "local", jobs=1)
    with ThreadPoolExecutor(2) as threads:
        pooled = pipeline.export([site], "html,docx,json", tmp_path / "threads", executor=threads)
    assert local.ok() and pooled.ok() and pooled.count("done") == 9
    assert tree(tmp_path / "local") == tree(tmp_path / "threads")
    assert b"Serbia Puts Army on Alert" in tree(tmp_path / "threads")["world/serbia-alert.html"]


@pytest.mark.slow
def test_the_scheduler_option_runs_on_a_dask_cluster(site: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    local = run("export", site, "--to", "html,docx", "-o", tmp_path / "local", "-j", "1")
    assert local.exit_code == 0, local.output
    real_export, slots = pipeline.export, []

    def export(*args: Any, **kwargs: Any) -> pipeline.BatchReport:
        slots.append(kwargs["jobs"])
        return real_export(*args, **kwargs)

    monkeypatch.setattr(pipeline, "export", export)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=3, processes=True, dashboard_address=None)
    with cluster:
        remote = run("export", site, "--to", "html,docx", "-o", tmp_path / "dask",
                     "--scheduler", cluster.scheduler_address)
    assert remote.exit_code == 0, remote.output
    assert slots == [3]  # as many tasks at once as the cluster has threads, not this machine's CPU count
    assert summary_rows(remote.stderr) == {"html": ["3", "0", "0", "2"], "docx": ["3", "0", "0", "0"]}
    assert tree(tmp_path / "local") == tree(tmp_path / "dask")
    assert len(tree(tmp_path / "dask")) > 6


def test_an_unknown_scheduler_is_a_usage_error(site: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    result = run("export", site, "--to", "json", "-o", tmp_path / "out", "--scheduler", "nonsense://nowhere")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: cannot reach the Dask scheduler at nonsense://nowhere: ")
    assert not (tmp_path / "out").exists()


def test_a_cluster_without_workers_yet_gets_this_machines_cpu_count() -> None:
    from exporter.cli import _cluster_threads

    class Cluster:
        def __init__(self, threads: dict[str, int]) -> None:
            self.threads = threads

        def nthreads(self) -> dict[str, int]:
            return self.threads

    assert _cluster_threads(Cluster({"tcp://a:1": 4, "tcp://b:1": 8})) == 12
    assert _cluster_threads(Cluster({})) == (os.cpu_count() or 1)  # an adaptive cluster scaled to zero
