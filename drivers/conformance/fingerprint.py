"""Conformance of a `fingerprint` driver, against our R30x simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `capture(timeout_s)` (completion data: `template`
bytes and `quality`), `self_test()` and `close()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

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
from drivers.fingerprint.simulator import FingerProfile, R30xSimulator, template_of
from drivers.model import Code, DeviceState


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(R30xSimulator, driver_class)

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

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("wrong password", wrong_password),
        ("captures", captures),
        ("poor image", poor_image),
        ("bad frames refused", bad_frames_check(bench, ("garbage", "bad_checksum"))),
        ("timeout is a timeout", timeout_check(bench)),
        ("cancel", cancel_check(bench, lambda driver: driver.capture(10.0))),
        ("reconnect", reconnect_check(bench)),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("fingerprint", driver_name), chosen)
