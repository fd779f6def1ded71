"""Front matter: split it off, parse it safely, and validate it into `Metadata` with file:line messages.

Shared by every reader that accepts front matter (Markdown, plain text), so the rules for dates, languages,
people and unknown keys are the same whatever the source format.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Literal, cast, get_args

import yaml

from exporter.diagnostics import Report
from exporter.errors import SourceError, toml_position
from exporter.limits import current, raise_hint
from exporter.model import Correction, Identifiers, JsonValue, LeadImage, Metadata, Person, Role
from exporter.readers._language import standard_tag
from exporter.readers._text import without_illegal

MAX_ALIASES = 100
"""YAML aliases allowed in one front matter: enough for any real use."""
MAX_NODES = 10_000
"""Values front matter may expand to once aliases are followed: a "billion laughs" nests few aliases deeply."""

_LOADER = yaml.SafeLoader
"""The pure-Python safe loader, for front matter that fails: libyaml's marks for an unclosed `[` point past
the end of the front matter instead of at the line that needs fixing."""
_FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)
"""libyaml's safe loader (about 5x faster) when PyYAML was built with it; tried first, the pure one reports."""
_FENCES = {"---": ("yaml", ("---", "...")), "+++": ("toml", ("+++",))}


@dataclass(frozen=True, slots=True, kw_only=True)
class FrontMatter:
    """A source split into its front matter and its body."""

    data: dict[str, object] | None
    """Parsed front matter; None when the source has none."""
    body: str
    """Everything after the front matter."""
    body_line: int = 1
    """1-based line of the file on which `body` starts, to turn body line numbers into file line numbers."""
    syntax: Literal["yaml", "toml", ""] = ""
    """Which front-matter syntax the source used."""
    key_lines: dict[str, int] = field(default_factory=dict)
    """1-based file line of each top-level key, for messages about its value."""


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Find YAML (`---`) or TOML (`+++`) front matter at the top of `text` and parse it."""
    first, _, rest = text.partition("\n")
    fence = first.rstrip()
    if fence not in _FENCES:
        return FrontMatter(data=None, body=text)
    syntax, closers = _FENCES[fence]
    lines = rest.split("\n")
    end = next((i for i, line in enumerate(lines) if line.rstrip() in closers), None)
    if end is None:
        raise SourceError(f"front matter opened with {fence!r} on line 1 is never closed", path, 1, 1)
    source = "\n".join(lines[:end])
    body = "\n".join(lines[end + 1:])
    if syntax == "yaml":
        data, key_lines = _parse_yaml(source, path)
    else:
        data, key_lines = _parse_toml(source, path)
    return FrontMatter(data=data, body=body, body_line=end + 3, syntax=cast(Literal["yaml", "toml"], syntax),
                       key_lines=key_lines)


def parse_metadata_file(text: str, path: str, syntax: Literal["yaml", "toml"]) -> FrontMatter:
    """A whole metadata file (`collection.yaml`, `collection.toml`), parsed as front matter is, lines the file's."""
    parse = _parse_yaml if syntax == "yaml" else _parse_toml
    data, key_lines = parse(text, path, first_line=1)
    return FrontMatter(data=data, body="", syntax=syntax, key_lines=key_lines)


def _parse_yaml(source: str, path: str, first_line: int = 2) -> tuple[dict[str, object], dict[str, int]]:
    if _FAST_LOADER is not None:
        try:
            return _compose_and_check(_FAST_LOADER, source, path, first_line)
        except (SourceError, yaml.YAMLError, ValueError):
            pass  # parse again with the pure loader: same verdict, better line and column in the message
    return _compose_and_check(_LOADER, source, path, first_line)


