"""The backend's tables (SQLAlchemy 2) and its engine. The schema itself is made by
the Alembic chain in backend/migrations; these classes must match it (a test
compares them)."""

from __future__ import annotations

import logging
import select
from pathlib import Path
from typing import Any, ClassVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from wire.signing import PUBLIC_KEY_MAX

MIGRATIONS = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


class EnrolmentCodeRow(Base):
    __tablename__ = "enrolment_codes"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    used_at: Mapped[float | None] = mapped_column(Float)
    terminal_id: Mapped[str | None] = mapped_column(String(16))


class Terminal(Base):
    __tablename__ = "terminals"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    # its suite's marker first (wire/signing.py): "gm:" and 87 characters for SM2
    public_key: Mapped[str] = mapped_column(String(PUBLIC_KEY_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    # the site it stands at (派出所, 分局), from its enrolment or an administrator; none:
    # its name says it (backend/tables.py terminal_site)
    site: Mapped[str | None] = mapped_column(String(80))
    enrolled_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)
    software_version: Mapped[str] = mapped_column(String(40))
    last_heartbeat_at: Mapped[float | None] = mapped_column(Float)
    drift_s: Mapped[float | None] = mapped_column(Float)
    devices: Mapped[dict[str, Any]] = mapped_column(default=dict)
    consumables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outbox_depth: Mapped[int] = mapped_column(Integer, default=0)
    outbox_oldest_age_s: Mapped[float | None] = mapped_column(Float)
    outbox_held: Mapped[int] = mapped_column(Integer, default=0)  # quarantined records
    # package updates (docs/updates.md): the version operators staged for it (`release
    # stage`), the version it said is on probation, and its last update_outcome record
    staged_version: Mapped[str | None] = mapped_column(String(40))
    staged_at: Mapped[float | None] = mapped_column(Float)
    update_probation: Mapped[str | None] = mapped_column(String(40))
    last_update: Mapped[dict[str, Any] | None] = mapped_column()
    # the consumables' levels (sorted JSON text) at their last sample and when it was
    # taken: the heartbeat's one UPDATE moves them, and says when to sample (forecast.py)
    levels_sampled: Mapped[str | None] = mapped_column(Text)
    levels_sampled_at: Mapped[float | None] = mapped_column(Float)


class SeenNonce(Base):
    """Nonces inside the signature window: a second use is a replay."""

    __tablename__ = "seen_nonces"
    terminal_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[float] = mapped_column(Float, index=True)


class StoredRecord(Base):
    """Every record a terminal sent, once per idempotency key; `seq` is the order of
    first receipt, which orders events (terminal clocks are not trusted)."""

    __tablename__ = "records"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    terminal_id: Mapped[str] = mapped_column(ForeignKey("terminals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    session: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    received_at: Mapped[float] = mapped_column(Float, index=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column()
    # the body's personal fields, sealed (backend/vault.py): the wrapped data key with
    # its master key's version, and the encrypted fields; none before migration 0006
    sealed_key: Mapped[str | None] = mapped_column(String(120))
    sealed: Mapped[str | None] = mapped_column(Text)


class Photo(Base):
    """ID photos by receipt number (图像号), for the counter and the renewal flow."""

    __tablename__ = "photos"
    receipt: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_seq: Mapped[int] = mapped_column(ForeignKey("records.seq"))
    # the keyed hash of the citizen's ID number, when the photo's record named it:
    # another terminal must give the receipt number and that ID number together
    id_hash: Mapped[str | None] = mapped_column(String(64))


class PhoneOnFile(Base):
    """The ID applications that gave a phone number, by the keyed hash of their
    citizen's ID number (backend/vault.py): the renewal check offers the latest one's
    number. Neither the ID number nor the phone is here; the phone stays sealed in
    its record and is opened at lookup. Purged with its record (backend/retention.py)."""

    __tablename__ = "phones_on_file"
    record_seq: Mapped[int] = mapped_column(ForeignKey("records.seq"), primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), index=True)


class Rating(Base):
    """好差评: one rating per transaction, the first one counts."""

    __tablename__ = "ratings"
    transaction: Mapped[str] = mapped_column(String(64), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(16), index=True)
    service: Mapped[str] = mapped_column(String(40))
    stars: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[float] = mapped_column(Float)
    # satisfaction reads a window of ratings by receipt time: from the index alone
    __table_args__ = (Index("ix_ratings_window", "received_at", "terminal_id", "service", "stars"),)


class ServiceSession(Base):
    """数据驾驶舱: one citizen's session as its terminal reported its end (an audit record
    `session_ended`): the steps reached, their seconds, how it ended (docs/cockpit.md).
    No personal data, so it outlives its record's retention (no foreign key)."""

    __tablename__ = "service_sessions"
    record_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    terminal_id: Mapped[str] = mapped_column(String(16), index=True)
    session: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float] = mapped_column(Float, index=True)  # the terminal's clock
    outcome: Mapped[str] = mapped_column(String(40))
    end: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(40))
    exit_step: Mapped[str | None] = mapped_column(String(40))  # where it left the path
    steps: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # none: an older terminal
    duration_s: Mapped[float | None] = mapped_column(Float)
    machine_s: Mapped[float | None] = mapped_column(Float)
    citizen_s: Mapped[float | None] = mapped_column(Float)


