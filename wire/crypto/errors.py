"""The errors of wire.crypto: one type per kind of failure, all CryptoError (a
ValueError, like the errors of the modules that will call it)."""

from __future__ import annotations


class CryptoError(ValueError):
    """Anything wire.crypto refuses."""


class UnknownSuite(CryptoError):
    """A suite name that is neither "gm" nor "intl" (a setting or a record's marker)."""


class BadKey(CryptoError):
    """A key in the wrong form or size, or of the other suite."""


class BadSignature(CryptoError):
    """The signature does not verify: the message, the signature or the key differs."""


class BadSeal(CryptoError):
    """Sealed data that does not open: altered, cut, or another key or context (aad)."""


class CryptoUnavailable(CryptoError):
    """The library an algorithm needs is missing on this machine: the message says which."""
