"""The keys that encrypt personal data at rest, in one file readable by the kiosk's
user only. Rotation adds a key and makes it current; older keys stay until no record
uses them, then `retire` forgets them.

Each key is of one crypto suite, the deployment's when it was made ("gm": SM4-GCM,
16-byte keys; "intl": AES-256-GCM, 32-byte keys). offline_cache imports nothing of
the project, so the algorithms come in from the caller: `ciphers` looks a suite up
by name (the terminal passes `wire.crypto.suite`).

    {"current": "k2",
     "keys": {"k1": {"suite": "intl", "key": "<hex>"},
              "k2": {"suite": "gm", "key": "<hex>"}}}

A key written as bare hex (files from before the suites) is an intl key. When the
deployment's suite is not the current key's, `open` rotates to a key of the
deployment's suite: that is how a terminal switches; its older records still open
under the keys they name.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# The cipher's sealed form is nonce ‖ ciphertext ‖ tag; the outbox keeps the nonce in a
# column of its own, as it did when this file ran AES-GCM itself.
NONCE_BYTES = 12
# What a key without a suite is: every key file before the suites held AES-256-GCM keys.
SUITE_BEFORE_SUITES = "intl"


class Cipher(Protocol):
    """Authenticated encryption of one suite, as wire.crypto.Suite offers it."""

    name: str
    aead_key_bytes: int

    def new_aead_key(self) -> bytes: ...

    def seal(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """nonce ‖ ciphertext ‖ tag"""
        ...

    def open(self, key: bytes, sealed: bytes, aad: bytes) -> bytes:
        """The plaintext; a ValueError (crypto.BadSeal) if anything was changed."""
        ...


# A suite's cipher by name; a ValueError (crypto.UnknownSuite) for a name it does not know.
Ciphers = Callable[[str], Cipher]


class KeyringError(Exception):
    """The key file cannot be used: the message names the file and the reason."""


@dataclass(frozen=True)
class Key:
    suite: str  # the name `ciphers` knows it by: "gm", "intl"
    secret: bytes


@dataclass
class Keyring:
    path: Path
    current: str
    keys: dict[str, Key]
    suite: str  # the deployment's: new keys are made in it
    ciphers: Ciphers
    # the file as last read or written (inode, mtime, size): another process's rotation
    # or retirement is seen before the next seal
    stamp: tuple[int, int, int] = field(default=(0, 0, 0), compare=False)

    @classmethod
    def open(cls, path: Path, suite: str, ciphers: Ciphers) -> Keyring:
        """The keyring at `path`, made with a first key if there is none, and with a
        current key of `suite` (the deployment's), rotated to if the file's is not.
        Under a lock: the screen and `kiosk sync run`, started at once after the suite
        changed, would each rotate, and one would lose the other's new key."""
        with _locked(path):
            return cls._open(path, suite, ciphers)

    @classmethod
    def _open(cls, path: Path, suite: str, ciphers: Ciphers) -> Keyring:
        if not path.exists():
            ring = cls(path, "k1", {"k1": Key(suite, ciphers(suite).new_aead_key())}, suite,
                       ciphers)  # fmt: skip
            ring.save()
            return ring
        if path.stat().st_mode & 0o077:
            raise KeyringError(
                f"{path}: readable by others (mode {path.stat().st_mode & 0o777:o}); chmod 600"
            )
        ring = cls(path, "", {}, suite, ciphers)
        ring._reload()
        if ring.keys[ring.current].suite != suite:
            ring._add_key()  # the deployment switched suite
        return ring

    def _reload(self) -> None:
        """The keys as the file has them now (another process may have added or
        retired one); KeyringError if it is no key file of ours."""
        try:
            stamp = _stamp(self.path)
            data = json.loads(self.path.read_text(encoding="utf-8"))
            keys = {str(k): _key(v) for k, v in data["keys"].items()}
            current = str(data["current"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyringError(f"{self.path}: not a kiosk key file: {exc}") from None
        if current not in keys:
            raise KeyringError(f"{self.path}: the current key {current} is missing")
        for key_id, key in keys.items():
            self._check(key_id, key)
        self.keys, self.current, self.stamp = keys, current, stamp

    def save(self) -> None:
        """Written whole to a new file, then renamed over the old: never half a key."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.path.with_suffix(".new")
        keys = {k: {"suite": v.suite, "key": v.secret.hex()} for k, v in self.keys.items()}
        body = json.dumps({"current": self.current, "keys": keys})
        descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(fresh, self.path)
        self.stamp = _stamp(self.path)

    def rotate(self) -> str:
        """A new current key, of the deployment's suite; records under the old ones
        still decrypt. Under the lock, on the file as it is now: a key another process
        added at the same moment is kept."""
        with _locked(self.path):
            self._reload()
            return self._add_key()

    def _add_key(self) -> str:
        number = 1 + max(int(k[1:]) for k in self.keys)
        key_id = f"k{number}"
        self.keys[key_id] = Key(self.suite, self.ciphers(self.suite).new_aead_key())
        self.current = key_id
        self.save()
        return key_id

    def retire(self, in_use: set[str]) -> list[str]:
        """Forget the keys no record needs any more (never the current one, which is
        read from the file again, under the lock: the one another process just made
        current is kept, and that process seals with it from its next record on)."""
        with _locked(self.path):
            self._reload()
            gone = [k for k in self.keys if k != self.current and k not in in_use]
            for key_id in gone:
                del self.keys[key_id]
            if gone:
                self.save()
            return gone

    def seal(self, plain: bytes, bound_to: bytes) -> tuple[str, bytes, bytes]:
        """(key id, nonce, ciphertext); `bound_to` is authenticated, not encrypted;
        under the file's current key (read again if another process changed it)."""
        if _stamp(self.path) != self.stamp:
            self._reload()
        key = self.keys[self.current]
        sealed = self.ciphers(key.suite).seal(key.secret, plain, bound_to)
        return self.current, sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]

    def open_sealed(self, key_id: str, nonce: bytes, sealed: bytes, bound_to: bytes) -> bytes:
        """The plaintext, in the suite of the key the record names; the cipher's error
        (crypto.BadSeal) if the record was changed or moved to another row."""
        key = self.keys.get(key_id)
        if key is None:
            raise KeyringError(f"{self.path}: no key {key_id} for a record that needs it")
        return self.ciphers(key.suite).open(key.secret, nonce + sealed, bound_to)

    def _check(self, key_id: str, key: Key) -> None:
        """A suite the terminal knows, and a key of its size (SM4's 16 bytes are no
        AES-256 key)."""
        try:
            size = self.ciphers(key.suite).aead_key_bytes
        except ValueError as exc:
            raise KeyringError(f"{self.path}: key {key_id}: {exc}") from None
        if len(key.secret) != size:
            raise KeyringError(f"{self.path}: key {key_id} is {len(key.secret)} bytes; "
                               f"a key of the {key.suite} suite is {size}")  # fmt: skip


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:  # a folder the kiosk's user cannot write
        raise KeyringError(f"{lock}: {exc.strerror}") from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when closed
        yield
    finally:
        os.close(descriptor)


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        found = path.stat()
    except OSError as exc:
        raise KeyringError(f"{path}: {exc.strerror}") from None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _key(found: Any) -> Key:
    if isinstance(found, str):  # a key file from before the suites
        return Key(SUITE_BEFORE_SUITES, bytes.fromhex(found))
    return Key(str(found["suite"]), bytes.fromhex(found["key"]))
