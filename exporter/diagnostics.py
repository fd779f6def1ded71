"""Warnings are data: a `Diagnostic` per problem, collected in a `Report`, printed only by the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from exporter.errors import place

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One problem found while reading, rendering or checking."""

    level: Level
    """How bad: an error fails the job, a warning fails it only under `--strict`."""
    code: str
    """Stable dotted identifier (`resource.refused`, `image.missing-alt`) for filtering and tests."""
    message: str
    """What is wrong and, where possible, what to do."""
    path: str = ""
    """Source (or output) file the problem is in."""
    line: int = 0
    """1-based line in `path`; 0 when unknown."""
    column: int = 0
    """1-based column; 0 when unknown."""

    def __str__(self) -> str:
        return f"{place(self.path or '<input>', self.line, self.column)}: {self.level}: {self.message} [{self.code}]"


@dataclass(slots=True)
class Report:
    """Collects diagnostics for one job (appends are atomic, so threads may share one)."""

    path: str = ""
    """Default path for diagnostics added without one."""
    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        """Record an already-built diagnostic."""
        self.items.append(diagnostic)

    def warn(self, code: str, message: str, *, path: str = "", line: int = 0, column: int = 0) -> None:
        """Record a warning."""
        self.add(Diagnostic(level="warning", code=code, message=message, path=path or self.path,
                            line=line, column=column))

    def error(self, code: str, message: str, *, path: str = "", line: int = 0, column: int = 0) -> None:
        """Record an error that does not stop the current job but fails it."""
        self.add(Diagnostic(level="error", code=code, message=message, path=path or self.path,
                            line=line, column=column))

    def extend(self, other: Report) -> None:
        """Take over every diagnostic of another report."""
        for item in list(other.items):
            self.add(item)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(list(self.items))

    def __len__(self) -> int:
        return len(self.items)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The warnings, in the order they were found."""
        return tuple(d for d in self.items if d.level == "warning")

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The errors, in the order they were found."""
        return tuple(d for d in self.items if d.level == "error")

    def codes(self) -> set[str]:
        """The distinct codes reported, for tests and filters."""
        return {d.code for d in self.items}
