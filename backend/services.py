"""The services the flows call: eligibility (rules of services.md), photos by
receipt number, proof issuance and its public verification.

Each of them but the public verification looks a person up: counted against the
terminal's quota, audited and watched (backend/lookups.py). A photo is the taking
terminal's, or any terminal's that names its citizen too (receipt number and ID
number together); what a terminal may not see answers exactly as what does not exist.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend import registry
from backend.auth import Signed, signed
from backend.db import Citizen, Permit, PhoneOnFile, Photo, Proof, StoredRecord, Terminal
from backend.limits import source, spend_now
from backend.lookups import mask_id, mask_permit, personal_lookup
from backend.problems import Refused, responses
from backend.proof_kinds import VALID_DAYS, statement
from backend.tables import terminal_site
from backend.vault import Vault, VaultError, vault_of
from wire import proof as kp
from wire.services import (
    MOBILE,
    Eligibility,
    EndorsementCheck,
    EndorsementOption,
    ExitEntryCheck,
    ExitEntryEligibility,
    PhotoLookup,
    PhotoReply,
    PickupLookup,
    PickupReply,
    ProofCheck,
    ProofReply,
    ProofRequest,
    RenewalCheck,
)

router = APIRouter(tags=["services"])
log = logging.getLogger("kiosk.backend.services")

RENEWAL_WINDOW_DAYS = 92  # within three months of expiry, or expired
MIN_AGE = 16
ENDORSEMENT_INTERVAL_DAYS = 30
PERMIT_MARGIN_DAYS = 20  # the permit must outlast the endorsement by about 20 days
PROOFS_PER_YEAR = 3  # of one kind; beyond this a reason is required
# 出入境证件: under 16 the application is made with a guardian present, at the counter;
# a first application is ready for collection after the processing days
EXIT_ENTRY_MIN_AGE = 16
EXIT_ENTRY_PROCESSING_DAYS = 7


def _today(request: Request) -> dt.date:
    return dt.date.fromtimestamp(request.app.state.clock())


def _age(id_number: str, today: dt.date) -> int:
    born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@router.post(
    "/v1/eligibility/id-renewal", response_model=Eligibility, responses=responses(401, 422, 429)
)
@signed
def renewal(request: Request, terminal: Signed, check: RenewalCheck) -> Eligibility:
    """May this citizen renew or replace the ID card at a terminal?"""
    target = f"id {mask_id(check.id_number)}"
    with personal_lookup(request, terminal, "lookup_renewal", target) as lookup:
        found = _renewal(_today(request), terminal, check, vault_of(request.app))
        lookup.detail = _verdict(found)  # never the phone
        return found


def _renewal(today: dt.date, terminal: Signed, check: RenewalCheck, vault: Vault) -> Eligibility:
    with terminal.session() as db:
        citizen = db.get(Citizen, check.id_number)
        if citizen is None:
            return Eligibility(eligible=False, reason="not_registered")
        if _age(citizen.id_number, today) < MIN_AGE:
            return Eligibility(eligible=False, reason="minor")
        if citizen.first_application:
            return Eligibility(eligible=False, reason="first_application")
        if citizen.collective_household:
            return Eligibility(eligible=False, reason="collective_household")
        expires = dt.date.fromisoformat(citizen.card_expires)
        if check.reason == "expiry" and (expires - today).days > RENEWAL_WINDOW_DAYS:
            return Eligibility(eligible=False, reason="not_due")
        return Eligibility(eligible=True, phone=_phone_on_file(db, vault, check.id_number))


def _phone_on_file(db: Session, vault: Vault, id_number: str) -> str | None:
    """The phone number of the citizen's latest application that gave one (the order of
    receipt), opened from its sealed record; None when none is on file (or it no longer
    opens: the citizen types it)."""
    seq = db.scalar(
        select(PhoneOnFile.record_seq)
        .where(PhoneOnFile.id_hash == vault.id_hash(id_number))
        .order_by(PhoneOnFile.record_seq.desc())
        .limit(1)
    )
    record = db.get(StoredRecord, seq) if seq is not None else None
    if record is None:
        return None
    try:
        phone = vault.open(record).get("phone")
    except VaultError:  # a lost master key: said once, in a line naming the record only
        log.warning("record %s: its sealed fields do not open; no phone offered", record.key)
        return None
    return phone if isinstance(phone, str) and re.fullmatch(MOBILE, phone) else None


@router.post(
    "/v1/eligibility/endorsement", response_model=Eligibility, responses=responses(401, 422, 429)
)
@signed
def endorsement(request: Request, terminal: Signed, check: EndorsementCheck) -> Eligibility:
    """Which endorsements may be issued on this permit (none: the reason)?"""
    target = f"permit {mask_permit(check.permit_number)}"
    with personal_lookup(request, terminal, "lookup_endorsement", target) as lookup:
        found = _endorsement(_today(request), terminal, check)
        lookup.detail = _verdict(found)
        return found


def _endorsement(today: dt.date, terminal: Signed, check: EndorsementCheck) -> Eligibility:
    with terminal.session() as db:
        permit = db.get(Permit, check.permit_number)
        if permit is None:
            return Eligibility(eligible=False, reason="not_registered")
        holder = db.get(Citizen, permit.id_number)
        assert holder is not None  # a foreign key
        refusal = (
            "booklet" if permit.booklet
            else "state_employee" if holder.state_employee
            else "first_use" if permit.endorsements_used == 0
            else "exit_entry_check" if holder.exit_entry_hold
            else "interval" if permit.last_endorsed and (
                today - dt.date.fromisoformat(permit.last_endorsed)
            ).days < ENDORSEMENT_INTERVAL_DAYS
            else None
        )  # fmt: skip
        if refusal:
            return Eligibility(eligible=False, reason=refusal)
        days_left = (dt.date.fromisoformat(permit.expires) - today).days
    options = [
        EndorsementOption(type=kind, months=months)
        for months in (3, 12)
        if days_left >= months * 30.5 + PERMIT_MARGIN_DAYS
        for kind in ("G", "L", "T")
    ]  # fmt: skip
    if not options:
        return Eligibility(eligible=False, reason="permit_expiring")
    return Eligibility(eligible=True, options=options)


@router.post(
    "/v1/eligibility/exit-entry",
    response_model=ExitEntryEligibility,
    responses=responses(401, 422, 429),
)
@signed
def exit_entry(request: Request, terminal: Signed, check: ExitEntryCheck) -> ExitEntryEligibility:
    """May this citizen apply for a passport or a Hong Kong / Macau permit here, and
    from which day could it be collected?"""
    target = f"id {mask_id(check.id_number)}"
    with personal_lookup(request, terminal, "lookup_exit_entry", target) as lookup:
        found = _exit_entry(_today(request), terminal, check, vault_of(request.app))
        lookup.detail = _verdict(found)  # whether, never why
        return found


def _exit_entry(
    today: dt.date, terminal: Signed, check: ExitEntryCheck, vault: Vault
) -> ExitEntryEligibility:
    with terminal.session() as db:
        citizen = db.get(Citizen, check.id_number)
        if citizen is None:
            return ExitEntryEligibility(eligible=False, reason="not_registered")
        # the registry holds permits only: a passport held is known at the counter
        held = check.document == "hk_macau_permit" and db.scalar(
            select(func.count()).select_from(Permit).where(
                Permit.id_number == citizen.id_number, Permit.expires > today.isoformat()
            )
        )  # fmt: skip
        refusal = (
            "restricted_from_exit" if citizen.exit_entry_hold
            else "under_age_needs_guardian" if _age(citizen.id_number, today) < EXIT_ENTRY_MIN_AGE
            else "already_holds_valid_document" if held
            else None
        )  # fmt: skip
        if refusal:
            return ExitEntryEligibility(eligible=False, reason=refusal)
        phone = _phone_on_file(db, vault, check.id_number)  # as the renewal check offers it
    pickup = today + dt.timedelta(days=EXIT_ENTRY_PROCESSING_DAYS)
    return ExitEntryEligibility(eligible=True, pickup_date=pickup.isoformat(), phone=phone)


@router.post("/v1/pickups/lookup", response_model=PickupReply, responses=responses(401, 422, 429))
@signed
def pickup(request: Request, terminal: Signed, ask: PickupLookup) -> PickupReply:
    """Is a finished document waiting for this citizen (or for this pickup notice, held
    by this citizen) at this terminal? The answer names it masked, never in the clear."""
    target = f"id {mask_id(ask.id_number)}"
    with personal_lookup(request, terminal, "lookup_pickup", target) as lookup:
        found = _pickup(_today(request), terminal, ask)
        lookup.detail = "ready" if found.ready else "not ready"  # whether, never why
        return found


def _pickup(today: dt.date, terminal: Signed, ask: PickupLookup) -> PickupReply:
    mine = [p for p in registry.PICKUPS if registry.citizen_id(p.holder) == ask.id_number]
    if ask.reference is not None:  # the notice says which; another's notice finds nothing
        mine = [p for p in mine if p.reference == ask.reference]
    with terminal.session() as db:
        told = set(db.scalars(select(StoredRecord.key).where(
            StoredRecord.kind == "application",
            StoredRecord.key.in_([f"pickup-{p.reference}" for p in mine]),
        )))  # fmt: skip
        row = db.get(Terminal, terminal.id)
        here = terminal_site(row.name, row.site) if row is not None else ""
        holder = db.get(Citizen, ask.id_number)
        name = holder.name[:1] + "*" * (len(holder.name) - 1) if holder is not None else None
    waiting = [p for p in mine if not p.collected and f"pickup-{p.reference}" not in told]
    if not mine:
        return PickupReply(ready=False, reason="nothing_ready")
    if not waiting:
        return PickupReply(ready=False, reason="already_collected")
    found = min(waiting, key=lambda p: p.ready_in_days)  # the one ready soonest
    ready = today + dt.timedelta(days=found.ready_in_days)
    if ready > today:
        return PickupReply(ready=False, reason="not_yet_ready", ready_date=ready.isoformat())
    if found.held:
        return PickupReply(ready=False, reason="held_for_counter")
    if found.site is not None and found.site != here:
        return PickupReply(ready=False, reason="wrong_terminal", site=found.site)
    number = ask.id_number if found.document == "id_card" else found.number
    return PickupReply.model_validate({
        "ready": True, "reference": found.reference, "document": found.document,
        "document_number": _masked(number), "holder": name,
    })  # fmt: skip


def _masked(number: str) -> str:
    """A document number as a pickup slip prints it: the first and last two characters."""
    return number[:2] + "*" * max(0, len(number) - 4) + number[-2:]


def _verdict(found: Eligibility | ExitEntryEligibility) -> str:
    """For the audit log: whether, never why (the reason is about the person)."""
    return "eligible" if found.eligible else "not eligible"


@router.post(
    "/v1/photos/lookup", response_model=PhotoReply, responses=responses(401, 404, 422, 429)
)
@signed
def photo(request: Request, terminal: Signed, ask: PhotoLookup) -> PhotoReply:
    """An ID photo by the receipt number printed on its slip: for the terminal that took
    it, or for another one that gives the citizen's ID number too. Not found, and found
    but not this terminal's to see, are the same 404: the answer never says which half
    of a receipt and ID number pair was wrong."""
    target = f"photo {ask.receipt}" + (f" id {mask_id(ask.id_number)}" if ask.id_number else "")
    with personal_lookup(request, terminal, "lookup_photo", target) as lookup:
        found = _photo(request, terminal, ask)
        if found is None:
            lookup.detail = "not found"
            raise Refused(404, "no_photo", "no photo under that receipt number for this terminal")
        lookup.detail = "found"
        return found


def _photo(request: Request, terminal: Signed, ask: PhotoLookup) -> PhotoReply | None:
    vault = vault_of(request.app)
    # hashed whether or not the photo exists: the time taken tells nothing either
    asked = vault.id_hash(ask.id_number) if ask.id_number else ""
    with terminal.session() as db:
        found = db.get(Photo, ask.receipt)
        record = db.get(StoredRecord, found.record_seq) if found else None
        if found is None or record is None:
            return None
        named = bool(asked) and vault.same_hash(found.id_hash, asked)
        if record.terminal_id != terminal.id and not named:
            return None
        body = vault.open(record)
    jpeg = body.get("jpeg_base64")
    if not isinstance(jpeg, str):
        return None
    return PhotoReply(receipt=ask.receipt, jpeg_base64=jpeg, stored_at=record.received_at)


@router.post("/v1/proofs", response_model=ProofReply, responses=responses(401, 422, 429))
@signed
def issue_proof(request: Request, terminal: Signed, ask: ProofRequest) -> ProofReply:
    """Issues a signed proof (or says why not): the QR code's text and its serial."""
    target = f"id {mask_id(ask.id_number)}"
    with personal_lookup(request, terminal, "lookup_proof", target) as lookup:
        reply = _issue(request, terminal, ask)
        # whether, never why: "record_found" is about the person
        outcome = f"issued {reply.serial}" if reply.issued else "not issued"
        lookup.detail = f"{ask.doc_type} proof {outcome}"
        return reply