def _compose_and_check(loader_class: type[yaml.SafeLoader], source: str, path: str,
                       first_line: int) -> tuple[dict[str, object], dict[str, int]]:
    offset = first_line  # file line of the source's first line (the opening fence is line 1)
    try:
        loader = loader_class(source)  # the pure loader checks every character here, before any parsing
    except yaml.reader.ReaderError as exc:  # C1 controls and DEL: text XML allows but YAML does not
        line = source.count("\n", 0, exc.position) + offset
        column = exc.position - (source.rfind("\n", 0, exc.position) + 1) + 1
        raise SourceError(f"invalid YAML front matter: U+{exc.character:04X} is a control character YAML does "
                          "not allow; delete it (or quote the value and write it as an escape)",
                          path, line, column) from None
    try:
        # One parse: compose the node graph (aliases stay shared references, so this is linear), check it,
        # then construct values from the same graph.
        node = loader.get_single_node()
        aliases = _count_aliases(node)
        if aliases > MAX_ALIASES:
            raise SourceError(f"front matter uses {aliases} YAML aliases (at most {MAX_ALIASES})", path, offset)
        _check_expansion(node, path, offset)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + offset, mark.column + 1) if mark else (offset, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        if "could not determine a constructor" in str(exc):
            problem = f"unsafe or unknown YAML tag {_tag_of(str(exc))}: only plain YAML values are allowed"
        raise SourceError(f"invalid YAML front matter: {problem}", path, line, column) from None
    except yaml.YAMLError as exc:
        raise SourceError(f"invalid YAML front matter: {exc}", path, offset) from None
    except ValueError as exc:  # PyYAML raises a bare ValueError for impossible timestamps
        line, column = _bad_timestamp(source, offset)
        raise SourceError(f"invalid date in front matter: {exc}", path, line, column) from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise SourceError(f"front matter must be a mapping of keys to values, found {kind}", path, offset, 1)
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            key_lines[str(key.value)] = key.start_mark.line + offset
    return {str(k): v for k, v in data.items()}, key_lines


def _count_aliases(node: yaml.Node | None) -> int:
    """How many times an anchored node is referenced again: each later reference is one alias."""
    seen: set[int] = set()
    aliases = 0
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if id(current) in seen:
            aliases += 1
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in current.value for n in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return aliases


def _check_expansion(node: yaml.Node | None, path: str, offset: int) -> None:
    """Refuse front matter that aliases blow up (a "billion laughs"), naming the key where it happens."""
    pairs = node.value if isinstance(node, yaml.MappingNode) else [(node, node)] if node is not None else []
    sizes: dict[int, int] = {}
    total = 0
    for key, value in pairs:
        total += _expanded_size(value, sizes, set())
        if total > MAX_NODES:
            raise SourceError(f"front matter expands to more than {MAX_NODES:,} values through YAML aliases "
                              "(or refers to itself)", path, key.start_mark.line + offset, key.start_mark.column + 1)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many values `node` becomes once every alias is expanded; a node containing itself is unbounded."""
    key = id(node)
    if key in open_nodes:
        return MAX_NODES + 1
    if key not in sizes:
        open_nodes.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        total = 1
        for child in children:
            total += _expanded_size(child, sizes, open_nodes)
            if total > MAX_NODES:
                break
        open_nodes.discard(key)
        sizes[key] = total
    return sizes[key]


def _tag_of(message: str) -> str:
    found = re.search(r"tag '([^']+)'", message)
    return f"'{found.group(1)}'" if found else ""


def _bad_timestamp(source: str, offset: int) -> tuple[int, int]:
    """Find the timestamp scalar PyYAML could not build, for a message that names its line."""
    for lineno, line in enumerate(source.split("\n")):
        for match in re.finditer(r"\d{4}-\d{1,2}-\d{1,2}[^\s,\]}#]*", line):
            try:
                yaml.safe_load(match.group())
            except ValueError:
                return lineno + offset, match.start() + 1
    return offset, 0


def _parse_toml(source: str, path: str, first_line: int = 2) -> tuple[dict[str, object], dict[str, int]]:
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = toml_position(exc)
        line = line + first_line - 1 if line else first_line
        raise SourceError(f"invalid TOML front matter: {message}", path, line, column) from None
    key_lines: dict[str, int] = {}
    for number, text in enumerate(source.split("\n"), start=first_line):
        key = re.match(r"\s*(?:\[\[?)?\s*([A-Za-z0-9_-]+)", text)
        if key and key.group(1) not in key_lines:
            key_lines[key.group(1)] = number
    return dict(data), key_lines


# ------------------------------------------------------------------------------------------ validation

_ALIASES = {
    "dek": "subtitle",
    "standfirst": "subtitle",
    "author": "authors",
    "byline": "authors",
    "modified": "updated",
    "lastmod": "updated",
    "date_modified": "updated",
    "lang": "language",
    "dir": "direction",
    "category": "section",
    "description": "summary",
    "excerpt": "summary",
    "canonical": "canonical_url",
    "url": "canonical_url",
    "lead_image": "image",
    "cover": "image",
    "cover_image": "image",
    "license": "rights",
    "licence": "rights",
    "copyright": "rights",
}
_ROLE_KEYS: dict[str, Role] = {
    "editors": "editor", "editor": "editor", "photographers": "photographer", "photographer": "photographer",
    "translators": "translator", "translator": "translator", "illustrator": "illustrator",
}
_ID_KEYS = ("isbn", "doi", "id")


class _Checker:
    """Validates one front matter; every fault names the file and the key's line."""

    def __init__(self, front: FrontMatter, path: str, report: Report) -> None:
        self.front = front
        self.path = path
        self.report = report

    def fail(self, key: str, message: str) -> SourceError:
        return SourceError(f"{key}: {message}", self.path, self.front.key_lines.get(key, 1))

    def warn(self, key: str, code: str, message: str) -> None:
        self.report.warn(code, f"{key}: {message}", path=self.path, line=self.front.key_lines.get(key, 0))

    def text(self, key: str, value: object) -> str:
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, bool) or value is None or isinstance(value, list | dict):
            raise self.fail(key, f"expected text, found {_kind(value)}")
        return str(value)

    def texts(self, key: str, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        if isinstance(value, list):
            return tuple(self.text(key, v) for v in value)
        raise self.fail(key, f"expected a list of text, found {_kind(value)}")

    def moment(self, key: str, value: object) -> dt.date:
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip()) if len(value.strip()) > 10 \
                    else dt.date.fromisoformat(value.strip())
            except ValueError:
                raise self.fail(key, f"{value!r} is not a valid ISO 8601 date (YYYY-MM-DD[THH:MM±HH:MM])") from None
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                self.warn(key, "meta.naive-time", "time has no time zone; taken as UTC")
                value = value.replace(tzinfo=dt.UTC)
            return value
        if isinstance(value, dt.date):
            return value
        raise self.fail(key, f"expected a date, found {_kind(value)}")

    def person(self, key: str, value: object, role: Role) -> Person:
        if isinstance(value, str):
            return Person(name=value.strip(), role=role)
        if not isinstance(value, dict) or "name" not in value:
            raise self.fail(key, "each person is a name, or a mapping with 'name' (and role, url, email)")
        unknown = set(value) - {"name", "role", "url", "email"}
        if unknown:
            raise self.fail(key, f"unknown person field {sorted(unknown)[0]!r} (use name, role, url, email)")
        found_role = self.text(key, value.get("role", role)).lower()
        if found_role not in get_args(Role):
            raise self.fail(key, f"unknown role {found_role!r} (use one of {', '.join(get_args(Role))})")
        return Person(name=self.text(key, value["name"]), role=cast(Role, found_role),
                      url=self.text(key, value.get("url", "")), email=self.text(key, value.get("email", "")))

    def people(self, key: str, value: object, role: Role) -> tuple[Person, ...]:
        items = value if isinstance(value, list) else [value]
        return tuple(self.person(key, v, role) for v in items)

    def image(self, key: str, value: object) -> LeadImage:
        if isinstance(value, str):
            return LeadImage(src=value.strip(), line=self.front.key_lines.get(key, 0))
        if not isinstance(value, dict) or "src" not in value:
            raise self.fail(key, "expected a path, or a mapping with 'src' (and alt, caption, credit)")
        unknown = set(value) - {"src", "alt", "caption", "credit"}
        if unknown:
            raise self.fail(key, f"unknown image field {sorted(unknown)[0]!r} (use src, alt, caption, credit)")
        return LeadImage(**{k: self.text(key, v) for k, v in value.items()}, line=self.front.key_lines.get(key, 0))

    def corrections(self, key: str, value: object) -> tuple[Correction, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "expected a list of corrections, each with 'date' and 'text'")
        found = []
        for item in value:
            if not isinstance(item, dict) or set(item) != {"date", "text"}:
                raise self.fail(key, "each correction is a mapping with exactly 'date' and 'text'")
            found.append(Correction(date=self.moment(key, item["date"]), text=self.text(key, item["text"])))
        return tuple(sorted(found, key=lambda c: _sort_key(c.date)))

    def language(self, key: str, value: object) -> str:
        tag = self.text(key, value)
        standard = standard_tag(tag)
        if standard is None:
            raise self.fail(key, f"{tag!r} is not a valid BCP 47 language tag (e.g. en, en-GB, sr-Cyrl, sq)")
        return standard

    def identifiers(self, key: str, value: object) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(key, "expected a mapping with isbn, doi or id")
        unknown = set(value) - set(_ID_KEYS)
        if unknown:
            raise self.fail(key, f"unknown identifier {sorted(unknown)[0]!r} (use isbn, doi, id)")
        return {k: self.identifier(key, k, v) for k, v in value.items()}

    def identifier(self, key: str, kind: str, value: object) -> str:
        text = self.text(key, value)
        if kind == "isbn":
            digits = re.sub(r"[\s-]", "", text).upper()
            if not _isbn_ok(digits):
                raise self.fail(key, f"{text!r} is not a valid ISBN (check digit or length)")
            return digits
        if kind == "doi":
            text = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", text, flags=re.I)
            if not re.fullmatch(r"10\.\d{4,9}/\S+", text):
                raise self.fail(key, f"{text!r} is not a DOI (10.NNNN/suffix)")
        return text


