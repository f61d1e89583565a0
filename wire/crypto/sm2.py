"""SM2 signatures (GB/T 32918.2-2016, GM/T 0003.2) with SM3 for the gm suite, from
OpenSSL 3's libcrypto (wire/crypto/libcrypto.py).

The signed value is e = SM3(Z_A ‖ M), Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A)
(GB/T 32918.2 §5.5, §6.1), on the recommended curve (GB/T 32918.5-2017), with
the user ID every party uses when none is agreed (below). OpenSSL computes Z_A
from the ID set on each signing context. Forms:

- signature: r ‖ s, 32 bytes each, big-endian: 64 bytes like Ed25519's. OpenSSL
  speaks DER (SM2Signature, GM/T 0009-2012), converted here both ways;
- private key: d, 32 bytes big-endian; public key: 04 ‖ x ‖ y, 65 bytes, the
  uncompressed point (GB/T 32918.1-2016 §4.2.9).
"""

from __future__ import annotations

import ctypes
import functools
import weakref
from ctypes import byref, c_size_t, c_void_p
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from wire.crypto import sm2_tables
from wire.crypto.errors import BadKey, BadSignature, CryptoError, CryptoUnavailable
from wire.crypto.keys import PrivateKey, PublicKey
from wire.crypto.libcrypto import check, fail, libcrypto, made

# The default user ID, 16 ASCII bytes (GM/T 0009-2012 §10; GB/T 35276-2017): the
# ID of the GB/T 32918.5 example and the ID OpenSSL's command line is given.
USER_ID = b"1234567812345678"
# The order n of the recommended curve's base point (GB/T 32918.5-2017).
ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_OID = b"1.2.156.10197.1.301"  # the SM2 curve (GM/T 0006-2012)
SCALAR_BYTES = 32
POINT_BYTES = 65
UNCOMPRESSED = 4  # the first byte of an uncompressed point; POINT_CONVERSION_UNCOMPRESSED
DER_MAX = 72  # SEQUENCE of two INTEGERs of up to 33 bytes: OpenSSL's ECDSA_size
# EVP_PKEY_fromdata selections (openssl/evp.h, openssl/core_dispatch.h)
PUBLIC_KEY = 0x86  # EVP_PKEY_PUBLIC_KEY: the point and the curve
KEYPAIR = 0x87  # EVP_PKEY_KEYPAIR: and the scalar


class _Key:
    """Owns one EVP_PKEY, freed with the last reference to it."""

    __slots__ = ("__weakref__", "pointer")

    def __init__(self, pointer: int) -> None:
        self.pointer = pointer
        weakref.finalize(self, libcrypto().EVP_PKEY_free, pointer)


class Sm2:
    name = "SM2 with SM3, user ID 1234567812345678"

    def __init__(self, suite: str) -> None:
        self.suite = suite

    def generate(self) -> PrivateKey:
        lib = libcrypto()
        context = made(lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None), CryptoError, _KEYGEN)
        try:
            check(lib.EVP_PKEY_keygen_init(context), CryptoError, _KEYGEN)
            pointer = c_void_p()
            check(lib.EVP_PKEY_generate(context, byref(pointer)), CryptoError, _KEYGEN)
        finally:
            lib.EVP_PKEY_CTX_free(context)
        key = _Key(made(pointer.value, CryptoError, _KEYGEN))
        return self._pair(key, _public_bytes(key))

    def load_private(self, raw: bytes) -> PrivateKey:
        if len(raw) != SCALAR_BYTES:
            raise BadKey(f"an SM2 private key is {SCALAR_BYTES} bytes, not {len(raw)}")
        if not 1 <= int.from_bytes(raw, "big") <= ORDER - 2:
            raise BadKey("an SM2 private key is in [1, n-2] (GB/T 32918.1-2016 §6.1)")
        public = _public_point(raw)
        return self._pair(_from_data(public, raw), public)

    def dump_private(self, key: PrivateKey) -> bytes:
        lib = libcrypto()
        scalar = c_void_p()
        try:
            got = lib.EVP_PKEY_get_bn_param(key._handle.pointer, b"priv", byref(scalar))
            check(got, CryptoError, "reading the SM2 private key failed")
            out = ctypes.create_string_buffer(SCALAR_BYTES)
            written = lib.BN_bn2binpad(scalar, out, SCALAR_BYTES)
            if written != SCALAR_BYTES:
                fail(CryptoError, "reading the SM2 private key failed")
            return out.raw
        finally:
            lib.BN_clear_free(scalar)

    def load_public(self, raw: bytes) -> PublicKey:
        if len(raw) != POINT_BYTES or raw[0] != UNCOMPRESSED:
            raise BadKey(f"an SM2 public key is 04 ‖ x ‖ y, {POINT_BYTES} bytes")
        return PublicKey(self.suite, raw, _from_data(raw, None))

    def _pair(self, key: _Key, public: bytes) -> PrivateKey:
        """The private key with its public key, which gets an EVP_PKEY of its own: a
        public key kept (a trusted key, say) never keeps the private scalar alive."""
        return PrivateKey(self.suite, PublicKey(self.suite, public, _from_data(public, None)), key)

    def sign(self, key: PrivateKey, message: bytes) -> bytes:
        lib = libcrypto()
        context = made(lib.EVP_MD_CTX_new(), CryptoError, _SIGN)
        try:
            _begin(lib.EVP_DigestSignInit, context, key._handle, CryptoError, _SIGN)
            der, size = ctypes.create_string_buffer(DER_MAX), c_size_t(DER_MAX)
            done = lib.EVP_DigestSign(context, der, byref(size), message, len(message))
            check(done, CryptoError, _SIGN)
        finally:
            lib.EVP_MD_CTX_free(context)
        r, s = decode_dss_signature(der.raw[: size.value])
        return r.to_bytes(SCALAR_BYTES, "big") + s.to_bytes(SCALAR_BYTES, "big")

    def verify(self, key: PublicKey, message: bytes, signature: bytes) -> None:
        table = sm2_tables.tables().get(key._raw)  # a key verified again and again
        if table is None:
            self.verify_through_evp(key, message, signature)
        elif not sm2_tables.verified(table, message, signature):
            raise BadSignature(_VERIFY)

    def verify_through_evp(self, key: PublicKey, message: bytes, signature: bytes) -> None:
        """OpenSSL's own verification, whole: for a key without a table."""
        r, s = signature[:SCALAR_BYTES], signature[SCALAR_BYTES:]  # 64 bytes: Suite checked
        der = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
        lib = libcrypto()
        context = made(lib.EVP_MD_CTX_new(), CryptoError, _VERIFY)
        try:
            _begin(lib.EVP_DigestVerifyInit, context, key._handle, BadSignature, _VERIFY)
            # 1: verified; 0: it does not; negative: malformed (r or s out of [1, n-1])
            verified = lib.EVP_DigestVerify(context, der, len(der), message, len(message))
        finally:
            lib.EVP_MD_CTX_free(context)
        check(verified, BadSignature, _VERIFY)


