"""Retention on SQLite and PostgreSQL, with the harness's settable clock:
applications and photos go once past their days, with the rows that index them;
payments, ratings, help requests and open alerts stay; security logs stay at least
180 days; the audit log is never touched, and the database itself refuses to change
or delete it."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from backend.audit import audit
from backend.cli import main
from backend.db import Alert, AuditEntry, HelpRequest, Photo, StoredRecord
from backend.retention import DAY_S, Purger, Retention, RetentionError, purge
from tests.backend.harness import Backend, Terminal, record
from tests.services.process import free_port, port_open, start, stop, tail, wait_until

JPEG = "aGVsbG8="  # what the photo is does not matter here
CALL = {"service": "id_renewal", "screen": "step", "step": "photo", "language": "zh_CN"}


def send_all(booth: Terminal, tag: str) -> None:
    """One record of every kind, keys ending in `tag`."""
    answer = booth.records(
        record(f"app-{tag}-key", "application", service="id_renewal"),
        record(f"pho-{tag}-key", "photo", receipt=f"R-{tag}", jpeg_base64=JPEG),
        record(f"pay-{tag}-key", "payment", out_trade_no=f"O-{tag}", state="paid", amount_fen=2000),
        record(f"rat-{tag}-key", "rating", transaction=f"T-{tag}", stars=5),
        record(f"hlp-{tag}-key", "help", **CALL),
        record(f"aud-{tag}-key", "audit", event="session_ended"),
        record(f"dev-{tag}-key", "device_event", changes={}),
    )
    assert answer.status_code == 200 and not answer.json()["refused"], answer.text


def keys(backend: Backend) -> set[str]:
    with Session(backend.app.state.engine) as db:
        return set(db.scalars(select(StoredRecord.key)))


def receipts(backend: Backend) -> set[str]:
    with Session(backend.app.state.engine) as db:
        return set(db.scalars(select(Photo.receipt)))


def audit_rows(backend: Backend) -> list[tuple[int, float, str, str]]:
    with Session(backend.app.state.engine) as db:
        rows = db.execute(select(AuditEntry.id, AuditEntry.at, AuditEntry.action,
                                 AuditEntry.detail).order_by(AuditEntry.id))  # fmt: skip
        return [tuple(row) for row in rows]


def add_alerts(backend: Backend, at: float) -> None:
    with Session(backend.app.state.engine) as db, db.begin():
        db.add(Alert(terminal_id=None, kind="replay", detail="cleared", raised_at=at,
                     cleared_at=at + 60, count=1, last_at=at))  # fmt: skip
        db.add(Alert(terminal_id=None, kind="replay", detail="open", raised_at=at, count=1,
                     last_at=at))  # fmt: skip


def test_applications_and_photos_go_past_their_days_the_rest_stays(backend: Backend) -> None:
    engine, clock, start_at = backend.app.state.engine, backend.clock, backend.clock()
    booth = backend.enrol()
    send_all(booth, "old")
    add_alerts(backend, start_at)
    with Session(engine) as db, db.begin():
        audit(db, start_at, "operator", "chief", "lookup", "photo R-old")
    clock.advance(100 * DAY_S)
    send_all(booth, "new")
    before = audit_rows(backend)

    first = purge(engine, Retention(), clock())  # day 100: the old application only
    assert (first.applications, first.photos, first.log_records, first.alerts) == (1, 0, 0, 0)
    assert "app-old-key" not in keys(backend) and "app-new-key" in keys(backend)
    assert receipts(backend) == {"R-old", "R-new"}

    clock.advance(100 * DAY_S)  # day 200: the old photo (180), the new application (90)
    second = purge(engine, Retention(), clock())
    assert (second.applications, second.photos, second.index_rows) == (1, 1, 1)
    assert receipts(backend) == {"R-new"}
    left = keys(backend)
    assert "pho-new-key" in left and "pho-old-key" not in left and "app-new-key" not in left

    clock.advance(200 * DAY_S)  # day 400: the old security logs (365) and cleared alert
    third = purge(engine, Retention(), clock())
    assert (third.photos, third.log_records, third.alerts) == (1, 2, 1)
    kept = {f"{kind}-{tag}-key" for kind in ("pay", "rat", "hlp") for tag in ("old", "new")}
    assert keys(backend) == kept | {"aud-new-key", "dev-new-key"}
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(HelpRequest)) == 2
        assert list(db.scalars(select(Alert.detail))) == ["open"]
    assert audit_rows(backend) == before  # not one row changed or gone


def test_shorter_and_longer_retention_as_configured(backend: Backend) -> None:
    booth = backend.enrol()
    send_all(booth, "old")
    backend.clock.advance(10 * DAY_S)
    kept = purge(backend.app.state.engine, Retention(applications_days=30, photos_days=30),
                 backend.clock())  # fmt: skip
    assert (kept.applications, kept.photos) == (0, 0)
    gone = purge(backend.app.state.engine, Retention(applications_days=7, photos_days=9),
                 backend.clock())  # fmt: skip
    assert (gone.applications, gone.photos) == (1, 1)


def test_the_database_refuses_to_change_or_delete_the_audit_log(backend: Backend) -> None:
    engine = backend.app.state.engine
    with Session(engine) as db, db.begin():
        audit(db, backend.clock(), "operator", "chief", "lookup", "photo R-1")
    for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="audit_log is append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    assert "lookup" in [row[2] for row in audit_rows(backend)]


def test_security_logs_are_kept_at_least_six_months() -> None:
    with pytest.raises(RetentionError, match=r"--keep-logs-days 179: .* at least 180 days"):
        Retention(logs_days=179)
    with pytest.raises(RetentionError, match="--keep-photos-days 0"):
        Retention(photos_days=0)
    assert Retention(logs_days=180).logs_days == 180


def test_the_purge_command(
    backend: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kiosk-backend purge` at the real time, on records received 100 days ago."""
    backend.clock.now = time.time() - 100 * DAY_S
    send_all(backend.enrol(), "old")
    flags = ["--db", backend.url, "--data", str(tmp_path / "data")]
    assert main(["purge", "--keep-logs-days", "30", *flags]) == 2
    assert "--keep-logs-days 30" in capsys.readouterr().err
    assert main(["purge", *flags]) == 0
    out = capsys.readouterr().out
    assert out.startswith("purged 1 applications, 0 photos (0 index rows), 0 security log")
    assert out.count("\n") == 1
    assert "app-old-key" not in keys(backend) and "pho-old-key" in keys(backend)
    assert audit_rows(backend)[-1][2] == "purge"  # the purge itself is audited


