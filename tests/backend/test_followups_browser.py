"""差评回访 in headless Chromium: an operator signs in, sees the overdue follow-up of a
one-star rating highlighted with the warning, and takes it through assign, answer and
close with the page's own buttons; the backend holds what the page did."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.followups import DEFAULT_DUE_S
from kiosk.sync.client import BackendClient
from tests.backend.harness import Clock
from tests.backend.test_console_browser import sign_in
from tests.services import chromium
from tests.services.backend import LiveBackend
from tests.sync.conftest import enrol
from wire.sync import Record, RecordBatch


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[tuple[LiveBackend, Clock]]:
    reason = chromium.missing()
    if reason:
        pytest.skip(f"SERVICE UNAVAILABLE: Chromium: {reason}")
    clock = Clock(time.time())  # the browser keeps the cookie by its own clock
    backend = LiveBackend(tmp_path / "backend", clock)
    backend.start()
    booth = BackendClient(enrol(backend, tmp_path / "booth.json", "北京 海淀 1号机"), clock=clock)
    ratings = [
        Record(key=f"rating-{stars}-star", kind="rating", session=f"s{stars}",
               created_at=clock(), body={"transaction": f"s{stars}", "service": "proof",
                                         "stars": stars, "reason": "waiting"})
        for stars in (1, 5)
    ]  # fmt: skip
    booth.call("POST", "/v1/records", RecordBatch(records=ratings))
    clock.advance(DEFAULT_DUE_S + 60)  # a minute past its deadline
    booth.close()
    yield backend, clock
    backend.stop()
    backend.app.state.engine.dispose()


def press(page: chromium.Page, selector: str) -> None:
    """Scrolls the element into view (the section is below the fold), then clicks it."""
    page.wait_for(f"document.querySelector({json.dumps(selector)}) !== null")
    page.evaluate(
        f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'center'}})"
    )
    page.click(selector)


def test_an_operator_sees_an_overdue_follow_up_and_closes_it(
    fleet: tuple[LiveBackend, Clock], tmp_path: Path
) -> None:
    backend, _clock = fleet
    backend.console("otto", role="operator").close()  # the account
    row = "#followups-list tr[data-followup]"
    with chromium.live_page(f"{backend.url}/console") as page:
        sign_in(page, "otto", "a password for otto")
        page.wait_for("document.body.dataset.followupsOverdue === '1'")
        assert page.evaluate(f"document.querySelectorAll('{row}').length") == 1  # 1 star only
        assert page.evaluate(f"document.querySelector('{row}').classList.contains('overdue')")
        red = page.evaluate(f"getComputedStyle(document.querySelector('{row} td')).backgroundColor")
        assert red == "rgb(253, 227, 222)"  # highlighted
        assert "逾期 / overdue" in page.evaluate(f"document.querySelector('{row}').innerText")
        assert page.evaluate("document.getElementById('followups-warning').hidden") is False
        assert page.evaluate("document.getElementById('followups-overdue').textContent") == "1"
        page.evaluate("document.getElementById('followups').scrollIntoView()")
        page.screenshot(tmp_path / "followups-overdue.png")

        press(page, f"{row} button.assign")  # to herself: the field holds her name
        page.wait_for(f"document.querySelector('{row}')?.dataset.state === 'assigned'")
        press(page, f"{row} input.text")
        page.send("Input.insertText", text="已电话回访，已致歉 / called back")
        press(page, f"{row} button.answer")
        page.wait_for(f"document.querySelector('{row}')?.dataset.state === 'answered'")
        press(page, f"{row} button.close")
        page.wait_for(f"document.querySelectorAll('{row}').length === 0")  # closed: off the list
        assert page.evaluate("document.getElementById('followups-warning').hidden") is True
        page.screenshot(tmp_path / "followups-closed.png")
    assert (tmp_path / "followups-overdue.png").stat().st_size > 10_000
    with backend.console() as browser:
        answer = browser.get(f"{backend.url}/console/api/followups", timeout=5).json()
    (ticket,) = answer["followups"]
    assert (ticket["state"], ticket["assignee"], ticket["closed_by"]) == ("closed", "otto", "otto")
    assert ticket["answer"] == "已电话回访，已致歉 / called back"
    assert answer["overdue"] == 0
