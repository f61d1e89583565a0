"""The touchscreen journals every citizen's session (ui/session_driver.py): each
transition is in the terminal's database before its screen shows, with no personal
data; a session the window lost mid-payment is found open and paid, and settled."""

from __future__ import annotations

import json

import pytest

from flows.demo import DemoServices
from flows.loader import load_flow
from flows.recovery import settle_open_sessions
from kiosk.strings import catalogue
from offline_cache.database import connect
from offline_cache.journal import Journal
from tests.ui.conftest import TEST_FLOW, _built
from tests.ui.helpers import tap
from tests.ui.test_session import PHONE, to_the_confirm_step, wait_for


@pytest.fixture
def journal(tmp_path):
    db = connect(tmp_path / "kiosk.db")
    yield Journal(db)
    db.close()


@pytest.fixture
def journalled(qapp, journal):
    built = _built([str(TEST_FLOW)], journal=journal)
    kiosk = next(built)
    kiosk.closer = built
    yield kiosk
    next(built, None)  # closes the window (and checks it said no Qt warning)


def _sessions(journal: Journal) -> list[tuple]:
    return journal.db.execute(
        "SELECT session_id, flow, committed, outcome FROM journal_session"
    ).fetchall()


def test_a_whole_session_is_journalled_without_what_the_citizen_typed(qtbot, journalled, journal):
    kiosk = journalled
    to_the_confirm_step(qtbot, kiosk)
    tap(kiosk, "button_confirm")
    wait_for(qtbot, kiosk, "rate", timeout=20_000)
    tap(kiosk, "rate_5")
    wait_for(qtbot, kiosk, "done")
    tap(kiosk, "button_finish")
    wait_for(qtbot, kiosk, "home")
    ((session, flow, committed, outcome),) = _sessions(journal)
    assert (flow, outcome, committed) == ("test_renewal", "done", 0)
    entries = journal.entries(session)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert [e.to_step for e in entries][:3] == ["welcome", "reason", "contact"]
    assert entries[-1].outcome == "done" and journal.open_sessions() == []
    paid = next(e for e in entries if e.from_step == "pay")
    assert paid.committed and paid.facts  # the payment's reference: what a refund needs
    written = json.dumps([e.facts for e in entries], ensure_ascii=False)
    assert PHONE not in written


def test_a_session_the_window_lost_after_payment_is_settled_with_a_refund(
    qtbot, journalled, journal
):
    kiosk = journalled
    to_the_confirm_step(qtbot, kiosk)
    tap(kiosk, "button_confirm")
    wait_for(qtbot, kiosk, "working", timeout=20_000)  # paid; the slip is printing
    next(kiosk.closer, None)  # the power goes: nothing runs after this
    (found,) = journal.open_sessions()
    assert found.committed and found.current_step == "slip"
    flow = load_flow(TEST_FLOW, catalogue())
    (settled,) = settle_open_sessions(journal, {flow.flow: flow}, DemoServices(speed=20.0))
    assert (settled["session"], settled["outcome"]) == (found.session_id, "recovered")
    assert [s["step"] for s in settled["steps"]] == ["refund", "refunded"]
    assert journal.open_sessions() == []
