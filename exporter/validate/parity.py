"""Metadata parity: one article exported to several formats must say the same title, authors, language, date
and identifier in each, as read back from the files themselves (not from the source).

Each format stores metadata its own way (OPF, DOCX core properties, PDF XMP/Info, JSON-LD), and each renderer
writes it separately, so drift between them is easy and invisible until a catalogue shows two titles.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from exporter.diagnostics import Diagnostic, Level
from exporter.validate import ANY_FORMAT, CheckOptions, Outcome, detect_format

FIELDS = ("title", "authors", "language", "date", "identifier")
"""What must agree, in report order; a field absent from one file is not compared for that file."""
DC = "{http://purl.org/dc/elements/1.1/}"
OPF = "{http://www.idpf.org/2007/opf}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
_NAME_SPLIT = re.compile(r"\s*(?:;|,\s|\s+and\s+|\s+&\s+)\s*")

Meta = dict[str, str | tuple[str, ...]]


def _clean(value: object) -> str:
    return unicodedata.normalize("NFC", " ".join(str(value or "").split()))


def _names(value: str) -> tuple[str, ...]:
    return tuple(n for n in (_clean(p) for p in _NAME_SPLIT.split(value)) if n)


def _put(meta: Meta, key: str, value: str | tuple[str, ...] | None) -> None:
    if value:
        meta[key] = value


def read_epub(path: Path) -> Meta:
    """Title, creators, language, date and the unique identifier from the OPF package document."""
    meta: Meta = {}
    with zipfile.ZipFile(path) as zf:
        container = etree.fromstring(zf.read("META-INF/container.xml"), _PARSER)
        rootfile = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile")
        opf = etree.fromstring(zf.read(rootfile.get("full-path", "") if rootfile is not None else ""), _PARSER)
    uid = opf.get("unique-identifier")
    _put(meta, "title", _clean(opf.findtext(f".//{DC}title")))
    _put(meta, "authors", tuple(_clean(c.text) for c in opf.iter(f"{DC}creator") if _clean(c.text)))
    _put(meta, "language", _clean(opf.findtext(f".//{DC}language")))
    _put(meta, "date", _clean(opf.findtext(f".//{DC}date")))
    _put(meta, "identifier", next((_clean(i.text) for i in opf.iter(f"{DC}identifier") if i.get("id") == uid), ""))
    return meta


def read_docx(path: Path) -> Meta:
    """Title, creator, language and identifier from `docProps/core.xml` (its dates are file times, not the
    article's, so they are not compared)."""
    meta: Meta = {}
    with zipfile.ZipFile(path) as zf:
        core = etree.fromstring(zf.read("docProps/core.xml"), _PARSER)
    _put(meta, "title", _clean(core.findtext(f"{DC}title")))
    _put(meta, "authors", _names(core.findtext(f"{DC}creator") or ""))
    _put(meta, "language", _clean(core.findtext(f"{DC}language")))
    _put(meta, "identifier", _clean(core.findtext(f"{DC}identifier")))
    return meta


def read_pdf(path: Path) -> Meta:
    """XMP Dublin Core first, the Info dictionary as fallback, `/Lang` from the catalog."""
    import pikepdf

    from exporter.validate.pdf import read_xmp, xmp_values

    meta: Meta = {}
    with pikepdf.open(path) as pdf:
        xmp = read_xmp(pdf)
        info: Any = pdf.docinfo if "/Info" in pdf.trailer else {}
        _put(meta, "title", _clean((xmp_values(xmp, "dc:title") or [str(info.get("/Title", ""))])[0]))
        creators = xmp_values(xmp, "dc:creator")
        _put(meta, "authors", tuple(map(_clean, creators)) if creators else _names(str(info.get("/Author", ""))))
        _put(meta, "language", _clean(pdf.Root.get("/Lang", "")) or _clean((xmp_values(xmp, "dc:language")
                                                                             or [""])[0]))
        _put(meta, "date", _clean((xmp_values(xmp, "dc:date") or [""])[0]))
        _put(meta, "identifier", _clean((xmp_values(xmp, "dc:identifier") or [""])[0]))
    return meta


def _person_names(value: object) -> tuple[str, ...]:
    people = value if isinstance(value, list) else [value]
    return tuple(n for n in (_clean(p.get("name") if isinstance(p, dict) else p) for p in people) if n)


def read_html(path: Path) -> Meta:
    """The JSON-LD NewsArticle (headline, author, inLanguage, datePublished, identifier) — on a collection page
    the CollectionPage itself, not its parts — with `lang` as fallback."""
    from exporter.validate.html import collection_pages, news_articles, parse_page

    root = parse_page(path.read_bytes(), path)
    meta: Meta = {}
    for script in root.iter("{*}script", "script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        article = next(iter(news_articles(data) or collection_pages(data)), None)  # a collection: its page
        if article:
            identifier = article.get("identifier")
            if isinstance(identifier, dict):
                identifier = identifier.get("value")
            _put(meta, "title", _clean(article.get("headline") or article.get("name")))
            _put(meta, "authors", _person_names(article.get("author")))
            _put(meta, "language", _clean(article.get("inLanguage")))
            _put(meta, "date", _clean(article.get("datePublished")))
            _put(meta, "identifier", _clean(identifier if isinstance(identifier, str) else ""))
            break
    _put(meta, "language", meta.get("language") or _clean(root.get("lang")))
    return meta


READERS: dict[str, Callable[[Path], Meta]] = {"epub": read_epub, "html": read_html, "pdf": read_pdf,
                                              "docx": read_docx}
"""Format → metadata reader, richest metadata first (ties in `compare` go to the earlier format); formats
without one (feeds) take no part in parity."""


def _date_key(value: str) -> datetime | date | str:
    """An aware datetime when the value has a time zone, else its day; unparsable values compare as text."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value[:10]
    return parsed if parsed.tzinfo is not None else parsed.date()


def _day(value: datetime | date | str) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else (
        value.isoformat() if isinstance(value, date) else value)


def normalise(field: str, value: str | tuple[str, ...]) -> object:
    """The comparable form: names as a case-folded set, languages and ids case-folded."""
    if isinstance(value, tuple) or field == "authors":
        return frozenset(n.casefold() for n in (value if isinstance(value, tuple) else (value,)))
    if field == "language":
        return value.replace("_", "-").lower()
    if field == "identifier":
        return value.lower().removeprefix("urn:uuid:")
    return value


def agree(field: str, a: str | tuple[str, ...], b: str | tuple[str, ...]) -> bool:
    """Whether two read-back values mean the same; dates compare as instants only when both carry a time."""
    if field == "date" and isinstance(a, str) and isinstance(b, str):
        left, right = _date_key(a), _date_key(b)
        if isinstance(left, datetime) and isinstance(right, datetime):
            return left == right
        return _day(left) == _day(right)
    return normalise(field, a) == normalise(field, b)


def _show(value: str | tuple[str, ...]) -> str:
    return repr("; ".join(value) if isinstance(value, tuple) else value)


def _refines(field: str, a: str | tuple[str, ...], b: str | tuple[str, ...]) -> bool:
    """`en-US` against `en`: one language tag only adds subtags to the other (less precise, not contradictory)."""
    if field != "language" or not isinstance(a, str) or not isinstance(b, str):
        return False
    short, long = sorted((str(normalise(field, a)), str(normalise(field, b))), key=len)
    return long.startswith(short + "-")


def compare(group: Sequence[tuple[Path, Meta]]) -> dict[Path, list[Diagnostic]]:
    """Every disagreement in one group, reported on each file that differs from the majority, naming both files.

    The majority (ties: the first file, in `READERS` order) is the reference, so one drifting renderer is
    reported once per article rather than on every other format. A language tag that merely refines the other
    (`en-US`/`en`) is a warning; everything else is an error.
    """
    found: dict[Path, list[Diagnostic]] = {path: [] for path, _ in group}
    for field in FIELDS:
        having = [(path, meta[field]) for path, meta in group if field in meta]
        votes = [sum(agree(field, value, other) for _, other in having) for _, value in having]
        if not having or min(votes) == len(having):
            continue
        first, reference = having[votes.index(max(votes))]
        for path, value in having:
            if not agree(field, reference, value):
                level: Level = "warning" if _refines(field, reference, value) else "error"
                found[path].append(Diagnostic(level=level, code=f"parity.{field}", path=str(path),
                                              message=f"{field} differs: {_show(reference)} in {first} but "
                                                      f"{_show(value)} in {path}"))
    return found


class Parity:
    """Cross-format metadata agreement for outputs sharing a stem (`nato.epub`, `nato.pdf`, …)."""

    name: ClassVar[str] = "parity"
    format: ClassVar[str] = ANY_FORMAT
    batched: ClassVar[bool] = True
    deep_only: ClassVar[bool] = False

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """Group by stem, read each file's metadata, compare within each group of two or more formats."""
        groups: dict[Path, list[tuple[Path, str]]] = defaultdict(list)
        for path in paths:
            fmt = detect_format(path)
            if fmt in READERS:
                groups[path.with_suffix("")].append((path, fmt))
        outcomes: list[Outcome] = []
        for members in groups.values():
            if len(members) < 2:
                continue
            read: list[tuple[Path, Meta]] = []
            problems: dict[Path, list[Diagnostic]] = {}
            for path, fmt in sorted(members, key=lambda member: list(READERS).index(member[1])):
                try:
                    read.append((path, READERS[fmt](path)))
                except Exception as exc:  # a broken file is its own validator's error; here it is unreadable
                    problems[path] = [Diagnostic(level="warning", code="parity.unreadable", path=str(path),
                                                 message=f"metadata could not be read ({type(exc).__name__}: "
                                                         f"{exc}); parity not checked for this file")]
            for path, found in compare(read).items():
                problems.setdefault(path, []).extend(found)
            outcomes.extend(Outcome(path=str(path), format=fmt, validator=self.name,
                                    diagnostics=tuple(problems.get(path, []))) for path, fmt in sorted(members))
        return outcomes
