"""The document's identity as every format reports it: one identifier and one list of authors.

Each output format stores these in its own place (OPF `dc:identifier`/`dc:creator`, DOCX core properties,
PDF XMP and Info, HTML JSON-LD), and `exporter check`'s parity validator compares them, so they are computed
here once rather than by each renderer.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from exporter.model import Metadata, Person


def document_identifier(metadata: Metadata, source: str) -> str:
    """The one identifier of a document, in order of precedence:

    1. an ISBN → `urn:isbn:9781234567897`;
    2. a DOI → `urn:doi:10.1234/abc`;
    3. the publisher's own stable id, verbatim (a CMS id or URN);
    4. else `urn:uuid:` + a UUID5 of the canonical URL, or of the source path (or the title when there is
       neither), so the same source always gets the same id.

    The EPUB uses it as its package's unique identifier (any string is valid there).
    """
    ids = metadata.identifiers
    if ids.isbn:
        return f"urn:isbn:{ids.isbn}"
    if ids.doi:
        return f"urn:doi:{ids.doi}"
    if ids.id:
        return ids.id
    key = metadata.canonical_url or (PurePath(source).as_posix() if source else "") or metadata.title
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


def document_authors(metadata: Metadata) -> tuple[Person, ...]:
    """Who every format names as the document's author: the people credited with role `author`.

    Translators, editors, photographers and illustrators are contributors (EPUB `dc:contributor` with a
    MARC role, JSON-LD `translator`/`editor`/`contributor`) and never appear in an author field.
    """
    return metadata.credited("author")
