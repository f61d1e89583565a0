"""The `[proof]` section of the configuration (kept apart from the key code so that
reading the configuration does not load the cryptography library)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ProofSection(BaseModel):
    """`[proof]` of the configuration."""

    model_config = ConfigDict(extra="forbid")

    trusted_keys: dict[str, str] = Field(
        default_factory=dict, description="issuer key id -> Ed25519 public key (base64url)"
    )
    signing_key: Path | None = Field(None, description="development only: a keygen folder")
