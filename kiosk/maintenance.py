"""Maintenance mode for technicians: the PIN (stored only as a slow, salted hash),
the lockout after failed tries, and the audit of every attempt. Qt-free: the screen
(ui/) asks this whether the door opens.

The hash is made in the terminal's crypto suite by `kiosk maintenance pin`
(wire/crypto/passwords.py: `pbkdf2-sm3$…` in gm, `scrypt$…` in intl); either reads,
and so do the hex scrypt hashes written before the suites.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from wire.crypto import passwords

audit = logging.getLogger("kiosk.audit")


class MaintenanceSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin_hash: str | None = Field(
        None,
        pattern=r"^(pbkdf2-sm3\$\d+|scrypt\$\d+\$\d+\$\d+)\$[A-Za-z0-9+/=]{24,32}\$[A-Za-z0-9+/=]{44,64}$",
        description="the technicians' PIN as `kiosk maintenance pin` prints it; none: locked",
    )
    max_failures: int = Field(5, ge=1, le=20, description="wrong PINs before the lockout")
    lockout_s: int = Field(300, ge=30, le=86_400, description="how long the door stays shut")


def hash_pin(pin: str, suite: str) -> str:
    if not (4 <= len(pin) <= 12 and pin.isdigit()):
        raise ValueError("a PIN is 4 to 12 digits")
    return passwords.hash_secret(pin, suite, passwords.PIN)


def pin_matches(pin: str, stored: str) -> bool:
    return passwords.secret_matches(pin, stored)


class Door:
    """Whether a PIN opens maintenance mode now; every try is audited (never the PIN)."""

    def __init__(self, section: MaintenanceSection, clock: Callable[[], float] = time.monotonic):
        self.section = section
        self.clock = clock
        self.failures = 0
        self.locked_until = 0.0
        # the desk session a right PIN opened: who did what at the desk (the audit, the
        # storage slots' records), without naming the technician or the PIN
        self.session: str | None = None

    def locked_for(self) -> float:
        return max(0.0, self.locked_until - self.clock())

    def try_pin(self, pin: str) -> str:
        """ "open", "wrong", "locked" or "no_pin" (none configured: the door stays shut)."""
        if self.section.pin_hash is None:
            audit.warning("maintenance entry refused", extra={"reason": "no_pin"})
            return "no_pin"
        if self.locked_for() > 0:
            audit.warning("maintenance entry refused", extra={"reason": "locked"})
            return "locked"
        if pin_matches(pin, self.section.pin_hash):
            self.failures = 0
            self.session = f"desk-{secrets.token_hex(3)}"
            audit.warning("maintenance entered", extra={"desk_session": self.session})
            return "open"
        self.failures += 1
        if self.failures >= self.section.max_failures:
            self.failures = 0
            self.locked_until = self.clock() + self.section.lockout_s
            audit.warning("maintenance locked", extra={"seconds": self.section.lockout_s})
            return "locked"
        audit.warning("maintenance entry refused", extra={"reason": "wrong_pin"})
        return "wrong"

    def leave(self) -> None:
        audit.warning("maintenance left", extra={"desk_session": self.session})
        self.session = None
