"""The data cockpit's funnels and handling times in headless Chromium: signed in as a
viewer, the page draws each service's funnel with the step that loses most citizens
marked, and the handling-time table; the screenshot stays in the test's tmp dir."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.backend.test_cockpit import PATHS, one_terminal_sends
from tests.backend.test_console_browser import sign_in
from tests.services import chromium
from tests.services.backend import LiveBackend


def test_the_console_draws_the_funnels_and_handling_times(tmp_path: Path) -> None:
    reason = chromium.missing()
    if reason:
        pytest.skip(f"SERVICE UNAVAILABLE: Chromium: {reason}")
    backend = LiveBackend(tmp_path / "backend", time.time)
    backend.start()
    try:
        sent = one_terminal_sends(backend, tmp_path, 120, seed=7)
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
