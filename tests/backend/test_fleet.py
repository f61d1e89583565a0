"""Heartbeats, the config pull, the console's summary."""

from __future__ import annotations

from pathlib import Path

from backend.app import Settings, create_app
from tests.backend.harness import Backend, record
from wire import signing


def _beat(backend: Backend, drift: float = 0, **extra: object) -> dict[str, object]:
    return {"terminal_time": backend.clock() + drift, "software_version": "0.1.0",
            "outbox": {"depth": 4, "oldest_age_s": 900.0}, **extra}  # fmt: skip


def test_a_heartbeat_reports_the_terminal_and_the_backends_clock(backend: Backend) -> None:
    terminal = backend.enrol("海淀 派出所 1号机")
    beat = _beat(backend, drift=12, devices={
        "printer": {"status": "fault", "detail": "paper jam"},
        "camera": {"status": "online"},
    }, consumables={"paper": 35})  # fmt: skip
    reply = terminal.call("POST", "/v1/heartbeat", beat).json()
    assert reply["server_time"] == backend.clock()
    assert reply["drift_s"] == 12 and reply["drift_alert"] is False
    summary = backend.operator("GET", "/console/api/summary").json()
    (row,) = summary["terminals"]
    assert row["name"] == "海淀 派出所 1号机" and row["online"] is True
    assert row["faults"] == {"printer": {"status": "fault", "detail": "paper jam"}}
    assert (row["paper"], row["outbox_depth"], row["outbox_lag_s"]) == (35, 4, 900.0)
    backend.clock.advance(600)
    assert backend.operator("GET", "/console/api/summary").json()["terminals"][0]["online"] is False


def test_a_drifting_clock_is_alerted_before_requests_fail(backend: Backend) -> None:
    terminal = backend.enrol()
    drift = signing.WINDOW_S * 0.6  # still inside the window: signed requests work
    reply = terminal.call(
        "POST", "/v1/heartbeat", _beat(backend, drift), at=backend.clock() + drift
    )
    assert reply.status_code == 200 and reply.json()["drift_alert"] is True
    alerts = backend.operator("GET", "/console/api/summary").json()["alerts"]
    assert alerts and alerts[0]["kind"] == "clock_drift"


def test_the_config_is_pulled_by_etag(backend: Backend) -> None:
    terminal = backend.enrol()
    first = terminal.call("GET", "/v1/config")
    assert first.status_code == 200
    pack = first.json()
    assert set(pack["issuer_keys"]) == {"issuer-1"}
    etag = first.headers["ETag"]
    assert etag.strip('"') == pack["etag"]
    beat = terminal.call("POST", "/v1/heartbeat", _beat(backend)).json()
    assert beat["config_etag"] == pack["etag"]
    raw = b""
    headers = {**terminal.headers("GET", "/v1/config", raw), "If-None-Match": etag}
    assert backend.http.get("/v1/config", headers=headers).status_code == 304


def test_the_city_pack_is_served(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.toml").write_text('issuer = "某市公安局"\n', encoding="utf-8")
    (pack / "templates" / "slip.txt").write_text("凭证", encoding="utf-8")
    settings = Settings(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "data", pack)
    app = create_app(settings)
    found = app.state.config_pack()
    assert found.city_pack == {"pack.toml": 'issuer = "某市公安局"\n', "templates/slip.txt": "凭证"}
    (pack / "pack.toml").write_text('issuer = "另一市"\n', encoding="utf-8")
    again = create_app(settings).state.config_pack()
    assert again.etag != found.etag


def test_the_console_counts_transactions_by_hour_and_service(backend: Backend) -> None:
    terminal = backend.enrol()
    terminal.records(
        record("app-0000001", kind="application", service="id_renewal"),
        record("app-0000002", kind="application", service="id_renewal"),
        record("app-0000003", kind="application", service="proof"),
        record("rate-000001", transaction="TX1", stars=4, service="proof"),
    )
    backend.clock.advance(3600)
    terminal.records(record("app-0000004", kind="application", service="proof"))
    summary = backend.operator("GET", "/console/api/summary").json()
    assert len(summary["transactions"]["hours"]) == 2
    assert summary["transactions"]["series"] == {"id_renewal": [2, 0], "proof": [1, 1]}
    assert summary["ratings"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    assert backend.http.get("/console/api/summary").status_code == 403


def test_a_staged_version_is_named_to_a_terminal_that_takes_updates_while_newer(
    backend: Backend,
) -> None:
    from backend.release_cli import stage

    terminal, other = backend.enrol("booth"), backend.enrol("other")
    engine = backend.app.state.engine
    assert stage(engine, "0.2.0-1", [terminal.id], backend.clock(), "ops") == [terminal.id]
    takes = {"update": {"probation": None, "attempts": 0}}

    def named(who, version: str, **extra: object) -> object:
        beat = {**_beat(backend), "software_version": version, **extra}
        answer = who.call("POST", "/v1/heartbeat", beat)
        assert answer.status_code == 200, answer.text
        return answer.json().get("staged_version", "absent")

    assert named(terminal, "0.1.0", **takes) == "0.2.0-1"
    assert named(terminal, "0.2.0~rc1", **takes) == "0.2.0-1"
    assert named(terminal, "test", **takes) == "0.2.0-1"  # a development build: no order
    assert named(terminal, "0.2.0-1", **takes) == "absent"  # it runs it
    assert named(terminal, "1:0.1", **takes) == "absent"  # an epoch is newer than any
    assert named(terminal, "0.1.0") == "absent"  # an older terminal: not even null
    assert named(other, "0.1.0", **takes) == "absent"  # staged terminal by terminal
    assert stage(engine, None, None, backend.clock(), "ops") == sorted([terminal.id, other.id])
    assert named(terminal, "0.1.0", **takes) == "absent"


def test_an_update_outcome_is_kept_and_a_rollback_alerted(backend: Backend) -> None:
    from backend.release_cli import stage

    terminal = backend.enrol()
    stage(backend.app.state.engine, "0.2.0", [terminal.id], backend.clock(), "ops")
    body = {"from": "0.1.0", "to": "0.2.0", "result": "rolled_back", "reason": "watchdog",
            "at": 1700000000.0}  # fmt: skip
    bad = {**body, "to": "0.2.0\nrm -rf /"}
    reply = terminal.call("POST", "/v1/records", {"records": [
        record("outcome-0001", "update_outcome", None, **body),
        record("outcome-0002", "update_outcome", None, **bad),
    ]}).json()  # fmt: skip
    assert [r["key"] for r in reply["receipts"]] == ["outcome-0001"]
    assert [(r["key"], r["detail"].split(":")[0]) for r in reply["refused"]] == [
        ("outcome-0002", "body.to")
    ]
    summary = backend.operator("GET", "/console/api/summary").json()
    (row,) = summary["terminals"]
    assert row["staged"] is None  # withdrawn: it would ask for it again
    assert row["last_update"]["result"] == "rolled_back"
    assert [(a["kind"], a["detail"]) for a in summary["alerts"]] == [
        ("update_rolled_back", "0.2.0 rolled back to 0.1.0: watchdog")
    ]