def _issue(request: Request, terminal: Signed, ask: ProofRequest) -> ProofReply:
    issuer = request.app.state.issuers.current()
    today = _today(request)
    holder_hmac = issuer.holder_hmac(ask.id_number)
    with terminal.session() as db:
        citizen = db.get(Citizen, ask.id_number)
        if citizen is None:
            return ProofReply(issued=False, reason="not_registered")
        stated = statement(db, citizen, ask)
        if stated.refused is not None:  # the counter decides
            return ProofReply(issued=False, reason=stated.refused)
        this_year = db.scalar(
            select(func.count()).select_from(Proof).where(
                # in every suite of our keys: the proofs from before a suite switch count
                Proof.id_hmac.in_(issuer.holder_hmacs(ask.id_number)),
                Proof.doc_type == ask.doc_type,
                Proof.issued >= f"{today.year}0101",
            )
        )  # fmt: skip
        if (this_year or 0) >= PROOFS_PER_YEAR and not ask.reason.strip():
            return ProofReply(issued=False, reason="reason_required")
        serial = f"{ask.doc_type}-{today:%Y%m%d}-{secrets.token_hex(4)}".upper()
        payload = kp.ProofPayload(
            t=ask.doc_type, s=serial,
            n=kp.holder_name(citizen.name), h=holder_hmac, u=ask.use,
            i=f"{today:%Y%m%d}",
            e=f"{today + dt.timedelta(days=VALID_DAYS[ask.doc_type]):%Y%m%d}",
            k=issuer.key_id,
            d=kp.details_digest(stated.details, issuer.suite) if stated.details else None,
        )  # fmt: skip
        code = kp.encode(payload, issuer.signing_key)
        db.add(
            Proof(
                serial=payload.s,
                doc_type=payload.t,
                id_hmac=holder_hmac,
                issued=payload.i,
                expires=payload.e,
                code=code,
                terminal_id=terminal.id,
            )
        )
        db.commit()
    return ProofReply(
        issued=True, code=code, serial=payload.s, verification_code=kp.verification_code(code),
        details=stated.details,
    )  # fmt: skip


