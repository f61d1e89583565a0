"""Conformance of a `fingerprint` driver, against our R30x simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `capture(timeout_s)` (completion data: `template`
bytes and `quality`), `self_test()` and `close()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from drivers.conformance.kit import Report, expect, run_checks
from drivers.fingerprint.simulator import FingerProfile, R30xSimulator, template_of
from drivers.model import Code, DeviceState


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    @contextmanager
    def bench(profile: FingerProfile | None = None) -> Iterator[tuple[Any, R30xSimulator]]:
        sim = R30xSimulator(profile).start()
        driver = driver_class(port=str(sim.link), on_event=lambda event: None)
        try:
            opened = driver.open().result()
            expect(opened.ok, f"open failed: {opened.code} {opened.error}")
            yield driver, sim
        finally:
            driver.close()
            sim.stop()

    def lifecycle() -> str:
        with bench() as (driver, _):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            expect(driver.self_test().result().ok, "self-test failed")
        return "password verified, parameters read"

    def wrong_password() -> str:
        sim = R30xSimulator(FingerProfile(password=1234)).start()
        driver = driver_class(port=str(sim.link), on_event=lambda event: None)
        try:
            done = driver.open().result()
            expect(
                not done.ok and done.error == "wrong_password",
                f"a wrong password gave {done.code}/{done.error}",
            )
        finally:
            driver.close()
            sim.stop()
        return "refused as wrong_password"

    def captures() -> str:
        with bench() as (driver, sim):
            handle = driver.capture(5.0)
            threading.Timer(0.3, sim.put_finger, args=("right_thumb",)).start()
            done = handle.result()
            expect(done.ok, f"capture: {done.code} {done.error}")
            expect(
                done.data["template"] == template_of("right_thumb"),
                "the template is not the module's",
            )
            expect(isinstance(done.data.get("quality"), int), "no quality score")
        return "waits for the finger, template uploaded"

    def poor_image() -> str:
        with bench() as (driver, sim):
            sim.put_finger("left_thumb", quality=20)
            done = driver.capture(3.0).result()
            expect(
                (done.code, done.recovery.value) == (Code.USER_ERROR, "user_action"),
                f"a poor image gave {done.code}/{done.recovery}",
            )
        return f"{done.code.value}/{done.error}"

    def bad_frames_refused() -> str:
        with bench() as (driver, sim):
            for fault in ("garbage", "bad_checksum"):
                sim.faults.inject(fault)
                done = driver.query_status(1.0).result()
                expect(
                    not done.ok and done.code is Code.HARDWARE_ERROR,
                    f"{fault} answer taken as {done.code}",
                )
                expect(driver.query_status().result().ok, f"not usable after {fault}")
        return "garbage and a wrong checksum refused"

    def timeout_is_a_timeout() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("no_answer")
            started = time.monotonic()
            done = driver.query_status(0.5).result()
            took = time.monotonic() - started
            expect(
                done.code is Code.TIMEOUT,
                f"no answer reported as {done.code}/{done.error} (not a bad header)",
            )
            expect(took < 0.8, f"waited {took:.2f} s")
            expect(driver.query_status().result().ok, "not usable after a timeout")
        return f"timeout after {took:.2f} s"

    def cancel() -> str:
        with bench() as (driver, _):
            handle = driver.capture(10.0)
            time.sleep(0.2)
            started = time.monotonic()
            handle.cancel()
            done = handle.result()
            took = time.monotonic() - started
            expect(done.code is Code.CANCELED and took < 0.5, f"{done.code} in {took:.2f} s")
        return f"cancelled in {took:.2f} s"

    def reconnect() -> str:
        with bench() as (driver, sim):
            unplug = threading.Thread(target=sim.drop_link, args=(0.6,))
            unplug.start()
            time.sleep(0.1)
            done = driver.query_status(3.0).result()
            if not done.ok:
                done = driver.query_status(3.0).result()
            unplug.join()
            expect(done.ok, f"no reconnect: {done.code} {done.error}")
        return "back after the link dropped"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("wrong password", wrong_password),
        ("captures", captures),
        ("poor image", poor_image),
        ("bad frames refused", bad_frames_refused),
        ("timeout is a timeout", timeout_is_a_timeout),
        ("cancel", cancel),
        ("reconnect", reconnect),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("fingerprint", driver_name), chosen)
