"""Conformance of a `signature_pad` driver, against our ISDV4 pad simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `self_test()`, `capture(on_ink, timeout_s)` (data: an
`Ink` of drivers/signature_pad/ink.py: strokes of points in sensor units inside the
signing box, `ended_by` "pad" or "screen", `rejected`), `clear()` and `confirm()`
(the screen's buttons, while a capture runs) and `close()`; `on_ink` hears
`InkEvent`s ("point", "cleared", "button").
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
from drivers.model import Code, DeviceState, DeviceSwapped
from drivers.signature_pad.simulator import Isdv4PadSimulator, PadProfile, generated

FAST = 4.0  # the citizen signs this many times faster than the specimen was written


def _line(points: int = 120) -> list[list[tuple[float, float, float, float]]]:
    """One long stroke across the box at the pad's rate (7.5 ms a report)."""
    return [[(0.1 + 0.8 * k / points, 0.5, 0.6, k * 7.5) for k in range(points)]]


def _sampling(sim: Any) -> None:
    """Until the driver has started the pad (a signature before that is lost)."""
    until = time.monotonic() + 2.0
    while not sim.sampling and time.monotonic() < until:
        time.sleep(0.005)


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(Isdv4PadSimulator, driver_class)

    def as_sent(ink: Any) -> list[list[tuple[int, int, int]]]:
        return [[(p.x, p.y, p.pressure) for p in stroke] for stroke in ink.strokes]

    def signed(driver: Any, sim: Any, then: str | None = "confirm", timeout_s: float = 8.0,
               **how: Any) -> tuple[Any, list[Any]]:  # fmt: skip
        heard: list[Any] = []
        handle = driver.capture(heard.append, timeout_s)
        _sampling(sim)
        sim.sign(then, **how)
        return handle.result(), heard

    def lifecycle() -> str:
        with bench() as (driver, sim):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            done = driver.self_test().result()
            expect(done.ok, f"self-test: {done.code.value}/{done.error}")
            caps = driver.capabilities
            profile = sim.profile
            expect((caps.x_max, caps.y_max, caps.pressure_max, caps.version)
                   == (profile.x_max, profile.y_max, profile.pressure_max, profile.version),
                   f"the query reply read as {caps}")  # fmt: skip
            expect(sim.sampling is False, "the pad was left sampling")
        return f"queried: {driver.identity}"

    def captured() -> str:
        with bench(PadProfile(speed=FAST)) as (driver, sim):
            done, heard = signed(driver, sim)
            expect(done.ok, f"capture: {done.code.value}/{done.error}")
            ink = done.data
            expect(as_sent(ink) == sim.written, "the strokes are not the ones written")
            times = [p.t for stroke in ink.strokes for p in stroke]
            expect(times == sorted(times) and times[0] >= 0, "the points' times go backwards")
            script = sim.script()
            wanted = (script[-1][-1][3] - script[0][0][3]) / 1000 / FAST
            expect(abs(ink.duration_s - wanted) < 0.25,
                   f"lasted {ink.duration_s:.2f} s, written in {wanted:.2f} s")  # fmt: skip
            expect(ink.ended_by == "pad", f"ended by {ink.ended_by}")
            for _ in range(50):  # the '0' may still be on the wire
                if not sim.sampling:
                    break
                time.sleep(0.01)
            expect(not sim.sampling, "the pad was left sampling after the capture")
            points = [e for e in heard if e.kind == "point"]
            expect(len(points) == ink.points, "not every point was told as it came")
            expect([e.button for e in heard if e.kind == "button"] == ["confirm"], "no 确认")
        return f"{len(ink.strokes)} strokes, {ink.points} points, {ink.duration_s:.2f} s"

    def again_on_pad() -> str:
        with bench(PadProfile(speed=FAST)) as (driver, sim):
            heard: list[Any] = []
            handle = driver.capture(heard.append, 3.0)
            _sampling(sim)
            sim.sign("clear", strokes=_line(40)).join()
            second = generated(3, 133.0)
            sim.sign("confirm", strokes=second)
            done = handle.result()
            expect(done.ok, f"capture: {done.code.value}/{done.error}")
            expect(as_sent(done.data) == sim.written[-len(second):],
                   "the ink after 重签 is not the second signature alone")  # fmt: skip
            expect(any(e.kind == "cleared" for e in heard), "重签 was not told")
        return "重签 on the pad cleared the first signature"

    def screen_buttons() -> str:
        with bench(PadProfile(speed=FAST)) as (driver, sim):
            heard: list[Any] = []
            handle = driver.capture(heard.append, 3.0)
            _sampling(sim)
            sim.sign(None, strokes=_line(40)).join()
            expect(driver.clear(), "clear() refused during a capture")
            time.sleep(0.2)
            sim.sign(None, strokes=_line(40)).join()
            time.sleep(0.1)
            expect(driver.confirm(), "confirm() refused during a capture")
            done = handle.result()
            expect(done.ok and done.data.ended_by == "screen",
                   f"capture: {done.code.value}/{done.error}")  # fmt: skip
            expect(as_sent(done.data) == sim.written[-1:], "the screen's 重签 left old ink")
            expect(not driver.confirm(), "confirm() taken with no capture running")
        return "重签 and 确认 from the screen"

    def no_pen() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("no_pen")  # the pen lifted for good, though the citizen tries
            started = time.monotonic()
            done, _ = signed(driver, sim, timeout_s=0.8)
            took = time.monotonic() - started
            expect((done.code, done.error, done.recovery.value)
                   == (Code.TIMEOUT, "no_pen", "user_action") and took < 1.3,
                   f"a pen never put down gave {done.code.value}/{done.error} "
                   f"after {took:.2f} s")  # fmt: skip
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
        return f"timeout/no_pen after {took:.2f} s"

    def out_of_range() -> str:
        with bench(PadProfile(speed=FAST)) as (driver, sim):
            sim.faults.inject("out_of_range")
            done, _ = signed(driver, sim)
            expect(done.ok, f"capture: {done.code.value}/{done.error}")
            ink = done.data
            beyond = len(sim.written[0])
            expect(ink.rejected >= beyond, f"{ink.rejected} of {beyond} reports rejected")
            expect(as_sent(ink) == sim.written[1:], "a report beyond the pad's ranges was drawn")
        return f"{ink.rejected} reports beyond the ranges dropped"

    def noise() -> str:
        with bench() as (driver, sim):
            handle = driver.capture(None, 8.0)
            _sampling(sim)
            sim.sign("confirm", strokes=_line())
            for at, fault in ((40, "garbage"), (80, "truncated")):
                while sim.reports < at:
                    time.sleep(0.001)
                sim.faults.inject(fault)
            done = handle.result()
            expect(done.ok, f"capture: {done.code.value}/{done.error}")
            got, sent = as_sent(done.data), sim.written
            expect(len(got) == 1 and set(got[0]) <= set(sent[0]), "noise was drawn as ink")
            lost = len(sent[0]) - len(got[0])
            expect(lost <= 2, f"{lost} reports lost to two bad ones: no resync")
        return f"garbage and a cut report skipped, {lost} points lost"

    def link_dropped() -> str:
        with bench(PadProfile(speed=2.0)) as (driver, sim):
            handle = driver.capture(None, 8.0)
            _sampling(sim)
            sim.sign("confirm")
            time.sleep(0.35)
            sim.drop_link(0.3)
            done = handle.result()
            expect(done.ok and done.data.ended_by == "pad",
                   f"a link dropped mid-signature gave {done.code.value}/{done.error}")  # fmt: skip
            written = {p for stroke in sim.written for p in stroke}
            got = [p for stroke in as_sent(done.data) for p in stroke]
            expect(set(got) <= written and got[-1] == sim.written[-1][-1],
                   "the signature after the link came back is not all there")  # fmt: skip
        return "reopened, the signature goes on"

    def dead_pad() -> str:
        with bench() as (driver, sim):
            handle = driver.capture(None, 4.0)
            _sampling(sim)
            sim.faults.inject("no_answer")  # its next answer: to the driver's probe
            started = time.monotonic()
            done = handle.result()
            took = time.monotonic() - started
            expect(
                done.code is Code.TIMEOUT and done.error == "no_answer" and took < 3.3,
                f"a silent pad gave {done.code.value}/{done.error} after {took:.2f} s",
            )
            expect(driver.status.device is DeviceState.OFFLINE, f"status {driver.status}")
        return f"a pad gone silent noticed in {took:.2f} s"

    def identity() -> str:
        events: list[Any] = []
        sim = Isdv4PadSimulator().start()
        driver = driver_class(port=sim.address, on_event=events.append)
        try:
            expect(driver.open().result().ok, "open failed")
            sim.profile.version = 0x0F02  # another pad behind the same port
            sim.drop_link(0.3)
            for _ in range(3):
                if driver.query_status(3.0).result().ok:
                    break
            swapped = [e for e in events if isinstance(e, DeviceSwapped)]
            expect(bool(swapped) and str(0x0F02) in swapped[0].after,
                   "a pad with other firmware came back unnoticed")  # fmt: skip
        finally:
            driver.close()
            sim.stop()
        return "a swapped pad is noticed by its query reply"

    def cancel_capture(driver: Any) -> Any:
        return driver.capture(None, 1.5)

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("signature captured", captured),
        ("sign again on the pad", again_on_pad),
        ("screen's buttons", screen_buttons),
        ("no pen is a timeout", no_pen),
        ("out of range dropped", out_of_range),
        ("noise in the stream", noise),
        ("link dropped mid-signature", link_dropped),
        ("dead pad is a timeout", dead_pad),
        ("hot-plug identity", identity),
        ("bad frames refused", bad_frames_check(bench, ("garbage", "truncated"))),
        ("timeout is a timeout", timeout_check(bench)),
        ("cancel", cancel_check(bench, cancel_capture)),
        ("reconnect", reconnect_check(bench)),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("signature_pad", driver_name), chosen)
