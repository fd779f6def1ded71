"""Syndication HTML (`--to html`): a standalone page or a bare `<article>` fragment, safe for partners to ingest.

The page is built from the theme's `article.html.j2` / `fragment.html.j2`, which include the `_header` and
`_footer` partials the EPUB and PDF templates share. Safety holds by construction: the only script is the
JSON-LD, raw HTML goes through the nh3 allowlist, link URLs through a scheme allowlist, and images only
through the resource policy — nothing is ever fetched. Images and fonts are multi-file output, so they
come back from `companions()` (relative path → bytes) for the pipeline to write next to the page.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape, unescape
from pathlib import Path, PurePosixPath
from typing import ClassVar, Literal, NamedTuple
from urllib.parse import quote, urljoin

from markupsafe import Markup

from exporter.diagnostics import Report
from exporter.errors import OptionError
from exporter.html_body import BodyOptions, ImageRef
from exporter.html_context import article_context, direction, iso, script_json
from exporter.identity import document_identifier
from exporter.model import Article, Collection, Role
from exporter.paths import safe_file_name, safe_name
from exporter.resources import ResourcePolicy, image_refused, image_size, media_type
from exporter.sanitize import sanitizer
from exporter.svg import checked_svg
from exporter.themes import Theme
from exporter.urls import safe_url

_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
"""Characters left alone when a URL is percent-encoded (everything else that vnu rejects is encoded)."""


@dataclass(slots=True)
class _Assets:
    """Images found while rendering: where each went, and the files to write next to the page."""

    policy: ResourcePolicy
    folder: str
    embed: bool
    base_url: str
    source: str
    report: Report
    refs: dict[str, ImageRef | None] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def image(self, src: str, line: int = 0) -> ImageRef | None:
        """The output reference for `src` (read once per page, so a refusal names the first `line` using it), or
        None when the policy refused it."""
        if src not in self.refs:
            self.refs[src] = self._load(src, line)
        return self.refs[src]

    def _load(self, src: str, line: int) -> ImageRef | None:
        data = self.policy.read(src, source=self.source, report=self.report, line=line)
        if data is None:
            return None
        kind = media_type(data)
        if kind is None:
            self.report.warn("resource.refused", f"{src!r} is not an image (PNG, JPEG, GIF, WebP or SVG)",
                             path=self.source, line=line)
            return None
        if image_refused(data, src=src, source=self.source, report=self.report, line=line):  # a browser decodes it
            return None
        if kind == "image/svg+xml":
            cleaned = checked_svg(data, src=src, source=self.source, report=self.report, line=line)
            if cleaned is None:
                return None
            data = cleaned
        size = image_size(data)
        width, height = size if size else (None, None)
        if self.embed:
            return ImageRef(f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}", width, height)
        name = _safe_name(PurePosixPath(src.replace("\\", "/")).name)
        relative = f"{self.folder}/{name}"
        if relative in self.files and self.files[relative] != data:
            relative = f"{self.folder}/{hashlib.sha256(src.encode()).hexdigest()[:8]}-{name}"
        self.files[relative] = data
        url = quote(relative, safe=_URL_SAFE)
        return ImageRef(urljoin(self.base_url, url) if self.base_url else url, width, height)


def _font_file(path: Path) -> bytes:
    """A theme font's bytes, read once per process while the file is unchanged (every page ships the same)."""
    info = path.stat()
    return _read_cached(path, info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _read_cached(path: Path, size: int, mtime_ns: int) -> bytes:
    del size, mtime_ns  # part of the cache key only
    return path.read_bytes()


def _safe_name(name: str) -> str:
    """A file name that is safe on every file system and in a URL."""
    cleaned = re.sub(r"[^\w.-]+", "-", name).strip(".-")
    return safe_file_name(cleaned) if cleaned else "image"  # `aux.png` is a device on Windows


def output_stem(doc: Article | Collection) -> str:
    """The output file's stem, as the pipeline names it: the source's stem (a collection's folder name)."""
    if doc.source:
        path = Path(doc.source)
        stem = path.resolve().name if isinstance(doc, Collection) else path.stem
        if re.fullmatch(r"[\w.-]+", stem):
            return safe_name(stem)
    return _safe_name(doc.metadata.slug) if doc.metadata.slug else "article"


class _Rendered(NamedTuple):
    """One render's results, kept for the `companions` and `feed_content` calls about the same document."""

    doc: Article | Collection
    theme: Theme
    files: dict[str, bytes]
    contexts: list[dict[str, object]]


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlRenderer:
    """Semantic HTML5 through the theme's templates; options are the fields below."""

    name: ClassVar[str] = "html"
    suffix: ClassVar[str] = ".html"
    media_type: ClassVar[str] = "text/html"
    mode: Literal["standalone", "fragment"] = "standalone"
    """`standalone`: a full page with head, meta and JSON-LD; `fragment`: just the `<article>` element."""
    css: Literal["inline", "link"] = "inline"
    """`inline`: the web stylesheet in a `<style>` element; `link`: written as `<stem>_files/style.css`."""
    images: Literal["copy", "embed"] = "copy"
    """`copy`: images written to `<stem>_files/`; `embed`: data URIs inside the page (one self-contained file)."""
    fonts: Literal["shared", "copy", "none"] = "shared"
    """The theme's fonts with @font-face rules: `shared` in `_fonts/` beside the page (one copy for every page in
    the folder), `copy` in `<stem>_files/fonts/` (the page's own folder); `none`: no web fonts."""
    site_url: str = ""
    """The site's home (`https://example.com/`): publisher URL in JSON-LD; the pipeline also derives `base_url`."""
    base_url: str = ""
    """Where this page will be published (absolute, or relative to a feed): canonical URL unless the article has one."""
    publisher: str = ""
    """Publisher name when the article's metadata has none."""
    allow_remote: bool = False
    """Fetch http(s) images (public addresses only) and copy or embed them; off: never touch the network."""
    allow_private_network: bool = False
    """With `allow_remote`, also fetch from loopback, link-local and private addresses."""
    policy: ResourcePolicy = field(init=False, repr=False, compare=False)
    """What this renderer may read, built from the two options above (shared by `render` and `companions`)."""
    _last: list[_Rendered] = field(init=False, repr=False, compare=False, default_factory=list)
    """The last render (held, so identity checks are safe); a list so the frozen renderer can replace it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "policy", ResourcePolicy.for_renderer(
            "html", allow_remote=self.allow_remote, allow_private_network=self.allow_private_network))
        for option, value, allowed in (("mode", self.mode, ("standalone", "fragment")),
                                       ("css", self.css, ("inline", "link")),
                                       ("images", self.images, ("copy", "embed")),
                                       ("fonts", self.fonts, ("shared", "copy", "none"))):
            if value not in allowed:
                raise OptionError(f"html: {option} must be one of {', '.join(allowed)}, not {value!r}")
        if self.site_url and not re.match(r"^https?://[^/\s]+", self.site_url):
            raise OptionError(f"html: site_url must be an absolute http(s) URL, not {self.site_url!r}")
        if self.base_url and re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", self.base_url) and not re.match(
                r"^https?://[^/\s]+", self.base_url):
            raise OptionError(f"html: base_url must be an http(s) URL or a relative path, not {self.base_url!r}")

    def render(self, doc: Article | Collection, theme: Theme, report: Report) -> bytes:
        """The page (or fragment) as UTF-8."""
        page, files, contexts = self._build(doc, theme, report)
        self._last[:] = [_Rendered(doc, theme, files, contexts)]  # `companions` and a feed entry follow: build once
        return page

    def companions(self, doc: Article | Collection, theme: Theme, report: Report) -> dict[str, bytes]:
        """Files the page refers to, by path relative to the page's folder (images, stylesheet, fonts)."""
        del report  # `render` has already reported every problem; rendering again must not repeat them
        last = self._last[0] if self._last else None  # one read: another thread may render meanwhile
        if last is not None and last.doc is doc and last.theme is theme:
            return last.files
        return self._build(doc, theme, Report())[1]

    def shared_companions(self, theme: Theme) -> dict[str, bytes]:
        """The companions every page in a folder shares (the theme's fonts in `_fonts/`), a subset of what
        `companions` returns. A batch writes these once per folder itself, so a worker need not send a
        megabyte of fonts back with every page."""
        if self.mode == "fragment" or self.fonts != "shared":
            return {}
        return {f"_fonts/{face.path.name}": _font_file(face.path) for face in theme.font_faces}

    def feed_content(self, doc: Article, theme: Theme, *, base_url: str) -> str | None:
        """The article's fragment as a feed entry carries it, from the page just rendered: every relative URL
        resolved against `base_url` (the page's address). None when the last render was of something else, or
        its options make a page a feed cannot reuse (embedded images, another base, another publisher); the
        caller then renders the fragment itself (`exporter.feeds.feed_item`).
        """
        last = self._last[0] if self._last else None
        if (last is None or last.doc is not doc or last.theme is not theme or self.images != "copy"
                or self.base_url not in ("", base_url) or self.publisher):
            return None
        html = "".join(theme.template("fragment.html.j2").render(article=c) for c in last.contexts)
        if base_url != self.base_url and not doc.metadata.canonical_url:  # else resolved against that already
            html = _rebased(html, base_url)
        return _finish(html).decode("utf-8")

    # -- internals

    def _build(self, doc: Article | Collection, theme: Theme,
               report: Report) -> tuple[bytes, dict[str, bytes], list[dict[str, object]]]:
        folder = f"{output_stem(doc)}_files"
        articles = doc.articles if isinstance(doc, Collection) else (doc,)
        files: dict[str, bytes] = {}
        contexts = []
        for index, article in enumerate(articles):
            canonical = article.metadata.canonical_url or (self.base_url if len(articles) == 1 else "")
            assets = _Assets(policy=self.policy, folder=folder, embed=self.images == "embed",
                             base_url=canonical, source=article.source, report=report)
            prefix = f"a{index + 1}-" if isinstance(doc, Collection) else ""
            options = BodyOptions(footnotes="section", link=_linker(canonical), image=assets.image,
                                  raw_html=sanitizer(image=assets.image), id_prefix=prefix)
            contexts.append(article_context(article, body_options=options, report=report,
                                            canonical_url=canonical, publisher=self.publisher,
                                            publisher_url=self.site_url))
            files.update(assets.files)
        if self.mode == "fragment":
            html = "".join(theme.template("fragment.html.j2").render(article=c) for c in contexts)
            return _finish(html), files, contexts
        page = self._page(doc, contexts, theme, folder, files)
        html = theme.template("article.html.j2").render(page=page, articles=contexts, article=contexts[0]
                                                        if contexts else None)
        return _finish(html), files, contexts

    def _page(self, doc: Article | Collection, contexts: list[dict[str, object]], theme: Theme, folder: str,
              files: dict[str, bytes]) -> dict[str, object]:
        """Page-level values: language, title, meta tags, stylesheet and JSON-LD."""
        meta = doc.metadata
        first = contexts[0] if len(contexts) == 1 else None
        css = theme.stylesheet("web")
        if self.fonts != "none" and theme.font_faces:
            place = "_fonts" if self.fonts == "shared" else f"{folder}/fonts"
            prefix = ("../" if self.css == "link" else "") + place + "/"
            if self.css == "link" and self.fonts == "copy":
                prefix = "fonts/"
            css = theme.font_face_css(quote(prefix, safe=_URL_SAFE)) + "\n\n" + css
            files.update({f"{place}/{face.path.name}": _font_file(face.path) for face in theme.font_faces})
        stylesheet_url = ""
        if self.css == "link":
            files[f"{folder}/style.css"] = css.encode("utf-8")
            stylesheet_url = quote(f"{folder}/style.css", safe=_URL_SAFE)
        canonical = str(first["canonical_url"]) if first else (meta.canonical_url or self.base_url)
        jsonld = first["jsonld"] if first else _collection_jsonld(doc, contexts)
        return {
            "lang": meta.language,
            "dir": direction(meta.language, meta.direction),
            "title": meta.title,
            "description": meta.summary or meta.subtitle,
            "canonical_url": canonical,
            "meta": _social_meta(first, meta.title, meta.summary or meta.subtitle, canonical),
            "css": Markup(css.replace("</", "<\\/")),
            "stylesheet_url": stylesheet_url,
            "jsonld_script": script_json(jsonld),
        }


def _linker(base: str) -> Callable[[str], str | None]:
    """The link mapper: unsafe schemes dropped, URLs percent-encoded, relative ones made absolute on `base`."""

    def link(url: str) -> str | None:
        kept = safe_url(url)
        if not kept:  # unsafe, or only spaces: no link (an empty one would point at the page itself)
            return None
        encoded = quote(kept, safe=_URL_SAFE)
        if base and not encoded.startswith("#") and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", encoded):
            return urljoin(base, encoded)
        return encoded

    return link


def _social_meta(context: dict[str, object] | None, title: str, description: str,
                 canonical: str) -> list[tuple[str, str, str]]:
    """Open Graph and Twitter card tags as (attribute, key, content), in a fixed order."""
    tags: list[tuple[str, str, str]] = [("property", "og:type", "article" if context else "website"),
                                        ("property", "og:title", title)]
    if description:
        tags.append(("property", "og:description", description))
    if canonical:
        tags.append(("property", "og:url", canonical))
    image = context.get("lead_image") if context else None
    image_url = str(image["url"]) if isinstance(image, dict) and not str(image["url"]).startswith("data:") else ""
    if image_url:
        tags.append(("property", "og:image", image_url))
        if isinstance(image, dict) and image.get("alt"):
            tags.append(("property", "og:image:alt", str(image["alt"])))
    if context:
        tags.append(("property", "og:locale", str(context["lang"]).replace("-", "_")))
        if context["publisher"]:
            tags.append(("property", "og:site_name", str(context["publisher"])))
        published, updated = context["published"], context["updated"]
        if isinstance(published, dict):
            tags.append(("property", "article:published_time", published["iso"]))
        if isinstance(updated, dict):
            tags.append(("property", "article:modified_time", updated["iso"]))
        if context["section"]:
            tags.append(("property", "article:section", str(context["section"])))
        tags.extend(("property", "article:tag", str(tag)) for tag in context["tags"])  # type: ignore[attr-defined]
    tags.append(("name", "twitter:card", "summary_large_image" if image_url else "summary"))
    tags.append(("name", "twitter:title", title))
    if description:
        tags.append(("name", "twitter:description", description))
    if image_url:
        tags.append(("name", "twitter:image", image_url))
    return tags


def _collection_jsonld(doc: Article | Collection, contexts: list[dict[str, object]]) -> dict[str, object]:
    """A `CollectionPage` for the book or issue, each article a `NewsArticle` in `hasPart`; `exporter check`
    validates every part as it would a single article's page."""
    meta = doc.metadata
    data: dict[str, object] = {"@context": "https://schema.org", "@type": "CollectionPage", "name": meta.title,
                               "headline": meta.title, "inLanguage": meta.language,
                               "identifier": document_identifier(meta, doc.source)}
    roles: tuple[tuple[Role, str], ...] = (("author", "author"), ("editor", "editor"))
    for role, key in roles:
        people = [p.name for p in meta.credited(role)]
        if people:
            data[key] = [{"@type": "Person", "name": name} for name in people]
    if meta.date:
        data["datePublished"] = iso(meta.date)
    parts = []
    for context in contexts:
        part = dict(context["jsonld"])  # type: ignore[call-overload]
        part.pop("@context", None)
        parts.append(part)
    data["hasPart"] = parts
    return data


_TAG = re.compile(r'<[a-zA-Z][^<>]*\s(?:href|src)="[^<>]*>')
"""A start tag with an `href` or `src`: text and attribute values never hold a raw `<` or `>` (both are
escaped), so this finds tags only, never `src="…"` written in a paragraph or a code sample; tags without
either attribute are passed over in the pattern, not in Python."""
_URL_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


def _rebased(html: str, base: str) -> str:
    """`html` (this renderer's own markup: attributes double-quoted and escaped) with every relative `href`
    and `src` resolved against `base`; links within the fragment (`#fn-1`) stay as they are, since the
    fragment carries its notes and headings."""

    def resolve(match: re.Match[str]) -> str:
        written = match.group(2)
        value = unescape(written)
        if not value or value.startswith(("#", "//")) or _HAS_SCHEME.match(value):
            return match.group(0)
        joined = urljoin(base, value)
        if joined.endswith(value):  # the usual case: only a prefix is added, the value keeps its escaping
            return match.group(1) + escape(joined[:-len(value)], quote=True) + written + match.group(3)
        again = escape(joined, quote=True)  # `..` or a query resolved: escape as the template engine had
        if "&#39;" in written or "&#34;" in written:
            again = again.replace("&#x27;", "&#39;").replace("&quot;", "&#34;")
        return match.group(1) + again + match.group(3)

    return _TAG.sub(lambda tag: _URL_ATTRIBUTE.sub(resolve, tag.group(0)), html)


_HAS_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _finish(html: str) -> bytes:
    """Exactly one trailing newline, so output bytes never depend on how a template ends."""
    return (html.rstrip("\n") + "\n").encode("utf-8")
