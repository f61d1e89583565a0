"""Conformance of a `card_transport` driver, against our CRT-310 style simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `self_test()`, `sensors()`, `wait_for_card(timeout_s)`,
`accept_card(timeout_s)`, `move_to_rw()`, `eject()`, `capture()`,
`wait_for_removal(timeout_s)`, `present(take_s)` (data: `taken`, `retained`),
`dispense(slot)`, `load(slot)` and `close()`; its `status.media` has `card` (none,
gate, inside, rw_position, jammed), `bin` (ok, full), `bin_count` and `slots`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from drivers.card_transport.simulator import CrtTransportSimulator, TransportProfile
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


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(CrtTransportSimulator, driver_class)

    def inserted(driver: Any, sim: Any) -> None:
        handle = driver.accept_card(5.0)
        threading.Timer(0.2, sim.insert_card, args=("permit",)).start()
        done = handle.result()
        expect(done.ok, f"accept_card: {done.code.value}/{done.error}")

    def lifecycle() -> str:
        with bench() as (driver, _):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            media = driver.status.media
            expect(media.get("card") == "none" and media.get("bin") == "ok", f"media {media}")
            expect(driver.self_test().result().ok, "self-test failed")
        return "initialised, identified, sensors read"

    def insert_and_position() -> str:
        with bench() as (driver, sim):
            inserted(driver, sim)
            expect(sim.position == "rw_position", f"the card is at {sim.position}")
            expect(driver.status.media["card"] == "rw_position", f"media {driver.status.media}")
        return "waits for the card, moves it to the read/write position"

    def given_back() -> str:
        with bench() as (driver, sim):
            inserted(driver, sim)
            handle = driver.present(3.0)
            threading.Timer(0.5, sim.take_card).start()
            done = handle.result()
            expect(done.ok and done.data["taken"], f"present: {done.code.value} {done.data}")
            expect(sim.taken == ["permit"] and not sim.captured, "the citizen has no card")
        return "to the gate, taken"

    def retained() -> str:
        with bench() as (driver, sim):
            inserted(driver, sim)
            done = driver.present(0.6).result()
            expect(done.ok and done.data.get("retained"), f"not taken: {done.code.value} "
                   f"{done.data}")  # fmt: skip
            expect(sim.captured == ["permit"], "the card was not captured into the bin")
            expect(driver.status.media["bin_count"] == "1", f"media {driver.status.media}")
        return "not taken in time: captured into the retain bin"

    def bin_full() -> str:
        profile = TransportProfile(bin_count=30, bin_capacity=30)
        with bench(profile) as (driver, sim):
            expect(driver.status.media["bin"] == "full", f"media {driver.status.media}")
            inserted(driver, sim)
            done = driver.present(0.4).result()
            expect((done.code, done.error) == (Code.DEVICE_NOT_READY, "bin_full"),
                   f"a full bin gave {done.code.value}/{done.error}")  # fmt: skip
            expect(sim.position == "gate", f"the card is at {sim.position}, not the gate")
        return "the card stays at the gate: bin_full"

    def refusals_typed() -> str:
        with bench() as (driver, _):
            done = driver.move_to_rw().result()
            expect((done.code, done.error) == (Code.SEQUENCE_ERROR, "sequence_error"),
                   f"a move with no card gave {done.code.value}/{done.error}")  # fmt: skip
            done = driver.dispense(2).result()
            expect((done.code, done.error) == (Code.DEVICE_NOT_READY, "slot_empty"),
                   f"an empty slot gave {done.code.value}/{done.error}")  # fmt: skip
            expect(driver.query_status().result().ok, "not usable after a refusal")
        return "sequence_error, slot_empty"

    def jam() -> str:
        with bench() as (driver, sim):
            inserted(driver, sim)
            sim.faults.inject("jam")
            done = driver.eject().result()
            expect((done.code, done.error, done.recovery.value)
                   == (Code.HARDWARE_ERROR, "jam", "operator"),
                   f"a jam gave {done.code.value}/{done.error}/{done.recovery.value}")  # fmt: skip
            expect(driver.status.device is DeviceState.HARDWARE_ERROR, f"{driver.status}")
            expect(driver.status.media["card"] == "jammed", f"media {driver.status.media}")
        return "hardware_error/jam, operator"

    def stuck_at_gate() -> str:
        with bench() as (driver, sim):
            inserted(driver, sim)
            sim.faults.inject("stuck_at_gate")
            done = driver.present(1.0).result()
            expect((done.code, done.error) == (Code.HARDWARE_ERROR, "stuck_at_gate"),
                   f"a stuck card gave {done.code.value}/{done.error}")  # fmt: skip
            expect(not sim.captured, "a stuck card was reported captured")
        return "hardware_error/stuck_at_gate"

    def storage() -> str:
        profile = TransportProfile(slots=["", "", "DOC-3"] + [""] * 5)
        with bench(profile) as (driver, sim):
            expect(driver.status.media["slots"] == "00100000", f"{driver.status.media}")
            done = driver.dispense(3).result()
            expect(done.ok and sim.position == "gate", f"dispense: {done.code.value}")
            expect(driver.wait_for_removal(0.3).result().error == "not_taken", "taken?")
            sim.take_card()
            expect(driver.wait_for_removal(2.0).result().ok, "the pickup was not seen")
            inserted(driver, sim)
            done = driver.load(5).result()
            expect(done.ok and sim.profile.slots[4] == "permit", f"load: {done.code.value}")
            done = driver.dispense(3).result()
            expect(done.error == "slot_empty", f"a dispensed slot again: {done.error}")
        return "dispensed from slot 3, loaded into slot 5"

    def identity() -> str:
        events: list[Any] = []
        sim = CrtTransportSimulator().start()
        driver = driver_class(port=sim.address, on_event=events.append)
        try:
            expect(driver.open().result().ok, "open failed")
            sim.profile.serial = "SIM0310999"  # another unit behind the same port
            sim.drop_link(0.3)
            for _ in range(3):
                if driver.query_status(3.0).result().ok:
                    break
            swapped = [e for e in events if isinstance(e, DeviceSwapped)]
            expect(bool(swapped) and "SIM0310999" in swapped[0].after,
                   "a unit with another serial number came back unnoticed")  # fmt: skip
        finally:
            driver.close()
            sim.stop()
        return "a swapped unit is noticed by its serial number"

    def cancel_wait(driver: Any) -> Any:
        return driver.wait_for_card(10.0)

    def timeout_wait() -> str:
        with bench() as (driver, _):
            started = time.monotonic()
            done = driver.wait_for_card(0.6).result()
            took = time.monotonic() - started
            expect(done.code is Code.TIMEOUT and took < 1.0,
                   f"no card gave {done.code.value}/{done.error} after {took:.2f} s")  # fmt: skip
        return f"no card: timeout after {took:.2f} s"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("insert to read/write", insert_and_position),
        ("given back", given_back),
        ("retained when not taken", retained),
        ("bin full", bin_full),
        ("refusals typed", refusals_typed),
        ("jam", jam),
        ("stuck at the gate", stuck_at_gate),
        ("storage module", storage),
        ("hot-plug identity", identity),
        ("no card is a timeout", timeout_wait),
        ("bad frames refused", bad_frames_check(bench, ("garbage", "bad_checksum"))),
        ("timeout is a timeout", timeout_check(bench)),
        ("cancel", cancel_check(bench, cancel_wait)),
        ("reconnect", reconnect_check(bench)),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("card_transport", driver_name), chosen)
