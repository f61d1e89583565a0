"""The typed result of every step type (the last column of specs/steps.md).

`JOURNAL` names the fields that hold no personal data (ids, refs, states): only
those may reach the journal. Every other field of a personal result is masked or
withheld wherever it is shown outside the confirm step.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class StepResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    JOURNAL: ClassVar[frozenset[str]] = frozenset()
    PERSONAL: ClassVar[bool] = False
    # what names a field where a confirm step shows it (a message id), and the message
    # id of a field's value ("{}" stands for it): for results that are not a form's
    LABELS: ClassVar[dict[str, str]] = {}
    VALUE_TEXTS: ClassVar[dict[str, str]] = {}


class NoResult(StepResult):
    """info, confirm, done: the citizen went on; nothing collected."""


class Choice(StepResult):
    JOURNAL = frozenset({"option"})
    option: str


class FormValues(StepResult):
    PERSONAL = True
    values: dict[str, str | bool]


class Rating(StepResult):
    JOURNAL = frozenset({"level"})
    level: int = Field(ge=1, le=5)


class IdentityRecord(StepResult):
    PERSONAL = True
    JOURNAL = frozenset({"photo_ref"})
    name: str
    sex: str
    nation: str
    birth_date: str
    address: str
    id_number: str
    valid_from: str
    valid_until: str
    photo_ref: str | None = None


class DocumentRecord(StepResult):
    PERSONAL = True
    JOURNAL = frozenset({"kind", "photo_ref"})
    kind: Literal["passport", "hk_macau_permit", "taiwan_permit"]
    holder_name: str
    document_number: str
    valid_until: str
    photo_ref: str | None = None
    endorsements: list[dict[str, str]] = Field(default_factory=list)


class ScannedCode(StepResult):
    PERSONAL = True  # a payment code is as good as money
    JOURNAL = frozenset({"kind", "typed"})
    kind: Literal["payment_code", "photo_receipt", "appointment", "proof", "mrz", "pickup_notice"]
    text: str
    typed: bool = False


class ScannedDocument(StepResult):
    """The page itself stays with the step service for the session (personal data:
    wiped at its end, never journalled); the result only names it."""

    JOURNAL = frozenset({"document_ref", "pages", "width_mm", "height_mm", "resolution"})
    document_ref: str
    pages: int = Field(1, ge=1)
    width_mm: float
    height_mm: float
    resolution: int


class Signature(StepResult):
    """The signature's PNG stays with the step service for the session (personal
    data: wiped at its end, never journalled, never logged); the result names it."""

    JOURNAL = frozenset({"signature_ref", "strokes", "duration_ms", "width", "height"})
    signature_ref: str
    strokes: int = Field(ge=1)
    duration_ms: int = Field(ge=0)  # from the first touch to the last lift
    width: int = Field(ge=1)  # px of the PNG
    height: int = Field(ge=1)


class Photo(StepResult):
    JOURNAL = frozenset({"photo_ref", "receipt_number", "quality"})
    photo_ref: str
    receipt_number: str | None = None
    quality: dict[str, float] = Field(default_factory=dict)


class FaceMatch(StepResult):
    JOURNAL = frozenset({"score", "passed", "live"})
    score: float
    passed: bool
    live: bool


class Fingerprints(StepResult):
    JOURNAL = frozenset({"templates"})
    templates: list[dict[str, str | float]]  # finger, template ref, quality


class Payment(StepResult):
    JOURNAL = frozenset({"payment_ref", "state", "amount_fen"})
    payment_ref: str
    state: Literal["paid", "failed", "unknown", "reversed", "refunded"]
    amount_fen: int = Field(ge=0)


class BackendReply(StepResult):
    JOURNAL = frozenset({"queued_id", "status"})
    PERSONAL = True  # replies may carry the citizen's records
    status: str
    data: dict[str, object] = Field(default_factory=dict)
    queued_id: str | None = None


class PrintJob(StepResult):
    JOURNAL = frozenset({"job_ref", "state"})
    job_ref: str
    state: Literal["printed", "failed", "taken"]


class ChipWrite(StepResult):
    """`card_back`: the endorsement on the document's rewritable back too, read back
    the same (`verified`), printed by a module that cannot read it back (`printed`),
    or not printed there (`none`: no card printer, or the flow did not ask)."""

    JOURNAL = frozenset({"written", "verified", "valid_until", "card_back"})
    written: bool
    verified: bool
    valid_until: str | None = None  # the endorsement's, YYYYMMDD
    card_back: Literal["verified", "printed", "failed", "none"] = "none"


class TakeBack(StepResult):
    """Taken (`removed`); or, on a card transport, not taken in time and captured into
    the retain bin (`retained`, with the record the retain slip names); or left at the
    gate because the bin is full (`left_at_gate`, a technician alerted)."""

    JOURNAL = frozenset({"removed", "retained", "retained_record", "left_at_gate"})
    removed: bool
    retained: bool = False
    retained_record: str | None = None
    left_at_gate: bool = False


class ProofCheck(StepResult):
    """A scanned proof checked offline, as `kiosk proof verify` checks it: `valid`,
    `expired` (genuine, past its date), `forged` (the signature does not match),
    `unknown_key` (an issuer this terminal does not trust) or `damaged` (not a proof's
    code, or cut). What it names comes from the signed code, so only for a genuine
    one (valid or expired): the holder as the issuer printed them (the first
    character, then stars), never more."""

    PERSONAL = True
    JOURNAL = frozenset({"status", "document"})
    LABELS = {
        "document": "flow.proof_check.field.document",
        "holder_name": "flow.proof_check.field.holder",
        "use": "flow.proof_check.field.use",
        "issued": "flow.proof_check.field.issued",
        "expires": "flow.proof_check.field.expires",
        "serial": "flow.proof_check.field.serial",
        "verification_code": "flow.proof_check.field.verification_code",
    }
    VALUE_TEXTS = {"document": "documents.proof.{}.title"}
    status: Literal["valid", "expired", "forged", "unknown_key", "damaged"]
    document: str | None = None  # the kind (wire/proof.py DOCUMENT_TYPES): criminal_record, ...
    holder_name: str | None = None
    use: str | None = None
    issued: str | None = None  # YYYY-MM-DD
    expires: str | None = None  # YYYY-MM-DD, the last day it is valid
    serial: str | None = None
    verification_code: str | None = None


class DocumentDispensed(StepResult):
    """自助取证: how the document left its storage slot. `taken` at the gate; `retained`:
    not taken in time, captured into the retain bin (with the retain record);
    `not_in_slot`: no slot holds this reference by the slot book; `slot_empty`: the
    unit's own map (or its answer) says the slot is empty; `device_error`: a jam or
    another fault of the transport. Only `taken` hands the document out."""

    JOURNAL = frozenset({"status", "slot", "retained_record"})
    status: Literal["taken", "retained", "not_in_slot", "slot_empty", "device_error"]
    slot: int | None = None
    retained_record: str | None = None
