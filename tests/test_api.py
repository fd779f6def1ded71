"""The documented API example runs as written (README.md's, if it carries one, else docs/api.md's)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- api-example -->"


def api_example() -> tuple[Path, str]:
    """The first ```python block after the marker in README.md, or else in docs/api.md."""
    for path in (ROOT / "README.md", ROOT / "docs" / "api.md"):
        if path.is_file() and MARKER in (text := path.read_text(encoding="utf-8")):
            match = re.search(r"```python\n(.*?)```", text.split(MARKER, 1)[1], re.DOTALL)
            if match:
                return path, match.group(1)
    pytest.fail(f"no python block marked {MARKER} in README.md or docs/api.md")


def test_the_api_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, code = api_example()
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, str(path), "exec"), {"__name__": "__example__"})
    finally:
        os.chdir(cwd)
    assert "html" in capsys.readouterr().out
