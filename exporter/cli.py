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

if TYPE_CHECKING:
    from exporter.diagnostics import Diagnostic
    from exporter.model import Article, Block, Inline

P = ParamSpec("P")
R = TypeVar("R")
USAGE_ERRORS = (UnknownFormatError, OptionError, ThemeError, FormatUnavailable)


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
@handles_errors
def export(sources: tuple[Path, ...], formats: str, out_dir: Path, theme: str, reader: str | None,
           combine: bool, strict: bool, quiet: bool) -> None:
    """Export SOURCES (files or folders) to the given formats."""
    from exporter import pipeline

    if combine and not all(s.is_dir() for s in sources):
        raise OptionError("--combine takes folders (each becomes one book or issue)")
    report = pipeline.export(sources, formats, out_dir, theme=theme, combine=combine, reader=reader)
    for result in report.results:
        print_diagnostics(result.diagnostics)
        if not quiet and result.status == "done":
            click.echo(f"wrote {result.job.output}")
    done = sum(r.status == "done" for r in report.results)
    if not quiet or report.failed:
        click.echo(f"{done} written, {len(report.failed)} failed, {len(report.warnings)} warnings", err=True)
    if not report.ok(strict=strict):
        sys.exit(1)


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON instead of a tree.")
@click.option("--from", "reader", default=None, help="Reader to use instead of guessing from the suffix.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@handles_errors
def inspect(source: Path, as_json: bool, reader: str | None, strict: bool) -> None:
    """Show how SOURCE was understood: the model as a tree, or JSON."""
    from exporter.diagnostics import Report
    from exporter.loader import load
    from exporter.model_json import to_json

    report = Report(path=str(source))
    article = load(source, format=reader, report=report)
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


@main.command()
def schema() -> None:
    """Print the JSON Schema of the article model."""
    import json

    from exporter.model_json import json_schema

    click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