class SessionDay(Base):
    """数据驾驶舱 roll-ups (backend/rollups.py): per day (UTC+8), site ("" for the whole
    fleet) and service, the counts the funnels and handling times add up: sessions,
    each step reached (`bucket`: its first position), ends and reasons, exit steps, and
    histograms of the seconds in fixed log-spaced buckets. Kept at ingest, in the
    session's transaction; built from `service_sessions` by migration 0012."""

    __tablename__ = "session_days"
    site: Mapped[str] = mapped_column(String(80), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # days since 1970-01-01 CST
    service: Mapped[str] = mapped_column(String(40), primary_key=True)
    measure: Mapped[str] = mapped_column(String(1), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class FollowUp(Base):
    """好差评 follow-up (回访): a rating of 1-2 stars opens one, at ingest, in the
    rating's transaction; open → assigned → answered → closed on the console
    (backend/followups.py). Who made each change and when; the audit log has them all."""

    __tablename__ = "followups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction: Mapped[str] = mapped_column(String(64), unique=True)  # one a rating
    terminal_id: Mapped[str] = mapped_column(String(16), index=True)
    service: Mapped[str] = mapped_column(String(40))
    stars: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(24))  # wire/sync.py RatingReason
    opened_at: Mapped[float] = mapped_column(Float, index=True)
    due_at: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(12), index=True)
    assignee: Mapped[str | None] = mapped_column(String(40))
    assigned_at: Mapped[float | None] = mapped_column(Float)
    assigned_by: Mapped[str | None] = mapped_column(String(40))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[float | None] = mapped_column(Float)
    answered_by: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[float | None] = mapped_column(Float)
    closed_by: Mapped[str | None] = mapped_column(String(40))


class ConsumableSample(Base):
    """A terminal's consumable levels (paper, ribbon, card stock: what it reports) at a
    heartbeat, kept sparsely: when a level changed or an hour after the last sample
    (backend/terminals.py). The run-out forecast fits a line through them (forecast.py)."""

    __tablename__ = "consumable_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str] = mapped_column(String(16))
    at: Mapped[float] = mapped_column(Float, index=True)  # the backend's clock
    levels: Mapped[dict[str, Any]] = mapped_column()
    __table_args__ = (Index("ix_consumable_samples_terminal_at", "terminal_id", "at"),)


class EarlyWarning(Base):
    """An early warning (预警): a site expected busy, a terminal failing more than its
    norm, a consumable running out. Raised by the evaluation (forecast.py), then
    acknowledged and resolved by operators, or resolved when its condition clears;
    who and when of each step. `open_key` (kind and subject) is set while it is not
    resolved, and unique: one open warning a subject."""

    __tablename__ = "warnings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(120))
    open_key: Mapped[str | None] = mapped_column(String(140), unique=True)
    terminal_id: Mapped[str | None] = mapped_column(String(16))
    site: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)  # what was measured or expected
    threshold: Mapped[float | None] = mapped_column(Float)  # what it went past
    state: Mapped[str] = mapped_column(String(12), index=True)
    raised_at: Mapped[float] = mapped_column(Float, index=True)
    seen_at: Mapped[float] = mapped_column(Float)  # the last evaluation that found it so
    acknowledged_at: Mapped[float | None] = mapped_column(Float)
    acknowledged_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[float | None] = mapped_column(Float)
    resolved_by: Mapped[str | None] = mapped_column(String(40))  # none: its condition cleared
    resolution: Mapped[str | None] = mapped_column(String(12))  # "operator" or "cleared"


