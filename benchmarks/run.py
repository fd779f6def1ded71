"""Batch benchmark: exporter against Pandoc on the shared generated corpus (a script, not a timed test).

Why each measurement runs in a fresh Python process: articles/s must include engine warm-up the way a user
pays it, and peak RSS must be per worker rather than the high-water mark of everything measured before.

    .venv/bin/python benchmarks/run.py --count 100            # the issue's corpus (seed 1)
    .venv/bin/python benchmarks/run.py --count 20 --formats html,docx,epub
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAKE_CORPUS = Path(os.environ.get("EXPORTER_CORPUS_SCRIPT", "/work/shared/bench/make_corpus.py"))
EXCLUDE = ["manifest.json", "images/*"]
FORMATS = ("html", "pdf", "epub", "docx")
PANDOC_ARGS = {"html": ["-t", "html5", "-s"], "docx": ["-t", "docx"], "epub": ["-t", "epub3"],
               "pdf": ["-t", "pdf", "--pdf-engine=weasyprint"]}


def child(spec: dict[str, object]) -> None:
    """One export in this fresh process; prints its timings as JSON (and WeasyPrint's own share for PDF)."""
    from exporter import pipeline
    from exporter.renderers import _pdf_engine

    floor: list[float] = []
    inner = _pdf_engine.write_pdf

    def timed(*args: object, **kwargs: object) -> bytes:
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            floor.append(time.perf_counter() - started)

    _pdf_engine.write_pdf = timed
    report = pipeline.export([str(spec["corpus"])], str(spec["formats"]), str(spec["out"]), jobs=int(str(spec["jobs"])),
                             exclude=EXCLUDE, force=bool(spec.get("force")))
    per_job = {f: [r.seconds for r in report.results if r.job.format == f and r.status == "done"]
               for f in str(spec["formats"]).split(",")}
    print(json.dumps({"seconds": report.seconds, "done": report.count("done"), "failed": len(report.failed),
                      "skipped": report.count("skipped"), "rss": list(report.worker_rss.values()),
                      "per_job": per_job, "weasyprint": floor,
                      "errors": [str(d) for r in report.failed for d in r.diagnostics][:5]}))


def run_child(corpus: Path, out: Path, formats: str, jobs: int, *, force: bool = False) -> dict[str, object]:
    """Run `child` in a new interpreter and return its JSON."""
    spec = {"corpus": str(corpus), "out": str(out), "formats": formats, "jobs": jobs, "force": force}
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          check=False, env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def pandoc_path() -> str | None:
    """Pandoc on PATH, else the one bundled with `pypandoc-binary`."""
    found = shutil.which("pandoc")
    if found:
        return found
    try:
        import pypandoc  # type: ignore[import-untyped]

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        return None


def run_pandoc(pandoc: str, sources: list[Path], format: str, jobs: int, out: Path) -> float:
    """Articles per second, one Pandoc process per file as its users run it, `jobs` at a time."""
    out.mkdir(parents=True, exist_ok=True)
    suffix = {"html": ".html", "docx": ".docx", "epub": ".epub", "pdf": ".pdf"}[format]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    def one(source: Path) -> None:
        subprocess.run([pandoc, source.name, *PANDOC_ARGS[format], "-o", str(out / (source.stem + suffix))],
                       cwd=source.parent, env=env, capture_output=True, check=False)

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, sources))
    return len(sources) / (time.perf_counter() - started)


