"""Ingestion: at-least-once from the terminals, exactly once in here.

A batch is stored in one transaction. A key seen before returns its first receipt
(same seq, same time); a key seen before with a different body refuses the whole
batch (409, the keys named) and stores nothing of it. A record whose body its kind's
model refuses (wire/sync.py BODIES) is refused alone, named in the reply; the rest
of the batch is taken (the terminal quarantines the refused one).

A record's personal fields are sealed before they are stored (backend/vault.py); its
idempotency hash is taken over the body as sent, keyed, so that a record sent again
is still a duplicate (after any key rotation) and the hash is no way to try guesses
of an ID number.

On PostgreSQL a batch's rows are stored by one statement (`_all_new`); a known
terminal's batch is checked inside it too (`_quick_batch`), without the session of
the whole check (bench/backend_cost.py).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy import (
    JSON,
    Float,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    column,
    exists,
    func,
    insert,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.alerts import raise_alert
from backend.audit import audit
from backend.auth import Again, Signed, checked_here, checked_in, quick_path, signed
from backend.db import (
    HelpRequest,
    PhoneOnFile,
    Photo,
    Rating,
    ServiceSession,
    StoredRecord,
    Terminal,
)
from backend.followups import open_ticket
from backend.problems import Refused, responses
from backend.rollups import add_sessions
from backend.statements import Statement
from backend.tables import terminal_site
from backend.vault import Vault, vault_of
from wire import crypto
from wire.services import ID_NUMBER, MOBILE
from wire.sync import (
    BODIES,
    BatchReply,
    HelpCall,
    Receipt,
    Record,
    RecordBatch,
    RecordKind,
    RecordRefusal,
    SessionEndedBody,
    UpdateOutcomeBody,
)

router = APIRouter()
log = logging.getLogger("kiosk.backend.records")


def _canonical(record: Record) -> bytes:
    same = {
        "kind": record.kind.value,
        "session": record.session,
        "created_at": record.created_at,
        "body": record.body,
    }
    return json.dumps(same, sort_keys=True, ensure_ascii=False).encode()


def body_hash(record: Record, vault: Vault | None = None) -> str:
    """The record's idempotency hash: keyed by the vault's index key, or (no vault,
    and records stored before migration 0006, all before the suites) plain SHA-256,
    which stays what it was so that their resends are still known."""
    if vault is not None:
        return vault.keyed_hash("record", _canonical(record))
    return crypto.suite("intl").digest(_canonical(record)).hex()


def _quick_batch(
    request: Request, batch: RecordBatch, terminal_id: str, now: float, check: dict[str, Any]
) -> BatchReply | None:
    """The batch with its check (backend/auth.py `quick_path`), on a connection of the
    pool, its commit waiting for the disk: no session for the check, and one for the
    records' indexes only, bound to the batch's transaction. On PostgreSQL, on a
    worker thread, the check inside the batch's one statement (`checked_in`); on
    SQLite, on the event loop, the check's statements before the batch's
    (`checked_here`). For a batch of new keys, each once, none of its records refused:
    else None, nothing written, and the whole check and `ingest` answer (a key rotated,
    a replay, the allowance spent, a key stored before, a record refused, a race)."""
    engine = request.app.state.engine
    records = batch.records
    twice = len({r.key for r in records}) < len(records)
    if twice or any(refusal(r) is not None for r in records):
        return None
    vault = vault_of(request.app)
    fresh = {r.key: r for r in records}
    rows = {key: _new_row(r, terminal_id, now, vault) for key, r in fresh.items()}
    with engine.connect() as connection, connection.begin() as transaction:
        seqs = _quickly_stored(connection, rows, terminal_id, now, check)
        if seqs is None:
            transaction.rollback()
            return None
        stored: dict[str, _Stored] = {}
        made: list[Session] = []  # made for the records that have indexes, if any

        def db() -> Session:  # joins the transaction: its commit is ours
            if not made:
                made.append(Session(bind=connection))
            return made[0]

        try:
            _indexed(request, db, fresh, seqs, rows, terminal_id, now, stored)
            for session in made:
                session.flush()  # an index row stored meanwhile: an error, all rolled back
        finally:
            for session in made:
                session.close()
    return BatchReply(receipts=_receipts(batch, stored, fresh), refused=[])


def _quickly_stored(
    connection: Connection,
    rows: dict[str, dict[str, Any]],
    terminal_id: str,
    now: float,
    check: dict[str, Any],
) -> dict[str, int] | None:
    """The quick batch's rows stored with its check, in `connection`'s transaction:
    their `seq`s by key; None when the check did not pass or a key was stored before
    (or meanwhile), the transaction then to be rolled back."""
    if connection.dialect.name == "postgresql":
        taken = _store_if_all_new(connection, list(rows.values()), terminal_id, now, check)
        if not taken.checked or taken.stored or len(taken.seqs) < len(rows):
            return None
        return taken.seqs
    if not checked_here(connection, check) or _STORED.rows(connection, {"keys": list(rows)}):
        return None
    seqs = dict(zip(rows, _INSERT.first_of_each(connection, list(rows.values())), strict=True))
    return None if None in seqs.values() else seqs  # a key stored meanwhile: not on SQLite


@router.post(
    "/v1/records",
    response_model=BatchReply,
    responses=responses(401, 409, 422),
    tags=["terminals"],
)
@signed
@quick_path(_quick_batch)
def ingest(request: Request, terminal: Signed, batch: RecordBatch) -> BatchReply:
    """Stores a batch of outbox records; the receipts come back in the batch's order."""
    db = terminal.db  # it holds the nonce: the batch commits with it, one commit a request
    try:
        reply = _store(request, db, terminal.id, batch)
        db.commit()
    except Refused:  # a conflict: the nonce stays used all the same
        db.commit()
        raise
    except IntegrityError:
        # Another request stored the same row at the same moment (a photo's receipt, a
        # rating's transaction): the request again, which finds it stored. Not on
        # SQLite, where one request writes at a time (this one has, its nonce).
        if db.get_bind().dialect.name == "sqlite":
            raise
        raise Again("a row of this batch was stored meanwhile") from None
    return reply


