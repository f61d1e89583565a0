"""The drawings (ui/qml/art): every device step shows its own, loaded and big; every
service tile its icon; the arrow points where the terminal's [slots] configuration
says the slot is; the fingerprint drawing puts the asked finger on the pad."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor

from flows import events as ev
from kiosk.config import load
from tests.ui.conftest import _built
from tests.ui.helpers import find, items, shown, tap, texts
from tests.ui.test_baselines import pixels
from tests.ui.test_screens import contrast
from ui.gallery import fresh

# every step a device serves, as the flows give it: (step type, params, what moves in)
STEPS = [
    ("read_id_card", {}, "id_card"),
    ("read_document_chip", {"document": "hk_macau_permit", "access_key_from": "a"}, "permit"),
    ("read_document_chip", {"document": "passport", "access_key_from": "a"}, "passport"),
    ("capture_fingerprints", {"policy": "police", "captures": 3}, "hand"),
    ("capture_photo", {"spec": "id_card"}, "face"),
    ("verify_face", {"reference": "card"}, "face"),
    ("scan_code", {"accepted": ["photo_receipt"]}, "phone"),
    ("take_back", {"what": "id_card"}, "id_card"),
    ("take_back", {"what": "document"}, "permit"),
    ("dispense_document", {"data": {"reference": "lookup.data.reference"}}, "permit"),
    ("print", {"template": "slip", "printer": "receipt_printer"}, "slip"),
]
SHIPPED_ICONS = {"id_photo", "id_renewal", "permit_endorsement", "criminal_record_proof",
                 "queue_ticket", "household_proof", "residence_proof", "kinship_proof",
                 "birth_proof", "death_proof", "proofs", "proof_verification",
                 "exit_entry_application", "document_pickup"}  # fmt: skip


def show(kiosk, step_type: str, params: dict, lang: str = "zh_CN", elderly: bool = False) -> None:
    fresh(kiosk, lang, elderly)
    kiosk.shell.preview(ev.Show("step", step_type, "flow.common.place_card", params))
    kiosk.settle(80)
    # a loaded machine (CI's, under coverage) lays the drawing out later: by the clock
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not _drawn(kiosk, step_type):
        kiosk.settle(50)


def _drawn(kiosk, step_type: str) -> bool:
    try:
        return find(kiosk, f"drawing_{step_type}").property("loaded") is True
    except AssertionError:  # not on the screen yet
        return False


def centre(item) -> QPointF:
    return item.mapToScene(QPointF(item.width() / 2, item.height() / 2))


def scene_rect(item) -> QRectF:
    corner = item.mapToScene(QPointF(0, 0))
    return QRectF(corner.x(), corner.y(), item.width(), item.height())


@pytest.mark.parametrize(("step_type", "params", "mover"), STEPS)
def test_every_device_step_shows_its_own_drawing_loaded_and_big(kiosk, step_type, params, mover):
    for lang, elderly in (("zh_CN", False), ("en", True)):
        show(kiosk, step_type, params, lang, elderly)
        drawing = find(kiosk, f"drawing_{step_type}")
        assert drawing.property("loaded") is True  # every layer's SVG is Image.Ready
        layers = {i.objectName(): i.property("source").toString() for i in items(drawing)
                  if i.objectName() in ("drawing_base", "drawing_mover")}  # fmt: skip
        assert layers["drawing_mover"].endswith(f"/art/{mover}.svg")
        assert layers["drawing_base"].endswith(".svg")
        # roughly half the portrait screen's height, and nothing runs under the footer
        assert drawing.height() >= 0.4 * kiosk.window.height(), (lang, elderly)
        page = scene_rect(find(kiosk, "screen"))
        for item in items(find(kiosk, "screen")):
            if shown(item) and item.inherits("QQuickText") and str(item.property("text")):
                assert page.contains(scene_rect(item)), (lang, elderly, item.property("text"))
        # no symbol a font may lack: the words and the drawing say it
        symbols = [t for t in texts(kiosk) if any(unicodedata.category(c) == "So" for c in t)]
        assert symbols == []


@pytest.mark.parametrize(("step_type", "params", "mover"), STEPS)
def test_the_drawing_is_drawn_in_lines_that_stand_out_from_its_card(kiosk, step_type, params,
                                                                     mover):  # fmt: skip
    """The main stroke at least 3:1 against the card, and really on screen: a good
    share of the drawing's pixels stand out from the card that much."""
    show(kiosk, step_type, params)
    drawing = find(kiosk, f"drawing_{step_type}")
    card = drawing.property("color")
    assert contrast(drawing.property("stroke"), card) >= 3
    rect = scene_rect(drawing).toRect()
    picture = pixels(kiosk.window.grabWindow().copy(rect)).astype(float) / 255
    linear = np.where(picture <= 0.03928, picture / 12.92, ((picture + 0.055) / 1.055) ** 2.4)
    lum = linear @ np.array([0.2126, 0.7152, 0.0722])
    card_lum = (contrast(card, QColor("black")) * 0.05) - 0.05  # the card's own luminance
    ratio = (np.maximum(lum, card_lum) + 0.05) / (np.minimum(lum, card_lum) + 0.05)
    assert (ratio >= 3).mean() >= 0.03


