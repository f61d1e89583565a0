"""Conformance of a `scanner_a4` driver, against SANE's `test` backend in a private
SANE configuration (drivers/scanner_a4/simulator.py), through the real libsane.

A driver under test is constructed as `Driver(port="device@/sane/config", on_event=...)`
and offers `open()`, `query_status()`, `scan(resolution, mode, page, timeout_s)` (its
data: `png`, `width_px`, `height_px`, `resolution`, `mode`, `width_mm`, `height_mm`),
`self_test()` and `close()`.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Callable

from drivers.conformance.kit import Report, bench_factory, expect, run_checks
from drivers.model import Code, DeviceState
from drivers.scanner_a4.simulator import SaneScannerSimulator, ScannerProfile


def _pixels(png: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, channels, the first row's pixels) of an 8-bit PNG, read here
    (not with the driver's reader): the kit checks what it got, not how."""
    expect(png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    at, idat, header = 8, b"", b""
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        body = png[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    expect(depth == 8, f"depth {depth}")
    channels = {0: 1, 2: 3}.get(colour, 0)
    expect(channels > 0, f"PNG colour type {colour}")
    raw = zlib.decompressobj().decompress(idat, 1 + width * channels)
    expect(raw[0] <= 4, f"row filter {raw[0]}")
    out = bytearray(raw[1 : 1 + width * channels])
    # the first row: "up" adds nothing (no row above), "paeth" is "sub" there
    for i in range(channels, len(out)):
        left = out[i - channels]
        if raw[0] in (1, 4):
            out[i] = (out[i] + left) & 0xFF
        elif raw[0] == 3:
            out[i] = (out[i] + left // 2) & 0xFF
    return width, height, channels, bytes(out)


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(SaneScannerSimulator, driver_class)

    def scans_a_page() -> str:
        with bench(ScannerProfile(picture="Solid white")) as (driver, _):
            done = driver.scan(100, "gray", "a4", 30).result()
            expect(done.ok, f"scan: {done.code.value}/{done.error}")
            width, height, channels, row = _pixels(done.data["png"])
            expect((width, height) == (826, 1169), f"A4 at 100 dpi came {width}x{height}")
            expect(channels == 1, f"gray came with {channels} channels")
            expect(set(row) == {255}, "a white page is not white")
            expect(
                (done.data["width_px"], done.data["height_px"]) == (826, 1169),
                f"the size reported: {done.data['width_px']}x{done.data['height_px']}",
            )
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
        return "A4, 100 dpi, gray: 826x1169 white"

    def scans_in_colour() -> str:
        with bench(ScannerProfile(picture="Solid black")) as (driver, _):
            done = driver.scan(150, "color", "a5", 30).result()
            expect(done.ok, f"scan: {done.code.value}/{done.error}")
            width, height, channels, row = _pixels(done.data["png"])
            expect((width, height) == (874, 1240), f"A5 at 150 dpi came {width}x{height}")
            expect(channels == 3, f"colour came with {channels} channels")
            expect(set(row) == {0}, "a black page is not black")
        return "A5, 150 dpi, colour: 874x1240 black"

    def fault(kind: str, code: Code, state: DeviceState) -> Callable[[], str]:
        def check() -> str:
            with bench() as (driver, sim):
                sim.faults.inject(kind)
                done = driver.scan(100, "gray", "a4", 30).result()
                expect(
                    (done.code, done.error) == (code, kind),
                    f"{kind}: {done.code.value}/{done.error}, expected {code.value}/{kind}",
                )
                expect(done.data is None, f"{kind}: an image came with the failure")
                expect(driver.status.device is state, f"{kind}: status {driver.status.device}")
                sim.clear()
                again = driver.scan(100, "gray", "a4", 30).result()
                expect(again.ok, f"not scanning once {kind} was put right: {again.code.value}")
            return f"{code.value}/{kind}, status {state.value}, then scans"

        return check

    def status_sees_the_cover() -> str:
        with bench() as (driver, sim):
            sim.faults.inject("cover_open")
            driver.query_status().result()
            expect(
                driver.status.media.get("cover") == "open",
                f"an open cover in the status: {driver.status}",
            )
            sim.clear()
            done = driver.query_status().result()
            expect(done.ok and driver.status.device is DeviceState.ONLINE, "not online again")
        return "cover open, then closed, in the status"

    def cancel_mid_scan() -> str:
        with bench(ScannerProfile(slow_ms=100)) as (driver, _):
            handle = driver.scan(200, "gray", "a4", 30)
            time.sleep(0.5)
            started = time.monotonic()
            handle.cancel()
            done = handle.result()
            took = time.monotonic() - started
            expect(
                done.code is Code.CANCELED and took < 0.5,
                f"cancel gave {done.code.value} after {took:.2f} s",
            )
            expect(done.data is None, "half a page came back")
            started = time.monotonic()
            expect(driver.query_status().result().ok, "not usable after a cancel")
            late = time.monotonic() - started
            expect(late < 3.0, f"the next command waited {late:.1f} s: the scan ran on")
        return f"cancelled in {took:.2f} s"

    def timeout() -> str:
        with bench(ScannerProfile(slow_ms=100)) as (driver, sim):
            started = time.monotonic()
            done = driver.scan(200, "gray", "a4", 1.0).result()
            took = time.monotonic() - started
            expect(done.code is Code.TIMEOUT, f"a slow scan gave {done.code.value}")
            expect(took < 1.4, f"waited {took:.2f} s for a 1 s timeout")
            sim.profile.slow_ms = 0
            sim.save()
            started = time.monotonic()
            again = driver.scan(100, "gray", "a4", 30).result()
            late = time.monotonic() - started
            expect(again.ok, f"not usable after a timeout: {again.code.value}")
            # a scan left running holds the device (its worker) until it ends by itself
            expect(late < 3.0, f"the next scan waited {late:.1f} s: the slow one ran on")
        return f"timeout after {took:.2f} s, the scan stopped"

    def unplugged() -> str:
        with bench() as (driver, sim):
            sim.profile.unplugged = True
            sim.save()
            done = driver.scan(100, "gray", "a4", 30).result()
            expect(
                (done.code, done.error) == (Code.LINK_LOST, "no_device"),
                f"no scanner gave {done.code.value}/{done.error}",
            )
            expect(driver.status.device is DeviceState.NO_DEVICE, f"status {driver.status}")
            sim.profile.unplugged = False
            sim.save()
            expect(driver.scan(100, "gray", "a4", 30).result().ok, "not back once plugged in")
        return "link_lost/no_device, then back"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("scans a page", scans_a_page),
        ("scans in colour", scans_in_colour),
        ("no paper", fault("no_paper", Code.USER_ERROR, DeviceState.USER_ERROR)),
        ("cover open", fault("cover_open", Code.USER_ERROR, DeviceState.USER_ERROR)),
        ("jam", fault("jam", Code.HARDWARE_ERROR, DeviceState.HARDWARE_ERROR)),
        ("busy", fault("busy", Code.DEVICE_NOT_READY, DeviceState.BUSY)),
        ("io error", fault("io_error", Code.HARDWARE_ERROR, DeviceState.HARDWARE_ERROR)),
        ("status sees the cover", status_sees_the_cover),
        ("cancel mid-scan", cancel_mid_scan),
        ("timeout", timeout),
        ("unplugged", unplugged),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("scanner_a4", driver_name), chosen)