def refusal(record: Record) -> RecordRefusal | None:
    """Why this record can never be stored as it is, or None: its body against its
    kind's model (wire/sync.py BODIES), and text that is not Unicode (a lone
    surrogate, which no database takes)."""
    where = _not_unicode(record.body, "body")
    if where is not None:
        return RecordRefusal(key=record.key, code="invalid_record", detail=f"{where}: not text")
    try:
        BODIES[record.kind].model_validate(record.body)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        return RecordRefusal(key=record.key, code="invalid_record",
                             detail=f"body.{field}: {error['msg']}")  # fmt: skip
    return None


def _same(record: Record, stored_hash: str, vault: Vault | None) -> bool:
    """This record is the one stored under its key: its hash as stored now, or as it
    was stored before the vault (plain). A body that is not text never is."""
    try:
        if vault is not None and vault.same_hash(stored_hash, body_hash(record, vault)):
            return True
        return stored_hash == body_hash(record)
    except UnicodeEncodeError:
        return False


def _not_unicode(value: object, where: str) -> str | None:
    """The path of the first string (or key) under `value` that is not UTF-8 text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    children: list[tuple[object, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            children += [(key, f"{where} key"), (item, f"{where}.{key!a}")]
    elif isinstance(value, list):
        children = [(item, f"{where}[{i}]") for i, item in enumerate(value)]
    for child, path in children:
        found = _not_unicode(child, path)
        if found:
            return found
    return None


@dataclass(frozen=True)
class _Stored:
    """What a receipt and the indexes need of a stored record."""

    key: str
    seq: int
    kind: str
    created_at: float
    received_at: float
    body_hash: str


_RECORDS = cast(Table, StoredRecord.__table__)
# built once: every batch runs them (bench/backend_cost.py)
# the columns of _Stored, in its order
_STORED_COLUMNS = (_RECORDS.c.key, _RECORDS.c.seq, _RECORDS.c.kind, _RECORDS.c.created_at,
                   _RECORDS.c.received_at, _RECORDS.c.body_hash)  # fmt: skip
_STORED = Statement(
    select(*_STORED_COLUMNS).where(_RECORDS.c.key.in_(bindparam("keys", expanding=True))),
    expanding="keys",
)
# SQLite: a record's row as _new_row makes it, its `seq` returned; nothing when another
# request stored its key meanwhile (no error: the transaction goes on, and the request is
# done again, see `_store`)
_INSERT = Statement(
    sqlite.insert(_RECORDS).on_conflict_do_nothing(index_elements=["key"])
    .returning(_RECORDS.c.seq),
    ["key", "terminal_id", "kind", "session", "created_at", "received_at", "body_hash", "body",
     "sealed_key", "sealed"],
)  # fmt: skip


def _all_new(after: Any = None) -> Any:
    """PostgreSQL: a batch's rows stored in one statement when none of their keys was
    stored before, their (key, seq) returned; else the rows stored under those keys
    (as _STORED), and nothing of the batch stored. The rows come as one JSON text, in
    the batch's order (`n`): one parameter, where a statement a row cost a batch a
    seventh of its CPU in psycopg (bench/backend_cost.py). A row's body is a JSON text
    in it, stored as sent: the body's own JSON, read as fields, could not hold \\u0000.
    `after`: the check's CTE (backend/auth.py `checked_in`); the rows are stored only
    when it has a row, and then a row of NULLs says so."""
    sent = func.json_to_recordset(bindparam("rows", type_=JSON)).table_valued(
        column("n", Integer), column("key", String), column("kind", String),
        column("session", String), column("created_at", Float), column("body_hash", String),
        column("body", Text), column("sealed_key", String), column("sealed", Text),
    ).render_derived("sent", with_types=True)  # fmt: skip
    rows = select(sent).cte("rows")
    found = select(*_STORED_COLUMNS).where(_RECORDS.c.key.in_(select(rows.c.key))).cte("found")
    when = ~exists(select(found.c.key))
    if after is not None:
        when = when & exists(select(after))
    new = (
        postgresql.insert(_RECORDS).from_select(
            ["key", "terminal_id", "kind", "session", "created_at", "received_at", "body_hash",
             "body", "sealed_key", "sealed"],
            select(rows.c.key, bindparam("terminal_id", type_=String), rows.c.kind,
                   rows.c.session, rows.c.created_at, bindparam("received_at", type_=Float),
                   rows.c.body_hash, rows.c.body.cast(JSON), rows.c.sealed_key, rows.c.sealed)
            .where(when).order_by(rows.c.n),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_RECORDS.c.key, _RECORDS.c.seq)
        .cte("new")
    )  # fmt: skip
    parts = [select(found), select(new.c.key, new.c.seq, *[null()] * 4)]
    if after is not None:
        parts.append(select(*[null()] * 6).select_from(after))
    return union_all(*parts)


_ALL_NEW = Statement(_all_new())
_ALL_NEW_CHECKED = checked_in(_all_new)  # the quick path's (`_quick_batch`)


@dataclass(frozen=True)
class _Taken:
    """What `_store_if_all_new` found: the rows stored before under the batch's keys
    (then nothing was stored), else the new `seq`s by key; and whether the check it
    carried passed."""

    stored: dict[str, _Stored]
    seqs: dict[str, int]
    checked: bool


def _store_if_all_new(
    connection: Connection,
    rows: list[dict[str, Any]],
    terminal_id: str,
    now: float,
    check: dict[str, Any] | None = None,
) -> _Taken:
    """PostgreSQL: `rows` stored when none of their keys was stored before (but for a
    key another request stored meanwhile: not in `seqs`, no error). `check`: the
    check's parameters (`checked_in`): nothing is stored unless it passes."""
    sent = [{**{c: row[c] for c in _SENT}, "n": n, "body": json.dumps(row["body"])}
            for n, row in enumerate(rows)]  # fmt: skip
    params = {"rows": sent, "terminal_id": terminal_id, "received_at": now}
    statement = _ALL_NEW if check is None else _ALL_NEW_CHECKED
    found = statement.rows(connection, {**params, **(check or {})})
    stored = {row[0]: _Stored(*row) for row in found if row[5] is not None}
    seqs = {} if stored else {row[0]: row[1] for row in found if row[0] is not None}
    return _Taken(stored, seqs, check is None or any(row[0] is None for row in found))


