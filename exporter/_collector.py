"""Garbage-collector settings for the processes a batch owns: fewer, cheaper cycle collections.

Laying out a PDF allocates millions of short-lived objects (boxes, styles, glyph runs), so CPython's default
thresholds start a young collection every 700 allocations and, every hundred of those, a full collection
that walks every object in the process: the imported engines, their fonts and parsed stylesheets included.
Measured on the benchmark corpus that was 9% of PDF render time. After the first job has warmed the
engines, everything then alive is frozen out of the collector's reach (`gc.freeze`), so full collections
no longer walk them, and the thresholds are raised moderately (`THRESHOLDS`).

Only processes the batch owns are tuned: the in-process `--jobs 1` run (restored when it ends, so an API
caller's interpreter is left as it was) and our own pool's workers. A caller's executor is left alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (5_000, 10, 10)
"""Young-generation allocations per collection (CPython's default is 700), the usual ratios above it.

Higher thresholds save a little more time and cost much more memory: garbage cycles wait longer, and some
hold far more than their Python size (python-docx's lxml trees). Measured on the benchmark corpus with
`--jobs 1`: 50,000 took the DOCX batch's peak RSS from 53 to 175 MB and a 20-article PDF batch's from 123 to 157 MB;
5,000 costs 71 and 141 MB, with collections down from 9% to about 5% of PDF time."""

_state = {"owned": False, "settled": False}


def own() -> None:
    """Tune this process for the rest of its life (a pool worker's initializer)."""
    gc.set_threshold(*THRESHOLDS)
    _state.update(owned=True, settled=False)


def settle() -> None:
    """After a job: the first time in an owned process, collect once and freeze what is left (warm engines)."""
    if _state["owned"] and not _state["settled"]:
        _state["settled"] = True
        gc.collect()
        gc.freeze()


@contextmanager
def owned() -> Iterator[None]:
    """Tune this process while a batch runs in it, then put the collector back as it was.

    A process that already froze objects itself (or turned the collector off) has its own policy: it is not
    touched.
    """
    if gc.get_freeze_count() or not gc.isenabled() or _state["owned"]:
        yield
        return
    previous = gc.get_threshold()
    own()
    try:
        yield
    finally:
        _state.update(owned=False, settled=False)
        gc.set_threshold(*previous)
        gc.unfreeze()