def _kind(value: object) -> str:
    return {list: "a list", dict: "a mapping", bool: "true/false", type(None): "nothing"}.get(
        type(value), f"a {type(value).__name__}")


def _sort_key(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _isbn_ok(digits: str) -> bool:
    if len(digits) == 13 and digits.isdigit():
        return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        total = sum((10 - i) * (10 if d == "X" else int(d)) for i, d in enumerate(digits))
        return total % 11 == 0
    return False


def _jsonable(value: object, depth: int = 0) -> JsonValue:
    """Front-matter values for `Metadata.extra`: dates become ISO strings, depth is bounded."""
    if depth > 20:
        return None
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, depth + 1) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def slugify_title(title: str) -> str:
    """A Unicode-aware slug: lower case, letters of every script kept, at most 80 characters on a word boundary."""
    from slugify import slugify

    return slugify(title, allow_unicode=True, max_length=80, word_boundary=True) or "article"


def cut_title(title: str, limit: int, *, report: Report, path: str, line: int = 0) -> str:
    """`title`, or at most `limit` characters of it cut at a word and ended with "…", after a warning.

    Cut rather than refused: an over-long title is an editing slip (a paragraph pasted into the title field)
    that must not stop the story going out, while printed in full it would fill a PDF page and every
    running head.
    """
    if len(title) <= limit:
        return title
    cut = title[:max(limit - 1, 1)]
    space = cut.rfind(" ")
    if not title[len(cut)].isspace() and space > len(cut) * 0.6:  # mid-word: back to the last space
        cut = cut[:space]
    report.warn("meta.title-too-long", f"title is {len(title):,} characters; cut to {limit:,} "
                f"({raise_hint('title_chars')})", path=path, line=line)
    return cut.rstrip(" ,.;:-–—") + "…"