def test_the_help_states_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    main(["purge", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    defaults = Retention()
    for flag, days in (("applications", defaults.applications_days),
                       ("photos", defaults.photos_days), ("logs", defaults.logs_days)):  # fmt: skip
        assert re.search(rf"--keep-{flag}-days N .*?\(default {days}\)", shown), flag


def test_the_daily_purger_runs_in_a_thread_of_its_own(backend: Backend) -> None:
    booth = backend.enrol()
    send_all(booth, "old")
    backend.clock.advance(100 * DAY_S)
    lines: list[str] = []
    purger = Purger(backend.app.state.engine, Retention(), lambda line: lines.append(line),
                    clock=backend.clock, every_s=0.05)  # fmt: skip
    purger.start()  # returns at once: the purge is the thread's
    wait_until(lambda: purger.rounds >= 2, "two purges")
    purger.stop()
    assert lines[0].startswith("retention: purged 1 applications")
    assert lines[1].startswith("retention: purged 0 applications")
    assert "app-old-key" not in keys(backend)
    purges = [row for row in audit_rows(backend) if row[2] == "purge"]
    assert len(purges) == 1 and "kept 90/180/365 days" in purges[0][3]  # nothing: no entry


def test_a_failed_purge_is_reported_and_tried_again(backend: Backend, tmp_path: Path) -> None:
    lines: list[str] = []
    away = create_engine(f"sqlite:///{tmp_path / 'gone' / 'x.db'}")  # no such folder
    purger = Purger(away, Retention(), lines.append, clock=backend.clock)
    assert purger.once() is None
    assert lines == ["retention: purge failed: OperationalError: (sqlite3.OperationalError) "
                     "unable to open database file"]  # fmt: skip
    purger.engine = backend.app.state.engine  # the database is back: the next turn works
    assert purger.once() is not None and lines[1].startswith("retention: purged")


def test_serve_purges_at_start(tmp_path: Path) -> None:
    """`kiosk-backend serve` runs the purge itself, at start and then once a day."""
    backend = Backend(f"sqlite:///{tmp_path / 'backend.db'}", tmp_path / "data")
    backend.clock.now = time.time() - 100 * DAY_S
    send_all(backend.enrol(), "old")
    backend.http.close()
    backend.app.state.engine.dispose()
    port, log = free_port(), tmp_path / "serve.log"
    server = start([str(Path(sys.executable).parent / "kiosk-backend"), "serve", "--port",
                    str(port), "--data", str(tmp_path / "data"), "--db",
                    backend.url], log)  # fmt: skip
    try:
        wait_until(lambda: "retention: purged" in log.read_text(), "the purge", timeout=60)
        assert port_open(port) or server.poll() is None, tail(log)
        assert "retention: purged 1 applications, 0 photos" in log.read_text()
    finally:
        stop(server)
    reopened = Backend(backend.url, tmp_path / "data")
    assert "app-old-key" not in keys(reopened) and "pho-old-key" in keys(reopened)
    reopened.http.close()
    reopened.app.state.engine.dispose()