def measure(corpus: Path, work: Path, formats: str, count: int, pandoc: str | None, *,
            repeat: int = 3) -> dict[str, object]:
    """Every number of one table: throughput at 1 and 2 jobs, memory, rebuilds, Pandoc and the WeasyPrint floor.

    Throughputs are medians of `repeat` runs, ours and Pandoc's taken in turn, so a slow spell on a shared
    machine lands on both sides of a ratio rather than on one run of one of them.
    """
    samples: dict[str, list[float]] = {}
    peak_rss = {1: 0, 2: 0}
    ours_pdf: list[float] = []
    floor: list[float] = []
    outs = {jobs: work / f"out-{formats.replace(',', '-')}-{jobs}" for jobs in (1, 2)}
    sources = sorted(corpus.glob("*.md"))
    for _ in range(repeat):
        for jobs, out in outs.items():
            shutil.rmtree(out, ignore_errors=True)
            result = run_child(corpus, out, formats, jobs)
            if result["failed"]:
                print(f"warning: {result['failed']} failed jobs: {result['errors']}", file=sys.stderr)
            samples.setdefault(f"rate{jobs}", []).append(count / float(str(result["seconds"])))
            peak_rss[jobs] = max([peak_rss[jobs], *map(int, result["rss"])])  # type: ignore[call-overload]
            if jobs == 1:
                per_job: dict[str, list[float]] = result["per_job"]  # type: ignore[assignment]
                ours_pdf.extend(per_job.get("pdf", []))
                floor.extend(result["weasyprint"])  # type: ignore[arg-type]
            if pandoc:
                started = time.perf_counter()
                for format in formats.split(","):
                    run_pandoc(pandoc, sources, format, jobs, work / f"pandoc-{format}-{jobs}")
                samples.setdefault(f"pandoc{jobs}", []).append(count / (time.perf_counter() - started))
    row: dict[str, object] = {name: statistics.median(values) for name, values in samples.items()}
    row.update(runs=repeat, rss1=peak_rss[1], rss2=peak_rss[2])
    if ours_pdf and floor:
        row["pdf_ours"] = statistics.median(ours_pdf)
        row["pdf_floor"] = statistics.median(floor)
        row["pdf_floor_rate"] = 1 / statistics.fmean(floor)  # articles/s if only WeasyPrint's own work took time
    noop = run_child(corpus, outs[2], formats, 2)
    row["noop"] = float(str(noop["seconds"]))
    victim = sources[count // 2]
    original = victim.read_bytes()
    victim.write_bytes(original + b"\nOne more paragraph for the rebuild benchmark.\n")
    try:
        one = run_child(corpus, outs[2], formats, 2)
    finally:
        victim.write_bytes(original)
    row["one"] = float(str(one["seconds"]))
    return row


def compile_package() -> None:
    """Compile the package's bytecode, as installing a wheel does: with PYTHONDONTWRITEBYTECODE set (as on
    this machine) an editable install would compile every module it imports again in every timed process,
    the renderers' lazy imports inside the timed export included."""
    import exporter as package

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(package.__file__).parent)], check=True)


def startup(corpus: Path, work: Path, runs: int = 7) -> dict[str, float]:
    """Median wall time of `exporter --help` and of a cold one-article HTML export, each a fresh process."""
    exporter = [sys.executable, "-m", "exporter"]
    article = sorted(corpus.glob("*.md"))[0]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    times: dict[str, list[float]] = {"help": [], "single": []}
    for run in range(runs):
        started = time.perf_counter()
        subprocess.run([*exporter, "--help"], capture_output=True, check=True, env=env)
        times["help"].append(time.perf_counter() - started)
        out = work / f"single-{run}"
        started = time.perf_counter()
        subprocess.run([*exporter, "export", str(article), "--to", "html", "-o", str(out), "-q"],
                       capture_output=True, check=True, env=env)
        times["single"].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def print_startup(times: dict[str, float]) -> None:
    """The start-up table."""
    from rich.console import Console
    from rich.table import Table

    table = Table("measure", "median wall time", title="start-up (fresh process each, 7 runs)")
    table.add_row("exporter --help", f"{times['help']:.3f} s")
    table.add_row("one-article HTML export, cold", f"{times['single']:.3f} s")
    Console(width=110).print(table)


