"""The face check (人证核验) on the touchscreen with every simulated device, wired as
`make run` wires them: the ID card is read, the citizen agrees, the screen shows
the camera and the challenge, and the simulated citizen does it; the real matcher
compares the face with the card's photo. The card's holder goes on; someone whose
card shows another face is sent to the counter; who declines is sent there at
once, and nothing of the face stays."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from tests.ui.helpers import find, on_simulated_devices, tap, tap_service

pytestmark = pytest.mark.service

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


@pytest.fixture
def terminal(qapp, tmp_path):
    with on_simulated_devices(tmp_path, camera_screen=True) as built:
        assert built.states["id_card"] == "online" and built.states["camera"] == "online"
        yield built


def start_proof(qtbot, kiosk) -> None:
    tap_service(kiosk, "criminal_record_proof")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "face_consent", timeout=30_000)


def test_the_card_holder_passes_the_face_check(qtbot, terminal):
    kiosk = terminal
    start_proof(qtbot, kiosk)
    tap(kiosk, "option_agree")
    qtbot.waitUntil(lambda: "challenge" in kiosk.shell.progress, timeout=20_000)
    kiosk.settle(300)
    # the camera and what to do, in the citizen's language
    assert find(kiosk, "face_preview").property("visible")
    said = find(kiosk, "face_challenge").property("text")
    assert said in {kiosk.strings.text(f"ui.face.challenge.{c}", "zh_CN")
                    for c in ("blink", "turn_left", "turn_right")} | {
                    kiosk.strings.text("ui.face.hint.face_camera", "zh_CN")}, said  # fmt: skip
    if "PNG_DIR" in __import__("os").environ:  # a look at the screen, for the review
        kiosk.window.grabWindow().save(str(Path(__import__("os").environ["PNG_DIR"]) / "face.png"))
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "purpose", timeout=60_000)
    # the preview is gone with the step
    assert kiosk.camera_images.tap is None


def test_a_card_with_another_face_sends_the_citizen_to_the_counter(qtbot, terminal):
    kiosk = terminal
    card = kiosk.devices.simulators["id_card"]
    card.profile.photo_jpeg = _chip_photo(cv2.imread(str(FACES / "obama.jpg")))
    start_proof(qtbot, kiosk)
    tap(kiosk, "option_agree")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "counter", timeout=120_000)
    assert kiosk.shell.failure == "ui.failure.face_mismatch"
    # a slip for the officer: why, where, and the transaction to look up
    printer = kiosk.devices.simulators["receipt_printer"]
    tap(kiosk, "button_continue")
    qtbot.waitUntil(lambda: bool(printer.slips), timeout=30_000)
    slip = "\n".join(printer.slips[-1].lines)
    assert "请到人工窗口办理" in slip and "未能完成人像或指纹核验" in slip, slip


def test_who_declines_is_sent_to_the_counter_without_the_camera(qtbot, terminal):
    kiosk = terminal
    start_proof(qtbot, kiosk)
    tap(kiosk, "option_decline")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "face_declined", timeout=5_000)
    assert kiosk.camera_images.tap is None
    assert "challenge" not in kiosk.shell.progress
    printer = kiosk.devices.simulators["receipt_printer"]
    tap(kiosk, "button_continue")
    qtbot.waitUntil(lambda: bool(printer.slips), timeout=30_000)
    assert "本人选择不做人脸比对" in "\n".join(printer.slips[-1].lines)


def _chip_photo(portrait) -> bytes:
    """Another man's photo as the card's chip holds one (tests/identity/evaluation.py)."""
    from kiosk.photo.faces import FaceModels
    from tests.identity.evaluation import chip_photo

    models = FaceModels()
    try:
        return chip_photo(portrait, models)[0]
    finally:
        models.close()


def test_renewal_checks_the_face_against_the_card_read(qtbot, terminal):
    """ID card renewal with a photo taken elsewhere (its receipt scanned): the card is
    read, the face checked against its chip photo, and the fingerprints come next."""
    kiosk = terminal
    tap(kiosk, "tile_id_renewal")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "reason", timeout=10_000)
    tap(kiosk, "option_renewal")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "photo_source", timeout=30_000)
    tap(kiosk, "option_receipt")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "face_consent", timeout=30_000)
    tap(kiosk, "option_agree")
    qtbot.waitUntil(lambda: "challenge" in kiosk.shell.progress, timeout=20_000)
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "fingerprints", timeout=60_000)
