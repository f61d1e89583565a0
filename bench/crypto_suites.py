"""The two crypto suites side by side (wire/crypto): gm (SM2, SM3, HMAC-SM3, SM4-GCM)
against intl (Ed25519, SHA-256, HMAC-SHA-256, AES-256-GCM).

Prints one JSON object: per suite, signatures per second (sign, verify; a 200-byte
message), digest, MAC and AEAD (seal, open) throughput on 1 MiB in MB/s, and a
typical signed request: a 2 KiB body digested and the request line signed, as a
terminal does for every call, and digested and verified, as the backend does, in
µs each; a printed proof's code (wire/proof.py: the holder's HMAC and the
signature, as the backend issues it; the check, as `kiosk proof verify` does
offline) in µs and its length in characters (the QR code's size); a console
password's hash in ms; then gm's cost over intl's for the signed request and the
proof. Each figure is the best of three rounds of about 0.3 s.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from wire import crypto, proof, signing
from wire.crypto import passwords

ROUNDS = 3
ROUND_S = 0.3
MESSAGE = os.urandom(200)
MIB = os.urandom(1 << 20)
BODY = os.urandom(2048)
PROOF = dict(t="cr", s="CR-20261204-000123", n=proof.holder_name("张三丰"), u="就业",
             i="20261204", e="20270603", k="issuer-1", c=1)  # fmt: skip
ID_NUMBER = "11010519491231002X"


def per_second(operation: Callable[[], object]) -> float:
    """Best of ROUNDS: calls per second over about ROUND_S each."""
    best = 0.0
    for _ in range(ROUNDS):
        count, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < ROUND_S:
            operation()
            count += 1
        best = max(best, count / elapsed)
    return best


def mb_per_s(operation: Callable[[], object], size: int) -> float:
    return round(per_second(operation) * size / 1e6, 1)


def request_line(suite: crypto.Suite, body: bytes) -> bytes:
    """What a terminal signs (wire/signing.py), the body's digest inside."""
    return signing.message("POST", "/v1/records", body, "1767225600", "q" * 22, "T-0001", suite)


def figures(name: str) -> dict[str, Any]:
    suite = crypto.suite(name)
    private = suite.generate_private_key()
    signature = suite.sign(private, MESSAGE)
    mac_key, aead_key = suite.new_mac_key(), suite.new_aead_key()
    sealed = suite.seal(aead_key, MIB, b"aad")
    request_signature = suite.sign(private, request_line(suite, BODY))

    def sign_request() -> None:
        suite.sign(private, request_line(suite, BODY))

    def verify_request() -> None:
        suite.verify(private.public, request_line(suite, BODY), request_signature)

    def issue_proof() -> str:
        h = proof.id_number_hmac(mac_key, ID_NUMBER, suite)
        return proof.encode(proof.ProofPayload(**PROOF, h=h), private)

    code, trusted = issue_proof(), {"issuer-1": private.public}
    started = time.perf_counter()
    passwords.hash_secret("a console password", name)
    password_ms = (time.perf_counter() - started) * 1e3

    return {
        "algorithms": {
            "signature": suite.signature_name,
            "digest": suite.digest_name,
            "mac": suite.mac_name,
            "aead": suite.aead_name,
        },
        "sign_per_s": round(per_second(lambda: suite.sign(private, MESSAGE))),
        "verify_per_s": round(per_second(lambda: suite.verify(private.public, MESSAGE, signature))),
        "digest_mb_s": mb_per_s(lambda: suite.digest(MIB), len(MIB)),
        "mac_mb_s": mb_per_s(lambda: suite.mac(mac_key, MIB), len(MIB)),
        "aead_seal_mb_s": mb_per_s(lambda: suite.seal(aead_key, MIB, b"aad"), len(MIB)),
        "aead_open_mb_s": mb_per_s(lambda: suite.open(aead_key, sealed, b"aad"), len(MIB)),
        "signed_request_2kib_sign_us": round(1e6 / per_second(sign_request), 1),
        "signed_request_2kib_verify_us": round(1e6 / per_second(verify_request), 1),
        "proof_issue_us": round(1e6 / per_second(issue_proof), 1),
        "proof_verify_us": round(1e6 / per_second(lambda: proof.decode(code, trusted)), 1),
        "proof_code_chars": len(code),
        "password_hash_ms": round(password_ms, 1),
    }


def main() -> None:
    suites = {name: figures(name) for name in crypto.NAMES}
    gm, intl = suites["gm"], suites["intl"]
    ratio = {
        key: round(gm[key] / intl[key], 1)
        for key in (
            "signed_request_2kib_sign_us",
            "signed_request_2kib_verify_us",
            "proof_issue_us",
            "proof_verify_us",
        )
    }
    print(
        json.dumps(
            {
                "benchmark": "crypto_suites",
                "message_bytes": len(MESSAGE),
                "bulk_bytes": len(MIB),
                "request_body_bytes": len(BODY),
                "suites": suites,
                "gm_over_intl": ratio,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
