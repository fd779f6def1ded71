"""Child themes of `default` made on the fly, for tests that change one token or one stylesheet."""

from __future__ import annotations

from pathlib import Path

from exporter.themes import Theme


def child_theme(folder: Path, *, tokens: str = "", css: dict[str, str] | None = None) -> Theme:
    """A theme in `folder` extending `default`, with `tokens` (TOML under `[tokens…]` tables) and `css`
    (file name → text, e.g. `{"print.css": "h2 { color: red }"}`)."""
    (folder / "css").mkdir(parents=True)
    (folder / "theme.toml").write_text(f'[theme]\nname = "{folder.name}"\nextends = "default"\n\n{tokens}',
                                       encoding="utf-8")
    for name, text in (css or {}).items():
        (folder / "css" / name).write_text(text, encoding="utf-8")
    return Theme.load(folder)
