"""Themes: a folder of tokens, templates, CSS and fonts, searched child first along its `extends` chain.

One theme drives every format: its tokens become a `:root { --… }` block for HTML, EPUB and PDF and typed
values for DOCX, and a child theme overrides single tokens or single files without copying the rest.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from exporter.errors import ThemeError, toml_position
from exporter.registry import THEMES

if TYPE_CHECKING:
    import jinja2

DEFAULT_THEME = "default"
STYLESHEET_GLUE = "\n\n"
"""Between the parts `Theme.stylesheet` joins."""
Medium = Literal["web", "epub", "print"]

_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_LENGTH = re.compile(r"^(?:0|-?\d+(?:\.\d+)?(?:pt|px|mm|cm|in|em|rem|pc|ex|ch|%))$")
PAGE_SIZES: dict[str, tuple[str, str]] = {
    "A4": ("210mm", "297mm"),
    "A5": ("148mm", "210mm"),
    "Letter": ("8.5in", "11in"),
    "US-Trade": ("6in", "9in"),
    "Royal": ("156mm", "234mm"),
}
"""Named trim sizes (width, height)."""


# ------------------------------------------------------------------------------------------------ tokens


@dataclass(frozen=True, slots=True, kw_only=True)
class FontTokens:
    """Font family names per role, as declared by the theme's `[[fonts]]`, with a generic fallback."""

    text: str = "serif"
    """Body text family."""
    headings: str = "serif"
    """Headline and heading family."""
    mono: str = "monospace"
    """Code family."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SizeTokens:
    """Type sizes: a base size and a modular scale for headings."""

    base: str = "11pt"
    """Body text size."""
    scale: float = 1.25
    """Ratio between successive heading sizes."""
    line_height: float = 1.45
    """Body leading as a multiple of the size."""
    small: str = "0.85em"
    """Captions, credits, notes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ColourTokens:
    """Colours as #rgb or #rrggbb."""

    text: str = "#1a1a1a"
    """Body text."""
    background: str = "#ffffff"
    """Page background."""
    accent: str = "#9b1c1c"
    """Kickers, rules, links."""
    muted: str = "#5f5f5f"
    """Captions, credits, dates."""
    rule: str = "#d0d0d0"
    """Hairlines and table borders."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpacingTokens:
    """Measure and vertical rhythm."""

    measure: str = "34em"
    """Maximum line length on screen."""
    paragraph: str = "0.75em"
    """Space between paragraphs."""
    block: str = "1.5em"
    """Space around figures, tables, quotes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PageTokens:
    """Print and Word page setup."""

    size: str = "A4"
    """A name from `PAGE_SIZES` or "WIDTH HEIGHT" lengths."""
    margin_top: str = "20mm"
    """Top margin."""
    margin_bottom: str = "22mm"
    """Bottom margin."""
    margin_inside: str = "22mm"
    """Binding-side margin (left on right-hand pages)."""
    margin_outside: str = "18mm"
    """Fore-edge margin."""
    columns: int = 1
    """Text columns in print."""
    column_gap: str = "6mm"
    """Gap between print columns."""
    bleed: str = "0mm"
    """Bleed beyond the trim; 0 for none."""
    marks: tuple[str, ...] = ()
    """Printer's marks: `crop`, `cross`."""
    running_head: str = "section"
    """What the running head shows opposite the title: `section`, `publication` or `none`."""
    page_numbers: Literal["n", "n of N", "none"] = "n"
    """Folio style."""

    def dimensions(self) -> tuple[str, str]:
        """(width, height) of the trim."""
        if self.size in PAGE_SIZES:
            return PAGE_SIZES[self.size]
        width, _, height = self.size.partition(" ")
        return width, height