_SENT = ("key", "kind", "session", "created_at", "body_hash", "sealed_key", "sealed")
_SESSION = insert(cast(Table, ServiceSession.__table__))
# an older terminal's session_ended names only the engine's outcome
OLD_ENDS = {"done": "finished", "cancelled": "cancelled", "timeout": "timed_out",
            "session_timeout": "timed_out"}  # fmt: skip


def _store(request: Request, db: Session, terminal_id: str, batch: RecordBatch) -> BatchReply:
    now = request.app.state.clock()
    vault = vault_of(request.app)
    connection = db.connection()
    refused = [r for r in map(refusal, batch.records) if r is not None]
    if refused:  # stored before under the same body (its receipt lost): a duplicate
        asked = {r.key: r for r in batch.records}
        found = _STORED.rows(connection, {"keys": [r.key for r in refused]})
        known = {row[0]: _Stored(*row).body_hash for row in found}
        refused = [
            r for r in refused if r.key not in known or not _same(asked[r.key], known[r.key], vault)
        ]
    if refused:  # refused alone: the rest of the batch is taken
        bad = {r.key for r in refused}
        log.warning("refused %d record(s) of %s: %s", len(refused), terminal_id, refused[0].detail)
        kept = [r for r in batch.records if r.key not in bad]
        if not kept:
            return BatchReply(receipts=[], refused=refused)
        batch = RecordBatch(records=kept)
    last = {r.key: r for r in batch.records}  # a key twice in the batch: its last record
    conflicts = [r.key for r in batch.records  # the same key twice in one batch, two bodies
                 if r is not last[r.key] and _canonical(r) != _canonical(last[r.key])]  # fmt: skip
    fresh: dict[str, Record] = {}  # in the batch's order: `seq` is the order of receipt
    for record in batch.records:
        fresh.setdefault(record.key, record)
    rows = {key: _new_row(r, terminal_id, now, vault) for key, r in fresh.items()}
    postgresql = connection.dialect.name == "postgresql"
    seqs: dict[str, int] = {}
    inserted = postgresql and not conflicts  # the common case, every key new: one round trip
    if inserted:
        taken = _store_if_all_new(connection, list(rows.values()), terminal_id, now)
        stored, seqs, inserted = taken.stored, taken.seqs, not taken.stored
    else:
        stored = {row[0]: _Stored(*row) for row in _STORED.rows(connection, {"keys": list(last)})}
    conflicts += [k for k, row in stored.items() if not _same(last[k], row.body_hash, vault)]
    if conflicts:
        raise Refused(409, "key_reused", "idempotency keys reused with another body",
                      keys=sorted(set(conflicts)))  # fmt: skip
    for key in stored:
        del fresh[key]
    if fresh and not inserted:  # no ORM objects: a statement (PostgreSQL) or one a row
        values = [rows[key] for key in fresh]
        if postgresql:
            seqs = _store_if_all_new(connection, values, terminal_id, now).seqs
        else:
            seqs = dict(zip(fresh, _INSERT.first_of_each(connection, values), strict=True))
    if fresh:
        if any(seqs.get(key) is None for key in fresh):
            # another request stored one of these keys since they were looked up
            raise Again("a record of this batch was stored meanwhile")
        _indexed(request, lambda: db, fresh, seqs, rows, terminal_id, now, stored)
    return BatchReply(receipts=_receipts(batch, stored, fresh), refused=refused)


