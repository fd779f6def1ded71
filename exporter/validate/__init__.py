"""One validation gate: run every registered validator over output files in parallel and collect one report.

A validator wraps one tool (EPUBCheck, vnu, our own rules, LibreOffice …) for one output format. Tools that
can check many files per process (EPUBCheck, vnu, soffice) are `batched`: they receive every file of their
format in one call, so a hundred EPUBs cost one JVM start. The others are called once per file, and all
calls share one thread pool — the heavy work happens in subprocesses or in C libraries, so threads suffice.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar, Protocol

from exporter.diagnostics import Diagnostic
from exporter.errors import FormatUnavailable

FEED_SUFFIXES = (".xml", ".atom", ".rss")
"""Suffixes sniffed for an Atom or RSS root element; `.json` is sniffed for a JSON Feed version."""
SUFFIX_FORMATS = {".epub": "epub", ".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf",
                  ".docx": "docx"}
"""Output suffix → format name, for files whose suffix alone says what they are."""
ANY_FORMAT = "*"
"""`Validator.format` of cross-format validators (parity), which receive every file checked."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    """What the caller asked for beyond "is this file valid"."""

    deep: bool = False
    """Also run slow, optional checks (LibreOffice converting each DOCX)."""
    expect_tagged: bool = False
    """PDFs were rendered tagged: a missing structure tree is an error, not a warning."""
    expect_pdfa: bool = False
    """PDFs were rendered as PDF/A: missing identification or output intent is an error."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one validator found in one file: one row of the check table."""

    path: str
    """The file checked."""
    format: str
    """Its format (`epub`, `html`, `feed`, `docx`, `pdf`)."""
    validator: str
    """The tool or rule set that looked at it (`epubcheck`, `vnu`, `html-rules`, `parity` …)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Everything found, with the tool's own message ids in the codes."""
    seconds: float = 0.0
    """Time spent on this file; for a batched tool without per-file timing, its share of the batch."""

    @property
    def errors(self) -> int:
        """Number of errors."""
        return sum(d.level == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        """Number of warnings."""
        return sum(d.level == "warning" for d in self.diagnostics)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, with every message and its id."""
        return {"file": self.path, "format": self.format, "validator": self.validator, "errors": self.errors,
                "warnings": self.warnings, "seconds": round(self.seconds, 3),
                "messages": [{"level": d.level, "code": d.code, "message": d.message, "path": d.path,
                              "line": d.line, "column": d.column} for d in self.diagnostics]}


class Validator(Protocol):
    """One tool checking one format; registered in `exporter.registry.VALIDATORS` under `name`."""

    name: ClassVar[str]
    """Registry key and table label (`epubcheck`)."""
    format: ClassVar[str]
    """The format it checks, or `ANY_FORMAT` to receive every file."""
    batched: ClassVar[bool]
    """True: one call receives every file (one process for all); False: one call per file."""
    deep_only: ClassVar[bool]
    """True: runs only with `--deep`."""

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """Check `paths` (all of this validator's format) and return one outcome per file."""
        ...


@dataclass(slots=True)
class CheckReport:
    """Every outcome of one `check()` run, plus each validator's wall time."""

    outcomes: list[Outcome] = field(default_factory=list)
    """One per (file, validator), sorted by file then validator."""
    timings: dict[str, float] = field(default_factory=dict)
    """Validator name → seconds of wall time for all its files."""
    strict: bool = False
    """Warnings count as failures."""

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every diagnostic of every outcome."""
        return [d for o in self.outcomes for d in o.diagnostics]

    @property
    def errors(self) -> int:
        """Total errors."""
        return sum(o.errors for o in self.outcomes)

    @property
    def warnings(self) -> int:
        """Total warnings."""
        return sum(o.warnings for o in self.outcomes)

    def codes(self) -> set[str]:
        """The distinct codes reported, for tests and filters."""
        return {d.code for d in self.diagnostics}

    def ok(self, *, strict: bool | None = None) -> bool:
        """No error (and, when strict, no warning)."""
        strict = self.strict if strict is None else strict
        return not self.errors and not (strict and self.warnings)

    def to_json(self) -> str:
        """The whole report as JSON: totals, per-validator time and every message id."""
        return json.dumps({"ok": self.ok(), "strict": self.strict, "errors": self.errors,
                           "warnings": self.warnings,
                           "validators": {k: round(v, 3) for k, v in sorted(self.timings.items())},
                           "results": [o.to_dict() for o in self.outcomes]}, indent=2, ensure_ascii=False)


def detect_format(path: Path) -> str | None:
    """The output format of `path`, sniffing feeds by content; None for files nobody checks."""
    suffix = path.suffix.lower()
    if suffix in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[suffix]
    if suffix in FEED_SUFFIXES or suffix == ".json":
        try:
            with path.open("rb") as stream:
                head = stream.read(2048).decode("utf-8", "replace")
        except OSError:
            return None
        if suffix == ".json":
            return "feed" if "jsonfeed.org/version" in head else None
        return "feed" if any(tag in head for tag in ("<feed", "<rss", "<rdf:RDF")) else None
    return None


def collect(paths: Iterable[str | Path]) -> tuple[list[tuple[Path, str]], list[Outcome]]:
    """(file, format) for every checkable file; folders are walked, hidden and partial files skipped.

    A file named explicitly that no validator understands becomes a warning outcome rather than a silent pass.
    """
    found: list[tuple[Path, str]] = []
    unknown: list[Outcome] = []
    for given in map(Path, paths):
        if given.is_dir():
            for path in sorted(given.rglob("*")):
                hidden = any(part.startswith(".") for part in path.relative_to(given).parts)
                fmt = None if hidden or not path.is_file() else detect_format(path)
                if fmt:
                    found.append((path, fmt))
        elif (fmt := detect_format(given)) is not None:
            found.append((given, fmt))
        else:
            unknown.append(Outcome(path=str(given), format="?", validator="check", diagnostics=(Diagnostic(
                level="warning", code="check.unknown-format", path=str(given),
                message="no validator checks this kind of file (expected .epub, .html, .pdf, .docx or a feed)"),)))
    return list(dict.fromkeys(found)), unknown


def load_validators(names: Sequence[str] | None = None) -> list[Validator]:
    """Instances of the named (default: every registered) validator; `FormatUnavailable` if one cannot load."""
    from exporter.registry import VALIDATORS

    return [VALIDATORS.load(name)() for name in (names or VALIDATORS.names())]


def _loadable(names: Sequence[str] | None) -> tuple[list[Validator], list[Outcome]]:
    """The validators that load here, and a warning outcome for each that does not (e.g. a broken plugin)."""
    from exporter.registry import VALIDATORS

    loaded: list[Validator] = []
    broken: list[Outcome] = []
    for name in names or VALIDATORS.names():
        try:
            loaded.extend(load_validators([name]))
        except FormatUnavailable as exc:
            broken.append(Outcome(path="", format="?", validator=name, diagnostics=(Diagnostic(
                level="warning", code="check.validator-unavailable", message=exc.message),)))
    return loaded, broken


def _run(validator: Validator, paths: Sequence[Path], fmt: dict[Path, str],
         options: CheckOptions) -> tuple[list[Outcome], float]:
    """One validator call, timed; a crash becomes an error per file, never a silent pass or a traceback."""
    started = time.perf_counter()
    try:
        outcomes = validator.validate(paths, options)
    except Exception as exc:  # a validator bug must not take the whole gate down
        outcomes = [Outcome(path=str(p), format=fmt.get(p, "?"), validator=validator.name, diagnostics=(
            Diagnostic(level="error", code=f"{validator.name}.crashed", path=str(p),
                       message=f"validator crashed ({type(exc).__name__}: {exc})"),)) for p in paths]
    elapsed = time.perf_counter() - started
    share = elapsed / max(len(outcomes), 1)
    return [o if o.seconds else Outcome(path=o.path, format=o.format, validator=o.validator,
                                        diagnostics=o.diagnostics, seconds=share) for o in outcomes], elapsed


def check(paths: Iterable[str | Path], *, strict: bool = False, deep: bool = False, jobs: int | None = None,
          options: CheckOptions | None = None, validators: Sequence[str] | None = None) -> CheckReport:
    """Check files and folders with every applicable validator, in parallel; never raises for a bad file."""
    opts = replace(options or CheckOptions(), deep=deep or (options is not None and options.deep))
    files, outcomes = collect(paths)
    fmt = dict(files)
    loaded, broken = _loadable(validators)
    report = CheckReport(outcomes=outcomes + broken, strict=strict)
    tasks: list[tuple[Validator, list[Path]]] = []
    for validator in loaded:
        if validator.deep_only and not opts.deep:
            continue
        mine = [p for p, f in files if validator.format in (f, ANY_FORMAT)]
        if not mine:
            continue
        tasks.extend([(validator, mine)] if validator.batched else [(validator, [p]) for p in mine])
    tasks.sort(key=lambda task: not task[0].batched)  # start the long single-process batches first
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        futures: list[tuple[str, Future[tuple[list[Outcome], float]]]] = [
            (v.name, pool.submit(_run, v, p, fmt, opts)) for v, p in tasks]
        for name, future in futures:
            found, elapsed = future.result()
            report.outcomes.extend(found)
            report.timings[name] = report.timings.get(name, 0.0) + elapsed
    report.outcomes.sort(key=lambda o: (o.path, o.validator))
    return report


__all__ = ["ANY_FORMAT", "CheckOptions", "CheckReport", "Outcome", "Validator", "check", "collect",
           "detect_format", "load_validators"]
