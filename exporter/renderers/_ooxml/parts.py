"""Package parts and settings: the footnotes part, list numbering, settings.xml and a reproducible archive."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from typing import Any

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import XmlPart
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from exporter.renderers._ooxml.text import XML_SPACE, Element, el, make, style_rpr

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Timestamp of every archive entry, so two runs give identical bytes."""
PRECOMPRESSED = (".jpg", ".jpeg", ".png", ".gif", ".webp")
"""Media stored as they are in the archive rather than deflated."""


def clear_body(document: Any) -> None:
    """Empty the body of a template or reference document, keeping its final section properties."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


_FOOTNOTES_XML = (
    f"<w:footnotes {nsdecls('w', 'r')}>"
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
    "</w:footnotes>"
)


class Footnotes:
    """The footnotes part, created on first use: separator notes, then one `w:footnote` per note.

    Word numbers footnotes itself from their order in the text, so the renderer only hands out ids.
    """

    def __init__(self, document_part: Any) -> None:
        self._document_part = document_part
        self._part: XmlPart | None = None
        self.count = 0

    @property
    def part(self) -> XmlPart:
        """The footnotes part (hyperlinks inside notes relate from it)."""
        if self._part is None:
            package = self._document_part.package
            self._part = XmlPart(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, parse_xml(_FOOTNOTES_XML),
                                 package)
            self._document_part.relate_to(self._part, RT.FOOTNOTES)
            settings = self._document_part.settings.element
            pr = make("w:footnotePr")
            pr.append(el("w:footnote", id="-1"))
            pr.append(el("w:footnote", id="0"))
            _insert_setting(settings, pr, _AFTER_FOOTNOTE_PR)
        return self._part

    def new(self) -> tuple[int, Element]:
        """A new empty footnote: its id (for the reference) and its element (to write paragraphs into)."""
        self.count += 1
        note = el("w:footnote", id=str(self.count))
        self.part.element.append(note)
        return self.count, note

    @staticmethod
    def reference(parent: Element, note_id: int, style_id: str) -> None:
        """The superscript reference mark in the text."""
        run = make("w:r")
        run.append(style_rpr(style_id))
        run.append(el("w:footnoteReference", id=str(note_id)))
        parent.append(run)

    @staticmethod
    def mark(note: Element, ref_style_id: str, text_style_id: str) -> None:
        """The number at the start of the note itself (`w:footnoteRef`) and a space, in its first paragraph."""
        paragraph = note.find(qn("w:p"))
        if paragraph is None:
            paragraph = make("w:p")
            ppr = make("w:pPr")
            ppr.append(el("w:pStyle", val=text_style_id))
            paragraph.append(ppr)
            note.insert(0, paragraph)
        run = make("w:r")
        run.append(style_rpr(ref_style_id))
        run.append(make("w:footnoteRef"))
        index = 1 if paragraph.find(qn("w:pPr")) is not None else 0
        paragraph.insert(index, run)
        space = make("w:r")
        t = make("w:t")
        t.text = " "
        t.set(XML_SPACE, "preserve")
        space.append(t)
        paragraph.insert(index + 1, space)


# ------------------------------------------------------------------------------------------ numbering

_BULLETS = ("•", "◦", "▪")
_NUMBER_FORMATS = ("decimal", "lowerLetter", "lowerRoman")
_ABSTRACT_IDS = {False: 900, True: 901}


class Numbering:
    """List definitions: one abstract definition per kind, one `w:num` per list so every list restarts."""

    def __init__(self, document_part: Any) -> None:
        self._numbering = document_part.numbering_part.element
        nums = [int(n.get(qn("w:numId"))) for n in self._numbering.findall(qn("w:num"))]
        self._next = max([*nums, 0]) + 1
        self._defined: set[bool] = set()

    def new_list(self, *, ordered: bool, level: int, start: int = 1) -> int:
        """A fresh list instance starting at `start` on `level`; returns its `numId`."""
        self._define(ordered)
        num_id = self._next
        self._next += 1
        num = el("w:num", numId=str(num_id))
        num.append(el("w:abstractNumId", val=str(_ABSTRACT_IDS[ordered])))
        override = el("w:lvlOverride", ilvl=str(level))
        override.append(el("w:startOverride", val=str(start)))
        num.append(override)
        self._numbering.append(num)
        return num_id

    def _define(self, ordered: bool) -> None:
        if ordered in self._defined:
            return
        self._defined.add(ordered)
        abstract = el("w:abstractNum", abstractNumId=str(_ABSTRACT_IDS[ordered]))
        abstract.append(el("w:multiLevelType", val="multilevel"))
        for level in range(9):
            lvl = el("w:lvl", ilvl=str(level))
            lvl.append(el("w:start", val="1"))
            if ordered:
                lvl.append(el("w:numFmt", val=_NUMBER_FORMATS[level % 3]))
                lvl.append(el("w:lvlText", val=f"%{level + 1}."))
            else:
                lvl.append(el("w:numFmt", val="bullet"))
                lvl.append(el("w:lvlText", val=_BULLETS[level % 3]))
            lvl.append(el("w:lvlJc", val="left"))
            ppr = make("w:pPr")
            ppr.append(el("w:ind", left=str(360 * (level + 1)), hanging="360"))
            lvl.append(ppr)
            abstract.append(lvl)
        first_num = self._numbering.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            self._numbering.append(abstract)


# ------------------------------------------------------------------------------------------- settings

_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "m:mathPr",
                        "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                        "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
                        "smartTagType", "sl:schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol",
                        "listSeparator")
_AFTER_FOOTNOTE_PR = _AFTER_UPDATE_FIELDS[2:]


def _insert_setting(settings: Element, element: Element, successors: Iterable[str]) -> None:
    """Insert into `w:settings` before the first successor present: Word rejects settings out of order."""
    existing = settings.find(element.tag)
    if existing is not None:
        settings.remove(existing)
    for name in successors:
        found = settings.find(qn(name if ":" in name else f"w:{name}"))
        if found is not None:
            found.addprevious(element)
            return
    settings.append(element)


def prepare_settings(settings: Element, language: str, *, update_fields: bool) -> None:
    """Set the theme font language, drop the template's "already spell-checked" flag, ask for field updates."""
    proof = settings.find(qn("w:proofState"))
    if proof is not None:
        settings.remove(proof)
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = el("w:themeFontLang")
        _insert_setting(settings, lang, _AFTER_UPDATE_FIELDS[9:])
    lang.set(qn("w:val"), language)
    if update_fields:
        _insert_setting(settings, el("w:updateFields", val="true"), _AFTER_UPDATE_FIELDS)


