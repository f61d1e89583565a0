"""The sign step's service on our pad driver and its simulator, without a screen: the
ink sent on as it comes, a tick refused as too short, an empty confirm refused, the
kept signature rendered and named, and nothing of it left after the wipe."""

from __future__ import annotations

import io
import queue

import pytest
from PIL import Image

from drivers.signature_pad.driver import Isdv4SignaturePad
from drivers.signature_pad.simulator import Isdv4PadSimulator, PadProfile
from flows.results import Signature
from kiosk.steps.signing import SignatureCapture

TICK = [[(0.40, 0.50, 0.5, 0.0), (0.42, 0.52, 0.6, 7.5), (0.44, 0.50, 0.5, 15.0)]]


@pytest.fixture
def pad():
    sim = Isdv4PadSimulator(PadProfile(speed=3.0)).start()
    driver = Isdv4SignaturePad(sim.address)
    assert driver.open().result().ok
    yield driver, sim
    driver.close()
    sim.stop()


def _news_until(news: queue.Queue, state: str, timeout: float = 5.0) -> list[dict]:
    seen: list[dict] = []
    while True:
        item = news.get(timeout=timeout)
        seen.append(item)
        if item.get("sign") == state:
            return seen


def test_a_tick_is_refused_then_a_signature_kept_and_wiped(pad):
    driver, sim = pad
    news: queue.Queue = queue.Queue()
    answers: queue.Queue = queue.Queue()
    signing = SignatureCapture({"signature_pad": driver})
    signing.progress = news.put
    assert signing.serves("sign") and not signing.serves("scan_document")
    signing.start("sign", {"width": 480, "height": 160, "min_length": 0.5}, {}, answers.put)
    assert news.get(timeout=2)["sign"] == "ready"  # the pad samples: sign now
    sim.sign("confirm", strokes=TICK)
    seen = _news_until(news, "refused")
    assert seen[-1] == {"sign": "refused", "why": "too_short"}
    assert news.get(timeout=2) == {"sign": "refused", "why": "too_short", "ink": [],
                                   "aspect": pytest.approx(2.133, abs=0.01)}  # fmt: skip
    sim.sign("confirm")
    seen = _news_until(news, "kept")
    live = [n for n in seen if n["sign"] == "writing"]
    assert len(live) >= 3, "the ink did not go to the screen as it came"
    last = live[-1]["ink"]
    assert len(last) == len(sim.script())  # every stroke, none of the refused tick
    assert all(0 <= v <= 1 for stroke in last for v in stroke)
    assert live[-1]["aspect"] == pytest.approx(15200 / int(9500 * 0.75), abs=0.01)
    ref = seen[-1]["ref"]
    answer = answers.get(timeout=5)
    result = Signature.model_validate(answer["result"])
    assert result.signature_ref == ref and result.strokes == len(sim.script())
    assert (result.width, result.height) == (480, 160)
    written_s = (sim.script()[-1][-1][3] - sim.script()[0][0][3]) / 1000 / 3.0
    assert abs(result.duration_ms / 1000 - written_s) < 0.3
    picture = Image.open(io.BytesIO(signing.signature(ref)))
    assert picture.size == (480, 160)
    signing.wipe()
    assert signing.signature(ref) is None and signing.signatures == {}


def test_an_empty_confirm_is_refused_and_no_signature_is_a_timeout(pad):
    driver, _ = pad
    news: queue.Queue = queue.Queue()
    answers: queue.Queue = queue.Queue()
    signing = SignatureCapture({"signature_pad": driver}, capture_s=1.5)
    signing.progress = news.put
    signing.start("sign", {}, {}, answers.put)
    assert news.get(timeout=2)["sign"] == "ready"
    signing.sign_decide("confirm")  # the screen's 确认 with nothing on the pad
    assert _news_until(news, "refused")[-1] == {"sign": "refused", "why": "empty"}
    answer = answers.get(timeout=4)  # nobody signs: the pad's timeout ends the step
    assert answer == {"fail": "timeout", "recovery": "user_action"}
    assert signing.signatures == {}
