"""The A4 scanner's driver through the real scanimage and libsane, on SANE's `test`
backend in a private configuration: the pages decoded with PIL (their size is the
resolution times the page, their mode gray or colour, the test pictures' colours),
each fault, cancel mid-scan, timeout."""

from __future__ import annotations

import io
import itertools
import subprocess
import time

import pytest
from PIL import Image

from drivers.model import Code, DeviceState, StatusChanged
from drivers.scanner_a4.driver import SaneScanner, png_size
from drivers.scanner_a4.simulator import SaneScannerSimulator, ScannerProfile


@pytest.fixture
def bench():
    made = []

    def make(**profile):
        simulator = SaneScannerSimulator(ScannerProfile(**profile)).start()
        events = []
        driver = SaneScanner(simulator.address, on_event=events.append)
        made.append((driver, simulator))
        assert driver.open().result().ok
        driver.events = events
        return driver, simulator

    yield make
    for driver, simulator in made:
        driver.close()
        simulator.stop()


def image(done) -> Image.Image:
    assert done.ok, (done.code, done.error)
    return Image.open(io.BytesIO(done.data["png"]))


@pytest.mark.parametrize(
    ("resolution", "page", "size"),
    [
        (100, "a4", (826, 1169)),
        (200, "a4", (1653, 2338)),
        (150, "a5", (874, 1240)),
        (300, (86.0, 54.0), (1015, 637)),
    ],
)
def test_the_page_is_the_resolution_times_its_size(bench, resolution, page, size):
    driver, _ = bench(picture="Solid white")
    done = driver.scan(resolution, "gray", page).result()
    picture = image(done)
    assert picture.size == size == (done.data["width_px"], done.data["height_px"])
    assert picture.mode == "L"
    assert picture.getextrema() == (255, 255)  # white
    assert done.data["resolution"] == resolution


def test_colour_and_gray(bench):
    driver, _ = bench(picture="Solid black")
    colour = image(driver.scan(100, "color").result())
    assert colour.mode == "RGB" and colour.getextrema() == ((0, 0), (0, 0), (0, 0))
    gray = image(driver.scan(100, "gray").result())
    assert gray.mode == "L" and gray.getextrema() == (0, 0)


def test_the_colour_pattern_has_its_ramps(bench):
    """The test backend's colour pattern: red, green and blue ramps on gray."""
    driver, _ = bench(picture="Color pattern")
    colours = {c for _, c in image(driver.scan(100, "color").result()).getcolors(1 << 20)}
    assert (85, 85, 85) in colours
    for channel in range(3):
        ramp = {c[channel] for c in colours if sum(c) == c[channel]}
        assert len(ramp) > 50 and max(ramp) > 200, f"channel {channel}: {sorted(ramp)[:10]}"


def test_the_grid_is_black_and_white_squares_of_10_mm(bench):
    driver, _ = bench(picture="Grid")
    picture = image(driver.scan(254, "gray", (40.0, 40.0)).result())  # 10 px a mm
    assert picture.size == (400, 400)
    assert {c for _, c in picture.getcolors()} == {0, 255}
    row = [picture.getpixel((x, 50)) for x in range(0, 400, 10)]
    flips = sum(a != b for a, b in itertools.pairwise(row))
    assert flips == 3  # four 10 mm squares across 40 mm


@pytest.mark.parametrize(
    ("fault", "code", "state", "media"),
    [
        ("no_paper", Code.USER_ERROR, DeviceState.USER_ERROR, {"feeder": "empty"}),
        ("cover_open", Code.USER_ERROR, DeviceState.USER_ERROR, {"cover": "open"}),
        ("jam", Code.HARDWARE_ERROR, DeviceState.HARDWARE_ERROR, {"feeder": "jammed"}),
        ("busy", Code.DEVICE_NOT_READY, DeviceState.BUSY, {}),
        ("io_error", Code.HARDWARE_ERROR, DeviceState.HARDWARE_ERROR, {}),
    ],
)
def test_each_fault(bench, fault, code, state, media):
    driver, simulator = bench()
    simulator.faults.inject(fault)
    done = driver.scan(100, "gray").result()
    assert (done.code, done.error, done.data) == (code, fault, None)
    assert driver.status.device is state
    assert media.items() <= driver.status.media.items()
    assert any(isinstance(e, StatusChanged) and e.after.device is state for e in driver.events)
    assert driver.scan(100, "gray").result().error == fault  # it stays until put right
    simulator.clear()
    assert driver.scan(100, "gray").result().ok
    assert driver.status.device is DeviceState.ONLINE


