"""Every signature, digest, MAC and cipher of the project, in two suites; no other
module names an algorithm.

| use             | gm (commercial cryptography)         | intl                   |
|-----------------|--------------------------------------|------------------------|
| digest          | SM3 (GB/T 32905-2016)                | SHA-256                |
| MAC             | HMAC-SM3                             | HMAC-SHA-256           |
| AEAD            | SM4-GCM (GB/T 32907-2016, RFC 8998)  | AES-256-GCM            |
| signature       | SM2 with SM3, ID 1234567812345678    | Ed25519                |
|                 | (GB/T 32918.2-2016, GM/T 0009-2012)  |                        |

    from wire import crypto
    s = crypto.suite("gm")            # the deployment's setting; s.name is the marker
    key = s.generate_private_key()
    signature = s.sign(key, message)  # 64 bytes in both suites
    s.verify(key.public, message, signature)  # or crypto.BadSignature
    text = crypto.public_key_text(key.public)  # "gm:…", or bare for intl
    s, public = crypto.load_public_key_text(text)  # its suite too, or crypto.BadKey
    sealed = s.seal(s.new_aead_key(), plaintext, aad)  # open() or crypto.BadSeal

SM3, HMAC-SM3 and SM4-GCM come from the `cryptography` package; SM2 from the
system's OpenSSL 3 (wire/crypto/libcrypto.py), as no maintained Python binding
of it exists. An SM2 key verified again and again gets tables precomputed for it,
80 KB each (wire/crypto/sm2_tables.py); `keep_key_tables(n)` bounds them.
"""

from wire.crypto.errors import (
    BadKey,
    BadSeal,
    BadSignature,
    CryptoError,
    CryptoUnavailable,
    UnknownSuite,
)
from wire.crypto.keys import PrivateKey, PublicKey
from wire.crypto.sm2_tables import AT_MOST as KEY_TABLES_AT_MOST
from wire.crypto.sm2_tables import keep as keep_key_tables
from wire.crypto.suite import DEFAULT, NAMES, Suite, suite
from wire.crypto.text import PUBLIC_KEY_TEXT_MAX, load_public_key_text, public_key_text

__all__ = [
    "DEFAULT",
    "KEY_TABLES_AT_MOST",
    "NAMES",
    "PUBLIC_KEY_TEXT_MAX",
    "BadKey",
    "BadSeal",
    "BadSignature",
    "CryptoError",
    "CryptoUnavailable",
    "PrivateKey",
    "PublicKey",
    "Suite",
    "UnknownSuite",
    "keep_key_tables",
    "load_public_key_text",
    "public_key_text",
    "suite",
]
