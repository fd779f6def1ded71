"""The model's JSON: lossless round trips, the JSON Schema, a golden document and path-naming errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from model_strategies import articles, documents, xml_documents

from exporter.model import (
    Article,
    Collection,
    Heading,
    Metadata,
    Text,
)
from exporter.model_json import ModelDataError, from_data, from_json, json_schema, to_data, to_json
from exporter.readers._text import _XML_ILLEGAL

FIXTURES = Path(__file__).parent / "fixtures" / "model"
GOLDEN = FIXTURES / "every-node.json"
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


# ------------------------------------------------------------------------------------------ properties


@PROPERTY
@given(documents)
def test_round_trip_is_lossless(doc: Article | Collection) -> None:
    text = to_json(doc)
    back = from_json(text)
    assert back == doc
    assert type(back) is type(doc)
    # Offsets and date-versus-datetime survive too (equality of aware datetimes alone would not show it).
    assert to_json(back) == text


@PROPERTY
@given(documents)
def test_compact_and_bytes_forms_round_trip(doc: Article | Collection) -> None:
    assert from_json(to_json(doc, indent=None).encode("utf-8")) == doc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents)
def test_schema_validates_generated_documents(
    doc: Article | Collection, validator: jsonschema.Validator
) -> None:
    validator.validate(json.loads(to_json(doc)))


@settings(max_examples=50, deadline=None)
@given(articles)
def test_json_is_versioned_and_keeps_unicode(article: Article) -> None:
    data = json.loads(to_json(article))
    assert data["schema"] == 1
    assert data["kind"] == "article"
    assert "\\u04" not in to_json(article)  # Cyrillic is written as itself, not escaped


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, list):
        return [s for item in data for s in _strings(item)]
    if isinstance(data, dict):
        return [s for key, value in data.items() for s in (key, *_strings(value))]
    return []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xml_documents)
def test_xml_documents_hold_only_what_readers_produce(doc: Article | Collection) -> None:
    assert not any(_XML_ILLEGAL.search(s) for s in _strings(json.loads(to_json(doc))))
    assert from_json(to_json(doc)) == doc


# -------------------------------------------------------------------------------------------- golden


def test_golden_document_decodes_to_every_node() -> None:
    doc = from_json(GOLDEN.read_text(encoding="utf-8"))
    assert isinstance(doc, Article)
    tags = {type(n).__name__ for n in _walk(doc)}
    every = {
        "Text",
        "Emphasis",
        "Strong",
        "Strikethrough",
        "Superscript",
        "Subscript",
        "Code",
        "Link",
        "Image",
        "LineBreak",
        "Footnote",
        "RawInline",
        "Heading",
        "Paragraph",
        "BlockQuote",
        "PullQuote",
        "Aside",
        "ListItem",
        "BulletList",
        "OrderedList",
        "DefinitionItem",
        "DefinitionList",
        "CodeBlock",
        "Figure",
        "TableCell",
        "Table",
        "ThematicBreak",
        "RelatedLinks",
        "RawBlock",
        "Metadata",
        "Person",
        "Correction",
        "LeadImage",
        "Identifiers",
    }
    assert every <= tags
    assert doc.metadata.title == "НАТО шаље још 700 војника на Косово"
    assert doc.metadata.date == dt.datetime(2023, 5, 30, 14, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert doc.metadata.corrections[0].date == dt.date(2023, 5, 31)
    assert doc.metadata.extra == {
        "wire": {"agency": "AP", "priority": 2, "urgent": False, "desks": ["world", None]}
    }


def test_golden_document_is_written_back_byte_for_byte() -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    assert to_json(from_json(text)) == text


def test_golden_document_validates_against_schema(validator: jsonschema.Validator) -> None:
    validator.validate(json.loads(GOLDEN.read_text(encoding="utf-8")))


def test_defaults_are_left_out() -> None:
    doc = Article(metadata=Metadata(title="T"), blocks=(Heading(level=2, children=(Text(text="H"),)),))
    assert json.loads(to_json(doc)) == {
        "schema": 1,
        "kind": "article",
        "metadata": {"title": "T"},
        "blocks": [{"type": "heading", "level": 2, "children": [{"type": "text", "text": "H"}]}],
    }


def test_collection_kind_and_nested_articles() -> None:
    doc = Collection(metadata=Metadata(title="Book"), articles=(Article(metadata=Metadata(title="One")),))
    data = json.loads(to_json(doc))
    assert data["kind"] == "collection"
    assert data["articles"] == [{"metadata": {"title": "One"}}]
    assert from_json(to_json(doc)) == doc


def test_to_data_refuses_unknown_values() -> None:
    with pytest.raises(TypeError, match="cannot serialise"):
        to_data(object())


# ------------------------------------------------------------------------------------------ bad JSON


def _article(**metadata: object) -> dict[str, object]:
    return {"schema": 1, "kind": "article", "metadata": {"title": "T", **metadata}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], r"^\$: expected an object"),
        ({"kind": "article", "metadata": {"title": "T"}}, r"^\$\.schema: expected 1, found None"),
        ({"schema": 2, "kind": "article"}, r"^\$\.schema: expected 1, found 2"),
        ({"schema": 1, "kind": "book"}, r"^\$\.kind: expected 'article' or 'collection', found 'book'"),
        ({"schema": 1, "kind": "article"}, r"^\$: .*missing .*'metadata'"),
        ({"schema": 1, "kind": "article", "metadata": {}}, r"^\$\.metadata: .*missing .*'title'"),
        (_article(titel="x"), r"^\$\.metadata: unknown field 'titel' for Metadata"),
        (_article(title=5), r"^\$\.metadata\.title: expected str, found int"),
        (_article(date="2023-02-30"), r"^\$\.metadata\.date: '2023-02-30' is not an ISO 8601 date"),
        (_article(date=20230530), r"^\$\.metadata\.date: expected an ISO 8601 date"),
        (_article(corrections=[{"date": None, "text": "x"}]), r"^\$\.metadata\.corrections\[0\]\.date: null"),
        (
            _article(authors=[{"name": "A", "role": "boss"}]),
            r"^\$\.metadata\.authors\[0\]\.role: expected one of",
        ),
        (_article(tags="a,b"), r"^\$\.metadata\.tags: expected an array"),
        (_article(extra=[1]), r"^\$\.metadata\.extra: expected an object"),
        (_article(image="cover.jpg"), r"^\$\.metadata\.image: expected an object for LeadImage"),
        (
            {**_article(), "blocks": [{"type": "video", "src": "x"}]},
            r"^\$\.blocks\[0\]: unknown node type 'video'",
        ),
        ({**_article(), "blocks": [{"children": []}]}, r"^\$\.blocks\[0\]: unknown node type None"),
        (
            {**_article(), "blocks": [{"type": "list_item", "blocks": []}]},
            r"^\$\.blocks\[0\]: unknown node type",
        ),
        (
            {**_article(), "blocks": [{"type": "heading", "level": True, "children": []}]},
            r"^\$\.blocks\[0\]\.level: expected int, found bool",
        ),
        (
            {
                **_article(),
                "blocks": [
                    {
                        "type": "paragraph",
                        "children": [{"type": "emphasis", "children": [{"type": "text", "text": None}]}],
                    }
                ],
            },
            r"^\$\.blocks\[0\]\.children\[0\]\.children\[0\]\.text: null is not allowed|"
            r"^\$\.blocks\[0\]\.children\[0\]\.children\[0\]\.text: expected str",
        ),
        (
            {
                **_article(),
                "blocks": [
                    {
                        "type": "paragraph",
                        "children": [
                            {
                                "type": "footnote",
                                "blocks": [{"type": "paragraph", "children": [{"type": "text"}]}],
                            }
                        ],
                    }
                ],
            },
            r"^\$\.blocks\[0\]\.children\[0\]\.blocks\[0\]\.children\[0\]: .*'text'",
        ),
        (
            {
                "schema": 1,
                "kind": "collection",
                "metadata": {"title": "B"},
                "articles": [{"metadata": {"title": 1}}],
            },
            r"^\$\.articles\[0\]\.metadata\.title: expected str",
        ),
    ],
)
def test_bad_data_names_the_json_path(data: object, message: str) -> None:
    with pytest.raises(ModelDataError, match=message):
        from_data(data)
    with pytest.raises(ModelDataError, match=message):
        from_json(json.dumps(data))


def test_syntax_errors_give_line_and_column() -> None:
    with pytest.raises(ModelDataError, match=r"^line 3 column 21: Expecting property name"):
        from_json('{\n  "schema": 1,\n  "kind": "article",,\n}')


def test_model_data_error_is_a_value_error() -> None:
    assert issubclass(ModelDataError, ValueError)


# -------------------------------------------------------------------------------------------- helpers


def _walk(node: object) -> list[object]:
    """Every model object reachable from `node` (footnote bodies included), by plain attribute traversal."""
    found = [node]
    if isinstance(node, tuple | list):
        return [n for item in node for n in _walk(item)]
    for name in getattr(type(node), "__slots__", ()):
        found.extend(_walk(getattr(node, name)))
    return found


@pytest.mark.parametrize(
    "data",
    [
        {"schema": 1, "kind": "article", "metadata": {}},
        {"schema": 2, "kind": "article", "metadata": {"title": "T"}},
        _article(titel="x"),
        _article(date=20230530),
        {**_article(), "blocks": [{"type": "video"}]},
        {**_article(), "blocks": [{"type": "heading", "level": "2", "children": []}]},
        {**_article(), "blocks": [{"type": "paragraph", "children": [{"type": "text"}]}]},
    ],
)
def test_schema_rejects_what_the_decoder_rejects(data: object, validator: jsonschema.Validator) -> None:
    assert not validator.is_valid(data)
    with pytest.raises(ModelDataError):
        from_data(data)
