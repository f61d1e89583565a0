"""Retention: citizens' applications and photos are deleted once they are no longer
needed; security logs are kept at least six months (Cybersecurity Law art. 21,
等保 2.0), then deleted too.

What is purged, by the server's receive time (terminal clocks are not trusted):

- records of kind `application` older than `applications_days`, and of kind `photo`
  older than `photos_days`, with the rows that index them (the photos table; any
  table with a foreign key to `records.seq`), dependants first;
- the terminals' security log records (kinds `audit`, `device_event` and
  `update_outcome`: a terminal's last outcome stays on its row) and cleared alerts
  older than `logs_days`, which cannot be set below 180 days.

Never purged: payments (kept for reconciliation), ratings, help requests, queue
tickets, open alerts, and the operators' audit log (table `audit_log`), which the
database itself keeps append-only (triggers, migration 0005).

Deletes run in batches, each its own short transaction: a backend that never purged
before does not hold a lock on its records for minutes, and requests go on between
batches. The backend runs it once a day in a thread of its own (`Purger`, started by
`kiosk-backend serve`); `kiosk-backend purge` runs it on demand.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

from sqlalchemy import Table, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.audit import audit
from backend.db import Alert, Base, StoredRecord
from wire.sync import RecordKind

log = logging.getLogger(__name__)

DAY_S = 86400.0
LOGS_MINIMUM_DAYS = 180  # six months: Cybersecurity Law art. 21
BATCH = 500  # records per transaction
LOG_KINDS = (
    RecordKind.AUDIT.value,
    RecordKind.DEVICE_EVENT.value,
    RecordKind.UPDATE_OUTCOME.value,
)


class RetentionError(ValueError):
    """A retention setting that cannot be used: one line naming it and why."""


@dataclass(frozen=True)
class Retention:
    """How many days each kind of data is kept. The defaults:

    - applications 90 days: the Resident Identity Card Law has a card issued within
      60 days of the application, 90 in remote areas, and the application is needed
      until then; the police's own system keeps the file of record;
    - photos 180 days: an ID photo must be recent (taken within six months), so an
      older one serves no application;
    - security logs 365 days: above the six months the law asks, so that a yearly
      等保 assessment finds a whole year.
    """

    applications_days: int = 90
    photos_days: int = 180
    logs_days: int = 365

    def __post_init__(self) -> None:
        for field in fields(self):
            days = getattr(self, field.name)
            if not isinstance(days, int) or days < 1:
                raise RetentionError(
                    f"{_flag(field.name)} {days}: a whole number of days, 1 or more"
                )
        if self.logs_days < LOGS_MINIMUM_DAYS:
            raise RetentionError(
                f"{_flag('logs_days')} {self.logs_days}: security logs are kept at least "
                f"{LOGS_MINIMUM_DAYS} days (Cybersecurity Law art. 21)"
            )


def _flag(name: str) -> str:
    """The command-line flag of a Retention field: logs_days is --keep-logs-days."""
    return "--keep-" + name.replace("_", "-")


@dataclass
class Purged:
    applications: int = 0
    photos: int = 0
    log_records: int = 0  # the terminals' audit and device_event records
    index_rows: int = 0  # rows of other tables that pointed at purged records
    alerts: int = 0

    @property
    def anything(self) -> bool:
        return any(getattr(self, field.name) for field in fields(self))

    def line(self) -> str:
        return (
            f"purged {self.applications} applications, {self.photos} photos "
            f"({self.index_rows} index rows), {self.log_records} security log records, "
            f"{self.alerts} alerts; payments and the audit log are kept"
        )


def purge(engine: Engine, retention: Retention, now: float) -> Purged:
    """Deletes what is older than its retention, at `now` (the backend's clock)."""
    purged = Purged()
    for kinds, days, counter in (
        ((RecordKind.APPLICATION.value,), retention.applications_days, "applications"),
        ((RecordKind.PHOTO.value,), retention.photos_days, "photos"),
        (LOG_KINDS, retention.logs_days, "log_records"),
    ):
        records, index_rows = _purge_records(engine, kinds, now - days * DAY_S)
        setattr(purged, counter, records)
        purged.index_rows += index_rows
    with Session(engine) as db, db.begin():
        cutoff = now - retention.logs_days * DAY_S
        done = db.execute(
            delete(Alert).where(Alert.cleared_at.is_not(None), Alert.cleared_at < cutoff)
        )
        purged.alerts = int(getattr(done, "rowcount", 0) or 0)
    return purged


def _purge_records(engine: Engine, kinds: tuple[str, ...], cutoff: float) -> tuple[int, int]:
    """Records of these kinds received before `cutoff`, batch by batch: (records, index rows)."""
    records = index_rows = 0
    while True:
        with Session(engine) as db, db.begin():
            seqs = list(db.scalars(
                select(StoredRecord.seq)
                .where(StoredRecord.kind.in_(kinds), StoredRecord.received_at < cutoff)
                .order_by(StoredRecord.seq)
                .limit(BATCH)
            ))  # fmt: skip
            if not seqs:
                return records, index_rows
            for table, column in _dependants():
                done = db.execute(delete(table).where(table.c[column].in_(seqs)))
                index_rows += int(getattr(done, "rowcount", 0) or 0)
            db.execute(delete(StoredRecord).where(StoredRecord.seq.in_(seqs)))
            records += len(seqs)


def _dependants() -> list[tuple[Table, str]]:
    """Every (table, column) with a foreign key to records.seq, from the schema: a table
    added later that indexes records is purged with them without a change here."""
    found = []
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == StoredRecord.__tablename__:
                found.append((table, key.parent.name))
    return found


def audit_purge(engine: Engine, purged: Purged, retention: Retention, now: float,
                actor_kind: str, actor: str) -> None:  # fmt: skip
    """A purge that deleted something is itself in the audit log: counts, no one's data."""
    if not purged.anything:
        return
    detail = (
        f"{purged.line()} (kept {retention.applications_days}/{retention.photos_days}/"
        f"{retention.logs_days} days: applications/photos/logs)"
    )
    with Session(engine) as db, db.begin():
        audit(db, now, actor_kind, actor, "purge", "records", detail)


class Purger:
    """The daily purge, in a daemon thread of its own: the deletes never run on the
    server's event loop, so requests go on while it works. The first purge runs at
    start, then one every `every_s`. A failed purge is reported and tried again at
    the next turn; it never stops the thread."""

    def __init__(
        self,
        engine: Engine,
        retention: Retention,
        report: Callable[[str], None],
        clock: Callable[[], float] = time.time,
        every_s: float = DAY_S,
    ) -> None:
        self.engine, self.retention, self.report = engine, retention, report
        self.clock, self.every_s = clock, every_s
        self.rounds = 0  # purges finished, failed or not (tests wait on it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="retention-purge")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.once()
            self._stop.wait(self.every_s)

    def once(self) -> Purged | None:
        """One purge, reported in one line; None when it failed."""
        try:
            purged = self._purge()
        except Exception as exc:  # the database away, a lock held too long: next turn
            first = str(exc).splitlines()[0] if str(exc) else ""
            self.report(f"retention: purge failed: {type(exc).__name__}: {first}")
            log.debug("retention purge failed", exc_info=True)
            self.rounds += 1
            return None
        self.report(f"retention: {purged.line()}")
        self.rounds += 1
        return purged

    def _purge(self) -> Purged:
        now = self.clock()
        purged = purge(self.engine, self.retention, now)
        audit_purge(self.engine, purged, self.retention, now, "system", "retention")
        return purged
