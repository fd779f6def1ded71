"""Article → template context, shared by the HTML, EPUB and PDF templates so every format says the same thing.

The context is format-neutral: plain strings, dates both as ISO values (for `<time datetime>` and JSON-LD)
and as text in the article's language, credits grouped by role, the body as ready HTML, and the schema.org
JSON-LD as a dict. What differs per format — link and image mapping, footnote placement — comes in through
`BodyOptions`, so a partial such as `_header.html.j2` renders identically inside a web page, an EPUB
chapter or a print page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Mapping

from markupsafe import Markup

from exporter.diagnostics import Report
from exporter.html_body import BodyOptions, render_body
from exporter.identity import document_identifier
from exporter.model import Article, Person, Role, reading_minutes

ROLE_ORDER: tuple[Role, ...] = ("author", "photographer", "illustrator", "translator", "editor", "contributor")
"""Order of credit lines under the headline."""

LABELS: dict[str, dict[str, str]] = {
    "en": {"author": "By", "photographer": "Photos by", "illustrator": "Illustrations by",
           "translator": "Translated by", "editor": "Edited by", "contributor": "With", "and": "and",
           "published": "Published", "updated": "Updated", "corrections": "Corrections", "tags": "Tags",
           "notes": "Notes", "read_also": "Read also", "photo": "Photo"},
    "sr-Cyrl": {"author": "Пише", "photographer": "Фотографије", "illustrator": "Илустрације",
                "translator": "Превод", "editor": "Уредник", "contributor": "Сарадња", "and": "и",
                "published": "Објављено", "updated": "Ажурирано", "corrections": "Исправке", "tags": "Теме",
                "notes": "Напомене", "read_also": "Прочитајте и", "photo": "Фото"},
    "sr-Latn": {"author": "Piše", "photographer": "Fotografije", "illustrator": "Ilustracije",
                "translator": "Prevod", "editor": "Urednik", "contributor": "Saradnja", "and": "i",
                "published": "Objavljeno", "updated": "Ažurirano", "corrections": "Ispravke", "tags": "Teme",
                "notes": "Napomene", "read_also": "Pročitajte i", "photo": "Foto"},
    "sq": {"author": "Nga", "photographer": "Fotografitë", "illustrator": "Ilustrimet", "translator": "Përktheu",
           "editor": "Redaktoi", "contributor": "Me", "and": "dhe", "published": "Publikuar",
           "updated": "Përditësuar", "corrections": "Korrigjime", "tags": "Etiketa", "notes": "Shënime",
           "read_also": "Lexoni edhe", "photo": "Foto"},
}
"""Words the templates print, per language; unknown languages fall back to English."""

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "sr-Cyrl": ("јануар", "фебруар", "март", "април", "мај", "јун", "јул", "август", "септембар", "октобар",
                "новембар", "децембар"),
    "sr-Latn": ("januar", "februar", "mart", "april", "maj", "jun", "jul", "avgust", "septembar", "oktobar",
                "novembar", "decembar"),
    "sq": ("janar", "shkurt", "mars", "prill", "maj", "qershor", "korrik", "gusht", "shtator", "tetor", "nëntor",
           "dhjetor"),
}
"""Month names in the genitive form dates use."""

DATE_PATTERNS: dict[str, str] = {"en": "{d} {month} {y}", "sr-Cyrl": "{d}. {month} {y}.",
                                 "sr-Latn": "{d}. {month} {y}.", "sq": "{d} {month} {y}"}
"""How each language writes a date."""

RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ku-Arab"})
"""Languages written right to left, for `direction = "auto"`."""


def locale_key(language: str) -> str:
    """The key into `LABELS` for a BCP 47 tag: Serbian splits by script (Cyrillic unless `Latn`)."""
    parts = language.replace("_", "-").split("-")
    base = parts[0].lower()
    if base == "sr":
        return "sr-Latn" if any(p.lower() == "latn" for p in parts[1:]) else "sr-Cyrl"
    return base if base in LABELS else "en"


def labels(language: str) -> dict[str, str]:
    """The template words for `language`."""
    return LABELS[locale_key(language)]


def direction(language: str, declared: str = "auto") -> str:
    """`ltr` or `rtl`: the declared direction, or the language's when `auto`."""
    if declared in ("ltr", "rtl"):
        return declared
    return "rtl" if language.split("-", maxsplit=1)[0].lower() in RTL_LANGUAGES else "ltr"


