"""Built-in themes, the theme contract (tokens change CSS and nothing else) and `exporter themes new`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from exporter.diagnostics import Report
from exporter.loader import is_source, load
from exporter.renderers.html import HtmlRenderer
from exporter.themes import Theme, builtin_root

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
WIRE = SOURCES / "world" / "nato-kosovo.txt"
BUILTINS = ("default", "newsroom")


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_theme_loads_with_fonts_and_licences(name: str) -> None:
    theme = Theme.load(name)
    assert theme.description
    own = [f for f in theme.font_faces if f.path.parent.parent == builtin_root().resolve() / name]
    assert {(f.weight, f.style) for f in own} == {(400, "normal"), (400, "italic"), (700, "normal"), (700, "italic")}
    for face in own:
        assert face.path.stat().st_size < 300_000, face.path
        assert (face.path.parent / "OFL.txt").is_file()
        assert "SIL OPEN FONT LICENSE" in (face.path.parent / "OFL.txt").read_text(encoding="utf-8")
    for template in ("article.html.j2", "fragment.html.j2", "_header.html.j2", "_footer.html.j2"):
        theme.find(f"templates/{template}")


def test_themes_look_clearly_different() -> None:
    default, newsroom = Theme.load("default").tokens, Theme.load("newsroom").tokens
    assert default.fonts.headings == "Noto Serif" and newsroom.fonts.headings == "Noto Sans"
    assert newsroom.page.columns == 2 and default.page.columns == 1
    assert newsroom.sizes.base < default.sizes.base or newsroom.sizes.line_height < default.sizes.line_height
    assert default.colours.accent != newsroom.colours.accent


@pytest.mark.parametrize("name", BUILTINS)
def test_base_css_uses_only_tokens(name: str) -> None:
    css = (builtin_root() / name / "css" / "base.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b", css), "colours must come from tokens"
    assert "font-family" in css
    for family in re.findall(r"font-family:\s*([^;]+);", css):
        assert family.strip().startswith("var(--fonts-"), family
    used = set(re.findall(r"var\((--[a-z-]+)\)", css))
    declared = set(re.findall(r"(--[a-z-]+):", Theme.load(name).root_css()))
    assert used <= declared


def _characters() -> set[str]:
    chars: set[str] = set()
    for path in SOURCES.rglob("*"):
        if path.is_file() and (is_source(path) or path.suffix in (".yaml", ".yml", ".toml")):
            chars |= set(path.read_text(encoding="utf-8"))
    from exporter.html_context import LABELS, MONTHS

    for words in (*LABELS.values(), *({str(i): m for i, m in enumerate(ms)} for ms in MONTHS.values())):
        chars |= set("".join(words.values()))
    return {c for c in chars if ord(c) > 0x20 and c not in "\u00a0\u200b\ufeff"}


@pytest.mark.parametrize("name", BUILTINS)
def test_theme_fonts_cover_every_sample_character(name: str) -> None:
    from fontTools.ttLib import TTFont

    # (html_body's "↩" back-link arrow is in no Noto text font: it falls back to Noto Sans Math from fonts-noto-core)
    chars = _characters() | set("ëçÇË ĐđŠšŽžČčĆć ΑαΩω ЉљЊњЏџЂђЋћ")
    for face in Theme.load(name).font_faces:
        cmap = TTFont(face.path).getBestCmap()
        missing = sorted(c for c in chars if c.strip() and ord(c) not in cmap)
        assert not missing, f"{face.path.name} lacks {missing}"


def _child(tmp_path: Path, tokens: str) -> Path:
    folder = tmp_path / "child"
    folder.mkdir()
    (folder / "theme.toml").write_text(f'[theme]\nname = "child"\nextends = "default"\n\n{tokens}\n',
                                       encoding="utf-8")
    return folder


def _split_style(page: str) -> tuple[str, str]:
    head, _, rest = page.partition("<style>")
    css, _, tail = rest.partition("</style>")
    return head + "<style></style>" + tail, css


def test_theme_contract_tokens_change_only_the_css(tmp_path: Path) -> None:
    child = _child(tmp_path, '[tokens.colours]\naccent = "#0055aa"\n\n[tokens.fonts]\ntext = "Noto Sans"\n')
    article = load(WIRE)
    renderer = HtmlRenderer()
    base_page = renderer.render(article, Theme.load("default"), Report()).decode()
    child_page = renderer.render(article, Theme.load(child), Report()).decode()
    base_rest, base_css = _split_style(base_page)
    child_rest, child_css = _split_style(child_page)
    assert base_rest == child_rest
    changed = set(base_css.splitlines()) ^ set(child_css.splitlines())
    assert changed == {"  --colours-accent: #9b1c1c;", "  --colours-accent: #0055aa;",
                       '  --fonts-text: "Noto Serif", serif;', '  --fonts-text: "Noto Sans", sans-serif;'}
    assert renderer.companions(article, Theme.load(child), Report()) == renderer.companions(
        article, Theme.load("default"), Report())


def test_child_theme_overrides_one_template(tmp_path: Path) -> None:
    child = _child(tmp_path, "")
    (child / "templates").mkdir()
    (child / "templates" / "_footer.html.j2").write_text('<footer class="brand">Brand</footer>\n', encoding="utf-8")
    page = HtmlRenderer().render(load(WIRE), Theme.load(child), Report()).decode()
    assert '<footer class="brand">Brand</footer>' in page
    assert '<h1 class="headline"' in page  # the header partial is still default's


def test_themes_new_scaffolds_a_working_child(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["themes", "new", "brand", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "brand"
    text = (folder / "theme.toml").read_text(encoding="utf-8")
    assert 'extends = "default"' in text and "# accent =" in text
    theme = Theme.load(folder)
    assert theme.folders[0] == folder.resolve() and theme.tokens == Theme.load("default").tokens
    out = tmp_path / "out"
    result = runner.invoke(main, ["export", str(WIRE), "--to", "html", "-o", str(out), "--theme", str(folder), "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "nato-kosovo.html").is_file()
    again = runner.invoke(main, ["themes", "new", "brand", "--dir", str(tmp_path)])
    assert again.exit_code == 2
    bad = runner.invoke(main, ["themes", "new", "../up", "--dir", str(tmp_path)])
    assert bad.exit_code == 2


def test_themes_lists_both_builtins() -> None:
    result = CliRunner().invoke(main, ["themes"])
    assert result.exit_code == 0
    assert "default" in result.output and "newsroom" in result.output


@pytest.mark.slow
def test_builtin_themes_ship_in_the_wheel(tmp_path: Path) -> None:
    """Build the wheel, install it (without dependencies) into a fresh venv that borrows this venv's
    dependencies but not its editable checkout, and render the wire story with every built-in theme."""
    import subprocess
    import sys
    import sysconfig
    import venv

    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(ROOT)], check=True, timeout=300)
    fresh = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # a plain path line: the dependencies become importable, their .pth files (our editable install) do not run
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "-q", *map(str, wheels.glob("*.whl"))], check=True, timeout=300)
    script = (
        "import sys, exporter, pathlib\n"
        "from exporter import pipeline\n"
        "assert 'fresh' in exporter.__file__, exporter.__file__\n"
        "for theme in ('default', 'newsroom'):\n"
        "    report = pipeline.export([sys.argv[1]], 'html', pathlib.Path(sys.argv[2]) / theme, theme=theme)\n"
        "    assert report.ok(), [str(d) for r in report.results for d in r.diagnostics]\n"
    )
    out = tmp_path / "out"
    done = subprocess.run([str(python), "-c", script, str(WIRE), str(out)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for theme in BUILTINS:
        page = (out / theme / "nato-kosovo.html").read_text(encoding="utf-8")
        assert "--colours-accent" in page
        assert (out / theme / "_fonts" / "NotoSerif-Regular.ttf").is_file()
    assert (out / "newsroom" / "_fonts" / "NotoSans-Bold.ttf").is_file()


@pytest.mark.parametrize(("toml", "where", "said"), [
    ('[theme]\nname = "bad"\n[tokens.colours\naccent = "#aaaaaa"\n', ":3:16",
     "invalid TOML: Expected ']' at the end of a table declaration"),
    ('[theme]\nname = "bad"\n[tokens.colours]\naccent = "#zzzzzz"\n', ": [tokens.colours.accent]",
     "'#zzzzzz' is not a colour (#rgb or #rrggbb)")])
def test_a_broken_theme_is_a_usage_error_naming_its_file_and_place(tmp_path: Path, toml: str, where: str,
                                                                   said: str) -> None:
    (tmp_path / "theme.toml").write_text(toml, encoding="utf-8")
    result = CliRunner().invoke(main, ["export", str(WIRE), "--to", "json", "--theme", str(tmp_path), "-o",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{tmp_path / 'theme.toml'}{where}: error: {said}"
    assert not (tmp_path / "out").exists()


def test_a_loaded_theme_keeps_its_stylesheets_and_loading_again_reads_an_edited_one(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    (folder / "css").mkdir(parents=True)
    (folder / "theme.toml").write_text('[theme]\nname = "mine"\nextends = "default"\n', encoding="utf-8")
    web = folder / "css" / "web.css"
    web.write_text("h2 { color: teal; }\n", encoding="utf-8")
    before = Theme.load(folder)
    assert "h2 { color: teal; }" in before.stylesheet("web")
    web.write_text("h2 { color: olive; letter-spacing: 0.1em; }\n", encoding="utf-8")
    after = Theme.load(folder)
    assert "olive" in after.stylesheet("web") and "teal" not in after.stylesheet("web")
    assert "teal" in before.stylesheet("web")  # read once, with its tokens: a theme is what was loaded
    assert [path for path, _ in after.stylesheet_parts("web")][-1] == web
