"""A public key's text, which says its suite: one form for every key the project
writes down or sends (a terminal's key at enrolment, an issuer's key that signs
printed proofs), so a key read back is used with the algorithm that made it.

    gm:<base64url>    SM2: the 65-byte uncompressed point 04 ‖ x ‖ y
    <base64url>       Ed25519 (intl): the 43-character form of before the suites
    intl:<base64url>  read too (the marker is optional for intl, so written bare)
"""

from __future__ import annotations

from wire.crypto.errors import BadKey, CryptoError
from wire.crypto.keys import PublicKey
from wire.crypto.suite import Suite, suite

# The longest text of a public key (`gm:` and 87 characters), for the columns that keep one
PUBLIC_KEY_TEXT_MAX = 96


def public_key_text(key: PublicKey) -> str:
    """The text of a public key: its suite's marker first, but none for intl (above)."""
    text = suite(key.suite).dump_public(key)
    return text if key.suite == "intl" else f"{key.suite}:{text}"


def load_public_key_text(text: str) -> tuple[Suite, PublicKey]:
    """The suite and the key a public key's text names; BadKey for any other text
    (an unknown marker too: a key is only ever read in the suite it says)."""
    name, _, raw = text.rpartition(":")
    try:
        named = suite(name or "intl")
        return named, named.load_public(raw)
    except BadKey:
        raise
    except CryptoError as exc:  # UnknownSuite: the text is no key of ours
        raise BadKey(str(exc)) from None
