"""The UPS driver against NUT's own client, `upsc` (written elsewhere: the oracle), on
the real upsd with dummy-ups behind it, over generated UPSes: random charge, runtime,
voltage, maker, model and serial, and random combinations of the ups.status flags.
For each, every variable the driver reads and the status it derives must be what
upsc prints. One upsd for all; the .dev file is rewritten per case (dummy-ups reads
it again within its poll interval) and the comparison waits until upsc shows it."""

from __future__ import annotations

import os
import random
import string
import time
from collections.abc import Iterator
from typing import Any

import pytest

from drivers.ups.driver import NutUps
from drivers.ups.nutd import UPS_NAME, PrivateNut

CASES = 100
FLAGS = ["OL", "OB", "LB", "RB", "CHRG", "DISCHRG", "FSD", "BYPASS", "OFF"]
# text a maker's name may hold; not quotes nor backslashes, which dummy-ups's file
# reader drops (the driver's unescaping is tested on a fake upsd: test_nut_protocol.py)
NAME_CHARS = string.ascii_letters + string.digits + " -_.,:;()/+&*!?@%=[]{}"


@pytest.fixture(scope="module")
def nut() -> Iterator[PrivateNut]:
    server = PrivateNut("ups.status: OL\nups.serial: START\n", pollinterval=1).start()
    try:
        yield server
    finally:
        server.remove()


def _case(rng: random.Random, number: int) -> dict[str, str]:
    charge = rng.choice([str(rng.randint(0, 100)), f"{rng.uniform(0, 100):.1f}"])
    return {
        "ups.status": " ".join(rng.sample(FLAGS, rng.randint(1, 4))),
        "battery.charge": charge,
        "battery.runtime": str(rng.randint(0, 20_000)),
        "input.voltage": f"{rng.uniform(0, 260):.1f}",
        "ups.mfr": "".join(rng.choice(NAME_CHARS) for _ in range(rng.randint(1, 24))).strip()
        or "M",
        "ups.model": "".join(rng.choice(NAME_CHARS) for _ in range(rng.randint(1, 24))).strip()
        or "X",
        "ups.serial": f"SN{number:04d}-{rng.randint(0, 10**6)}",  # plain: the case's mark
    }


def _upsc(nut: PrivateNut) -> dict[str, str]:
    """What upsc prints, as name -> value (the value as printed, spaces kept)."""
    done = nut.upsc()
    assert done.returncode == 0, done.stderr
    found = {}
    for line in done.stdout.splitlines():
        name, sep, value = line.partition(": ")
        assert sep, line
        found[name] = value
    return found


def _expected_status(flags: str) -> dict[str, str]:
    """docs/devices.md's table, from upsc's flags: on battery wins over bypass, over
    off, over on line; low battery (LB, or FSD: the same hurry) over replace."""
    words = flags.split()
    power = "unknown"
    for flag, meaning in (("OL", "mains"), ("OFF", "off"), ("BYPASS", "bypass"), ("OB", "battery")):
        if flag in words:
            power = meaning  # the later in this list, the stronger
    if "LB" in words or "FSD" in words:
        battery = "low"
    elif "RB" in words:
        battery = "replace"
    else:
        battery = "unknown" if power == "unknown" else "ok"
    return {"power": power, "battery": battery}


def _show(nut: PrivateNut, case: dict[str, str], at: int) -> dict[str, str]:
    """Write the case (every value quoted, as NUT's configuration files quote);
    wait until upsc shows all of it."""
    text = "".join(f"{name}: {_quoted(value)}\n" for name, value in case.items())
    new = nut.device_file.with_suffix(".new")
    new.write_text(text)
    os.utime(new, (at, at))  # dummy-ups compares whole seconds: one second per case
    new.replace(nut.device_file)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        shown = _upsc(nut)
        if all(shown.get(name) == value for name, value in case.items()):
            return shown
        time.sleep(0.1)
    raise AssertionError(f"upsc never showed {case}")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _compare(driver: NutUps, nut: PrivateNut, case: dict[str, str], at: int) -> list[str]:
    before = _show(nut, case, at)
    listed = driver.variables().result()
    status = driver.query_status().result()
    after = _upsc(nut)
    if before != after:  # upsd changed under the comparison: not a mismatch of ours
        return _compare(driver, nut, case, at + 1)
    oracle = after
    wrong = []
    if not listed.ok or listed.data != oracle:
        wrong.append(f"variables: {listed.data if listed.ok else listed.error} != {oracle}")
    if not status.ok:
        return [*wrong, f"status: {status.code.value}/{status.error}"]
    expected: dict[str, Any] = {
        **_expected_status(oracle["ups.status"]),
        "flags": oracle["ups.status"],
        "charge": round(float(oracle["battery.charge"])),
        "runtime_s": round(float(oracle["battery.runtime"])),
        "identity": f"{oracle['ups.mfr']}:{oracle['ups.model']}:{oracle['ups.serial']}",
    }
    got = {key: status.data.get(key) for key in expected}
    if got != expected:
        wrong.append(f"status: {got} != {expected}")
    media = driver.status.media
    if (media.get("power"), media.get("battery")) != (expected["power"], expected["battery"]):
        wrong.append(f"device status: {media} != {expected}")
    return wrong


def test_the_driver_reads_what_upsc_reads_on_generated_upses(nut: PrivateNut) -> None:
    rng = random.Random(2203)
    driver = NutUps(f"{nut.server}/{UPS_NAME}")
    mismatches: dict[int, list[str]] = {}
    try:
        assert driver.open().result().ok
        base = int(time.time()) - 10 * CASES  # distinct past seconds for the file's mtime
        for number in range(CASES):
            wrong = _compare(driver, nut, _case(rng, number), base + 2 * number)
            if wrong:
                mismatches[number] = wrong
    finally:
        driver.close()
    assert not mismatches, f"{CASES} cases, {len(mismatches)} mismatches: " + "; ".join(
        f"#{n}: {w}" for n, w in list(mismatches.items())[:5]
    )
    print(f"\nUPS oracle: {CASES} cases, 0 mismatches against upsc")
