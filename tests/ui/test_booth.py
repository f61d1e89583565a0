"""The booth's sensors and guide lights on the touchscreen: the real QML, the sensor
and light boards' simulators (Modbus RTU on a pty) read and written by our drivers,
followed as `kiosk run` follows them (kiosk.app.watch_booth).

A citizen steps up to the sleeping screen: it wakes and greets. At the card step the
card reader's light blinks on the board; the citizen walks away and the step's own
"are you still there?" comes at once. Then the tamper switch trips mid-session: the
backend is told, the session is cancelled through the flow's path (the card given
back, the reader's light and the buzzer), and the home screen is locked, saying
why. The technician's clear at the desk is refused while the door is open and
unlocks the services once it is shut."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk.maintenance import MaintenanceSection, hash_pin
from tests.ui.helpers import find, tap, texts
from tests.ui.test_maintenance import PIN, type_pin
from tests.ui.test_power import Told
from tests.ui.test_sleep import at_night, later
from wire import crypto

PAID = Path(__file__).with_name("flows") / "paid_on_battery.yaml"  # its first step: the card
LOCKED = "设备维护中，暂停服务"


class CardNeverComes:
    """The ID card reader's step, waiting for a card nobody places."""

    def __init__(self) -> None:
        self.waiting = False

    def serves(self, step_type: str) -> bool:
        return step_type == "read_id_card"

    def start(self, step_type, params, inputs, finish):
        self.waiting = True
        return lambda: setattr(self, "waiting", False)

    def wipe(self) -> None:
        self.waiting = False


@pytest.fixture
def booth(qapp):
    from drivers.lights.driver import ModbusLights
    from drivers.lights.simulator import LightBoardSimulator
    from drivers.sensors.driver import ModbusSensors
    from drivers.sensors.simulator import SensorBoardSimulator
    from flows.demo import DemoServices
    from kiosk.app import watch_booth
    from kiosk.maintenance import Door
    from kiosk.steps.chain import ServiceChain
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.maintenance import MaintenanceDesk
    from ui.services import shell_factory

    sensors_sim, lights_sim = SensorBoardSimulator().start(), LightBoardSimulator().start()
    sensors, lights = ModbusSensors(sensors_sim.address), ModbusLights(lights_sim.address)
    assert sensors.open().result().ok and lights.open().result().ok
    card = CardNeverComes()
    chain = ServiceChain(card)
    chain.fallback = DemoServices(speed=20.0)
    section = MaintenanceSection(pin_hash=hash_pin(PIN, crypto.DEFAULT))
    built = Kiosk(shell_factory(catalogue(), extra_flows=[str(PAID)], step_services=chain,
                                maintenance=lambda: MaintenanceDesk(Door(section))),
                  catalogue(), size=(1080, 1920))  # fmt: skip
    built.window.show()
    built.settle(100)
    told, policies = Told(), {}
    devices = SimpleNamespace(drivers={"sensors": sensors, "lights": lights})
    watch = watch_booth(built.shell, devices, told, policies=policies)
    watch.presence.away_after_s = 0.5  # ten seconds on a terminal
    built.sensors, built.lights, built.told, built.card = sensors_sim, lights_sim, told, card
    built.watch = watch
    try:
        yield built
    finally:
        watch.stop()
        built.close()
        for driver in (sensors, lights):
            driver.close()
        sensors_sim.stop()
        lights_sim.stop()


def _tiles_say(kiosk: Any, reason: str) -> bool:
    return all(t["reason"] == reason and not t["available"] for t in kiosk.shell.serviceTiles)


def _lit(kiosk: Any, states: dict[str, str], qtbot) -> None:
    qtbot.waitUntil(lambda: kiosk.lights.states() == states, timeout=5_000)


