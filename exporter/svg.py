"""SVG images made inert before any format embeds them: no scripts, handlers, foreign content or outside references.

An SVG is a document, not a picture: it can run script, embed HTML, declare entities that read local files
and point at URLs a viewer will fetch. HTML pages, EPUB packages and WeasyPrint's PDFs all embed SVG images
as they are, so every renderer passes them through `clean_svg` first; what cannot be parsed safely is left
out of the output with an `image.invalid` warning.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from exporter.diagnostics import Report
from exporter.readers._html_dom import remove

if TYPE_CHECKING:
    from lxml.etree import _Element

SVG_NS = "http://www.w3.org/2000/svg"
_XHTML_NS = "http://www.w3.org/1999/xhtml"
_DROP = frozenset({"script", "foreignObject", "handler", "listener", "iframe", "object", "embed", "audio", "video",
                   "canvas"})
"""Elements removed with their content: code, and foreign documents that may run code or load URLs."""
_ANIMATION = frozenset({"set", "animate", "animateColor", "animateMotion", "animateTransform"})
"""Elements that can rewrite another attribute at run time (`<set attributeName="href" to="javascript:…">`)."""
_REFERENCING = frozenset({"image", "use", "feImage", "tref"})
"""Elements that only show what their `href` points at: removed when that reference had to go."""
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp)[;,]", re.IGNORECASE)
_URL_FUNCTION = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)
_CSS_FETCHING = ("@import", "image-set(", "src(", "expression(", "-moz-binding", "behavior:")
"""CSS that loads something other than through `url()`: refused whole."""


def clean_svg(data: bytes) -> bytes | None:
    """The SVG with every active or outside-reaching part removed; None when it is not a safe-to-parse SVG.

    Parsed with entity resolution, DTD loading and the network off, and refused outright when it declares
    entities (the XXE and "billion laughs" vectors). The only references kept (links included: an image is
    not a page to navigate from) are same-document `#fragments` and `data:` PNG/JPEG/GIF/WebP images.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    dtd: Any = root.getroottree().docinfo.internalDTD  # a plain `<!DOCTYPE svg PUBLIC …>` is fine, and not kept
    if dtd is not None and (any(True for _ in dtd.entities()) or any(True for _ in dtd.iterelements())):
        return None
    if b"<!ENTITY" in data.upper() or b"<!ATTLIST" in data.upper():
        return None
    if not isinstance(root.tag, str) or etree.QName(root).localname != "svg":
        return None
    for element in list(root.iter()):
        if element is not root and _unsafe_element(element):
            remove(element)
            continue
        if isinstance(element.tag, str):
            _clean_attributes(element)
            if etree.QName(element).localname in _REFERENCING and not _href(element):
                remove(element)  # nothing left to show, and WeasyPrint would ask for a URL of None
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def checked_svg(data: bytes, *, src: str, source: str, report: Report, line: int = 0) -> bytes | None:
    """`clean_svg`, with an `image.invalid` warning (naming the image, the source and its line) when it refuses."""
    cleaned = clean_svg(data)
    if cleaned is None:
        report.warn("image.invalid", f"{src}: an SVG that is not well-formed, declares entities or is not SVG "
                    "at all; left out", path=source, line=line)
    return cleaned


def _unsafe_element(element: _Element) -> bool:
    from lxml import etree

    if not isinstance(element.tag, str):
        return isinstance(element, etree._Entity)  # an entity reference left unresolved
    name = etree.QName(element)
    if name.localname in _DROP or name.namespace == _XHTML_NS:
        return True
    if name.localname == "style":
        return not _safe_css(element.text or "")
    if name.localname in _ANIMATION:
        target = (element.get("attributeName") or "").split(":")[-1].strip().lower()
        return target == "href" or target.startswith("on") or target == "style"
    return False


def _clean_attributes(element: _Element) -> None:
    from lxml import etree

    for key in list(element.attrib):
        local = etree.QName(key).localname.lower()
        value = str(element.attrib[key])
        if local.startswith("on") or local == "base":  # handlers, and `xml:base`, which re-roots relative URLs
            del element.attrib[key]
        elif local == "href":
            if not _local_reference(value):
                del element.attrib[key]
        elif ("url(" in value.lower() or local == "style") and not _safe_css(value):
            del element.attrib[key]


def _href(element: _Element) -> str:
    """The element's `href` or `xlink:href`, empty when it has none."""
    return next((str(value) for key, value in element.attrib.items() if str(key).rsplit("}", 1)[-1] == "href"), "")


def _local_reference(value: str) -> bool:
    """True for a same-document `#fragment` or an inline raster image: nothing a viewer would fetch."""
    text = value.strip()
    return text.startswith("#") or _DATA_IMAGE.match(text) is not None


def _safe_css(css: str) -> bool:
    """True when CSS (a `<style>` sheet or a presentation attribute) refers to nothing outside the image."""
    if "\\" in css:  # an escape (`\\75 rl(`) could spell a function name past the checks below
        return False
    # Read it with and without comments: `url/**/(` is a fetch only once comments go, and a `/*` inside a
    # string would hide the rest of the sheet from a check that removed comments.
    return all(_local_css(view) for view in (css, _CSS_COMMENT.sub("", css)))


def _local_css(css: str) -> bool:
    lowered = css.lower()
    if any(token in lowered for token in _CSS_FETCHING):
        return False
    targets = _URL_FUNCTION.findall(css)
    return lowered.count("url(") == len(targets) and all(_local_reference(target) for _, target in targets)
