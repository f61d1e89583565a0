"""Conformance of a `card_printer` driver, against our thermal-rewrite module simulator.

A driver under test is constructed as `Driver(port=..., on_event=...)` and offers
`open()`, `query_status()`, `self_test()`, `erase()`, `print_image(raster)`,
`read_back()` (data: a `Raster`), `rewrite(raster, timeout_s)` (erase, print, read back:
data `verified`, True or None where the module cannot read) and `close()`; its
`status.media` has `card` (none, present), `strip` (none, written, erased) and `head`
(ok, too_hot, error). Rasters are drivers/card_printer/raster.py's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from drivers.card_printer.raster import Raster
from drivers.card_printer.simulator import CardPrinterProfile, TrwPrinterSimulator
from drivers.config import FaultSpec
from drivers.conformance.kit import (
    Report,
    bad_frames_check,
    bench_factory,
    expect,
    reconnect_check,
    run_checks,
    timeout_check,
)
from drivers.model import Code, DeviceState, DeviceSwapped


def small(**changes: Any) -> CardPrinterProfile:
    """A strip of two chunks, quick passes: the checks of logic need no big image."""
    return CardPrinterProfile(**{"width": 256, "height": 64, "erase_s": 0.05,
                                 "print_s": 0.05, **changes})  # fmt: skip


def pattern(width: int, height: int, seed: int = 7) -> Raster:
    """Rows of seeded noise: every chunk differs, so a chunk lost or doubled shows."""
    rows = random.Random(seed)
    size = (width + 7) // 8 * height
    return Raster(width, height, bytes(rows.randrange(256) for _ in range(size)))


def suite(driver_class: type, driver_name: str, only: list[str] | None = None) -> Report:
    bench = bench_factory(TrwPrinterSimulator, driver_class)
    image = pattern(256, 64)

    @contextmanager
    def with_card(profile: CardPrinterProfile | None = None) -> Iterator[tuple[Any, Any]]:
        """A bench whose card (bearing an earlier endorsement) is under the head."""
        with bench(profile or small()) as (driver, sim):
            sim.place_card("permit")
            yield driver, sim

    def lifecycle() -> str:
        with bench(small()) as (driver, _):
            expect(driver.status.device is DeviceState.ONLINE, f"status {driver.status}")
            media = driver.status.media
            expect(media.get("card") == "none" and media.get("head") == "ok", f"media {media}")
            done = driver.self_test().result()
            expect(done.ok, f"self-test: {done.code.value}/{done.error}")
        return "initialised, identified, the strip's size read"

    def erase_blanks() -> str:
        with with_card() as (driver, sim):
            expect(any(sim.strip()), "the simulator's card bears nothing to erase")
            done = driver.erase().result()
            expect(done.ok, f"erase: {done.code.value}/{done.error}")
            expect(not any(sim.strip()), "the strip still holds dots after the erase")
            expect(driver.status.media.get("strip") == "erased", f"{driver.status.media}")
            read = driver.read_back().result()
            expect(read.ok and read.data == Raster.blank(256, 64),
                   f"read back after an erase: {read.code.value} {read.data}")  # fmt: skip
        return "the strip blank, and read back blank"

    def rewrite_written() -> str:
        with with_card() as (driver, sim):
            done = driver.rewrite(image).result()
            expect(done.ok, f"rewrite on a written card: {done.code.value}/{done.error}")
            expect(sim.strip() == image.data, "the strip does not hold the image sent")
            expect(done.data.get("verified") is True, f"not verified: {done.data}")
            expect(sim.erases == 1 and sim.prints == 1, f"{sim.erases} erases, {sim.prints} prints")
        return "erased, printed, read back the same"

    def not_erased_refused() -> str:
        with with_card() as (driver, sim):
            done = driver.print_image(image).result()
            expect((done.code, done.error) == (Code.SEQUENCE_ERROR, "not_erased"),
                   f"a print on a written strip gave {done.code.value}/{done.error}")  # fmt: skip
            expect(sim.prints == 0, "the module printed over an old endorsement")
        return "sequence_error/not_erased"

    def erase_again() -> str:
        with with_card() as (driver, sim):
            sim.faults.inject("not_erased")
            done = driver.rewrite(image).result()
            expect(done.ok and sim.strip() == image.data,
                   f"after an erase that did not take: {done.code.value}/{done.error}")  # fmt: skip
            expect(sim.erases == 2, f"{sim.erases} erases")
        return "the erase that did not take was repeated"

    def chunk_resent() -> str:
        with with_card() as (driver, sim):
            sim.faults.inject("corrupt_chunk")
            done = driver.rewrite(image).result()
            expect(sim.refused_chunks == 1, f"{sim.refused_chunks} chunks refused")
            expect(done.ok and sim.strip() == image.data,
                   f"a refused chunk: {done.code.value}/{done.error}")  # fmt: skip
        return "a chunk refused by its CRC was sent again"

    def head_error() -> str:
        with with_card() as (driver, sim):
            before = sim.strip()
            sim.faults.inject("head_error")
            done = driver.rewrite(image).result()
            got = (done.code, done.error, done.recovery.value)
            expect(got == (Code.HARDWARE_ERROR, "head_error", "operator"),
                   f"a head error gave {done.code.value}/{done.error}/{got[2]}")  # fmt: skip
            expect(driver.status.device is DeviceState.HARDWARE_ERROR, f"{driver.status}")
            expect(driver.status.media.get("head") == "error", f"{driver.status.media}")
            expect(sim.strip() == before and sim.prints == 0, "the strip changed")
            expect(driver.open().result().ok and driver.status.device is DeviceState.ONLINE,
                   "not online after a reset")  # fmt: skip
        return "hardware_error/head_error, operator; a reset clears it"

    def hot_head() -> str:
        with with_card(small(head_c=75.0, cool_c_per_s=40.0)) as (driver, sim):
            expect(driver.query_status().result().data["head"] == "too_hot", "not hot")
            started = time.monotonic()
            done = driver.rewrite(image).result()
            took = time.monotonic() - started
            expect(done.ok and sim.strip() == image.data,
                   f"a hot head: {done.code.value}/{done.error}")  # fmt: skip
        return f"waited for the head to cool, printed after {took:.2f} s"

    def no_card() -> str:
        with bench(small()) as (driver, _):
            done = driver.rewrite(image).result()
            expect((done.code, done.error) == (Code.DEVICE_NOT_READY, "no_card"),
                   f"no card gave {done.code.value}/{done.error}")  # fmt: skip
        return "device_not_ready/no_card"

    def wrong_size() -> str:
        with with_card() as (driver, sim):
            done = driver.rewrite(pattern(128, 64)).result()
            expect((done.code, done.error) == (Code.INVALID_DATA, "wrong_size"),
                   f"an image of the wrong size gave {done.code.value}/{done.error}")  # fmt: skip
            expect(sim.erases == 0, "the strip was erased for an image that cannot go on it")
        return "invalid_data/wrong_size, the card untouched"

    def no_readback() -> str:
        with with_card(small(readback=False)) as (driver, sim):
            done = driver.read_back().result()
            expect((done.code, done.error) == (Code.UNSUPPORTED, "no_readback"),
                   f"read back without a read head: {done.code.value}/{done.error}")  # fmt: skip
            done = driver.rewrite(image).result()
            expect(done.ok and done.data.get("verified") is None,
                   f"rewrite without a read head: {done.code.value} {done.data}")  # fmt: skip
            expect(sim.strip() == image.data, "the strip does not hold the image")
        return "unsupported/no_readback; printed, verified None"

    def silent_mid_image() -> str:
        with with_card() as (driver, sim):
            # silent from the image's first chunk on (erase, status, begin answered)
            silent = FaultSpec(kind="no_answer", after_commands=sim.faults.commands + 3)
            sim.faults.faults = [silent]
            started = time.monotonic()
            done = driver.rewrite(image, 2.5).result()
            took = time.monotonic() - started
            sim.faults.faults = []
            expect(done.code is Code.TIMEOUT and took < 1.6,
                   f"a silent module gave {done.code.value} after {took:.2f} s")  # fmt: skip
            expect(driver.query_status().result().ok, "not usable after the module was silent")
            expect(sim.prints == 0, "printed though the image never arrived")
        return f"timeout after {took:.2f} s, not the command's 2.5 s"

    def cancel() -> str:
        with with_card(CardPrinterProfile(erase_s=0.05)) as (driver, sim):
            handle = driver.rewrite(pattern(576, 192), 20.0)
            time.sleep(0.4)  # the image is on its way (1.2 s of it at 115,200 baud)
            started = time.monotonic()
            handle.cancel()
            done = handle.result()
            took = time.monotonic() - started
            expect(done.code is Code.CANCELED and took < 0.5,
                   f"cancel gave {done.code.value} after {took:.2f} s")  # fmt: skip
            expect(sim.prints == 0, "a cancelled image was printed")
            after = driver.query_status().result()
            expect(after.ok, f"not usable after a cancel: {after.code.value}/{after.error}")
        return f"cancelled mid-image in {took:.2f} s, nothing printed"

    def identity() -> str:
        events: list[Any] = []
        sim = TrwPrinterSimulator(small()).start()
        driver = driver_class(port=sim.address, on_event=events.append)
        try:
            expect(driver.open().result().ok, "open failed")
            sim.profile.serial = "SIM0591999"  # another module behind the same port
            sim.drop_link(0.3)
            for _ in range(3):
                if driver.query_status(3.0).result().ok:
                    break
            swapped = [e for e in events if isinstance(e, DeviceSwapped)]
            expect(bool(swapped) and "SIM0591999" in swapped[0].after,
                   "a module with another serial number came back unnoticed")  # fmt: skip
        finally:
            driver.close()
            sim.stop()
        return "a swapped module is noticed by its serial number"

    def quick_bench() -> Any:
        return bench(small())

    checks: list[tuple[str, Callable[[], str]]] = [
        ("lifecycle", lifecycle),
        ("erase blanks the strip", erase_blanks),
        ("rewrite on a written card", rewrite_written),
        ("not erased refused", not_erased_refused),
        ("an erase that did not take", erase_again),
        ("a bent chunk is sent again", chunk_resent),
        ("head error", head_error),
        ("a hot head is waited for", hot_head),
        ("no card", no_card),
        ("wrong size", wrong_size),
        ("no read-back", no_readback),
        ("a silent module is a timeout", silent_mid_image),
        ("cancel", cancel),
        ("hot-plug identity", identity),
        ("bad frames refused", bad_frames_check(quick_bench, ("garbage", "bad_checksum"))),
        ("timeout is a timeout", timeout_check(quick_bench)),
        ("reconnect", reconnect_check(quick_bench)),
    ]
    chosen = [(n, c) for n, c in checks if only is None or n in only]
    return run_checks(Report("card_printer", driver_name), chosen)
