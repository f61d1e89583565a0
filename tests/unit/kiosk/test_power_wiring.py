"""How `kiosk run` takes the UPS: opened from `[devices.ups]` (none: nothing), and
its line in the heartbeat says what the power policy told the backend."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from drivers.model import DeviceState, Status
from kiosk.app import open_ups
from kiosk.config import load
from kiosk.power import PowerPolicy, PowerReading, heartbeat_word
from kiosk.simulated import SimulatedDevices


def _ups(state: DeviceState, power: str = "mains", battery: str = "ok") -> Any:
    return SimpleNamespace(status=Status(state, {"power": power, "battery": battery}),
                           charge=80, runtime_s=600)  # fmt: skip


def _policy() -> PowerPolicy:
    return PowerPolicy(in_session=lambda: False, cancel_session=lambda: None,
                       shutdown=lambda: None)  # fmt: skip


def test_the_heartbeat_says_what_the_backend_was_told() -> None:
    policy = _policy()
    ups = _ups(DeviceState.ONLINE)
    assert heartbeat_word(ups, None) == (
        "online",
        "power mains, battery ok, charge 80 %, runtime 600 s",
    )
    assert heartbeat_word(ups, policy)[0] == "online"
    policy.feed(PowerReading("battery", "ok", 80, 600))
    assert heartbeat_word(_ups(DeviceState.ONLINE, "battery"), policy)[0] == "on_battery"
    policy.feed(PowerReading("battery", "low", 9, 50))  # no session: shut down at once
    assert heartbeat_word(_ups(DeviceState.ONLINE, "battery", "low"), policy)[0] == (
        "shutting_down"
    )
    assert heartbeat_word(_ups(DeviceState.NO_DEVICE), policy)[0] == "no_device"


def test_without_a_ups_section_nothing_is_opened() -> None:
    devices = SimulatedDevices()
    assert open_ups(load(env={}).config, devices) is None
    assert devices.drivers == {}


def test_a_configured_ups_is_opened_and_held_with_the_devices() -> None:
    env = {"KIOSK__DEVICES__UPS__DRIVER": "nut", "KIOSK__DEVICES__UPS__PORT": "127.0.0.1:9/kiosk",
           "KIOSK__DEVICES__UPS__TIMEOUT_MS": "500"}  # fmt: skip
    devices = SimulatedDevices()
    try:
        driver = open_ups(load(env=env).config, devices)
        assert driver is not None and devices.drivers == {"ups": driver}
        assert (driver.host, driver.port, driver.ups) == ("127.0.0.1", 9, "kiosk")
        assert driver.status.device is DeviceState.NO_DEVICE  # nobody there: followed anyway
    finally:
        devices.stop()
