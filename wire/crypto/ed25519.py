"""Ed25519 signatures (RFC 8032) for the intl suite, from the `cryptography` package.
Keys in their RFC 8032 raw forms: the 32-byte seed, the 32-byte encoded point."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from wire.crypto.errors import BadKey, BadSignature
from wire.crypto.keys import PrivateKey, PublicKey

KEY_BYTES = 32  # private seed and public point alike (RFC 8032 §5.1.5)


class Ed25519:
    name = "Ed25519"

    def __init__(self, suite: str) -> None:
        self.suite = suite

    def generate(self) -> PrivateKey:
        return self._wrap(Ed25519PrivateKey.generate())

    def load_private(self, raw: bytes) -> PrivateKey:
        if len(raw) != KEY_BYTES:
            raise BadKey(f"an Ed25519 private key is {KEY_BYTES} bytes, not {len(raw)}")
        return self._wrap(Ed25519PrivateKey.from_private_bytes(raw))

    def dump_private(self, key: PrivateKey) -> bytes:
        handle: Ed25519PrivateKey = key._handle
        return handle.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def load_public(self, raw: bytes) -> PublicKey:
        if len(raw) != KEY_BYTES:
            raise BadKey(f"an Ed25519 public key is {KEY_BYTES} bytes, not {len(raw)}")
        try:
            return PublicKey(self.suite, raw, Ed25519PublicKey.from_public_bytes(raw))
        except ValueError as exc:
            raise BadKey(f"not an Ed25519 public key: {exc}") from None

    def sign(self, key: PrivateKey, message: bytes) -> bytes:
        handle: Ed25519PrivateKey = key._handle
        return handle.sign(message)

    def verify(self, key: PublicKey, message: bytes, signature: bytes) -> None:
        handle: Ed25519PublicKey = key._handle
        try:
            handle.verify(signature, message)
        except InvalidSignature:
            raise BadSignature("the Ed25519 signature does not verify") from None

    def _wrap(self, private: Ed25519PrivateKey) -> PrivateKey:
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PrivateKey(self.suite, PublicKey(self.suite, raw, private.public_key()), private)