class RateBucket(Base):
    """Requests counted in a fixed window, per terminal or per address (backend/limits.py):
    in the database, so that every API process counts the same."""

    __tablename__ = "rate_buckets"
    bucket: Mapped[str] = mapped_column(String(96), primary_key=True)
    window_start: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)


class HelpRequest(Base):
    """求助: a citizen asked for the officer on duty; open until an operator
    acknowledges it on the console."""

    __tablename__ = "help_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_seq: Mapped[int] = mapped_column(ForeignKey("records.seq"), unique=True)
    terminal_id: Mapped[str] = mapped_column(String(16), index=True)
    asked_at: Mapped[float] = mapped_column(Float)  # the terminal's clock
    received_at: Mapped[float] = mapped_column(Float)
    service: Mapped[str] = mapped_column(String(40))
    screen: Mapped[str] = mapped_column(String(24))
    step: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    elderly: Mapped[bool] = mapped_column(Boolean, default=False)
    acked_at: Mapped[float | None] = mapped_column(Float, index=True)


class Alert(Base):
    """One alert per terminal and kind within a window (backend/alerts.py): raised
    again, it counts up rather than filling the console's list."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    terminal_id: Mapped[str | None] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[float] = mapped_column(Float)
    cleared_at: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer, default=1)  # the same alert, raised again
    last_at: Mapped[float | None] = mapped_column(Float)


class Citizen(Base):
    """The seeded registry of synthetic citizens (never real people)."""

    __tablename__ = "citizens"
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    card_expires: Mapped[str] = mapped_column(String(10))
    collective_household: Mapped[bool] = mapped_column(Boolean, default=False)
    first_application: Mapped[bool] = mapped_column(Boolean, default=False)
    state_employee: Mapped[bool] = mapped_column(Boolean, default=False)
    criminal_record: Mapped[bool] = mapped_column(Boolean, default=False)
    exit_entry_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    # the household register (户籍) as the proofs read it; none: not on record here
    household_address: Mapped[str | None] = mapped_column(String(120))
    residence_address: Mapped[str | None] = mapped_column(String(120))  # 居住登记
    residence_since: Mapped[str | None] = mapped_column(String(10))
    birth_place: Mapped[str | None] = mapped_column(String(120))  # 出生登记
    birth_registered: Mapped[str | None] = mapped_column(String(10))
    died_on: Mapped[str | None] = mapped_column(String(10))  # 死亡登记 (户口注销)


class Kinship(Base):
    """A relation the register knows, one row each way: `relative` is the citizen's
    `relation` (wire/services.py RELATIONS: parent, child, spouse, sibling)."""

    __tablename__ = "kinships"
    id_number: Mapped[str] = mapped_column(ForeignKey("citizens.id_number"), primary_key=True)
    relative: Mapped[str] = mapped_column(ForeignKey("citizens.id_number"), primary_key=True)
    relation: Mapped[str] = mapped_column(String(8))


class Permit(Base):
    __tablename__ = "permits"
    number: Mapped[str] = mapped_column(String(12), primary_key=True)
    id_number: Mapped[str] = mapped_column(ForeignKey("citizens.id_number"))
    booklet: Mapped[bool] = mapped_column(Boolean, default=False)
    expires: Mapped[str] = mapped_column(String(10))
    endorsements_used: Mapped[int] = mapped_column(Integer, default=0)
    last_endorsed: Mapped[str | None] = mapped_column(String(10))


class Proof(Base):
    __tablename__ = "proofs"
    serial: Mapped[str] = mapped_column(String(32), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(4))
    id_hmac: Mapped[str] = mapped_column(String(32), index=True)
    issued: Mapped[str] = mapped_column(String(8))
    expires: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(Text)
    terminal_id: Mapped[str] = mapped_column(String(16))


class PaymentOrder(Base):
    """The payment gateway simulator's orders (the gateway's side of the truth)."""

    __tablename__ = "payment_orders"
    out_trade_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    terminal_id: Mapped[str] = mapped_column(String(16), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(80))
    auth_code_masked: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16))
    transaction_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float)
    paid_at: Mapped[float | None] = mapped_column(Float)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    reverse_calls: Mapped[int] = mapped_column(Integer, default=0)
    queries: Mapped[int] = mapped_column(Integer, default=0)
    refunds: Mapped[dict[str, Any]] = mapped_column(default=dict)  # out_refund_no: fen


class Operator(Base):
    """A person at the fleet console: a role (viewer, operator, administrator) and a
    password hashed in the deployment's crypto suite (backend/operators.py). Disabled,
    never deleted (the audit log names them)."""

    __tablename__ = "operators"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)
    password_set_at: Mapped[float] = mapped_column(Float)
    disabled_at: Mapped[float | None] = mapped_column(Float)


class OperatorSession(Base):
    """A signed-in console: the cookie's token is kept only as its SHA-256."""

    __tablename__ = "operator_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator: Mapped[str] = mapped_column(ForeignKey("operators.name"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    last_seen_at: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Who did what, append-only (triggers refuse UPDATE and DELETE): every operator
    action, and every lookup of a person's data by a terminal."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))  # operator, terminal, cli
    actor: Mapped[str] = mapped_column(String(64), index=True)
    session: Mapped[str | None] = mapped_column(String(64))  # the citizen's or console's
    source: Mapped[str | None] = mapped_column(String(64))  # the address it came from
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text)


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        from backend.storage import private_sqlite_file

        private_sqlite_file(url)  # 0600 before SQLite opens it: its -wal and -shm copy the mode
        # every worker thread (anyio's 40) may hold two connections at once (the signed
        # request's and the handler's): a smaller pool ran dry under 45 payments in
        # flight, and requests holding one waited 30 s for another (tests/backend/
        # test_gateway.py); SQLite connections cost little
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=80)  # fmt: skip

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(DURABLE)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "checkin")
        def _durable_again(connection: Any, record: Any) -> None:
            # back in the pool (rolled back if it was not committed): the next user's
            # commits wait for the disk again
            if connection is not None and record.info.pop(_RELAXED, False):
                if connection.in_transaction:
                    connection.rollback()
                connection.execute(DURABLE)

        return engine
    # A connection the server closed is dropped at checkout, before a request uses it;
    # not by pool_pre_ping's round trip to the server, a tenth of a heartbeat's CPU
    # (bench/backend_cost.py): a closed one has something to read, its goodbye or its end
    engine = create_engine(url, pool_size=10, max_overflow=10)
    event.listen(engine, "checkout", _closed_by_the_server)
    return engine


