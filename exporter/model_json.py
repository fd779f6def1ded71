"""Lossless, versioned JSON for the model, and the JSON Schema that describes it.

The codec walks the model's dataclasses by their type hints instead of listing fields by hand, so a field
added to `exporter.model` is serialised, validated and described in the schema without touching this file.
Fields equal to their default are left out, which keeps documents small and stable across versions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, cast, get_args, get_origin

from exporter import model
from exporter.model import SCHEMA_VERSION, Article, Collection, JsonValue

_SCHEMA_ID = "https://exporter.invalid/schema/article-1.json"


class ModelDataError(ValueError):
    """JSON that does not describe a valid model; the message starts with the JSON path of the fault."""


# -------------------------------------------------------------------------------------------- encoding


def to_data(value: object) -> JsonValue:
    """Any model value as plain JSON data (dicts, lists, strings, numbers)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, JsonValue] = {}
        tag = getattr(type(value), "tag", None)
        if tag is not None:
            out["type"] = tag
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if _is_default(f, item):
                continue
            out[f.name] = to_data(item)
        return out
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _is_default(f: dataclasses.Field[Any], value: object) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


def to_json(doc: Article | Collection, *, indent: int | None = 2) -> str:
    """The document as versioned JSON text (`"schema": 1`), stable key order, UTF-8 characters kept."""
    body = cast(dict[str, JsonValue], to_data(doc))
    body.pop("type", None)
    data: dict[str, JsonValue] = {"schema": SCHEMA_VERSION, "kind": _KIND[type(doc)], **body}
    return json.dumps(data, ensure_ascii=False, indent=indent) + "\n"


_KIND: dict[type, str] = {Article: "article", Collection: "collection"}


# -------------------------------------------------------------------------------------------- decoding