def print_tables(rows: dict[str, dict[str, object]], count: int) -> None:
    """One rich table per format set."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=110)
    for name, row in rows.items():
        table = Table("measure", "exporter", "Pandoc", "ratio",
                      title=f"{name} — {count} articles (medians of {row['runs']} runs)")

        def ratio(ours: float, theirs: object) -> str:
            return f"{ours / float(str(theirs)):.2f}×" if theirs else "–"

        for jobs in (1, 2):
            rate = float(str(row[f"rate{jobs}"]))
            theirs = row.get(f"pandoc{jobs}")
            table.add_row(f"articles/s, --jobs {jobs}", f"{rate:.2f}", f"{float(str(theirs)):.2f}" if theirs else "–",
                          ratio(rate, theirs))
        table.add_row("scaling --jobs 2 / --jobs 1", f"{float(str(row['rate2'])) / float(str(row['rate1'])):.2f}×",
                      "", "")
        table.add_row("peak RSS per worker (jobs 1 / 2)",
                      f"{int(str(row['rss1'])) / 2**20:.0f} / {int(str(row['rss2'])) / 2**20:.0f} MB", "", "")
        table.add_row("no-op rebuild", f"{float(str(row['noop'])):.3f} s", "", "")
        table.add_row("one source changed", f"{float(str(row['one'])):.3f} s", "", "")
        if "pdf_floor" in row:
            ours, floor = float(str(row["pdf_ours"])), float(str(row["pdf_floor"]))
            table.add_row("PDF s/article (median) vs WeasyPrint alone", f"{ours:.3f}", f"{floor:.3f} (WeasyPrint)",
                          f"{ours / floor:.2f}×")
        if "pdf_floor_rate" in row:
            # The ceiling of any PDF path through WeasyPrint: its own time on every article, nothing else; with
            # two processes (all four formats) as if they split it perfectly and the other formats were free.
            jobs = 1 if name == "pdf" else 2
            ceiling, theirs = jobs * float(str(row["pdf_floor_rate"])), row.get(f"pandoc{jobs}")
            table.add_row(f"ceiling: WeasyPrint's own PDF time only, articles/s, --jobs {jobs}", f"{ceiling:.2f}",
                          f"{float(str(theirs)):.2f}" if theirs else "–", ratio(ceiling, theirs))
        console.print(table)


def main() -> None:
    """Parse arguments, build the corpus, measure each format and all four together, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=100, help="articles in the corpus (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--formats", default=",".join(FORMATS), help="formats to measure one by one")
    parser.add_argument("--repeat", type=lambda text: max(1, int(text)), default=3,
                        help="runs per throughput, ours and Pandoc's in turn; the tables show medians (default 3)")
    parser.add_argument("--no-all", action="store_true", help="skip the all-formats-together table")
    parser.add_argument("--no-pandoc", action="store_true", help="skip the Pandoc comparison")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up table")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    compile_package()
    pandoc = None if args.no_pandoc else pandoc_path()
    if not pandoc and not args.no_pandoc:
        print("Pandoc not found (PATH or pypandoc-binary): no comparison", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="exporter-bench-") as temporary:
        work = Path(temporary)
        corpus = work / "corpus"
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(corpus), "--count", str(args.count), "--seed",
                        str(args.seed), "-q"], check=True)
        rows: dict[str, dict[str, object]] = {}
        sets = [f for f in args.formats.split(",") if f] + ([] if args.no_all else [",".join(FORMATS)])
        for formats in sets:
            print(f"measuring {formats} …", file=sys.stderr)
            rows["all four" if formats == ",".join(FORMATS) else formats] = measure(corpus, work, formats,
                                                                                 args.count, pandoc, repeat=args.repeat)
        print_tables(rows, args.count)
        if not args.no_startup:
            print_startup(startup(corpus, work))
        if pandoc:
            version = subprocess.run([pandoc, "--version"], capture_output=True, text=True, check=False)
            print(f"Pandoc: {version.stdout.splitlines()[0] if version.stdout else pandoc}")


if __name__ == "__main__":
    main()
