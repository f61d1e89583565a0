"""The print step on the real printers: slips on the receipt printer (ESC/POS through
its driver), proofs on the document printer (a PDF through CUPS).

A flow's print step names a template and maps template fields to collected values
(`data: {delivery: delivery, queued: submit.queued_id}`). Choices arrive as option
ids (`post`); the slip shows the option's own text from the catalogue. A proof is
printed only from a code the backend signed, checked against the issuer keys and
against the card on the reader.

Qt-free and engine-free, like the other step services: `start(...)` returns at once
and calls `finish` from a thread of its own.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk.citypack import CityPack
from kiosk.documents import slips
from kiosk.documents.slips import SlipContext
from kiosk.steps.devices import Finish, failure
from kiosk.strings import Catalogue

log = logging.getLogger("kiosk.print")

# A choice's option id -> the catalogue id of its text, by the field that holds it.
LABELS = {
    "reason": "flow.common.option.{}",
    "delivery": "flow.id_renewal.delivery.{}",
    "document": "flow.id_photo.document.{}",
    "kind": "flow.permit.kind.{}",
    "destination": "flow.permit.destination.{}",
    "trips": "flow.permit.trips.{}",
    "service": "flow.queue.service.{}",
    "exit_document": "flow.exit_entry.document.{}",
    "exit_destination": "flow.exit_entry.destination.{}",
    "pickup_document": "flow.pickup.document.{}",
    "pickup_delivery": "flow.pickup.delivery.{}",
}
SLIP_TEMPLATES = {"photo_receipt", "id_pickup_slip", "refund_voucher", "endorsement_slip",
                  "queue_ticket", "referral_slip", "exit_entry_slip",
                  "pickup_receipt"}  # fmt: skip
# one template for every kind of proof (the signed code says which); the first name
# is the one criminal_record_proof flows of before version 3 journaled
PROOF_TEMPLATES = {"criminal_record_proof", "proof"}


class PrintServices:
    def __init__(
        self,
        drivers: dict[str, Any],
        pack: Callable[[], CityPack],
        strings: Catalogue,
        terminal: str,
        issuer_keys: Callable[[], dict[str, Any]],
        language: Callable[[], str] = lambda: "zh_CN",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.printers = {name: drivers[name] for name in ("receipt_printer", "document_printer")
                         if name in drivers}  # fmt: skip
        self.pack = pack  # the pulled one when the backend gave one, else the packaged
        self.strings = strings
        self.terminal = terminal
        self.issuer_keys = issuer_keys  # pulled from the backend's config, and configured
        self.language = language
        self.clock = clock

    def serves(self, step_type: str) -> bool:
        return step_type == "print" and bool(self.printers)

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        """Lay the document out and print it; the returned function forgets the answer
        (a job the printer has taken is not called back: paper out is paper out)."""
        cancelled = threading.Event()
        data = {field: inputs.get(ref) for field, ref in params.get("data", {}).items()}

        def run() -> None:
            try:
                answer = self._print(str(params.get("template")), str(params.get("printer")), data)
            except Exception:  # a bug or a bad city pack: the step fails, it never hangs
                log.exception("print %s failed", params.get("template"))
                answer = {"fail": "invalid_data", "recovery": "operator"}
            if not cancelled.is_set():
                finish(answer)

        threading.Thread(target=run, daemon=True, name="print-step").start()
        return cancelled.set

    def wipe(self) -> None:
        """Nothing is kept: each document exists only while its job is sent."""

    def _print(self, template: str, printer_name: str, data: dict[str, Any]) -> dict[str, Any]:
        printer = self.printers.get(printer_name)
        if printer is None:
            return {"fail": "device_not_ready", "recovery": "operator"}
        job_ref = f"{printer_name[0].upper()}{int(self.clock())}-{secrets.token_hex(3)}"
        try:
            if template in SLIP_TEMPLATES and printer_name == "receipt_printer":
                handle = printer.print_slip(self.slip(template, data))
            elif template in PROOF_TEMPLATES and printer_name == "document_printer":
                handle = printer.print_pdf(self.proof(data), title=job_ref)
            else:
                log.error("no template %s for the %s", template, printer_name)
                return {"fail": "unsupported", "recovery": "operator"}
        except DocumentRefused as exc:
            log.error("print %s refused: %s", template, exc)
            return {"fail": "invalid_data", "recovery": "operator"}
        done = handle.result()
        if not done.ok:
            log.warning("print %s failed: %s/%s", template, done.code.value, done.error)
            return failure(done)
        log.info("printed %s as %s", template, job_ref)
        return {"result": {"job_ref": job_ref, "state": "printed"}}

    def retained_slip(self, record: str) -> bool:
        """The retain slip on the receipt printer (a card the transport captured): how
        to reclaim it, under the record's number. True once printed."""
        printer = self.printers.get("receipt_printer")
        if printer is None:
            return False
        lang = self.language()
        context = SlipContext(self.terminal, record, datetime.fromtimestamp(self.clock()), lang,
                              self.strings)  # fmt: skip
        pack = self.pack()
        slip = slips.retained_card_slip(context, record, pack.help_counter, pack.help_phone)
        done = printer.print_slip(slip).result()
        if not done.ok:
            log.error("the retain slip did not print: %s/%s", done.code.value, done.error)
        return bool(done.ok)

    # --- the documents ---------------------------------------------------------------

    def slip(self, template: str, data: dict[str, Any]) -> Any:
        def label(field: str) -> str:
            value = str(data.get(field) or "")
            message_id = LABELS.get(field, "{}").format(value)
            return self.strings.text(message_id, lang) if message_id in known else value

        lang, known = self.language(), self.strings.ids()
        ticket = _mapping(data.get("ticket"))
        number = str(data.get("queued") or data.get("payment") or ticket.get("number") or "")
        context = SlipContext(self.terminal, number or self._transaction(),
                              datetime.fromtimestamp(self.clock()), lang, self.strings)  # fmt: skip
        if template == "photo_receipt":
            return slips.photo_receipt(context, str(data.get("receipt_number")), label("document"))
        if template == "id_pickup_slip":
            name = str(data.get("name") or data.get("typed_name") or "")
            return slips.pickup_slip(context, name, label("reason"), label("delivery"))
        if template == "refund_voucher":
            what = self.strings.text("documents.slip.voucher.unfinished", lang)
            amount = int(data.get("amount_fen") or 0)
            return slips.refund_voucher(context, what, amount, self.pack().help_phone)
        if template == "referral_slip":  # refused, or the face check declined or not passed
            declined = data.get("consent") == "decline"
            refused = f"flow.why.{data.get('why')}"
            reason = (
                refused if data.get("why") and refused in self.strings.ids()
                else "flow.common.ineligible" if data.get("why")
                else "documents.slip.referral.declined" if declined
                else "flow.common.biometrics_failed"
            )  # fmt: skip
            return slips.referral_slip(context, self.strings.text(reason, lang),
                                       self.pack().help_counter)  # fmt: skip
        if template == "endorsement_slip":
            name = str(data.get("name") or "")
            until = str(data.get("valid_until") or "")  # YYYYMMDD, from the chip's answer
            shown = f"{until[:4]}-{until[4:6]}-{until[6:]}" if len(until) == 8 else None
            return slips.endorsement_slip(context, name, label("kind"), label("destination"),
                                          label("trips"), shown)  # fmt: skip
        if template == "pickup_receipt":  # collected at the gate, or to be sent by post
            fee = (
                int(data.get("amount_fen") or 0) if data.get("pickup_delivery") == "post" else None
            )
            return slips.pickup_receipt(context, str(data.get("name") or ""),
                                        label("pickup_document"),
                                        str(data.get("document_number") or "-"),
                                        str(data.get("reference") or "-"),
                                        label("pickup_delivery"), fee)  # fmt: skip
        if template == "exit_entry_slip":
            pickup = str(data.get("pickup_date") or "") or None  # YYYY-MM-DD, the backend's
            return slips.exit_entry_slip(context, str(data.get("name") or ""),
                                         label("exit_document"), label("exit_destination"),
                                         context.transaction, pickup)  # fmt: skip
        return slips.queue_ticket(context, str(ticket.get("number") or "-"), label("service"),
                                  ticket.get("waiting"))  # fmt: skip

    def proof(self, data: dict[str, Any]) -> bytes:
        """The proof's PDF, from the backend's signed code, the details it signed, and
        the card's holder."""
        from kiosk.documents.proofs import Holder, WrongDetails, WrongHolder, render_issued
        from wire.proof import ProofFormatError, ProofSignatureError, UnknownKeyError

        answer = _mapping(data.get("proof"))
        holder = Holder(str(data.get("name") or ""), str(data.get("sex") or ""),
                        str(data.get("id_number") or ""))  # fmt: skip
        details = {str(k): str(v) for k, v in _mapping(answer.get("details")).items()}
        refused = (ProofFormatError, ProofSignatureError, UnknownKeyError, WrongHolder,
                   WrongDetails)  # fmt: skip
        try:
            issued = render_issued(str(answer.get("code") or ""), holder, self.issuer_keys(),
                                   self.pack(), self.language(), self.strings,
                                   details)  # fmt: skip
        except refused as exc:
            raise DocumentRefused(f"{type(exc).__name__}: {exc}") from None
        return issued.pdf

    def _transaction(self) -> str:
        return f"T{datetime.fromtimestamp(self.clock()):%Y%m%d}-{secrets.token_hex(3).upper()}"


def _mapping(value: Any) -> dict[str, Any]:
    """A backend reply's data, or nothing (the flow may have gone another way)."""
    return value if isinstance(value, dict) else {}


class DocumentRefused(ValueError):
    """What was collected cannot make the document (a forged proof, someone else's)."""
