"""Conformance of a `ups` driver, against a real private upsd with NUT's dummy-ups
behind it (drivers/ups/simulator.py).

A driver under test is constructed as `Driver(port="host:port/upsname", on_event=...)`
and offers `open()`, `query_status(timeout_s)`, `watch(timeout_s)`, `self_test()` and
`close()`; its `status` is the two-level Status, with media `power` (mains,
battery, ...) and `battery` (ok, low, replace, unknown); a status answer's data
holds `charge` (%) and `runtime_s`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from drivers.conformance.kit import Report, bench_factory, cancel_check, expect, run_checks
from drivers.model import Code, DeviceState, StatusChanged
from drivers.ups.simulator import NutUpsSimulator, UpsProfile

SETTLE_S = 6.0  # dummy-ups reads its file again within a second or two


def _until(driver: Any, wanted: Callable[[Any], bool], seconds: float = SETTLE_S) -> Any:
    """Query until the answer is what is wanted (upsd takes a moment to see it)."""
    deadline = time.monotonic() + seconds
    done = driver.query_status().result()
    while not wanted(done) and time.monotonic() < deadline:
        time.sleep(0.2)
        done = driver.query_status().result()
    return done


def _media(done: Any) -> tuple[str, str] | None:
    return (done.data["power"], done.data["battery"]) if done.ok else None


class _SilentServer:
    """A socket that takes a connection and says nothing, until told to `speak`: then
    each new connection is answered as upsd would (a UPS on mains); the silent ones
    stay open and silent."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.speaking = threading.Event()
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> str:
        return f"127.0.0.1:{self.server.getsockname()[1]}/kiosk"

    def _accept(self) -> None:
        self.server.settimeout(0.1)
        while not self.stop.is_set():
            try:
                connection = self.server.accept()[0]
            except OSError:
                continue
            self.held.append(connection)
            if self.speaking.is_set():
                threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        try:
            while b"LIST VAR kiosk" not in connection.recv(1024):
                pass
            connection.sendall(b'BEGIN LIST VAR kiosk\nVAR kiosk ups.status "OL"\n'
                               b"END LIST VAR kiosk\n")  # fmt: skip
        except OSError:
            pass


