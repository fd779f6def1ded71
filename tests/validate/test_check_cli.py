"""`exporter check` and `exporter export --check`: one table or one JSON report, and the exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from exporter.cli import main


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_clean_folder_exits_zero_with_a_table(tmp_path: Path, docx_file: Any, pdf_file: Any) -> None:
    docx_file(tmp_path / "a.docx")
    pdf_file(tmp_path / "a.pdf")
    result = run("check", str(tmp_path))
    assert result.exit_code == 0, result.output
    for column in ("file", "format", "validator", "errors", "warnings", "time"):
        assert column in result.output
    assert "passed" in result.output


def test_an_error_exits_one_and_json_carries_message_ids(tmp_path: Path, docx_file: Any, pdf_file: Any) -> None:
    docx_file(tmp_path / "a.docx", dangling=True)
    pdf_file(tmp_path / "b.pdf", embed=False)
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["ok"] and set(report["validators"]) >= {"docx", "pdf"}
    ids = {m["code"] for r in report["results"] for m in r["messages"]}
    assert {"docx.dangling-relationship", "pdf.font-not-embedded"} <= ids
    assert all({"file", "format", "validator", "errors", "warnings", "seconds"} <= set(r) for r in report["results"])


def test_strict_fails_on_warnings(tmp_path: Path, pdf_file: Any) -> None:
    pdf_file(tmp_path / "a.pdf", tagged=False)
    assert run("check", str(tmp_path)).exit_code == 0
    assert run("check", "--strict", str(tmp_path)).exit_code == 1


def test_bad_usage_exits_two(tmp_path: Path) -> None:
    assert run("check", str(tmp_path / "missing")).exit_code == 2
    assert run("check", "--format", "xml", str(tmp_path)).exit_code == 2
    assert run("check").exit_code == 2


def test_unknown_file_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    result = run("check", "--strict", str(path))
    assert result.exit_code == 1
    assert "check.unknown-format" in result.output


def test_export_check_checks_what_was_written(tmp_path: Path) -> None:
    source = tmp_path / "story.txt"
    source.write_text("Headline\n\nBody text of the story.\n", encoding="utf-8")
    result = run("export", str(source), "--to", "json", "-o", str(tmp_path / "out"), "--check")
    assert result.exit_code == 0, result.output
    assert "nothing checked" in result.output
