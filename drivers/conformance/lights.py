"""Conformance of a `lights` driver, against our Modbus RTU light board simulator
(the wiring: drivers/lights/outputs.py).

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()` (every light off), `show(modes)` (each named output off, on or blink, every
other one off), `beep(seconds)`, `query_status()` (a board that restarted is
written again), `self_test()` and `close()`; its `status.media` has each output's
mode and `restarts`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drivers.conformance.kit import (
    Report,
    bad_frames_check,
    bench_factory,
    cancel_check,
    expect,
    reconnect_check,
    run_checks,
    timeout_check,
)
from drivers.lights.simulator import LightBoardSimulator
from drivers.model import Code, DeviceState, DeviceSwapped


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(LightBoardSimulator, driver_class)

    def lifecycle() -> str:
        with bench() as (driver, sim):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            expect(sim.writes and not any(sim.coils), f"not all off at open: {sim.states()}")
            expect(driver.self_test().result().ok, "self-test failed")
        return "identified, every light off"

    def blink_on_the_wire() -> str:
        with bench() as (driver, sim):
            done = driver.show({"card_transport": "blink"}).result()
            expect(done.ok and sim.states() == {"card_transport": "blink"},
                   f"show blink: {done.code.value}, the board shows {sim.states()}")  # fmt: skip
            expect(driver.status.media.get("card_transport") == "blink", f"{driver.status}")
            writes = len(sim.writes)
            done = driver.show({"id_card": "on"}).result()
            expect(done.ok and sim.states() == {"id_card": "on"},
                   f"the next screen's light: {sim.states()}")  # fmt: skip
            expect(len(sim.writes) == writes + 1, "two lights changed in more than one write")
            done = driver.show({}).result()
            expect(done.ok and sim.states() == {}, f"all off: {sim.states()}")
        return "blink, steady, off: one write of all coils each"

    def refusals() -> str:
        with bench() as (driver, sim):
            before = len(sim.writes)
            for modes, error in (({"coffee": "on"}, "unknown_light"),
                                 ({"id_card": "dim"}, "bad_mode")):  # fmt: skip
                done = driver.show(modes).result()
                expect((done.code, done.error) == (Code.INVALID_DATA, error),
                       f"{modes} gave {done.code.value}/{done.error}")  # fmt: skip
            expect(len(sim.writes) == before, "a refused show was written")
        return "unknown light, bad mode: invalid_data, nothing written"

    def board_reset() -> str:
        with bench() as (driver, sim):
            expect(driver.show({"scanner": "blink"}).result().ok, "show failed")
            sim.faults.inject("board_reset")
            expect(driver.query_status(0.5).result().code is Code.TIMEOUT, "no restart seen")
            expect(sim.states() == {}, f"the board kept {sim.states()}")
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and sim.states() != {"scanner": "blink"}:
                driver.query_status(1.0).result()
            expect(sim.states() == {"scanner": "blink"}, f"after the restart: {sim.states()}")
            expect(driver.status.media.get("restarts") == "1", f"{driver.status.media}")
        return "the restarted board is written again"

    def beep() -> str:
        with bench() as (driver, sim):
            handle = driver.beep(0.3)
            time.sleep(0.15)
            sounding = sim.states().get("buzzer")
            done = handle.result()
            expect(sounding == "on" and done.ok, f"the buzzer was {sounding}: {done.code.value}")
            expect("buzzer" not in sim.states(), "the buzzer goes on sounding")
        return "sounds, then stops"

    def exceptions_typed() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("busy")
            done = driver.show({"id_card": "on"}).result()
            expect((done.code, done.error, done.recovery.value)
                   == (Code.DEVICE_NOT_READY, "busy", "retry"),
                   f"exception 06 gave {done.code.value}/{done.error}")  # fmt: skip
            expect(driver.show({"id_card": "on"}).result().ok, "not usable after an exception")
        return "exception 06: device_not_ready/busy, retry"

    def identity() -> str:
        events: list[Any] = []
        sim = LightBoardSimulator().start()
        driver = driver_class(port=sim.address, on_event=events.append)
        try:
            expect(driver.open().result().ok, "open failed")
            sim.profile.serial_number = 20259998
            sim.drop_link(0.3)
            for _ in range(3):
                if driver.query_status(3.0).result().ok:
                    break
            swapped = [e for e in events if isinstance(e, DeviceSwapped)]
            expect(bool(swapped) and "20259998" in swapped[0].after,
                   "a board with another serial number came back unnoticed")  # fmt: skip
        finally:
            driver.close()
            sim.stop()
        return "a swapped board is noticed by its serial number"

    def cancel_beep(driver: Any) -> Any:
        return driver.beep(2.0)

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("blink on the wire", blink_on_the_wire),
        ("refusals", refusals),
        ("board reset", board_reset),
        ("beep", beep),
        ("exceptions typed", exceptions_typed),
        ("hot-plug identity", identity),
        ("bad frames refused", bad_frames_check(bench, ("garbage", "bad_checksum", "truncated"))),
        ("timeout is a timeout", timeout_check(bench)),
        ("cancel", cancel_check(bench, cancel_beep)),
        ("reconnect", reconnect_check(bench)),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("lights", driver_name), chosen)
