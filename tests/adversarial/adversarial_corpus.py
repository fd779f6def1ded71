"""Build the adversarial corpus: the small committed fixtures plus the big and binary cases, generated.

Run it to look at the corpus by hand (`python tests/adversarial/adversarial_corpus.py /tmp/corpus`); the tests call
`build()` into a temporary folder. Big files are generated rather than committed (a 5 MB paragraph, 20,000
headings), and so are the images, because a decompression bomb is 70 bytes of `struct` and `zlib` and a
damaged JPEG is a real one cut in half.
"""

from __future__ import annotations

import io
import shutil
import struct
import sys
import zlib
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
ODD_NAME = "Q&A it's \"odd\" ;&$()| Ünïcödé.md"
"""Spaces, both quotes, shell metacharacters and non-ASCII letters: the name a partner's CMS might produce."""
PARAGRAPH_BYTES = 5 * 1024 * 1024
HEADINGS = 20_000
FOOTNOTES = 5_001
"""One over the default `footnotes` limit."""
TABLE_ROWS, TABLE_COLUMNS = 10_001, 10
"""100,010 cells: just over the default `table_cells` limit."""
OVERSIZED_BYTES = 50 * 1024 * 1024 + 1
"""One byte over the default `source_bytes` limit (a sparse file: no disk space is used)."""


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with its length and CRC, as a decoder checks them."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG whose header declares `width` × `height` RGB pixels, with a tiny IDAT: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))


def corrupt_jpeg() -> bytes:
    """A real JPEG cut off halfway through its scan data (what an interrupted upload leaves)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    data = out.getvalue()
    return data[: len(data) // 2]


def big_paragraph() -> str:
    """One paragraph of about 5 MB: numbered words, so the first and last can be looked for."""
    words = [f"word{i}" for i in range(PARAGRAPH_BYTES // 11)]  # "word123456 " is 11 bytes
    return "# One long paragraph\n\n" + " ".join(words) + "\n"


def many_headings() -> str:
    """20,000 second-level headings, each with a line of text."""
    return "# Many headings\n\n" + "".join(f"## Heading {i}\n\nText {i}.\n\n" for i in range(HEADINGS))


def very_deep() -> str:
    """1,000 lists and 5,000 quotes opened on one line each, with text after them that must survive."""
    return f"# Very deep\n\n{'- ' * 1000}deep list item\n\n{'> ' * 5000}deep quote\n\nThe end.\n"


def many_footnotes() -> str:
    """One reference per paragraph, one more than the default limit allows."""
    refs = "".join(f"Claim {i}.[^{i}]\n\n" for i in range(1, FOOTNOTES + 1))
    notes = "".join(f"[^{i}]: Source {i}.\n" for i in range(1, FOOTNOTES + 1))
    return f"# Many footnotes\n\n{refs}{notes}"


def huge_table() -> str:
    """A pipe table of 10,001 rows by 10 columns, after a paragraph (so it starts on line 5)."""
    head = "| " + " | ".join(f"c{j}" for j in range(TABLE_COLUMNS)) + " |\n"
    rule = "|" + "---|" * TABLE_COLUMNS + "\n"
    rows = "".join("| " + " | ".join(str(i * TABLE_COLUMNS + j) for j in range(TABLE_COLUMNS)) + " |\n"
                   for i in range(TABLE_ROWS - 1))
    return f"# A huge table\n\nThe figures:\n\n{head}{rule}{rows}"


def build(folder: Path) -> Path:
    """Copy the fixtures into `folder` and generate every other case next to them; returns `folder`."""
    shutil.copytree(FIXTURES, folder, dirs_exist_ok=True)
    (folder / "odd-name.md").rename(folder / ODD_NAME)
    images = folder / "images"
    images.mkdir(exist_ok=True)
    (images / "bomb.png").write_bytes(bomb_png())
    (images / "corrupt.jpg").write_bytes(corrupt_jpeg())
    for name, text in (("big-paragraph.md", big_paragraph()), ("many-headings.md", many_headings()),
                       ("many-footnotes.md", many_footnotes()), ("huge-table.md", huge_table()),
                       ("very-deep.md", very_deep())):
        (folder / name).write_text(text, encoding="utf-8")
    with (folder / "oversized.md").open("wb") as sparse:
        sparse.truncate(OVERSIZED_BYTES)
    return folder


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "adversarial-corpus")
    print(build(target))
