"""The fleet console in headless Chromium: the page loads its scripts and the chart
library from the backend (no CDN), draws the fleet, and says so when the token is
wrong."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
import requests
from PIL import Image

from kiosk.sync.client import BackendClient
from tests.services import chromium
from tests.services.backend import LiveBackend
from tests.sync.conftest import enrol
from wire.sync import DeviceReport, Heartbeat, OutboxReport, Record, RecordBatch


@pytest.fixture
def fleet(tmp_path: Path):  # type: ignore[no-untyped-def]
    reason = chromium.missing()
    if reason:
        pytest.skip(f"SERVICE UNAVAILABLE: Chromium: {reason}")
    backend = LiveBackend(tmp_path / "backend", time.time)
    backend.start()
    for name, printer in (("北京 海淀 1号机", "online"), ("北京 朝阳 2号机", "fault")):
        identity = enrol(backend, tmp_path / f"{name}.json", name)
        client = BackendClient(identity)
        client.call("POST", "/v1/heartbeat", Heartbeat(
            terminal_time=time.time(), software_version="0.1.0",
            devices={"printer": DeviceReport(status=printer, detail="paper jam")},
            consumables={"paper": 80}, outbox=OutboxReport(depth=2, oldest_age_s=30),
        ))  # fmt: skip
        records = [
            Record(key=f"{identity.terminal_id}-{i:03d}", kind="application", session=None,
                   created_at=time.time(), body={"service": service})
            for i, service in enumerate(["id_renewal", "proof", "proof", "photo"])
        ]  # fmt: skip
        records.append(Record(key=f"{identity.terminal_id}-r", kind="rating", session=None,
                              created_at=time.time(),
                              body={"transaction": identity.terminal_id, "stars": 5}))  # fmt: skip
        client.call("POST", "/v1/records", RecordBatch(records=records))
        client.close()
    yield backend
    backend.stop()
    backend.app.state.engine.dispose()


def test_the_console_draws_the_fleet(fleet: LiveBackend, tmp_path: Path) -> None:
    shot = tmp_path / "console.png"
    dom = chromium.render(f"{fleet.url}/console#token=operator", screenshot=shot)
    assert 'data-rendered="1"' in dom, dom[:2000]
    rows = re.findall(r'<tr[^>]*data-terminal="(T[0-9a-f]{12})"[^>]*>(.*?)</tr>', dom, re.S)
    assert len(rows) == 2
    faulty = [row for _, row in rows if "printer: fault (paper jam)" in row]
    assert len(faulty) == 1 and "北京 朝阳 2号机" in faulty[0]
    assert re.search(r'<span id="online">2</span>', dom)
    assert re.search(r'<span id="faulty">1</span>', dom)
    # Chart.js took both canvases (it sizes them when it does) and drew in colour
    with Image.open(shot) as picture:
        pixels = np.asarray(picture.convert("RGB")).astype(int)
    colour = int(((pixels.max(axis=2) - pixels.min(axis=2)) > 80).sum())
    assert colour > 2000
    assert len(re.findall(r"<canvas[^>]*box-sizing: border-box", dom)) == 2
    assert shot.stat().st_size > 10_000


def test_a_wrong_token_is_said_on_the_page(fleet: LiveBackend) -> None:
    dom = chromium.render(f"{fleet.url}/console#token=wrong")
    assert 'data-failed="1"' in dom
    assert "the operator token is missing or wrong" in dom


def test_a_help_request_chimes_and_is_acknowledged(fleet: LiveBackend, tmp_path: Path) -> None:
    """The operator's side of 求助: a terminal's help record shows on the open
    console within the poll, with a chime and the count in the tab's title; the
    operator's click on the row's button acknowledges it on the backend."""
    booth = enrol(fleet, tmp_path / "booth.json", "北京 西城 3号机")
    with chromium.live_page(f"{fleet.url}/console#token=operator") as page:
        page.wait_for("document.body?.dataset.help === '0'")  # loaded
        page.click("#sound")  # the click that lets the page make sound
        client = BackendClient(booth)
        client.call("POST", "/v1/records", RecordBatch(records=[Record(
            key="help-browser-1", kind="help", session=None, created_at=time.time(),
            body={"service": "proof", "screen": "step", "step": "use", "language": "en",
                  "elderly": True})]))  # fmt: skip
        client.close()
        page.wait_for("document.body.dataset.help === '1'", timeout_s=10)
        assert int(page.evaluate("document.body.dataset.chimes")) >= 1
        assert page.evaluate("document.title").startswith("(1) 求助")
        row = page.evaluate("document.querySelector('#help-requests tbody tr').innerText")
        assert "北京 西城 3号机" in row and "proof · use" in row and "large text" in row
        page.screenshot(tmp_path / "help.png")
        page.click("#help-requests button.ack")
        page.wait_for("document.body.dataset.help === '0'", timeout_s=10)
        assert not page.evaluate("document.title").startswith("(")
    operator = {"Authorization": "Bearer operator"}
    answer = requests.get(f"{fleet.url}/console/api/help", headers=operator, timeout=5).json()
    assert answer["open"] == 0 and answer["requests"][0]["acked_at"] is not None
