"""Theme fonts subset to the characters a book uses (fontTools), cached on (font file hash, character set).

The character set is rounded up to whole 128-code-point pages (Basic Latin, Latin-1, Latin Extended-A,
Cyrillic, General Punctuation, …): a subset costs a tenth to a fifth of a second per face, mostly spent
decompiling and pruning the layout tables, and rounding (plus a common Latin base) lets every book in the
same scripts reuse one cached subset: a batch of a hundred English articles subsets each face once per
worker. The subset stays a fraction of the original (a Latin/Greek/Cyrillic Noto face drops from ~260 KB
to ~40 KB).

OpenType features are kept when shaping needs them (fontTools' default list: ligatures, kerning, marks,
locale forms, the complex-script features) or when the stylesheet asks for them (`font-variant: small-caps`
keeps `smcp`); keeping every feature would make each subset half as slow again and a third larger, for
glyphs no rule of the book can select.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from exporter import shared_cache
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


_VARIANT_FEATURES = {
    "small-caps": ("smcp",), "all-small-caps": ("smcp", "c2sc"), "petite-caps": ("pcap",),
    "all-petite-caps": ("pcap", "c2pc"), "unicase": ("unic",), "titling-caps": ("titl",),
    "oldstyle-nums": ("onum",), "lining-nums": ("lnum",), "proportional-nums": ("pnum",),
    "tabular-nums": ("tnum",), "diagonal-fractions": ("frac",), "stacked-fractions": ("afrc",),
    "ordinal": ("ordn",), "slashed-zero": ("zero",), "discretionary-ligatures": ("dlig",),
    "historical-ligatures": ("hlig",), "contextual": ("calt",), "historical-forms": ("hist",),
    "super": ("sups",), "sub": ("subs",), "ruby": ("ruby",), "full-width": ("fwid",),
    "proportional-width": ("pwid",), "jis78": ("jp78",), "jis83": ("jp83",), "jis90": ("jp90",),
    "jis04": ("jp04",), "simplified": ("smpl",), "traditional": ("trad",),
}
"""CSS `font-variant-*` keywords and the OpenType features they switch on (CSS Fonts 4, section 6)."""
_VARIANT_DECLARATION = re.compile(r"font-variant(?:-[a-z-]+)?\s*:\s*([^;}]*)", re.IGNORECASE)
_FEATURE_SETTINGS = re.compile(r"font-feature-settings\s*:\s*([^;}]*)", re.IGNORECASE)
_FEATURE_TAG = re.compile(r"[\"']([\x20-\x7e]{4})[\"']")


@functools.lru_cache(maxsize=16)
def layout_features(css: str) -> tuple[str, ...]:
    """fontTools' default feature list plus every feature `css` can switch on, sorted (a cache key)."""
    from fontTools import subset

    wanted = set(subset.Options().layout_features)
    for match in _VARIANT_DECLARATION.finditer(css):
        for keyword in match.group(1).lower().split():
            wanted.update(_VARIANT_FEATURES.get(keyword, ()))
    for match in _FEATURE_SETTINGS.finditer(css):
        wanted.update(_FEATURE_TAG.findall(match.group(1)))
    return tuple(sorted(wanted))


def subset_fonts(faces: tuple[FontFace, ...], text: str, features: tuple[str, ...]) -> list[EmbeddedFont]:
    """Each distinct face subset to the characters in `text`; faces fontTools cannot read are left out.

    `features` comes from `layout_features` on the stylesheet the fonts are embedded for. In a batch the
    subsets are shared through the output folder (`exporter.shared_cache`): a face another worker is subsetting
    right now is taken from it once that worker is done, after this one has subset the faces nobody is on.
    """
    chars = pages(text)
    distinct: list[tuple[FontFace, str]] = []
    for face in faces:
        if face.path not in {f.path for f, _ in distinct}:
            info = face.path.stat()
            distinct.append((face, _file_digest(face.path, info.st_size, info.st_mtime_ns)))
    made: dict[Path, bytes | None] = {}
    for wait in (False, True):
        for face, digest in distinct:
            if face.path not in made:
                data, done = _subset(digest, face.path, chars & _coverage(digest, face.path), features, wait=wait)
                if done:
                    made[face.path] = data
    found: list[EmbeddedFont] = []
    for face, _ in distinct:
        payload = made[face.path]
        if payload is None:
            continue
        suffix, media_type = (".otf", "font/otf") if payload[:4] == b"OTTO" else (".ttf", "font/ttf")
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
def _file_digest(path: Path, size: int, mtime_ns: int) -> str:
    """The font file's hash, read once per process while its size and time are unchanged (every book of a
    batch embeds the same faces; reading and hashing a megabyte of fonts per book cost more than its XHTML)."""
    del size, mtime_ns  # part of the cache key only
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


_MADE: dict[tuple[str, Path, frozenset[str], tuple[str, ...]], bytes | None] = {}
_MADE_KEPT = 128


def _subset(digest: str, path: Path, chars: frozenset[str], features: tuple[str, ...], *,
            wait: bool) -> tuple[bytes | None, bool]:
    """(subset bytes or None for a face fontTools cannot read, True), made once per process and shared through
    the batch's cache; (None, False) when another worker is making it and `wait` is false."""
    local = (digest, path, chars, features)
    if local in _MADE:
        return _MADE[local], True
    from fontTools import version

    name = shared_cache.key("font-subset", 1, version, digest, "".join(sorted(chars)), features)
    data, done = shared_cache.get_or_compute("fonts", name, lambda: _subset_bytes(path, chars, features), wait=wait)
    if done:
        while len(_MADE) >= _MADE_KEPT:
            del _MADE[next(iter(_MADE))]
        _MADE[local] = data
    return data, done


def _subset_bytes(path: Path, chars: frozenset[str], features: tuple[str, ...]) -> bytes | None:
    """The face subset to `chars` keeping `features`, as TrueType or CFF OpenType; None when unreadable."""
    from fontTools import subset
    from fontTools.ttLib import TTFont, TTLibError

    try:
        font = TTFont(str(path), recalcTimestamp=False, lazy=True)  # as fontTools' own subsetter loads
    except (TTLibError, OSError, AssertionError):
        return None
    options = subset.Options()
    options.layout_features = list(features)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False  # a fixed `head.modified` keeps the EPUB byte-identical across runs
    options.drop_tables += ["DSIG"]
    # The naming table is kept whole (every name is kept anyway): pruning it visits every other table for the
    # few name ids they refer to, a quarter of the time of a subset, to drop nothing from the theme's faces.
    names = font.get("name")
    if names is not None:
        del font["name"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)
    if names is not None:
        font["name"] = names
    # Plain TrueType/OpenType rather than WOFF2: WOFF2 would save a few kilobytes after the ZIP's own
    # deflate, but Adobe RMSDK and older Apple Books cannot read it, and Brotli makes each subset ~3x slower.
    font.flavor = None
    out = io.BytesIO()
    font.save(out, reorderTables=True)
    return out.getvalue()