_KEYGEN = "SM2 key generation failed"
_SIGN = "SM2 signing failed"
_VERIFY = "the SM2 signature does not verify"


def _begin(init: Any, context: int, key: _Key, error: type[CryptoError], what: str) -> None:
    """Start signing or verifying with SM3 and the user ID (Z_A is computed from it when
    the message comes). The key context made here belongs to `context`, freed with it."""
    lib = libcrypto()
    key_context = c_void_p()
    check(init(context, byref(key_context), lib.EVP_sm3(), None, key.pointer), error, what)
    check(lib.EVP_PKEY_CTX_set1_id(key_context, USER_ID, len(USER_ID)), error, what)


def _from_data(public: bytes, private: bytes | None) -> _Key:
    """An EVP_PKEY from the point (and the scalar). OpenSSL refuses a point off the
    curve; on this curve (cofactor 1) any other point but infinity is a valid key."""
    lib = libcrypto()
    what = "loading the SM2 key failed"
    builder = made(lib.OSSL_PARAM_BLD_new(), CryptoError, what)
    scalar = params = context = None
    try:
        check(lib.OSSL_PARAM_BLD_push_utf8_string(builder, b"group", b"SM2", 0), BadKey, what)
        pushed = lib.OSSL_PARAM_BLD_push_octet_string(builder, b"pub", public, len(public))
        check(pushed, BadKey, what)
        if private is not None:
            scalar = _secret_number(private)
            check(lib.OSSL_PARAM_BLD_push_BN(builder, b"priv", scalar), BadKey, what)
        params = made(lib.OSSL_PARAM_BLD_to_param(builder), BadKey, what)
        context = made(lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None), BadKey, what)
        check(lib.EVP_PKEY_fromdata_init(context), BadKey, what)
        pointer = c_void_p()
        selection = PUBLIC_KEY if private is None else KEYPAIR
        check(lib.EVP_PKEY_fromdata(context, byref(pointer), selection, params), BadKey, what)
        return _Key(made(pointer.value, BadKey, what))
    finally:  # every *_free of OpenSSL takes NULL
        lib.EVP_PKEY_CTX_free(context)
        lib.OSSL_PARAM_free(params)  # its copy of the scalar is in secure memory, wiped
        lib.BN_clear_free(scalar)
        lib.OSSL_PARAM_BLD_free(builder)


def _public_point(private: bytes) -> bytes:
    """P = [d]G, uncompressed (OpenSSL's scalar multiplication in constant time)."""
    lib = libcrypto()
    what = "computing the SM2 public key failed"
    group = made(lib.EC_GROUP_new_by_curve_name(_curve()), CryptoError, what)
    point = scalar = None
    try:
        point = made(lib.EC_POINT_new(group), CryptoError, what)
        scalar = _secret_number(private)
        check(lib.EC_POINT_mul(group, point, scalar, None, None, None), BadKey, what)
        out = ctypes.create_string_buffer(POINT_BYTES)
        written = lib.EC_POINT_point2oct(group, point, UNCOMPRESSED, out, POINT_BYTES, None)
        if written != POINT_BYTES:
            fail(BadKey, what)
        return out.raw
    finally:
        lib.BN_clear_free(scalar)
        lib.EC_POINT_free(point)
        lib.EC_GROUP_free(group)


def _public_bytes(key: _Key) -> bytes:
    lib = libcrypto()
    out, size = ctypes.create_string_buffer(POINT_BYTES), c_size_t()
    got = lib.EVP_PKEY_get_octet_string_param(key.pointer, b"pub", out, POINT_BYTES, byref(size))
    check(got, CryptoError, "reading the SM2 public key failed")
    if size.value != POINT_BYTES:
        fail(CryptoError, "reading the SM2 public key failed")
    return out.raw


def _secret_number(raw: bytes) -> int:
    """A BIGNUM flagged secure: OpenSSL keeps its copies (OSSL_PARAM_BLD) apart and
    wipes them when freed. The caller frees it with BN_clear_free (wiped too)."""
    lib = libcrypto()
    number = made(lib.BN_secure_new(), CryptoError, "allocating a number failed")
    if not lib.BN_bin2bn(raw, len(raw), number):
        lib.BN_clear_free(number)
        fail(CryptoError, "allocating a number failed")
    return number


@functools.cache
def _curve() -> int:
    nid = libcrypto().OBJ_txt2nid(SM2_OID)
    if not nid:
        raise CryptoUnavailable("this OpenSSL does not know the SM2 curve")
    return int(nid)