def iso(value: dt.date | dt.datetime) -> str:
    """RFC 3339 / ISO 8601: `2023-05-30` for a date, `2023-05-30T14:05:00+02:00` for an aware datetime."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def format_date(value: dt.date | dt.datetime, language: str) -> str:
    """A date as readers of `language` write it (`30 May 2023`, `30. мај 2023.`), with the local time for datetimes."""
    key = locale_key(language)
    months = MONTHS.get(key, MONTHS["en"])
    text = DATE_PATTERNS.get(key, DATE_PATTERNS["en"]).format(d=value.day, month=months[value.month - 1],
                                                               y=value.year)
    if isinstance(value, dt.datetime):  # local time as the source gave it; `<time datetime>` carries the offset
        text += f", {value:%H:%M}"
    return text


def _stamp(value: dt.date | dt.datetime, language: str) -> dict[str, str]:
    return {"iso": iso(value), "text": format_date(value, language)}


def _sort_key(value: dt.date | dt.datetime) -> dt.datetime:
    """Dates and datetimes on one time line (a bare date counts as its midnight UTC)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def modified(article: Article) -> dt.date | dt.datetime | None:
    """The last change: `updated` or the latest correction, whichever is later; None when neither exists."""
    meta = article.metadata
    candidates = [c.date for c in meta.corrections] + ([meta.updated] if meta.updated else [])
    return max(candidates, key=_sort_key) if candidates else None


def _person(person: Person, link: Callable[[str], str | None]) -> dict[str, str]:
    return {"name": person.name, "url": (link(person.url) or "") if person.url else ""}


def credits(article: Article, link: Callable[[str], str | None]) -> list[dict[str, object]]:
    """Credit lines in `ROLE_ORDER`: `{role, label, people: [{name, url}]}`, people in source order."""
    words = labels(article.metadata.language)
    lines: list[dict[str, object]] = []
    for role in ROLE_ORDER:
        people = article.metadata.credited(role)
        if people:
            lines.append({"role": role, "label": words[role], "people": [_person(p, link) for p in people]})
    return lines


def article_context(article: Article, *, body_options: BodyOptions, report: Report, canonical_url: str = "",
                    publisher: str = "", publisher_url: str = "") -> dict[str, object]:
    """Everything the `article`, `_header` and `_footer` templates print (documented at the top of each partial).

    `body_options.image` maps the lead image too, so it lands where the body's images land; the dateline
    and the notes heading are filled in from the metadata and language unless the caller set them.
    """
    meta = article.metadata
    words = labels(meta.language)
    changes: dict[str, object] = {}
    if meta.dateline and not body_options.dateline:
        changes["dateline"] = meta.dateline
    if body_options.notes_heading == "Notes":
        changes["notes_heading"] = words["notes"]
    options = dataclasses.replace(body_options, **changes) if changes else body_options  # type: ignore[arg-type]
    canonical = meta.canonical_url or canonical_url
    lead: dict[str, object] | None = None
    if meta.image is not None:
        ref = options.image(meta.image.src, meta.image.line)
        if ref is not None:
            lead = {"url": ref.url, "width": ref.width, "height": ref.height, "alt": meta.image.alt,
                    "caption": meta.image.caption, "credit": meta.image.credit}
    last = modified(article)
    word_count = article.word_count  # a walk over every text node: once, not three times
    context: dict[str, object] = {
        "id_prefix": options.id_prefix,
        "lang": meta.language,
        "dir": direction(meta.language, meta.direction),
        "title": meta.title,
        "subtitle": meta.subtitle,
        "kicker": meta.kicker,
        "section": meta.section,
        "dateline": meta.dateline,
        "description": meta.summary or meta.subtitle,
        "credits": credits(article, options.link),
        "authors": [p.name for p in meta.credited("author")],
        "published": _stamp(meta.date, meta.language) if meta.date else None,
        "updated": _stamp(last, meta.language) if last else None,
        "corrections": [{"iso": iso(c.date), "date": format_date(c.date, meta.language), "text": c.text}
                        for c in meta.corrections],
        "rights": meta.rights,
        "publisher": meta.publisher or publisher,
        "tags": list(meta.tags),
        "keywords": list(meta.keywords),
        "canonical_url": canonical,
        "lead_image": lead,
        "labels": words,
        "word_count": word_count,
        "reading_time": reading_minutes(word_count),
        "body": Markup(render_body(article, options, report)),
    }
    context["jsonld"] = json_ld(article, canonical_url=canonical, image=lead,
                                publisher=str(context["publisher"]), publisher_url=publisher_url,
                                word_count=word_count)
    context["jsonld_script"] = script_json(context["jsonld"])
    return context


