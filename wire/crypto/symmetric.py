"""Digests, MACs and AEAD of both suites, all from the `cryptography` package:
SHA-256 / SM3 (GB/T 32905-2016), HMAC (RFC 2104) over either, AES-256-GCM and
SM4-GCM (GB/T 32907-2016 in GCM, NIST SP 800-38D; as RFC 8998 uses it).

A sealed value is nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes). The nonce is
random: safe for up to 2**32 seals under one key (SP 800-38D §8.3), far more than
a key is used for before rotation.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wire.crypto.errors import BadKey, BadSeal, CryptoUnavailable

NONCE_BYTES = 12  # GCM's standard IV length (SP 800-38D §5.2.1.1)
TAG_BYTES = 16  # the full tag: truncated tags weaken GCM (SP 800-38D Appendix C)
# A MAC key shorter than the security strength (128 bits) is refused; new keys are
# 32 bytes, the digests' length (RFC 2104 §3 discourages keys shorter than that).
MAC_KEY_MIN_BYTES = 16
MAC_KEY_BYTES = 32


class Hashing:
    """A digest and HMAC over it."""

    def __init__(self, name: str, algorithm: type[hashes.HashAlgorithm]) -> None:
        self.name = name
        self.mac_name = f"HMAC-{name}"
        self._algorithm = algorithm

    def digest(self, data: bytes) -> bytes:
        hashing = hashes.Hash(self._algorithm())
        hashing.update(data)
        return hashing.finalize()

    def mac(self, key: bytes, data: bytes) -> bytes:
        return self._hmac(key, data).finalize()

    def mac_matches(self, key: bytes, data: bytes, tag: bytes) -> bool:
        """Compared in constant time (cryptography's HMAC.verify)."""
        try:
            self._hmac(key, data).verify(tag)
        except InvalidSignature:
            return False
        return True

    def _hmac(self, key: bytes, data: bytes) -> hmac.HMAC:
        if len(key) < MAC_KEY_MIN_BYTES:
            raise BadKey(f"a MAC key is at least {MAC_KEY_MIN_BYTES} bytes, not {len(key)}")
        mac = hmac.HMAC(key, self._algorithm())
        mac.update(data)
        return mac


class Aead:
    """Authenticated encryption: the base checks sizes; subclasses run the cipher."""

    name: str
    key_bytes: int

    def new_key(self) -> bytes:
        return secrets.token_bytes(self.key_bytes)

    def seal(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        self._check(key)
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._encrypt(key, nonce, plaintext, aad)

    def open(self, key: bytes, sealed: bytes, aad: bytes) -> bytes:
        self._check(key)
        if len(sealed) < NONCE_BYTES + TAG_BYTES:
            raise BadSeal(f"sealed data is at least {NONCE_BYTES + TAG_BYTES} bytes")
        nonce, body = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._decrypt(key, nonce, body, aad)
        except InvalidTag:
            raise BadSeal("the sealed data does not open: altered, or another key or aad") from None

    def _check(self, key: bytes) -> None:
        if len(key) != self.key_bytes:
            raise BadKey(f"an {self.name} key is {self.key_bytes} bytes, not {len(key)}")

    def _encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """ciphertext ‖ tag"""
        raise NotImplementedError

    def _decrypt(self, key: bytes, nonce: bytes, body: bytes, aad: bytes) -> bytes:
        """The plaintext of ciphertext ‖ tag; InvalidTag if it does not authenticate."""
        raise NotImplementedError


class AesGcm(Aead):
    name = "AES-256-GCM"
    key_bytes = 32

    def _encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        return AESGCM(key).encrypt(nonce, plaintext, aad)

    def _decrypt(self, key: bytes, nonce: bytes, body: bytes, aad: bytes) -> bytes:
        return AESGCM(key).decrypt(nonce, body, aad)


class Sm4Gcm(Aead):
    """cryptography has no SM4GCM class (as it has AESGCM), but its generic Cipher runs
    SM4 in GCM mode; tests/unit/wire/test_crypto.py keeps watch that it still does."""

    name = "SM4-GCM"
    key_bytes = 16  # SM4's only key size (GB/T 32907-2016 §5)

    def _encrypt(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        try:
            encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        except UnsupportedAlgorithm:
            raise CryptoUnavailable("this cryptography build has no SM4-GCM") from None
        encryptor.authenticate_additional_data(aad)
        ciphertext = encryptor.update(plaintext) + encryptor.finalize()
        return ciphertext + encryptor.tag

    def _decrypt(self, key: bytes, nonce: bytes, body: bytes, aad: bytes) -> bytes:
        ciphertext, tag = body[:-TAG_BYTES], body[-TAG_BYTES:]
        try:
            decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        except UnsupportedAlgorithm:
            raise CryptoUnavailable("this cryptography build has no SM4-GCM") from None
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(ciphertext) + decryptor.finalize()
