"""The backend services the flows call: eligibility, photos, proofs."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


# what the other person a kinship or death proof names is to the holder, as the
# citizen says it at the screen ("parent": the other person is the holder's parent)
Relation = Literal["parent", "child", "spouse", "sibling"]
RELATIONS: tuple[str, ...] = get_args(Relation)
# the relation as a proof states it (its details' `relation`): by the relative's sex,
# the ID number's 17th digit (odd for a man), as official documents word it (系其父亲)
_STATED = {"parent": ("father", "mother"), "child": ("son", "daughter"),
           "sibling": ("brother", "sister"), "spouse": ("spouse", "spouse")}  # fmt: skip


def stated_relation(relation: str, relative_id_number: str) -> str:
    """father, mother, son, daughter, brother, sister or spouse."""
    return _STATED[relation][int(relative_id_number[16]) % 2 == 0]


class ProofRequest(_Model):
    id_number: str = Field(pattern=ID_NUMBER)
    doc_type: Literal["cr", "hh", "rs", "kn", "br", "dt"]
    use: str = Field(min_length=1, max_length=40, description="the permitted use")
    reason: str = Field("", max_length=80, description="needed past three a year")
    # kinship (kn) and death (dt) proofs only: the other person, and the relation
    relative_id_number: str | None = Field(
        None, pattern=ID_NUMBER, exclude_if=lambda value: value is None
    )
    relation: Relation | None = Field(None, exclude_if=lambda value: value is None)

    @model_validator(mode="after")
    def _relative_for_kinship_and_death_only(self) -> ProofRequest:
        named = (self.relative_id_number, self.relation)
        if self.doc_type in ("kn", "dt") and None in named:
            raise ValueError("a kinship or death proof needs relative_id_number and relation")
        if self.doc_type not in ("kn", "dt") and named != (None, None):
            raise ValueError("only a kinship or death proof names a relative")
        if self.relative_id_number == self.id_number:
            raise ValueError("the relative is another person than the holder")
        return self


class ProofReply(_Model):
    issued: bool
    reason: str | None = None
    code: str | None = Field(None, description="the signed KP1 code for the QR")
    serial: str | None = None
    verification_code: str | None = None
    details: dict[str, str] = Field(
        default_factory=dict,
        # absent when empty: what terminals from before this field read (extras forbidden)
        exclude_if=lambda value: not value,
        description="what the proof states beyond the holder (address, relation, dates), "
        "as codes and plain values; the code's `d` is their digest (wire/proof.py)",
    )


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


# 出入境证件: the documents a first application at a terminal may ask for.
ExitEntryDocument = Literal["passport", "hk_macau_permit"]


class ExitEntryCheck(_Model):
    """May this citizen apply for this exit-entry document at a terminal?"""

    id_number: str = Field(pattern=ID_NUMBER)
    document: ExitEntryDocument


class ExitEntryEligibility(_Model):
    eligible: bool
    reason: str | None = Field(
        None,
        description="why not, a message id suffix the flows translate: not_registered, "
        "restricted_from_exit, under_age_needs_guardian, already_holds_valid_document",
    )
    pickup_date: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="eligible answers only: the first day the document can be collected",
    )  # fmt: skip
    phone: str | None = Field(
        None, pattern=MOBILE, exclude_if=lambda value: value is None,
        description="eligible answers only: the phone number of the citizen's latest "
        "application (as the renewal check's), offered instead of typing; absent if none",
    )  # fmt: skip


# 自助取证: a finished document waiting for its holder, found by the ID card read at the
# terminal or by the pickup notice's code (a reference, never an ID number).
PICKUP_REFERENCE = r"^QJ-[0-9A-Z]{6,10}$"
PickupDocument = Literal["id_card", "passport", "hk_macau_permit", "residence_permit"]


class PickupLookup(_Model):
    """Is a document ready for this citizen at this terminal? The ID card read proves
    who asks; the pickup notice's code, when scanned, says which document."""

    id_number: str = Field(pattern=ID_NUMBER)
    reference: str | None = Field(None, pattern=PICKUP_REFERENCE)


class PickupReply(_Model):
    ready: bool
    reason: str | None = Field(
        None,
        description="why not, a message id suffix the flows translate: nothing_ready, "
        "not_yet_ready, already_collected, wrong_terminal, held_for_counter",
    )
    reference: str | None = Field(None, pattern=PICKUP_REFERENCE)
    document: PickupDocument | None = None
    document_number: str | None = Field(
        None, description="masked as printed on a slip: the first and last two characters"
    )
    holder: str | None = Field(None, description="masked name: the first character")
    ready_date: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="not_yet_ready: the first day it can be collected",
    )  # fmt: skip
    site: str | None = Field(None, description="wrong_terminal: where it is waiting")
