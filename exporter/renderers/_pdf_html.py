"""The print document as HTML: the shared body in the theme's `print.html.j2`, plus everything around it.

Print differs from the web page only where paper differs: footnotes float to the page bottom, images are
absolute `file:` URLs checked against the resource policy (http(s) ones, when the policy allows them, are
fetched through it by `_pdf_fetch`), the head carries what becomes PDF metadata, and
a collection gains a cover and a table of contents whose page numbers WeasyPrint fills in
(`target-counter`). The body itself comes from `exporter.html_body`, so the three HTML-based formats agree.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exporter.diagnostics import Report
from exporter.html_body import BodyOptions, ImageMap, ImageRef
from exporter.html_context import article_context, direction, format_date, labels, modified
from exporter.identity import document_authors
from exporter.model import Article, Collection, Metadata
from exporter.resources import ResourcePolicy, is_remote
from exporter.themes import Theme
from exporter.urls import safe_url


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageMapper:
    """Maps a source's image references to URLs WeasyPrint may open; refusals are reported against the source."""

    source: str
    """The article's source path (images are relative to its folder)."""
    report: Report
    """Where refusals go."""
    policy: ResourcePolicy
    """The render's policy: local images are located through it, remote ones fetched through it."""
    origins: dict[str, tuple[str, int]]
    """Each URL handed out → the source and line that first named it, for what the fetcher finds later (an
    unreadable file, a damaged image, a refused SVG) to be reported there too; shared by a document's mappers."""

    def __call__(self, src: str, line: int = 0) -> ImageRef | None:
        """A `file:` URL for an allowed local image, the URL itself for a remote one the policy may fetch (the
        fetcher then reads it through the same policy, which still checks the address), else None after a
        warning naming the source's `line`."""
        if self.policy.allow_remote and is_remote(src):
            url = src.strip()
        else:
            found = self.policy.locate(src, source=self.source, report=self.report, line=line)
            if found is None:
                return None
            url = found.as_uri()
        self.origins.setdefault(url, (self.source, line))
        return ImageRef(url)


def _sanitizer(images: ImageMap) -> Callable[[str, int], str] | None:
    """The shared raw-HTML allowlist, or None (raw HTML dropped with a warning) when nh3 is missing."""
    try:
        import nh3  # noqa: F401
    except ImportError:  # pragma: no cover - nh3 is a core dependency
        return None
    from exporter.sanitize import sanitizer

    return sanitizer(image=images)


def creation_date(metadata: Metadata) -> str:
    """W3C date for the PDF's CreationDate: SOURCE_DATE_EPOCH when set (reproducible builds), else the article's."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _w3c(metadata.date) if metadata.date else ""


def _w3c(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def print_article(article: Article, *, report: Report, policy: ResourcePolicy, publication: str,
                  running_head: str, prefix: str, origins: dict[str, tuple[str, int]]) -> dict[str, object]:
    """The shared article context (what `_header`/`_footer` print) plus what paper adds: the running heads."""
    meta = article.metadata
    images = ImageMapper(source=article.source, report=report, policy=policy, origins=origins)
    options = BodyOptions(footnotes="float", link=safe_url, image=images, raw_html=_sanitizer(images),
                          id_prefix=prefix)
    context = article_context(article, body_options=options, report=report, publisher=publication)
    verso = {"section": meta.section or publication, "publication": publication or meta.section}.get(running_head, "")
    context |= {"id": f"{prefix}article", "running_verso": verso, "running_recto": meta.title}
    return context


def document_context(doc: Article | Collection, theme: Theme, *, report: Report, policy: ResourcePolicy,
                     running_head: str, origins: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """The whole template context: head metadata, optional cover and contents, and the articles.

    `origins` receives every image URL the HTML names with the source and line it came from (`ImageMapper`).
    """
    meta = doc.metadata
    articles = doc.articles if isinstance(doc, Collection) else (doc,)
    publication = meta.publisher or (meta.title if isinstance(doc, Collection) else "")
    many = len(articles) > 1 or isinstance(doc, Collection)
    contexts = [print_article(a, report=report, policy=policy, publication=publication,
                              running_head=running_head, prefix=f"a{i}-" if many else "", origins=origins)
                for i, a in enumerate(articles, 1)]
    people = [p.name for p in document_authors(meta)]  # authors only, as every format (`exporter.identity`)
    keywords = list(dict.fromkeys((*meta.keywords, *meta.tags)))
    metas = [("author", name) for name in dict.fromkeys(people)]
    metas += [("description", meta.summary or meta.subtitle)] if (meta.summary or meta.subtitle) else []
    metas += [("keywords", ", ".join(k.replace(",", " ") for k in keywords))] if keywords else []
    metas += [("generator", "exporter")]
    created = creation_date(meta)
    changed = modified(doc) if isinstance(doc, Article) and "SOURCE_DATE_EPOCH" not in os.environ else None
    if created:
        metas += [("dcterms.created", created), ("dcterms.modified", _w3c(changed) if changed else created)]
    cover = None
    if isinstance(doc, Collection):
        image = None
        if meta.image is not None:
            ref = ImageMapper(source=doc.metadata_file(), report=report, policy=policy,
                              origins=origins)(meta.image.src, meta.image.line)
            image = {"url": ref.url, "alt": meta.image.alt} if ref else None
        cover = {"title": meta.title, "subtitle": meta.subtitle, "image": image, "publisher": meta.publisher,
                 "rights": meta.rights,
                 "editors": [p.name for p in meta.credited("editor")],
                 "authors": [p.name for p in meta.credited("author")],
                 "date": format_date(meta.date, meta.language) if meta.date else "",
                 "labels": labels(meta.language)}
    return {
        "lang": meta.language,
        "dir": direction(meta.language, meta.direction),
        "title": meta.title,
        "metas": metas,
        "cover": cover,
        "labels": labels(meta.language),
        "articles": contexts,
        "theme": theme.name,
    }
