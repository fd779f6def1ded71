"""Font subsetting for EPUB: which OpenType features survive, and why."""

from __future__ import annotations

import hashlib
import io

from fontTools.ttLib import TTFont

from exporter.renderers._epub_fonts import layout_features, subset_fonts
from exporter.themes import Theme


def _features(data: bytes) -> set[str]:
    font = TTFont(io.BytesIO(data))
    return {record.FeatureTag for table in ("GSUB", "GPOS") if table in font
            for record in font[table].table.FeatureList.FeatureRecord}


def test_stylesheet_keywords_switch_features_on() -> None:
    css = """
    .a { font-variant: small-caps; }
    .b { font-variant-numeric: oldstyle-nums tabular-nums; }
    .c { FONT-FEATURE-SETTINGS: "ss03" 1, 'zero'; }
    .d { font-variant-ligatures: common-ligatures; }
    """
    features = layout_features(css)
    assert {"smcp", "onum", "tnum", "ss03", "zero", "liga", "kern", "mark"} <= set(features)
    assert features == tuple(sorted(features))
    plain = set(layout_features("p { margin: 0 }"))
    assert {"liga", "kern", "mark", "locl", "ccmp"} <= plain
    assert not {"smcp", "onum", "tnum", "ss03", "c2sc"} & plain


def test_subset_keeps_what_the_stylesheet_asks_for_and_drops_the_rest() -> None:
    faces = Theme.load("default").font_faces[:1]
    original = _features(faces[0].path.read_bytes())
    assert {"smcp", "onum", "liga", "kern"} <= original
    (plain,) = subset_fonts(faces, "Small caps 1984", layout_features("p {}"))
    assert {"liga", "kern"} <= _features(plain.data)
    assert not {"smcp", "onum"} & _features(plain.data)
    (styled,) = subset_fonts(faces, "Small caps 1984", layout_features(".x { font-variant: small-caps }"))
    assert "smcp" in _features(styled.data) and "onum" not in _features(styled.data)
    assert len(plain.data) < len(styled.data) < faces[0].path.stat().st_size
    again = subset_fonts(faces, "Small caps 1984", layout_features("p {}"))[0]
    assert hashlib.sha256(again.data).digest() == hashlib.sha256(plain.data).digest()


def test_every_face_keeps_its_names_and_its_metrics() -> None:
    """The naming table is carried over whole; the subset must still be a complete, readable font."""
    for theme in ("default", "newsroom"):
        faces = Theme.load(theme).font_faces
        for embedded in subset_fonts(faces, "Naming table check: Ђ", layout_features("p {}")):
            original = TTFont(embedded.face.path)
            subset = TTFont(io.BytesIO(embedded.data))
            assert {(n.nameID, n.platformID, n.langID) for n in subset["name"].names} == \
                {(n.nameID, n.platformID, n.langID) for n in original["name"].names}
            assert subset["name"].getDebugName(1) == original["name"].getDebugName(1)
            assert subset["hhea"].ascent == original["hhea"].ascent
            assert {ord("N"), ord("Ђ")} <= set(subset.getBestCmap())