def _indexed(
    request: Request,
    db: Callable[[], Session],
    fresh: dict[str, Record],
    seqs: dict[str, int],
    rows: dict[str, dict[str, Any]],
    terminal_id: str,
    now: float,
    stored: dict[str, _Stored],
) -> None:
    """The new records (`fresh`, stored as `rows` under `seqs`) into `stored`, and
    what other services look up of them (`_index`)."""
    vault = vault_of(request.app)
    ended: list[dict[str, Any]] = []  # the batch's sessions' ends, for the roll-ups
    for key, record in fresh.items():
        stored[key] = _Stored(key, seqs[key], record.kind.value, record.created_at, now,
                              rows[key]["body_hash"])  # fmt: skip
        _index(db, stored[key], record.body, terminal_id, vault, record.session,
               request.app.state.followup_due_s, ended)  # fmt: skip
    if ended:  # one statement for the batch's roll-ups (backend/rollups.py)
        terminal = db().get(Terminal, terminal_id)
        site = terminal_site(terminal.name, terminal.site) if terminal else terminal_id
        add_sessions(db().connection(), site, ended)


def _receipts(
    batch: RecordBatch, stored: dict[str, _Stored], fresh: dict[str, Record]
) -> list[Receipt]:
    """The batch's receipts, in its order; `fresh`: the records stored now (emptied)."""
    receipts = []
    for record in batch.records:
        done = stored[record.key]
        first = fresh.pop(record.key, None) is not None  # a key twice: its second is a duplicate
        receipts.append(
            Receipt(key=done.key, seq=done.seq, received_at=done.received_at, duplicate=not first)
        )
    return receipts


