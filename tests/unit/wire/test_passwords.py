"""Passwords and PINs in both suites (wire/crypto/passwords.py), checked against
hashlib's PBKDF2 and scrypt (the system's OpenSSL, not the `cryptography` package's),
a textbook PBKDF2 (RFC 8018 §5.2) written here over HMAC-SM3, and RFC 7914's scrypt
vector; and every text that is no hash of ours refused calmly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

import pytest

from wire.crypto import passwords
from wire.crypto.errors import UnknownSuite

CHEAP = passwords.Cost(iterations=1_000, n=2**10)


def _textbook_pbkdf2_sm3(secret: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    """RFC 8018 §5.2, with HMAC-SM3 as the PRF (GM/T 0091-2020)."""
    blocks = []
    for index in range(1, -(-length // 32) + 1):
        u = hmac.new(secret, salt + index.to_bytes(4, "big"), "sm3").digest()
        block = bytearray(u)
        for _ in range(iterations - 1):
            u = hmac.new(secret, u, "sm3").digest()
            block = bytearray(a ^ b for a, b in zip(block, u, strict=True))
        blocks.append(bytes(block))
    return b"".join(blocks)[:length]


def _parts(kept: str) -> tuple[list[str], bytes, bytes]:
    scheme, *costs, salt, found = kept.split("$")
    return [scheme, *costs], base64.b64decode(salt), base64.b64decode(found)


def test_gm_is_pbkdf2_with_hmac_sm3_as_hashlib_and_the_textbook_make_it():
    rng = random.Random(25)
    for case in range(40):
        secret = "".join(rng.choice("abc密码0123 !") for _ in range(rng.randint(1, 30)))
        kept = passwords.hash_secret(secret, "gm", CHEAP)
        (scheme, iterations), salt, found = _parts(kept)
        assert (scheme, int(iterations), len(salt)) == ("pbkdf2-sm3", 1_000, 16)
        assert found == hashlib.pbkdf2_hmac("sm3", secret.encode(), salt, 1_000)
        if case < 3:  # the textbook loop is slow in Python
            assert found == _textbook_pbkdf2_sm3(secret.encode(), salt, 1_000, 32)
        assert passwords.secret_matches(secret, kept)
        assert not passwords.secret_matches(secret + "x", kept)


def test_intl_is_scrypt_as_hashlib_makes_it_and_rfc_7914_vector_holds():
    kept = passwords.hash_secret("correct horse battery", "intl", CHEAP)
    (scheme, n, r, p), salt, found = _parts(kept)
    assert (scheme, n, r, p) == ("scrypt", "1024", "8", "1")
    assert found == hashlib.scrypt(b"correct horse battery", salt=salt, n=1024, r=8, p=1, dklen=32)
    # RFC 7914 §12, the second vector (N=1024, r=8, p=16), first 32 bytes
    vector = passwords._scrypt("password", b"NaCl", 1024, 8, 16, 64)
    assert vector.hex().startswith(
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
    )


def test_the_default_costs_are_those_named():
    kept = passwords.hash_secret("a long enough password", "gm")
    assert kept.split("$")[1] == str(passwords.PASSWORD.iterations)
    kept = passwords.hash_secret("a long enough password", "intl")
    assert kept.split("$")[1:4] == ["32768", "8", "1"]


@pytest.mark.parametrize(
    "kept",
    [
        "",
        "plain",
        "md5$abc",
        "pbkdf2-sm3$0$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",
        "pbkdf2-sm3$99999999999$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",
        "pbkdf2-sm3$1000$AAAAAAAAAAAAAAAAAAAAAA==$",  # no hash: must not match everything
        "pbkdf2-sm3$1000$not base64!$" + "A" * 43 + "=",
        "scrypt$1048576$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",  # 1 GiB: refused
        "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",  # N not a power of 2
        "scrypt$1024$8$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",  # a cost missing
    ],
)
def test_a_text_that_is_no_hash_of_ours_never_matches_and_never_raises(kept):
    assert passwords.secret_matches("anything", kept) is False
    assert passwords.secret_matches("", kept) is False


def test_an_unknown_suite_is_refused_by_name():
    with pytest.raises(UnknownSuite, match="gm, intl"):
        passwords.hash_secret("x", "sm9")


def test_a_hash_of_another_suite_or_cost_is_not_made_as_now():
    gm = passwords.hash_secret("a long enough password", "gm", CHEAP)
    assert passwords.made_as(gm, "gm", CHEAP) and not passwords.made_as(gm, "intl", CHEAP)
    assert not passwords.made_as(gm, "gm")  # the default cost is dearer than CHEAP
    intl = passwords.hash_secret("a long enough password", "intl", CHEAP)
    assert passwords.made_as(intl, "intl", CHEAP) and not passwords.made_as(intl, "gm", CHEAP)
