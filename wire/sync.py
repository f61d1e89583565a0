"""What crosses the wire between a terminal and the backend (both sides import
these models; the backend's OpenAPI document is generated from them)."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wire.versions import VERSION, VERSION_MAX

# Terminal ids are made by the backend at enrolment: "T" and 12 hex digits.
TERMINAL_ID = r"^T[0-9a-f]{12}$"
MAX_BATCH = 500


class RecordKind(StrEnum):
    """What a terminal reports. Applications, photos and payments carry personal
    data; the backend keeps them, the terminal deletes them once acknowledged."""

    APPLICATION = "application"
    PHOTO = "photo"
    PAYMENT = "payment"
    RATING = "rating"
    QUEUE_TICKET = "queue_ticket"
    DEVICE_EVENT = "device_event"
    AUDIT = "audit"
    HELP = "help"  # 求助: a citizen asked for the officer on duty (no personal data)
    UPDATE_OUTCOME = "update_outcome"  # how a package update ended (docs/updates.md)


# The largest count the backend stores (a 32-bit INTEGER column, on PostgreSQL).
COUNT_MAX = 2**31 - 1
# Text the backend stores in a column of its own: no NUL, which PostgreSQL's text refuses.
TEXT = r"^[^\x00]*$"
# A terminal's site (网点): one line, something in it besides spaces
SITE = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$"


class _Model(BaseModel):
    # no NaN or infinity (Python's JSON reads them): no answer or database holds them
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Problem(_Model):
    """Every error answer (RFC 9457 style): `code` is stable, `detail` is for people."""

    code: str = Field(description="machine-readable reason, e.g. signature_invalid")
    detail: str = Field(description="one line for a technician's log")
    # the extension members some refusals carry (backend: Refused's extras)
    keys: list[str] | None = Field(None, description="key_reused: the keys reused")
    server_time: float | None = Field(None, description="clock_skew: the backend's Unix time")


# -- enrolment ------------------------------------------------------------------------


class EnrolmentCode(_Model):
    code: str = Field(pattern=r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", description="one-time code")
    expires_at: float = Field(description="Unix time after which the code is refused")


class EnrolmentRequest(_Model):
    code: str = Field(max_length=32, pattern=TEXT, description="the one-time code from the console")
    public_key: str = Field(
        pattern=r"^(?:(?:intl:)?[A-Za-z0-9_-]{43}|gm:[A-Za-z0-9_-]{87})$",
        description="the terminal's public key, its suite's marker first (wire/signing.py): "
        "gm:<SM2 point, 65 bytes, base64url>, or an Ed25519 key (intl), base64url",
    )
    name: str = Field("", max_length=80, pattern=TEXT, description="where the terminal stands")
    software_version: str = Field(max_length=40, pattern=TEXT)
    # terminals from before send none: the console then takes the site from the name
    site: str | None = Field(
        None, max_length=80, pattern=SITE,
        description="the site it stands at, e.g. 北京市公安局海淀分局 中关村派出所 (optional)",
    )  # fmt: skip


class EnrolmentReply(_Model):
    terminal_id: str = Field(pattern=TERMINAL_ID)
    server_time: float


class KeyRotation(_Model):
    """`POST /v1/terminals/me/key`: an enrolled terminal's new key pair, in the
    deployment's suite (so a terminal of an `intl` deployment moves to `gm` this way).
    The request is signed by the old key, as every request is; `possession` is the new
    key's signature over `possession_message`, so no terminal registers a key it does
    not hold (over `public_key` exactly as sent). Asked again once done (signed by the
    new key) it answers the same."""

    public_key: str = Field(
        pattern=r"^(?:(?:intl:)?[A-Za-z0-9_-]{43}|gm:[A-Za-z0-9_-]{87})$",
        description="the new public key, in the form of EnrolmentRequest.public_key",
    )
    possession: str = Field(
        pattern=r"^[A-Za-z0-9_-]{86}$", description="64 bytes, base64url: see possession_message"
    )


class KeyRotationReply(_Model):
    terminal_id: str = Field(pattern=TERMINAL_ID)
    suite: str = Field(description="the suite of the key now registered: gm or intl")


def possession_message(terminal_id: str, public_key: str) -> bytes:
    """What a new key signs to show it is held by the terminal rotating to it."""
    return f"KR1\n{terminal_id}\n{public_key}".encode()


# -- records --------------------------------------------------------------------------


KEY = r"^[\x21-\x7e]+$"  # printable ASCII: an idempotency key or a session id


class Record(_Model):
    key: str = Field(min_length=8, max_length=64, pattern=KEY,
                     description="idempotency key, unique")  # fmt: skip
    kind: RecordKind
    session: str | None = Field(None, max_length=64, pattern=KEY,
                                description="the citizen's session")  # fmt: skip
    created_at: float = Field(description="terminal time of the write (not trusted for order)")
    body: dict[str, Any]


class HelpCall(_Model):
    """A `help` record's body: where the citizen stands in the service, so the
    officer knows what to bring; nothing of who they are."""

    service: str = Field(
        "", max_length=40, pattern=TEXT, description="the flow, empty on the home screen"
    )
    screen: str = Field(max_length=24, pattern=TEXT, description="home, step, done, ...")
    step: str = Field("", max_length=40, pattern=TEXT, description="the flow's step on screen")
    language: str = Field(max_length=8, pattern=TEXT, description="the language the citizen reads")
    elderly: bool = Field(False, description="large text was on")


def _not_finite(value: object, where: str) -> str | None:
    """The path of the first NaN or infinity under `value`, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else where
    children: list[tuple[object, str]] = []
    if isinstance(value, dict):
        children = [(item, f"{where}.{key}".lstrip(".")) for key, item in value.items()]
    elif isinstance(value, list):
        children = [(item, f"{where}[{i}]") for i, item in enumerate(value)]
    for child, path in children:
        found = _not_finite(child, path)
        if found is not None:
            return found
    return None


