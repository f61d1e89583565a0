"""The project's permit applet: holder data and endorsements, as both sides see them.

The commands of the electronic 往来港澳通行证 are not public, so the project defines
its own applet (drivers/smartcard/PERMIT.md): BAC with the permit's document number,
birth date and expiry, then a holder file and a record file of endorsements, each
record sealed with the issuer's MAC so that the card (and any later reader) can tell
an endorsement the issuer wrote from one typed in by someone else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from drivers.smartcard import bac
from drivers.smartcard.lds import LdsError, encode_tlv, tlv

PERMIT_AID = bytes.fromhex("F0504552 4D495401".replace(" ", ""))  # F0 "PERMIT" 01
HOLDER_FILE = 0x0101
ENDORSEMENT_FILE = 0x0105
KINDS = {"G": "individual", "L": "group", "T": "family"}
REGIONS = ("HK", "MO")
MULTIPLE = 0  # trips: 0 means as many as the validity allows


@dataclass(frozen=True)
class Holder:
    # personal data stays out of reprs (and so out of any log line or traceback)
    document_number: str = field(repr=False)
    name: str = field(repr=False)  # as printed, Chinese
    latin_name: str = field(repr=False)
    birth_date: str = field(repr=False)  # YYYYMMDD
    sex: str
    expiry_date: str  # YYYYMMDD
    authority: str

    def encode(self) -> bytes:
        fields = (
            (0x5A, self.document_number),
            (0x5F0E, self.name),
            (0x5F0F, self.latin_name),
            (0x5F2B, self.birth_date),
            (0x5F35, self.sex),
            (0x5F24, self.expiry_date),
            (0x5F19, self.authority),
        )
        return encode_tlv(0x71, b"".join(encode_tlv(t, v.encode("utf-8")) for t, v in fields))

    @classmethod
    def decode(cls, data: bytes) -> Holder:
        items = tlv(data)
        if len(items) != 1 or items[0][0] != 0x71:
            raise LdsError("the holder file is not a 71 object")
        f = dict(tlv(items[0][1]))
        try:
            return cls(
                *(
                    f[t].decode("utf-8")
                    for t in (0x5A, 0x5F0E, 0x5F0F, 0x5F2B, 0x5F35, 0x5F24, 0x5F19)
                )
            )
        except (KeyError, UnicodeDecodeError) as exc:
            raise LdsError(f"the holder file lacks or garbles {exc}") from None


@dataclass(frozen=True)
class Endorsement:
    serial: str  # unique per endorsement: writing it twice is writing it once
    region: str  # HK | MO
    kind: str  # G | L | T
    trips: int  # 1, 2, or MULTIPLE
    valid_until: str  # YYYYMMDD
    issued_at: str  # YYYYMMDDhhmm
    terminal: str

    def body(self) -> bytes:
        return (
            encode_tlv(0x80, self.serial.encode("ascii"))
            + encode_tlv(0x81, self.region.encode("ascii"))
            + encode_tlv(0x82, self.kind.encode("ascii"))
            + encode_tlv(0x83, bytes([self.trips]))
            + encode_tlv(0x84, self.valid_until.encode("ascii"))
            + encode_tlv(0x85, self.issued_at.encode("ascii"))
            + encode_tlv(0x86, self.terminal.encode("ascii"))
        )

    def sealed(self, key: bytes) -> bytes:
        """The record as written: the fields and the issuer's MAC over them."""
        body = self.body()
        return encode_tlv(0x73, body + encode_tlv(0x8E, bac.retail_mac(key, body)))


def card_key(issuer_key: bytes, document_number: str) -> bytes:
    """The card's endorsement key, diversified from the issuer's: one leaked card
    key seals endorsements for that card only."""
    seed = hashlib.sha1(issuer_key + document_number.encode("ascii")).digest()[:16]
    return bac.derive(seed, 3)


def open_record(record: bytes, key: bytes) -> tuple[Endorsement, bool]:
    """The endorsement in a record and whether its MAC is the issuer's."""
    items = tlv(record)
    if len(items) != 1 or items[0][0] != 0x73:
        raise LdsError("an endorsement record is not a 73 object")
    inner = items[0][1]
    f = dict(tlv(inner))
    try:
        endorsement = Endorsement(
            f[0x80].decode("ascii"),
            f[0x81].decode("ascii"),
            f[0x82].decode("ascii"),
            f[0x83][0],
            f[0x84].decode("ascii"),
            f[0x85].decode("ascii"),
            f[0x86].decode("ascii"),
        )
        mac = f[0x8E]
    except (KeyError, IndexError, UnicodeDecodeError) as exc:
        raise LdsError(f"an endorsement record lacks or garbles {exc}") from None
    return endorsement, bac.retail_mac(key, endorsement.body()) == mac


def verify_record(record: bytes, key: bytes) -> bool:
    """What the card checks before it appends a record."""
    try:
        endorsement, genuine = open_record(record, key)
    except LdsError:
        return False
    return (
        genuine
        and endorsement.region in REGIONS
        and endorsement.kind in KINDS
        and endorsement.sealed(key) == record
    )
