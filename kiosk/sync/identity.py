"""The terminal's identity: its Ed25519 key pair, the id the backend gave it at
enrolment, and the backend's address. One file, readable by the kiosk's user only."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat


class IdentityError(Exception):
    """The identity file is missing or unusable: the message names it and why."""


@dataclass(frozen=True)
class Identity:
    terminal_id: str
    backend_url: str
    key: Ed25519PrivateKey

    @classmethod
    def load(cls, path: Path) -> Identity:
        if not path.exists():
            raise IdentityError(f"{path}: not enrolled (run `kiosk enroll`)")
        if path.stat().st_mode & 0o077:
            raise IdentityError(f"{path}: readable by others; chmod 600")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(data["private_key"]))
            return cls(str(data["terminal_id"]), str(data["backend_url"]), key)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IdentityError(f"{path}: not a terminal identity file: {exc}") from None

    def save(self, path: Path) -> None:
        """Written whole, then renamed into place (0600 from the start)."""
        raw = self.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        body = {"terminal_id": self.terminal_id, "backend_url": self.backend_url,
                "private_key": raw.hex()}  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_suffix(".new")
        descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(body, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(fresh, path)
