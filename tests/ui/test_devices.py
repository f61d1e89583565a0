"""Steps served by the real drivers: the ID card read through the SAM reader's
driver on its simulator, the appointment code through the scanner's, on the real
QML; the card photo held for the session only."""

from __future__ import annotations

import pytest

from drivers.id_card.driver import SamIdCardReader
from drivers.id_card.simulator import SamSimulator
from drivers.scanner.driver import SerialScanner
from drivers.scanner.simulator import ScannerSimulator
from kiosk.simulated import SimulatedCitizen
from kiosk.steps.devices import DeviceServices
from tests.ui.helpers import tap


@pytest.fixture
def device_kiosk(qapp):
    from flows.demo import DemoServices
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    simulators = {"id_card": SamSimulator().start(), "scanner": ScannerSimulator().start()}
    drivers = {
        "id_card": SamIdCardReader(simulators["id_card"].address),
        "scanner": SerialScanner(simulators["scanner"].address),
    }
    for driver in drivers.values():
        assert driver.open().result().ok
    services = DeviceServices(
        drivers,
        fallback=DemoServices(speed=20.0),
        citizen=SimulatedCitizen(simulators, delay_s=0.3),
    )
    built = Kiosk(
        shell_factory(catalogue(), step_services=services), catalogue(), size=(1080, 1920)
    )
    built.window.show()
    built.settle(100)
    built.services, built.simulators = services, simulators
    try:
        yield built
    finally:
        built.close()
        for driver in drivers.values():
            driver.close()
        for simulator in simulators.values():
            simulator.stop()


def test_the_id_card_is_read_by_its_driver(qtbot, device_kiosk):
    kiosk = device_kiosk
    tap(kiosk, "tile_queue_ticket")
    tap(kiosk, "option_card")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "service", timeout=15_000)
    assert kiosk.simulators["id_card"].reads == 1  # read once, by the driver
    assert list(kiosk.services.photos) == ["card-photo-1"]  # held for the session
    tap(kiosk, "option_id_card")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=15_000)
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)
    assert kiosk.services.photos == {}  # wiped with the session


def test_an_appointment_code_is_scanned_by_its_driver(qtbot, device_kiosk):
    kiosk = device_kiosk
    tap(kiosk, "tile_queue_ticket")
    tap(kiosk, "option_appointment")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "service", timeout=15_000)
    tap(kiosk, "button_cancel")
    qtbot.waitUntil(lambda: kiosk.shell.screen in ("done", "home"), timeout=15_000)


def test_fingerprints_in_police_order_with_retries(qtbot, qapp):
    """A worn right thumb: pressed three times, then the right index finger; then the
    left thumb. The screen says which finger and which try."""
    from drivers.fingerprint.driver import R30xFingerprint
    from drivers.fingerprint.simulator import R30xSimulator
    from flows import events as ev
    from flows.demo import DemoServices
    from kiosk.steps.devices import DeviceServices

    simulator = R30xSimulator().start()
    pad = R30xFingerprint(simulator.address)
    assert pad.open().result().ok
    pressed = []

    def citizen(step_type, params):
        if step_type == "capture_fingerprints.finger":
            pressed.append(params["finger"])
            quality = 10 if params["finger"] == "right_thumb" else 85  # the worn thumb
            simulator.put_finger(params["finger"], quality)

    services = DeviceServices({"fingerprint": pad}, fallback=DemoServices(), citizen=citizen)
    news, results = [], []
    services.progress = news.append
    perform = ev.Perform("fingers", "capture_fingerprints", {"policy": "police", "captures": 3})
    services.start(perform.step_type, perform.params, {}, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=30_000)
    pad.close()
    simulator.stop()
    fingers = [t["finger"] for t in results[0]["result"]["templates"]]
    assert fingers == ["right_index", "left_thumb"]
    assert pressed == ["right_thumb"] * 3 + ["right_index", "left_thumb"]
    assert any(n.get("attempt") == 3 and n["finger"] == "right_thumb" for n in news)
    assert sorted(services.templates) == ["template-left_thumb", "template-right_index"]
    services.wipe()
    assert services.templates == {}
