"""Package metadata: dates, credits with MARC roles, and EPUB Accessibility 1.1 claims."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.identity import document_authors
from exporter.model import Article, Metadata, Person, Table, iter_all_blocks, iter_pictures

MARC_ROLES = {"author": "aut", "photographer": "pht", "illustrator": "ill", "translator": "trl",
              "editor": "edt", "contributor": "ctb"}
"""Our roles → MARC relator codes, the vocabulary EPUB's `role` property uses."""
FALLBACK_MODIFIED = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
"""`dcterms:modified` when nothing dates the book: fixed, because the wall clock would break reproducibility."""
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"

Entry = tuple[str | None, str, str, dict[str, str]]
"""(namespace key for EbookLib: "DC" or None, element name, text, attributes)."""


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def modified(meta: Metadata, articles: Sequence[Article]) -> dt.datetime:
    """SOURCE_DATE_EPOCH when set, else the latest update or date in the book, else a fixed date; never now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    dates = [_as_datetime(d) for m in (meta, *(a.metadata for a in articles)) for d in (m.updated, m.date) if d]
    return max(dates).astimezone(dt.UTC) if dates else FALLBACK_MODIFIED


def w3c(moment: dt.datetime) -> str:
    """The `dcterms:modified` form EPUB requires: UTC, seconds, `Z`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(value: dt.date | dt.datetime) -> str:
    """`dc:date` in W3CDTF."""
    return w3c(value) if isinstance(value, dt.datetime) else value.isoformat()


def credits(meta: Metadata, articles: Sequence[Article]) -> list[Entry]:
    """`dc:creator` for the document's authors (`identity.document_authors`, as every format names them),
    `dc:contributor` for everyone else, each refined by a MARC role; in a collection the chapters' people
    follow as contributors."""
    people: list[tuple[Person, bool]] = []
    creators = list(document_authors(meta))
    people.extend((p, True) for p in creators)
    people.extend((p, False) for p in meta.authors if p not in creators)
    seen = {(p.name, p.role) for p, _ in people}
    for article in articles:
        for person in article.metadata.authors:
            if (person.name, person.role) not in seen and article.metadata is not meta:
                seen.add((person.name, person.role))
                people.append((person, False))
    entries: list[Entry] = []
    for number, (person, is_creator) in enumerate(people, start=1):
        ref = f"{'creator' if is_creator else 'contributor'}-{number}"
        entries.append(("DC", "creator" if is_creator else "contributor", person.name, {"id": ref}))
        entries.append((None, "meta", MARC_ROLES[person.role],
                        {"refines": f"#{ref}", "property": "role", "scheme": "marc:relators"}))
    return entries


@dataclass(frozen=True, slots=True)
class Accessibility:
    """What the book's content lets us claim, gathered from the model rather than assumed."""

    images: int
    """Images in the content, cover included."""
    images_without_alt: int
    """Images whose alternative text is empty (decorative, or forgotten)."""
    tables_without_headers: int
    """Data tables without a header row."""

    @classmethod
    def survey(cls, articles: Sequence[Article], *, cover: bool) -> Accessibility:
        """Count the images and tables of every article."""
        images, missing, tables = int(cover), 0, 0
        for article in articles:
            lead = (article.metadata.image,) if article.metadata.image is not None else ()
            for picture in (*lead, *iter_pictures(article.blocks)):
                images, missing = images + 1, missing + (not picture.alt.strip())
            tables += sum(1 for b in iter_all_blocks(article.blocks) if isinstance(b, Table) and not b.header)
        return cls(images=images, images_without_alt=missing, tables_without_headers=tables)

    @property
    def conforms(self) -> bool:
        """True when nothing we can detect stands between the book and WCAG 2.2 AA."""
        return self.images_without_alt == 0 and self.tables_without_headers == 0

    def entries(self, publisher: str) -> list[Entry]:
        """schema.org accessibility properties, and `dcterms:conformsTo` only when `conforms` holds."""
        modes = ["textual", "visual"] if self.images else ["textual"]
        sufficient = ["textual"] if not self.images or self.images_without_alt == 0 else []
        sufficient.append(",".join(modes))
        features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
        if self.images and self.images_without_alt == 0:
            features.insert(0, "alternativeText")
        found: list[Entry] = [(None, "meta", m, {"property": "schema:accessMode"}) for m in modes]
        found += [(None, "meta", s, {"property": "schema:accessModeSufficient"}) for s in dict.fromkeys(sufficient)]
        found += [(None, "meta", f, {"property": "schema:accessibilityFeature"}) for f in features]
        found.append((None, "meta", "none", {"property": "schema:accessibilityHazard"}))
        found.append((None, "meta", self.summary(), {"property": "schema:accessibilitySummary"}))
        if self.conforms:
            found.append((None, "meta", CONFORMS_TO, {"property": "dcterms:conformsTo"}))
            found.append((None, "meta", publisher or "exporter", {"property": "a11y:certifiedBy"}))
        return found

    def summary(self) -> str:
        """A sentence a reader can act on, as EPUB Accessibility 1.1 asks."""
        parts = ["This publication has a navigable table of contents, headings in a logical order, and a "
                 "reading order that follows the text; its layout reflows and its type can be resized."]
        if self.images and self.images_without_alt == 0:
            parts.append("Every image has a text alternative.")
        elif self.images:
            parts.append(f"{self.images_without_alt} of {self.images} images have no text alternative.")
        parts.append("Footnotes are linked to and from the text.")
        if self.conforms:
            parts.append("It meets WCAG 2.2 Level AA as checked by automated tests.")
        return " ".join(parts)
