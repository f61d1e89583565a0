"""Conformance of a `sensors` driver, against our Modbus RTU sensor board simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `self_test()`, `watch(timeout_s)` (data: the new media
once a debounced input changed; a timeout with no change) and `close()`; its
`status.media` has `presence` (present, absent), `door` (closed, open), `tamper`
(ok, tampered) and `restarts` (how often the board restarted), and its
`status.device` is `fraud_attempt` while the tamper switch is tripped.
"""

from __future__ import annotations

import threading
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
from drivers.model import Code, DeviceState, DeviceSwapped
from drivers.sensors.simulator import SensorBoardSimulator, SensorProfile


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(SensorBoardSimulator, driver_class)

    def lifecycle() -> str:
        with bench() as (driver, _):
            media = driver.status.media
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            expect((media.get("presence"), media.get("door"), media.get("tamper"))
                   == ("absent", "closed", "ok"), f"media {media}")  # fmt: skip
            expect(driver.self_test().result().ok, "self-test failed")
        return "identified, the three inputs read"

    def input_map() -> str:
        for field, name, word in (("presence", "presence", "present"),
                                  ("door_open", "door", "open")):  # fmt: skip
            with bench(SensorProfile(**{field: True})) as (driver, _):
                media = driver.status.media
                others = {k: v for k, v in media.items() if k not in (name, "restarts")}
                expect(media.get(name) == word, f"DI for {name} set, media {media}")
                expect(set(others.values()) <= {"absent", "closed", "ok"},
                       f"only {name} set, media {media}")  # fmt: skip
        return "DI 0 presence, DI 1 door, in the board's bit order"

    def door_and_tamper() -> str:
        with bench() as (driver, sim):
            threading.Timer(0.2, sim.open_door).start()
            done = driver.watch(3.0).result()
            expect(done.ok and done.data.get("door") == "open", f"door: {done.code.value} "
                   f"{done.data}")  # fmt: skip
            sim.tamper_with()
            done = driver.watch(3.0).result()
            expect(done.ok and done.data.get("tamper") == "tampered", f"tamper: {done.data}")
            expect(driver.status.device is DeviceState.FRAUD_ATTEMPT, f"{driver.status}")
            sim.tamper_with(False)
            sim.close_door()
            done = driver.watch(3.0).result()
            expect(done.ok, f"closed again: {done.code.value}")
        return "door open, tamper (fraud_attempt), back"

    def debounced() -> str:
        with bench() as (driver, sim):
            sim.glitch("presence", 0.08)  # someone's arm at the edge of the field
            sim.glitch("door_open", 0.03)  # the contact bounces as the cabinet is knocked
            done = driver.watch(0.8).result()
            expect(done.code is Code.TIMEOUT, f"a glitch was reported: {done.data}")
            sim.approach()
            started = time.monotonic()
            done = driver.watch(3.0).result()
            took = time.monotonic() - started
            expect(done.ok and done.data.get("presence") == "present", f"{done.data}")
            expect(took < 1.0, f"presence seen after {took:.2f} s")
        return f"glitches ignored, presence held: seen after {took:.2f} s"

    def stuck_input() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("stuck_input")
            expect(driver.query_status().result().ok, "status failed")
            sim.approach()
            threading.Timer(0.2, sim.open_door).start()
            done = driver.watch(3.0).result()
            expect(done.ok and done.data.get("door") == "open", f"{done.code.value} {done.data}")
            expect(
                done.data.get("presence") == "absent",
                f"presence reported {done.data.get('presence')}: not what the board said",
            )
        return "the stuck input reported as the board says; the door still seen"

    def board_reset() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("board_reset")
            first = driver.query_status(0.5).result()
            expect(first.code is Code.TIMEOUT, f"a restarting board gave {first.code.value}")
            sim.open_door()
            deadline = time.monotonic() + 2.5
            media: dict[str, str] = {}
            while time.monotonic() < deadline and (media.get("restarts"), media.get("door")) != (
                "1",
                "open",
            ):
                done = driver.watch(1.5).result()
                media = done.data if done.ok else media
            expect(media.get("restarts") == "1" and media.get("door") == "open",
                   f"after the restart: {media}")  # fmt: skip
        return "silent while it boots, then back, the restart counted"

    def exceptions_typed() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("busy")
            done = driver.query_status().result()
            expect((done.code, done.error, done.recovery.value)
                   == (Code.DEVICE_NOT_READY, "busy", "retry"),
                   f"exception 06 gave {done.code.value}/{done.error}")  # fmt: skip
            expect(driver.query_status().result().ok, "not usable after an exception")
        return "exception 06: device_not_ready/busy, retry"

    def identity() -> str:
        events: list[Any] = []
        sim = SensorBoardSimulator().start()
        driver = driver_class(port=sim.address, on_event=events.append)
        try:
            expect(driver.open().result().ok, "open failed")
            sim.profile.serial_number = 20259999  # another board behind the same port
            sim.drop_link(0.3)
            for _ in range(3):
                if driver.query_status(3.0).result().ok:
                    break
            swapped = [e for e in events if isinstance(e, DeviceSwapped)]
            expect(bool(swapped) and "20259999" in swapped[0].after,
                   "a board with another serial number came back unnoticed")  # fmt: skip
        finally:
            driver.close()
            sim.stop()
        return "a swapped board is noticed by its serial number"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("input map", input_map),
        ("door and tamper", door_and_tamper),
        ("debounced", debounced),
        ("stuck input", stuck_input),
        ("board reset", board_reset),
        ("exceptions typed", exceptions_typed),
        ("hot-plug identity", identity),
        ("bad frames refused", bad_frames_check(bench, ("garbage", "bad_checksum", "truncated"))),
        ("timeout is a timeout", timeout_check(bench)),
        ("cancel", cancel_check(bench, lambda driver: driver.watch(2.0))),
        ("reconnect", reconnect_check(bench)),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("sensors", driver_name), chosen)
