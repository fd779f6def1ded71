"""The syndication HTML renderer: valid (W3C Nu checker), safe, complete, deterministic."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from lxml import html as lxml_html
from model_strategies import articles

from exporter import pipeline
from exporter.diagnostics import Report
from exporter.identity import document_identifier
from exporter.loader import is_source, load
from exporter.model import Article
from exporter.renderers import build
from exporter.renderers.html import HtmlRenderer
from exporter.themes import Theme
from exporter.validate import check

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "sources"
FIXTURES = Path(__file__).parent / "fixtures" / "html"
VNU = ROOT / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ALL_SOURCES = sorted(p for p in SOURCES.rglob("*") if p.is_file() and is_source(p))
THEMES = ("default", "newsroom")


def render(path: Path, theme: str = "default", **options: object) -> tuple[str, Report]:
    report = Report()
    article = load(path, report=report)
    out = build("html", options).render(article, Theme.load(theme), report)
    return out.decode("utf-8"), report


def vnu(paths: list[Path]) -> dict[str, list[dict[str, object]]]:
    """Every message the Nu checker gives for `paths`, by file URL, from one JVM."""
    if not VNU.is_file():
        pytest.fail(f"the W3C Nu HTML checker is missing ({VNU}): run make tools")
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing (the Nu HTML checker needs it): install default-jre-headless, then run make tools")
    done = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--exit-zero-always", *map(str, paths)],
                          capture_output=True, text=True, check=False, timeout=900)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    found: dict[str, list[dict[str, object]]] = {Path(p).resolve().as_uri(): [] for p in paths}
    for message in messages:
        found.setdefault(str(message.get("url", "")).replace("file:/", "file:///", 1)
                         if not str(message.get("url", "")).startswith("file:///") else str(message["url"]),
                         []).append(message)
    return found


def problems(messages: list[dict[str, object]]) -> list[str]:
    """Errors and warnings (an `info` with subType `warning` is a warning); plain info is not counted."""
    return [f"{m.get('type')}/{m.get('subType', '')} line {m.get('lastLine')}: {m.get('message')}" for m in messages
            if m.get("type") in ("error", "non-document-error") or m.get("subType") == "warning"]


@pytest.fixture(scope="session")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every sample source in both themes, fragments in a minimal page, and the fixtures — checked in one JVM."""
    out = tmp_path_factory.mktemp("vnu")
    files: dict[str, Path] = {}
    for theme in THEMES:
        for source in ALL_SOURCES:
            name = f"{theme}-{source.relative_to(SOURCES).with_suffix('').as_posix().replace('/', '-')}"
            page, _ = render(source, theme)
            files[f"{name}.html"] = out / f"{name}.html"
            files[f"{name}.html"].write_text(page, encoding="utf-8")
    for source in [*ALL_SOURCES, *sorted(FIXTURES.glob("*.md"))]:
        fragment, _ = render(source, mode="fragment")
        name = f"fragment-{source.stem}.html"
        files[name] = out / name
        files[name].write_text('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Partner'
                               f"</title>\n</head>\n<body>\n{fragment}</body>\n</html>\n", encoding="utf-8")
    for source in sorted(FIXTURES.glob("*.md")):
        for variant in ({}, {"images": "embed", "css": "link"}):
            page, _ = render(source, **variant)
            name = f"fixture-{source.stem}-{len(variant)}.html"
            files[name] = out / name
            files[name].write_text(page, encoding="utf-8")
    collection = pipeline.export([SOURCES / "collection"], "html", out / "book", combine=True)
    assert collection.ok()
    files["collection.html"] = out / "book" / "collection.html"
    found = vnu(list(files.values()))
    return {name: problems(found.get(path.resolve().as_uri(), [])) for name, path in files.items()}


def test_sources_are_found() -> None:
    assert any(p.suffix == ".txt" for p in ALL_SOURCES)
    assert len(ALL_SOURCES) >= 3


@pytest.mark.slow
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("source", ALL_SOURCES, ids=lambda p: p.relative_to(SOURCES).as_posix())
def test_every_source_is_valid_html(checked: dict[str, list[str]], source: Path, theme: str) -> None:
    name = f"{theme}-{source.relative_to(SOURCES).with_suffix('').as_posix().replace('/', '-')}.html"
    assert checked[name] == []


@pytest.mark.slow
def test_fragments_fixtures_and_collections_are_valid_html(checked: dict[str, list[str]]) -> None:
    bad = {name: found for name, found in checked.items() if found and not name.startswith(THEMES)}
    assert bad == {}


def jsonld(page: str) -> dict[str, object]:
    tree = lxml_html.fromstring(page)
    scripts = tree.xpath("//script")
    assert len(scripts) == 1 and scripts[0].get("type") == "application/ld+json"
    data = json.loads(scripts[0].text)
    assert isinstance(data, dict)
    return data


