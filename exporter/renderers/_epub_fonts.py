"""Theme fonts subset to the characters a book uses (fontTools), cached on (font file hash, character set).

The character set is rounded up to whole 128-code-point pages (Basic Latin, Latin-1, Latin Extended-A,
Cyrillic, General Punctuation, …): a subset costs about half a second per face, mostly spent decompiling
the layout tables, and rounding (plus a common Latin base) lets every book in the same scripts reuse one
cached subset: a batch of a hundred English articles subsets each face once per worker. The subset stays
a fraction of the original (a Latin/Greek/Cyrillic Noto face drops from ~260 KB to ~30 KB of WOFF2).
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from exporter.themes import FontFace

PAGE = 128
"""Code points per page of the rounded character set."""
BASE_PAGES = frozenset({0x0000, 0x0080, 0x0100, 0x2000})
"""Always kept: Basic Latin, Latin-1, Latin Extended-A (Balkan and Central European names) and General
Punctuation (quotes, dashes, ellipsis), so books in Latin-script languages all share one subset."""


@dataclass(frozen=True, slots=True)
class EmbeddedFont:
    """A subset font ready for the package."""

    face: FontFace
    """The theme's face it came from."""
    file_name: str
    """Name inside the package's `fonts/` folder."""
    media_type: str
    """`font/ttf` or `font/otf`, as the original."""
    data: bytes
    """The subset font."""


def subset_fonts(faces: tuple[FontFace, ...], text: str) -> list[EmbeddedFont]:
    """Each distinct face subset to the characters in `text`; faces fontTools cannot read are left out."""
    chars = pages(text)
    found: list[EmbeddedFont] = []
    seen: set[Path] = set()
    for face in faces:
        if face.path in seen:
            continue
        seen.add(face.path)
        digest = hashlib.sha256(face.path.read_bytes()).hexdigest()
        result = _subset(digest, face.path, chars & _coverage(digest, face.path))
        if result is None:
            continue
        payload, suffix, media_type = result
        name = f"{face.path.stem}{suffix}"
        taken = {f.file_name for f in found}
        for number in range(2, len(faces) + 2):  # a child theme may ship a file named like its parent's
            if name not in taken:
                break
            name = f"{face.path.stem}-{number}{suffix}"
        found.append(EmbeddedFont(face=face, file_name=name, media_type=media_type, data=payload))
    return found


def pages(text: str) -> frozenset[str]:
    """Every character of each 128-code-point page `text` touches, and of the `BASE_PAGES`."""
    starts = {ord(c) // PAGE * PAGE for c in set(text)} | BASE_PAGES  # a book has a few hundred distinct characters
    return frozenset(chr(cp) for start in starts for cp in range(start, start + PAGE)
                     if not 0xD800 <= cp <= 0xDFFF)


def font_face_rules(fonts: list[EmbeddedFont], url_for: str) -> str:
    """`@font-face` rules pointing at the subset files (the theme's own rules name the original files)."""
    return "\n".join(
        f'@font-face {{ font-family: "{f.face.family}"; src: url("{url_for}{f.file_name}"); '
        f"font-weight: {f.face.weight}; font-style: {f.face.style}; }}"
        for f in fonts
    )


@functools.lru_cache(maxsize=64)
def _coverage(digest: str, path: Path) -> frozenset[str]:
    """Every character the font maps to a glyph.

    The subset key is the book's pages intersected with this: characters a face lacks (a Chinese or Arabic
    article set in a Latin/Cyrillic face) cannot change its subset, so they must not force a new one.
    """
    del digest  # part of the cache key only
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(str(path), lazy=True) as font:
            return frozenset(chr(cp) for cp in (font.getBestCmap() or {}))
    except (TTLibError, OSError, AssertionError):
        return frozenset()


@functools.lru_cache(maxsize=128)
def _subset(digest: str, path: Path, chars: frozenset[str]) -> tuple[bytes, str, str] | None:
    """The subset bytes, suffix and media type; keyed on the file's hash so an edited font is re-subset."""
    del digest  # part of the cache key only
    from fontTools import subset
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(str(path), recalcTimestamp=False)
    except (TTLibError, OSError, AssertionError):
        return None
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False  # a fixed `head.modified` keeps the EPUB byte-identical across runs
    options.drop_tables += ["DSIG"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)
    # Plain TrueType/OpenType rather than WOFF2: WOFF2 would save a few kilobytes after the ZIP's own
    # deflate, but Adobe RMSDK and older Apple Books cannot read it, and Brotli makes each subset ~3x slower.
    font.flavor = None
    suffix, media_type = (".otf", "font/otf") if "CFF " in font or "CFF2" in font else (".ttf", "font/ttf")
    out = io.BytesIO()
    font.save(out, reorderTables=True)
    return out.getvalue(), suffix, media_type
