"""What each kind of proof states from the household register, or why it cannot be
issued at a terminal (the refusal reason: a code the flows translate as flow.why.<code>).

The details are what the printed proof says beyond its holder, as codes and plain
values; the terminal words them in the citizen's language, and the code's `d` signs
them (wire/proof.py details_digest). The other person a kinship or death proof names
appears with the ID number masked, as the holder's does on paper.

Order matters for privacy: a relation not on record is refused before anything is
said about the other person, so only a relative learns whether a death is registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Citizen, Kinship
from wire.services import ProofRequest, stated_relation

# days a proof is valid, by kind (the default city pack's valid_days)
VALID_DAYS = {"cr": 90, "hh": 30, "rs": 30, "kn": 90, "br": 90, "dt": 90}


@dataclass(frozen=True)
class Statement:
    """The details a proof states, or the reason it is refused (then no details)."""

    refused: str | None = None
    details: dict[str, str] = field(default_factory=dict)


def statement(db: Session, citizen: Citizen, ask: ProofRequest) -> Statement:
    """What the proof of `ask.doc_type` about `citizen` states, or why not."""
    kind = ask.doc_type
    if kind == "cr":
        return Statement("record_found") if citizen.criminal_record else Statement()
    if kind == "hh":
        if citizen.household_address is None:
            return Statement("no_household_record")  # moved out, or never registered here
        return Statement(details={"address": citizen.household_address})
    if kind == "rs":
        if citizen.residence_address is None or citizen.residence_since is None:
            return Statement("no_residence_record")
        return Statement(
            details={"address": citizen.residence_address, "since": citizen.residence_since}
        )
    if kind == "br":
        if citizen.birth_place is None or citizen.birth_registered is None:
            return Statement("birth_not_on_record")
        born = citizen.id_number[6:14]
        return Statement(details={
            "birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}",
            "birth_place": citizen.birth_place, "registered_on": citizen.birth_registered,
        })  # fmt: skip
    return _with_relative(db, citizen, ask)


def _with_relative(db: Session, citizen: Citizen, ask: ProofRequest) -> Statement:
    """Kinship (kn) and death (dt): the relation as the citizen said it must be the
    register's; a death proof also needs the death registered."""
    relation = db.scalar(
        select(Kinship.relation).where(
            Kinship.id_number == citizen.id_number, Kinship.relative == ask.relative_id_number
        )
    )
    relative = db.get(Citizen, ask.relative_id_number) if relation == ask.relation else None
    if relative is None or relation is None:  # unknown, unrelated, or another relation
        return Statement("relation_not_on_record")
    masked = _as_printed(relative.id_number)
    relation = stated_relation(relation, relative.id_number)
    if ask.doc_type == "kn":
        return Statement(details={
            "relation": relation, "relative_name": relative.name, "relative_id_number": masked,
        })  # fmt: skip
    if relative.died_on is None:
        return Statement("death_not_on_record")
    return Statement(details={
        "relation": relation, "deceased_name": relative.name, "deceased_id_number": masked,
        "died_on": relative.died_on,
    })  # fmt: skip


def _as_printed(id_number: str) -> str:
    """An ID number as a printed proof shows it: the first 6 and the last 4 characters
    (the design's masking rule, the holder's on the same paper)."""
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
