"""Finding and running external checkers, so every validator reports a missing tool the same way.

All subprocesses go through `run`, which gives tests one place to count process starts and gives users one
uniform "X not found: run make tools" warning instead of a traceback or a silent pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from exporter.diagnostics import Diagnostic

TIMEOUT = 1800.0
"""Seconds before a checker process is considered hung (a whole corpus runs in one process)."""


def tools_dir() -> Path | None:
    """The project-local npm folder: `$EXPORTER_TOOLS`, else `.tools` in the working folder or the checkout."""
    candidates = [os.environ.get("EXPORTER_TOOLS", ""), ".tools", str(Path(__file__).resolve().parents[2] / ".tools")]
    for candidate in filter(None, candidates):
        if (Path(candidate) / "node_modules").is_dir():
            return Path(candidate)
    return None


def java() -> str | None:
    """The `java` launcher, honouring `$JAVA_HOME`."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def npm_file(*parts: str) -> Path | None:
    """A file inside `.tools/node_modules`, when installed."""
    base = tools_dir()
    path = base.joinpath("node_modules", *parts) if base else None
    return path if path and path.exists() else None


def soffice() -> str | None:
    """LibreOffice's headless converter."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def run(command: Sequence[str], *, timeout: float = TIMEOUT, env: Mapping[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a checker and capture its output; never raises (a non-zero exit is how checkers report findings).

    A hang or a launch failure comes back as return code -1 with the reason on stderr, so the validator
    reports "did not produce a report" for its files instead of the whole gate crashing.
    """
    try:
        return subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, check=False,
                              env={**os.environ, **env} if env else None, cwd=cwd, encoding="utf-8",
                              errors="replace")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(list(command), -1, "", f"{command[0]} timed out after {timeout:.0f}s")
    except OSError as exc:
        return subprocess.CompletedProcess(list(command), -1, "", f"{command[0]} could not start: {exc}")


def missing(validator: str, path: Path, what: str, hint: str = "run make tools") -> Diagnostic:
    """The warning every validator gives when its tool is absent: the file was *not* checked."""
    return Diagnostic(level="warning", code=f"{validator}.unavailable", path=str(path),
                      message=f"{what} not found: {hint} (this file was not checked by {validator})")


def failed(validator: str, path: Path, detail: str) -> Diagnostic:
    """The error a validator gives when its tool ran but produced no usable report."""
    detail = " ".join(detail.split())[-400:] or "no output"
    return Diagnostic(level="error", code=f"{validator}.failed", path=str(path),
                      message=f"{validator} did not produce a report: {detail}")
