"""求助 on the backend: a help record from a terminal opens a request on the console's
help desk at once, the operator acknowledges it, and a late one (sent from the
outbox) says how late it is."""

from __future__ import annotations

from tests.backend.harness import START, Backend, record

CALL = {"service": "id_renewal", "screen": "step", "step": "address", "language": "en",
        "elderly": True}  # fmt: skip


def help_record(key: str, created_at: float = START, **body: object) -> dict[str, object]:
    return {**record(key, kind="help", session="s1", **{**CALL, **body}), "created_at": created_at}


def test_a_help_request_is_open_until_acknowledged(backend: Backend) -> None:
    booth = backend.enrol("海淀 1号机")
    assert backend.operator("GET", "/console/api/help").json()["requests"] == []
    assert booth.records(help_record("help-0001")).status_code == 200
    backend.clock.advance(95)
    desk = backend.operator("GET", "/console/api/help").json()
    assert desk["open"] == 1
    (found,) = desk["requests"]
    assert found["terminal"] == booth.id and found["where"] == "海淀 1号机"
    assert (found["service"], found["step"], found["language"], found["elderly"]) == (
        "id_renewal", "address", "en", True)  # fmt: skip
    assert found["waited_s"] == 95 and found["late_s"] == 0 and found["acked_at"] is None

    answer = backend.operator("POST", f"/console/api/help/{found['id']}/ack")
    assert answer.status_code == 200 and answer.json()["acked_at"] == backend.clock()
    backend.clock.advance(30)
    again = backend.operator("POST", f"/console/api/help/{found['id']}/ack").json()
    assert again["acked_at"] == backend.clock() - 30  # the first acknowledgement stands
    desk = backend.operator("GET", "/console/api/help").json()
    assert desk["open"] == 0 and desk["requests"][0]["waited_s"] == 95
    backend.clock.advance(601)  # acknowledged ten minutes ago: off the list
    assert backend.operator("GET", "/console/api/help").json()["requests"] == []


def test_the_same_request_resent_opens_one(backend: Backend) -> None:
    """The terminal sends a help call directly and, when no receipt came, again from
    the outbox under the same key: one request on the console."""
    booth = backend.enrol()
    for _ in range(3):
        assert booth.records(help_record("help-0002")).status_code == 200
    assert backend.operator("GET", "/console/api/help").json()["open"] == 1


def test_a_late_request_says_how_late_and_open_ones_come_first(backend: Backend) -> None:
    booth = backend.enrol()
    booth.records(help_record("help-000a"))
    first = backend.operator("GET", "/console/api/help").json()["requests"][0]["id"]
    backend.operator("POST", f"/console/api/help/{first}/ack")
    backend.clock.advance(60)
    # asked 50 minutes ago, while the terminal was offline; sent from its outbox now
    booth.records(help_record("help-000b", created_at=START - 2940, screen="home", service=""))
    rows = backend.operator("GET", "/console/api/help").json()["requests"]
    assert [(r["acked_at"] is None, r["late_s"]) for r in rows] == [(True, 3000), (False, 0)]
    backend.clock.advance(600)  # the acknowledged one is older than ten minutes
    rows = backend.operator("GET", "/console/api/help").json()["requests"]
    assert [r["late_s"] for r in rows] == [3000]


def test_refusals(backend: Backend) -> None:
    booth = backend.enrol()
    assert backend.http.get("/console/api/help").status_code == 403
    assert backend.http.post("/console/api/help/1/ack").status_code == 403
    missing = backend.operator("POST", "/console/api/help/999/ack")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert backend.operator("POST", "/console/api/help/x/ack").status_code == 422
    # a help record whose body is no help call is stored (the terminal is owed its
    # receipt) but opens nothing
    assert booth.records(record("help-bad1", kind="help", colour="red")).status_code == 200
    assert backend.operator("GET", "/console/api/help").json()["requests"] == []
