"""How `kiosk run` takes the UPS: opened from `[devices.ups]` (none: nothing), and
its line in the heartbeat says what the power policy told the backend."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from drivers.model import DeviceState, Status
from kiosk.app import open_device
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
    assert open_device(load(env={}).config, devices, "ups") is None
    assert devices.drivers == {}


def test_a_configured_ups_is_opened_and_held_with_the_devices() -> None:
    env = {"KIOSK__DEVICES__UPS__DRIVER": "nut", "KIOSK__DEVICES__UPS__PORT": "127.0.0.1:9/kiosk",
           "KIOSK__DEVICES__UPS__TIMEOUT_MS": "500"}  # fmt: skip
    devices = SimulatedDevices()
    try:
        driver = open_device(load(env=env).config, devices, "ups")
        assert driver is not None and devices.drivers == {"ups": driver}
        assert (driver.host, driver.port, driver.ups) == ("127.0.0.1", 9, "kiosk")
        assert driver.status.device is DeviceState.NO_DEVICE  # nobody there: followed anyway
    finally:
        devices.stop()


def test_a_section_that_cannot_be_used_is_said_and_left_out(caplog) -> None:
    section = "KIOSK__DEVICES__SENSORS__"
    env = {f"{section}DRIVER": "modbus", f"{section}PORT": "/dev/null",
           f"{section}OPTIONS__BAUDRATE": "fast"}  # fmt: skip
    devices = SimulatedDevices()
    assert open_device(load(env=env).config, devices, "sensors") is None
    assert devices.drivers == {}
    assert "[devices.sensors] cannot be used" in caplog.text


def test_whole_numbers_from_the_environment_reach_the_driver_as_numbers() -> None:
    section = "KIOSK__DEVICES__LIGHTS__"
    env = {f"{section}DRIVER": "modbus", f"{section}PORT": "/dev/null",
           f"{section}OPTIONS__UNIT": "7", f"{section}TIMEOUT_MS": "200"}  # fmt: skip
    devices = SimulatedDevices()
    try:
        driver = open_device(load(env=env).config, devices, "lights")
        assert driver is not None and devices.drivers == {"lights": driver}
        assert driver.unit == 7
    finally:
        devices.stop()
