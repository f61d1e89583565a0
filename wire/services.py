"""The backend services the flows call: eligibility, photos, proofs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from wire.sync import TEXT

ID_NUMBER = r"^\d{17}[\dX]$"
MOBILE = r"^1[3-9]\d{9}$"  # a mainland mobile number, as the flows' phone field takes it


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RenewalCheck(_Model):
    id_number: str = Field(pattern=ID_NUMBER)
    reason: Literal["expiry", "damaged", "lost"]


class EndorsementCheck(_Model):
    permit_number: str = Field(pattern=r"^[A-Z]\d{7,8}$")


class EndorsementOption(_Model):
    type: Literal["G", "L", "T"] = Field(description="individual, group, family visit")
    months: Literal[3, 12]


class Eligibility(_Model):
    eligible: bool
    reason: str | None = Field(
        None, description="why not: a message id suffix the flows translate (e.g. minor)"
    )
    options: list[EndorsementOption] = Field(default_factory=list)
    phone: str | None = Field(
        None,
        pattern=MOBILE,
        # absent rather than null: the answer of a citizen with no number on file is
        # the one terminals from before this field read (their models forbid extras)
        exclude_if=lambda value: value is None,
        description="renewal check only, eligible answers only: the phone number the "
        "citizen gave on their latest ID application the backend still holds, for the "
        "terminal to offer instead of typing it; absent when there is none",
    )


class PhotoLookup(_Model):
    """An ID photo by its receipt number. The terminal that took it needs nothing else;
    any other terminal must give the citizen's ID number too (the two must belong
    together, or the answer is 404, as for a photo that does not exist)."""

    receipt: str = Field(min_length=1, max_length=32, pattern=TEXT)
    id_number: str | None = Field(None, pattern=ID_NUMBER)


class PhotoReply(_Model):
    receipt: str
    jpeg_base64: str
    stored_at: float


class ProofRequest(_Model):
    id_number: str = Field(pattern=ID_NUMBER)
    doc_type: Literal["cr", "hh", "rs"]
    use: str = Field(min_length=1, max_length=40, description="the permitted use")
    reason: str = Field("", max_length=80, description="needed past three a year")


class ProofReply(_Model):
    issued: bool
    reason: str | None = None
    code: str | None = Field(None, description="the signed KP1 code for the QR")
    serial: str | None = None
    verification_code: str | None = None


class ProofCheck(_Model):
    valid: bool
    reason: str | None = Field(
        None, description="unreadable, unknown_key, forged, expired, unknown"
    )
    doc_type: str | None = None
    serial: str | None = None
    holder: str | None = Field(None, description="masked name")
    use: str | None = None
    issued: str | None = None
    expires: str | None = None