def test_the_booth_wakes_guides_warns_and_locks_until_the_desk_clears_it(
    qtbot, booth, tmp_path
) -> None:
    kiosk, shell, sensors = booth, booth.shell, booth.sensors
    # the night: the idle home screen has gone dark; someone steps up
    sleeper = shell.sleeper
    later(kiosk, at_night(kiosk), 120)
    assert sleeper.asleep
    said = len(shell.voice.spoken)
    sensors.approach()
    qtbot.waitUntil(lambda: not sleeper.asleep, timeout=5_000)
    qtbot.waitUntil(lambda: len(shell.voice.spoken) > said, timeout=2_000)
    assert "ui.home.greeting" in str(shell.voice.spoken[said:])

    # the card step: the reader's slot blinks on the board, nothing else
    tap(kiosk, "tile_paid_on_battery")
    qtbot.waitUntil(lambda: booth.card.waiting, timeout=5_000)
    _lit(kiosk, {"id_card": "blink"}, qtbot)
    assert shell.warningSeconds == -1

    # the citizen walks away: "are you still there?" at once, the overlay of every step
    sensors.walk_away()
    qtbot.waitUntil(lambda: shell.warningSeconds > 0, timeout=5_000)
    kiosk.settle(100)
    assert find(kiosk, "button_more_time") and shell.stepId == "read_card"
    kiosk.grab(tmp_path / "still_there.png")
    sensors.approach()
    tap(kiosk, "button_more_time")
    assert shell.warningSeconds == -1 and shell.in_session()

    # the tamper switch trips mid-session: told, cancelled through the flow, locked
    sensors.tamper_with()
    qtbot.waitUntil(lambda: shell.stepId == "give_back_on_cancel", timeout=5_000)
    _lit(kiosk, {"id_card": "blink", "buzzer": "blink"}, qtbot)  # take your card
    qtbot.waitUntil(lambda: shell.stepId == "cancelled", timeout=5_000)
    _lit(kiosk, {}, qtbot)
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: shell.screen == "home" and not shell.in_session(), timeout=5_000)
    assert booth.told.events == [("sensors", "tamper")]
    assert _tiles_say(kiosk, "ui.home.booth_alarm")
    kiosk.settle(200)
    shown = texts(kiosk)
    assert shown.count(LOCKED) == len(shell.serviceTiles) + 1, shown  # the banner, each tile
    kiosk.grab(tmp_path / "locked_home.png")
    tap(kiosk, "tile_paid_on_battery")
    assert not shell.in_session()

    # the technician: opens the cabinet, resets the switch; the clear waits for the door
    sensors.tamper_with(False)
    sensors.open_door()
    qtbot.waitUntil(lambda: booth.watch.guard.last.door == "open", timeout=5_000)
    shell.askMaintenance()  # the hidden gesture: tests/ui/test_maintenance.py
    kiosk.settle(100)
    type_pin(kiosk, PIN)
    assert shell.maintenance.open
    tap(kiosk, "button_clear_alarm")
    assert "柜门未关，请先关门" in texts(kiosk)
    assert shell.paused_by() == "ui.home.booth_alarm"
    sensors.close_door()
    qtbot.waitUntil(lambda: booth.watch.guard.last.door == "closed", timeout=5_000)
    tap(kiosk, "button_clear_alarm")
    assert "报警已解除，恢复服务" in texts(kiosk)
    # the door opened on a tampered cabinet: still "tamper", the detail says both
    assert booth.told.events == [("sensors", "tamper")] * 2 + [("sensors", "online")]
    tap(kiosk, "button_maintenance_leave")
    qtbot.waitUntil(lambda: shell.screen == "home", timeout=2_000)
    kiosk.settle(100)
    assert LOCKED not in texts(kiosk) and shell.paused_by() is None
    tap(kiosk, "tile_paid_on_battery")
    qtbot.waitUntil(lambda: shell.in_session(), timeout=2_000)
    started = time.monotonic()
    _lit(kiosk, {"id_card": "blink"}, qtbot)
    assert time.monotonic() - started < 5
