"""The `exporter` command: the only module that prints or exits.

Exit codes: 0 success; 1 when a source could not be read or rendered (with `--strict`, also any warning);
2 for usage errors (unknown option, format or theme, missing path). Tracebacks appear only with `--debug`.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar

import click

from exporter import __version__
from exporter.errors import (
    ExporterError,
    FormatUnavailable,
    OptionError,
    ThemeError,
    UnknownFormatError,
)
from exporter.limits import Limits

if TYPE_CHECKING:
    from exporter.diagnostics import Diagnostic
    from exporter.model import Article, Block, Inline
    from exporter.validate import CheckReport

P = ParamSpec("P")
R = TypeVar("R")
USAGE_ERRORS = (UnknownFormatError, OptionError, ThemeError, FormatUnavailable)
limit_option = click.option(
    "--limit", "limit_pairs", multiple=True, metavar="NAME=VALUE",
    help="Change an input limit (repeatable; k/M/G or KiB/MiB/GiB suffixes). Names and defaults: "
         + ", ".join(f"{name}={getattr(Limits(), name)}" for name in Limits.names()) + ".")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn an `ExporterError` into a one-line message and the right exit code, unless `--debug`."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ExporterError as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            where = exc.location()
            _fail(f"{where}: error: {exc.message}" if where else f"error: {exc.message}",
                  2 if isinstance(exc, USAGE_ERRORS) else 1)

    return wrapper


def print_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    """`path:line:col: level: message [code]`, one a line, on stderr."""
    for diagnostic in diagnostics:
        click.echo(str(diagnostic), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="exporter")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors (for bug reports).")
def main(debug: bool) -> None:
    """Export articles to print-ready PDF, EPUB 3, DOCX and syndication HTML from one source."""


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--to", "formats", required=True, help="Formats, comma-separated (html,pdf,epub,docx,json) or 'all'.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Output folder; folders given as sources are mirrored below it.")
@click.option("--theme", default="default", show_default=True, help="Theme name or folder.")
@click.option("--from", "reader", default=None, help="Reader to use instead of guessing from the suffix.")
@click.option("--combine", is_flag=True, help="Render each folder given as one collection (book, issue).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("--check", "run_check", is_flag=True, help="Validate what was written (as `exporter check`).")
@click.option("--site-url", default="", help="Where the output folder will be published (canonical URLs, feeds).")
@click.option("--page-size", default=None, help="PDF: A4, A5, Letter, US-Trade, Royal or 'WIDTH HEIGHT' [theme].")
@click.option("--bleed", default=None, help="PDF: bleed beyond the trim, e.g. 3mm [theme].")
@click.option("--marks", default=None, help="PDF: printer's marks, e.g. 'crop cross' [theme].")
@click.option("--columns", type=click.IntRange(1, 4), default=None, help="PDF: text columns [theme].")
@click.option("--page-numbers", type=click.Choice(["n", "n of N", "none"]), default=None, help="PDF: folio style.")
@click.option("--pdf-variant", type=click.Choice(["pdf/a-3b", "pdf/a-2b", "pdf/ua-1"]), default=None,
              help="PDF: standard to meet.")
@click.option("--embed-fonts/--no-embed-fonts", default=True, show_default=True,
              help="EPUB: embed the theme's fonts, subset to the characters used.")
@click.option("--fragment", is_flag=True, help="HTML: write the article body only, for partners' own pages.")
@click.option("--allow-remote", is_flag=True,
              help="Fetch http(s) images named in sources (public addresses only, 10 s, size-limited).")
@limit_option
@click.option("--allow-private-network", is_flag=True,
              help="With --allow-remote, also fetch from loopback, link-local and private addresses.")
@click.option("-O", "--option", "raw_options", multiple=True, metavar="FORMAT.NAME=VALUE",
              help="Any renderer option, e.g. -O html.css=link (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes [CPU count]; 1 renders in this process. With --scheduler: tasks running at "
                   "once on the cluster [its worker threads].")
@click.option("--include", multiple=True, metavar="GLOB", help="Only folder files matching (e.g. 'world/*.md').")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip folder files matching (e.g. 'draft-*').")
@click.option("--force", is_flag=True, help="Rebuild everything, even what the manifest says is unchanged.")
@click.option("--prune", is_flag=True, help="Remove outputs whose source is gone.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed job.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=300.0, show_default=True,
              help="Seconds one job may take before it is ended and reported as failed.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the batch report as JSON to this file.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run the jobs on a Dask distributed cluster, e.g. tcp://host:8786.")
@handles_errors
def export(sources: tuple[Path, ...], formats: str, out_dir: Path, theme: str, reader: str | None,  # noqa: PLR0917
           combine: bool, strict: bool, quiet: bool, run_check: bool, site_url: str, page_size: str | None,
           bleed: str | None, marks: str | None, columns: int | None, page_numbers: str | None,
           pdf_variant: str | None, embed_fonts: bool, fragment: bool, raw_options: tuple[str, ...],
           limit_pairs: tuple[str, ...], allow_remote: bool, allow_private_network: bool,
           jobs: int | None, include: tuple[str, ...], exclude: tuple[str, ...], force: bool, prune: bool,
           fail_fast: bool, timeout: float, report_path: Path | None, scheduler: str | None) -> None:
    """Export SOURCES (files or folders) to the given formats, skipping what has not changed since last time."""
    import contextlib
    import os

    from exporter import pipeline
    from exporter._cli_batch import BatchDisplay, print_summary

    pdf = {"page_size": page_size, "bleed": bleed, "marks": marks, "columns": columns,
           "page_numbers": page_numbers, "variant": pdf_variant}
    options: dict[str, dict[str, object]] = {"pdf": {k: v for k, v in pdf.items() if v is not None}}
    if not embed_fonts:
        options["epub"] = {"embed_fonts": False}
    if fragment:
        options["html"] = {"mode": "fragment"}
    for item in raw_options:
        key, sep, value = item.partition("=")
        format, dot, name = key.partition(".")
        if not sep or not dot:
            raise OptionError(f"-O takes FORMAT.NAME=VALUE, not {item!r}")
        options.setdefault(format, {})[name] = _option_value(value)

    if allow_private_network and not allow_remote:
        raise OptionError("--allow-private-network only widens --allow-remote; give both")
    if combine and not all(s.is_dir() for s in sources):
        raise OptionError("--combine takes folders (each becomes one book or issue)")
    if site_url and not site_url.startswith(("http://", "https://")):
        raise OptionError(f"--site-url must be an http(s) URL, not {site_url!r}")
    limits = Limits.from_pairs(limit_pairs)
    with contextlib.ExitStack() as stack:
        executor = None
        if scheduler:
            try:
                from distributed import Client
            except ImportError:
                raise OptionError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
            try:
                client = stack.enter_context(Client(scheduler, timeout=30))  # type: ignore[no-untyped-call]
            except (OSError, ValueError) as exc:  # ValueError: an address distributed cannot parse
                raise OptionError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
            executor = client.get_executor()
            jobs = jobs or _cluster_threads(client)
        display = stack.enter_context(BatchDisplay(quiet=quiet))
        report = pipeline.export(sources, formats, out_dir, theme=theme, combine=combine, reader=reader,
                                 site_url=site_url, options=options, jobs=jobs or os.cpu_count() or 1,
                                 executor=executor, include=include, exclude=exclude, force=force, prune=prune,
                                 fail_fast=fail_fast, timeout=timeout, progress=display,
                                 allow_remote=allow_remote, allow_private_network=allow_private_network,
                                 limits=limits)
    print_summary(report, quiet=quiet)
    if report_path is not None:
        from exporter.atomic import write_atomically

        write_atomically(report_path, report.to_json().encode("utf-8"))
    if report.interrupted:
        sys.exit(130)
    checked_ok = True
    if run_check:
        from exporter.validate import check as run_checks
        from exporter.validate import detect_format

        written = [r.job.output for r in report.results
                   if r.status != "failed" and r.job.output.exists() and detect_format(r.job.output)]
        if out_dir.is_dir():  # the pipeline writes feeds next to the pages, outside any job
            written += sorted(p for p in out_dir.iterdir() if p.is_file() and detect_format(p) == "feed")
        checked = run_checks(written, strict=strict)
        _print_check(checked, "text")
        checked_ok = checked.ok()
    if not report.ok(strict=strict) or not checked_ok:
        sys.exit(1)


def _cluster_threads(client: Any) -> int:
    """The cluster's worker threads when the batch starts: the tasks it can run at once (a 2-core laptop
    driving a 64-core cluster must keep 64 tasks running, not its own CPU count). A cluster with no worker
    yet (an adaptive one scaled to zero) gets this machine's CPU count; `--jobs` says more."""
    import os

    threads: dict[str, int] = client.nthreads()
    return sum(threads.values()) or os.cpu_count() or 1


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--to", "formats", required=True, help="Formats, comma-separated (html,pdf,epub,docx,json) or 'all'.")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Output folder; folders given as sources are mirrored below it.")
@click.option("--theme", default="default", show_default=True, help="Theme name or folder (watched when a folder).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (1 is fastest for one saved file).")
@click.option("--include", multiple=True, metavar="GLOB", help="Only folder files matching.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip folder files matching.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@handles_errors
def watch(sources: tuple[Path, ...], formats: str, out_dir: Path, theme: str, jobs: int,  # noqa: PLR0917
          include: tuple[str, ...], exclude: tuple[str, ...], quiet: bool) -> None:
    """Export SOURCES, then re-export what changed whenever a file is saved (Ctrl-C to stop)."""
    import functools

    from exporter import pipeline
    from exporter._cli_batch import BatchDisplay, print_summary
    from exporter.watch import watch as run_watch

    watched = [*sources, *([Path(theme)] if Path(theme).is_dir() else [])]
    if not quiet:
        click.echo(f"watching {', '.join(map(str, watched))} → {out_dir} (Ctrl-C to stop)", err=True)
    export = functools.partial(pipeline.export, sources, formats, out_dir, theme=theme, jobs=jobs, include=include,
                               exclude=exclude)

    def run() -> pipeline.BatchReport:
        with BatchDisplay(quiet=quiet, list_written=True) as display:  # which files a save rewrote
            return export(progress=display)

    run_watch(watched, run, out_dir, on_report=lambda report: print_summary(report, quiet=quiet))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A table (with every problem on stderr) or one JSON report with each tool's message ids.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--deep", is_flag=True, help="Also run slow checks (LibreOffice converts every DOCX).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Validators run at once [CPU count].")
@handles_errors
def check(paths: tuple[Path, ...], output_format: str, strict: bool, deep: bool, jobs: int | None) -> None:
    """Validate output files or folders with EPUBCheck, Ace, vnu, our own rules and a metadata parity check."""
    from exporter.validate import check as run_checks

    report = run_checks(paths, strict=strict, deep=deep, jobs=jobs)
    _print_check(report, output_format)
    if not report.ok():
        sys.exit(1)


def _print_check(report: CheckReport, output_format: str) -> None:
    """JSON on stdout, or every problem on stderr and one table (file, format, validator, counts, time)."""
    if output_format == "json":
        click.echo(report.to_json())
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Column, Table

    print_diagnostics(d for d in report.diagnostics if d.level != "info")
    table = Table(Column("file", overflow="fold"), "format", "validator", "errors", "warnings", "time")
    for outcome in report.outcomes:
        errors = f"[red]{outcome.errors}[/]" if outcome.errors else "0"
        warnings = f"[yellow]{outcome.warnings}[/]" if outcome.warnings else "0"
        table.add_row(escape(outcome.path), outcome.format, outcome.validator, errors, warnings,
                      f"{outcome.seconds:.2f}s")
    console = Console()
    console.print(table)
    timings = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in sorted(report.timings.items()))
    verdict = "[green]passed[/]" if report.ok() else "[red]failed[/]"
    console.print(f"{verdict}: {report.errors} errors, {report.warnings} warnings ({timings or 'nothing checked'})")