def build_metadata(front: FrontMatter, *, path: str, report: Report, fallback_title: str = "") -> Metadata:
    """Validate front matter into `Metadata`; unknown keys go to `extra`, faults raise `SourceError`."""
    removed = [0]
    front = replace(front, data=cast("dict[str, object] | None", without_illegal(front.data, removed)))
    if removed[0]:
        report.warn("source.control-characters", f"removed {removed[0]} escaped control character(s) that XML "
                    "forbids from the front matter", path=path)
    check = _Checker(front, path, report)
    raw = dict(front.data or {})
    fields: dict[str, object] = {}
    extra: dict[str, JsonValue] = {}
    identifiers: dict[str, str] = {}
    people: list[Person] = []
    handlers: dict[str, Callable[[str, object], object]] = {
        "title": check.text, "subtitle": check.text, "kicker": check.text, "dateline": check.text,
        "section": check.text, "summary": check.text, "slug": check.text, "canonical_url": check.text,
        "rights": check.text, "publisher": check.text,
        "date": check.moment, "updated": check.moment, "embargo": check.moment,
        "tags": check.texts, "keywords": check.texts,
        "language": check.language, "image": check.image, "corrections": check.corrections,
    }
    for key, value in raw.items():
        name = _ALIASES.get(key.lower(), key.lower())
        if value is None or value in ("", []):
            continue
        if name in fields:
            check.warn(key, "meta.duplicate-key", "also given under another name; the first value is kept")
        elif name == "authors":
            people.extend(check.people(key, value, "author"))
        elif name in _ROLE_KEYS:
            people.extend(check.people(key, value, _ROLE_KEYS[name]))
        elif name == "identifiers":
            identifiers.update(check.identifiers(key, value))
        elif name in _ID_KEYS:
            identifiers[name] = check.identifier(key, name, value)
        elif name == "direction":
            direction = check.text(key, value).lower()
            if direction not in ("ltr", "rtl", "auto"):
                raise check.fail(key, f"expected ltr, rtl or auto, found {direction!r}")
            fields[name] = direction
        elif name in handlers:
            fields[name] = handlers[name](key, value)
        else:
            extra[key] = _jsonable(value)
    title = cast(str, fields.get("title") or fallback_title)
    if not title:
        title = PurePath(path).stem.replace("-", " ").replace("_", " ").strip() or "Untitled"
        report.warn("meta.no-title", f"no title in front matter or text; using the file name {title!r}", path=path)
    fields["title"] = title = cut_title(title, current().title_chars, report=report, path=path,
                                        line=front.key_lines.get("title", 0))
    fields["slug"] = slugify_title(cast(str, fields.get("slug") or title))
    return Metadata(
        authors=tuple(people),
        identifiers=Identifiers(**identifiers),
        extra=extra,
        **cast(Mapping[str, object], fields),  # type: ignore[arg-type]
    )