def json_ld(article: Article, *, canonical_url: str = "", image: Mapping[str, object] | None = None,
            publisher: str = "", publisher_url: str = "", word_count: int | None = None) -> dict[str, object]:
    """schema.org `NewsArticle` built from what the metadata has (syndication partners and aggregators read it).

    `extra.schema_type` in the front matter picks another type (`Article`, `BlogPosting`, `Report`). Without
    a byline the publisher is credited as the author (an Organization), as news agencies do for wire copy.
    """
    meta = article.metadata
    chosen = meta.extra.get("schema_type")
    data: dict[str, object] = {"@context": "https://schema.org",
                               "@type": chosen if isinstance(chosen, str) and chosen else "NewsArticle",
                               "headline": meta.title}
    if meta.subtitle:
        data["alternativeHeadline"] = meta.subtitle
    if meta.summary or meta.subtitle:
        data["description"] = meta.summary or meta.subtitle
    data["inLanguage"] = meta.language
    if meta.date:
        data["datePublished"] = iso(meta.date)
    last = modified(article) or meta.date
    if last:
        data["dateModified"] = iso(last)

    def people(*roles: Role) -> list[dict[str, str]]:
        return [{"@type": "Person", "name": p.name, **({"url": p.url} if p.url.startswith(("http:", "https:"))
                                                        else {})} for p in meta.credited(*roles)]

    for roles, key in ((("author",), "author"), (("translator",), "translator"), (("editor",), "editor"),
                       (("photographer", "illustrator", "contributor"), "contributor")):
        found = people(*roles)
        if found:
            data[key] = found
    if "author" not in data and publisher:
        data["author"] = [{"@type": "Organization", "name": publisher}]
    if image is not None:
        picture: dict[str, object] = {"@type": "ImageObject", "url": image["url"]}
        if image.get("width") and image.get("height"):
            picture |= {"width": image["width"], "height": image["height"]}
        if image.get("caption"):
            picture["caption"] = image["caption"]
        data["image"] = [picture]
    if publisher:
        organisation: dict[str, object] = {"@type": "Organization", "name": publisher}
        if publisher_url:
            organisation["url"] = publisher_url
        data["publisher"] = organisation
    if canonical_url:
        data["mainEntityOfPage"] = {"@type": "WebPage", "@id": canonical_url}
        data["url"] = canonical_url
    if meta.section:
        data["articleSection"] = meta.section
    if meta.tags or meta.keywords:
        data["keywords"] = list(dict.fromkeys((*meta.tags, *meta.keywords)))
    data["wordCount"] = article.word_count if word_count is None else word_count
    if meta.rights:
        data["copyrightNotice"] = meta.rights
    data["identifier"] = document_identifier(meta, article.source)  # the same id every format carries
    return data


def script_json(data: object) -> Markup:
    """JSON safe inside `<script>`: `<`, `>` and `&` escaped so no text can close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