def test_json_ld_carries_the_metadata() -> None:
    page, _ = render(FIXTURES / "full.md")
    data = jsonld(page)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Ферибот & <the> “river”"
    assert data["author"] == [{"@type": "Person", "name": "Ana Author", "url": "https://example.org/ana"},
                              {"@type": "Person", "name": "Bo Second"}]
    assert data["datePublished"] == "2024-03-14T09:30:00+01:00"
    assert data["dateModified"] == "2024-03-16"  # the latest correction
    assert data["inLanguage"] == "en"
    assert data["image"][0]["url"] == "https://news.example.com/world/full_files/photo.png"  # type: ignore[index]
    assert data["publisher"] == {"@type": "Organization", "name": "Example News"}
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": "https://news.example.com/world/full.html"}
    assert data["translator"] == [{"@type": "Person", "name": "Tom Translator"}]
    assert {"@type": "Person", "name": "Pat Photographer"} in data["contributor"]  # type: ignore[operator]
    article = load(FIXTURES / "full.md")
    assert data["identifier"] == document_identifier(article.metadata, article.source)
    assert "</" not in page.split('application/ld+json">', 1)[1].split("</script>", 1)[0]


def test_every_metadata_field_shows_up() -> None:
    page, report = render(FIXTURES / "full.md")
    tree = lxml_html.fromstring(page)
    assert tree.get("lang") == "en"
    assert tree.xpath("string(//p[@class='kicker'])") == "Analysis"
    assert tree.xpath("string(//h1)") == "Ферибот & <the> “river”"
    assert tree.xpath("string(//p[@class='dek'])") == "A dek with <markup> that must stay text"
    assert "Pat Photographer" in tree.xpath("string(//p[contains(@class, 'photographer')])")
    assert "Tom Translator" in tree.xpath("string(//p[contains(@class, 'translator')])")
    assert tree.xpath("//time/@datetime")[:2] == ["2024-03-14T09:30:00+01:00", "2024-03-16"]
    assert tree.xpath("string(//div[@class='article-body']/p[1]/span[@class='dateline'])") == "BELGRADE"
    assert "misspelled" in tree.xpath("string(//section[@class='corrections'])")
    assert "Example News" in tree.xpath("string(//p[@class='rights'])")
    assert tree.xpath("//ul[@class='tags']/li/text()") == ["Rivers", "Ferries"]
    assert tree.xpath("//link[@rel='canonical']/@href") == ["https://news.example.com/world/full.html"]
    assert tree.xpath("//meta[@property='og:title']/@content") == ["Ферибот & <the> “river”"]
    assert tree.xpath("//meta[@name='twitter:card']/@content") == ["summary_large_image"]
    assert tree.xpath("//meta[@name='viewport']")
    assert tree.xpath("//a[@role='doc-backlink']/@href") == ["#fnref-1"]
    assert tree.xpath("//th/@scope") == ["col", "col"]
    assert tree.xpath("//code/@class") == ["language-python"]
    for img in tree.xpath("//img"):
        assert img.get("width") and img.get("height") and img.get("alt") is not None
    # relative links become absolute against the canonical URL; fragments stay in the page
    assert "https://news.example.com/world/other.html" in tree.xpath("//a/@href")
    assert "#notes" in tree.xpath("//a/@href")
    assert report.warnings == ()


def test_related_links_become_a_read_also_list() -> None:
    page, _ = render(SOURCES / "world" / "nato-kosovo.txt")
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//nav[@class='related']//li")


def test_unsafe_source_loses_scripts_handlers_and_bad_urls() -> None:
    page, report = render(FIXTURES / "unsafe.md")
    tree = lxml_html.fromstring(page)
    assert [s.get("type") for s in tree.iter("script")] == ["application/ld+json"]
    assert not tree.xpath("//iframe | //svg | //object | //embed | //@style")
    for element in tree.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:", "file:")), value
    assert "onerror" not in page and "onclick" not in page and "alert(1)" not in page and "boom" not in page
    assert not any("tracker.example.com" in src for src in tree.xpath("//img/@src"))
    assert tree.xpath("//img/@src") == ["unsafe_files/photo.png"]  # the local raw image survives, via the policy
    refused = [d.message for d in report.warnings if d.code == "resource.refused"]
    assert any("outside" in m or "'..'" in m for m in refused)
    assert any("absolute" in m for m in refused)
    assert any("remote" in m for m in refused)


def test_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    first = pipeline.export([SOURCES], "html", tmp_path / "a", site_url="https://news.example.com/")
    second = pipeline.export([SOURCES], "html", tmp_path / "b", site_url="https://news.example.com/")
    assert first.ok() and second.ok()
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    for relative in files_a:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative
    assert {"feed.atom", "feed.rss", "feed.json"} <= {p.name for p in files_a}


