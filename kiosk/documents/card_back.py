"""The endorsement on the permit's rewritable back: its lines from the city pack's
`[card_back]`, drawn by Pillow in the documents' own faces (kiosk/documents/fonts.py:
WenQuanYi Micro Hei, HanaMin A and B for a character it lacks), as the 1-bit raster
the card printer takes.

The strip holds what the chip holds (the endorsement just written), in Chinese, the
document's language, whatever language the screen speaks: nothing personal (no name,
no document number), as on the card itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from drivers.card_printer.raster import Raster
from kiosk.citypack import CardBackLayout
from kiosk.documents.fonts import FACES, fonts
from kiosk.strings import Catalogue

LANGUAGE = "zh_CN"  # the permit's own


class CardBackDoesNotFit(ValueError):
    """A line wider than the strip: the pack's layout must change (a technician's)."""


@dataclass(frozen=True)
class CardBackText:
    """What the strip says: the endorsement as the chip holds it."""

    region: str  # HK, MO
    kind: str  # G, L, T
    trips: int  # 1, 2; 0: multiple
    valid_until: str  # YYYYMMDD
    office: str  # the issuing office


def lines(text: CardBackText, layout: CardBackLayout, strings: Catalogue) -> list[str]:
    """The strip's lines, in the pack's order, in the document's language."""

    def t(message_id: str, **params: object) -> str:
        return strings.text(message_id, LANGUAGE, **params)

    until, region = text.valid_until, t(f"documents.card_back.region.{text.region}")
    said = {
        "kind": t("documents.card_back.kind", destination=region,
                  kind=t(f"documents.card_back.kind.{text.kind}")),
        "valid_until": t("documents.card_back.valid_until",
                         date=f"{until[:4]}.{until[4:6]}.{until[6:]}"),
        "trips": t("documents.card_back.trips", trips=t(f"documents.card_back.trips.{text.trips}")),
        "office": t("documents.card_back.office", office=text.office),
    }  # fmt: skip
    return [said[line] for line in layout.lines]


def render(said: list[str], layout: CardBackLayout) -> Image.Image:
    """The strip as an image (mode L: 0 ink, 255 blank), one pixel a dot."""
    width, height = layout.area_dots
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    size = layout.font_dots
    left, top = layout.dots(layout.margin_mm[0]), layout.dots(layout.margin_mm[1])
    for row, line in enumerate(said):
        x, y = left, top + row * layout.line_dots
        for run in fonts().runs(line):  # a run of characters one face has, drawn at once
            face = _face(run.font, size)
            draw.text((x, y), run.text, font=face, fill=0)
            x += round(face.getlength(run.text))
        if x > width - left:
            raise CardBackDoesNotFit(f"'{line}' takes {x} of the strip's {width} dots")
    return image


def raster(image: Image.Image) -> Raster:
    """The card printer's raster of an image: a dot wherever it is darker than mid-grey."""
    # mode 1 packs rows as the module does (high bit leftmost, rows padded to a byte),
    # but its 1 bits are white: the module's are ink
    inked = image.convert("L").point(lambda v: 255 if v < 128 else 0)
    inked = inked.convert("1", dither=Image.Dither.NONE)
    return Raster(image.width, image.height, inked.tobytes())


@functools.cache
def _face(name: str, size: int) -> ImageFont.FreeTypeFont:
    path, index = next((path, index) for face, path, index in FACES if face == name)
    return ImageFont.truetype(str(path), size, index=index)
