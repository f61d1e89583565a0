"""The backlight through logind, for real: busctl on a private bus (dbus-daemon) to a
stand-in logind (fake_logind.py) that records each call, over a made-up sysfs."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.backlight import Backlight

FAKE_LOGIND = Path(__file__).with_name("fake_logind.py")
SESSION = ["org.freedesktop.login1.Session", "SetBrightness", "ssu"]


@pytest.fixture
def bus() -> Iterator[str]:
    """A private bus with nothing on it; its address."""
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert daemon.stdout is not None
    try:
        yield daemon.stdout.readline().strip()
    finally:
        daemon.kill()
        daemon.wait()
        daemon.stdout.close()


@pytest.fixture
def logind(bus: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """The stand-in logind on that bus: the bus's address and the process, whose
    standard output has one line per SetBrightness call."""
    fake = subprocess.Popen(
        [sys.executable, str(FAKE_LOGIND), bus], stdout=subprocess.PIPE, text=True
    )
    assert fake.stdout is not None and fake.stdout.readline().strip() == "ready"
    try:
        yield bus, fake
    finally:
        fake.kill()
        fake.wait()
        fake.stdout.close()


def sysfs(root: Path, name: str, brightness: int, kind: str = "raw") -> Path:
    device = root / name
    device.mkdir(parents=True)
    (device / "max_brightness").write_text("1000\n")
    (device / "brightness").write_text(f"{brightness}\n")
    (device / "type").write_text(f"{kind}\n")
    return root


def calls(fake: subprocess.Popen, count: int) -> list[list]:
    assert fake.stdout is not None  # each call was printed before its reply
    return [json.loads(fake.stdout.readline())[:4] for _ in range(count)]


def test_the_backlight_goes_off_at_night_and_back_to_what_it_was(tmp_path, logind):
    address, fake = logind
    root = sysfs(tmp_path, "acpi_video0", 300)
    sysfs(root, "intel_backlight", 640, kind="firmware")  # the panel's own: preferred
    backlight = Backlight(root, bus_address=address)
    backlight.dim()
    backlight.dim()  # already off: the brightness kept is still the day's
    backlight.restore()
    assert calls(fake, 2) == [
        [*SESSION, ["backlight", "intel_backlight", 0]],
        [*SESSION, ["backlight", "intel_backlight", 640]],
    ]
    backlight.restore()  # nothing to restore: no call
    backlight.dim()
    assert calls(fake, 1) == [[*SESSION, ["backlight", "intel_backlight", 0]]]


def test_no_backlight_device_does_nothing_and_says_so_once(tmp_path, logind, caplog):
    address, fake = logind
    backlight = Backlight(tmp_path / "none", bus_address=address)
    with caplog.at_level(logging.INFO, "kiosk.backlight"):
        for _ in range(3):
            backlight.dim()
            backlight.restore()
    assert [r.getMessage() for r in caplog.records] == [
        f"the backlight stays as it is while the screen sleeps: no backlight device in "
        f"{tmp_path / 'none'}"
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records)
    backlight = Backlight(sysfs(tmp_path / "b", "intel_backlight", 5), bus_address=address)
    backlight.dim()
    assert calls(fake, 1) == [[*SESSION, ["backlight", "intel_backlight", 0]]]


def test_no_logind_does_nothing_and_says_so_once(tmp_path, bus, caplog):
    backlight = Backlight(sysfs(tmp_path, "intel_backlight", 640), bus_address=bus)
    with caplog.at_level(logging.INFO, "kiosk.backlight"):
        for _ in range(3):
            backlight.dim()
            backlight.restore()
    assert len(caplog.records) == 1 and caplog.records[0].levelno == logging.INFO
    assert "org.freedesktop.login1" in caplog.records[0].getMessage()


def test_logind_refusing_is_said_once(tmp_path, logind, caplog):
    address, fake = logind
    backlight = Backlight(sysfs(tmp_path, "refused", 640), bus_address=address)
    with caplog.at_level(logging.INFO, "kiosk.backlight"):
        backlight.dim()
        backlight.dim()
        backlight.restore()
    assert len(calls(fake, 1)) == 1  # tried once, then left alone
    assert [r.getMessage() for r in caplog.records] == [
        "the backlight stays as it is while the screen sleeps: logind: Call failed: Access denied"
    ]
