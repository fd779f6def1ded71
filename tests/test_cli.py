"""The `exporter` command, driven as users drive it: messages, exit codes, and what it writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

import exporter
from exporter.cli import main
from exporter.loader import load
from exporter.model import Article, Heading, Paragraph, RelatedLinks, inline_text
from exporter.model_json import from_json

TESTS = Path(__file__).parent
WIRE = TESTS / "readers" / "fixtures" / "plaintext" / "nato-kosovo-wire.txt"
NO_TITLE = TESTS / "readers" / "fixtures" / "plaintext" / "no-title.txt"
META = TESTS / "readers" / "fixtures" / "meta"
ENCODINGS = TESTS / "readers" / "fixtures" / "encodings"
SITE = TESTS / "fixtures" / "site"
RELATED = "UK Government Covering Up For Boris Johnson In Covid-19 Probe"

# Every source a user can get wrong, with where the CLI must say the fault is.
BROKEN = [
    (META / "invalid-yaml.txt", "5:5", "invalid YAML front matter"),
    (META / "list-front-matter.txt", "2:1", "front matter must be a mapping"),
    (META / "impossible-date.txt", "4:7", "invalid date in front matter"),
    (META / "unsafe-tag.txt", "3:10", "unsafe or unknown YAML tag"),
    (META / "invalid-toml.txt", "3:11", "invalid TOML front matter"),
    (META / "bad-language.txt", "4", "not a valid BCP 47 language tag"),
    (META / "bad-isbn.txt", "4", "is not a valid ISBN"),
    (META / "billion-laughs.txt", "7:1", "front matter expands to more than"),
    (META / "unclosed.txt", "1:1", "is never closed"),
    (ENCODINGS / "empty.txt", "", "the file is empty: nothing to export"),
    (ENCODINGS / "photo.md", "", "this is a binary file, not text: nothing to export"),
]
BROKEN_IDS = [path.name for path, _, _ in BROKEN]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def run_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "exporter", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def check_wire_json(text: str) -> None:
    data = json.loads(text)
    blocks = data["blocks"]
    headings = [b for b in blocks if b["type"] == "heading"]
    assert [[c["text"] for c in h["children"]] for h in headings] == [["Beijing Backs Belgrade"]]
    paragraphs = [" ".join(c["text"] for c in b["children"]) for b in blocks if b["type"] == "paragraph"]
    assert len(paragraphs) == 16
    assert not any("READ ALSO" in p for p in paragraphs)
    related = [b for b in blocks if b["type"] == "related_links"]
    assert len(related) == 1
    assert [[c["text"] for c in link["children"]] for link in related[0]["links"]] == [[RELATED]]
    article = from_json(text)
    assert isinstance(article, Article)
    assert article == load(WIRE)


# -------------------------------------------------------------------------------------------- inspect


def test_inspect_json_shows_the_wire_story_structure() -> None:
    result = run("inspect", WIRE, "--json")
    assert result.exit_code == 0, result.output
    check_wire_json(result.stdout)
    assert result.stderr == (
        f"{WIRE}: warning: no title in front matter or text; using the file name "
        "'nato kosovo wire' [meta.no-title]\n"
    )


def test_inspect_json_in_a_real_process() -> None:
    done = run_process("inspect", WIRE, "--json")
    assert done.returncode == 0, done.stderr
    check_wire_json(done.stdout)
    assert "[meta.no-title]" in done.stderr
    assert "Traceback" not in done.stderr


def test_inspect_tree_names_every_block() -> None:
    result = run("inspect", WIRE)
    assert result.exit_code == 0
    assert "Beijing Backs Belgrade" in result.stdout
    assert result.stdout.count("paragraph ") == 16
    assert "related_links" in result.stdout
    assert "heading" in result.stdout


@pytest.mark.parametrize(("path", "where", "message"), BROKEN, ids=BROKEN_IDS)
def test_broken_sources_exit_1_with_a_located_message(path: Path, where: str, message: str) -> None:
    result = run("inspect", path)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    prefix = f"{path}:{where}: error: " if where else f"{path}: error: "
    assert result.stderr.startswith(prefix)
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("path", "where", "message"),
    [
        b
        for b in BROKEN
        if b[0].name
        in (
            "invalid-yaml.txt",
            "list-front-matter.txt",
            "impossible-date.txt",
            "unsafe-tag.txt",
            "empty.txt",
            "photo.md",
        )
    ],
    ids=lambda v: v.name if isinstance(v, Path) else "",
)
def test_broken_sources_in_a_real_process(path: Path, where: str, message: str) -> None:
    done = run_process("inspect", path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    location = re.escape(f"{path}:{where}" if where else str(path))
    assert re.fullmatch(f"{location}: error: [^\n]*{re.escape(message)}[^\n]*\n", done.stderr)
    assert done.stdout == ""


@pytest.mark.parametrize(("path", "where", "message"), BROKEN, ids=BROKEN_IDS)
def test_export_reports_broken_sources_and_exits_1(
    tmp_path: Path, path: Path, where: str, message: str
) -> None:
    result = run("export", path, "--to", "json", "-o", tmp_path)
    assert result.exit_code == 1
    prefix = f"{path}:{where}: error: " if where else f"{path}: error: "
    assert result.stderr.startswith(prefix)
    assert message in result.stderr
    assert "0 written, 1 failed" in result.stderr
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_debug_shows_the_traceback() -> None:
    done = run_process("--debug", "inspect", META / "impossible-date.txt")
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "exporter.errors.SourceError" in done.stderr
    assert "day is out of range for month" in done.stderr


# ---------------------------------------------------------------------------------------- usage errors


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run("export", WIRE, "--to", "nope", "-o", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown format 'nope' (known: ")
    assert "json" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_theme_is_a_usage_error(tmp_path: Path) -> None:
    result = run("export", WIRE, "--to", "json", "--theme", "no-such-theme", "-o", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown theme 'no-such-theme'")
    assert list(tmp_path.iterdir()) == []


def test_unknown_reader_is_a_usage_error(tmp_path: Path) -> None:
    result = run("export", WIRE, "--to", "json", "--from", "rtf", "-o", tmp_path)
    assert result.exit_code == 2
    assert "unknown reader 'rtf'" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["inspect", "missing.txt"],
        ["export", "missing.txt", "--to", "json"],
        ["export", "--to", "json"],
        ["frobnicate"],
        ["inspect", "--bogus", "x"],
    ],
)
def test_missing_paths_and_bad_usage_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_missing_path_in_a_real_process(tmp_path: Path) -> None:
    done = run_process("export", tmp_path / "missing.txt", "--to", "json", "-o", tmp_path)
    assert done.returncode == 2
    assert "does not exist" in done.stderr
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------------------------------- warnings


def test_warnings_pass_without_strict_and_fail_with_it(tmp_path: Path) -> None:
    relaxed = run("export", NO_TITLE, "--to", "json", "-o", tmp_path / "relaxed")
    assert relaxed.exit_code == 0
    assert f"{NO_TITLE}: warning: " in relaxed.stderr
    assert "[meta.no-title]" in relaxed.stderr
    assert "1 written, 0 failed, 1 warnings" in relaxed.stderr

    strict = run("export", NO_TITLE, "--to", "json", "-o", tmp_path / "strict", "--strict")
    assert strict.exit_code == 1
    assert "[meta.no-title]" in strict.stderr
    assert (tmp_path / "strict" / "no-title.json").exists()  # written, but the run failed


def test_inspect_strict() -> None:
    assert run("inspect", NO_TITLE, "--json").exit_code == 0
    assert run("inspect", NO_TITLE, "--json", "--strict").exit_code == 1
    assert run("inspect", SITE / "world" / "serbia-alert.txt", "--strict").exit_code == 0


def test_encoding_warnings_are_printed_with_their_line() -> None:
    result = run("inspect", ENCODINGS / "control-characters.txt", "--json")
    assert result.exit_code == 0
    assert result.stderr.startswith(
        f"{ENCODINGS / 'control-characters.txt'}:3:54: warning: removed 4 control"
    )
    assert result.stderr.rstrip().endswith("[source.control-characters]")


# --------------------------------------------------------------------------------------------- export


def test_export_folder_mirrors_the_tree_and_json_loads_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", SITE, "--to", "json", "-o", out)
    assert result.exit_code == 0, result.output
    # the incremental manifest is a hidden file; every other file is an output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                     if p.is_file() and not p.name.startswith("."))
    assert written == [
        "culture/market-day.json",
        "world/balkans/border-reopens.json",
        "world/serbia-alert.json",
    ]
    for relative in written:
        source = SITE / Path(relative).with_suffix(".txt")
        assert f"wrote {out / relative}" in result.stdout
        assert from_json((out / relative).read_bytes()) == load(source)
    assert "3 written, 0 failed, 0 warnings" in result.stderr


def test_export_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    result = run("export", SITE / "culture", "--to", "json", "-o", tmp_path, "-q")
    assert result.exit_code == 0
    assert result.output == ""
    assert (tmp_path / "market-day.json").exists()


def test_export_one_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    result = run("export", META / "impossible-date.txt", WIRE, "--to", "json", "-o", tmp_path)
    assert result.exit_code == 1
    assert (tmp_path / "nato-kosovo-wire.json").exists()
    assert not (tmp_path / "impossible-date.json").exists()
    assert "1 written, 1 failed" in result.stderr


def test_export_json_is_deterministic(tmp_path: Path) -> None:
    run("export", WIRE, "--to", "json", "-o", tmp_path / "a")
    run("export", WIRE, "--to", "json", "-o", tmp_path / "b")
    assert (tmp_path / "a" / "nato-kosovo-wire.json").read_bytes() == (
        tmp_path / "b" / "nato-kosovo-wire.json"
    ).read_bytes()
    assert not list((tmp_path / "a").glob("*.part"))


def test_export_in_a_real_process(tmp_path: Path) -> None:
    done = run_process("export", WIRE, "--to", "json", "-o", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {tmp_path / 'nato-kosovo-wire.json'}\n"
    check_wire_json((tmp_path / "nato-kosovo-wire.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------- other commands


def test_formats_lists_json_and_the_readers() -> None:
    result = run("formats")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"json\s+\.json\s+available", next(line for line in lines if line.startswith("json")))
    readers = lines[-1].removeprefix("readers: ").split(", ")
    assert {"html", "json", "markdown", "plaintext"} <= set(readers)


def test_themes_lists_the_default_theme() -> None:
    result = run("themes")
    assert result.exit_code == 0
    assert any(line.split()[0] == "default" for line in result.stdout.splitlines())


def test_schema_prints_a_valid_json_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(json.loads(run("inspect", WIRE, "--json").stdout))
    assert not validator.is_valid({"schema": 1, "kind": "article", "metadata": {"title": 3}})


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"exporter, version {exporter.__version__}\n"


def test_python_dash_m_help() -> None:
    done = run_process("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: python -m exporter [OPTIONS] COMMAND [ARGS]...")
    for command in ("export", "inspect", "formats", "themes", "schema"):
        assert re.search(rf"^\s+{command}\s", done.stdout, re.MULTILINE)


def test_installed_console_script() -> None:
    script = Path(sys.executable).with_name("exporter")
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout == f"exporter, version {exporter.__version__}\n"


def test_the_model_types_used_here_are_the_public_ones() -> None:
    # A guard for this module's own assumptions: the wire story's blocks are exactly these three node types.
    article = load(WIRE)
    assert {type(b) for b in article.blocks} == {Heading, Paragraph, RelatedLinks}
    assert inline_text(article.blocks[7].children) == "Beijing Backs Belgrade"  # type: ignore[union-attr]
