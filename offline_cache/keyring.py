"""The keys that encrypt personal data at rest (AES-256-GCM), in one file readable by
the kiosk's user only. Rotation adds a key and makes it current; older keys stay
until no record uses them, then `retire` forgets them."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class KeyringError(Exception):
    """The key file cannot be used: the message names the file and the reason."""


@dataclass
class Keyring:
    path: Path
    current: str
    keys: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> Keyring:
        """The keyring at `path`, made with a first key if there is none."""
        if not path.exists():
            ring = cls(path, "k1", {"k1": AESGCM.generate_key(bit_length=256)})
            ring.save()
            return ring
        if path.stat().st_mode & 0o077:
            raise KeyringError(
                f"{path}: readable by others (mode {path.stat().st_mode & 0o777:o}); chmod 600"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = {k: bytes.fromhex(v) for k, v in data["keys"].items()}
            ring = cls(path, str(data["current"]), keys)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"{path}: not a kiosk key file: {exc}") from None
        if ring.current not in keys or any(len(k) != 32 for k in keys.values()):
            raise KeyringError(f"{path}: the current key is missing or a key is not 256 bits")
        return ring

    def save(self) -> None:
        """Written whole to a new file, then renamed over the old: never half a key."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.path.with_suffix(".new")
        body = json.dumps(
            {"current": self.current, "keys": {k: v.hex() for k, v in self.keys.items()}}
        )
        descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(fresh, self.path)

    def rotate(self) -> str:
        """A new current key; records under the old ones still decrypt."""
        number = 1 + max(int(k[1:]) for k in self.keys)
        key_id = f"k{number}"
        self.keys[key_id] = AESGCM.generate_key(bit_length=256)
        self.current = key_id
        self.save()
        return key_id

    def retire(self, in_use: set[str]) -> list[str]:
        """Forget the keys no record needs any more (never the current one)."""
        gone = [k for k in self.keys if k != self.current and k not in in_use]
        for key_id in gone:
            del self.keys[key_id]
        if gone:
            self.save()
        return gone

    def seal(self, plain: bytes, bound_to: bytes) -> tuple[str, bytes, bytes]:
        """(key id, nonce, ciphertext); `bound_to` is authenticated, not encrypted."""
        nonce = secrets.token_bytes(12)
        return self.current, nonce, AESGCM(self.keys[self.current]).encrypt(nonce, plain, bound_to)

    def open_sealed(self, key_id: str, nonce: bytes, sealed: bytes, bound_to: bytes) -> bytes:
        if key_id not in self.keys:
            raise KeyringError(f"{self.path}: no key {key_id} for a record that needs it")
        return AESGCM(self.keys[key_id]).decrypt(nonce, sealed, bound_to)
