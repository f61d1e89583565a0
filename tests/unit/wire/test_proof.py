from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wire.proof import (
    ProofFormatError,
    ProofPayload,
    ProofSignatureError,
    UnknownKeyError,
    decode,
    encode,
    id_number_hmac,
    public_key_from_text,
    public_key_text,
    verification_code,
)

KEY = Ed25519PrivateKey.generate()
TRUSTED = {"k1": KEY.public_key()}
PAYLOAD = ProofPayload(
    t="cr",
    s="CR-2026-000001",
    n="钱**",
    h=id_number_hmac(b"k" * 32, "11010519491231002X"),
    u="就业",
    i="20261123",
    e="20270221",
    k="k1",
)


def test_round_trip_and_size():
    text = encode(PAYLOAD, KEY)
    assert text.startswith("KP1.") and len(text) < 400  # a QR code a phone reads easily
    assert decode(text, TRUSTED) == PAYLOAD
    assert decode(text, TRUSTED).expires.isoformat() == "2027-02-21"


def test_a_changed_payload_or_signature_is_refused():
    prefix, body, signature = encode(PAYLOAD, KEY).split(".")
    forged = PAYLOAD.model_copy(update={"u": "出国"})
    forged_body = encode(forged, Ed25519PrivateKey.generate()).split(".")[1]
    with pytest.raises(ProofSignatureError):
        decode(f"{prefix}.{forged_body}.{signature}", TRUSTED)
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(ProofSignatureError):
        decode(f"{prefix}.{body}.{flipped}", TRUSTED)


def test_unknown_key_and_rotation():
    text = encode(PAYLOAD, KEY)
    with pytest.raises(UnknownKeyError) as caught:
        decode(text, {"k2": Ed25519PrivateKey.generate().public_key()})
    assert caught.value.key_id == "k1"
    # A verifier that trusts the old and the new key accepts both.
    new_key = Ed25519PrivateKey.generate()
    newer = encode(PAYLOAD.model_copy(update={"k": "k2"}), new_key)
    both = {"k1": KEY.public_key(), "k2": new_key.public_key()}
    assert decode(text, both).k == "k1" and decode(newer, both).k == "k2"
    with pytest.raises(ProofSignatureError):  # the key id names a key that did not sign it
        decode(encode(PAYLOAD, new_key), both)


@pytest.mark.parametrize(
    "text", ["", "hello", "KP1.a.b", "KP2.eyJ9.AA", "KP1.!!!.AAAA", "KP1.eyJ2IjoxfQ.AAAA"]
)
def test_damaged_codes(text):
    with pytest.raises(ProofFormatError):
        decode(text, TRUSTED)


def test_id_number_is_a_keyed_hmac_not_a_hash():
    a = id_number_hmac(b"issuer-secret-1" * 2, "11010519491231002X")
    assert a == id_number_hmac(b"issuer-secret-1" * 2, "11010519491231002x ")
    assert a != id_number_hmac(b"issuer-secret-2" * 2, "11010519491231002X")
    assert "11010519491231002X" not in encode(PAYLOAD, KEY)


def test_verification_code_and_key_text():
    code = verification_code(encode(PAYLOAD, KEY))
    assert len(code) == 8 and not set(code) & set("01OI")
    text = public_key_text(KEY.public_key())
    assert public_key_text(public_key_from_text(text)) == text
    with pytest.raises(ProofFormatError):
        public_key_from_text("short")