@contextmanager
def _silent_server() -> Iterator[_SilentServer]:
    found = _SilentServer()
    found.thread.start()
    try:
        yield found
    finally:
        found.stop.set()
        found.thread.join()
        for connection in found.held:
            connection.close()
        found.server.close()


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(NutUpsSimulator, driver_class)

    def on_mains() -> str:
        with bench(UpsProfile(charge=87, runtime=1500)) as (driver, _):
            done = driver.query_status().result()
            expect(done.ok, f"status: {done.code.value}/{done.error}")
            expect(_media(done) == ("mains", "ok"), f"on mains read as {_media(done)}")
            expect(driver.status.device is DeviceState.ONLINE, f"state {driver.status.device}")
            expect(
                (done.data["charge"], done.data["runtime_s"]) == (87, 1500),
                f"charge/runtime {done.data['charge']}/{done.data['runtime_s']}",
            )
        return "online, mains, 87 %, 1500 s"

    def power_fail() -> str:
        events: list[Any] = []
        with bench() as (driver, sim):
            driver.on_event = events.append
            driver.worker.on_event = events.append
            sim.faults.inject("power_fail")
            done = _until(driver, lambda d: _media(d) == ("battery", "ok"))
            expect(_media(done) == ("battery", "ok"), f"a power failure read as {_media(done)}")
            changes = [e for e in events if isinstance(e, StatusChanged)]
            expect(
                any(e.after.media.get("power") == "battery" for e in changes),
                "no StatusChanged for the power failure",
            )
        return "battery, with a StatusChanged"

    def low_battery() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("low_battery")
            done = _until(driver, lambda d: _media(d) == ("battery", "low"))
            expect(_media(done) == ("battery", "low"), f"low battery read as {_media(done)}")
            expect(done.data["runtime_s"] == 60, f"runtime {done.data['runtime_s']}")
        return "battery low, 60 s left"

    def power_back() -> str:
        with bench(UpsProfile(status="OB DISCHRG", charge=60, runtime=700)) as (driver, sim):
            expect(_media(driver.query_status().result()) == ("battery", "ok"), "not on battery")
            sim.faults.inject("power_back")
            done = _until(driver, lambda d: _media(d) == ("mains", "ok"))
            expect(_media(done) == ("mains", "ok"), f"power back read as {_media(done)}")
        return "mains again"

    def replace_battery() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("replace_battery")
            done = _until(driver, lambda d: _media(d) == ("mains", "replace"))
            expect(_media(done) == ("mains", "replace"), f"RB read as {_media(done)}")
        return "battery: replace"

    def watch_sees_the_change() -> str:
        with bench() as (driver, sim):
            handle = driver.watch(10.0)
            time.sleep(0.5)
            sim.faults.inject("power_fail")
            done = handle.result()
            expect(done.ok, f"watch: {done.code.value}/{done.error}")
            expect(_media(done) == ("battery", "ok"), f"watch saw {_media(done)}")
        return f"seen in {done.elapsed_s:.1f} s"

    def driver_lost() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("driver_lost")
            done = _until(driver, lambda d: not d.ok)
            expect(
                done.code is Code.DEVICE_NOT_READY
                and done.error in ("data_stale", "driver_not_connected", "waiting"),
                f"a lost UPS driver gave {done.code.value}/{done.error}",
            )
            expect(driver.status.device is DeviceState.OFFLINE, f"state {driver.status.device}")
            expect(driver.status.media.get("power") == "unknown", "power still vouched for")
            sim.faults.inject("power_back")
            back = _until(driver, lambda d: d.ok)
            expect(back.ok, f"not back with the driver: {back.code.value}/{back.error}")
        return f"{done.code.value}/{done.error}, then back"

    def upsd_gone() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("upsd_gone")
            done = driver.query_status(2.0).result()
            expect(
                done.code is Code.LINK_LOST and done.error == "no_device",
                f"upsd gone gave {done.code.value}/{done.error}",
            )
            expect(driver.status.device is DeviceState.NO_DEVICE, f"state {driver.status.device}")
            sim.faults.inject("power_back")
            back = driver.query_status().result()
            expect(back.ok, f"not back with upsd: {back.code.value}/{back.error}")
        return "link_lost/no_device, then back"

    def timeout() -> str:
        with _silent_server() as server:
            driver = driver_class(port=server.port, on_event=lambda event: None)
            try:
                started = time.monotonic()
                done = driver.query_status(0.5).result()
                took = time.monotonic() - started
                server.speaking.set()  # upsd answers again (on a new connection)
                time.sleep(0.3)
                again = driver.query_status(2.0).result()
            finally:
                driver.close()
        expect(done.code is Code.TIMEOUT, f"no answer gave {done.code.value}/{done.error}")
        expect(took < 0.8, f"waited {took:.2f} s for a 0.5 s timeout")
        expect(again.ok, f"not usable after a timeout: {again.code.value}/{again.error}")
        return f"timeout after {took:.2f} s, then usable"

    def identity() -> str:
        with bench(UpsProfile(serial="SIM-A")) as (driver, sim):
            events: list[Any] = []
            driver.on_event = events.append
            driver.worker.on_event = events.append
            sim.profile.serial = "SIM-B"
            sim.save()
            _until(driver, lambda d: d.ok and "SIM-B" in str(d.data.get("identity")))
            swaps = [e for e in events if type(e).__name__ == "DeviceSwapped"]
            expect(len(swaps) == 1, f"{len(swaps)} swaps noticed for one new UPS")
        return "a new serial is a swapped device"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("on mains", on_mains),
        ("power fail", power_fail),
        ("low battery", low_battery),
        ("power back", power_back),
        ("replace battery", replace_battery),
        ("watch sees the change", watch_sees_the_change),
        ("cancel", cancel_check(bench, lambda driver: driver.watch(8.0))),
        ("driver lost", driver_lost),
        ("upsd gone", upsd_gone),
        ("timeout", timeout),
        ("swapped UPS", identity),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("ups", driver_name), chosen)
