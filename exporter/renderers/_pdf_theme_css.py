"""The theme's print stylesheet, parsed by WeasyPrint with what it ignored reported at the theme's own lines.

Token references are replaced by the tokens' values first (`exporter.css_tokens`: WeasyPrint would resolve
them again for every element); a reported column is mapped back to the theme file's own text.

WeasyPrint drops a declaration it cannot use (`colr: red`, `font-size: big`) and says so only to its logger,
which nobody reads; the PDF then quietly lacks the style. Those warnings are caught while the stylesheet is
parsed and turned into `theme.css` diagnostics naming the theme file and line, added to every PDF job made
with the theme (so `--strict` fails them). `base.css` is shared with web browsers and e-readers, which know
properties a print engine has no use for (`overflow-x`), so an unknown property there is not reported; in
`print.css` it is a mistake.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from exporter import css_tokens
from exporter.diagnostics import Diagnostic
from exporter.themes import STYLESHEET_GLUE, Theme

_POSITION = re.compile(r" at (\d+):(\d+)")
"""Where WeasyPrint's messages put the line and column of the rule they are about."""
_SHARED_WITH_SCREENS = "css/base.css"
"""The stylesheet browsers and e-readers get too: an unknown property there is meant for them."""


class _Collected(logging.Handler):
    """Keeps the warnings this thread logs (another thread may be laying a document out meanwhile)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


@contextmanager
def _weasyprint_warnings() -> Iterator[list[logging.LogRecord]]:
    from weasyprint import LOGGER

    handler = _Collected()
    LOGGER.addHandler(handler)
    try:
        yield handler.records
    finally:
        LOGGER.removeHandler(handler)


def parse(theme: Theme, preamble: str, **css: Any) -> tuple[Any, tuple[Diagnostic, ...]]:
    """`preamble` (generated rules) and the theme's print stylesheet as one WeasyPrint `CSS`, and what it ignored.

    `css` goes to `weasyprint.CSS` (base URL, font configuration, counter style, URL fetcher).
    """
    from weasyprint import CSS

    parts = theme.stylesheet_parts("print")  # read once: the lines below must be those of the text parsed
    values = css_tokens.replaceable(theme.custom_properties(), (part for _, part in parts[1:]))
    resolved = [css_tokens.Substituted(parts[0][1])] + [css_tokens.substitute(part, values) for _, part in parts[1:]]
    text = preamble + "\n" + STYLESHEET_GLUE.join(part.text for part in resolved) + "\n"
    starts: list[int] = []  # the first line of each part in `text` (replacing references keeps the lines)
    line = preamble.count("\n") + 2
    for part in resolved:
        starts.append(line)
        line += part.text.count("\n") + STYLESHEET_GLUE.count("\n")
    with _weasyprint_warnings() as records:
        sheet = CSS(string=text, **css)
    found: list[Diagnostic] = []
    for record in records:
        message = record.getMessage()
        position = _POSITION.search(message)
        if position is None:
            continue
        at, column = int(position[1]), int(position[2])
        index = bisect.bisect_right(starts, at) - 1
        if index < 0:
            continue  # in the generated preamble
        path = parts[index][0]
        if _shared_with_screens(path) and "unknown property" in message:
            continue
        at -= starts[index] - 1
        found.append(Diagnostic(level="warning", code="theme.css", path=str(path), line=at,
                                column=resolved[index].source_column(at, column),
                                message=f"the PDF engine {_lowered(_POSITION.sub('', message, count=1))}"))
    return sheet, tuple(found)


def _shared_with_screens(path: Path) -> bool:
    return path.as_posix().endswith("/" + _SHARED_WITH_SCREENS)


def _lowered(message: str) -> str:
    """WeasyPrint's "Ignored `x: y `, Expected …." as "ignored `x: y`: expected …"."""
    message = _PADDED_CODE.sub(r"`\1`", message.rstrip("."))
    head, comma, tail = message.partition(", ")
    return _first_lower(head) + (f": {_first_lower(tail)}" if comma else "")


_PADDED_CODE = re.compile(r"`\s*([^`]*?)\s*`")


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:]
