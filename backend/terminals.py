"""Terminals: enrolment with a one-time code, revocation, heartbeat, config pull."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import (
    Boolean,
    Table,
    bindparam,
    case,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.alerts import raise_alert
from backend.audit import audit
from backend.auth import Signed, checked_and, quick_path, signed, telemetry
from backend.db import ConsumableSample, EnrolmentCodeRow, Terminal
from backend.limits import source, spend_now
from backend.operators import SignedIn, signed_in
from backend.problems import Refused, responses
from backend.statements import Script, Statement
from wire import crypto, signing
from wire.encoding import unb64
from wire.sync import (
    ConfigPack,
    EnrolmentCode,
    EnrolmentReply,
    EnrolmentRequest,
    Heartbeat,
    HeartbeatReply,
    KeyRotation,
    KeyRotationReply,
    possession_message,
)
from wire.versions import newer, valid_version

router = APIRouter()
CODE_LIFETIME_S = 24 * 3600
# A drift beyond half the signature window is alerted on, before requests start failing.
DRIFT_ALERT_S = signing.WINDOW_S / 2
# a consumable's level is sampled when it changed, or this long after its last sample
SAMPLE_EVERY_S = 3600.0
_ALPHABET = string.ascii_uppercase.replace("O", "").replace("I", "") + "23456789"


def new_code(engine: Engine, now: float) -> EnrolmentCode:
    code = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
    with Session(engine) as db:
        db.add(EnrolmentCodeRow(code=code, created_at=now, expires_at=now + CODE_LIFETIME_S))
        db.commit()
    return EnrolmentCode(code=code, expires_at=now + CODE_LIFETIME_S)


@router.post(
    "/v1/admin/enrolment-codes",
    response_model=EnrolmentCode,
    status_code=201,
    responses=responses(403),
    tags=["operators"],
)
def make_enrolment_code(
    request: Request, who: Annotated[SignedIn, Depends(signed_in("operator"))]
) -> EnrolmentCode:
    """A one-time code a technician types into `kiosk enroll` (valid 24 h)."""
    made = new_code(request.app.state.engine, request.app.state.clock())
    with Session(request.app.state.engine) as db, db.begin():
        audit(db, request.app.state.clock(), "operator", who.name, "enrolment_code",
              made.code[:4] + "-…", session=who.session,
              source=source(request, request.app.state.limits))  # fmt: skip
    return made


@router.post(
    "/v1/admin/terminals/{terminal_id}/revoke",
    status_code=204,
    responses=responses(403, 404),
    tags=["operators"],
)
def revoke(
    terminal_id: str,
    request: Request,
    who: Annotated[SignedIn, Depends(signed_in("administrator"))],
) -> Response:
    """From now on every request signed by this terminal is refused."""
    with Session(request.app.state.engine) as db:
        terminal = db.get(Terminal, terminal_id)
        if terminal is None:
            raise Refused(404, "unknown_terminal", f"no terminal {terminal_id}")
        terminal.revoked_at = terminal.revoked_at or request.app.state.clock()
        audit(db, request.app.state.clock(), "operator", who.name, "revoke", terminal_id,
              session=who.session, source=source(request, request.app.state.limits))  # fmt: skip
        db.commit()
    return Response(status_code=204)


@router.post(
    "/v1/enrol",
    response_model=EnrolmentReply,
    status_code=201,
    responses=responses(409, 410, 422, 429),
    tags=["terminals"],
)
def enrol(request: Request, body: EnrolmentRequest) -> EnrolmentReply:
    """Registers a terminal's public key under a one-time code; the code is spent. The
    key is of the deployment's crypto suite (`serve --crypto-suite`), or refused with
    `wrong_suite` before the code is looked at."""
    now = request.app.state.clock()
    limits = request.app.state.limits
    address = source(request, limits)
    counted = address not in limits.exempt
    if counted:
        spend_now(request, f"enrol:{address}", limits.enrol)
        spend_now(request, f"enrol-fail:{address}", limits.enrol_failures, peek=True)
    public_key = _enrolling_key(body.public_key, request.app.state.crypto_suite)
    with Session(request.app.state.engine) as db:
        row = db.get(EnrolmentCodeRow, body.code.strip().upper(), with_for_update=True)
        if row is None or row.used_at is not None or row.expires_at < now:
            if counted:  # codes that keep failing lock the address out for the window
                spend_now(request, f"enrol-fail:{address}", limits.enrol_failures)
            raise Refused(410, "code_unusable", "the enrolment code is unknown, used or expired")
        if db.scalar(select(Terminal).where(Terminal.public_key == public_key)):
            raise Refused(409, "key_enrolled", "this public key is already enrolled")
        terminal = Terminal(
            id="T" + secrets.token_hex(6),
            public_key=public_key,
            name=body.name,
            site=body.site.strip() if body.site else None,  # older terminals send none
            enrolled_at=now,
            software_version=body.software_version,
            devices={},
            consumables={},
            outbox_depth=0,
        )
        db.add(terminal)
        row.used_at, row.terminal_id = now, terminal.id
        db.commit()
        return EnrolmentReply(terminal_id=terminal.id, server_time=now)


def _enrolling_key(text: str, deployment: str) -> str:
    """The key's text as kept (wire/signing.py's form: `intl:` dropped), if it is a key
    of the deployment's suite; else a 422 Problem."""
    try:
        suite, public = signing.load_public_key(text)
    except signing.SignatureError as exc:
        raise Refused(422, "bad_key", str(exc)) from None
    if suite.name != deployment:
        ours, theirs = (_algorithm(s) for s in (crypto.suite(deployment), suite))
        raise Refused(
            422,
            "wrong_suite",
            f"this deployment enrols keys of the {deployment} suite ({ours}), not "
            f'{suite.name} ({theirs}): set [crypto] suite = "{deployment}" on the '
            "terminal and enrol again",
        )
    return signing.public_key_text(public)