def _option_value(text: str) -> object:
    """`-O` values: true/false, whole numbers, else text."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on", "false", "no", "off"):
        return lowered in ("true", "yes", "on")
    return int(text) if text.strip().lstrip("-").isdigit() else text


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON instead of a tree.")
@click.option("--from", "reader", default=None, help="Reader to use instead of guessing from the suffix.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@limit_option
@handles_errors
def inspect(source: Path, as_json: bool, reader: str | None, strict: bool, limit_pairs: tuple[str, ...]) -> None:
    """Show how SOURCE was understood: the model as a tree, or JSON."""
    from exporter.diagnostics import Report
    from exporter.loader import load
    from exporter.model_json import to_json

    report = Report(path=str(source))
    article = load(source, format=reader, report=report, limits=Limits.from_pairs(limit_pairs))
    print_diagnostics(report)
    if as_json:
        click.echo(to_json(article), nl=False)
    else:
        from rich.console import Console

        Console().print(_tree(article))
    if strict and report.warnings:
        sys.exit(1)


def _tree(article: Article) -> Any:
    from rich.markup import escape
    from rich.tree import Tree

    from exporter.model import inline_text

    meta = article.metadata
    root = Tree(f"[bold]{escape(meta.title)}[/] [dim]({meta.language}, {article.word_count} words)[/]")
    for name in ("subtitle", "kicker", "dateline", "date", "section", "slug", "canonical_url"):
        value = getattr(meta, name)
        if value:
            root.add(f"[cyan]{name}[/] {escape(str(value))}")
    for person in meta.authors:
        root.add(f"[cyan]{person.role}[/] {escape(person.name)}")

    def add(tree: Tree, blocks: tuple[Block, ...]) -> None:
        for block in blocks:
            label = f"[green]{block.tag}[/]"
            text = inline_text(_inlines(block))
            node = tree.add(f"{label} {escape(text[:80])}{'…' if len(text) > 80 else ''}")
            children = [b for b in (getattr(block, "blocks", ()) or ()) if b]
            for item in getattr(block, "items", ()) or ():
                children.extend(getattr(item, "blocks", ()))
            add(node, tuple(children))

    add(root.add("[bold]body[/]"), article.blocks)
    return root


def _inlines(block: Block) -> tuple[Inline, ...]:
    for name in ("children", "caption", "links", "attribution"):
        value = getattr(block, name, None)
        if value:
            return tuple(value)
    return ()


@main.command()
@handles_errors
def formats() -> None:
    """List output formats and whether each can run here."""
    from exporter.registry import READERS, RENDERERS

    for name in RENDERERS.names():
        reason = RENDERERS.availability(name)
        state = "available" if not reason else f"unavailable: {reason}"
        suffix = getattr(RENDERERS.load(name), "suffix", "") if not reason else ""
        click.echo(f"{name:8} {suffix:7} {state}")
    click.echo("readers: " + ", ".join(READERS.names()))


@main.group(invoke_without_command=True)
@click.pass_context
@handles_errors
def themes(ctx: click.Context) -> None:
    """List themes with their descriptions."""
    if ctx.invoked_subcommand is None:
        from exporter.themes import theme_names

        for name, description in theme_names().items():
            click.echo(f"{name:12} {description}")


_THEME_TOML = """[theme]
name = "{name}"
description = "{name}: a child of default."
extends = "default"

