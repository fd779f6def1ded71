"""Bytes → clean text: every reader's first step, so encoding and control-character rules are the same for all."""

from __future__ import annotations

import codecs
import re
import unicodedata

from exporter.diagnostics import Report
from exporter.errors import SourceError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x7fELF", b"RIFF", b"\x1f\x8b")
_CONTROL_BYTES = bytes(sorted(frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}))
# What XML 1.0 forbids (EPUB, DOCX and XHTML would be broken by them), plus noncharacters.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def decode_source(data: bytes, path: str, report: Report) -> str:
    """Decode a source, detecting its encoding when it is not UTF-8; `SourceError` for empty or binary files."""
    text = _decode(data, path, report) if data.strip(b" \t\r\n\x00") else ""
    if not text.strip(" \t\r\n\x00\ufeff"):
        raise SourceError("the file is empty: nothing to export", path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _strip_illegal(text, path, report)


def _decode(data: bytes, path: str, report: Report) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError as exc:
                raise SourceError(f"the file starts with a {encoding} byte-order mark but is not {encoding}: "
                                  f"{exc.reason}", path) from None
    if data.startswith(_MAGIC) or _looks_binary(data):
        raise SourceError("this is a binary file, not text: nothing to export", path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return _damaged_utf8(data, path, line, report) or _detect(data, path, line, report)


def _damaged_utf8(data: bytes, path: str, line: int, report: Report) -> str | None:
    """UTF-8 with a few corrupt bytes, read as UTF-8 (bad bytes → U+FFFD); None when it is not UTF-8 at all.

    A file whose valid multi-byte sequences outnumber its invalid bytes is UTF-8 that was damaged, not a
    legacy encoding: guessing a code page for it would garble every correct character around the fault.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = sum(1 for c in text if ord(c) > 0x7F and c != "\ufffd")
    if good <= bad:
        return None
    report.warn(
        "source.encoding",
        f"not valid UTF-8: {bad} bad byte sequence(s), the first on line {line}, replaced with U+FFFD",
        path=path,
        line=line,
    )
    return text


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # counted in C, not byte by byte
    return controls > max(8, len(head) // 10)


_COMMON_CODEPAGES = ("cp1252", "latin_1", "cp1251", "cp1250", "iso8859_15")
CHAOS_MARGIN = 0.1
"""How much more "chaos" (charset_normalizer's mess score) a code page may show and still be preferred: on a
short file the score is noise (one French sentence in latin-1 scores 0.08 as cp1252 and 0.0 as cp1257)."""


def _detect(data: bytes, path: str, line: int, report: Report) -> str:
    from charset_normalizer import from_bytes  # only for the rare non-UTF-8 file

    matches = list(from_bytes(data))
    if not matches:
        raise SourceError("the file is neither UTF-8 nor any text encoding that can be recognised", path, line)
    # The detector often cannot tell single-byte code pages apart on short text, so every candidate close to
    # its best is judged by how a reader would: letters from one alphabet, no stray symbols inside words;
    # then the code page most newsroom systems wrote.
    floor = min(m.chaos for m in matches)
    candidates = [(encoding, str(m)) for m in matches if m.chaos <= floor + CHAOS_MARGIN
                  for encoding in m.could_be_from_charset]
    encoding, text = min(candidates, key=lambda c: (*_implausibility(c[1]), _preference(c[0])))
    report.warn(
        "source.encoding",
        f"not valid UTF-8 (first bad byte on line {line}); read as {encoding}: save it as UTF-8 to be sure",
        path=path,
        line=line,
    )
    return text


def _implausibility(text: str) -> tuple[int, int]:
    """(symbols stuck to letters, alphabets mixed) in a decoding: `za¿ó³æ` or `Genčve … déją` give a wrong
    code page away, `Genève … déjà` does not. Alphabets are counted as 128-code-point blocks of letters."""
    stray = sum(1 for i, c in enumerate(text) if ord(c) > 127 and unicodedata.category(c)[0] in "SNC"
                and any(n.isalpha() for n in text[max(i - 1, 0):i] + text[i + 1:i + 2]))
    blocks = {ord(c) >> 7 for c in text if ord(c) > 127 and c.isalpha()}
    return stray, len(blocks)


def _preference(encoding: str) -> int:
    return _COMMON_CODEPAGES.index(encoding) if encoding in _COMMON_CODEPAGES else len(_COMMON_CODEPAGES)


def _strip_illegal(text: str, path: str, report: Report) -> str:
    first = _XML_ILLEGAL.search(text)
    if first is None:
        return text
    count = len(_XML_ILLEGAL.findall(text))
    line = text.count("\n", 0, first.start()) + 1
    column = first.start() - (text.rfind("\n", 0, first.start()) + 1) + 1
    report.warn(
        "source.control-characters",
        f"removed {count} control character(s) that XML forbids (first: U+{ord(first.group()):04X})",
        path=path,
        line=line,
        column=column,
    )
    return _XML_ILLEGAL.sub("", text)


def without_illegal(value: object, removed: list[int]) -> object:
    """Parsed data (JSON, YAML front matter) with characters XML forbids taken out of every string; `removed[0]`
    counts them. Escapes (`\\u0000`, `\\ud83d\\ude00`) get past `decode_source`, which sees only raw characters;
    an escaped surrogate pair is joined into the character it stands for (PyYAML leaves it as two halves)."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        cleaned, count = _XML_ILLEGAL.subn("", value)
        removed[0] += count
        return cleaned
    if isinstance(value, list):
        return [without_illegal(v, removed) for v in value]
    if isinstance(value, dict):
        return {without_illegal(k, removed): without_illegal(v, removed) for k, v in value.items()}
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
