"""The endorsement on the permit's rewritable back, on our driver over a pty against the
simulator: the card back the simulator renders (its PNG, decoded with PIL) is checked
against text rendered separately here, line by line (OCR is not available: each line's
ink must be the ink of that very text drawn by Pillow on its own, and a line with one
digit changed must not match); the erase before it really blanked the strip."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from drivers.card_printer.driver import TrwCardPrinter
from drivers.card_printer.simulator import CardPrinterProfile, TrwPrinterSimulator
from drivers.smartcard.permit import Endorsement
from kiosk.citypack import load_pack
from kiosk.steps.card_back import CardBackPrinting
from kiosk.strings import catalogue

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # the documents' main face
# what the strip must say for the endorsement below, with the default pack (its issuer)
LINES = ["签注种类：澳门 个人旅游（G）", "有效期至：2026.08.12", "往来次数：二次",
         "签发机关：开发用公安机关"]  # fmt: skip
ENDORSEMENT = Endorsement(serial="E20260512ABCD", region="MO", kind="G", trips=2,
                          valid_until="20260812", issued_at="202605121030",
                          terminal="DEV-TERMINAL")  # fmt: skip


@pytest.fixture
def printer(request):
    profile = getattr(request, "param", None) or CardPrinterProfile()
    sim = TrwPrinterSimulator(profile).start()
    driver = TrwCardPrinter(port=sim.address)
    assert driver.open().result().ok
    sim.place_card("permit")  # at the card unit's read/write position, an old endorsement on it
    yield driver, sim
    driver.close()
    sim.stop()


def strip_of(png: bytes, profile: CardPrinterProfile) -> np.ndarray:
    """The ink (True) of the strip, cut from the card back at the profile's place."""
    card = Image.open(io.BytesIO(png))
    per_mm = profile.dpi / 25.4
    left, top = round(profile.strip_x_mm * per_mm), round(profile.strip_y_mm * per_mm)
    area = card.crop((left, top, left + profile.width, top + profile.height))
    return np.array(area.convert("L")) < 128


def inked(area: np.ndarray) -> np.ndarray:
    """The smallest box around the ink."""
    ys, xs = np.nonzero(area)
    assert len(ys), "no ink"
    return area[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def alone(text: str, size: int) -> np.ndarray:
    """The text drawn by Pillow on its own, whole, in the documents' face."""
    image = Image.new("L", (40 * size, 3 * size), 255)
    ImageDraw.Draw(image).text((size, size), text, font=ImageFont.truetype(FONT, size), fill=0)
    return inked(np.array(image) < 128)


def test_an_endorsement_on_the_card_back_is_the_text_drawn_separately(printer):
    driver, sim = printer
    pack = load_pack()
    layout = pack.card_back
    assert strip_of(sim.card_png(), sim.profile).sum() > 500  # the old endorsement
    printing = CardBackPrinting(driver, lambda: pack, catalogue())
    running: list = []
    assert printing.print_endorsement(ENDORSEMENT, running) == {"card_back": "verified"}
    assert len(running) == 1 and running[0].result().ok
    erased, printed = (p.read_bytes() for p in sim.saved[-2:])
    assert not strip_of(erased, sim.profile).any()  # the erase left nothing of the old one
    ink = strip_of(printed, sim.profile)
    size, top, pitch = layout.font_dots, layout.dots(layout.margin_mm[1]), layout.line_dots
    bands = [ink[top + row * pitch - 4 : top + (row + 1) * pitch - 4] for row in range(4)]
    for band, text in zip(bands, LINES, strict=True):
        assert np.array_equal(inked(band), alone(text, size)), text
    assert not np.array_equal(inked(bands[1]), alone("有效期至：2026.08.13", size))
    assert not np.array_equal(inked(bands[2]), alone("往来次数：一次", size))
    assert ink.sum() == sum(int(b.sum()) for b in bands)  # nothing outside the lines
    back = Image.open(io.BytesIO(printed))  # the card around the strip: its grey, no ink
    assert back.size == (684, 432) and back.getpixel((3, 3)) == 222


def test_a_head_error_fails_the_print_for_a_technician(printer):
    driver, sim = printer
    before = sim.strip()
    sim.faults.inject("head_error")
    printing = CardBackPrinting(driver, load_pack, catalogue())
    answer = printing.print_endorsement(ENDORSEMENT, [])
    assert answer == {"fail": "hardware_error", "recovery": "operator"}
    assert sim.strip() == before and sim.prints == 0


@pytest.mark.parametrize("printer", [CardPrinterProfile(width=480, height=160)], indirect=True)
def test_a_pack_for_another_strip_is_refused_before_the_card_is_touched(printer):
    driver, sim = printer
    answer = CardBackPrinting(driver, load_pack, catalogue()).print_endorsement(ENDORSEMENT, [])
    assert answer == {"fail": "invalid_data", "recovery": "operator"}
    assert sim.erases == 0


def test_a_layout_too_wide_for_the_strip_is_one_error_not_a_print(printer):
    driver, sim = printer
    pack = load_pack()
    wide = pack.model_copy(update={"card_back": pack.card_back.model_copy(
        update={"office": "开发用公安机关出入境管理支队证件签发科"})})  # fmt: skip
    answer = CardBackPrinting(driver, lambda: wide, catalogue()).print_endorsement(ENDORSEMENT, [])
    assert answer == {"fail": "invalid_data", "recovery": "operator"}
    assert sim.erases == 0
