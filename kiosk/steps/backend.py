"""The flows' `backend` step on the real backend.

Online operations (eligibility, proof issuance) ask the backend and wait for its
word; the backend being unreachable fails the step with `offline` (the flow says
what that means to the citizen). Queued operations (an application, a photo, a
queue ticket, a refund request) commit their record to the encrypted outbox in one
transaction and are done at once: the relay delivers them, at least once, in order,
even after hours offline. Personal data goes nowhere else: not in the journal, not
in a log line.

Each step's `data` (flow file) names the collected values its operation sends.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from kiosk.sync.client import BackendClient, Refused, Unavailable
from offline_cache.outbox import Outbox
from wire import signing
from wire.services import ID_NUMBER, Eligibility, ProofReply
from wire.sync import SessionReport, session_ended

log = logging.getLogger("kiosk.backend_services")
Finish = Callable[[dict[str, Any]], None]

# The flow's reasons, as the backend's renewal check names them.
RENEWAL_REASONS = {"renewal": "expiry", "damaged": "damaged", "lost": "lost"}
# The proof flows' purposes (option ids) as the proof states its permitted use.
PROOF_USES = {"employment": "就业", "study": "留学", "travel": "出国", "other": "其他",
              "school": "入学", "social_security": "办理社保", "residence_permit": "办理居住证",
              "inheritance": "继承", "insurance": "保险理赔", "funeral": "丧葬事宜"}  # fmt: skip
# Each proof flow's operation, by the kind of proof it asks for (wire.proof.DOCUMENT_TYPES).
PROOF_OPERATIONS = {"criminal_record_proof": "cr", "household_proof": "hh",
                    "residence_proof": "rs", "kinship_proof": "kn", "birth_proof": "br",
                    "death_proof": "dt"}  # fmt: skip


class BackendServices:
    def __init__(
        self,
        client: BackendClient | None,
        outbox: Outbox,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client  # none: not enrolled, every online check is offline
        self.outbox = outbox
        # the session's photos by ref (JPEG bytes); the screen's shell sets it
        self.session_photos: Callable[[str], bytes | None] = lambda ref: None
        # the citizen session on screen, if any; the shell sets it. The backend's audit
        # log names it beside every lookup of a person's data made for that session.
        self.citizen_session: Callable[[], str | None] = lambda: None
        self.clock = clock
        self.fallback = None

    def serves(self, step_type: str) -> bool:
        return step_type == "backend"

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        """The operation on a thread of its own; the returned function forgets it."""
        cancelled = threading.Event()
        data = {field: inputs.get(ref) for field, ref in params.get("data", {}).items()}
        operation = OPERATIONS.get(str(params.get("operation")))

        def run() -> None:
            if operation is None:
                answer: dict[str, Any] = {"fail": "unsupported", "recovery": "operator"}
            else:
                try:
                    answer = {"result": operation(self, data)}
                except Unavailable:
                    answer = {"fail": "offline", "recovery": "retry"}
                except Refused as exc:  # this terminal is revoked, or a request is wrong
                    answer = {"fail": "link_lost" if exc.status == 401 else "invalid_data",
                              "recovery": "operator"}  # fmt: skip
                except ValidationError:  # what was collected cannot make a request
                    answer = {"fail": "invalid_data", "recovery": "user_action"}
                except Exception:  # a bug: the step fails, it never hangs
                    log.exception("backend operation %s failed", params.get("operation"))
                    answer = {"fail": "invalid_data", "recovery": "operator"}
            if not cancelled.is_set():
                finish(answer)

        threading.Thread(target=run, daemon=True, name="backend-step").start()
        return cancelled.set

    def wipe(self) -> None:
        """Nothing of the session is held here: what was queued is sealed in the outbox."""

    def session_ended(
        self,
        session: str,
        flow: str,
        outcome: str,
        rating: int | None,
        report: SessionReport | None = None,
    ) -> None:
        """An audit entry for every session (no personal data: the steps it reached,
        their seconds, how it ended; docs/cockpit.md), and its rating (好差评, one per
        transaction: the session is the transaction), in one transaction."""
        now = self.clock()
        with self.outbox.transaction():
            self.outbox.add("audit", session_ended(flow, outcome, now, report),
                            session=session, key=f"audit-{session}")  # fmt: skip
            if rating is not None:
                self.outbox.add("rating", {"transaction": session, "service": flow,
                                           "stars": rating},
                                session=session, key=f"rating-{session}")  # fmt: skip

    # --- online ----------------------------------------------------------------------

    def _online(self) -> BackendClient:
        if self.client is None:
            raise Unavailable("this terminal is not enrolled with a backend")
        return self.client

    def _lookup(self, path: str, body: BaseModel) -> bytes:
        """A lookup of a person's data, made for the citizen session on screen."""
        session = self.citizen_session()
        headers = {signing.SESSION: session} if session else None
        return self._online().call("POST", path, body, headers=headers).content

    def renewal_eligibility(self, data: dict[str, Any]) -> dict[str, Any]:
        from wire.services import RenewalCheck

        reason = RENEWAL_REASONS.get(str(data.get("reason")), "expiry")
        check = RenewalCheck.model_validate({"id_number": _id_number(data), "reason": reason})
        found = Eligibility.model_validate_json(self._lookup("/v1/eligibility/id-renewal", check))
        return _eligibility(found)

    def endorsement_eligibility(self, data: dict[str, Any]) -> dict[str, Any]:
        from wire.services import EndorsementCheck

        check = EndorsementCheck(permit_number=str(data.get("permit_number") or ""))
        found = Eligibility.model_validate_json(self._lookup("/v1/eligibility/endorsement", check))
        return _eligibility(found)

    def exit_entry_eligibility(self, data: dict[str, Any]) -> dict[str, Any]:
        from wire.services import ExitEntryCheck, ExitEntryEligibility

        check = ExitEntryCheck.model_validate(
            {"id_number": _id_number(data), "document": data.get("document")}
        )
        found = ExitEntryEligibility.model_validate_json(
            self._lookup("/v1/eligibility/exit-entry", check)
        )
        if not found.eligible:
            return {"status": "ineligible", "data": {"reason": found.reason}}
        answer: dict[str, Any] = {"pickup_date": found.pickup_date}
        if found.phone:  # the number on file: the contacts form offers it
            answer["phone"] = found.phone
        return {"status": "eligible", "data": answer}

    def pickup_lookup(self, data: dict[str, Any]) -> dict[str, Any]:
        """自助取证: the document waiting for the card's holder (the one the scanned
        notice names, if any), masked; or why not (the day it will be ready, the site
        where it waits)."""
        from wire.services import PickupLookup, PickupReply

        reference = str(data.get("reference") or "").strip().upper() or None
        ask = PickupLookup.model_validate({"id_number": _id_number(data), "reference": reference})
        found = PickupReply.model_validate_json(self._lookup("/v1/pickups/lookup", ask))
        return pickup_answer(found)

    def proof(self, doc_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """A proof of `doc_type` (wire.proof.DOCUMENT_TYPES) asked of the backend; a
        kinship or death proof sends the other person's ID number and the relation."""
        from wire.services import ProofRequest

        use = PROOF_USES.get(str(data.get("use")), str(data.get("use") or "其他"))
        relative: dict[str, Any] = {}
        if "relative_id_number" in data:  # typed: the wire's pattern checks it again
            typed = str(data.get("relative_id_number") or "").strip().upper()
            relative = {"relative_id_number": typed, "relation": data.get("relation")}
        ask = ProofRequest.model_validate(
            {"id_number": _id_number(data), "doc_type": doc_type, "use": use[:40], **relative}
        )
        reply = ProofReply.model_validate_json(self._lookup("/v1/proofs", ask))
        if not reply.issued:
            return {"status": "not_issued", "data": {"reason": reply.reason}}
        return {"status": "issued", "data": {
            "code": reply.code, "serial": reply.serial,
            "verification_code": reply.verification_code, "details": reply.details,
        }}  # fmt: skip

    # --- queued ----------------------------------------------------------------------

    def _queue(self, kind: str, record: dict[str, Any], key: str) -> str:
        with self.outbox.transaction():
            return self.outbox.add(kind, record, key=key)

    def submit_application(self, data: dict[str, Any]) -> dict[str, Any]:
        receipt = _number("A", self.clock())
        record = {
            "service": "id_renewal", "receipt": receipt, "id_number": _id_number(data),
            "reason": data.get("reason"), "delivery": data.get("delivery"),
            "phone": data.get("phone"), "address": data.get("address"),
            "photo_receipt": data.get("photo_receipt"), "photo": data.get("photo"),
            "payment": data.get("payment"),
        }  # fmt: skip
        self._queue("application", record, key=f"application-{receipt}")
        return {"status": "submitted", "queued_id": receipt}

    def submit_exit_entry_application(self, data: dict[str, Any]) -> dict[str, Any]:
        """The application, sealed in the outbox: its number goes on the slip at once
        (the relay delivers it even after hours offline). The photo, fingerprints and
        signature go by their session refs, as the ID application's photo does."""
        number = _number("E", self.clock())
        fields = ("document", "destination", "purpose", "phone", "contact_name",
                  "contact_phone", "photo_receipt", "photo", "fingerprints", "signature",
                  "residence_scan", "payment")  # fmt: skip
        record = {"service": "exit_entry_application", "receipt": number,
                  "id_number": _id_number(data), **{f: data.get(f) for f in fields}}  # fmt: skip
        self._queue("application", record, key=f"application-{number}")
        return {"status": "submitted", "queued_id": number}

    def submit_postal_delivery(self, data: dict[str, Any]) -> dict[str, Any]:
        """The document sent by post instead of collected here, sealed in the outbox
        under the pickup's own key: a pickup is handed out once, here or by post."""
        reference = str(data.get("reference") or "")
        record = {"service": "document_pickup", "delivery": "post", "reference": reference,
                  "id_number": _id_number(data), "address": data.get("address"),
                  "phone": data.get("phone"), "payment": data.get("payment")}  # fmt: skip
        self._queue("application", record, key=pickup_key(reference))
        return {"status": "submitted", "queued_id": _number("Y", self.clock())}

    def pickup_collected(self, reference: str, slot: int) -> None:
        """The document was taken at this terminal's gate: the backend is told (no
        personal data: the reference and the slot), under the pickup's own key."""
        record = {"service": "document_pickup", "delivery": "here", "reference": reference,
                  "slot": slot, "collected_at": self.clock()}  # fmt: skip
        self._queue("application", record, key=pickup_key(reference))

    def store_photo(self, data: dict[str, Any]) -> dict[str, Any]:
        receipt = str(data.get("receipt") or _number("P", self.clock()))
        jpeg = self.session_photos(str(data.get("photo") or ""))
        if jpeg is None:
            raise Refused(422, "no_photo", "the session holds no photo to store", {})
        record = {"receipt": receipt, "document": data.get("document"),
                  "jpeg_base64": base64.b64encode(jpeg).decode("ascii")}  # fmt: skip
        id_number = _id_number(data)
        if re.fullmatch(ID_NUMBER, id_number):  # the flow read it: another terminal may
            record["id_number"] = id_number  # fetch the photo given this number too
        self._queue("photo", record, key=f"photo-{receipt}")
        return {"status": "stored", "queued_id": receipt}

    def issue_queue_ticket(self, data: dict[str, Any]) -> dict[str, Any]:
        service = str(data.get("service") or "other")
        number = self._next_ticket(service)
        record = {"service": service, "number": number, "how": data.get("how")}
        self._queue("queue_ticket", record, key=f"ticket-{number}-{secrets.token_hex(4)}")
        return {"status": "issued", "data": {"number": number}, "queued_id": number}

    def request_refund(self, data: dict[str, Any]) -> dict[str, Any]:
        record = {"out_trade_no": data.get("payment"), "state": "REFUND_REQUESTED",
                  "amount_fen": int(data.get("amount_fen") or 0)}  # fmt: skip
        key = f"refund-{data.get('payment') or secrets.token_hex(6)}"
        self._queue("payment", record, key=key)
        return {"status": "refund_requested", "queued_id": key}

    def _next_ticket(self, service: str) -> str:
        """A: ID card, B: exit-entry, C: household, D: traffic, E: other; numbered
        per day on this terminal (it works offline)."""
        letter = {"id_card": "A", "exit_entry": "B", "household": "C", "traffic": "D"}
        prefix = letter.get(service, "E")
        day = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y%m%d")
        name = f"ticket:{day}:{prefix}"
        with self.outbox.transaction():
            row = self.outbox.db.execute(
                "SELECT value FROM sync_state WHERE name = ?", (name,)
            ).fetchone()
            count = int(row[0]) + 1 if row else 1
            self.outbox.db.execute(
                "INSERT INTO sync_state (name, value) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, str(count)),
            )
        return f"{prefix}{count:03d}"


def _proof_operation(doc_type: str) -> Callable[[BackendServices, dict[str, Any]], dict[str, Any]]:
    def operation(services: BackendServices, data: dict[str, Any]) -> dict[str, Any]:
        return services.proof(doc_type, data)

    return operation


OPERATIONS: dict[str, Callable[[BackendServices, dict[str, Any]], dict[str, Any]]] = {
    "id_renewal_eligibility": BackendServices.renewal_eligibility,
    "endorsement_eligibility": BackendServices.endorsement_eligibility,
    **{operation: _proof_operation(doc_type) for operation, doc_type in PROOF_OPERATIONS.items()},
    "submit_id_application": BackendServices.submit_application,
    "exit_entry_eligibility": BackendServices.exit_entry_eligibility,
    "submit_exit_entry_application": BackendServices.submit_exit_entry_application,
    "pickup_lookup": BackendServices.pickup_lookup,
    "submit_postal_delivery": BackendServices.submit_postal_delivery,
    "store_photo": BackendServices.store_photo,
    "issue_queue_ticket": BackendServices.issue_queue_ticket,
    "refund_payment": BackendServices.request_refund,
}


def _id_number(data: dict[str, Any]) -> str:
    return str(data.get("id_number") or data.get("typed_id_number") or "").strip().upper()


def pickup_key(reference: str) -> str:
    """One record per pickup, collected or posted (the backend's already_collected)."""
    return f"pickup-{reference}"


def pickup_answer(found: Any) -> dict[str, Any]:
    """The backend step's result for a wire.services.PickupReply (the simulated
    registry's too): `ready` with the document masked, or `not_ready` with why."""
    if not found.ready:
        why = {"reason": found.reason, "ready_date": found.ready_date, "site": found.site}
        return {"status": "not_ready", "data": {k: v for k, v in why.items() if v}}
    return {"status": "ready", "data": {"reference": found.reference, "document": found.document,
                                        "document_number": found.document_number,
                                        "holder": found.holder}}  # fmt: skip


def _eligibility(found: Eligibility) -> dict[str, Any]:
    if not found.eligible:
        return {"status": "ineligible", "data": {"reason": found.reason}}
    allowed = sorted({o.type for o in found.options})
    data: dict[str, Any] = {"allowed": allowed, "options": [o.model_dump() for o in found.options]}
    if found.phone:  # the number on file: the renewal flow offers it (eligibility.data.phone)
        data["phone"] = found.phone
    return {"status": "eligible", "data": data}


def _number(prefix: str, now: float) -> str:
    """A receipt number a citizen can read out: prefix, date, 8 random characters."""
    day = datetime.fromtimestamp(now, UTC).strftime("%Y%m%d")
    return f"{prefix}{day}{secrets.token_hex(4).upper()}"
