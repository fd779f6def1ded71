"""A renderer plugin installed through entry points is found by the CLI, the Python API and batch mode.

The plugin (`tests/plugin/`) is installed with `pip install --no-deps --target` into a temporary folder
that only the subprocesses below see on PYTHONPATH, so the project venv is never changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parent / "plugin"
EXPORTER = Path(sys.executable).parent / "exporter"
SOURCE = "---\ntitle: Ferry Notes\n---\n\nThe river was *high* that spring.\n"


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(PLUGIN)], check=True, capture_output=True)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))}


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_cli_lists_and_exports_with_the_plugin(plugin_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "ferry.md").write_text(SOURCE, encoding="utf-8")
    listed = run([str(EXPORTER), "formats"], plugin_env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "txt" in listed.stdout
    done = run([str(EXPORTER), "export", "ferry.md", "--to", "txt", "-o", "out"], plugin_env, tmp_path)
    assert done.returncode == 0, done.stderr
    text = next((tmp_path / "out").rglob("ferry.txt")).read_text(encoding="utf-8")
    assert text.startswith("Ferry Notes\n===========\n") and "high" in text


def test_api_and_batch_find_the_plugin(plugin_env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "ferry.md").write_text(SOURCE, encoding="utf-8")
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        import exporter

        assert exporter.formats()["txt"] == "", exporter.formats()
        data = exporter.render(exporter.load("ferry.md"), "txt", options={"width": 60})
        assert data.startswith(b"Ferry Notes"), data
        for jobs in (1, 2):
            report = exporter.export(["ferry.md"], "txt", f"batch{jobs}", jobs=jobs)
            assert report.ok(), report
            assert Path(f"batch{jobs}").joinpath("ferry.txt").read_bytes() == data or any(
                p.read_bytes() == data for p in Path(f"batch{jobs}").rglob("ferry.txt")), "batch output differs"
        print("plugin ok")
    """)
    done = run([sys.executable, "-c", script], plugin_env, tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "plugin ok" in done.stdout


def test_without_the_plugin_txt_is_unknown() -> None:
    import exporter
    from exporter.errors import UnknownFormatError

    with pytest.raises(UnknownFormatError):
        exporter.render(exporter.loads("# x\n"), "txt")