def check_proof(request: Request, code: str) -> ProofCheck:
    trusted = {
        key_id: kp.public_key_from_text(text)
        for key_id, text in request.app.state.issuers.current().public_keys.items()
    }
    try:
        payload = kp.decode(code, trusted)
    except kp.UnknownKeyError:
        return ProofCheck(valid=False, reason="unknown_key")
    except kp.ProofSignatureError:
        return ProofCheck(valid=False, reason="forged")
    except kp.ProofFormatError:
        return ProofCheck(valid=False, reason="unreadable")
    with Session(request.app.state.engine) as db:
        issued = db.get(Proof, payload.s)
    fields = {
        "doc_type": kp.DOCUMENT_TYPES[payload.t],
        "serial": payload.s,
        "holder": payload.n,
        "use": payload.u,
        "issued": payload.i,
        "expires": payload.e,
    }
    if issued is None:
        return ProofCheck(valid=False, reason="unknown", **fields)
    if payload.expires < _today(request):
        return ProofCheck(valid=False, reason="expired", **fields)
    return ProofCheck(valid=True, **fields)


@router.get(
    "/v1/proofs/verify", response_model=ProofCheck, responses=responses(422, 429),
    tags=["public"],
)  # fmt: skip
def verify_proof(request: Request, code: str) -> ProofCheck:
    """Anyone may check a proof's QR text: genuine, issued here, still valid."""
    _count_verification(request)
    return check_proof(request, code)


@router.get("/verify", response_class=HTMLResponse, tags=["public"])
def verify_page(request: Request, code: str = "") -> HTMLResponse:
    """The page a proof's QR code points to (for a phone's browser)."""
    if code:
        _count_verification(request)
    found = check_proof(request, code) if code else None
    if found is None:
        verdict = "请扫描证明上的二维码 / Scan the proof's QR code"
    elif found.valid:
        verdict = "✔ 证明有效 / Genuine and valid"
    else:
        verdict = f"✘ 证明无效 / Not valid ({found.reason})"
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in (found.model_dump().items() if found else ())
        if k not in ("valid", "reason") and v is not None
    )
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width"><title>证明核验</title>'
        f'<h1 id="verdict">{html.escape(verdict)}</h1><table>{rows}</table></html>'
    )
    return HTMLResponse(page)


def _count_verification(request: Request) -> None:
    limits = request.app.state.limits
    address = source(request, limits)
    if address not in limits.exempt:
        spend_now(request, f"verify:{address}", limits.verify)