def test_images_are_copied_next_to_the_page(tmp_path: Path) -> None:
    report = pipeline.export([SOURCES / "photo"], "html", tmp_path)
    assert report.ok()
    page = (tmp_path / "river-of-light.html").read_text(encoding="utf-8")
    srcs = lxml_html.fromstring(page).xpath("//img/@src")
    assert srcs and all(s.startswith("river-of-light_files/") for s in srcs)
    for src in srcs:
        assert (tmp_path / src).is_file()
    assert not list(tmp_path.glob("feed.*"))  # a single article gets no feed


def test_images_can_be_embedded() -> None:
    page, _ = render(SOURCES / "photo" / "river-of-light.md", images="embed")
    srcs = lxml_html.fromstring(page).xpath("//img/@src")
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    renderer = HtmlRenderer(images="embed", fonts="none")
    article = load(SOURCES / "photo" / "river-of-light.md")
    assert renderer.companions(article, Theme.load(), Report()) == {}


def test_css_can_be_linked() -> None:
    article = load(FIXTURES / "full.md")
    renderer = HtmlRenderer(css="link")
    page = renderer.render(article, Theme.load(), Report()).decode()
    assert "<style>" not in page and 'href="full_files/style.css"' in page
    files = renderer.companions(article, Theme.load(), Report())
    assert b"--colours-accent" in files["full_files/style.css"]
    assert "_fonts/NotoSerif-Regular.ttf" in files


@pytest.mark.parametrize(("options", "shared"), [
    ({}, True), ({"css": "link"}, True), ({"fonts": "copy"}, False), ({"fonts": "none"}, False),
    ({"mode": "fragment"}, False)])
def test_shared_companions_are_the_fonts_every_page_in_a_folder_uses(options: dict[str, str], shared: bool) -> None:
    article, theme = load(FIXTURES / "full.md"), Theme.load()
    renderer = build("html", options)
    assert isinstance(renderer, HtmlRenderer)
    renderer.render(article, theme, Report())
    files = renderer.companions(article, theme, Report())
    common = renderer.shared_companions(theme)
    assert common.items() <= files.items()  # the same names and bytes as the page's own companions
    assert sorted(common) == (sorted(f"_fonts/{face.path.name}" for face in theme.font_faces) if shared else [])


def test_fragment_mode_is_just_the_article() -> None:
    fragment, _ = render(FIXTURES / "full.md", mode="fragment")
    assert fragment.startswith("<article") and fragment.rstrip().endswith("</article>")
    assert "<script" not in fragment and "<style" not in fragment and "<html" not in fragment


def test_bad_options_are_refused() -> None:
    from exporter.errors import OptionError

    with pytest.raises(OptionError):
        build("html", {"mode": "page"})
    with pytest.raises(OptionError):
        build("html", {"site_url": "javascript:alert(1)"})
    with pytest.raises(OptionError):
        build("html", {"colour": "red"})


def test_serbian_article_speaks_serbian() -> None:
    page, _ = render(SOURCES / "world" / "kosovo-sr.md")
    tree = lxml_html.fromstring(page)
    assert tree.get("lang") == "sr-Cyrl"
    assert "април" in tree.xpath("string(//time)")
    assert tree.xpath("string(//p[contains(@class, 'author')])").startswith("Пише")


def test_collection_renders_every_article(tmp_path: Path) -> None:
    report = pipeline.export([SOURCES / "collection"], "html", tmp_path, combine=True)
    assert report.ok()
    tree = lxml_html.fromstring((tmp_path / "collection.html").read_text(encoding="utf-8"))
    assert len(tree.xpath("//article")) == 3
    ids = tree.xpath("//@id")
    assert len(ids) == len(set(ids))
    data = jsonld((tmp_path / "collection.html").read_text(encoding="utf-8"))
    assert data["@type"] == "CollectionPage" and data["name"] == "Letters from the Border"
    assert data["editor"] == [{"@type": "Person", "name": "Hana Weiss"}] and "author" not in data
    parts = data["hasPart"]
    assert isinstance(parts, list) and [p["@type"] for p in parts] == ["NewsArticle"] * 3
    assert str(data["identifier"]).startswith("urn:uuid:")
    assert check([tmp_path / "collection.html"], validators=["html-rules"]).ok(strict=True)


def test_in_memory_article_renders() -> None:
    from exporter.model import Metadata, Paragraph, Text

    article = Article(metadata=Metadata(title="Memory"), blocks=(Paragraph(children=(Text(text="Hi"),)),))
    page = HtmlRenderer().render(article, Theme.load(), Report()).decode()
    assert "<h1 class=\"headline\" id=\"title\">Memory</h1>" in page