@dataclass(frozen=True, slots=True, kw_only=True)
class Tokens:
    """Every design token of a theme, merged along the `extends` chain."""

    fonts: FontTokens = dataclasses.field(default_factory=FontTokens)
    """Font families per role."""
    sizes: SizeTokens = dataclasses.field(default_factory=SizeTokens)
    """Type sizes."""
    colours: ColourTokens = dataclasses.field(default_factory=ColourTokens)
    """Colours."""
    spacing: SpacingTokens = dataclasses.field(default_factory=SpacingTokens)
    """Spacing."""
    page: PageTokens = dataclasses.field(default_factory=PageTokens)
    """Page setup."""


_GROUPS: dict[str, type] = {"fonts": FontTokens, "sizes": SizeTokens, "colours": ColourTokens,
                            "spacing": SpacingTokens, "page": PageTokens}
_LENGTH_KEYS = {"base", "small", "measure", "paragraph", "block", "margin_top", "margin_bottom", "margin_inside",
                "margin_outside", "column_gap", "bleed"}


@dataclass(frozen=True, slots=True, kw_only=True)
class FontFace:
    """One font file a theme ships."""

    family: str
    """Family name used in `FontTokens`."""
    path: Path
    """The file."""
    weight: int = 400
    """CSS font-weight."""
    style: Literal["normal", "italic"] = "normal"
    """CSS font-style."""


# ----------------------------------------------------------------------------------------------- lookup


def builtin_root() -> Path:
    """Where the built-in themes live: the repository's `themes/`, or the copy packaged into the wheel."""
    packaged = Path(__file__).with_name("_themes")
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "themes"