@router.post(
    "/v1/terminals/me/key",
    response_model=KeyRotationReply,
    responses=responses(401, 409, 422),
    tags=["terminals"],
)
@signed
def rotate_key(request: Request, terminal: Signed, body: KeyRotation) -> KeyRotationReply:
    """The terminal's new key, in the deployment's suite; the old one signs nothing
    from now on. Idempotent: the same rotation signed by the new key answers the same,
    so a terminal whose answer was lost finishes by asking again."""
    now = request.app.state.clock()
    new_key = _enrolling_key(body.public_key, request.app.state.crypto_suite)
    suite, public = signing.load_public_key(new_key)
    try:
        proof = unb64(body.possession)
        # over the key's text as sent (an `intl:` marker and all), as a client signs it
        suite.verify(public, possession_message(terminal.id, body.public_key), proof)
    except (ValueError, crypto.CryptoError):
        raise Refused(422, "no_possession", "the new key's signature does not match") from None
    with terminal.session() as db:
        row = db.get(Terminal, terminal.id)
        assert row is not None  # signed_terminal found it
        if row.public_key != new_key:
            taken = db.scalar(select(Terminal.id).where(Terminal.public_key == new_key))
            if taken is not None:
                raise Refused(409, "key_enrolled", "this public key is already enrolled")
            old_suite = signing.load_public_key(row.public_key)[0].name
            row.public_key = new_key
            audit(db, now, "terminal", terminal.id, "key_rotated", target=terminal.id,
                  detail=f"{old_suite} -> {suite.name}")  # fmt: skip
        try:
            db.commit()
        except IntegrityError:  # another terminal took the key at the same moment
            db.rollback()
            raise Refused(409, "key_enrolled", "this public key is already enrolled") from None
    return KeyRotationReply(terminal_id=terminal.id, suite=suite.name)


def _algorithm(suite: crypto.Suite) -> str:
    """SM2 or Ed25519: the signature's name without SM2's user ID, which a terminal's
    log would mask as an ID number."""
    return suite.signature_name.split()[0]


