"""The issuer's keys: Ed25519 for signing proofs, an HMAC key for holders' ID
numbers. One file, readable by the backend's user only (0600 in a 0700 folder),
made on first start. Unlike the database (backend/storage.py), a key file found open
to others is refused, not tightened: its keys must be presumed copied."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.storage import private_dir
from wire.proof import public_key_text


@dataclass(frozen=True)
class Issuer:
    key_id: str
    signing_key: Ed25519PrivateKey
    hmac_key: bytes

    @property
    def public_keys(self) -> dict[str, str]:
        return {self.key_id: public_key_text(self.signing_key.public_key())}


def load_issuer(path: Path) -> Issuer:
    if not path.exists():
        private_dir(path.parent)
        body = {
            "key_id": "issuer-1",
            "private": secrets.token_hex(32),
            "hmac": secrets.token_hex(32),
        }
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(body, out)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ValueError(f"{path}: readable by others (mode {mode:04o}); chmod 600 it, and "
                         "make new keys if others may have copied it")  # fmt: skip
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Issuer(
            str(data["key_id"]),
            Ed25519PrivateKey.from_private_bytes(bytes.fromhex(data["private"])),
            bytes.fromhex(data["hmac"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not an issuer key file: {exc}") from None
