"""Input limits: every bound on what one source may ask of a worker, with a default, a name and a way to raise it.

Sources are untrusted, and one hostile or broken file must cost one failed job, not a dead worker or a batch
that never ends. Each limit here is generous enough for a 15,000-word feature with a large data table; a
source over one gets a clear warning or error naming the file (and line, where the reader knows it) and the
`--limit NAME=VALUE` that raises it. The time a job may take is the pipeline's `timeout` (`--timeout`).

The limits of the job being read or rendered are held in a context variable (`applied`, `current`) rather
than passed through every signature: images are decoded deep inside renderers and engines, and plugin
readers and renderers keep their simple protocols. `current()` outside `applied` gives the defaults.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from exporter.errors import OptionError
from exporter.model import MAX_NESTING

NESTING_CEILING = 100
"""Highest `nesting` accepted: deeper trees would reach Python's recursion limit in renderers and engines."""
_VALUE = re.compile(r"(\d[\d_,]*)\s*([kmg]i?)?b?", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """What one source may hold; every field is a `--limit` name, and every value a positive whole number."""

    source_bytes: int = 50 * 1024 * 1024
    """Largest source file read (50 MiB); a bigger one is refused (`SourceError`) before it is read."""
    resource_bytes: int = 40 * 1024 * 1024
    """Largest image or other file a renderer reads for a source (40 MiB); a bigger one is left out."""
    image_pixels: int = 89_478_485
    """Most pixels in one raster image (Pillow's own guard, about 89 Mpx: a 61 Mpx camera frame passes); a
    bigger one — or a few bytes declaring a huge picture, a decompression bomb — is left out with an
    `image.too-large` warning and its alt text kept, before anything decodes it."""
    nesting: int = MAX_NESTING
    """Deepest nesting of lists, quotes and asides kept (50); deeper levels are flattened with one warning."""
    table_cells: int = 100_000
    """Most cells in one table (rows × columns: 5,000 rows of 20 columns); a bigger table is a `SourceError`
    naming its line: a table cut short would print wrong figures, so the source must be split."""
    footnotes: int = 5_000
    """Most footnote references in one source; more is a `SourceError` naming the line of the first one over:
    dropping notes would silently drop sources and corrections, which a newsroom must not publish."""
    title_chars: int = 500
    """Longest title kept whole (a headline is rarely over 150); a longer one is cut at a word with a
    `meta.title-too-long` warning, not refused: the story still goes out, and the title is an easy fix."""

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionError(f"limit {item.name} must be a positive whole number, not {value!r}")
        if self.nesting > NESTING_CEILING:
            raise OptionError(f"limit nesting may be at most {NESTING_CEILING}, not {self.nesting}: deeper trees "
                              "would exhaust the renderers' recursion")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every limit's name, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_pairs(cls, pairs: Iterable[str], base: Limits | None = None) -> Limits:
        """`["source_bytes=100MB", "footnotes=10000"]` → `Limits`, starting from `base` (the defaults).

        Values are whole numbers (`_` and `,` allowed between digits) with an optional `k`, `M` or `G`
        (thousand, million, billion) or `KiB`, `MiB`, `GiB` (powers of 1024). An unknown name, a missing `=`
        or a bad value is an `OptionError` that says which.
        """
        values: dict[str, int] = {}
        for pair in pairs:
            name, sep, raw = pair.partition("=")
            name = name.strip().lower().replace("-", "_")
            if not sep or not name:
                raise OptionError(f"a limit is NAME=VALUE (e.g. source_bytes=100MB), not {pair!r}")
            if name not in cls.names():
                raise OptionError(f"unknown limit {name!r} (known: {', '.join(cls.names())})")
            values[name] = _number(name, raw)
        return dataclasses.replace(base or cls(), **values)

    def changed(self) -> tuple[tuple[str, int], ...]:
        """(name, value) of every limit that differs from its default, for cache keys and messages."""
        defaults = Limits()
        return tuple((n, getattr(self, n)) for n in self.names() if getattr(self, n) != getattr(defaults, n))


def raise_hint(name: str) -> str:
    """How to raise one limit, for the end of a message."""
    return f"--limit {name}=N raises the limit"


def _number(name: str, raw: str) -> int:
    found = _VALUE.fullmatch(raw.strip())
    if found is None or found.group(1).endswith((",", "_")):
        raise OptionError(f"limit {name}: {raw!r} is not a whole number (e.g. 100000, 100MB or 64MiB)")
    number = int(found.group(1).replace("_", "").replace(",", ""))
    suffix = (found.group(2) or "").lower()
    if suffix:
        base = 1024 if suffix.endswith("i") else 1000
        number *= base ** ("kmg".index(suffix[0]) + 1)
    return number


DEFAULTS = Limits()
"""The limits when nobody set any."""
_CURRENT: contextvars.ContextVar[Limits] = contextvars.ContextVar("exporter_limits", default=DEFAULTS)


def current() -> Limits:
    """The limits of the job being read or rendered in this thread (the defaults outside `applied`)."""
    return _CURRENT.get()


@contextlib.contextmanager
def applied(limits: Limits | None) -> Iterator[Limits]:
    """Make `limits` current for the block (None keeps what is current); nests and restores on exit."""
    if limits is None:
        yield current()
        return
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)
