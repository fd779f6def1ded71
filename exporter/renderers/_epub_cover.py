"""A cover drawn from the theme (accent colour, heading font, title and byline) when a book has no cover image."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from exporter.themes import FontFace, Theme

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

WIDTH, HEIGHT = 1600, 2400
"""2:3, the proportion most e-book stores ask for, large enough for a retina thumbnail."""
MARGIN = 140


def draw_cover(theme: Theme, *, title: str, byline: str, kicker: str = "", publisher: str = "") -> bytes:
    """A PNG cover: title and byline set in the theme's heading font on its accent colour.

    The picture depends only on its inputs (no dates, no randomness, no PNG text chunks), so the book
    stays byte-identical across runs.
    """
    from PIL import Image, ImageDraw

    colours = theme.tokens.colours
    image = Image.new("RGB", (WIDTH, HEIGHT), colours.accent)
    draw = ImageDraw.Draw(image)
    ink = _readable_on(colours.accent, colours.background, colours.text)
    heading = _face(theme, theme.tokens.fonts.headings, bold=True)
    text_face = _face(theme, theme.tokens.fonts.text, bold=False) or heading
    y = MARGIN
    if kicker:
        y = _block(draw, kicker.upper(), _font(text_face, 56), ink, y, spacing=12) + 60
    draw.rectangle((MARGIN, y, MARGIN + 220, y + 12), fill=ink)
    y += 110
    size = 150 if len(title) < 40 else 116 if len(title) < 80 else 92
    y = _block(draw, title, _font(heading, size), ink, y, spacing=int(size * 0.22))
    if byline:
        _block(draw, byline, _font(text_face, 64), ink, y + 90, spacing=14)
    if publisher:
        font = _font(text_face, 52)
        box = draw.textbbox((0, 0), publisher, font=font)
        draw.text((MARGIN, HEIGHT - MARGIN - (box[3] - box[1])), publisher, font=font, fill=ink)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _readable_on(background: str, light: str, dark: str) -> str:
    """Whichever of two colours contrasts more with `background` (relative luminance, WCAG formula)."""

    def luminance(colour: str) -> float:
        value = colour.lstrip("#")
        if len(value) == 3:
            value = "".join(c * 2 for c in value)
        channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    return light if contrast(background, light) >= contrast(background, dark) else dark


def _face(theme: Theme, family: str, *, bold: bool) -> FontFace | None:
    """The theme's face for `family`, upright, the boldest (or regular) weight; None when none is shipped."""
    faces = [f for f in theme.font_faces if f.family == family and f.style == "normal"]
    if not faces:
        faces = [f for f in theme.font_faces if f.style == "normal"]
    if not faces:
        return None
    return max(faces, key=lambda f: f.weight) if bold else min(faces, key=lambda f: abs(f.weight - 400))


def _font(face: FontFace | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    if face is not None:
        try:
            return ImageFont.truetype(str(Path(face.path)), size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)


def _block(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, ink: str,
           y: int, *, spacing: int) -> int:
    """Draw `text` wrapped to the cover's measure from `y`; returns the y below the last line."""
    width = WIDTH - 2 * MARGIN
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    for line in lines:
        box = draw.textbbox((MARGIN, y), line, font=font)
        draw.text((MARGIN, y), line, font=font, fill=ink)
        y = int(box[3]) + spacing
    return y