def drop_package_parts(package: Any, reltypes: Iterable[str]) -> None:
    """Remove parts by relationship type (the template's thumbnail, Word 2010's stylesWithEffects)."""
    wanted = set(reltypes)
    for owner in (package, package.main_document_part):
        for rid, rel in list(owner.rels.items()):
            if rel.reltype in wanted:
                del owner.rels[rid]
                owner.rels._target_parts_by_rId.pop(rid, None)


def package_bytes(document: Any) -> bytes:
    """The document as a .docx archive with fixed timestamps and a stable entry order (same input, same bytes).

    python-docx's own `save` stamps every entry with the current time, so its archive would have to be
    unpacked and packed again; collecting the parts here deflates each one once.
    """
    package = document.part.package
    parts = package.parts
    for part in parts:
        part.before_marshal()
    entries: dict[str, bytes] = {}

    class _Collector:
        @staticmethod
        def write(uri: PackURI, blob: bytes) -> None:
            entries[uri.membername] = blob

    writer: Any = PackageWriter  # its part-by-part steps have no public entry point (nor type hints)
    writer._write_content_types_stream(_Collector, parts)
    writer._write_pkg_rels(_Collector, package.rels)
    writer._write_parts(_Collector, parts)
    first = [n for n in ("[Content_Types].xml", "_rels/.rels") if n in entries]
    order = first + sorted(n for n in entries if n not in first)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            # JPEG/PNG/GIF/WebP are compressed already: deflating them again costs time and saves nothing
            info.compress_type = zipfile.ZIP_STORED if name.lower().endswith(PRECOMPRESSED) else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            target.writestr(info, entries[name], compresslevel=6)
    return out.getvalue()
