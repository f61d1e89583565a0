"""The scan_document step through the real QML on the A4 scanner's real driver (SANE's
test backend behind scanimage): the citizen lays the paper and taps Scan, sees the
page, scans again, confirms; the page is held for the session only, its result
names it, and nothing of it is left once the session ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drivers.scanner_a4.driver import SaneScanner
from drivers.scanner_a4.simulator import SaneScannerSimulator, ScannerProfile
from flows.results import ScannedDocument
from kiosk.steps.chain import ServiceChain
from kiosk.steps.scanning import DocumentScans
from tests.ui.helpers import find, shown, tap

FLOW = Path(__file__).with_name("flows") / "scan_paper.yaml"


@pytest.fixture
def scan_kiosk(qapp):
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    simulator = SaneScannerSimulator(ScannerProfile(picture="Grid")).start()
    scanner = SaneScanner(simulator.address)
    assert scanner.open().result().ok
    scans = DocumentScans({"scanner_a4": scanner})
    services = ServiceChain(scans)
    factory = shell_factory(catalogue(), extra_flows=[str(FLOW)], step_services=services)
    built = Kiosk(factory, catalogue(), size=(1080, 1920))
    built.window.show()
    built.settle(100)
    built.scans, built.simulator = scans, simulator
    try:
        yield built
    finally:
        built.close()
        scanner.close()
        simulator.stop()


# a scan's wait: 2 s here alone, over 10 s once in a whole-suite run on a loaded machine
# (SANE's test backend draws the page, then the PNG and the preview); a waitUntil ends
# as soon as the scan is ready, so the margin costs nothing
SCAN_MS = 30_000


def _state(kiosk) -> str:
    return str(kiosk.shell.progress.get("scan", ""))


def test_a_paper_scanned_again_then_kept_and_wiped_at_the_end(qtbot, scan_kiosk):
    kiosk = scan_kiosk
    tap(kiosk, "tile_scan_paper")
    qtbot.waitUntil(lambda: kiosk.shell.stepType == "scan_document", timeout=5_000)
    qtbot.waitUntil(lambda: _state(kiosk) == "place", timeout=5_000)
    assert shown(find(kiosk, "button_scan"))

    # a lid left open: said on the screen, scanned again once closed
    kiosk.simulator.faults.inject("cover_open")
    tap(kiosk, "button_scan")
    qtbot.waitUntil(lambda: _state(kiosk) == "problem", timeout=10_000)
    assert kiosk.shell.progress["error"] == "cover_open"
    assert kiosk.scans.pages == {}
    kiosk.simulator.clear()
    tap(kiosk, "button_scan_again")
    qtbot.waitUntil(lambda: _state(kiosk) == "ready", timeout=SCAN_MS)
    assert kiosk.shell.progress["shot"] == 1
    first = kiosk.scans.pages["document-1"]
    assert first.startswith(b"\x89PNG")
    kiosk.settle(300)
    assert shown(find(kiosk, "scan_preview"))
    assert shown(find(kiosk, "button_scan_keep")) and shown(find(kiosk, "button_scan_again"))
    picture = kiosk.window.grabWindow()
    if os.environ.get("PNG_DIR"):
        picture.save(str(Path(os.environ["PNG_DIR"]) / "scan_document.png"))
    preview = find(kiosk, "scan_preview")
    centre = preview.mapToScene(preview.boundingRect().center())
    # the grid's black and white squares are on the screen, not a blank frame
    row = {picture.pixelColor(int(centre.x()) + dx, int(centre.y())).value()
           for dx in range(-200, 200, 4)}  # fmt: skip
    assert min(row) < 60 and max(row) > 200, sorted(row)

    tap(kiosk, "button_scan_again")  # not clear enough: once more
    qtbot.waitUntil(
        lambda: _state(kiosk) == "ready" and kiosk.shell.progress.get("shot") == 2,
        timeout=SCAN_MS,
    )
    assert list(kiosk.scans.pages) == ["document-1"]  # the new page replaced the first
    tap(kiosk, "button_scan_keep")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=10_000)

    result = kiosk.shell.driver.session.collected["paper"]
    assert isinstance(result, ScannedDocument)
    assert (result.document_ref, result.pages, result.resolution) == ("document-1", 1, 100)
    assert (result.width_mm, result.height_mm) == (210.0, 297.0)
    assert "png" not in result.model_dump_json()
    assert kiosk.scans.pages  # still there while the session lasts

    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)
    assert kiosk.scans.pages == {}  # wiped with the session
    assert kiosk.scan_images.source("document-1") is None


def test_a_jam_fails_the_step(qtbot, scan_kiosk):
    kiosk = scan_kiosk
    tap(kiosk, "tile_scan_paper")
    qtbot.waitUntil(lambda: _state(kiosk) == "place", timeout=5_000)
    kiosk.simulator.faults.inject("jam")
    tap(kiosk, "button_scan")
    # the flow names no error path: the session ends there, as failed
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=10_000)
    assert kiosk.shell.driver.last_steps[-1]["left_by"] == "failed"
    assert kiosk.scans.pages == {}
