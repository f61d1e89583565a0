"""Conformance of a `scanner` driver, against our serial scanner simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `read_code(timeout_s)` (a handle whose completion data
is `{"text", "kind"}`), `self_test()` and `close()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from drivers.conformance.kit import Report, bench_factory, expect, run_checks
from drivers.model import Code, DeviceState
from drivers.scanner.simulator import ScannerProfile, ScannerSimulator

PAYMENT = "134567890123456789"


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(ScannerSimulator, driver_class)

    def show_later(sim: ScannerSimulator, code: str, after_s: float = 0.1) -> None:
        threading.Timer(after_s, sim.present, args=(code,)).start()

    def lifecycle() -> str:
        with bench() as (driver, _):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
        return "open, online, close"

    def reads_codes() -> str:
        kinds = []
        for end in ("\r\n", "\r"):
            with bench(ScannerProfile(line_end=end)) as (driver, sim):
                handle = driver.read_code(3.0)
                show_later(sim, PAYMENT)
                done = handle.result()
                kinds.append("payment_code")
                expect(
                    done.ok and done.data == {"text": PAYMENT, "kind": "payment_code"},
                    f"line end {end!r}: {done}",
                )
                for code, kind in (
                    ("KP1.x.y", "proof"),
                    ("R110101202611230007", "photo_receipt"),
                    ("APPT-7", "appointment"),
                ):
                    sim.present(code)
                    got = driver.read_code(2.0).result()
                    expect(got.ok and got.data == {"text": code, "kind": kind}, f"{code}: {got}")
                    kinds.append(kind)
        return ", ".join([*sorted(set(kinds)), "CR and CRLF"])

    def codes_in_order() -> str:
        with bench() as (driver, sim):
            sim.send(b"FIRST\r\nSECOND\r\n")
            first, second = driver.read_code(2.0).result(), driver.read_code(2.0).result()
            expect(
                (first.data or {}).get("text") == "FIRST"
                and (second.data or {}).get("text") == "SECOND",
                f"two codes in one burst: {first.data}, {second.data}",
            )
        return "two codes in one burst, in order"

    def garbage_refused() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("garbage")
            sim.present("APPT-12345")
            done = driver.read_code(1.0).result()
            expect(not done.ok, f"garbage taken as a code: {done.data}")
            sim.present("APPT-2")
            again = driver.read_code(2.0).result()
            expect(again.ok and again.data["text"] == "APPT-2", f"after garbage: {again}")
        return "refused, next code read"

    def timeout_is_a_timeout() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("truncated")
            sim.present("APPT-99999")
            started = time.monotonic()
            done = driver.read_code(0.5).result()
            took = time.monotonic() - started
            expect(done.code is Code.TIMEOUT, f"an unfinished line reported as {done.code}")
            expect(took < 0.8, f"waited {took:.2f} s")
        return f"timeout after {took:.2f} s"

    def cancel() -> str:
        with bench() as (driver, _):
            handle = driver.read_code(10.0)
            time.sleep(0.1)
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
            handle = driver.read_code(4.0)
            unplug.join()
            show_later(sim, "APPT-3", 0.3)
            done = handle.result()
            if not done.ok:
                show_later(sim, "APPT-3", 0.3)
                done = driver.read_code(3.0).result()
            expect(done.ok and done.data["text"] == "APPT-3", f"no reconnect: {done}")
        return "read after the link came back"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("reads codes", reads_codes),
        ("codes in order", codes_in_order),
        ("garbage refused", garbage_refused),
        ("timeout is a timeout", timeout_is_a_timeout),
        ("cancel", cancel),
        ("reconnect", reconnect),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("scanner", driver_name), chosen)
