"""wire/signing.py in both suites: intl byte for byte as before the suites, gm apart."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wire import crypto, signing
from wire.encoding import b64, unb64

ARGS = ("post", "/v1/records?x=1", b'{"records": []}', "1795000000", "n" * 22, "T0123456789ab")


def test_the_intl_message_and_signature_are_those_of_before_the_suites() -> None:
    method, target, body, timestamp, nonce, terminal = ARGS
    before = "\n".join(("KS1", "POST", target, hashlib.sha256(body).hexdigest(), timestamp,
                        nonce, terminal)).encode()  # fmt: skip
    assert signing.message(*ARGS) == before
    assert signing.message(*ARGS, crypto.suite("intl")) == before
    old = Ed25519PrivateKey.generate()  # a terminal's key from before: read as intl
    public = b64(old.public_key().public_bytes_raw())
    suite, key = signing.load_public_key(public)
    assert suite.name == "intl" and signing.public_key_text(key) == public
    assert signing.load_public_key("intl:" + public)[1] == key
    headers = {signing.TERMINAL: terminal, signing.TIMESTAMP: timestamp, signing.NONCE: nonce,
               signing.SIGNATURE: b64(old.sign(before))}  # fmt: skip
    signing.verify(key, headers, method, target, body)


def test_the_gm_message_says_its_suite_and_digests_with_sm3() -> None:
    gm = crypto.suite("gm")
    signed = signing.message(*ARGS, gm)
    lines = signed.decode().split("\n")
    assert lines[0] == "KS1-GM" and lines[3] == gm.digest(ARGS[2]).hex()
    assert lines[3] != hashlib.sha256(ARGS[2]).hexdigest()


@pytest.mark.parametrize("name", crypto.NAMES)
def test_a_key_round_trips_through_its_text_and_signs(name: str) -> None:
    key = crypto.suite(name).generate_private_key()
    text = signing.public_key_text(key.public)
    assert text.startswith("gm:") == (name == "gm")
    suite, public = signing.load_public_key(text)
    assert suite.name == name and public == key.public
    headers = signing.sign(key, "T1", "GET", "/v1/config", b"", 1.0)
    signing.verify(public, headers, "GET", "/v1/config", b"")
    with pytest.raises(signing.SignatureError, match="does not match"):
        signing.verify(public, headers, "GET", "/v1/config?x", b"")
    other = crypto.suite("intl" if name == "gm" else "gm").generate_private_key()
    with pytest.raises(signing.SignatureError):  # a key of the other suite: never verifies
        signing.verify(other.public, headers, "GET", "/v1/config", b"")


@pytest.mark.parametrize("text", ["", "gm:" + "A" * 87, "rot13:" + "A" * 43, "gm:%%%",
                                  "intl:" + b64(b"x" * 31), b64(bytes(65))])  # fmt: skip
def test_what_is_no_terminal_key_is_a_signature_error(text: str) -> None:
    with pytest.raises(signing.SignatureError, match="not a terminal's public key"):
        signing.load_public_key(text)


def test_a_signature_of_another_length_is_refused() -> None:
    key = crypto.suite("gm").generate_private_key()
    headers = signing.sign(key, "T1", "GET", "/v1/config", b"", 1.0)
    headers[signing.SIGNATURE] = b64(unb64(headers[signing.SIGNATURE])[:-1])
    with pytest.raises(signing.SignatureError):
        signing.verify(key.public, headers, "GET", "/v1/config", b"")
