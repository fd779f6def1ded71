"""A theme's `var(--group-name)` token references replaced by the tokens' values, ahead of an engine.

Two engines want literal values. Many EPUB reading systems ignore custom properties and drop a declaration
they cannot resolve. WeasyPrint does resolve them, but per element at computed-value time, parsing the
declaration again for every element it applies to (`p { margin: 0 0 var(--spacing-paragraph) }` is parsed
once per paragraph); a literal value is parsed once with the stylesheet, which saves 4–5% of a PDF's
layout time on the benchmark corpus for byte-identical output.

Only a token no stylesheet sets itself is replaced: a rule like `.sidebar { --colours-accent: teal }` scopes
a new value to part of the document, which only the engine's own resolution gets right.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_REFERENCE = re.compile(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*))?\)")
_DECLARATION = re.compile(r"(--[\w-]+)\s*:\s*([^;}]+)[;}]")


def declared(css: str) -> dict[str, str]:
    """The custom properties `css` sets, with their (last) values."""
    return {name: value.strip() for name, value in _DECLARATION.findall(css)}


def replaceable(tokens: Mapping[str, str], stylesheets: Iterable[str]) -> dict[str, str]:
    """The `tokens` (`Theme.custom_properties`) that none of `stylesheets` sets again."""
    values = dict(tokens)
    for css in stylesheets:
        for name in declared(css):
            values.pop(name, None)
    return values


@dataclass(slots=True)
class Substituted:
    """A stylesheet with its token references replaced, and where the replacements moved its columns."""

    text: str
    """The stylesheet with literal values; it has the same lines as the original."""
    moves: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    """Per line (1-based): (first column, column after, columns added so far) of each replacement, in order."""

    def source_column(self, line: int, column: int) -> int:
        """The column in the original stylesheet of `column` on `line` of `text` (both 1-based)."""
        added = 0
        for start, end, added_after in self.moves.get(line, ()):
            if column < start:
                break
            if column < end:
                return start - added  # inside a replaced value: where its reference began
            added = added_after
        return column - added


def substitute(css: str, values: Mapping[str, str]) -> Substituted:
    """`css` with each `var(--name)` whose name is in `values` replaced by its value, and each `var(--name,
    fallback)` whose name is not by its fallback; any other reference is left for the engine.

    One pass: a fallback that is itself a reference (`var(--a, var(--b))`) keeps the outer reference, which
    the engine still resolves; call again to go further.
    """
    result = Substituted("")
    pieces: list[str] = []
    done = 0  # offset in `css` copied so far
    line, line_start = 1, 0
    for match in _REFERENCE.finditer(css):
        name, fallback = match.group(1), match.group(2)
        value = values.get(name, "").strip() or (fallback or "").strip()
        if not value or "\n" in match.group(0) or "\n" in value:
            continue
        line += css.count("\n", line_start, match.start())
        line_start = css.rfind("\n", 0, match.start()) + 1
        moves = result.moves.setdefault(line, [])
        added = moves[-1][2] if moves else 0
        start = match.start() - line_start + 1 + added
        moves.append((start, start + len(value), added + len(value) - len(match.group(0))))
        pieces += (css[done:match.start()], value)
        done = match.end()
    pieces.append(css[done:])
    result.text = "".join(pieces)
    return result
