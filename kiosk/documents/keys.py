"""Issuing and trusted keys for printed proofs.

On a terminal, proofs are issued by the backend, which holds the signing and HMAC
keys; the kiosk holds only the pinned public keys (`[proof] trusted_keys`, several
key ids at once so that keys can rotate), each in its suite's text (wire/crypto:
`gm:<base64url>` for SM2, bare base64url for Ed25519). For development and tests a
key set is made locally with `kiosk proof keygen DIR`, in the configured suite.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kiosk.documents.config import ProofSection
from kiosk.errors import ConfigError
from wire import crypto
from wire.proof import ProofFormatError, public_key_from_text, public_key_text


@dataclass(frozen=True)
class IssuingKey:
    key_id: str
    private: crypto.PrivateKey  # its suite is the proofs' it signs
    hmac_key: bytes

    @property
    def suite(self) -> crypto.Suite:
        return crypto.suite(self.private.suite)


def trusted(section: ProofSection) -> dict[str, crypto.PublicKey]:
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


def trusted_issuers(section: ProofSection, database: Path) -> dict[str, crypto.PublicKey]:
    """The issuer keys the backend's config gave (in the terminal's `database`) and
    those configured in `[proof] trusted_keys`; a configured one wins a tie."""
    from kiosk.sync.link import pulled_issuer_keys

    return {**pulled_issuer_keys(database), **trusted(section)}


def keygen(folder: Path, key_id: str, suite: str | None = None) -> IssuingKey:
    """Write `<id>.key` (the suite's marker, a colon, the private key in base64url)
    and `<id>.hmac` (mode 0600) into folder; in `suite`, else the deployment default."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    made = crypto.suite(suite or crypto.DEFAULT)
    private = made.generate_private_key()
    hmac_key = made.new_mac_key()
    text = f"{made.name}:{made.dump_private(private)}\n".encode()
    for path, data in ((folder / f"{key_id}.key", text), (folder / f"{key_id}.hmac", hmac_key)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    return IssuingKey(key_id, private, hmac_key)


def load_issuing_key(folder: Path) -> IssuingKey:
    files = sorted(folder.glob("*.key"))
    if len(files) != 1:
        raise _bad_signing_key(folder, "needs exactly one <id>.key (made by `kiosk proof keygen`)")
    key_id = files[0].stem
    try:
        name, _, text = files[0].read_text(encoding="ascii").strip().partition(":")
        private = crypto.suite(name).load_private(text)
        hmac_key = (folder / f"{key_id}.hmac").read_bytes()
    except (OSError, UnicodeDecodeError, crypto.CryptoError) as exc:
        raise _bad_signing_key(files[0], f"not an issuing key: {exc}") from None
    return IssuingKey(key_id, private, hmac_key)


def _bad_signing_key(path: Path, problem: str) -> ConfigError:
    return ConfigError(
        "config.invalid",
        origin="[proof]",
        key="signing_key",
        value=f" = {str(path)!r}",
        problem=problem,
        more="",
    )


def config_lines(key: IssuingKey, folder: Path) -> str:
    public = public_key_text(key.private.public)
    return f'[proof]\nsigning_key = "{folder}"\ntrusted_keys = {{ {key.key_id} = "{public}" }}'
