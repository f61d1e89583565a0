"""预警 in headless Chromium: an operator signs in and sees a terminal's paper running
out tonight at the top of the run-outs, the site expected busy in red in the heat
table, and its warning; acknowledges and resolves it with the page's own buttons; the
backend holds who did it."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.conftest import NAMES, Fleet, live_fleet
from tests.backend.harness import Clock
from tests.backend.test_console_browser import sign_in
from tests.backend.test_followups_browser import press
from tests.backend.test_forecast import DAY, HOUR, WEEK, beat, put_sessions
from tests.services import chromium


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    reason = chromium.missing()
    if reason:
        pytest.skip(f"SERVICE UNAVAILABLE: Chromium: {reason}")
    # near the real time (the browser keeps the cookie by its own clock), but ending at
    # an evening: the paper, out about 75 minutes after the last beat, runs out
    # tonight (before 08:00 China time) whatever the hour the test runs at
    clock = Clock(next_evening(time.time()) - 4 * HOUR)
    with live_fleet(tmp_path, clock) as found:
        for i in range(16):  # four hours: paper falls 3 points every 15 minutes, from 60
            beat(found, NAMES[0], {"paper": 60 - 3 * i, "ribbon": 90})
            clock.advance(900)
        hour = math.floor(clock() / HOUR) * HOUR
        put_sessions(found, [(NAMES[2], hour + 2 * HOUR - k * WEEK + 60 * i, "finished")
                             for k in range(1, 5) for i in range(12)])  # fmt: skip
        yield found


def next_evening(now: float) -> float:
    """The first 20:00 China time (UTC+8) at or after `now`: at most a day ahead, so
    the console's cookie, dated by this clock, outlives the test."""
    china = 8 * HOUR
    evening = math.floor((now + china) / DAY) * DAY - china + 20 * HOUR
    return evening if evening >= now else evening + DAY


def test_an_operator_sees_the_forecasts_and_handles_a_warning(fleet: Fleet, tmp_path: Path) -> None:
    fleet.backend.console("otto", role="operator").close()  # the account
    busy_row = "#warnings-list tr[data-kind=busy]"
    with chromium.live_page(f"{fleet.backend.url}/console", size="1280,1400") as page:
        sign_in(page, "otto", "a password for otto")
        page.wait_for("document.body.dataset.warningsOpen === '2'")  # busy, paper
        first = "document.querySelector('#runouts tbody tr')"
        assert page.evaluate(f"{first}.dataset.consumable") == "paper"
        assert page.evaluate(f"{first}.classList.contains('tonight')")
        assert "今晚 / tonight" in page.evaluate(f"{first}.innerText")
        assert page.evaluate("document.body.dataset.busyHours") == "1"
        busy = page.evaluate("document.querySelector('#load td.busy').textContent")
        assert busy == "12.0"
        assert "上海 浦东" in page.evaluate("document.querySelector('#load thead').innerText")
        assert "网点繁忙 / site busy" in page.evaluate(
            f"document.querySelector('{busy_row}').innerText")  # fmt: skip
        page.evaluate("document.getElementById('forecasts').scrollIntoView()")
        page.screenshot(tmp_path / "warnings-raised.png")

        press(page, f"{busy_row} button.acknowledge")
        page.wait_for(f"document.querySelector('{busy_row}')?.dataset.state === 'acknowledged'")
        assert "otto ✓" in page.evaluate(f"document.querySelector('{busy_row}').innerText")
        press(page, f"{busy_row} button.resolve")
        page.wait_for("document.body.dataset.warningsOpen === '1'")
        assert page.evaluate(f"document.querySelector('{busy_row}')") is None  # not open
        page.screenshot(tmp_path / "warnings-resolved.png")
    assert (tmp_path / "warnings-raised.png").stat().st_size > 10_000
    with fleet.backend.console() as chief:
        found = fleet.get(chief, "/console/api/warnings", state="resolved")["warnings"]
    (warning,) = found
    assert (warning["kind"], warning["acknowledged_by"], warning["resolved_by"]) == (
        "busy", "otto", "otto")  # fmt: skip
