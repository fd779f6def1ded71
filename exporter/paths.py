"""Output file names that work on every operating system, and the check that keeps writes in the output folder.

Output names come from source names and slugs, which partners choose: a `:` or `?` is fine on Linux but
fails the job on Windows, `CON` and `aux.html` are devices there, a trailing dot vanishes, 300 bytes of
Cyrillic overflow `NAME_MAX`, and a right-to-left override can disguise `fdp.exe` as `exe.pdf`. What is
safe everywhere (spaces, quotes other than `"`, letters of any script) is left exactly as it was.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path, PurePosixPath

MAX_NAME_BYTES = 120
"""Longest output stem in UTF-8 bytes: room for a suffix (`.epub`, `_files`) well inside every file system's
255-byte name limit, and in Windows' 260-character paths when nested a few folders deep."""

_UNSAFE = re.compile("[<>:\"/\\\\|?*\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Windows' reserved punctuation, path separators, control characters and bidi controls (which can make a
name read differently from what it is)."""
_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)", re.IGNORECASE)
"""Windows device names: reserved whatever the extension (`nul.tar.gz` too) and in any case."""
REPLACEMENT = "_"
"""What an unsafe character becomes."""


def safe_name(stem: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """`stem` made safe as a file or folder name on Linux, macOS and Windows; unchanged when it already is.

    NFC-normalised (macOS would otherwise store a different byte sequence than Linux), unsafe characters
    replaced, trailing dots and spaces removed, device names prefixed, and names over `max_bytes` cut on a
    character boundary with a short hash of the whole name appended, so two long names that share a
    prefix stay different.
    """
    name = _UNSAFE.sub(REPLACEMENT, unicodedata.normalize("NFC", stem)).rstrip(". ")
    if not name:
        return REPLACEMENT
    if _RESERVED.fullmatch(name.split(".", 1)[0].rstrip(" ")):
        name = REPLACEMENT + name
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    budget = max_bytes - len(digest) - 1
    cut = name.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(". ")
    return f"{cut}-{digest}"


def safe_file_name(name: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """`safe_name` for a full file name: the stem is made safe and cut, the (short) suffix kept."""
    pure = PurePosixPath(safe_name(name, max_bytes=10_000))
    suffix = pure.suffix if 1 < len(pure.suffix) <= 16 and pure.stem else ""
    return safe_name(pure.name[:len(pure.name) - len(suffix)], max_bytes=max_bytes) + suffix


def safe_relative(relative: PurePosixPath | Path) -> Path:
    """Every part of a relative path made safe (`world/Q&A: why?` → `world/Q&A_ why_`); `..` cannot survive."""
    return Path(*(safe_name(part) for part in relative.parts)) if relative.parts else Path(REPLACEMENT)


def inside(path: Path, folder: Path) -> bool:
    """True when writing `path` would put a file in `folder`: its parent, with every symlink followed, is
    `folder` or below it. (The file itself may be a symlink: an atomic rename replaces the link, never its
    target.)"""
    root = folder.resolve()
    parent = path.parent.resolve()
    return path.name not in ("", ".", "..") and (parent == root or root in parent.parents)
