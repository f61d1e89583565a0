"""The data cockpit's funnels and handling times in headless Chromium: signed in as a
viewer, the page draws each service's funnel with the step that loses most citizens
marked, and the handling-time table; the screenshot stays in the test's tmp dir."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from kiosk.sync.client import BackendClient
from tests.backend.test_cockpit import PATHS, made_up
from tests.backend.test_console_browser import sign_in
from tests.services import chromium
from tests.services.backend import LiveBackend
from tests.sync.conftest import enrol
from wire.sync import Record, RecordBatch


def test_the_console_draws_the_funnels_and_handling_times(tmp_path: Path) -> None:
    reason = chromium.missing()
    if reason:
        pytest.skip(f"SERVICE UNAVAILABLE: Chromium: {reason}")
    backend = LiveBackend(tmp_path / "backend", time.time)
    backend.start()
    try:
        identity = enrol(backend, tmp_path / "t.json", "北京 海淀 1号机")
        rng = random.Random(7)
        sent = [made_up(rng, time.time())[1] for _ in range(120)]
        client = BackendClient(identity)
        client.call("POST", "/v1/records", RecordBatch(records=[
            Record(key=f"audit-{i:04d}", kind="audit", session=f"s-{i}", created_at=b["at"],
                   body=b) for i, b in enumerate(sent)
        ]))  # fmt: skip
        client.close()
        backend.console("watcher", role="viewer").close()  # the account
        shot = tmp_path / "cockpit.png"
        with chromium.live_page(f"{backend.url}/console") as page:
            sign_in(page, "watcher", "a password for watcher")
            page.wait_for("Number(document.body.dataset.cockpit || 0) >= 1")
            page.evaluate("document.getElementById('cockpit').scrollIntoView()")
            page.screenshot(shot)
            dom = page.evaluate("document.documentElement.outerHTML")
    finally:
        backend.stop()
        backend.app.state.engine.dispose()
    assert shot.stat().st_size > 10_000
    for service in PATHS:
        mine = [b for b in sent if b["flow"] == service]
        article = re.search(rf'<article class="funnel" data-service="{service}">(.*?)</article>',
                            dom, re.S)  # fmt: skip
        assert article, service
        assert f"{service} — {len(mine)} 次 / sessions" in article.group(1)
        gave_up: dict[str, int] = {}
        for b in mine:
            if b["end"] in ("cancelled", "timed_out"):
                gave_up[b["exit_step"]] = gave_up.get(b["exit_step"], 0) + 1
        most = max(gave_up.values())
        marked = re.findall(r'<tr class="worst" data-step="([^"]+)"', article.group(1))
        assert len(marked) == 1 and gave_up[marked[0]] == most
    durations = re.search(r'<table id="duration-table">(.*?)</table>', dom, re.S)
    assert durations and all(f'data-service="{s}"' in durations.group(1) for s in PATHS)
    assert re.search(r"<td>\d+\.\d s</td>", durations.group(1))
