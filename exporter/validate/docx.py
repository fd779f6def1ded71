"""DOCX: the package opens and is whole, Word's structure is sound, and (with `--deep`) LibreOffice converts it.

Word refuses, or "repairs" and silently drops content from, a package whose content types or relationships do
not resolve; python-docx is more lenient, so the package is checked with zipfile and lxml first. Headings,
footnotes and alt text are checked on the XML because they decide how the document reads in a screen reader
and in Word's navigation pane.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from lxml import etree

from exporter.diagnostics import Diagnostic, Level
from exporter.validate import CheckOptions, Outcome, _tools

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
HEADING_NAME = re.compile(r"^(heading ([1-9])|title)$", re.IGNORECASE)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class _Findings:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[Diagnostic] = []

    def add(self, level: Level, code: str, message: str) -> None:
        self.items.append(Diagnostic(level=level, code=f"docx.{code}", message=message, path=str(self.path)))


def _rels_source(rels_name: str) -> str:
    """`word/_rels/document.xml.rels` → `word/document.xml`; `_rels/.rels` → `` (the package)."""
    folder, _, name = rels_name.rpartition("_rels/")
    return folder + name.removesuffix(".rels")


def check_package(zf: zipfile.ZipFile, out: _Findings) -> dict[str, str]:
    """Content types cover every part and every internal relationship resolves; returns part → main rels."""
    names = {n.lower(): n for n in zf.namelist() if not n.endswith("/")}
    if "[content_types].xml" not in names:
        out.add("error", "content-types-missing", "the package has no [Content_Types].xml")
    else:
        types = etree.fromstring(zf.read(names["[content_types].xml"]), _PARSER)
        defaults = {(e.get("Extension") or "").lower() for e in types.iter(CT + "Default")}
        overrides = {(e.get("PartName") or "").lower().lstrip("/") for e in types.iter(CT + "Override")}
        for lower, name in sorted(names.items()):
            if lower != "[content_types].xml" and lower not in overrides \
                    and lower.rpartition("/")[2].rpartition(".")[2] not in defaults:
                out.add("error", "content-type-missing", f"part {name} has no content type in [Content_Types].xml")
    targets: dict[str, str] = {}
    for lower, name in sorted(names.items(), key=lambda item: (item[0] != "_rels/.rels", item[0])):
        if not lower.endswith(".rels"):
            continue
        source = _rels_source(name)
        for rel in etree.fromstring(zf.read(name), _PARSER).iter(REL + "Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = (rel.get("Target") or "").split("#")[0]
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(posixpath.dirname(source), target))
            if target and resolved.lower() not in names:
                out.add("error", "dangling-relationship",
                        f"{name}: relationship {rel.get('Id')} ({(rel.get('Type') or '').rsplit('/', 1)[-1]}) "
                        f"points to {resolved}, which is not in the package")
            if not source:
                targets[rel.get("Type") or ""] = resolved
            elif source.lower() == targets.get(OFFICE_DOCUMENT, "").lower():
                targets[(rel.get("Type") or "").rsplit("/", 1)[-1]] = resolved
    if OFFICE_DOCUMENT not in targets:
        out.add("error", "no-main-document", "_rels/.rels names no officeDocument part")
    return targets


def _read(zf: zipfile.ZipFile, name: str | None) -> etree._Element | None:
    if not name:
        return None
    try:
        return etree.fromstring(zf.read(name), _PARSER)
    except KeyError:
        return None


def check_structure(zf: zipfile.ZipFile, targets: dict[str, str], out: _Findings) -> None:
    """Headings use Heading styles without skipping levels, notes resolve, drawings have alt text."""
    document = _read(zf, targets.get(OFFICE_DOCUMENT))
    if document is None:
        return
    styles_root = _read(zf, targets.get("styles"))
    styles: dict[str, tuple[str, bool]] = {}
    for style in styles_root.iter(W + "style") if styles_root is not None else ():
        name_el = style.find(W + "name")
        name = name_el.get(W + "val", "") if name_el is not None else ""
        styles[style.get(W + "styleId", "")] = (name, style.find(f"{W}pPr/{W}outlineLvl") is not None)
    previous = 0
    for number, paragraph in enumerate(document.iter(W + "p"), 1):
        style_el = paragraph.find(f"{W}pPr/{W}pStyle")
        style_id = style_el.get(W + "val", "") if style_el is not None else ""
        if style_id and style_id not in styles and styles_root is not None:
            out.add("warning", "unknown-style", f"paragraph {number} uses style {style_id!r}, which is not defined")
        name, style_outline = styles.get(style_id, ("", False))
        heading = HEADING_NAME.match(name) or HEADING_NAME.match(style_id.replace("Heading", "heading "))
        direct = paragraph.find(f"{W}pPr/{W}outlineLvl")
        if ((direct is not None and direct.get(W + "val") != "9") or style_outline) and not heading:
            out.add("error", "heading-style", f"paragraph {number} is a heading (outline level) but uses style "
                    f"{name or style_id or 'Normal'!r}, not a Heading style")
        if heading and heading.group(2):
            level = int(heading.group(2))
            if level > previous + 1:
                out.add("warning", "heading-skip", f"paragraph {number}: Heading {level} follows "
                        f"{'Heading ' + str(previous) if previous else 'no heading'}")
            previous = level
    for kind in ("footnote", "endnote"):
        refs = {r.get(W + "id") for r in document.iter(f"{W}{kind}Reference")}
        notes_root = _read(zf, targets.get(f"{kind}s"))
        known = {n.get(W + "id") for n in notes_root.iter(W + kind)} if notes_root is not None else set()
        for ref in sorted(r for r in refs - known if r is not None):
            out.add("error", f"dangling-{kind}", f"{kind} reference {ref} has no {kind} in {kind}s.xml")
    for drawing in document.iter(WP + "docPr"):
        if not (drawing.get("descr") or "").strip():
            out.add("error", "image-missing-alt", f"drawing {drawing.get('name') or drawing.get('id')!r} has no "
                    "alt text (descr)")


def check_docx(path: Path) -> list[Diagnostic]:
    """Every finding for one document."""
    out = _Findings(path)
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad:
                out.add("error", "corrupt-part", f"part {bad} fails its CRC check")
            targets = check_package(zf, out)
            check_structure(zf, targets, out)
    except (OSError, zipfile.BadZipFile) as exc:
        out.add("error", "not-a-zip", f"the file is not a readable ZIP package: {exc}")
        return out.items
    except etree.XMLSyntaxError as exc:
        out.add("error", "malformed-xml", f"a package part is not well-formed XML: {exc}")
    try:
        import docx

        docx.Document(str(path))
    except ImportError:
        out.add("warning", "unavailable", "python-docx not installed: pip install 'exporter[docx]'")
    except Exception as exc:  # python-docx raises many unrelated types for broken packages
        out.add("error", "unreadable", f"python-docx cannot open it ({type(exc).__name__}: {exc})")
    return out.items


class DocxValidator:
    """Package, python-docx and structure checks."""

    name: ClassVar[str] = "docx"
    format: ClassVar[str] = "docx"
    batched: ClassVar[bool] = False
    deep_only: ClassVar[bool] = False

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """One outcome per document."""
        return [Outcome(path=str(p), format=self.format, validator=self.name, diagnostics=tuple(check_docx(p)))
                for p in paths]


class LibreOffice:
    """`--deep`: LibreOffice converts every document to PDF in one headless run."""

    name: ClassVar[str] = "libreoffice"
    format: ClassVar[str] = "docx"
    batched: ClassVar[bool] = True
    deep_only: ClassVar[bool] = True

    def validate(self, paths: Sequence[Path], options: CheckOptions) -> list[Outcome]:
        """Copy the documents under numbered names (stems may clash), convert them all, expect every PDF.

        The Word import filter is forced: left to guess, LibreOffice "converts" any garbage as plain text.
        """
        soffice = _tools.soffice()
        if soffice is None:
            return [self._outcome(p, [_tools.missing(self.name, p, "soffice (LibreOffice)",
                                                     "apt-get install libreoffice-writer-nogui")]) for p in paths]
        with tempfile.TemporaryDirectory(prefix="exporter-soffice-") as tmp:
            work = Path(tmp)
            (work / "in").mkdir()
            copies = [shutil.copyfile(p, work / "in" / f"{i}.docx") for i, p in enumerate(paths)]
            result = _tools.run([soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
                                 "--norestore", "--infilter=MS Word 2007 XML", "--convert-to", "pdf",
                                 "--outdir", str(work / "out"), *map(str, copies)])
            outcomes = []
            for index, path in enumerate(paths):
                pdf = work / "out" / f"{index}.pdf"
                found = [] if pdf.is_file() and pdf.stat().st_size > 0 else [Diagnostic(
                    level="error", code="libreoffice.convert-failed", path=str(path),
                    message=f"LibreOffice could not convert it to PDF: {(result.stderr or result.stdout)[-300:]}")]
                outcomes.append(self._outcome(path, found))
            return outcomes

    def _outcome(self, path: Path, found: list[Diagnostic]) -> Outcome:
        return Outcome(path=str(path), format=self.format, validator=self.name, diagnostics=tuple(found))
