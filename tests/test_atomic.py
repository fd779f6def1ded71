"""Atomic writes: readable as the umask allows, and nothing left behind when an interrupt cuts one short."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exporter import atomic


def test_outputs_are_readable_as_the_umask_allows(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        atomic.write_atomically(tmp_path / "new" / "page.html", b"<p>x</p>")
    finally:
        os.umask(previous)
    assert (tmp_path / "new" / "page.html").stat().st_mode & 0o777 == 0o640  # not a temporary file's 0600
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["page.html"]


def test_a_write_interrupted_right_after_its_temporary_was_made_leaves_nothing(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The window an interrupt delivered to another thread can hit: the `.part` exists, no handler has run."""
    real = atomic.temporary_beside

    def made_then_interrupted(path: Path) -> tuple[int, str]:
        handle, _ = real(path)
        os.close(handle)
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "temporary_beside", made_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomically(tmp_path / "page.html", b"<p>x</p>")
    monkeypatch.undo()
    assert list(tmp_path.glob(".page.html.*.part"))
    atomic.sweep_interrupted()
    assert not list(tmp_path.iterdir())
