"""Conformance of a `receipt_printer` driver, against our ESC/POS simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `print_slip(slip)` (each returning a handle with
`result()` and `cancel()`) and `close()`; see `drivers/receipt_printer/interface.py`.
Each check runs against a fresh simulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from drivers.conformance.kit import Report, expect, reconnect_check, run_checks, timeout_check
from drivers.model import Code, Completion, DeviceState, StatusChanged
from drivers.receipt_printer.simulator import EscPosSimulator, PrinterProfile
from drivers.receipt_printer.slip import Feed, QrCode, Rule, Slip, Text

SLIP = Slip(
    elements=[
        Text(text="缴费凭条", size=2, bold=True, align="center"),
        Rule(),
        Text(text="金额：40.00 元"),
        Text(text="王䶮𠮷"),
        QrCode(data="T-1"),
        Feed(lines=2),
    ]
)


class Bench:
    """A simulator, a driver on it, and the events the driver sent."""

    def __init__(self, driver_class: type, profile: PrinterProfile | None = None) -> None:
        self.sim = EscPosSimulator(profile).start()
        self.events: list[Any] = []
        self.driver = driver_class(port=str(self.sim.link), on_event=self.events.append)

    def changes(self) -> list[StatusChanged]:
        return [e for e in self.events if isinstance(e, StatusChanged)]

    def close(self) -> None:
        self.driver.close()
        self.sim.stop()


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    @contextmanager
    def bench(profile: PrinterProfile | None = None, open_it: bool = True) -> Iterator[Bench]:
        b = Bench(driver_class, profile)
        try:
            if open_it:
                opened = b.driver.open().result()
                expect(opened.ok, f"open failed: {opened.code} {opened.error}")
            yield b
        finally:
            b.close()

    @contextmanager
    def pair() -> Iterator[tuple[Any, EscPosSimulator]]:  # as the shared checks take it
        with bench() as b:
            yield b.driver, b.sim

    def lifecycle() -> str:
        with bench() as b:
            done = b.driver.query_status().result()
            expect(done.ok and done.data.get("paper") == "ok", f"status: {done}")
            changes = b.changes()
            expect(
                bool(changes) and changes[-1].after.device is DeviceState.ONLINE,
                "no StatusChanged to online after open",
            )
            expect(
                any(isinstance(e, Completion) for e in b.events),
                "completions are not sent as events",
            )
        return "open, status, close"

    def prints_a_slip() -> str:
        with bench() as b:
            done = b.driver.print_slip(SLIP).result()
            expect(done.ok, f"print: {done.code} {done.error}")
            deadline = time.monotonic() + 2
            while not b.sim.slips and time.monotonic() < deadline:
                time.sleep(0.02)
            expect(len(b.sim.slips) == 1, f"{len(b.sim.slips)} slips cut, expected 1")
            lines = b.sim.slips[0].lines
            expect("缴费凭条" in lines and "金额：40.00 元" in lines, f"text lost: {lines}")
            expect("[qr:T-1]" in lines, "the QR code was not printed as a QR code")
            expect(
                any(x.startswith("[raster") for x in lines),
                "a character the printer's font lacks was not printed as raster",
            )
            expect(b.sim.unknown_commands == 0, f"{b.sim.unknown_commands} unknown commands")
        return "text, sizes, QR, raster fallback, cut"

    def status_transitions() -> str:
        with bench() as b:
            seen = []
            for change, paper, state in (
                (lambda p: setattr(p, "paper_mm", 100.0), "low", DeviceState.ONLINE),
                (lambda p: setattr(p, "cover_open", True), "low", DeviceState.USER_ERROR),
                (lambda p: setattr(p, "cover_open", False), "low", DeviceState.ONLINE),
                (lambda p: setattr(p, "paper_mm", 0.0), "out", DeviceState.USER_ERROR),
                (lambda p: setattr(p, "paper_mm", 20_000.0), "ok", DeviceState.ONLINE),
            ):
                change(b.sim.profile)
                _settle(b)
                expect(
                    b.driver.status.media.get("paper") == paper and b.driver.status.device is state,
                    f"expected paper {paper} and {state}, got {b.driver.status}",
                )
                seen.append(f"{paper}/{state.value}")
        return ", ".join(seen)

    def error_codes() -> str:
        cases = []
        for profile, fault, code, error in (
            (PrinterProfile(paper_mm=0.0), None, Code.DEVICE_NOT_READY, "paper_out"),
            (PrinterProfile(cover_open=True), None, Code.DEVICE_NOT_READY, "cover_open"),
            (PrinterProfile(error=True), None, Code.HARDWARE_ERROR, "printer_error"),
            (
                PrinterProfile(paper_mm=30.0, near_end_mm=0.0),
                None,
                Code.HARDWARE_ERROR,
                "paper_out",
            ),
        ):
            with bench(profile, open_it=False) as b:
                b.driver.open().result()
                if fault:
                    b.sim.faults.inject(fault)
                done = b.driver.print_slip(SLIP).result()
                expect(
                    (done.code, done.error) == (code, error),
                    f"{profile}: got {done.code}/{done.error}, expected {code}/{error}",
                )
                expect(done.recovery.value != "none", f"{error}: no recovery hint")
                cases.append(f"{error}->{code.value}")
        return ", ".join(cases)

    def jam_mid_slip() -> str:
        with bench() as b:
            b.sim.device_fault("jam")  # the paper jams 8 mm into the next slip
            done = b.driver.print_slip(SLIP).result()
            expect(
                (done.code, done.error) == (Code.HARDWARE_ERROR, "printer_error"),
                f"a slip that jammed half-way gave {done.code}/{done.error}",
            )
            expect(len(b.sim.slips) == 1 and not b.sim.slips[0].complete, "no partial slip")
            partial = b.sim.slips[0].lines
            expect(0 < len(partial) < 6, f"{len(partial)} lines came out of a jammed slip")
            again = b.driver.print_slip(SLIP).result()
            expect(not again.ok and len(b.sim.slips) == 1, "printed past a jam")
            b.sim.profile.error = False  # a technician clears it
            cleared = b.driver.print_slip(SLIP).result()
            expect(cleared.ok, f"not printing after the jam was cleared: {cleared.code}")
            expect(len(b.sim.slips) == 2 and b.sim.slips[1].complete, "the next slip is not whole")
        return f"{len(partial)} line(s) out, the job failed, nothing more until cleared"

    def bad_frames_refused() -> str:
        with bench() as b:
            for fault in ("garbage", "truncated"):
                b.sim.faults.inject(fault)
                done = b.driver.query_status(timeout_s=0.5).result()
                expect(not done.ok, f"a {fault} answer was taken as a status")
                expect(done.code in (Code.HARDWARE_ERROR, Code.TIMEOUT), f"{fault}: {done.code}")
                again = b.driver.query_status().result()
                expect(again.ok, f"not usable after {fault}: {again.code}")
        return "garbage and truncated answers refused"

    def cancel() -> str:
        with bench() as b:
            # the answer comes 2 s late: well after the cancel, and a second before the
            # next query (a late byte racing that query would make the check a coin toss)
            b.sim.faults.inject("slow_answer", delay_ms=2000)
            handle = b.driver.query_status(timeout_s=5.0)
            time.sleep(0.1)
            started = time.monotonic()
            handle.cancel()
            done = handle.result()
            took = time.monotonic() - started
            expect(done.code is Code.CANCELED, f"cancel gave {done.code} after {took:.2f} s")
            expect(took < 0.5, f"cancel took {took:.2f} s")
            b.sim.faults.faults.clear()
            time.sleep(3.0)  # the slow answer arrives now; it must not confuse the next
            # answers carry no sign of their request: taken for the next one, the late
            # byte shifts them all, and an open cover reads as closed
            b.sim.profile.cover_open = True
            again = b.driver.query_status().result()
            expect(
                again.ok and (again.data.get("paper"), again.data.get("cover")) == ("ok", "open"),
                f"after cancel: {again.code} {again.data}",
            )
        return f"cancelled in {took:.2f} s"

    def debounce() -> str:
        with bench() as b:
            before = len(b.changes())
            for i in range(12):  # the sensor flickers faster than the hold time
                b.sim.profile.paper_mm = 100.0 if i % 2 else 20_000.0
                b.driver.query_status().result()
            flicker = len(b.changes()) - before
            expect(flicker <= 1, f"{flicker} status changes reported for a flickering sensor")
        return f"{flicker} change(s) for 12 flickering readings"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("prints a slip", prints_a_slip),
        ("status transitions", status_transitions),
        ("error codes", error_codes),
        ("jam mid-slip", jam_mid_slip),
        ("timeout is a timeout", timeout_check(pair)),
        ("bad frames refused", bad_frames_refused),
        ("cancel", cancel),
        ("reconnect", reconnect_check(pair)),
        ("debounce", debounce),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("receipt_printer", driver_name), chosen)


def _settle(b: Bench) -> None:
    """Poll past the debounce hold so a real change is reported."""
    for _ in range(3):
        b.driver.query_status().result()
        time.sleep(0.2)
    b.driver.query_status().result()