def test_resource_policy_refuses_symlinks_out_of_the_source_folder(tmp_path: Path) -> None:
    from exporter.resources import ResourcePolicy, image_size

    secret = tmp_path / "secret.png"
    secret.write_bytes((FIXTURES / "pics" / "photo.png").read_bytes())
    folder = tmp_path / "story"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "link.png").symlink_to(secret)
    (folder / "img" / "ok.png").write_bytes(secret.read_bytes())
    source = str(folder / "story.md")
    report = Report()
    policy = ResourcePolicy()
    assert policy.read("img/link.png", source=source, report=report) is None
    assert policy.read("file:///etc/hostname", source=source, report=report) is None
    assert policy.read("//cdn.example.com/x.png", source=source, report=report) is None
    assert policy.read("C:\\x.png", source=source, report=report) is None
    assert [d.code for d in report] == ["resource.refused"] * 4
    assert all(d.path == source for d in report)
    data = policy.read("img/ok.png", source=source, report=report)
    assert data is not None and image_size(data) == (64, 40)
    assert image_size(b"not an image") is None
    assert ResourcePolicy(roots=(tmp_path,)).read("img/link.png", source=source, report=Report()) is not None


def test_wire_copy_without_byline_credits_the_publisher() -> None:
    page, _ = render(SOURCES / "world" / "nato-kosovo.txt", publisher="Wire Desk")
    data = jsonld(page)
    assert data["@type"] == "NewsArticle"
    assert data["author"] == [{"@type": "Organization", "name": "Wire Desk"}]
    assert data["publisher"] == {"@type": "Organization", "name": "Wire Desk"}


FEED_CASES = [*ALL_SOURCES, *sorted(p for p in (ROOT / "tests").rglob("*.md") if "fixtures" in p.parts)]


@pytest.mark.parametrize("site_url", ["", "https://news.example/section/"])
def test_a_feed_entry_taken_from_the_page_equals_one_rendered_for_the_feed(site_url: str) -> None:
    from exporter.feeds import entry_base, feed_item

    theme = Theme.load("default")
    compared = 0
    for path in FEED_CASES:
        try:
            article = load(path, report=Report())
        except Exception:
            continue
        page_path = f"world/{path.stem}.html"
        base = entry_base(page_path, site_url)
        renderer = HtmlRenderer(base_url=base if site_url else "", site_url=site_url)
        renderer.render(article, theme, Report())
        reused = renderer.feed_content(article, theme, base_url=base)
        assert reused == feed_item(article, page_path, theme, site_url=site_url).content, path
        compared += 1
    assert compared > 20


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles)
def test_feed_entries_from_the_page_hold_for_any_article(article: Article) -> None:
    from exporter.feeds import feed_item

    theme = Theme.load("default")
    renderer = HtmlRenderer()
    renderer.render(article, theme, Report())
    assert renderer.feed_content(article, theme, base_url="a/b.html") == feed_item(article, "a/b.html", theme).content


def test_a_page_the_feed_cannot_reuse_is_said_so() -> None:
    from exporter.feeds import feed_item

    theme = Theme.load("default")
    markdown = [p for p in ALL_SOURCES if p.suffix == ".md"]
    article, other = (load(p, report=Report()) for p in (markdown[0], markdown[-1]))
    assert HtmlRenderer().feed_content(article, theme, base_url="x.html") is None  # nothing rendered yet
    renderer = HtmlRenderer()
    renderer.render(other, theme, Report())
    assert renderer.feed_content(article, theme, base_url="x.html") is None  # another article
    for options in ({"images": "embed"}, {"base_url": "https://elsewhere.example/"}, {"publisher": "Daily"}):
        renderer = HtmlRenderer(**options)  # type: ignore[arg-type]
        renderer.render(article, theme, Report())
        assert renderer.feed_content(article, theme, base_url="x.html") is None, options
    assert feed_item(article, "x.html", theme).content  # the caller then renders the entry itself


def test_urls_written_as_text_are_not_resolved_in_feed_entries() -> None:
    """Only tags are rewritten: `src="…"` in a code sample or a paragraph is the article's text."""
    from exporter.feeds import feed_item
    from exporter.loader import loads

    article = loads('---\ntitle: Markup\n---\n\nWrite `src="a.png"` or `href="b.html"`, see [the guide](guide.html).'
                    '\n\n    <img src="c.png" alt="">\n', "markdown")
    theme = Theme.load("default")
    renderer = HtmlRenderer()
    renderer.render(article, theme, Report())
    reused = renderer.feed_content(article, theme, base_url="world/page.html")
    assert reused == feed_item(article, "world/page.html", theme).content
    assert reused is not None
    assert 'href="world/guide.html"' in reused
    assert '&lt;img src="c.png" alt=""&gt;' in reused and '<code>href="b.html"</code>' in reused
    assert '<code>src="a.png"</code>' in reused and "world/c.png" not in reused and "world/b.html" not in reused