# every commit waits for the disk: a receipt the terminal deletes its copy on must
# survive a power cut (in WAL mode, NORMAL may lose the last commits)
DURABLE = "PRAGMA synchronous=FULL"
_RELAXED = "kiosk_relaxed"  # on a pooled SQLite connection's record while it is NORMAL


def without_waiting_for_the_disk(db: Session) -> None:
    """`db`'s transaction, before its first statement, commits without waiting for
    the disk: for telemetry that the next minute supersedes (the heartbeat: its
    terminal's row, its nonce and its count), whose CPU at each commit was mostly the
    fsync (bench/backend_cost.py). SQLite: synchronous=NORMAL on its connection until it
    goes back to the pool; PostgreSQL: synchronous_commit off for this transaction (a
    signed write there sets it in its check's statement instead, backend/auth.py).
    A power cut may lose the last seconds of it, never a record: the log is one
    sequence, and the next commit that waits takes the earlier ones to the disk."""
    connection = db.connection()
    pooled = connection.connection  # on the driver's connection: a tenth of SQLAlchemy's cost
    if connection.dialect.name == "sqlite":  # no statement yet: outside the driver's transaction
        pooled.driver_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
        pooled.info[_RELAXED] = True
    else:  # psycopg begins the transaction with it
        pooled.driver_connection.execute("SET LOCAL synchronous_commit TO OFF")  # type: ignore[union-attr]


def _closed_by_the_server(connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuses (SQLAlchemy then takes a new connection) a psycopg connection that is
    broken, or has bytes waiting while idle: PostgreSQL sends nothing unasked to an
    idle session but its last error (restart, pg_terminate_backend, idle timeout)
    before it closes. At worst a healthy one is replaced."""
    broken = connection.closed or getattr(connection, "broken", False)  # psycopg 3 says both
    if broken or select.select([connection], [], [], 0)[0]:
        raise DisconnectionError("the server closed this connection")


def migrate(engine: Engine) -> None:
    """Brings the database to the newest schema (Alembic `upgrade head`)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per step otherwise
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
