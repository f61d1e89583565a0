"""Conformance of a `camera` driver, against our MJPEG-over-HTTP camera simulator.

A driver under test is constructed as `Driver(port=URL, on_event=...)` and offers
`open()`, `query_status()`, `still(timeout_s)` (completion data: `image`),
`frames.get(timeout)` (the newest frame or None, never blocking longer),
`self_test()` and `close()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from drivers.camera.simulator import MjpegCameraSimulator, now_ms, read_stamp
from drivers.conformance.kit import Report, bench_factory, expect, run_checks
from drivers.model import Code, DeviceState


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(MjpegCameraSimulator, driver_class)

    def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return condition()

    def lifecycle() -> str:
        with bench() as (driver, _):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            still = driver.still().result()
            expect(still.ok and still.data["image"].shape == (720, 1280, 3), f"still: {still.code}")
        return "open, online, a 1280x720 still"

    def rate_and_age() -> str:
        with bench() as (driver, _):
            got, ages, started = 0, [], time.monotonic()
            while time.monotonic() - started < 2.0:
                frame = driver.frames.get(0.2)
                if frame is not None:
                    got += 1
                    ages.append(now_ms() - read_stamp(frame.image))
            fps = got / 2.0
            ages.sort()
            expect(fps >= 20, f"{fps:.1f} frames/s delivered")
            expect(ages[len(ages) // 2] <= 100, f"frames {ages[len(ages) // 2]} ms old")
        return f"{fps:.0f} fps, median age {ages[len(ages) // 2]} ms"

    def bounded_queue() -> str:
        with bench() as (driver, _):
            time.sleep(1.5)  # nobody takes frames for a while
            expect(len(driver.frames) <= 4, f"{len(driver.frames)} frames piled up")
            frame = driver.frames.get(0.5)
            expect(frame is not None, "no frame after a pause")
            age = now_ms() - read_stamp(frame.image)
            expect(age <= 150, f"after a pause the frame handed out is {age} ms old")
            started = time.monotonic()
            driver.frames.get(0.0)
            expect(time.monotonic() - started < 0.05, "get() blocked")
        return f"newest frame {age} ms old after a 1.5 s pause"

    def stall() -> str:
        with bench() as (driver, sim):
            sim.stalled.set()
            offline = wait_for(lambda: driver.status.device is not DeviceState.ONLINE, 4.0)
            expect(offline, "a stalled camera still reported online")
            sim.stalled.clear()
            back = wait_for(lambda: driver.status.device is DeviceState.ONLINE, 8.0)
            expect(back, f"not back online after the stall: {driver.status}")
        return "offline during the stall, back after"

    def restart() -> str:
        with bench() as (driver, sim):
            threading.Thread(target=sim.disconnect, args=(1.0,)).start()
            gone = wait_for(lambda: driver.status.device is not DeviceState.ONLINE, 4.0)
            back = wait_for(lambda: driver.status.device is DeviceState.ONLINE, 10.0)
            expect(gone and back, f"killed and restarted mid-stream: {driver.status}")
            expect(driver.still(3.0).result().ok, "no still after the restart")
        return "reconnected after the camera went away and came back"

    def black_frames() -> str:
        with bench() as (driver, sim):
            sim.black = True
            black = wait_for(lambda: driver.status.media.get("image") == "black", 3.0)
            sim.black = False
            ok = wait_for(lambda: driver.status.media.get("image") == "ok", 3.0)
            expect(black and ok, f"black frames not reported: {driver.status}")
        return "image black, then ok"

    def still_timeout_and_cancel() -> str:
        with bench() as (driver, sim):
            expect(driver.still(2.0).result().ok, "no first still")
            sim.stalled.set()
            time.sleep(1.5)  # whatever frame is left is old now
            done = driver.still(0.5).result()
            expect(done.code is Code.TIMEOUT, f"a still with no fresh frame gave {done.code}")
            handle = driver.still(5.0)
            time.sleep(0.1)
            started = time.monotonic()
            handle.cancel()
            cancelled = handle.result()
            took = time.monotonic() - started
            expect(cancelled.code is Code.CANCELED and took < 0.5, f"{cancelled.code} {took:.2f}")
        return "timeout, and cancel in time"

    def open_timeout() -> str:
        sim = MjpegCameraSimulator()  # never started: nothing listens
        driver = driver_class(port=sim.url, on_event=lambda event: None)
        try:
            started = time.monotonic()
            done = driver.open(2.0).result()
            took = time.monotonic() - started
            expect(not done.ok and took < 2.5, f"open of nothing: {done.code} after {took:.2f}")
        finally:
            driver.close()
        return f"{done.code.value} after {took:.2f} s"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("rate and age", rate_and_age),
        ("bounded queue", bounded_queue),
        ("stall", stall),
        ("restart", restart),
        ("black frames", black_frames),
        ("still timeout and cancel", still_timeout_and_cancel),
        ("open timeout", open_timeout),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("camera", driver_name), chosen)