def from_json(text: str | bytes) -> Article | Collection:
    """Parse and validate model JSON; raise `ModelDataError` naming the JSON path of the first fault."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelDataError(f"line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    return from_data(data)


def from_data(data: object) -> Article | Collection:
    """Validate already-parsed JSON data and build the document."""
    if not isinstance(data, dict):
        raise ModelDataError("$: expected an object with 'schema' and 'kind'")
    if data.get("schema") != SCHEMA_VERSION:
        raise ModelDataError(f"$.schema: expected {SCHEMA_VERSION}, found {data.get('schema')!r}")
    kinds = {v: k for k, v in _KIND.items()}
    kind = data.get("kind")
    if kind not in kinds:
        raise ModelDataError(f"$.kind: expected 'article' or 'collection', found {kind!r}")
    body = {k: v for k, v in data.items() if k not in ("schema", "kind")}
    return cast(Article | Collection, _decode_class(kinds[kind], body, "$"))


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


@functools.cache
def _tags(union: Any) -> dict[str, type]:
    return {c.tag: c for c in get_args(union) if hasattr(c, "tag")}


def _decode_class(cls: type, data: object, path: str) -> object:
    if not isinstance(data, dict):
        raise ModelDataError(f"{path}: expected an object for {cls.__name__}")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names - {"type"}
    if unknown:
        raise ModelDataError(f"{path}: unknown field {sorted(unknown)[0]!r} for {cls.__name__}")
    kwargs = {k: _decode(hints[k], v, f"{path}.{k}") for k, v in data.items() if k != "type"}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ModelDataError(f"{path}: {exc}") from None


def _decode(tp: Any, data: object, path: str) -> object:
    origin = get_origin(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _decode_class(tp, data, path)
    if origin in (types.UnionType, typing.Union):
        return _decode_union(tp, data, path)
    if origin is tuple:
        if not isinstance(data, list):
            raise ModelDataError(f"{path}: expected an array")
        item = get_args(tp)[0]
        return tuple(_decode(item, v, f"{path}[{i}]") for i, v in enumerate(data))
    if origin is Literal:
        if data not in get_args(tp):
            raise ModelDataError(f"{path}: expected one of {list(get_args(tp))}, found {data!r}")
        return data
    if origin in (Mapping, dict):
        if not isinstance(data, dict):
            raise ModelDataError(f"{path}: expected an object")
        return dict(data)
    return _decode_scalar(tp, data, path)


def _decode_union(tp: Any, data: object, path: str) -> object:
    options = get_args(tp)
    if data is None:
        if type(None) in options:
            return None
        raise ModelDataError(f"{path}: null is not allowed here")
    if dt.date in options:
        return _decode_date(data, path)
    tags = _tags(tp)
    if tags:
        tag = data.get("type") if isinstance(data, dict) else None
        if tag not in tags:
            raise ModelDataError(f"{path}: unknown node type {tag!r}")
        return _decode_class(tags[cast(str, tag)], data, path)
    rest = [o for o in options if o is not type(None)]
    return _decode(rest[0], data, path)


def _decode_date(data: object, path: str) -> dt.date:
    if not isinstance(data, str):
        raise ModelDataError(f"{path}: expected an ISO 8601 date")
    try:
        if len(data) > 10:
            return dt.datetime.fromisoformat(data)
        return dt.date.fromisoformat(data)
    except ValueError:
        raise ModelDataError(f"{path}: {data!r} is not an ISO 8601 date") from None


def _decode_scalar(tp: Any, data: object, path: str) -> object:
    ok = {
        str: isinstance(data, str),
        bool: isinstance(data, bool),
        int: isinstance(data, int) and not isinstance(data, bool),
        float: isinstance(data, int | float) and not isinstance(data, bool),
    }.get(tp)
    if ok is None:
        raise ModelDataError(f"{path}: unsupported type {tp!r}")
    if not ok:
        raise ModelDataError(f"{path}: expected {tp.__name__}, found {type(data).__name__}")
    return data


# ---------------------------------------------------------------------------------------------- schema


def json_schema() -> dict[str, JsonValue]:
    """A JSON Schema (draft 2020-12) for the model's JSON form, generated from the classes."""
    defs: dict[str, JsonValue] = {}
    article = _schema_for(Article, defs)
    collection = _schema_for(Collection, defs)
    envelope: dict[str, JsonValue] = {"schema": {"const": SCHEMA_VERSION}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _SCHEMA_ID,
        "title": "exporter article model",
        "oneOf": [
            {"allOf": [article, {"properties": {**envelope, "kind": {"const": "article"}}}]},
            {"allOf": [collection, {"properties": {**envelope, "kind": {"const": "collection"}}}]},
        ],
        "$defs": defs,
    }


def _schema_for(tp: Any, defs: dict[str, JsonValue]) -> dict[str, JsonValue]:
    origin = get_origin(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}
            props: dict[str, JsonValue] = {}
            tag = getattr(tp, "tag", None)
            if tag is not None:
                props["type"] = {"const": tag}
            hints = _hints(tp)
            required: list[JsonValue] = [*(["type"] if tag else [])]
            for f in dataclasses.fields(tp):
                props[f.name] = _schema_for(hints[f.name], defs)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    required.append(f.name)
            defs[name] = {
                "type": "object",
                "description": (tp.__doc__ or "").strip().splitlines()[0],
                "properties": props,
                "required": required,
                "additionalProperties": tp in (Article, Collection),
            }
        return {"$ref": f"#/$defs/{name}"}
    if origin in (types.UnionType, typing.Union):
        options = get_args(tp)
        if dt.date in options:
            date: dict[str, JsonValue] = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}
            return {"anyOf": [date, {"type": "null"}]} if type(None) in options else date
        return {"anyOf": [_schema_for(o, defs) for o in options]}
    if origin is tuple:
        return {"type": "array", "items": _schema_for(get_args(tp)[0], defs)}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (Mapping, dict):
        return {"type": "object"}
    if tp is type(None):
        return {"type": "null"}
    names = {str: "string", bool: "boolean", int: "integer", float: "number"}
    return {"type": names[tp]}
