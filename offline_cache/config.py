"""The `[cache]` section of the terminal's configuration."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class CacheSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database: Path = Field(
        Path("/var/lib/kiosk/kiosk.db"),
        description="the terminal's one SQLite file (relative: from the config file's folder)",
    )
    retention_days: int = Field(
        30, ge=1, le=3650, description="acknowledged records older than this are purged"
    )
    key_file: Path = Field(
        Path("/var/lib/kiosk/keys.json"),
        description="the keys sealing personal data at rest (mode 0600, the kiosk's user)",
    )
    outbox_retention_days: int = Field(
        7, ge=1, le=90, description="an unacknowledged record older than this is escalated"
    )
