"""Output names safe on every OS (`exporter.paths`), and a batch that never writes outside its output folder.

Source files with hostile names are created at test time from `fixtures/names/` (a repository holding a
file called `con.md` or `a|b.md` could not be checked out on Windows).
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pytest
from lxml import html as lxml_html

from exporter import pipeline
from exporter.errors import OptionError
from exporter.feeds import ENTRY_CACHE
from exporter.manifest import MANIFEST_NAME
from exporter.paths import MAX_NAME_BYTES, inside, safe_file_name, safe_name, safe_relative

FIXTURES = Path(__file__).parent / "fixtures" / "names"
QUESTIONS = "Q&A \"why?\" – Ђорђе's notes: part*1 <draft> |final|"


@pytest.mark.parametrize(("stem", "expected"), [
    ("nato", "nato"),
    ("Ђорђе's notes & more (2024)", "Ђорђе's notes & more (2024)"),  # safe everywhere: left alone
    ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j"),
    ("tab\there\x00nul\x7f", "tab_here_nul_"),
    ("evil\u202egnp.exe", "evil_gnp.exe"),  # a right-to-left override would disguise the name
    ("trailing dots... ", "trailing dots"),
    ("CON", "_CON"), ("con", "_con"), ("Nul.tar.gz", "_Nul.tar.gz"), ("aux ", "_aux"), ("COM1", "_COM1"),
    ("lpt9.md", "_lpt9.md"), ("com²", "_com²"), ("console", "console"), ("CONTACTS", "CONTACTS"),
    ("", "_"), (".", "_"), ("..", "_"), ("   ", "_"),
    ("e\u0301te\u0301", "été"),  # NFC: macOS and Linux agree on the bytes
])
def test_safe_name(stem: str, expected: str) -> None:
    assert safe_name(stem) == expected
    assert safe_name(expected) == expected


def test_long_names_are_cut_on_a_character_boundary_and_stay_unique() -> None:
    first, second = "Ђ" * 100 + "a", "Ђ" * 100 + "b"  # 201 bytes each, same first 200
    cut_first, cut_second = safe_name(first), safe_name(second)
    assert cut_first != cut_second
    for cut in (cut_first, cut_second):
        assert len(cut.encode("utf-8")) <= MAX_NAME_BYTES
        assert cut.startswith("Ђ" * 50) and cut.encode("utf-8").decode("utf-8") == cut
    assert safe_name("x" * MAX_NAME_BYTES) == "x" * MAX_NAME_BYTES
    assert safe_name("x" * 200 + ".") == safe_name("x" * 200 + ".")  # deterministic


def test_file_names_keep_their_suffix() -> None:
    assert safe_file_name("aux.png") == "_aux.png"
    assert safe_file_name("photo?.JPG") == "photo_.JPG"
    long = safe_file_name("p" * 300 + ".webp")
    assert long.endswith(".webp") and len(long.encode()) <= MAX_NAME_BYTES + len(".webp")


def test_relative_paths_are_made_safe_part_by_part() -> None:
    assert safe_relative(PurePosixPath("world/Q: why?/nato")) == Path("world", "Q_ why_", "nato")
    assert ".." not in safe_relative(PurePosixPath("../../etc/passwd")).parts


def test_inside_follows_symlinks(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "world").symlink_to(elsewhere, target_is_directory=True)
    assert inside(out / "a.html", out) and inside(out / "new" / "deeper" / "a.html", out)
    assert not inside(out / "world" / "a.html", out)
    assert not inside(out / ".." / "a.html", out)


def _sources(root: Path) -> Path:
    """The fixture sources under hostile names: `Q&A "why?" …: part*1 …`, `con.md`, `desk/a|b.md`."""
    (root / "desk").mkdir(parents=True)
    (root / f"{QUESTIONS}.md").write_bytes((FIXTURES / "questions.md").read_bytes())
    (root / "con.md").write_bytes((FIXTURES / "device.md").read_bytes())
    (root / "desk" / "a|b.md").write_bytes((FIXTURES / "pipe.md").read_bytes())
    return root


def test_a_batch_writes_safe_names_and_links_follow_them(tmp_path: Path) -> None:
    sources, out = _sources(tmp_path / "src"), tmp_path / "out"
    report = pipeline.export([sources], "html,json", out)
    assert report.ok(), [str(d) for r in report.results for d in r.diagnostics]
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
                     and p.name not in (MANIFEST_NAME, ENTRY_CACHE) and not p.name.startswith("feed.")
                     and p.parent.name != "_fonts")
    questions = 'Q&A _why__ – Ђорђе\'s notes_ part_1 _draft_ _final_'
    assert written == sorted(["_con.html", "_con.json", "desk/a_b.html", "desk/a_b.json",
                              f"{questions}.html", f"{questions}.json"])
    for name in written:
        assert unicodedata.is_normalized("NFC", name)
    page = lxml_html.document_fromstring((out / f"{questions}.html").read_bytes())
    hrefs = page.xpath("//article//a/@href")
    assert "_con.html" in hrefs and "desk/a_b.html" in hrefs
    back = lxml_html.document_fromstring((out / "desk" / "a_b.html").read_bytes())
    assert "../_con.html" in back.xpath("//article//a/@href")
    assert json.loads((out / "_con.json").read_text("utf-8"))["metadata"]["title"] == "A device name"


def test_a_name_with_spaces_and_letters_is_kept_as_it_is(tmp_path: Path) -> None:
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "Ђорђе's notes & more.md").write_bytes((FIXTURES / "device.md").read_bytes())
    report = pipeline.export([sources], "json", tmp_path / "out")
    assert report.ok()
    assert (tmp_path / "out" / "Ђорђе's notes & more.json").is_file()


@pytest.mark.parametrize("names", [("a?.md", "a_.md"), ("Nato.md", "nato.md"), ("con.md", "_con.md")])
def test_names_that_collide_once_made_safe_are_refused(tmp_path: Path, names: tuple[str, str]) -> None:
    for name in names:
        (tmp_path / name).write_bytes((FIXTURES / "device.md").read_bytes())
    with pytest.raises(OptionError, match="would both write"):
        pipeline.plan([tmp_path], ["html"], tmp_path / "out")


def test_nothing_is_written_through_a_symlinked_folder_in_the_output(tmp_path: Path) -> None:
    sources, out, elsewhere = _sources(tmp_path / "src"), tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "desk").symlink_to(elsewhere, target_is_directory=True)
    victim = tmp_path / "victim.html"
    victim.write_text("untouched")
    (out / "_con.html").symlink_to(victim)  # a planted output link: replaced, its target never written
    report = pipeline.export([sources], "html", out)
    failed = {r.job.output.relative_to(out).as_posix(): r for r in report.failed}
    assert list(failed) == ["desk/a_b.html"]
    assert [d.code for d in failed["desk/a_b.html"].diagnostics][-1] == "job.write"
    assert "outside the output folder" in failed["desk/a_b.html"].diagnostics[-1].message
    assert list(elsewhere.iterdir()) == []
    assert victim.read_text() == "untouched" and not (out / "_con.html").is_symlink()


def test_a_tampered_manifest_cannot_delete_files_outside(tmp_path: Path) -> None:
    sources, out = _sources(tmp_path / "src"), tmp_path / "out"
    assert pipeline.export([sources], "json", out).ok()
    keep = tmp_path / "keep.txt"
    keep.write_text("mine")
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    entry = manifest["jobs"]["_con.json"]
    entry["outputs"] = [*entry["outputs"], os.path.relpath(keep, out)]
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))
    (sources / "con.md").unlink()
    report = pipeline.export([sources], "json", out, prune=True)
    assert out / "_con.json" in report.pruned and not (out / "_con.json").exists()
    assert keep.read_text() == "mine"


def test_the_service_names_a_download_safely() -> None:
    """An upload called `Ђорђе: notes?.md` used to fail the response (HTTP headers are Latin-1)."""
    from starlette.testclient import TestClient

    from exporter.service import create_app

    client = TestClient(create_app())
    article = (FIXTURES / "device.md").read_bytes()
    response = client.post("/render?to=json", files={"article": ("Ђорђе: notes?.md", article, "text/markdown")})
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert 'filename="_______notes_.json"' in disposition
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "Ђорђе_ notes_.json"
