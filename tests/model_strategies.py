"""Hypothesis strategies for arbitrary models: every block and inline node, nested footnotes, full metadata.

Shared by `test_model.py` and `test_model_json.py`. Depth is bounded explicitly (each level of nesting is a
separate strategy), so examples stay small enough to run hundreds of them in a few seconds.

Two families: `articles`, `collections` and `documents` hold any Unicode the model can carry (control
characters included: the JSON form must round-trip them); `xml_articles`, `xml_collections` and
`xml_documents` hold only characters XML 1.0 allows, which is what every reader produces (`readers._text`
strips the rest), so they suit renderer tests.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import get_args

from hypothesis import strategies as st

from exporter.model import (
    Alignment,
    Article,
    Aside,
    Block,
    BlockQuote,
    BulletList,
    Code,
    CodeBlock,
    Collection,
    Correction,
    DefinitionItem,
    DefinitionList,
    Emphasis,
    Figure,
    Footnote,
    Heading,
    Identifiers,
    Image,
    Inline,
    LeadImage,
    LineBreak,
    Link,
    ListItem,
    Metadata,
    OrderedList,
    Paragraph,
    Person,
    PullQuote,
    RawBlock,
    RawInline,
    RelatedLinks,
    Role,
    Strikethrough,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    ThematicBreak,
)

DEPTH = 3
"""Nesting levels of containers (a footnote in a quote in a list item is three)."""

# Letters a newsroom actually sends: Serbian Cyrillic and Latin, Albanian, typographic punctuation,
# right-to-left script and an emoji, mixed with anything Unicode allows (surrogates excluded).
_NEWSROOM = (
    "АБВГДЂЕЖЗИЈКЛЉМНЊОПРСТЋУФХЦЧЏШабвгдђежзијклљмнњопрстћуфхцчџш"
    "ČĆĐŠŽčćđšžËëÇç“”‘’„«»—–…  \u00ad\u200bاقرأ延伸阅读🙂\t\n"
)
_XML_ILLEGAL = "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))


@functools.cache
def texts(xml: bool = False) -> st.SearchStrategy[str]:
    """Short strings biased towards real copy; with `xml`, only characters XML 1.0 allows."""
    anything = st.characters(codec="utf-8", exclude_characters=_XML_ILLEGAL if xml else None)
    return st.text(st.one_of(st.sampled_from(_NEWSROOM), anything), max_size=24)


text = texts()
"""Any short Unicode string, biased towards the scripts and punctuation of real copy."""
short = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz-0123456789"), min_size=1, max_size=12)
"""Identifier-like text: anchors, labels, language names."""


@functools.cache
def _urls(xml: bool) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.just("#notes"),
        short.map(lambda s: f"https://example.org/{s}"),
        short.map(lambda s: f"images/{s}.jpg"),
        texts(xml),
    )


_offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
datetimes = st.datetimes(
    min_value=dt.datetime(1800, 1, 1),
    max_value=dt.datetime(2200, 12, 31),
    timezones=st.one_of(st.just(dt.UTC), _offsets),
)
"""Timezone-aware datetimes (the model never holds naive ones), offsets in whole minutes."""
moments = st.one_of(st.dates(), datetimes)
"""A date, or a timezone-aware datetime."""


@functools.cache
def json_values(xml: bool = False) -> st.SearchStrategy[object]:
    """What front matter may leave in `Metadata.extra`."""
    return st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),
            texts(xml),
        ),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts(xml), inner, max_size=3)),
        max_leaves=8,
    )


def _few(
    strategy: st.SearchStrategy[object],
    min_size: int = 0,
    max_size: int = 2,
) -> st.SearchStrategy[tuple[object, ...]]:
    return st.lists(strategy, min_size=min_size, max_size=max_size).map(tuple)


@functools.cache
def _leaf_inlines(xml: bool) -> st.SearchStrategy[Inline]:
    text, urls = texts(xml), _urls(xml)
    return st.one_of(
        st.builds(Text, text=text),
        st.builds(Code, text=text),
        st.builds(LineBreak),
        st.builds(Image, src=urls, alt=text, title=text, line=_lines),
        st.builds(RawInline, text=text, format=st.sampled_from(["html", "latex"]), line=_lines),
    )


@functools.cache
def inlines(depth: int = DEPTH, xml: bool = False) -> st.SearchStrategy[Inline]:
    """Any inline node, containers nested at most `depth` deep; footnotes carry blocks one level shallower."""
    if depth == 0:
        return _leaf_inlines(xml)
    inner = _few(inlines(depth - 1, xml))
    return st.one_of(
        _leaf_inlines(xml),
        st.builds(Emphasis, children=inner),
        st.builds(Strong, children=inner),
        st.builds(Strikethrough, children=inner),
        st.builds(Superscript, children=inner),
        st.builds(Subscript, children=inner),
        st.builds(Link, url=_urls(xml), children=inner, title=texts(xml)),
        st.builds(
            Footnote, blocks=_few(blocks(depth - 1, xml), min_size=1), label=st.one_of(st.just(""), short)
        ),
    )


_alignments: st.SearchStrategy[Alignment | None] = st.sampled_from([None, *get_args(Alignment)])
_lines = st.integers(0, 100_000)
"""Source lines of images and raw markup (0: unknown)."""


@functools.cache
def blocks(depth: int = DEPTH, xml: bool = False) -> st.SearchStrategy[Block]:
    """Any block node, containers nested at most `depth` deep."""
    text, urls = texts(xml), _urls(xml)
    runs = _few(inlines(depth, xml))
    cells = st.builds(TableCell, children=runs, align=_alignments)
    leaves = st.one_of(
        st.builds(Heading, level=st.integers(1, 6), children=runs, id=st.one_of(st.just(""), short)),
        st.builds(Paragraph, children=runs),
        st.builds(CodeBlock, text=text, language=st.one_of(st.just(""), short)),
        st.builds(
            Figure,
            src=urls,
            alt=text,
            caption=runs,
            credit=text,
            width=st.none() | st.integers(1, 10_000),
            height=st.none() | st.integers(1, 10_000),
            full_bleed=st.booleans(),
            line=_lines,
        ),
        st.builds(
            Table,
            header=_few(_few(cells)),
            rows=_few(_few(cells)),
            alignments=_few(_alignments),
            caption=runs,
        ),
        st.builds(ThematicBreak),
        st.builds(
            RelatedLinks,
            links=_few(st.builds(Link, url=urls, children=runs, title=text), min_size=1),
            label=st.sampled_from(["", "READ ALSO", "ПРОЧИТАЈТЕ И", "Lexoni edhe"]),
        ),
        st.builds(RawBlock, text=text, format=st.sampled_from(["html", "tex"]), line=_lines),
    )
    if depth == 0:
        return leaves
    inner = _few(blocks(depth - 1, xml), min_size=1)
    items = _few(st.builds(ListItem, blocks=inner), min_size=1)
    return st.one_of(
        leaves,
        st.builds(BlockQuote, blocks=inner, attribution=runs),
        st.builds(PullQuote, blocks=inner, attribution=runs),
        st.builds(Aside, blocks=inner, kind=st.sampled_from(["aside", "note", "sidebar"])),
        st.builds(BulletList, items=items, tight=st.booleans()),
        st.builds(OrderedList, items=items, start=st.integers(-5, 10_000), tight=st.booleans()),
        st.builds(
            DefinitionList,
            items=_few(st.builds(DefinitionItem, term=runs, definitions=_few(inner)), min_size=1),
        ),
    )


@functools.cache
def metadatas(xml: bool = False) -> st.SearchStrategy[Metadata]:
    """Metadata with every field drawn (dates, datetimes with offsets, corrections, extra JSON values)."""
    text, urls = texts(xml), _urls(xml)
    people = st.builds(
        Person,
        name=text,
        role=st.sampled_from(get_args(Role)),
        url=urls,
        email=st.one_of(st.just(""), short.map(lambda s: f"{s}@example.org")),
    )
    return st.builds(
        Metadata,
        title=text,
        subtitle=text,
        kicker=text,
        authors=_few(people),
        dateline=text,
        date=st.none() | moments,
        updated=st.none() | moments,
        embargo=st.none() | moments,
        corrections=_few(st.builds(Correction, date=moments, text=text)),
        language=st.sampled_from(["en", "en-GB", "sr-Cyrl", "sr-Latn", "sq", "zh-Hans", "ar"]),
        direction=st.sampled_from(["ltr", "rtl", "auto"]),
        section=text,
        tags=_few(text),
        keywords=_few(text),
        summary=text,
        slug=st.one_of(st.just(""), short),
        canonical_url=urls,
        image=st.none() | st.builds(LeadImage, src=urls, alt=text, caption=text, credit=text, line=_lines),
        rights=text,
        publisher=text,
        identifiers=st.builds(
            Identifiers,
            isbn=st.sampled_from(["", "9783161484100"]),
            doi=st.sampled_from(["", "10.1234/abc.5"]),
            id=st.one_of(st.just(""), short),
        ),
        extra=st.dictionaries(text, json_values(xml), max_size=3),
    )


def _articles(xml: bool) -> st.SearchStrategy[Article]:
    return st.builds(
        Article,
        metadata=metadatas(xml),
        blocks=_few(blocks(DEPTH, xml), max_size=5),
        source=st.one_of(st.just(""), _urls(xml)),
    )


def _collections(xml: bool, articles: st.SearchStrategy[Article]) -> st.SearchStrategy[Collection]:
    return st.builds(
        Collection, metadata=metadatas(xml), articles=_few(articles), source=st.one_of(st.just(""), short)
    )


metadata = metadatas()
"""Any metadata."""
articles = _articles(xml=False)
"""Any article."""
collections = _collections(False, articles)
"""Any collection of articles."""
documents: st.SearchStrategy[Article | Collection] = st.one_of(articles, collections)
"""An article or a collection."""

xml_articles = _articles(xml=True)
"""Any article a reader could produce: text limited to what XML 1.0 allows."""
xml_collections = _collections(True, xml_articles)
"""Any collection of such articles."""
xml_documents: st.SearchStrategy[Article | Collection] = st.one_of(xml_articles, xml_collections)
"""An article or a collection a reader could produce."""
