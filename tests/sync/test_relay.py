"""The relay against a real backend on loopback, through a network that fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import StoredRecord
from offline_cache.outbox import BACKOFF_CAP_S
from tests.backend.harness import Clock
from tests.services.backend import LiveBackend
from tests.sync.conftest import Terminal


def _at_backend(backend: LiveBackend) -> list[StoredRecord]:
    with Session(backend.app.state.engine) as db:
        return list(db.scalars(select(StoredRecord).order_by(StoredRecord.seq)))


def _queue(terminal: Terminal, count: int, sessions: int = 3, start: int = 0) -> list[str]:
    keys = []
    for i in range(start, start + count):
        with terminal.outbox.transaction():
            keys.append(terminal.outbox.add(
                "application", {"service": "proof", "n": i, "id_number": "110101199001011234"},
                session=f"s{i % sessions}",
            ))  # fmt: skip
    return keys


@pytest.mark.parametrize("suite", ["gm", "intl"])  # the deployment's and the terminal's
def test_the_outbox_drains_once_in_order_and_leaves_nothing_behind(
    terminal: Terminal, live_backend: LiveBackend, suite: str
) -> None:
    assert terminal.identity.key.suite == suite
    keys = _queue(terminal, 120)
    done = terminal.link.relay.drain()
    assert (done.sent, done.failed, done.duplicates) == (120, 0, 0)
    stored = _at_backend(live_backend)
    assert [r.key for r in stored] == keys
    assert terminal.outbox.status()["depth"] == 0
    raw = terminal.outbox.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    assert raw == 0  # the personal data is gone from the terminal


def test_an_answer_lost_after_the_backend_stored_is_sent_again_and_counted_once(
    terminal: Terminal, live_backend: LiveBackend, clock: Clock
) -> None:
    keys = _queue(terminal, 10)
    live_backend.network.lose_answers = 1
    first = terminal.link.relay.send_once()
    assert first.failed == 10 and terminal.outbox.status()["depth"] == 10
    assert len(_at_backend(live_backend)) == 10  # it did store them
    assert terminal.link.relay.send_once().waiting  # backing off
    clock.advance(BACKOFF_CAP_S)
    again = terminal.link.relay.drain()
    assert (again.sent, again.duplicates) == (10, 10)
    assert [r.key for r in _at_backend(live_backend)] == keys
    assert terminal.outbox.status()["depth"] == 0


def test_an_overloaded_backend_gets_nothing_until_its_retry_after(
    terminal: Terminal, live_backend: LiveBackend, clock: Clock
) -> None:
    _queue(terminal, 5)
    live_backend.network.overloaded = True
    assert terminal.link.relay.send_once().failed == 5
    live_backend.network.overloaded = False
    before = live_backend.network.requests
    clock.advance(29)
    assert terminal.link.relay.send_once().waiting
    assert live_backend.network.requests == before  # not even asked
    clock.advance(BACKOFF_CAP_S)
    assert terminal.link.relay.drain().sent == 5


def test_a_slow_backend_gets_smaller_batches_then_bigger_again(
    terminal: Terminal, live_backend: LiveBackend
) -> None:
    relay = terminal.link.relay
    relay.slow_s = 0.2
    _queue(terminal, 200)
    live_backend.network.delay_s = 0.3
    sizes = []
    for _ in range(3):
        sizes.append(relay.send_once().sent)
    live_backend.network.delay_s = 0
    for _ in range(3):
        sizes.append(relay.send_once().sent)
    assert sizes[:3] == [50, 25, 12] and sizes[3:] == [6, 12, 24]


def test_a_record_the_backend_holds_with_another_body_is_held_not_resent(
    terminal: Terminal, live_backend: LiveBackend, clock: Clock
) -> None:
    outbox = terminal.outbox
    outbox.add("rating", {"transaction": "T1", "stars": 5}, session="s1", key="rating-T1-000")
    assert terminal.link.relay.drain().sent == 1
    outbox.add("rating", {"transaction": "T1", "stars": 2}, session="s1", key="rating-T1-000")
    outbox.add("rating", {"transaction": "T2", "stars": 4}, session="s1", key="rating-T2-000")
    done = terminal.link.relay.drain()
    assert (done.held, done.sent) == (1, 1)  # the session goes on without it
    clock.advance(BACKOFF_CAP_S)
    assert terminal.link.relay.drain().sent == 0  # and it is not sent again
    status = outbox.status()
    assert (status["depth"], status["held"], status["escalated"]) == (1, 1, 1)
    assert [r.body["stars"] for r in _at_backend(live_backend)] == [5, 4]


def test_hours_offline_queue_then_drain_in_order(
    terminal: Terminal, live_backend: LiveBackend, clock: Clock
) -> None:
    """Six hours without the backend (virtual time): a record every ten minutes, the
    relay trying each time; then the backend is back and everything arrives once."""
    live_backend.stop()
    keys: list[str] = []
    for step in range(36):
        keys += _queue(terminal, 2, start=2 * step)
        assert terminal.link.relay.send_once().sent == 0
        clock.advance(600)
    status = terminal.outbox.status()
    assert status["depth"] == 72 and status["oldest_age_s"] == 36 * 600
    assert status["last_error"]["error"].startswith("ConnectionError")
    live_backend.start()
    clock.advance(BACKOFF_CAP_S)
    assert terminal.link.relay.drain().sent == 72
    stored = _at_backend(live_backend)
    assert [r.key for r in stored] == keys
    for session in ("s0", "s1", "s2"):
        numbers = [r.body["n"] for r in stored if r.session == session]
        assert numbers == sorted(numbers)


def test_a_session_waits_behind_its_own_failed_record(
    terminal: Terminal, live_backend: LiveBackend, clock: Clock
) -> None:
    outbox = terminal.outbox
    first = outbox.add("queue_ticket", {"n": 1}, session="A")
    outbox.failed([first], "pretend it failed")  # backing off
    outbox.add("queue_ticket", {"n": 2}, session="A")
    other = outbox.add("queue_ticket", {"n": 3}, session="B")
    assert terminal.link.relay.drain().sent == 1
    assert [r.key for r in _at_backend(live_backend)] == [other]
    clock.advance(BACKOFF_CAP_S)
    terminal.link.relay.drain()
    assert [r.body["n"] for r in _at_backend(live_backend) if r.session == "A"] == [1, 2]


def test_heartbeat_pulls_the_config_only_when_it_changed(
    terminal: Terminal, live_backend: LiveBackend
) -> None:
    link = terminal.link
    assert link.cached_config() is None
    reply = link.heartbeat()
    pack = link.cached_config()
    assert pack is not None and pack.etag == reply.config_etag and pack.issuer_keys
    before = live_backend.network.requests
    link.heartbeat()
    assert live_backend.network.requests == before + 1  # no pull: the ETag is the same
    assert not link.pull_config()  # 304


def test_a_city_pack_from_the_backend_is_the_one_in_use(
    terminal: Terminal, live_backend: LiveBackend, tmp_path: Path
) -> None:
    """The backend serves a city's own pack; after the pull the terminal reads it
    (its issuer prints on proofs), from its database, after a restart too."""
    from backend.terminals import load_config_pack
    from kiosk.citypack import PACK_FILE, PACKS, parse_pack
    from kiosk.sync.link import pulled_city_file

    folder = tmp_path / "beijing"
    folder.mkdir()
    packaged = (PACKS / "default" / PACK_FILE).read_text(encoding="utf-8")
    (folder / PACK_FILE).write_text(packaged.replace("开发用公安机关", "北京市公安局东城分局"))
    served = load_config_pack(folder, live_backend.app.state.issuers.current().public_keys)
    live_backend.app.state.config_pack = lambda: served
    database = tmp_path / "kiosk.db"
    assert pulled_city_file(database, PACK_FILE) is None  # nothing pulled yet
    terminal.link.heartbeat()  # a new ETag: pulled
    text = pulled_city_file(database, PACK_FILE)
    assert text is not None and parse_pack(text, "pulled").issuer == "北京市公安局东城分局"


def test_a_terminal_clock_off_the_window_signs_by_the_backends_and_is_alerted(
    terminal: Terminal, live_backend: LiveBackend, clock: Clock
) -> None:
    """Back from a power loss with its clock 15 minutes fast, before chrony has a
    source: the backend refuses the first signature and names its time; the terminal
    signs by that time, so the citizens' records go, and the drift is alerted on
    both sides. Once the system clock is right again, it signs by it."""
    keys = _queue(terminal, 3)
    terminal.client.clock = lambda: clock() + 900
    assert terminal.link.relay.send_once().sent == 3
    assert [r.key for r in _at_backend(live_backend)] == keys
    assert terminal.outbox.status()["depth"] == 0
    assert terminal.client.offset_s == pytest.approx(-900, abs=5)
    with Session(live_backend.app.state.engine) as db:
        from backend.db import Alert

        assert [a.kind for a in db.scalars(select(Alert))] == ["clock_drift"]
    reply = terminal.link.heartbeat()  # the raw clock, so the drift shows on the console
    assert reply.drift_alert and "clock_alert" in terminal.outbox.notes()
    terminal.client.clock = clock  # chrony stepped the clock
    terminal.link.heartbeat()
    assert terminal.client.offset_s == 0.0


def test_a_refusal_for_the_clock_with_the_clock_right_is_not_sent_again(
    terminal: Terminal, live_backend: LiveBackend, clock: Clock
) -> None:
    """A clock_skew refusal whose time agrees with the terminal's is not the clock's
    fault: it is refused as it came, not sent twice."""
    from kiosk.sync.client import Refused

    calls = []
    original = terminal.client._call

    def skewed(*args, **kwargs):
        calls.append(args)
        raise Refused(401, "clock_skew", "outside the window", {"server_time": clock()})

    terminal.client._call = skewed  # type: ignore[method-assign]
    with pytest.raises(Refused):
        terminal.client.call("GET", "/v1/config")
    assert len(calls) == 1 and terminal.client.offset_s == 0.0
    terminal.client._call = original  # type: ignore[method-assign]


def test_a_device_that_changed_state_is_reported_as_an_event(
    terminal: Terminal, live_backend: LiveBackend
) -> None:
    from wire.sync import DeviceReport

    states = {"printer": "online", "id_card": "online"}
    terminal.link.devices = lambda: ({n: DeviceReport(status=s) for n, s in states.items()}, {})
    terminal.link.heartbeat()
    terminal.link.heartbeat()  # nothing changed: no second event
    states["printer"] = "fault"
    terminal.link.heartbeat()
    terminal.link.relay.drain()
    events = [r.body["changes"] for r in _at_backend(live_backend) if r.kind == "device_event"]
    assert events == [
        {"printer": {"from": None, "to": "online"}, "id_card": {"from": None, "to": "online"}},
        {"printer": {"from": "online", "to": "fault"}},
    ]


def test_a_record_the_backend_refuses_is_quarantined_and_the_rest_goes(
    terminal: Terminal, live_backend: LiveBackend
) -> None:
    """Once, a rating whose stars were not a number answered 500 and the relay sent
    that batch again for ever. Now it is refused alone and kept aside, sealed, shown
    in the terminal's status and, through the heartbeat, on the console."""
    good = _queue(terminal, 3)
    with terminal.outbox.transaction():
        bad = terminal.outbox.add("rating", {"transaction": "t1", "stars": "five"}, session="s9")
    done = terminal.link.relay.drain()
    assert (done.sent, done.held, done.failed) == (3, 1, 0)
    assert sorted(r.key for r in _at_backend(live_backend)) == sorted(good)
    status = terminal.outbox.status()
    assert (status["depth"], status["held"]) == (1, 1)
    assert terminal.outbox.due() == []  # never sent again
    row = terminal.outbox.db.execute(
        "SELECT held_reason, payload FROM outbox WHERE idempotency_key = ?", (bad,)
    ).fetchone()
    assert row[0].startswith("the backend refused it: body.stars")
    assert b"five" not in bytes(row[1])  # kept sealed
    terminal.link.heartbeat()
    with live_backend.console() as browser:
        summary = browser.get(f"{live_backend.url}/console/api/summary", timeout=5).json()
    (shown,) = summary["terminals"]
    assert shown["outbox_held"] == 1
