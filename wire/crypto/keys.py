"""Key objects: opaque handles that know their suite. The suite that made a key
dumps it, loads it and uses it; a key of the other suite is refused (BadKey)."""

from __future__ import annotations

from typing import Any

from wire.encoding import b64


class PublicKey:
    """A public key; equal to another when the suite and the bytes form are."""

    __slots__ = ("_handle", "_raw", "suite")

    def __init__(self, suite: str, raw: bytes, handle: Any) -> None:
        self.suite = suite
        self._raw = raw  # the stable bytes form, Suite.public_bytes
        self._handle = handle  # the library's own key object

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PublicKey):
            return NotImplemented
        return (self.suite, self._raw) == (other.suite, other._raw)

    def __hash__(self) -> int:
        return hash((self.suite, self._raw))

    def __repr__(self) -> str:
        return f"PublicKey({self.suite}, {b64(self._raw)[:12]}…)"


class PrivateKey:
    """A private (signing) key with its public key. Its repr never shows the secret."""

    __slots__ = ("_handle", "public", "suite")

    def __init__(self, suite: str, public: PublicKey, handle: Any) -> None:
        self.suite = suite
        self.public = public
        self._handle = handle

    def __repr__(self) -> str:
        return f"PrivateKey({self.suite}, for {self.public!r})"