def test_the_recovery_hints(bench):
    driver, simulator = bench()
    hints = {}
    for fault in ("no_paper", "cover_open", "jam", "busy"):
        simulator.clear()
        simulator.faults.inject(fault)
        hints[fault] = driver.scan(100, "gray").result().recovery.value
    assert hints == {
        "no_paper": "user_action", "cover_open": "user_action",
        "jam": "operator", "busy": "retry",
    }  # fmt: skip


def _scanimages(folder) -> list[str]:
    found = subprocess.run(["pgrep", "-f", f"scanimage.*{folder}|scanimage -d test"],
                           capture_output=True, text=True)  # fmt: skip
    return found.stdout.split()


def test_cancel_mid_scan_kills_the_scan(bench):
    driver, simulator = bench(slow_ms=100)  # ~6 s for an A4 page at 200 dpi
    handle = driver.scan(200, "gray")
    time.sleep(0.6)
    assert not handle.finished()
    started = time.monotonic()
    handle.cancel()
    done = handle.result()
    assert done.code is Code.CANCELED and done.data is None
    assert time.monotonic() - started < 0.5
    time.sleep(0.2)
    assert _scanimages(simulator.folder) == []  # the scan itself is gone
    simulator.profile.slow_ms = 0
    simulator.save()
    assert driver.scan(100, "gray").result().ok


def test_timeout_ends_the_scan(bench):
    driver, simulator = bench(slow_ms=100)
    started = time.monotonic()
    done = driver.scan(200, "gray", timeout_s=1.0).result()
    assert done.code is Code.TIMEOUT and done.data is None
    assert time.monotonic() - started < 1.4
    assert driver.status.device is DeviceState.OFFLINE
    time.sleep(0.2)
    assert _scanimages(simulator.folder) == []
    simulator.profile.slow_ms = 0
    simulator.save()
    assert driver.query_status().result().ok
    assert driver.status.device is DeviceState.ONLINE


def test_a_slow_scan_that_fits_its_timeout_succeeds(bench):
    driver, _ = bench(slow_ms=20)
    done = driver.scan(100, "gray", timeout_s=20).result()
    assert done.ok and done.elapsed_s > 0.2


def test_unplugged_and_back(bench):
    driver, simulator = bench()
    assert driver.identity == "Noname:frontend-tester"
    simulator.faults.inject("disconnect", 800)
    time.sleep(0.2)
    done = driver.scan(100, "gray").result()
    assert (done.code, done.error) == (Code.LINK_LOST, "no_device")
    assert driver.status.device is DeviceState.NO_DEVICE
    time.sleep(1.0)
    assert driver.scan(100, "gray").result().ok


def test_only_the_private_configuration_is_used(bench):
    """The simulator's folder lists the test backend alone: no system scanner is probed."""
    _, simulator = bench()
    assert (simulator.folder / "dll.conf").read_text().split() == ["test"]
    listing = subprocess.run(
        ["scanimage", "-f", "%d%n", "-L"], capture_output=True, text=True, timeout=30,
        env={"SANE_CONFIG_DIR": str(simulator.folder), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert listing.stdout.split() == ["test:0"]


@pytest.mark.parametrize(
    "broken",
    [b"", b"\x89PNG\r\n\x1a\n", b"GIF89a" + bytes(60)],
)
def test_what_is_not_a_whole_png_is_refused(broken):
    from drivers.model import ProtocolError

    with pytest.raises(ProtocolError):
        png_size(broken)


def test_a_cut_off_png_is_refused():
    from drivers.model import ProtocolError

    out = io.BytesIO()
    Image.new("L", (20, 10), 255).save(out, "PNG")
    whole = out.getvalue()
    assert png_size(whole) == (20, 10, 0)
    with pytest.raises(ProtocolError):
        png_size(whole[:-12])


def test_a_scanimage_that_hangs_after_saying_why_is_ended(tmp_path, monkeypatch):
    """SANE's test backend now and then hangs in sane_cancel after an error: the
    status scanimage printed stands, and the hung process is ended within the grace."""
    import drivers.scanner_a4.driver as module

    fake = tmp_path / "scanimage"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$*" in *-L*) printf "test:0\\tNoname\\tfrontend-tester\\n"; exit 0;; esac\n'
        'echo "scanimage: sane_read: Document feeder jammed" >&2\nexec sleep 30\n'
    )
    fake.chmod(0o755)
    monkeypatch.setattr(module, "SCANIMAGE", str(fake))
    driver = SaneScanner("test:0")
    try:
        started = time.monotonic()
        done = driver.scan(100, "gray", timeout_s=10).result()
        took = time.monotonic() - started
        assert (done.code, done.error) == (Code.HARDWARE_ERROR, "jam")
        assert took < 2.0
    finally:
        driver.close()
