"""The two suites and the one object each offers: `suite("gm")`, `suite("intl")`."""

from __future__ import annotations

import functools
import os
import secrets
import sys
from typing import Protocol, TypeVar

from cryptography.hazmat.primitives import hashes

from wire.crypto.ed25519 import Ed25519
from wire.crypto.errors import BadKey, BadSignature, UnknownSuite
from wire.crypto.keys import PrivateKey, PublicKey
from wire.crypto.sm2 import Sm2
from wire.crypto.symmetric import MAC_KEY_BYTES, Aead, AesGcm, Hashing, Sm4Gcm
from wire.encoding import b64, unb64

NAMES = ("gm", "intl")
# The suite of a deployment whose configuration names none: gm, by the commercial
# cryptography rules (issue 25). KIOSK_CRYPTO_DEFAULT=intl changes it for a whole
# process tree, terminal and backend alike: `make test` runs every test in each.
DEFAULT_VARIABLE = "KIOSK_CRYPTO_DEFAULT"
DEFAULT = os.environ.get(DEFAULT_VARIABLE) or "gm"
if DEFAULT not in NAMES:  # every command stops at once, in one line, before doing anything
    print(f"{DEFAULT_VARIABLE}={DEFAULT!r}: a crypto suite is one of gm, intl", file=sys.stderr)
    raise SystemExit(2)  # bad input, as the commands' exit codes say
SIGNATURE_BYTES = 64  # SM2's r ‖ s and Ed25519's R ‖ S alike
DIGEST_BYTES = 32  # SM3 and SHA-256 alike

_Key = TypeVar("_Key", PrivateKey, PublicKey)


class _Signatures(Protocol):
    name: str

    def generate(self) -> PrivateKey: ...
    def load_private(self, raw: bytes) -> PrivateKey: ...
    def dump_private(self, key: PrivateKey) -> bytes: ...
    def load_public(self, raw: bytes) -> PublicKey: ...
    def sign(self, key: PrivateKey, message: bytes) -> bytes: ...
    def verify(self, key: PublicKey, message: bytes, signature: bytes) -> None: ...


class Suite:
    """Every algorithm of one suite. `name` is the marker a record or a payload keeps,
    so that it stays readable (with `suite(marker)`) after a deployment switches;
    the other names say which algorithm does what, for logs and the assessor."""

    def __init__(self, name: str, hashing: Hashing, aead: Aead, signatures: _Signatures) -> None:
        self.name = name
        self.digest_name, self.mac_name = hashing.name, hashing.mac_name
        self.aead_name, self.signature_name = aead.name, signatures.name
        self.digest_bytes, self.signature_bytes = DIGEST_BYTES, SIGNATURE_BYTES
        self.mac_key_bytes, self.aead_key_bytes = MAC_KEY_BYTES, aead.key_bytes
        self._hashing, self._aead, self._signatures = hashing, aead, signatures

    def __repr__(self) -> str:
        return f"suite({self.name!r})"

    # -- digests and MACs -------------------------------------------------------------

    def digest(self, data: bytes) -> bytes:
        return self._hashing.digest(data)

    def new_mac_key(self) -> bytes:
        return secrets.token_bytes(self.mac_key_bytes)

    def mac(self, key: bytes, data: bytes) -> bytes:
        """BadKey for a key shorter than 16 bytes."""
        return self._hashing.mac(key, data)

    def mac_matches(self, key: bytes, data: bytes, tag: bytes) -> bool:
        """Whether `tag` is the MAC of `data`, compared in constant time."""
        return self._hashing.mac_matches(key, data, tag)

    # -- authenticated encryption -------------------------------------------------------

    def new_aead_key(self) -> bytes:
        return self._aead.new_key()

    def seal(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """nonce ‖ ciphertext ‖ tag; `aad` is authenticated, not encrypted or kept."""
        return self._aead.seal(key, plaintext, aad)

    def open(self, key: bytes, sealed: bytes, aad: bytes) -> bytes:
        """The plaintext; BadSeal if anything was changed or the key or aad differ."""
        return self._aead.open(key, sealed, aad)

    # -- signatures ---------------------------------------------------------------------

    def generate_private_key(self) -> PrivateKey:
        return self._signatures.generate()

    def sign(self, private: PrivateKey, message: bytes) -> bytes:
        """A signature of `signature_bytes` (64) bytes."""
        return self._signatures.sign(self._own(private, PrivateKey), message)

    def verify(self, public: PublicKey, message: bytes, signature: bytes) -> None:
        """Returns only if `signature` signs `message` under `public`; else BadSignature."""
        if len(signature) != SIGNATURE_BYTES:
            raise BadSignature(f"a signature is {SIGNATURE_BYTES} bytes, not {len(signature)}")
        self._signatures.verify(self._own(public, PublicKey), message, signature)

    # -- key forms: bytes, and text (base64url) for files and database rows -------------

    def private_bytes(self, key: PrivateKey) -> bytes:
        return self._signatures.dump_private(self._own(key, PrivateKey))

    def load_private_bytes(self, raw: bytes) -> PrivateKey:
        return self._signatures.load_private(raw)

    def public_bytes(self, key: PublicKey) -> bytes:
        return self._own(key, PublicKey)._raw

    def load_public_bytes(self, raw: bytes) -> PublicKey:
        return self._signatures.load_public(raw)

    def dump_private(self, key: PrivateKey) -> str:
        return b64(self.private_bytes(key))

    def load_private(self, text: str) -> PrivateKey:
        return self.load_private_bytes(_unb64(text))

    def dump_public(self, key: PublicKey) -> str:
        return b64(self.public_bytes(key))

    def load_public(self, text: str) -> PublicKey:
        return self.load_public_bytes(_unb64(text))

    def _own(self, key: _Key, kind: type[_Key]) -> _Key:
        """`key` itself, if it is a `kind` of this suite; else BadKey."""
        if not isinstance(key, kind) or key.suite != self.name:
            raise BadKey(f"{key!r} is not a {kind.__name__} of the {self.name} suite")
        return key


@functools.cache
def suite(name: str) -> Suite:
    """The suite called `name` ("gm" or "intl"); UnknownSuite for any other."""
    if name == "gm":
        return Suite(name, Hashing("SM3", hashes.SM3), Sm4Gcm(), Sm2(name))
    if name == "intl":
        return Suite(name, Hashing("SHA-256", hashes.SHA256), AesGcm(), Ed25519(name))
    raise UnknownSuite(f"unknown crypto suite {name!r}: it is one of {', '.join(NAMES)}")


def _unb64(text: str) -> bytes:
    try:
        return unb64(text)
    except ValueError:
        raise BadKey("a key's text form is base64url") from None
