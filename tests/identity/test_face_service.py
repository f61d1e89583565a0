"""The verify_face step service on the simulated camera, headless: the simulated
citizen does what the challenge asks and is compared with the card's photo; a
stranger in front of the camera, a still picture, or a flow without a document
photo never passes."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest

from kiosk.identity.service import FaceServices
from kiosk.simulated import SimulatedCitizen

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


@pytest.fixture(scope="module")
def camera():
    from drivers.camera.driver import OpenCvCamera
    from drivers.camera.simulator import CameraProfile, MjpegCameraSimulator

    simulator = MjpegCameraSimulator(CameraProfile(width=640, height=480)).start()
    driver = OpenCvCamera(port=simulator.address)
    assert driver.open().result().ok
    try:
        yield simulator, driver
    finally:
        driver.close()
        simulator.stop()


@pytest.fixture(scope="module")
def matcher():
    from kiosk.identity.matcher import FaceMatcher

    made = FaceMatcher()
    yield made
    made.close()


def run(camera, matcher, photos, inputs, retries=1, acts=True) -> tuple[dict[str, Any], list]:
    simulator, driver = camera
    citizen = SimulatedCitizen({"camera": simulator}, delay_s=0.5)
    service = FaceServices(
        lambda: driver.frames.get,
        photos,
        citizen if acts else None,
        matcher=matcher,
        rng=random.Random(7),
        limit_s=8.0,
    )
    news: list[dict[str, Any]] = []
    service.progress = news.append
    done: dict[str, Any] = {}
    finished = threading.Event()

    def finish(entry: dict[str, Any]) -> None:
        done.update(entry)
        finished.set()

    params = {"reference": ["read_card", "eligibility"], "retries": retries}
    service.start("verify_face", params, inputs, finish)
    assert finished.wait(40 * retries), news[-3:]
    return done, news


def card_photo() -> bytes:
    from drivers.id_card.simulator import default_photo

    return default_photo()


def test_the_card_holder_passes_after_doing_what_is_asked(camera, matcher):
    simulator, _ = camera
    simulator.show(None)
    photos = {"card-photo-1": card_photo()}
    done, news = run(camera, matcher, photos, {"read_card": {"photo_ref": "card-photo-1"}})
    assert "result" in done, (done, news[-3:])
    assert done["result"]["passed"] and done["result"]["live"]
    assert 0.5 <= done["result"]["score"] <= 1.0
    assert news[0]["challenge"] in ("blink", "turn_left", "turn_right")
    # nothing of the face is in what the step hands back or tells the screen
    assert set(done["result"]) == {"score", "passed", "live"}
    assert all(not isinstance(v, bytes | bytearray) for n in news for v in n.values())


def test_a_stranger_who_does_everything_asked_is_refused(camera, matcher):
    from drivers.camera.simulator import MjpegCameraSimulator

    simulator, _ = camera
    assert isinstance(simulator, MjpegCameraSimulator)
    photos = {"card-photo-1": card_photo()}
    simulator.show(str(FACES / "obama.jpg"))
    try:
        done, _ = run(camera, matcher, photos, {"read_card": {"photo_ref": "card-photo-1"}},
                         acts=False)  # fmt: skip
    finally:
        simulator.show(None)
    # a still picture does no challenge: not live; had it been live, not the holder
    assert done.get("fail") in ("not_live", "face_mismatch"), done


def test_the_holder_as_a_still_picture_is_not_live(camera, matcher):
    simulator, _ = camera
    simulator.show(None)
    photos = {"card-photo-1": card_photo()}
    done, news = run(camera, matcher, photos, {"read_card": {"photo_ref": "card-photo-1"}},
                     acts=False)  # fmt: skip
    assert done == {"fail": "not_live", "recovery": "operator"}, (done, news[-2:])
    assert news[-1]["state"] == "failed"


def test_the_registry_photo_is_used_when_no_card_was_read(camera, matcher):
    simulator, _ = camera
    simulator.show(None)
    photos = {"registry-1": card_photo()}
    done, _ = run(camera, matcher, photos, {"eligibility": {"photo_ref": "registry-1"}})
    assert done.get("result", {}).get("passed") is True, done


def test_without_a_document_photo_the_step_fails_for_the_counter(camera, matcher):
    done, _ = run(camera, matcher, {}, {"read_card": {"photo_ref": "card-photo-9"}})
    assert done == {"fail": "invalid_data", "recovery": "operator"}


def test_a_document_photo_without_a_face_fails_calmly(camera, matcher):
    import cv2
    import numpy as np

    _, blank = cv2.imencode(".jpg", np.full((126, 102, 3), 200, np.uint8))
    photos = {"card-photo-1": blank.tobytes()}
    done, _ = run(camera, matcher, photos, {"read_card": {"photo_ref": "card-photo-1"}})
    assert done == {"fail": "invalid_data", "recovery": "operator"}