def theme_names() -> dict[str, str]:
    """Every theme found by name (built-ins and plugins) → its description."""
    found: dict[str, str] = {}
    root = builtin_root()
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if (p / "theme.toml").is_file()):
            found[folder.name] = _read_toml(folder / "theme.toml").get("theme", {}).get("description", "")
    for name in THEMES.names():
        folder = Path(THEMES.load(name))
        found.setdefault(name, _read_toml(folder / "theme.toml").get("theme", {}).get("description", ""))
    return found


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThemeError(f"cannot read theme settings: {exc.strerror}", str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        message, line, column = toml_position(exc)
        raise ThemeError(f"invalid TOML: {message}", str(path), line=line, column=column) from None


def resolve_folder(name_or_path: str | Path) -> Path:
    """A theme's folder from a built-in name, a plugin name or a path."""
    as_path = Path(name_or_path)
    if (as_path / "theme.toml").is_file() and (as_path.is_absolute() or str(name_or_path).startswith((".", "/"))
                                                or not (builtin_root() / str(name_or_path)).is_dir()):
        return as_path.resolve()
    builtin = builtin_root() / str(name_or_path)
    if (builtin / "theme.toml").is_file():
        return builtin.resolve()
    if str(name_or_path) in THEMES.names():
        return Path(THEMES.load(str(name_or_path))).resolve()
    known = ", ".join(theme_names()) or "none"
    raise ThemeError(f"unknown theme {str(name_or_path)!r} (known: {known}; or give a folder with a theme.toml)")


# ------------------------------------------------------------------------------------------------ theme


@dataclass(frozen=True, slots=True)
class Theme:
    """A loaded theme: name, search path (child first) and merged tokens."""

    name: str
    """Theme name from `theme.toml`."""
    folders: tuple[Path, ...]
    """Search path: this theme, then each theme it extends, `default` last."""
    tokens: Tokens = dataclasses.field(default_factory=Tokens)
    """Merged design tokens."""
    font_faces: tuple[FontFace, ...] = ()
    """Font files, child theme's first."""
    description: str = ""
    """One line for `exporter themes`."""
    _css: dict[str, tuple[tuple[Path, str], ...]] = dataclasses.field(default_factory=dict, init=False, repr=False,
                                                                       compare=False, hash=False)
    """The stylesheet parts per medium, read on first use: a batch renders hundreds of pages with one theme."""

    @classmethod
    def load(cls, name_or_path: str | Path = DEFAULT_THEME) -> Theme:
        """Load a theme and its `extends` chain; `ThemeError` names the file and key of any fault."""
        folder = resolve_folder(name_or_path)
        return _load_cached(folder, _stamp(folder))

    # -- files along the search path

    def find(self, relative: str) -> Path:
        """The first file at `relative` along the search path; `ThemeError` listing every folder searched."""
        for folder in self.folders:
            candidate = folder / relative
            if candidate.is_file():
                return candidate
        searched = ", ".join(str(f) for f in self.folders)
        raise ThemeError(f"{relative} not found in theme {self.name!r} (searched: {searched})")

    def find_optional(self, relative: str) -> Path | None:
        """Like `find`, but None when no folder has the file."""
        return next((f / relative for f in self.folders if (f / relative).is_file()), None)

    def jinja(self) -> jinja2.Environment:
        """The theme's Jinja environment (autoescape, StrictUndefined), built once per theme."""
        return _environment(self.folders)

    def template(self, name: str) -> jinja2.Template:
        """A template by name; a missing one is a `ThemeError` listing every folder searched."""
        import jinja2

        try:
            return self.jinja().get_template(name)
        except jinja2.TemplateNotFound:
            searched = ", ".join(str(f / "templates") for f in self.folders)
            raise ThemeError(f"template {name} not found in theme {self.name!r} (searched: {searched})") from None
        except jinja2.TemplateSyntaxError as exc:
            raise ThemeError(f"template syntax error on line {exc.lineno}: {exc.message}",
                             str(exc.filename or name)) from None

    # -- CSS

    def custom_properties(self) -> dict[str, str]:
        """The tokens as CSS custom properties (`--colours-accent` → `#9b1c1c`), as `root_css` declares them."""
        return _custom_properties(self.tokens)

    def root_css(self) -> str:
        """The tokens as one `:root { --… }` block shared by HTML, EPUB and PDF."""
        lines = (f"  {name}: {value};" for name, value in self.custom_properties().items())
        return ":root {\n" + "\n".join(lines) + "\n}"

    def font_face_css(self, url_for: str = "fonts/") -> str:
        """`@font-face` rules for the theme's fonts, their URLs under `url_for` (a folder prefix)."""
        rules = []
        for face in self.font_faces:
            rules.append(
                "@font-face { "
                f'font-family: "{face.family}"; src: url("{url_for}{face.path.name}"); '
                f"font-weight: {face.weight}; font-style: {face.style}; font-display: swap; }}"
            )
        return "\n".join(rules)

    def stylesheet(self, medium: Medium) -> str:
        """Tokens, then `css/base.css` and `css/<medium>.css` from every theme on the path, parent first.

        Stylesheets cascade instead of replacing each other, so a child theme's CSS holds only what it
        changes; templates, fonts and assets are still first-hit-wins.
        """
        return STYLESHEET_GLUE.join(text for _, text in self.stylesheet_parts(medium)) + "\n"

    def stylesheet_parts(self, medium: Medium) -> list[tuple[Path, str]]:
        """What `stylesheet` joins, each with the file it comes from (the tokens: `theme.toml`), so a problem
        an engine finds in the joined text can be reported at its own file and line.

        The files are read once per loaded theme, like its tokens: `Theme.load` gives a new theme when any of
        its files changed.
        """
        parts = self._css.get(medium)
        if parts is None:
            found = [(self.folders[0] / "theme.toml", self.root_css())]
            for name in ("css/base.css", f"css/{medium}.css"):
                found.extend((f, f.read_text(encoding="utf-8")) for f in (d / name for d in reversed(self.folders))
                             if f.is_file())
            parts = self._css[medium] = tuple(found)
        return list(parts)

    def digest(self) -> str:
        """A hash of every file on the search path: changes whenever anything that styles output changes."""
        return _digest(self.folders, _stamp(self.folders[0]))


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Cheap change detector for caches: every theme file's path, size and mtime along the chain.

    Called for every job a renderer keys a cache on, so it uses `os.scandir` (no `Path` per file) and reads a
    `theme.toml` only when its own size or time changed.
    """
    chain = [folder]
    seen = {folder}
    while True:
        extends = _extends(chain[-1] / "theme.toml")
        if not extends:
            break
        parent = resolve_folder(extends)
        if parent in seen:
            break
        seen.add(parent)
        chain.append(parent)
    stamp: list[tuple[str, int, int]] = []
    for root in chain:
        stamp.extend(sorted(_files_with_times(str(root))))
    return tuple(stamp)


def _files_with_times(root: str) -> Iterator[tuple[str, int, int]]:
    """(path, size, mtime_ns) of every file under `root`, following the walk `Path.rglob` would make."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):  # as `rglob`: a linked folder could loop
                yield from _files_with_times(entry.path)
            elif entry.is_file():
                info = entry.stat()
                yield entry.path, info.st_size, info.st_mtime_ns
        except OSError:
            continue


def _extends(settings: Path) -> str:
    """The `extends` of a `theme.toml`, parsed again only when the file changed."""
    try:
        info = settings.stat()
    except OSError as exc:
        raise ThemeError(f"cannot read theme settings: {exc.strerror}", str(settings)) from None
    return _extends_cached(settings, info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _extends_cached(settings: Path, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # part of the cache key only
    return str(_read_toml(settings).get("theme", {}).get("extends") or "")


@functools.lru_cache(maxsize=32)
def _digest(folders: tuple[Path, ...], stamp: tuple[tuple[str, int, int], ...]) -> str:
    del stamp
    hasher = hashlib.sha256()
    for root in folders:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            hasher.update(str(path.relative_to(root)).encode())
            hasher.update(path.read_bytes())
    return hasher.hexdigest()


@functools.lru_cache(maxsize=32)
def _load_cached(folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> Theme:
    del stamp
    chain: list[Path] = []
    settings: list[tuple[Path, dict[str, Any]]] = []
    current: Path | None = folder
    while current is not None:
        if current in chain:
            names = " → ".join(f.name for f in (*chain, current))
            raise ThemeError(f"extends cycle: {names}", str(chain[-1] / "theme.toml"), "theme.extends")
        chain.append(current)
        data = _read_toml(current / "theme.toml")
        settings.append((current, data))
        extends = data.get("theme", {}).get("extends")
        if extends is None and current.name != DEFAULT_THEME and current != (builtin_root() / DEFAULT_THEME):
            default = builtin_root() / DEFAULT_THEME
            current = default.resolve() if (default / "theme.toml").is_file() else None
        else:
            current = resolve_folder(extends) if extends else None
    tokens = Tokens()
    faces: list[FontFace] = []
    for root, data in reversed(settings):
        tokens = _merge_tokens(tokens, data.get("tokens", {}), root / "theme.toml")
    for root, data in settings:
        faces.extend(_font_faces(data.get("fonts", []), root))
    head = settings[0][1].get("theme", {})
    return Theme(name=head.get("name", folder.name), folders=tuple(chain), tokens=tokens,
                 font_faces=tuple(faces), description=head.get("description", ""))


def _merge_tokens(tokens: Tokens, table: object, path: Path) -> Tokens:
    if not isinstance(table, dict):
        raise ThemeError("[tokens] must be a table", str(path), "tokens")
    updates: dict[str, object] = {}
    for group, values in table.items():
        if group not in _GROUPS:
            raise ThemeError(f"unknown token group (known: {', '.join(_GROUPS)})", str(path), f"tokens.{group}")
        if not isinstance(values, dict):
            raise ThemeError("expected a table of tokens", str(path), f"tokens.{group}")
        current = getattr(tokens, group)
        known = {f.name: f for f in dataclasses.fields(current)}
        changes: dict[str, object] = {}
        for key, value in values.items():
            where = f"tokens.{group}.{key}"
            if key not in known:
                raise ThemeError(f"unknown token (known: {', '.join(known)})", str(path), where)
            changes[key] = _check_token(group, key, value, getattr(current, key), path=path, where=where)
        updates[group] = dataclasses.replace(current, **changes)
    return dataclasses.replace(tokens, **updates)  # type: ignore[arg-type]


def _check_token(group: str, key: str, value: object, default: object, *, path: Path, where: str) -> object:
    def fail(expected: str) -> ThemeError:
        return ThemeError(f"{value!r} is not {expected}", str(path), where)

    if group == "colours":
        if not isinstance(value, str) or not _COLOUR.match(value):
            raise fail("a colour (#rgb or #rrggbb)")
        return value
    if key in _LENGTH_KEYS:
        if not isinstance(value, str) or not _LENGTH.match(value.strip()):
            raise fail("a CSS length (e.g. 11pt, 20mm, 1.5em)")
        return value.strip()
    if key == "size":
        if not isinstance(value, str) or not (value in PAGE_SIZES or (all(
                _LENGTH.match(v) for v in value.split(" ")) and len(value.split(" ")) == 2)):
            raise fail(f"a page size ({', '.join(PAGE_SIZES)} or 'WIDTH HEIGHT')")
        return value
    if key == "marks":
        if not isinstance(value, list) or not set(value) <= {"crop", "cross"}:
            raise fail("a list of marks (crop, cross)")
        return tuple(value)
    if key == "page_numbers" and value not in ("n", "n of N", "none"):
        raise fail("'n', 'n of N' or 'none'")
    if isinstance(default, bool) or (type(value) is not type(default) and not (
            isinstance(default, float) and isinstance(value, int))):
        raise fail(f"a {type(default).__name__}")
    if key == "columns" and not 1 <= cast(int, value) <= 4:
        raise fail("between 1 and 4")
    return float(value) if isinstance(default, float) else value  # type: ignore[arg-type]


def _font_faces(entries: object, root: Path) -> list[FontFace]:
    where = str(root / "theme.toml")
    if not isinstance(entries, list):
        raise ThemeError("[[fonts]] must be an array of tables", where, "fonts")
    faces = []
    for index, entry in enumerate(entries):
        key = f"fonts[{index}]"
        if not isinstance(entry, dict) or not {"family", "file"} <= set(entry):
            raise ThemeError("each font needs 'family' and 'file'", where, key)
        unknown = set(entry) - {"family", "file", "weight", "style"}
        if unknown:
            raise ThemeError(f"unknown font setting {sorted(unknown)[0]!r}", where, key)
        path = (root / str(entry["file"])).resolve()
        if root.resolve() not in path.parents or not path.is_file():
            raise ThemeError(f"font file {entry['file']!r} is missing (or outside the theme)", where, key)
        style = entry.get("style", "normal")
        if style not in ("normal", "italic"):
            raise ThemeError(f"style must be normal or italic, not {style!r}", where, key)
        faces.append(FontFace(family=str(entry["family"]), path=path, weight=int(entry.get("weight", 400)),
                              style=style))
    return faces


def _custom_properties(tokens: Tokens) -> dict[str, str]:
    """One custom property per token: `--<group>-<name>` (underscores become hyphens) → its CSS value."""
    values: dict[str, str] = {}
    for group in _GROUPS:
        found = getattr(tokens, group)
        for f in dataclasses.fields(found):
            value = getattr(found, f.name)
            if group == "fonts":
                generic = "monospace" if f.name == "mono" else ("sans-serif" if "sans" in value.lower() else "serif")
                value = f'"{value}", {generic}' if value not in ("serif", "sans-serif", "monospace") else value
            elif isinstance(value, tuple):
                value = " ".join(value) or "none"
            elif f.name == "page_numbers":
                value = f'"{value}"'
            values[f"--{group}-{f.name.replace('_', '-')}"] = str(value)
    width, height = tokens.page.dimensions()
    values.update({"--page-width": width, "--page-height": height})
    return values


@functools.lru_cache(maxsize=32)
def _environment(folders: tuple[Path, ...]) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f / "templates") for f in folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