def test_every_tile_has_its_icon_left_of_its_name(shipped_kiosk):
    kiosk = shipped_kiosk
    for lang, elderly in (("zh_CN", False), ("en", True)):
        fresh(kiosk, lang, elderly)
        kiosk.settle(60)
        seen = set()
        for group in ("", "proofs"):  # the home screen, then the proofs' group open
            if group:
                tap(kiosk, "tile_group_proofs")
                kiosk.settle(60)
            tiles = kiosk.shell.serviceTiles
            seen |= {t["icon"] for t in tiles}
            for tile in tiles:
                icon = find(kiosk, f"icon_{tile['id']}")
                assert icon.property("loaded") is True
                assert icon.property("source").toString().endswith(f"/art/icons/{tile['icon']}.svg")
                name = next(
                    i for i in items(find(kiosk, f"tile_{tile['id']}"))
                    if shown(i) and i.inherits("QQuickText")
                )  # fmt: skip
                assert centre(icon).x() < scene_rect(name).left()
        assert seen >= SHIPPED_ICONS
        tap(kiosk, "button_back")  # back from the group to every service
        kiosk.settle(60)
        assert "group_proofs" in {t["id"] for t in kiosk.shell.serviceTiles}


def test_a_service_drawn_for_no_one_gets_the_general_icon(kiosk):
    """The test flows have no icon of their own: a form, loaded all the same."""
    others = [t["id"] for t in kiosk.shell.serviceTiles if t["icon"] not in SHIPPED_ICONS]
    assert others
    for tile_id in others:
        icon = find(kiosk, f"icon_{tile_id}")
        assert icon.property("loaded") is True
        assert icon.property("source").toString().endswith("/art/icons/service.svg")


def test_the_tiles_use_the_height_of_the_portrait_screen(shipped_kiosk):
    kiosk = shipped_kiosk
    for elderly in (False, True):
        fresh(kiosk, "en", elderly)
        kiosk.settle(60)
        tiles = [find(kiosk, f"tile_{t['id']}") for t in kiosk.shell.serviceTiles]
        top, bottom = scene_rect(tiles[0]).top(), scene_rect(tiles[-1]).bottom()
        assert bottom - top >= 0.55 * kiosk.window.height()
        assert bottom <= scene_rect(find(kiosk, "screen")).bottom() + 1
        least = kiosk.shell.style.target * 1.4
        assert all(t.height() >= least for t in tiles)


def arrow_from_centre(kiosk, step_type: str, params: dict) -> QPointF:
    show(kiosk, step_type, params)
    arrow, drawing = find(kiosk, "slot_arrow"), find(kiosk, f"drawing_{step_type}")
    return centre(arrow) - centre(drawing)


