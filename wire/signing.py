"""How a terminal signs its requests, and how the backend checks them.

Every request after enrolment carries four headers: the terminal's id, the time it
was signed (Unix seconds), a random nonce, and an Ed25519 signature over

    KS1 \\n METHOD \\n PATH?QUERY \\n sha256(body) hex \\n timestamp \\n nonce \\n terminal

so a signature is good for one method, one path, one body, one moment and once:
the backend refuses a timestamp outside the window and a nonce it saw inside it.
"""

from __future__ import annotations

import hashlib
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wire.encoding import b64, unb64

SCHEME = "KS1"
TERMINAL = "X-Kiosk-Terminal"
TIMESTAMP = "X-Kiosk-Timestamp"
NONCE = "X-Kiosk-Nonce"
SIGNATURE = "X-Kiosk-Signature"
HEADERS = (TERMINAL, TIMESTAMP, NONCE, SIGNATURE)
# The citizen's session a request is made for (printable ASCII, at most 64): the
# backend's audit log names it beside every lookup of a person's data. Optional, and
# not one of the signed headers above.
SESSION = "X-Kiosk-Session"

# A signed request is good for this long either side of the backend's clock; a
# terminal whose clock drifts further is told so by the heartbeat (and alerted).
WINDOW_S = 300


class SignatureError(ValueError):
    """The request is unsigned, malformed, or the signature does not verify."""


def load_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = unb64(text)
    except ValueError:
        raise SignatureError("the public key is not base64url") from None
    if len(raw) != 32:
        raise SignatureError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def message(
    method: str, target: str, body: bytes, timestamp: str, nonce: str, terminal: str
) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    parts = (SCHEME, method.upper(), target, digest, timestamp, nonce, terminal)
    return "\n".join(parts).encode("utf-8")


def sign(
    key: Ed25519PrivateKey, terminal: str, method: str, target: str, body: bytes, now: float
) -> dict[str, str]:
    """The headers that sign this request (`target` is the path with its query)."""
    timestamp, nonce = str(int(now)), b64(secrets.token_bytes(16))
    signature = key.sign(message(method, target, body, timestamp, nonce, terminal))
    return {TERMINAL: terminal, TIMESTAMP: timestamp, NONCE: nonce, SIGNATURE: b64(signature)}


def verify(
    public: Ed25519PublicKey, headers: dict[str, str], method: str, target: str, body: bytes
) -> None:
    """Raises SignatureError unless the headers sign exactly this request."""
    try:
        signature = unb64(headers[SIGNATURE])
    except ValueError:
        raise SignatureError("the signature is not base64url") from None
    except KeyError as exc:
        raise SignatureError(f"unsigned: no {exc.args[0]} header") from None
    try:
        signed = message(
            method, target, body, headers[TIMESTAMP], headers[NONCE], headers[TERMINAL]
        )
        public.verify(signature, signed)
    except KeyError as exc:
        raise SignatureError(f"unsigned: no {exc.args[0]} header") from None
    except InvalidSignature:
        raise SignatureError("the signature does not match the request") from None
