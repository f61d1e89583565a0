"""The signed payload in a printed proof's QR code, shared by the kiosk (which
prints and verifies it) and the backend (which issues it).

Text in the QR code: ``<prefix>.<payload>.<signature>``, both base64url without
padding. The prefix says the crypto suite (wire/crypto) of everything in the code:

    KP1.     intl: Ed25519 over ``b"KP1." + payload``, HMAC-SHA-256, SHA-256
             (byte for byte the codes printed before the suites: they still verify)
    KP1-GM.  gm: SM2 with SM3 over ``b"KP1-GM." + payload``, HMAC-SM3, SM3

The payload is compact canonical JSON (short keys, sorted, no spaces); the
signature is by the issuer's key named in the payload (`k`), so keys can rotate,
and change suite, while old proofs stay valid. A key only verifies codes of its
own suite: relabelled, a code is refused.

The holder's ID number is never in the code, not even hashed plainly (an ID number
has few enough possibilities to brute-force any unkeyed hash): `h` is an HMAC of it
under a key only the issuer holds, so the issuer can answer "is this proof about
that person?" and nobody else can learn who it is about.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wire import crypto
from wire.encoding import b64 as _b64
from wire.encoding import unb64 as _unb64

PREFIXES = {"intl": "KP1", "gm": "KP1-GM"}  # suite -> the code's first part
SUITES = {prefix: name for name, prefix in PREFIXES.items()}
PREFIX = PREFIXES["intl"]  # the prefix of before the suites
NOT_A_CODE = "KP1.<payload>.<signature>, or KP1-GM.…"  # what a code looks like, for errors

# the kinds of proof, by the code's short name: 无犯罪记录, 户籍, 居住, 亲属关系, 出生登记,
# 死亡登记 (the last two the registrations in the household register)
DOCUMENT_TYPES = {"cr": "criminal_record", "hh": "household", "rs": "residence",
                  "kn": "kinship", "br": "birth", "dt": "death"}  # fmt: skip


class ProofPayload(BaseModel):
    """The fields a stranger can check offline. Short names keep the QR code small."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    v: int = Field(1, description="format version")
    t: str = Field(pattern=f"^({'|'.join(DOCUMENT_TYPES)})$", description="DOCUMENT_TYPES")
    s: str = Field(pattern=r"^[A-Z0-9-]{6,32}$", description="serial number")
    n: str = Field(max_length=40, description="holder's name, masked (first character)")
    h: str = Field(pattern=r"^[A-Za-z0-9_-]{22}$", description="HMAC of the ID number, 16 bytes")
    u: str = Field(max_length=40, description="the permitted use")
    i: str = Field(pattern=r"^\d{8}$", description="issued, YYYYMMDD")
    e: str = Field(pattern=r"^\d{8}$", description="valid until, YYYYMMDD")
    k: str = Field(pattern=r"^[a-z0-9-]{1,32}$", description="issuer key id")
    c: int = Field(1, ge=1, le=99, description="print counter")
    # absent on proofs that state nothing beyond the holder (and on every code printed
    # before it existed: the canonical form leaves an absent field out)
    d: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{22}$", description="digest of the stated details"
    )

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


def id_number_hmac(hmac_key: bytes, id_number: str, suite: crypto.Suite) -> str:
    """`h`: the suite's HMAC of the ID number, cut to 16 bytes."""
    return _b64(suite.mac(hmac_key, id_number.strip().upper().encode())[:16])


def details_digest(details: Mapping[str, str], suite: crypto.Suite) -> str:
    """`d`: the suite's digest of what the proof states beyond the holder (an address,
    a relation, a date: the backend's record, as codes and plain values), cut to 16
    bytes. The signature covers it, so a printer can check the details it was handed
    belong to the code, and a verifier holding the paper can check what it states."""
    body = json.dumps(dict(details), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _b64(suite.digest(body.encode())[:16])


def encode(payload: ProofPayload, signing_key: crypto.PrivateKey) -> str:
    """The code's text, in the suite of the key that signs it."""
    suite = crypto.suite(signing_key.suite)
    prefix, body = PREFIXES[suite.name], _canonical(payload)
    signature = suite.sign(signing_key, prefix.encode() + b"." + body)
    return f"{prefix}.{_b64(body)}.{_b64(signature)}"


def is_code(text: str) -> bool:
    """Whether a QR code's text looks like a proof's (of either suite)."""
    return text.strip().split(".")[0] in SUITES


def decode(text: str, trusted: Mapping[str, crypto.PublicKey]) -> ProofPayload:
    """Check the signature against the pinned keys and return the payload.

    Raises ProofFormatError, UnknownKeyError or ProofSignatureError. Expiry is the
    caller's business: an expired proof is still a genuine one.
    """
    suite, parts = _suite_of(text), text.strip().split(".")
    if len(parts) != 3:
        raise ProofFormatError(f"not a proof code (expected {NOT_A_CODE})")
    try:
        body, signature = _unb64(parts[1]), _unb64(parts[2])
        payload = ProofPayload.model_validate(json.loads(body))
    except (ValueError, ValidationError, UnicodeDecodeError) as exc:
        raise ProofFormatError(f"the code's payload is damaged: {type(exc).__name__}") from None
    key = trusted.get(payload.k)
    if key is None:
        raise UnknownKeyError(payload.k)
    if key.suite != suite.name:  # a code relabelled to pass for another suite's
        raise ProofSignatureError(
            f"issuer key '{payload.k}' is of the {key.suite} suite, the code of {suite.name}"
        )
    try:
        suite.verify(key, parts[0].encode() + b"." + body, signature)
    except crypto.CryptoError:
        raise ProofSignatureError("the signature does not match: altered or forged") from None
    if _canonical(payload) != body:
        raise ProofFormatError("the payload is not in canonical form")
    return payload


def verification_code(code_text: str) -> str:
    """8 characters to read out or type in, derived from the signed code by its
    suite's digest; ProofFormatError if the text is no proof code."""
    digest = _suite_of(code_text).digest(code_text.encode())
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
    number = int.from_bytes(digest[:5], "big")
    return "".join(alphabet[(number >> (5 * i)) & 31] for i in range(8))


def public_key_text(key: crypto.PublicKey) -> str:
    """An issuer's public key as configured and published: `gm:<b64>`, or bare (intl)."""
    return crypto.public_key_text(key)


def public_key_from_text(text: str) -> crypto.PublicKey:
    """The key of a public key's text, in the suite it names; ProofFormatError if none."""
    try:
        return crypto.load_public_key_text(text.strip())[1]
    except crypto.CryptoError as exc:
        raise ProofFormatError(f"not an issuer's public key: {exc}") from None


def _suite_of(text: str) -> crypto.Suite:
    """The suite a code's prefix names; ProofFormatError for any other text."""
    prefix = text.strip().split(".")[0]
    if prefix not in SUITES:
        raise ProofFormatError(f"not a proof code (expected {NOT_A_CODE})")
    return crypto.suite(SUITES[prefix])


def _canonical(payload: ProofPayload) -> bytes:
    return json.dumps(
        payload.model_dump(exclude_none=True),
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def _date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))
