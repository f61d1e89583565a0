"""How a terminal signs its requests, and how the backend checks them.

Every request after enrolment carries four headers: the terminal's id, the time it
was signed (Unix seconds), a random nonce, and a signature, in the terminal's crypto
suite (wire/crypto: SM2 with SM3 in `gm`, Ed25519 in `intl`), over

    SCHEME \\n METHOD \\n PATH?QUERY \\n digest(body) hex \\n timestamp \\n nonce \\n terminal

where the scheme tag and the body's digest are the suite's: `KS1` and SHA-256 in
`intl` (byte for byte what terminals signed before the suites), `KS1-GM` and SM3 in
`gm`; so a signature is good for one method, one path, one body, one moment, once,
and one suite: the backend refuses a timestamp outside the window and a nonce it saw
inside it.

A terminal's public key's text says its suite, in the one form of every public key
(wire/crypto/text.py): `gm:<base64url>` for SM2, the bare base64url for Ed25519
(`intl`, as enrolled before the suites; `intl:<base64url>` reads too).
"""

from __future__ import annotations

import secrets

from wire import crypto
from wire.encoding import b64, unb64

SCHEMES = {"intl": "KS1", "gm": "KS1-GM"}
SCHEME = SCHEMES["intl"]  # the scheme tag before the suites
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

# The longest text of a public key (`gm:` and 87 characters): the column that keeps it
PUBLIC_KEY_MAX = crypto.PUBLIC_KEY_TEXT_MAX


class SignatureError(ValueError):
    """The request is unsigned, malformed, or the signature does not verify."""


def public_key_text(public: crypto.PublicKey) -> str:
    """The text form of a terminal's public key, which says its suite (see above)."""
    return crypto.public_key_text(public)


def load_public_key(text: str) -> tuple[crypto.Suite, crypto.PublicKey]:
    """The suite and the key of a public key's text; SignatureError if it is neither."""
    try:
        return crypto.load_public_key_text(text)
    except crypto.CryptoError as exc:
        raise SignatureError(f"not a terminal's public key: {exc}") from None


def message(
    method: str,
    target: str,
    body: bytes,
    timestamp: str,
    nonce: str,
    terminal: str,
    suite: crypto.Suite | None = None,
) -> bytes:
    """What is signed; in the `intl` suite unless `suite` says otherwise."""
    suite = suite or crypto.suite("intl")
    digest = suite.digest(body).hex()
    parts = (SCHEMES[suite.name], method.upper(), target, digest, timestamp, nonce, terminal)
    return "\n".join(parts).encode("utf-8")


def sign(
    key: crypto.PrivateKey, terminal: str, method: str, target: str, body: bytes, now: float
) -> dict[str, str]:
    """The headers that sign this request (`target` is the path with its query), in
    the suite of `key`."""
    suite = crypto.suite(key.suite)
    timestamp, nonce = str(int(now)), b64(secrets.token_bytes(16))
    signed = message(method, target, body, timestamp, nonce, terminal, suite)
    return {TERMINAL: terminal, TIMESTAMP: timestamp, NONCE: nonce,
            SIGNATURE: b64(suite.sign(key, signed))}  # fmt: skip


def verify(
    public: crypto.PublicKey, headers: dict[str, str], method: str, target: str, body: bytes
) -> None:
    """Raises SignatureError unless the headers sign exactly this request, in the
    suite of `public`."""
    suite = crypto.suite(public.suite)
    try:
        signature = unb64(headers[SIGNATURE])
    except ValueError:
        raise SignatureError("the signature is not base64url") from None
    except KeyError as exc:
        raise SignatureError(f"unsigned: no {exc.args[0]} header") from None
    try:
        signed = message(
            method, target, body, headers[TIMESTAMP], headers[NONCE], headers[TERMINAL], suite
        )
        suite.verify(public, signed, signature)
    except KeyError as exc:
        raise SignatureError(f"unsigned: no {exc.args[0]} header") from None
    except crypto.CryptoError:
        raise SignatureError("the signature does not match the request") from None
