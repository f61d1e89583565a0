"""The fleet console in headless Chromium, signed in through its own form: the page
loads its scripts and the chart library from the backend (no CDN), draws the fleet,
shows an administrator the audit log, and says so when the password is wrong."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
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


def sign_in(page: chromium.Page, name: str, password: str) -> None:
    page.wait_for("document.body?.dataset.signin === '1'")
    page.type("#name", name)
    page.type("#password", password)
    page.click("#signin button[type=submit]")


def test_the_console_draws_the_fleet(fleet: LiveBackend, tmp_path: Path) -> None:
    fleet.console().close()  # the account
    shot = tmp_path / "console.png"
    with chromium.live_page(f"{fleet.url}/console") as page:
        sign_in(page, "chief", "a password for chief")
        page.wait_for("document.body.dataset.rendered === '1'")
        page.wait_for("document.querySelectorAll('#audit-log tbody tr').length > 0")
        page.screenshot(shot)
        dom = page.evaluate("document.documentElement.outerHTML")
        assert page.evaluate("document.cookie") == ""  # HttpOnly: no script reads it
    rows = re.findall(r'<tr[^>]*data-terminal="(T[0-9a-f]{12})"[^>]*>(.*?)</tr>', dom, re.S)
    assert len(rows) == 2
    faulty = [row for _, row in rows if "printer: fault (paper jam)" in row]
    assert len(faulty) == 1 and "北京 朝阳 2号机" in faulty[0]
    assert re.search(r'<span id="online">2</span>', dom)
    assert re.search(r'<span id="faulty">1</span>', dom)
    assert "chief (administrator)" in dom and "sign_in" in dom  # the audit log
    # Chart.js took both canvases (it sizes them when it does) and drew in colour
    with Image.open(shot) as picture:
        pixels = np.asarray(picture.convert("RGB")).astype(int)
    colour = int(((pixels.max(axis=2) - pixels.min(axis=2)) > 80).sum())
    assert colour > 2000
    assert len(re.findall(r"<canvas[^>]*box-sizing: border-box", dom)) == 2
    assert shot.stat().st_size > 10_000


def test_a_wrong_password_is_said_and_a_viewer_sees_no_audit_log(fleet: LiveBackend) -> None:
    fleet.console("vera", role="viewer").close()
    with chromium.live_page(f"{fleet.url}/console") as page:
        sign_in(page, "vera", "not her password")
        page.wait_for("document.getElementById('signin-error').textContent !== ''")
        said = page.evaluate("document.getElementById('signin-error').innerText")
        assert "Cannot sign in" in said
        assert page.evaluate("document.getElementById('desk').hidden") is True
        page.evaluate("document.getElementById('name').value = ''")
        sign_in(page, "vera", "a password for vera")
        page.wait_for("document.body.dataset.rendered === '1'")
        assert page.evaluate("document.getElementById('audit').hidden") is True
        page.click("#signout")
        page.wait_for("document.body.dataset.signin === '1'")
        assert page.evaluate("document.getElementById('desk').hidden") is True


def test_a_help_request_chimes_and_is_acknowledged(fleet: LiveBackend, tmp_path: Path) -> None:
    """The operator's side of 求助: a terminal's help record shows on the open
    console within the poll, with a chime and the count in the tab's title; the
    operator's click on the row's button acknowledges it on the backend."""
    booth = enrol(fleet, tmp_path / "booth.json", "北京 西城 3号机")
    fleet.console("otto", role="operator").close()
    with chromium.live_page(f"{fleet.url}/console") as page:
        sign_in(page, "otto", "a password for otto")
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
    with fleet.console() as browser:
        answer = browser.get(f"{fleet.url}/console/api/help", timeout=5).json()
    assert answer["open"] == 0 and answer["requests"][0]["acked_at"] is not None
