"""The few functions of OpenSSL 3's libcrypto that SM2 needs, through ctypes.

The library is the system's own (Debian's libssl3, libcrypto.so.3): maintained and
security-updated with the operating system, which no Python SM2 binding is. It is
loaded on first use, so a machine without it can still run the intl suite; there,
the gm suite's signatures raise CryptoUnavailable with one line saying why.

Every pointer it returns is freed by the caller, in a `finally`; every result is
checked, and a failure carries OpenSSL's own reason. OpenSSL keeps its errors in a
per-thread queue that Python's ssl and hashlib read too, so a failure empties it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from ctypes import c_char_p, c_int, c_size_t, c_ulong, c_void_p
from typing import Any, NoReturn

from wire.crypto.errors import CryptoError, CryptoUnavailable

MIN_VERSION = 0x30000000  # OpenSSL 3.0.0: SM2 with a settable ID under EVP (OPENSSL_VERSION_NUMBER)

_p = c_void_p  # every OpenSSL object is opaque: a pointer
_pp = ctypes.POINTER(c_void_p)  # where OpenSSL writes a pointer it made
_size_p = ctypes.POINTER(c_size_t)
# name: (result type, argument types...): only what wire/crypto/sm2.py calls.
_PROTOTYPES: dict[str, tuple[Any, ...]] = {
    "OpenSSL_version_num": (c_ulong,),
    "ERR_peek_last_error": (c_ulong,),
    "ERR_error_string_n": (None, c_ulong, c_char_p, c_size_t),
    "ERR_clear_error": (None,),
    "OBJ_txt2nid": (c_int, c_char_p),
    "BN_secure_new": (_p,),
    "BN_bin2bn": (_p, c_char_p, c_int, _p),
    "BN_bn2binpad": (c_int, _p, c_char_p, c_int),
    "BN_clear_free": (None, _p),
    "EC_GROUP_new_by_curve_name": (_p, c_int),
    "EC_GROUP_free": (None, _p),
    "EC_POINT_new": (_p, _p),
    "EC_POINT_free": (None, _p),
    "EC_POINT_mul": (c_int, _p, _p, _p, _p, _p, _p),
    "EC_POINT_point2oct": (c_size_t, _p, _p, c_int, c_char_p, c_size_t, _p),
    "OSSL_PARAM_BLD_new": (_p,),
    "OSSL_PARAM_BLD_push_utf8_string": (c_int, _p, c_char_p, c_char_p, c_size_t),
    "OSSL_PARAM_BLD_push_BN": (c_int, _p, c_char_p, _p),
    "OSSL_PARAM_BLD_push_octet_string": (c_int, _p, c_char_p, c_char_p, c_size_t),
    "OSSL_PARAM_BLD_to_param": (_p, _p),
    "OSSL_PARAM_BLD_free": (None, _p),
    "OSSL_PARAM_free": (None, _p),
    "EVP_PKEY_CTX_new_from_name": (_p, _p, c_char_p, c_char_p),
    "EVP_PKEY_CTX_free": (None, _p),
    "EVP_PKEY_keygen_init": (c_int, _p),
    "EVP_PKEY_generate": (c_int, _p, _pp),
    "EVP_PKEY_fromdata_init": (c_int, _p),
    "EVP_PKEY_fromdata": (c_int, _p, _pp, c_int, _p),
    "EVP_PKEY_free": (None, _p),
    "EVP_PKEY_get_bn_param": (c_int, _p, c_char_p, _pp),
    "EVP_PKEY_get_octet_string_param": (c_int, _p, c_char_p, c_char_p, c_size_t, _size_p),
    "EVP_sm3": (_p,),
    "EVP_MD_CTX_new": (_p,),
    "EVP_MD_CTX_free": (None, _p),
    "EVP_DigestSignInit": (c_int, _p, _pp, _p, _p, _p),
    "EVP_DigestVerifyInit": (c_int, _p, _pp, _p, _p, _p),
    "EVP_PKEY_CTX_set1_id": (c_int, _p, c_char_p, c_int),
    "EVP_DigestSign": (c_int, _p, c_char_p, _size_p, c_char_p, c_size_t),
    "EVP_DigestVerify": (c_int, _p, c_char_p, c_size_t, c_char_p, c_size_t),
}


@functools.cache
def libcrypto() -> ctypes.CDLL:
    """The loaded library, its prototypes declared; CryptoUnavailable if unusable."""
    name = ctypes.util.find_library("crypto")
    if name is None:
        raise CryptoUnavailable(
            "SM2 needs OpenSSL 3's libcrypto.so.3 (Debian: libssl3) and none is installed"
        )
    try:
        lib = ctypes.CDLL(name)
        for function, (result, *arguments) in _PROTOTYPES.items():
            pointer = getattr(lib, function)
            pointer.restype, pointer.argtypes = result, arguments
    except (OSError, AttributeError) as exc:
        raise CryptoUnavailable(f"SM2 needs OpenSSL 3's libcrypto; {name}: {exc}") from None
    if lib.OpenSSL_version_num() < MIN_VERSION:
        raise CryptoUnavailable(f"SM2 needs OpenSSL 3.0 or later; {name} is older")
    return lib


def fail(error: type[CryptoError], what: str) -> NoReturn:
    """Raise `error` saying `what` went wrong, with OpenSSL's reason if it gave one
    (the latest in the queue: the call's own); the queue is emptied."""
    lib = libcrypto()
    code = lib.ERR_peek_last_error()
    reason = ""
    if code:
        text = ctypes.create_string_buffer(256)
        lib.ERR_error_string_n(code, text, len(text))
        reason = " (" + text.value.decode("ascii", "replace") + ")"
    lib.ERR_clear_error()
    raise error(what + reason)


def check(result: int, error: type[CryptoError], what: str) -> None:
    """OpenSSL's calls return 1 for success (0 or negative otherwise)."""
    if result != 1:
        fail(error, what)


def made(pointer: int | None, error: type[CryptoError], what: str) -> int:
    """A pointer OpenSSL returned, or `error` for a NULL one."""
    if not pointer:
        fail(error, what)
    return pointer
