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

from tests.ui.helpers import find, tap

pytestmark = pytest.mark.service

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


@pytest.fixture
def terminal(qapp, tmp_path):
    from kiosk.app import step_services
    from kiosk.config import load
    from kiosk.simulated import SimulatedDevices
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    config = load(env={"KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db")}).config
    devices = SimulatedDevices()
    states = devices.start()
    assert states["id_card"] == "online" and states["camera"] == "online", states
    services = step_services(config, devices, True, None, catalogue())
    for part in services.parts:
        if hasattr(part, "citizen") and part.citizen is not None:
            part.citizen.delay_s = 0.3
    camera = devices.drivers["camera"]
    built = Kiosk(
        shell_factory(catalogue(), device_states=states | {"network": "online"},
                      step_services=services, camera=lambda: camera.frames.get),
        catalogue(),
        size=(1080, 1920),
    )  # fmt: skip
    built.window.show()
    built.settle(100)
    built.devices = devices
    try:
        yield built
    finally:
        built.close()
        devices.stop()


def start_proof(qtbot, kiosk) -> None:
    tap(kiosk, "tile_criminal_record_proof")
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


def test_who_declines_is_sent_to_the_counter_without_the_camera(qtbot, terminal):
    kiosk = terminal
    start_proof(qtbot, kiosk)
    tap(kiosk, "option_decline")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "face_declined", timeout=5_000)
    assert kiosk.camera_images.tap is None
    assert "challenge" not in kiosk.shell.progress


def _chip_photo(portrait) -> bytes:
    """Another man's photo as the card's chip holds one (tests/identity/evaluation.py)."""
    from kiosk.photo.faces import FaceModels
    from tests.identity.evaluation import chip_photo

    models = FaceModels()
    try:
        return chip_photo(portrait, models)[0]
    finally:
        models.close()
