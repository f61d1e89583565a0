"""The sign step through the real QML on the signature pad's real driver (ISDV4 over a
pty to the pad simulator): the ink appears on the screen as the pen writes, 重签 on
the screen and on the pad clear it, an empty or too short signature is refused with
a message, 确认 keeps it and shows the PNG the application gets; the result names it,
and nothing of it is left once the session ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF

from drivers.signature_pad.driver import Isdv4SignaturePad
from drivers.signature_pad.simulator import Isdv4PadSimulator, PadProfile
from flows.results import Signature
from kiosk.steps.chain import ServiceChain
from kiosk.steps.signing import SignatureCapture
from tests.ui.helpers import find, shown, tap

FLOW = Path(__file__).with_name("flows") / "sign_form.yaml"
TICK = [[(0.40, 0.50, 0.5, 0.0), (0.42, 0.52, 0.6, 7.5), (0.44, 0.50, 0.5, 15.0)]]


@pytest.fixture
def sign_kiosk(qapp):
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    simulator = Isdv4PadSimulator(PadProfile(speed=3.0)).start()
    pad = Isdv4SignaturePad(simulator.address)
    assert pad.open().result().ok
    signing = SignatureCapture({"signature_pad": pad})
    factory = shell_factory(catalogue(), extra_flows=[str(FLOW)],
                            step_services=ServiceChain(signing))  # fmt: skip
    built = Kiosk(factory, catalogue(), size=(1080, 1920))
    built.window.show()
    built.settle(100)
    built.signing, built.simulator, built.strings = signing, simulator, catalogue()
    try:
        yield built
    finally:
        built.close()
        pad.close()
        simulator.stop()


def _news(kiosk) -> dict:
    return kiosk.shell.progress


def _words(kiosk) -> str:
    return str(find(kiosk, "sign_words").property("text"))


def _said(kiosk, message_id: str) -> str:
    return kiosk.strings.text(message_id, "zh_CN")


def _ink_pixels(kiosk, picture, ink: list[list[float]]) -> tuple[list[int], list[int]]:
    """The screen's darkness at points of the ink, and at points of the box far from it."""
    canvas = find(kiosk, "sign_ink")
    width, height, aspect = canvas.width(), canvas.height(), _news(kiosk)["aspect"]
    w = min(width, height * aspect)
    h = w / aspect
    ox, oy = (width - w) / 2, (height - h) / 2

    def darkest(x: float, y: float) -> int:
        at = canvas.mapToScene(QPointF(ox + x * w, oy + y * h))
        return min(picture.pixelColor(int(at.x()) + dx, int(at.y()) + dy).value()
                   for dx in (-2, 0, 2) for dy in (-2, 0, 2))  # fmt: skip

    on = [darkest(s[i], s[i + 1]) for s in ink for i in range(0, len(s), 3 * 7)]
    points = [(s[i], s[i + 1]) for s in ink for i in range(0, len(s), 3)]
    empty = [
        (x / 20, y / 10)
        for x in range(1, 20)
        for y in range(1, 10)
        if min(abs(x / 20 - px) * w + abs(y / 10 - py) * h for px, py in points) > 40
    ]
    off = [darkest(x, y) for x, y in empty]
    return on, off


def test_signed_cleared_refused_signed_again_kept_and_wiped(qtbot, sign_kiosk):
    kiosk, sim = sign_kiosk, sign_kiosk.simulator
    tap(kiosk, "tile_sign_form")
    qtbot.waitUntil(lambda: _news(kiosk).get("sign") == "ready", timeout=5_000)
    assert shown(find(kiosk, "sign_box")) and _words(kiosk) == _said(kiosk, "ui.device.sign")

    # the ink appears as it is written, where the pen was
    sim.sign(None).join()
    script = sim.script()
    qtbot.waitUntil(lambda: len(_news(kiosk).get("ink", [])) == len(script), timeout=5_000)
    kiosk.settle(300)
    picture = kiosk.window.grabWindow()
    if os.environ.get("PNG_DIR"):
        picture.save(str(Path(os.environ["PNG_DIR"]) / "sign.png"))
    on, off = _ink_pixels(kiosk, picture, _news(kiosk)["ink"])
    assert max(on) < 90, f"no ink on the screen where the pen wrote: {on}"
    assert off and min(off) > 150, "ink on the screen where the pen never was"
    assert _words(kiosk) == _said(kiosk, "ui.sign.writing")

    tap(kiosk, "button_sign_again")  # 重签 on the screen
    qtbot.waitUntil(lambda: _news(kiosk).get("ink") == [], timeout=3_000)
    kiosk.settle(200)
    tap(kiosk, "button_sign_confirm")  # nothing signed: refused, said
    qtbot.waitUntil(lambda: _news(kiosk).get("sign") == "refused", timeout=3_000)
    assert _words(kiosk) == _said(kiosk, "ui.sign.refused.empty")
    qtbot.waitUntil(lambda: "ink" in _news(kiosk), timeout=2_000)  # the pad listens again

    sim.sign("clear", strokes=TICK).join()  # 重签 on the pad
    qtbot.waitUntil(lambda: _news(kiosk).get("ink") == [] and _news(kiosk)["sign"] == "ready",
                    timeout=3_000)  # fmt: skip
    sim.sign("confirm", strokes=TICK).join()  # a tick, 确认 on the pad: too short
    qtbot.waitUntil(lambda: _news(kiosk).get("why") == "too_short", timeout=3_000)
    assert _words(kiosk) == _said(kiosk, "ui.sign.refused.too_short")
    qtbot.waitUntil(lambda: "ink" in _news(kiosk), timeout=2_000)

    sim.sign(None).join()  # in full, then 确认 on the screen
    qtbot.waitUntil(lambda: len(_news(kiosk).get("ink", [])) == len(script), timeout=5_000)
    tap(kiosk, "button_sign_confirm")
    qtbot.waitUntil(lambda: _news(kiosk).get("sign") == "kept", timeout=3_000)
    kiosk.settle(200)
    kept = find(kiosk, "sign_kept")
    picture = kiosk.window.grabWindow()
    if os.environ.get("PNG_DIR"):
        picture.save(str(Path(os.environ["PNG_DIR"]) / "sign_kept.png"))
    middle = kept.mapToScene(kept.boundingRect().center())
    row = [picture.pixelColor(int(middle.x()) + dx, int(middle.y()) + dy).value()
           for dx in range(-300, 300, 3) for dy in (-40, 0, 40)]  # fmt: skip
    assert min(row) < 80 and max(row) > 240, "the kept signature is not on the screen"
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=5_000)

    result = kiosk.shell.driver.session.collected["signature"]
    assert isinstance(result, Signature)
    assert (result.strokes, result.width, result.height) == (len(script), 600, 200)
    assert result.duration_ms > 0 and "png" not in result.model_dump_json()
    ref = result.signature_ref
    assert kiosk.signing.signature(ref)[:4] == b"\x89PNG"  # held while the session lasts
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)
    assert kiosk.signing.signatures == {} and kiosk.signature_images.source(ref) is None
    assert kiosk.shell.progress == {}