def _quick_beat(
    request: Request, body: Heartbeat, terminal_id: str, now: float, check: dict[str, Any]
) -> HeartbeatReply | None:
    """The heartbeat with its check on the event loop's own connection (backend/auth.py
    `checked_and`; on PostgreSQL one statement); None to have `heartbeat` do it (a
    clock to alert on, or the check wrote nothing)."""
    drift = body.terminal_time - now
    if abs(drift) > DRIFT_ALERT_S:
        return None
    values = _beat_values(terminal_id, body, now)
    found = request.app.state.alone.rows(_QUICK_BEAT, {
        **check, **values, "s_terminal_id": terminal_id, "s_at": now,
        "s_levels": values["b_consumables"], "s_any": bool(values["b_consumables"]),
    })  # fmt: skip
    if not found:
        return None
    return _beat_reply(request, body, now, found[0][0])


@router.post(
    "/v1/heartbeat",
    response_model=HeartbeatReply,
    # a terminal older than `staged_version` refuses a field it does not know, null too
    response_model_exclude_none=True,
    responses=responses(401, 422),
    tags=["terminals"],
)
@signed
@telemetry
@quick_path(_quick_beat)
def heartbeat(request: Request, terminal: Signed, body: Heartbeat) -> HeartbeatReply:
    """Device status, consumables, outbox lag and the terminal's clock; the answer
    carries the backend's clock, the config's ETag (pull when it changed) and, to a
    terminal that takes updates (`update` sent), the version staged for it when that is
    newer than the one it runs."""
    now = request.app.state.clock()
    db = terminal.db  # the request's one transaction, its nonce in it
    # one statement, no ORM object: every terminal beats every minute
    connection = db.connection()
    values = _beat_values(terminal.id, body, now)
    (beat,) = _BEAT.rows(connection, values)
    if beat[1] == now and values["b_consumables"]:  # a level moved, or an hour went by
        _SAMPLE.rows(connection, {"s_terminal_id": terminal.id, "s_at": now,
                                  "s_levels": values["b_consumables"]})  # fmt: skip
    drift = body.terminal_time - now
    if abs(drift) > DRIFT_ALERT_S:
        raise_alert(db, terminal.id, "clock_drift",
                    f"terminal clock {drift:+.0f} s from the backend's", now)  # fmt: skip
    db.commit()
    return _beat_reply(request, body, now, beat[0])


def _beat_values(terminal_id: str, body: Heartbeat, now: float) -> dict[str, Any]:
    levels = dict(sorted(body.consumables.items()))
    return {
        "b_id": terminal_id, "b_last_heartbeat_at": now, "b_drift_s": body.terminal_time - now,
        "b_software_version": body.software_version,
        "b_devices": {name: d.model_dump() for name, d in body.devices.items()},
        "b_consumables": levels, "b_outbox_depth": body.outbox.depth,
        "b_outbox_oldest_age_s": body.outbox.oldest_age_s, "b_outbox_held": body.outbox.held,
        "b_update_probation": body.update.probation if body.update else None,
        "b_levels_sampled": json.dumps(levels, separators=(",", ":")),
    }  # fmt: skip


def _beat_reply(
    request: Request, body: Heartbeat, now: float, staged_version: str | None
) -> HeartbeatReply:
    drift = body.terminal_time - now
    staged = _staged_for(staged_version, body.software_version)
    return HeartbeatReply(
        server_time=now,
        drift_s=drift,
        drift_alert=abs(drift) > DRIFT_ALERT_S,
        config_etag=request.app.state.config_pack().etag,
        staged_version=staged if body.update is not None else None,
    )