class _Body(BaseModel):
    """What the backend reads of a record's body; the rest is kept as sent. Strict:
    a number is a number (`"4.0"` is no star rating), as the terminal writes it."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _finite(cls, body: Any) -> Any:
        """No NaN or infinity anywhere, in what is kept as sent too: Python's JSON
        reads them, but JSON has no such numbers (PostgreSQL's JSON refuses them)."""
        where = _not_finite(body, "")
        if where is not None:
            raise ValueError(f"{where or 'the body'} is NaN or infinite: not a JSON number")
        return body


class ApplicationBody(_Body):
    service: str = Field("other", max_length=40)


class PhotoBody(_Body):
    receipt: str = Field(min_length=1, max_length=32, pattern=TEXT)
    jpeg_base64: str = Field(min_length=1, max_length=4_000_000)
    id_number: str | None = Field(
        None, pattern=r"^\d{17}[\dX]$",
        description="the citizen's, when the flow read it: then another terminal may "
        "fetch the photo given the receipt number and this ID number together",
    )  # fmt: skip


# Why a citizen gave a low rating, when the terminal asked: a code from this list,
# never free text (no personal data reaches the backend this way). The list only
# grows, and the backend learns a code before any terminal sends it.
RatingReason = Literal[
    "waiting",  # waited too long
    "device_fault",  # a device failed
    "too_complex",  # the steps were hard to follow
    "not_done",  # the matter could not be done here
    "fee",  # the fee
    "other",
]


class RatingBody(_Body):
    transaction: str = Field(min_length=1, max_length=64, pattern=TEXT)
    service: str = Field("", max_length=40, pattern=TEXT)
    stars: int = Field(ge=1, le=5)
    reason: RatingReason | None = Field(
        None, description="why, for 1-2 stars, when the terminal asked (optional)"
    )


class PaymentBody(_Body):
    out_trade_no: str = Field(min_length=1, max_length=32)
    state: str = Field(min_length=1, max_length=16)
    amount_fen: int = Field(ge=0, le=100_000_000)
    method: str = Field("qr", max_length=16)


class UpdateOutcomeBody(_Body):
    """An `update_outcome` record's body: the root scripts' outcome.json as the
    terminal read it (docs/updates.md)."""

    from_version: str = Field(alias="from", max_length=VERSION_MAX, pattern=VERSION)
    to_version: str = Field(alias="to", max_length=VERSION_MAX, pattern=VERSION)
    result: Literal["installed", "rolled_back", "failed"]
    reason: str = Field("", max_length=200, pattern=r"^[^\x00-\x1f]*$")
    at: float = Field(description="when the root scripts ended the probation (terminal clock)")


# A step id, a step type, a code: identifiers from the flow file and the engine.
CODE = r"^[A-Za-z0-9_.:-]{1,40}$"
MAX_STEPS_REACHED = 64
ENDS = ("finished", "cancelled", "timed_out", "refused", "failed")


class StepReached(BaseModel):
    """One step a session reached, and the seconds it took; `who` the session waited
    for: the citizen (a screen) or a machine (a device, the backend, a printer, a payment)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    step: str = Field(pattern=CODE)
    kind: str = Field(pattern=CODE, description="the step's type (specs/steps.md)")
    s: float = Field(ge=0, le=86_400)
    who: Literal["citizen", "machine"]


class SessionReport(BaseModel):
    """How a session ended and where its time went (docs/cockpit.md): no personal data."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    end: Literal["finished", "cancelled", "timed_out", "refused", "failed"]
    reason: str = Field(pattern=CODE, description="done, the refusal's or the failure's code")
    exit_step: str | None = Field(
        None, pattern=CODE, description="where it left the service's path (none: finished)"
    )
    duration_s: float = Field(ge=0, le=86_400)
    steps: list[StepReached] = Field(max_length=MAX_STEPS_REACHED)


class SessionEndedBody(_Body):
    """An audit record's body at a session's end. Terminals before the data cockpit
    send only event, flow, outcome and at: the rest is optional."""

    event: Literal["session_ended"]
    flow: str = Field("", max_length=40, pattern=TEXT)
    outcome: str = Field("", max_length=40, pattern=TEXT)
    at: float | None = Field(None, description="terminal clock at the end")
    started_at: float | None = Field(None, description="terminal clock at the start")
    end: Literal["finished", "cancelled", "timed_out", "refused", "failed"] | None = None
    reason: str | None = Field(None, pattern=CODE)
    exit_step: str | None = Field(None, pattern=CODE)
    duration_s: float | None = Field(None, ge=0, le=86_400)
    steps: list[StepReached] | None = Field(None, max_length=MAX_STEPS_REACHED)


def session_ended(
    flow: str, outcome: str, at: float, report: SessionReport | None
) -> dict[str, Any]:
    """The body of a session's end, as a terminal sends it (SessionEndedBody)."""
    body: dict[str, Any] = {"event": "session_ended", "flow": flow, "outcome": outcome, "at": at}
    if report is not None:
        body.update(started_at=round(at - report.duration_s, 3), **report.model_dump())
    return body


class AuditBody(_Body):
    """An audit record's body: any event; a session's end is held to its model."""

    @model_validator(mode="after")
    def _session_ended(self) -> AuditBody:
        extra = self.model_extra or {}
        if extra.get("event") == "session_ended":
            try:
                SessionEndedBody.model_validate(extra)
            except ValidationError as exc:  # named as the body's own field
                error = exc.errors()[0]
                where = ".".join(str(part) for part in error["loc"])
                raise ValueError(f"{where}: {error['msg']}") from None
        return self


# Each kind's body: the one definition both sides hold records to (the backend at
# ingestion, one record at a time; the terminal's tests).
BODIES: dict[RecordKind, type[BaseModel]] = {
    RecordKind.APPLICATION: ApplicationBody,
    RecordKind.PHOTO: PhotoBody,
    RecordKind.RATING: RatingBody,
    RecordKind.PAYMENT: PaymentBody,
    RecordKind.HELP: HelpCall,
    RecordKind.QUEUE_TICKET: _Body,
    RecordKind.DEVICE_EVENT: _Body,
    RecordKind.AUDIT: AuditBody,
    RecordKind.UPDATE_OUTCOME: UpdateOutcomeBody,
}


class RecordBatch(_Model):
    records: list[Record] = Field(min_length=1, max_length=MAX_BATCH)


class RecordRefusal(_Model):
    """One record of a batch the backend will never take as it is: the terminal
    keeps it aside (quarantined) and sends the rest."""

    key: str
    code: str = Field(description="invalid_record")
    detail: str = Field(description="the field and what is wrong with it")


class Receipt(_Model):
    key: str
    seq: int = Field(description="the backend's order of first receipt")
    received_at: float = Field(description="backend time of first receipt")
    duplicate: bool = Field(description="the key was already stored: this is the first answer")


class BatchReply(_Model):
    receipts: list[Receipt]
    refused: list[RecordRefusal] = Field(default_factory=list)


class Conflict(Problem):
    keys: list[str] = Field(description="keys already stored with a different body")


# -- heartbeat and config -------------------------------------------------------------


class DeviceReport(_Model):
    status: str = Field(max_length=24, description="online, no_device, fault, ...")
    detail: str = Field("", max_length=120)


class OutboxReport(_Model):
    depth: int = Field(ge=0, le=COUNT_MAX)
    oldest_age_s: float | None = None
    escalated: int = Field(0, ge=0, le=COUNT_MAX)
    held: int = Field(
        0, ge=0, le=COUNT_MAX, description="records the backend refused, in quarantine"
    )
    last_success: float | None = None


class UpdateState(_Model):
    """The terminal's side of a package update (docs/updates.md)."""

    probation: str | None = Field(
        None, max_length=VERSION_MAX, pattern=VERSION,
        description="the version installed and on probation: not yet confirmed by a good start",
    )  # fmt: skip
    attempts: int = Field(0, ge=0, le=COUNT_MAX, description="its starts so far")


class Heartbeat(_Model):
    terminal_time: float
    software_version: str = Field(max_length=40, pattern=TEXT)
    devices: dict[str, DeviceReport] = Field(default_factory=dict)
    consumables: dict[str, int] = Field(
        default_factory=dict, description="sheets or percent left, e.g. paper: 120"
    )
    outbox: OutboxReport
    update: UpdateState | None = Field(
        None, description="sent by terminals that take updates from the backend's staging: "
        "only to them does the reply name a staged version",
    )  # fmt: skip


class HeartbeatReply(_Model):
    # a newer backend may say more than this terminal knows: ignored, not refused
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    server_time: float
    drift_s: float = Field(description="terminal time minus server time")
    drift_alert: bool = Field(description="the drift is beyond the signature window")
    config_etag: str
    staged_version: str | None = Field(
        None, max_length=VERSION_MAX, pattern=VERSION,
        description="the package version the operators staged for this terminal, when it "
        "is newer than the one it runs; absent otherwise (and to terminals that sent no "
        "`update` in their heartbeat: older ones refuse a field they do not know)",
    )  # fmt: skip


class ConfigPack(_Model):
    """The city pack (file name to text) and the issuer keys that sign proofs."""

    etag: str
    city_pack: dict[str, str]
    issuer_keys: dict[str, str] = Field(
        description="key id to public key, its suite's marker first (wire/crypto/text.py): "
        "gm:<SM2 point, 65 bytes, base64url>, or an Ed25519 key (intl), base64url; the keys "
        "of proofs printed before a rotation stay listed"
    )
