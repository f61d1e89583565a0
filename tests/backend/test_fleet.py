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
