"""The `[proof]` section of the configuration (kept apart from the key code so that
reading the configuration does not load the cryptography library)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ProofSection(BaseModel):
    """`[proof]` of the configuration."""

    model_config = ConfigDict(extra="forbid")

    trusted_keys: dict[str, str] = Field(
        default_factory=dict,
        description="issuer key id -> public key, its suite's marker first: gm:<SM2 point, "
        "base64url> or an Ed25519 key (intl), base64url, bare or after intl:",
    )
    signing_key: Path | None = Field(None, description="development only: a keygen folder")
