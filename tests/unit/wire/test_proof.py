"""wire/proof.py in both suites: intl byte for byte the codes printed before the
suites, gm apart (KP1-GM, SM2 with SM3, HMAC-SM3, SM3), and neither passing for the
other."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.unit.wire.test_crypto import openssl_verifies
from wire import crypto
from wire.encoding import b64, unb64
from wire.proof import (
    ProofFormatError,
    ProofPayload,
    ProofSignatureError,
    UnknownKeyError,
    decode,
    encode,
    id_number_hmac,
    is_code,
    public_key_from_text,
    public_key_text,
    verification_code,
)

HMAC_KEY = b"k" * 32
ID_NUMBER = "11010519491231002X"


def payload(suite: crypto.Suite, **changes: object) -> ProofPayload:
    h = id_number_hmac(HMAC_KEY, ID_NUMBER, suite)
    fields = dict(t="cr", s="CR-2026-000001", n="钱**", h=h, u="就业", i="20261123",
                  e="20270221", k="k1")  # fmt: skip
    return ProofPayload.model_validate({**fields, **changes})


@pytest.fixture(params=crypto.NAMES)
def suite(request: pytest.FixtureRequest) -> crypto.Suite:
    return crypto.suite(request.param)


@pytest.fixture
def key(suite: crypto.Suite) -> crypto.PrivateKey:
    return suite.generate_private_key()


def test_round_trip_and_size(suite, key):
    text = encode(payload(suite), key)
    assert text.startswith("KP1-GM." if suite.name == "gm" else "KP1.") and is_code(text)
    assert len(text) < 400  # a QR code a phone reads easily
    assert decode(text, {"k1": key.public}) == payload(suite)
    assert decode(text, {"k1": key.public}).expires.isoformat() == "2027-02-21"


def test_an_intl_code_is_that_of_before_the_suites():
    """A code printed before the suites (made here as the old module made it, from a
    fixed Ed25519 key) verifies; made anew from the same key, it is the same text."""
    seed = bytes(range(32))
    old_key = Ed25519PrivateKey.from_private_bytes(seed)
    h = b64(hmac.new(HMAC_KEY, ID_NUMBER.encode(), hashlib.sha256).digest()[:16])
    fields = dict(c=1, e="20270221", h=h, i="20261123", k="k1", n="钱**", s="CR-2026-000001",
                  t="cr", u="就业", v=1)  # fmt: skip
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    old = f"KP1.{b64(body)}.{b64(old_key.sign(b'KP1.' + body))}"
    old_code = "".join(
        "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"[(int.from_bytes(hashlib.sha256(old.encode()).digest()[:5],
                                                            "big") >> (5 * i)) & 31]
        for i in range(8)
    )  # fmt: skip

    intl = crypto.suite("intl")
    key = intl.load_private_bytes(seed)
    assert decode(old, {"k1": key.public}).h == h == id_number_hmac(HMAC_KEY, ID_NUMBER, intl)
    assert encode(payload(intl), key) == old  # Ed25519 is deterministic
    assert verification_code(old) == old_code
    bare = b64(old_key.public_key().public_bytes_raw())  # a key configured before
    assert public_key_text(key.public) == bare and public_key_from_text(bare) == key.public


def test_the_gm_code_is_sm2_with_sm3_over_its_prefix_as_openssl_checks_it(tmp_path):
    gm = crypto.suite("gm")
    key = gm.generate_private_key()
    prefix, body, signature = encode(payload(gm), key).split(".")
    signed = b"KP1-GM." + unb64(body)
    point = gm.public_bytes(key.public)
    assert openssl_verifies(tmp_path, point, signed, unb64(signature), "1234567812345678")
    assert not openssl_verifies(tmp_path, point, b"KP1." + unb64(body), unb64(signature),
                                "1234567812345678")  # fmt: skip
    # h is HMAC-SM3, the verification code SM3: neither is the intl one
    assert payload(gm).h == b64(gm.mac(HMAC_KEY, ID_NUMBER.encode())[:16])
    assert payload(gm).h != id_number_hmac(HMAC_KEY, ID_NUMBER, crypto.suite("intl"))
    text = f"{prefix}.{body}.{signature}"
    intl_code = verification_code("KP1" + text[len(prefix) :])
    assert verification_code(text) != intl_code


def test_a_code_relabelled_to_the_other_suite_is_refused(suite, key):
    text = encode(payload(suite), key)
    head, rest = text.split(".", 1)
    relabelled = ("KP1" if head == "KP1-GM" else "KP1-GM") + "." + rest
    with pytest.raises(ProofSignatureError, match="suite"):
        decode(relabelled, {"k1": key.public})
    # a key of the other suite under the code's key id: refused too, never tried
    other = crypto.suite("intl" if suite.name == "gm" else "gm").generate_private_key()
    with pytest.raises(ProofSignatureError):
        decode(text, {"k1": other.public})


def test_a_changed_payload_or_signature_is_refused(suite, key):
    prefix, body, signature = encode(payload(suite), key).split(".")
    forged_body = encode(payload(suite, u="出国"), suite.generate_private_key()).split(".")[1]
    with pytest.raises(ProofSignatureError):
        decode(f"{prefix}.{forged_body}.{signature}", {"k1": key.public})
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(ProofSignatureError):
        decode(f"{prefix}.{body}.{flipped}", {"k1": key.public})


def test_unknown_key_and_rotation_across_suites(suite, key):
    text = encode(payload(suite), key)
    with pytest.raises(UnknownKeyError) as caught:
        decode(text, {"k2": suite.generate_private_key().public})
    assert caught.value.key_id == "k1"
    # A verifier that trusts the old key and a new one, of either suite, accepts both.
    for name in crypto.NAMES:
        new_suite = crypto.suite(name)
        new_key = new_suite.generate_private_key()
        newer = encode(payload(new_suite, k="k2"), new_key)
        both = {"k1": key.public, "k2": new_key.public}
        assert decode(text, both).k == "k1" and decode(newer, both).k == "k2"
        with pytest.raises(ProofSignatureError):  # the key id names a key that did not sign it
            decode(encode(payload(new_suite), new_key), both)


@pytest.mark.parametrize(
    "text",
    ["", "hello", "KP1.a.b", "KP2.eyJ9.AA", "KP1.!!!.AAAA", "KP1.eyJ2IjoxfQ.AAAA",
     "KP1-GM.eyJ2IjoxfQ.AAAA", "KP1-SM.eyJ2IjoxfQ.AAAA"],
)  # fmt: skip
def test_damaged_codes(text):
    key = crypto.suite("gm").generate_private_key()
    with pytest.raises(ProofFormatError):
        decode(text, {"k1": key.public})


def test_id_number_is_a_keyed_hmac_not_a_hash(suite, key):
    a = id_number_hmac(b"issuer-secret-1" * 2, ID_NUMBER, suite)
    assert a == id_number_hmac(b"issuer-secret-1" * 2, "11010519491231002x ", suite)
    assert a != id_number_hmac(b"issuer-secret-2" * 2, ID_NUMBER, suite)
    assert ID_NUMBER not in encode(payload(suite), key)


def test_verification_code_and_key_text(suite, key):
    code = verification_code(encode(payload(suite), key))
    assert len(code) == 8 and not set(code) & set("01OI")
    text = public_key_text(key.public)
    assert text.startswith("gm:") == (suite.name == "gm")
    assert public_key_text(public_key_from_text(text)) == text
    assert public_key_from_text(text).suite == suite.name
    for bad in ("short", "gm:short", "sm9:" + text.split(":")[-1]):
        with pytest.raises(ProofFormatError):
            public_key_from_text(bad)
    with pytest.raises(ProofFormatError):
        verification_code("not a code")
