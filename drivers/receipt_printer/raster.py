"""A line the printer's font cannot print, drawn as a 1-bit raster (Pillow)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Faces that cover CJK extensions A and B, tried per character in order.
FACES = (
    Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"),
    Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"),
)
DOTS = {1: 24, 2: 48}  # character height in dots at 203 dpi for sizes 1 and 2


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _face_for(char: str, size: int) -> ImageFont.FreeTypeFont:
    for path in FACES:
        font = _font(path, size)
        if char.isspace() or font.getmask(char).getbbox() is not None:
            return font
    return _font(FACES[0], size)


def rasterise(text: str, size: int) -> tuple[int, int, bytes]:
    height = DOTS[size]
    fonts = [_face_for(c, height) for c in text]
    widths = [int(f.getlength(c)) + 1 for f, c in zip(fonts, text, strict=True)]
    width = max(8, sum(widths))
    image = Image.new("1", (width, height + 4), 1)
    draw = ImageDraw.Draw(image)
    x = 0
    for font, char, advance in zip(fonts, text, widths, strict=True):
        draw.text((x, 0), char, font=font, fill=0)
        x += advance
    width_bytes = (image.width + 7) // 8
    padded = Image.new("1", (width_bytes * 8, image.height), 1)
    padded.paste(image, (0, 0))
    # GS v 0 wants 1 for black; Pillow's mode 1 stores 1 for white.
    bits = bytes(b ^ 0xFF for b in padded.tobytes())
    return width_bytes, padded.height, bits
