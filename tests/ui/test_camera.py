"""The camera screen: the live preview from a camera, the guide, the pipeline's
hints while the citizen is not yet right, 3-2-1 while they hold still, the photo
to keep or take again; and nothing of it left once the session ends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from flows.results import Photo
from kiosk.photo.receipt import parse_number
from tests.photo import defects, framing
from tests.ui.helpers import find, tap

FLOW = Path(__file__).with_name("flows") / "photo_booth.yaml"


def framed(image: np.ndarray, width: int = 1280, height: int = 720) -> np.ndarray:
    return framing.framed(image, framing.face_box(image), width, height)


class FakeCamera:
    """Frames at 30 fps from one picture; `picture` may be changed while it runs."""

    def __init__(self, picture: np.ndarray) -> None:
        self.picture = picture
        self.served = 0
        self._lock = threading.Lock()

    def get(self, timeout: float) -> np.ndarray:
        time.sleep(1 / 30)
        with self._lock:
            self.served += 1
            return self.picture


@pytest.fixture
def camera_kiosk(qapp, tmp_path):
    from flows.demo import DemoServices
    from kiosk.photo.receipt import ReceiptBook
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    grace = defects.sources()["grace_hopper"]
    camera = FakeCamera(cv2.resize(framed(grace), (640, 360)))  # far: a small face
    book = ReceiptBook(tmp_path / "receipts.db", "bj-hd-0001")
    factory = shell_factory(catalogue(), extra_flows=[str(FLOW)], camera=lambda: camera.get,
                            receipts=book.next)  # fmt: skip
    built = Kiosk(factory, catalogue(), size=(1080, 1920))
    built.shell.step_services = DemoServices(speed=20.0)
    built.window.show()
    built.settle(100)
    built.camera, built.good = camera, framed(grace)
    try:
        yield built
    finally:
        built.close()
        book.close()


def test_guidance_countdown_review_and_the_photo(qtbot, camera_kiosk):
    kiosk = camera_kiosk
    small = cv2.copyMakeBorder(kiosk.camera.picture, 180, 180, 320, 320, cv2.BORDER_REPLICATE)
    kiosk.camera.picture = small  # the citizen stands too far back
    tap(kiosk, "tile_photo_booth")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "camera", timeout=5_000)
    photo = kiosk.shell.photo
    qtbot.waitUntil(lambda: "photo.problem.too_far" in photo.hints, timeout=20_000)
    kiosk.settle(100)
    assert find(kiosk, "camera_hint") and find(kiosk, "camera_guide")
    preview = kiosk.window.grabWindow()
    assert preview.width() == 1080
    kiosk.camera.picture = kiosk.good  # steps closer and holds still
    qtbot.waitUntil(lambda: photo.countdown > 0, timeout=20_000)
    assert find(kiosk, "camera_countdown")
    qtbot.waitUntil(lambda: photo.reviewing, timeout=30_000)
    kiosk.settle(100)
    completed = []
    kiosk.shell._serviceDone.connect(completed.append)
    tap(kiosk, "button_use_photo")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=5_000)
    # the photo kept has its receipt number, the one the slip prints and the backend
    # stores it under (round one printed "None" and stored it under another)
    (kept,) = [e.result for e in completed if isinstance(e.result, Photo)]
    assert parse_number(kept.receipt_number).terminal == "bj-hd-0001"
    assert kiosk.camera_images.photo is None and kiosk.camera_images.tap is None
    (jpeg,) = kiosk.shell.photos.values()  # the photo made, held for the session
    assert jpeg[:2] == b"\xff\xd8"
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)
    assert photo.hints == [] and not photo.reviewing and kiosk.shell.photos == {}
    assert ("zh_CN", "photo.problem.too_far") in kiosk.shell.voice.spoken  # hints are spoken
