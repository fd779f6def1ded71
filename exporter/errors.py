"""The one exception tree: every failure a user can cause is an `ExporterError` with a message to act on.

    ExporterError
    ├── SourceError        a source could not be read or is invalid (path, line, column)
    ├── ThemeError         a theme is missing, malformed or inconsistent (path, key)
    ├── RenderError        a renderer failed on a document (format, source)
    ├── OptionError        an option a renderer or command does not know, or a bad value
    ├── UnknownFormatError a format, reader or theme name nobody registered
    └── FormatUnavailable  a known format whose engine cannot be imported here (with the reason)

Only the CLI turns these into exit codes; the library raises them and never prints.
"""

from __future__ import annotations

import re


def place(path: str, line: int = 0, column: int = 0) -> str:
    """`path:line:column` as editors and compilers print it (line and column 1-based; a 0 is left out, and
    a column without its line means nothing)."""
    return ":".join([path, *([str(line)] if line else []), *([str(column)] if line and column else [])])


class ExporterError(Exception):
    """Base of every error exporter raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def location(self) -> str:
        """`path:line:col` prefix for messages; empty when the error has no place."""
        return ""

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message


class SourceError(ExporterError):
    """A source file that cannot be loaded; line and column are 1-based, 0 when unknown."""

    def __init__(self, message: str, path: str = "", line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column

    def location(self) -> str:
        return place(self.path or "<input>", self.line, self.column)


class ThemeError(ExporterError):
    """A theme that cannot be used; `path` is the file and `key` the offending setting, or `line` and
    `column` (1-based) the place in the file, when known."""

    def __init__(self, message: str, path: str = "", key: str = "", line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
        self.line = line
        self.column = column

    def location(self) -> str:
        if self.path and self.key:
            return f"{self.path}: [{self.key}]"
        return place(self.path, self.line, self.column) if self.path else ""


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def toml_position(exc: ValueError) -> tuple[str, int, int]:
    """A `tomllib.TOMLDecodeError` as (message, line, column): Python 3.11 only writes the place into its text."""
    found = _TOML_POSITION.search(str(exc))
    if found is None:
        return str(exc), 0, 0
    return _TOML_POSITION.sub("", str(exc)).strip(), int(found.group(1)), int(found.group(2))


class RenderError(ExporterError):
    """A renderer failed on one document."""

    def __init__(self, message: str, format: str = "", source: str = "") -> None:
        super().__init__(message)
        self.format = format
        self.source = source

    def location(self) -> str:
        return f"{self.source} [{self.format}]" if self.source else ""


class OptionError(ExporterError):
    """An unknown option, or a value an option cannot take."""


class UnknownFormatError(ExporterError):
    """A name (format, reader, theme, validator) that is not registered."""


class FormatUnavailable(ExporterError):
    """A registered format whose engine cannot be loaded on this machine."""
