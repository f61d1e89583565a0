"""What crosses the wire between a terminal and the backend (both sides import
these models; the backend's OpenAPI document is generated from them)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(_Model):
    """Every error answer (RFC 9457 style): `code` is stable, `detail` is for people."""

    code: str = Field(description="machine-readable reason, e.g. signature_invalid")
    detail: str = Field(description="one line for a technician's log")


# -- enrolment ------------------------------------------------------------------------


class EnrolmentCode(_Model):
    code: str = Field(pattern=r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", description="one-time code")
    expires_at: float = Field(description="Unix time after which the code is refused")


class EnrolmentRequest(_Model):
    code: str = Field(max_length=32, description="the one-time code from the console")
    public_key: str = Field(
        pattern=r"^[A-Za-z0-9_-]{43}$", description="Ed25519 public key, base64url"
    )
    name: str = Field("", max_length=80, description="where the terminal stands")
    software_version: str = Field(max_length=40)


class EnrolmentReply(_Model):
    terminal_id: str = Field(pattern=TERMINAL_ID)
    server_time: float


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

    service: str = Field("", max_length=40, description="the flow, empty on the home screen")
    screen: str = Field(max_length=24, description="home, step, done, ...")
    step: str = Field("", max_length=40, description="the flow's step on screen")
    language: str = Field(max_length=8, description="the language the citizen reads")
    elderly: bool = Field(False, description="large text was on")


class _Body(BaseModel):
    """What the backend reads of a record's body; the rest is kept as sent. Strict:
    a number is a number (`"4.0"` is no star rating), as the terminal writes it."""

    model_config = ConfigDict(extra="allow", strict=True)


class ApplicationBody(_Body):
    service: str = Field("other", max_length=40)


class PhotoBody(_Body):
    receipt: str = Field(min_length=1, max_length=32)
    jpeg_base64: str = Field(min_length=1, max_length=4_000_000)


class RatingBody(_Body):
    transaction: str = Field(min_length=1, max_length=64)
    service: str = Field("", max_length=40)
    stars: int = Field(ge=1, le=5)


class PaymentBody(_Body):
    out_trade_no: str = Field(min_length=1, max_length=32)
    state: str = Field(min_length=1, max_length=16)
    amount_fen: int = Field(ge=0, le=100_000_000)
    method: str = Field("qr", max_length=16)


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
    RecordKind.AUDIT: _Body,
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
    depth: int = Field(ge=0)
    oldest_age_s: float | None = None
    escalated: int = Field(0, ge=0)
    held: int = Field(0, ge=0, description="records the backend refused, in quarantine")
    last_success: float | None = None


class Heartbeat(_Model):
    terminal_time: float
    software_version: str = Field(max_length=40)
    devices: dict[str, DeviceReport] = Field(default_factory=dict)
    consumables: dict[str, int] = Field(
        default_factory=dict, description="sheets or percent left, e.g. paper: 120"
    )
    outbox: OutboxReport


class HeartbeatReply(_Model):
    server_time: float
    drift_s: float = Field(description="terminal time minus server time")
    drift_alert: bool = Field(description="the drift is beyond the signature window")
    config_etag: str


class ConfigPack(_Model):
    """The city pack (file name to text) and the issuer keys that sign proofs."""

    etag: str
    city_pack: dict[str, str]
    issuer_keys: dict[str, str] = Field(description="key id to Ed25519 public key, base64url")
