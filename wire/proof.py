"""The signed payload in a printed proof's QR code, shared by the kiosk (which
prints and verifies it) and the backend (which issues it).

Text in the QR code: ``KP1.<payload>.<signature>``, both base64url without
padding. The payload is compact canonical JSON (short keys, sorted, no spaces);
the signature is Ed25519 over ``b"KP1." + payload bytes``, by the issuer's key
named in the payload (`k`), so keys can rotate while old proofs stay valid.

The holder's ID number is never in the code, not even hashed plainly (an ID number
has few enough possibilities to brute-force any unkeyed hash): `h` is an HMAC of it
under a key only the issuer holds, so the issuer can answer "is this proof about
that person?" and nobody else can learn who it is about.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wire.encoding import b64 as _b64
from wire.encoding import unb64 as _unb64

PREFIX = "KP1"

DOCUMENT_TYPES = {"cr": "criminal_record", "hh": "household", "rs": "residence"}


class ProofPayload(BaseModel):
    """The fields a stranger can check offline. Short names keep the QR code small."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: int = Field(1, description="format version")
    t: str = Field(pattern="^(cr|hh|rs)$", description="document type, DOCUMENT_TYPES")
    s: str = Field(pattern=r"^[A-Z0-9-]{6,32}$", description="serial number")
    n: str = Field(max_length=40, description="holder's name, masked (first character)")
    h: str = Field(pattern=r"^[A-Za-z0-9_-]{22}$", description="HMAC of the ID number, 16 bytes")
    u: str = Field(max_length=40, description="the permitted use")
    i: str = Field(pattern=r"^\d{8}$", description="issued, YYYYMMDD")
    e: str = Field(pattern=r"^\d{8}$", description="valid until, YYYYMMDD")
    k: str = Field(pattern=r"^[a-z0-9-]{1,32}$", description="issuer key id")
    c: int = Field(1, ge=1, le=99, description="print counter")

    @property
    def issued(self) -> date:
        return _date(self.i)

    @property
    def expires(self) -> date:
        return _date(self.e)


class ProofFormatError(ValueError):
    """The text is not a proof code of ours (or was damaged)."""


class ProofSignatureError(ValueError):
    """The signature does not match: altered, or not made by the key it names."""


class UnknownKeyError(ValueError):
    """The code names an issuer key this verifier does not trust."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"issuer key '{key_id}' is not trusted here")
        self.key_id = key_id


def holder_name(name: str) -> str:
    """The name as a proof carries it: the first character, then a star for each
    other one (spaces kept), so a stranger can compare it with the holder."""
    return name[:1] + "".join(" " if c == " " else "*" for c in name[1:])


def id_number_hmac(hmac_key: bytes, id_number: str) -> str:
    digest = hmac.new(hmac_key, id_number.strip().upper().encode(), hashlib.sha256).digest()
    return _b64(digest[:16])


def encode(payload: ProofPayload, signing_key: Ed25519PrivateKey) -> str:
    body = _canonical(payload)
    signature = signing_key.sign(PREFIX.encode() + b"." + body)
    return f"{PREFIX}.{_b64(body)}.{_b64(signature)}"


def decode(text: str, trusted: dict[str, Ed25519PublicKey]) -> ProofPayload:
    """Check the signature against the pinned keys and return the payload.

    Raises ProofFormatError, UnknownKeyError or ProofSignatureError. Expiry is the
    caller's business: an expired proof is still a genuine one.
    """
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise ProofFormatError("not a proof code (expected KP1.<payload>.<signature>)")
    try:
        body, signature = _unb64(parts[1]), _unb64(parts[2])
        payload = ProofPayload.model_validate(json.loads(body))
    except (ValueError, ValidationError, UnicodeDecodeError) as exc:
        raise ProofFormatError(f"the code's payload is damaged: {type(exc).__name__}") from None
    key = trusted.get(payload.k)
    if key is None:
        raise UnknownKeyError(payload.k)
    try:
        key.verify(signature, PREFIX.encode() + b"." + body)
    except InvalidSignature:
        raise ProofSignatureError("the signature does not match: altered or forged") from None
    if _canonical(payload) != body:
        raise ProofFormatError("the payload is not in canonical form")
    return payload


def verification_code(code_text: str) -> str:
    """8 characters to read out or type in, derived from the signed code."""
    digest = hashlib.sha256(code_text.encode()).digest()
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
    number = int.from_bytes(digest[:5], "big")
    return "".join(alphabet[(number >> (5 * i)) & 31] for i in range(8))


def public_key_text(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return _b64(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_from_text(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(_unb64(text))
    except ValueError as exc:
        raise ProofFormatError(f"not an Ed25519 public key: {exc}") from None


def _canonical(payload: ProofPayload) -> bytes:
    return json.dumps(
        payload.model_dump(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode()


def _date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))
