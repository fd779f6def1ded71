"""Raw HTML from sources → safe HTML: an nh3 allowlist shared by the HTML, EPUB and PDF renderers.

Partners paste embed codes, tracking pixels and worse into articles. What is not on the allowlist below
disappears: every script, style and event handler, `javascript:`, `data:` and `file:` URLs, forms and
frames. `clean_html(..., xhtml=True)` re-serialises the result as well-formed XML for EPUB's XHTML.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from exporter.html_body import ImageMap
from exporter.urls import SAFE_SCHEMES

SAFE_TAGS = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    "var", "wbr",
})
"""Structural and phrasing elements only: no script, style, iframe, object, form, input, link, meta, base."""

SAFE_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"lang", "dir", "title", "class"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "col": {"span"},
    "colgroup": {"span"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "abbr": {"title"},
}
"""Attributes per element; no `on*` handler, no `style`, no `id` (ids could collide with the template's)."""


_DROP_WITH_CONTENT = frozenset({"script", "style", "noscript", "iframe", "object", "embed", "template", "svg",
                                "math", "textarea", "select", "button"})
"""Elements whose text must not leak into the output when the element itself is removed."""


def clean_html(text: str, line: int = 0, *, xhtml: bool = False, image: ImageMap | None = None) -> str:
    """`text` with everything off the allowlist removed; well-formed XML (polyglot) when `xhtml`.

    Images in raw HTML go through `image` (the renderer's resource policy) like any other image, so a
    tracking pixel or a `../` path cannot sneak in; without `image`, raw images are dropped. `line` is the
    source line the markup starts on, which refusals of its images name.
    """
    import nh3

    cleaned: str = nh3.clean(
        text,
        tags=set(SAFE_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in SAFE_ATTRIBUTES.items()},
        url_schemes=set(SAFE_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    if not cleaned.strip():
        return ""
    if "<img" not in cleaned and "<a" not in cleaned and not xhtml:
        return cleaned
    return _rewrite(cleaned, line, xhtml=xhtml, image=image)


def _rewrite(html: str, line: int, *, xhtml: bool, image: ImageMap | None) -> str:
    """Map raw images through the resource policy, unwrap links left without a URL, re-serialise (XML for EPUB)."""
    from lxml import etree
    from lxml import html as lxml_html

    wrapper = lxml_html.fragment_fromstring(html, create_parent="div")
    for img in list(wrapper.iter("img")):
        ref = image(img.get("src", ""), line) if image is not None else None
        if ref is None:
            img.drop_tree()
            continue
        img.set("src", ref.url)
        img.set("alt", img.get("alt", ""))
        if ref.width and ref.height:
            img.set("width", str(ref.width))
            img.set("height", str(ref.height))
    for anchor in list(wrapper.iter("a")):
        if not anchor.get("href"):  # its URL was unsafe: keep the text, drop the dead (and invalid) link
            anchor.drop_tag()
    method = "xml" if xhtml else "html"
    out = _escape_text(wrapper.text or "")
    for child in wrapper:
        out += etree.tostring(child, encoding="unicode", method=method, with_tail=True)
    return out.replace(' xmlns="http://www.w3.org/1999/xhtml"', "")


def _escape_text(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


def sanitizer(*, xhtml: bool = False, image: ImageMap | None = None) -> Callable[[str, int], str]:
    """`clean_html` as a (markup, line) callable, for `BodyOptions(raw_html=...)`."""
    return functools.partial(clean_html, xhtml=xhtml, image=image)