def test_by_default_the_arrow_points_below_right_to_the_card_reader(kiosk):
    offset = arrow_from_centre(kiosk, "read_id_card", {})
    assert offset.x() > 200 and offset.y() > 200
    assert find(kiosk, "slot_arrow").property("rotation") == 135


@pytest.fixture
def rebuilt_cabinet(qapp) -> Iterator:
    """A terminal whose card reader is above the screen and whose printer is on the
    left, as its configuration says (through the environment, as on a terminal)."""
    env = {"KIOSK__SLOTS__ID_CARD": "above", "KIOSK__SLOTS__RECEIPT_PRINTER": "left"}
    slots = load(env=env).config.slots.model_dump()
    yield from _built([], slots=slots)


def test_a_slot_configured_elsewhere_turns_the_arrow_and_the_words(rebuilt_cabinet):
    kiosk = rebuilt_cabinet
    offset = arrow_from_centre(kiosk, "read_id_card", {})
    assert offset.y() < -200 and abs(offset.x()) < 10  # above, in the middle
    assert find(kiosk, "slot_arrow").property("rotation") == 0
    assert "屏幕上方" in find(kiosk, "slot_where").property("text")
    offset = arrow_from_centre(kiosk, "print", {"template": "t", "printer": "receipt_printer"})
    assert offset.x() < -200 and abs(offset.y()) < 10  # on the left
    assert "屏幕左侧" in find(kiosk, "slot_where").property("text")
    # a slot the configuration left alone keeps its default: the fingerprint pad
    offset = arrow_from_centre(kiosk, "capture_fingerprints", {"policy": "police"})
    assert offset.x() < -200 and offset.y() > 200


def test_the_default_and_the_configured_slots_reach_qml_as_given(kiosk, rebuilt_cabinet):
    assert kiosk.shell.slots["id_card"] == "below-right"
    assert rebuilt_cabinet.shell.slots["id_card"] == "above"


@pytest.mark.parametrize(
    ("finger", "left"),
    [("right_thumb", False), ("right_index", False), ("left_thumb", True), ("left_middle", True)],
)
def test_the_asked_finger_lies_on_the_pads_glass(kiosk, finger, left):
    show(kiosk, "capture_fingerprints", {"policy": "police", "captures": 3})
    # the pad's news, as a session's step would have it (the preview has no session)
    kiosk.shell._progress = {"finger": finger, "attempt": 1, "of": 3}
    kiosk.shell.screenChanged.emit()
    window = find(kiosk, "drawing_mover").parentItem()
    for _ in range(60):  # until the hand rests on the pad (it comes down every 2.3 s)
        kiosk.settle(50)
        if window.property("lift") == 0:
            break
    drawing = find(kiosk, "drawing_capture_fingerprints")
    assert drawing.property("finger") == finger
    assert find(kiosk, "drawing_mover").property("mirror") is left  # the left hand: mirrored
    ring, base = find(kiosk, "drawing_finger"), find(kiosk, "drawing_base")
    unit = base.width() / 600
    glass = base.mapToScene(QPointF(300 * unit, 250 * unit))  # pad.svg's glass
    assert (centre(ring) - glass).manhattanLength() < 3
    # the hand moved so that this finger, and no other, is on the glass
    tip = {"thumb": (141, 339), "index": (234, 215), "middle": (281, 195)}[finger.split("_")[1]]
    x = 600 - tip[0] if left else tip[0]
    mover = find(kiosk, "drawing_mover")
    on_glass = mover.mapToScene(QPointF(x * unit, tip[1] * unit))
    assert (on_glass - glass).manhattanLength() < 3


def test_every_slot_position_and_device_is_said_in_words():
    """The words beside the arrow: a message for every position the configuration
    allows and every device it places (the screens build their ids from them)."""
    import typing

    from kiosk.config import SlotPosition, SlotsSection
    from kiosk.strings import catalogue

    ids = catalogue().ids()
    for position in typing.get_args(SlotPosition):
        assert f"ui.slot.{position.replace('-', '_')}" in ids
    for device in SlotsSection.model_fields:
        assert f"ui.slot.device.{device}" in ids