# Everything not set here is inherited from "default": tokens, templates/, css/, fonts/ and assets/.
# Uncomment a token to change it. A stylesheet at the same relative path (e.g. css/web.css) is added after
# the parent's, so it holds only the rules you change; any other file (e.g. templates/_header.html.j2)
# replaces the parent's copy of that one file.

# [tokens.colours]
# accent = "#1f5fa8"
# text = "#1a1a1a"
# muted = "#5f5f5f"

# [tokens.fonts]
# text = "Noto Serif"        # a family declared by a [[fonts]] entry here or in the parent theme
# headings = "Noto Serif"

# [tokens.sizes]
# base = "11pt"
# scale = 1.25
# line_height = 1.5

# [tokens.spacing]
# measure = "36em"

# [tokens.page]
# size = "A4"                # A4, A5, Letter, US-Trade, Royal or "WIDTH HEIGHT"
# columns = 1

# To ship a font (OFL, with its licence text under fonts/):
# [[fonts]]
# family = "My Sans"
# file = "fonts/MySans-Regular.ttf"
# weight = 400
# style = "normal"
"""


@themes.command("new")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path(),
              show_default=True, help="Folder to create the theme in.")
@handles_errors
def themes_new(name: str, parent: Path) -> None:
    """Scaffold a child theme NAME (extends default) that renders at once; use it with --theme PATH."""
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise OptionError(f"theme name {name!r}: use letters, digits, '-' and '_'")
    folder = parent / name
    if folder.exists():
        raise OptionError(f"{folder} already exists; choose another name or --dir")
    for sub in ("templates", "css", "fonts", "assets"):
        (folder / sub).mkdir(parents=True)
    (folder / "theme.toml").write_text(_THEME_TOML.format(name=name), encoding="utf-8")
    from exporter.themes import Theme

    Theme.load(folder.resolve())
    click.echo(f"created {folder} — try: exporter export SOURCE --to html --theme {folder}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the article model."""
    import json

    from exporter.model_json import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback unless you mean it.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--max-concurrent", type=click.IntRange(min=1), default=4, show_default=True,
              help="Renders at once; further requests get 503 immediately.")
@click.option("--max-body", type=click.IntRange(min=1), default=20 * 1024 * 1024, show_default=True,
              help="Largest request body in bytes.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Seconds one render may take.")
def serve(host: str, port: int, max_concurrent: int, max_body: int, timeout: float) -> None:
    """Serve the renderer over HTTP (POST /render, GET /formats, /themes, /healthz, /openapi.json)."""
    try:
        from exporter.service import Limits
        from exporter.service import serve as run
    except ImportError as exc:
        _fail(f"error: the HTTP service needs the 'serve' extra (pip install 'exporter[serve]'): {exc}", 2)
    run(host, port, Limits(max_body=max_body, timeout=timeout, max_concurrent=max_concurrent))

if __name__ == "__main__":  # pragma: no cover
    main()