_TERMINALS = cast(Table, Terminal.__table__)
_SAMPLES = cast(Table, ConsumableSample.__table__)
# on the driver's cursor (backend/statements.py), no ORM object: every terminal beats
# every minute (bench/backend_cost.py)
_BEAT_UPDATE = (
    update(_TERMINALS)
    .where(_TERMINALS.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in (
        "last_heartbeat_at", "drift_s", "software_version", "devices", "consumables",
        "outbox_depth", "outbox_oldest_age_s", "outbox_held", "update_probation",
    )})
    .values(
        # the consumables' levels as sampled last, and when: a sample is due (the time
        # moves to now) when a level differs from the last sample's, or an hour after it
        levels_sampled=bindparam("b_levels_sampled"),
        levels_sampled_at=case(
            (_TERMINALS.c.levels_sampled.is_(None)
             | (_TERMINALS.c.levels_sampled != bindparam("b_levels_sampled"))
             | (_TERMINALS.c.levels_sampled_at
                <= bindparam("b_last_heartbeat_at") - SAMPLE_EVERY_S),
             bindparam("b_last_heartbeat_at")),
            else_=_TERMINALS.c.levels_sampled_at,
        ),
    )
)  # fmt: skip
_BEAT_RETURNS = (_TERMINALS.c.staged_version, _TERMINALS.c.levels_sampled_at)
_BEAT = Statement(_BEAT_UPDATE.returning(*_BEAT_RETURNS))
_SAMPLE = Statement(
    insert(_SAMPLES).values(
        terminal_id=bindparam("s_terminal_id"), at=bindparam("s_at"), levels=bindparam("s_levels")
    )
)


def _quick_beat_script() -> Script:
    """The beat and its sample (as `_BEAT` and `_SAMPLE`) with the check (backend/
    auth.py `checked_and`); the terminal's staged version. On PostgreSQL made when the
    check's `seen` has its row; on SQLite after the check's statements."""
    sample_columns = ("terminal_id", "at", "levels")
    sample = [bindparam(f"s_{name}", type_=_SAMPLES.c[name].type) for name in sample_columns]
    due = bindparam("s_any", type_=Boolean)

    def beat_when(seen: Any) -> Any:
        beat = _BEAT_UPDATE.where(exists(select(seen))).returning(*_BEAT_RETURNS).cte("beat")
        when = (
            select(*sample)
            .select_from(beat)
            .where(beat.c.levels_sampled_at == bindparam("s_at"), due)
        )
        sampled = insert(_SAMPLES).from_select(sample_columns, when)
        return select(beat.c.staged_version).select_from(beat).add_cte(sampled.cte("sampled"))

    sampled_now = exists().where(_TERMINALS.c.id == bindparam("b_id"),
                                 _TERMINALS.c.levels_sampled_at == bindparam("s_at"))  # fmt: skip
    return checked_and(beat_when, then=[
        _BEAT_UPDATE.returning(*_BEAT_RETURNS),
        insert(_SAMPLES).from_select(sample_columns, select(*sample).where(due, sampled_now)),
    ])  # fmt: skip


_QUICK_BEAT = _quick_beat_script()


def _staged_for(staged: str | None, running: str) -> str | None:
    """The staged version, when the terminal should move to it: newer than the version
    it runs (or that one is no Debian version: a development build)."""
    if staged is None or not valid_version(staged):
        return None
    if valid_version(running) and not newer(staged, running):
        return None
    return staged


@router.get(
    "/v1/config",
    response_model=ConfigPack,
    responses={304: {"description": "unchanged"}, **responses(401)},
    tags=["terminals"],
)
@signed
def config(request: Request, terminal: Signed) -> Response:
    """The city pack and the issuer keys; `If-None-Match` with the last ETag gives 304."""
    pack = request.app.state.config_pack()
    if request.headers.get("If-None-Match", "").strip('"') == pack.etag:
        return Response(status_code=304, headers={"ETag": f'"{pack.etag}"'})
    return Response(
        pack.model_dump_json(), media_type="application/json", headers={"ETag": f'"{pack.etag}"'}
    )


def load_config_pack(
    folder: Path | None, issuer_keys: dict[str, str], suite: str = crypto.DEFAULT
) -> ConfigPack:
    """The city pack folder's text files and the issuer keys, under one content ETag
    (a digest in the deployment's suite: a switch makes terminals pull once more)."""
    files: dict[str, str] = {}
    if folder is not None:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            files[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    content = json.dumps({"files": files, "keys": issuer_keys}, sort_keys=True).encode()
    etag = crypto.suite(suite).digest(content).hex()[:32]
    return ConfigPack(etag=etag, city_pack=files, issuer_keys=issuer_keys)
