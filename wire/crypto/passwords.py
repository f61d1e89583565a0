"""Passwords and PINs, kept only as slow, salted hashes, in either suite:

| suite | scheme | text kept |
|-------|--------|-----------|
| gm    | PBKDF2 with HMAC-SM3 (GM/T 0091-2020) | `pbkdf2-sm3$iterations$salt$hash` |
| intl  | scrypt (RFC 7914)                     | `scrypt$N$r$p$salt$hash` |

Salt and hash are base64 (RFC 4648 §4); scrypt texts written before the suites with
hex (the maintenance PIN's) read too. The text keeps its scheme and cost, so hashes of
both suites, and of an older cost, are checked side by side: a deployment that
switches suite keeps its people's passwords, and new ones are made in its suite.

Why these: GM/T 0091 is the commercial cryptography standard for deriving keys from
passwords (PBKDF2, RFC 8018, over HMAC-SM3); it is not memory-hard, so its iteration
count is set to cost about as much time here as scrypt does (bench/crypto_suites.py).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from wire.crypto.errors import UnknownSuite

SALT_BYTES = 16
HASH_BYTES = 32
SCRYPT_MAXMEM = 2**26  # 64 MiB: refuses a stored cost that would exhaust the memory
PBKDF2_MAX_ITERATIONS = 10_000_000  # likewise for time: a forged text cannot hang us


@dataclass(frozen=True)
class Cost:
    """How dear one try is: PBKDF2's iterations (gm) and scrypt's N, r, p (intl)."""

    iterations: int = 250_000  # about 0.1 s here, like scrypt's 2**15
    n: int = 2**15  # 32 MiB with r = 8
    r: int = 8
    p: int = 1


# Operators' passwords (the fleet console) and the technicians' PIN (on a terminal,
# a smaller machine, and behind a lockout after five wrong tries).
PASSWORD = Cost()
PIN = Cost(iterations=100_000, n=2**14)


def hash_secret(secret: str, suite: str, cost: Cost = PASSWORD) -> str:
    """The text to keep for `secret` in `suite` ("gm" or "intl"), with a new salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    if suite == "gm":
        found = _pbkdf2_sm3(secret, salt, cost.iterations)
        return f"pbkdf2-sm3${cost.iterations}${_b64(salt)}${_b64(found)}"
    if suite == "intl":
        found = _scrypt(secret, salt, cost.n, cost.r, cost.p)
        return f"scrypt${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(found)}"
    raise UnknownSuite(f"unknown crypto suite {suite!r}: it is one of gm, intl")


def made_as(kept: str, suite: str, cost: Cost = PASSWORD) -> bool:
    """Whether `kept` is what hash_secret makes now in `suite` at `cost`: else a
    secret checked against it is hashed again (a switched suite, a dearer cost)."""
    if suite == "gm":
        return kept.startswith(f"pbkdf2-sm3${cost.iterations}$")
    return kept.startswith(f"scrypt${cost.n}${cost.r}${cost.p}$")


def secret_matches(secret: str, kept: str) -> bool:
    """Whether `secret` is the one `kept` was made of (compared in constant time);
    False for a text that is no hash of ours, never an exception."""
    try:
        scheme, *costs, salt_text, hash_text = kept.split("$")
        salt, expected = _bytes(salt_text), _bytes(hash_text)
        if len(expected) != HASH_BYTES:  # an empty hash would match anything
            return False
        if scheme == "pbkdf2-sm3" and len(costs) == 1:
            iterations = int(costs[0])
            if not 1 <= iterations <= PBKDF2_MAX_ITERATIONS:
                return False
            found = _pbkdf2_sm3(secret, salt, iterations, len(expected))
        elif scheme == "scrypt" and len(costs) == 3:
            n, r, p = (int(c) for c in costs)
            found = _scrypt(secret, salt, n, r, p, len(expected))
        else:
            return False
    except (ValueError, OverflowError, MemoryError):
        return False
    return hmac.compare_digest(found, expected)


def _pbkdf2_sm3(secret: str, salt: bytes, iterations: int, length: int = HASH_BYTES) -> bytes:
    return PBKDF2HMAC(hashes.SM3(), length, salt, iterations).derive(secret.encode())


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int = HASH_BYTES) -> bytes:
    if n * r * 128 > SCRYPT_MAXMEM:
        raise ValueError("scrypt cost beyond the memory allowed")
    return Scrypt(salt, length, n, r, p).derive(secret.encode())


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _bytes(text: str) -> bytes:
    """Base64, or hex as the PIN hashes were written before the suites (32 hex
    characters for a salt, 64 for a hash: lengths base64 never has for these)."""
    if len(text) in (2 * SALT_BYTES, 2 * HASH_BYTES):
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("neither base64 nor hex") from None
