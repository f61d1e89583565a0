"""Issuing and trusted keys for printed proofs.

On a terminal, proofs are issued by the backend, which holds the signing and HMAC
keys; the kiosk holds only the pinned public keys (`[proof] trusted_keys`, several
key ids at once so that keys can rotate). For development and tests a key set is
made locally with `kiosk proof keygen DIR`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from kiosk.documents.config import ProofSection
from kiosk.errors import ConfigError
from wire.proof import ProofFormatError, public_key_from_text, public_key_text


@dataclass(frozen=True)
class IssuingKey:
    key_id: str
    private: Ed25519PrivateKey
    hmac_key: bytes


def trusted(section: ProofSection) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for key_id, text in section.trusted_keys.items():
        try:
            keys[key_id] = public_key_from_text(text)
        except ProofFormatError as exc:
            raise ConfigError(
                "config.invalid",
                origin="[proof]",
                key=f"trusted_keys.{key_id}",
                value="",
                problem=str(exc),
                more="",
            ) from None
    return keys


def trusted_issuers(section: ProofSection, database: Path) -> dict[str, Ed25519PublicKey]:
    """The issuer keys the backend's config gave (in the terminal's `database`) and
    those configured in `[proof] trusted_keys`; a configured one wins a tie."""
    from kiosk.sync.link import pulled_issuer_keys

    return {**pulled_issuer_keys(database), **trusted(section)}


def keygen(folder: Path, key_id: str) -> IssuingKey:
    """Write `<id>.pem` and `<id>.hmac` (mode 0600) into folder."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = Ed25519PrivateKey.generate()
    hmac_key = secrets.token_bytes(32)
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    for path, data in ((folder / f"{key_id}.pem", pem), (folder / f"{key_id}.hmac", hmac_key)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    return IssuingKey(key_id, private, hmac_key)


def load_issuing_key(folder: Path) -> IssuingKey:
    pems = sorted(folder.glob("*.pem"))
    if len(pems) != 1:
        raise ConfigError(
            "config.invalid",
            origin="[proof]",
            key="signing_key",
            value=f" = {str(folder)!r}",
            problem="needs exactly one <id>.pem",
            more="",
        )
    key_id = pems[0].stem
    private = load_pem_private_key(pems[0].read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(
            "config.invalid",
            origin="[proof]",
            key="signing_key",
            value=f" = {str(pems[0])!r}",
            problem="not an Ed25519 key",
            more="",
        )
    return IssuingKey(key_id, private, (folder / f"{key_id}.hmac").read_bytes())


def config_lines(key: IssuingKey, folder: Path) -> str:
    public = public_key_text(key.private.public_key())
    return f'[proof]\nsigning_key = "{folder}"\ntrusted_keys = {{ {key.key_id} = "{public}" }}'