def _new_row(record: Record, terminal_id: str, now: float, vault: Vault | None) -> dict[str, Any]:
    """The record as stored: its personal fields sealed, the rest of its body in clear."""
    body, sealed = record.body, None
    if vault is not None:
        clear, personal = vault.split(record.body)
        if personal:
            body, sealed = clear, vault.seal(personal, record.key)
    return {
        "key": record.key,
        "terminal_id": terminal_id,
        "kind": record.kind.value,
        "session": record.session,
        "created_at": record.created_at,
        "received_at": now,
        "body_hash": body_hash(record, vault),
        "body": body,
        "sealed_key": sealed.key if sealed else None,
        "sealed": sealed.data if sealed else None,
    }


def _index(
    db: Callable[[], Session],
    row: _Stored,
    body: dict[str, Any],
    terminal_id: str,
    vault: Vault | None,
    session: str | None,
    due_s: float,
    ended: list[dict[str, Any]],
) -> None:
    """The records other services look up: photos by receipt number (with the keyed
    hash of their citizen's ID number, when the record names it), ID applications that
    gave a phone number (by that hash, for the renewal check), ratings (a low one
    opens a follow-up, due in `due_s`), help requests for the console, the terminal's
    last update outcome, a session's end for the data cockpit (its row, and into `ended`
    for the roll-ups). `body`: the record's body as sent, nothing sealed. `db()`: the
    session to write them in, made when first asked for (`_quick_batch`)."""
    if row.kind == RecordKind.APPLICATION:
        id_number, phone = body.get("id_number"), body.get("phone")
        # only a number a terminal may offer again (wire/services.py MOBILE); without a
        # vault the ID number could only be kept in clear: nothing is indexed
        if (vault is not None and isinstance(id_number, str)
                and re.fullmatch(ID_NUMBER, id_number.strip().upper())
                and isinstance(phone, str) and re.fullmatch(MOBILE, phone)):  # fmt: skip
            db().add(PhoneOnFile(record_seq=row.seq, id_hash=vault.id_hash(id_number)))
    elif row.kind == RecordKind.PHOTO and isinstance(body.get("receipt"), str):
        if db().get(Photo, body["receipt"]) is None:
            id_number = body.get("id_number")
            id_hash = vault.id_hash(id_number) if vault and isinstance(id_number, str) else None
            db().add(Photo(receipt=body["receipt"], record_seq=row.seq, id_hash=id_hash))
    elif row.kind == RecordKind.RATING and isinstance(body.get("transaction"), str):
        if db().get(Rating, body["transaction"]) is None:  # the first rating counts
            rating = Rating(
                transaction=body["transaction"],
                terminal_id=terminal_id,
                service=str(body.get("service", ""))[:40],
                stars=int(body.get("stars", 0)),
                received_at=row.received_at,
            )
            db().add(rating)
            ticket = open_ticket(rating, body.get("reason"), due_s)  # 1-2 stars only
            if ticket is not None:
                db().add(ticket)
    elif row.kind == RecordKind.HELP:
        try:
            call = HelpCall.model_validate(body)
        except ValidationError:  # stored as sent, but nobody can be sent to it
            log.warning("help record %s from %s has a body that is not a help call",
                        row.key, terminal_id)  # fmt: skip
            return
        db().add(HelpRequest(record_seq=row.seq, terminal_id=terminal_id,
                             asked_at=row.created_at, received_at=row.received_at,
                             **call.model_dump()))  # fmt: skip
    elif row.kind == RecordKind.UPDATE_OUTCOME:
        _update_outcome(db(), row, UpdateOutcomeBody.model_validate(body), terminal_id)
    elif row.kind == RecordKind.AUDIT and body.get("event") == "session_ended":
        # one plain insert, once per record: `_index` sees only records new to the store
        found = _service_session(row, body, terminal_id, session)
        db().connection().execute(_SESSION, found)
        ended.append(found)


def _service_session(
    row: _Stored, body: dict[str, Any], terminal_id: str, session: str | None
) -> dict[str, Any]:
    """The data cockpit's row of a session's end (docs/cockpit.md)."""
    ended = SessionEndedBody.model_validate(body)  # BODIES held it to this already
    steps = None if ended.steps is None else [s.model_dump() for s in ended.steps]
    machine = citizen = None
    if ended.steps is not None:
        machine = round(sum(s.s for s in ended.steps if s.who == "machine"), 1)
        citizen = round(sum(s.s for s in ended.steps if s.who == "citizen"), 1)
    end = ended.end or OLD_ENDS.get(ended.outcome, "failed")
    return {
        "record_seq": row.seq,
        "terminal_id": terminal_id,
        "session": session,
        "service": ended.flow or "other",
        "started_at": ended.started_at,
        "ended_at": ended.at if ended.at is not None else row.created_at,
        "outcome": ended.outcome[:40],
        "end": end,
        "reason": ended.reason or ended.outcome[:40] or end,
        "exit_step": ended.exit_step,
        "steps": steps,
        "duration_s": ended.duration_s,
        "machine_s": machine,
        "citizen_s": citizen,
    }


def _update_outcome(
    db: Session, row: _Stored, outcome: UpdateOutcomeBody, terminal_id: str
) -> None:
    """The terminal's last update outcome, for `release list` and the console. A version
    that rolled back (or failed with no way back) is an alert, and is no longer staged
    for this terminal: it would ask for it again (an operator stages it anew)."""
    terminal = db.get(Terminal, terminal_id)
    if terminal is None:
        return
    terminal.last_update = {**outcome.model_dump(by_alias=True), "received_at": row.received_at}
    if outcome.result == "installed":
        return
    what = "rolled back to" if outcome.result == "rolled_back" else "failed, no way back to"
    raise_alert(db, terminal_id, f"update_{outcome.result}",
                f"{outcome.to_version} {what} {outcome.from_version}: "
                f"{outcome.reason or 'no reason given'}", row.received_at)  # fmt: skip
    if terminal.staged_version == outcome.to_version:
        terminal.staged_version, terminal.staged_at = None, None
        audit(db, row.received_at, "terminal", terminal_id, "release_withdrawn", terminal_id,
              f"{outcome.to_version}: {outcome.result}")  # fmt: skip
