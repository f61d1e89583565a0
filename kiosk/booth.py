"""The booth's policies on its sensors (drivers/sensors): who is at the screen, and
whether the cabinet is shut.

- Presence (`PresencePolicy`): someone stepping up wakes the night's dark screen
  and is greeted (the shell's `someoneApproached`); a citizen who walks away in
  the middle of a session, gone for `away_after_s`, is asked "are you still
  there?" at once (the step's own timeout warning, `flows.events.Away`) rather
  than when the step's time is nearly up. Once per absence: a radar stuck at
  "nobody" asks a citizen at most once.
- Door and tamper (`BoothGuard`): the cabinet's door opened or its tamper switch
  tripped, the backend is told at once (a `device_event`), every service is
  locked (the home screen says 设备维护中，暂停服务 / Out of service: terminal
  being checked) and a session at the screen is cancelled through the flow's own
  cancel path (the card given back, a paid session refunded), as a low battery
  does (kiosk/power.py). The lock stays, even with the door shut again, until a
  technician clears it at the maintenance desk behind its PIN; not while the door
  is still open or the switch still tripped.

UI-agnostic and clock-injected: the shell feeds them the sensors' answers (`feed`)
and asks them (`tick`); the callables they are given do the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("kiosk.booth")

LOCKED_MESSAGE = "ui.home.booth_alarm"  # 设备维护中，暂停服务 / Out of service
AWAY_AFTER_S = 10.0


@dataclass(frozen=True)
class SensorReading:
    presence: str  # present, absent, unknown
    door: str  # closed, open, unknown
    tamper: str  # ok, tampered, unknown

    @classmethod
    def of(cls, media: dict[str, Any]) -> SensorReading:
        """From a sensors driver's status media."""
        return cls(*(str(media.get(k, "unknown")) for k in ("presence", "door", "tamper")))


class PresencePolicy:
    def __init__(
        self,
        *,
        in_session: Callable[[], bool],
        approached: Callable[[], None],
        away: Callable[[], None],
        away_after_s: float = AWAY_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.in_session = in_session
        self.approached = approached
        self.away = away
        self.away_after_s = away_after_s
        self.clock = clock
        self.present: bool | None = None  # None: not known yet
        self._absent_since: float | None = None
        self._session_since = 0.0
        self._was_in_session = False
        self._told = False  # this absence was asked about

    def feed(self, reading: SensorReading) -> None:
        if reading.presence not in ("present", "absent"):
            return  # the board is silent: nothing is known, nothing changes
        present = reading.presence == "present"
        if present and self.present is not True:
            self._told, self._absent_since = False, None
            if self.present is False:  # someone there when the terminal started: no approach
                self.approached()
        elif not present and self.present is not False:
            self._absent_since = self.clock()
        self.present = present
        self.tick()

    def tick(self) -> None:
        in_session = self.in_session()
        if in_session and not self._was_in_session:
            self._session_since = self.clock()  # absence counts from the session's start
        self._was_in_session = in_session
        if not in_session or self.present is not False or self._told:
            return
        since = max(self._absent_since or 0.0, self._session_since)
        if self.clock() - since >= self.away_after_s:
            self._told = True
            log.info("nobody at the screen for %.0f s mid-session: are you still there?",
                     self.clock() - since)  # fmt: skip
            self.away()


class BoothGuard:
    """Locked while `alarm` holds what tripped it (door_open, tamper), until cleared."""

    def __init__(
        self,
        *,
        in_session: Callable[[], bool],
        cancel_session: Callable[[], None],
        report: Callable[[str, str], None] = lambda status, detail: None,
    ) -> None:
        self.in_session = in_session
        self.cancel_session = cancel_session
        self.report = report  # (status word, detail) for the backend: a device_event
        self.alarm: set[str] = set()
        self.last: SensorReading | None = None

    @property
    def locked(self) -> bool:
        return bool(self.alarm)

    @property
    def unavailable(self) -> str | None:
        """Why no service can start now (a message id), or None."""
        return LOCKED_MESSAGE if self.locked else None

    def status_word(self) -> str:
        """The sensors' state for the backend (wire DeviceReport.status)."""
        if "tamper" in self.alarm:
            return "tamper"
        return "door_open" if self.alarm else "online"

    def feed(self, reading: SensorReading) -> None:
        self.last = reading
        tripped = {"door_open"} if reading.door == "open" else set()
        tripped |= {"tamper"} if reading.tamper == "tampered" else set()
        fresh = tripped - self.alarm
        if not fresh:
            return
        self.alarm |= fresh
        log.warning("booth alarm: %s; services locked until a technician clears it",
                    ", ".join(sorted(fresh)))  # fmt: skip
        self.report(self.status_word(), f"{', '.join(sorted(self.alarm))}: services locked")
        if self.in_session():
            log.warning("booth alarm: the session at the screen is cancelled")
            self.cancel_session()

    def clear(self) -> str:
        """A technician's clear at the desk: `cleared`, or why not (`nothing_to_clear`,
        `door_open`, `tampered`, `unknown`: the sensors cannot vouch for the cabinet)."""
        if not self.alarm:
            return "nothing_to_clear"
        last = self.last
        if last is None or "unknown" in (last.door, last.tamper):
            return "unknown"
        if last.door == "open":
            return "door_open"
        if last.tamper == "tampered":
            return "tampered"
        log.warning(
            "booth alarm cleared at the maintenance desk (%s)", ", ".join(sorted(self.alarm))
        )
        self.alarm.clear()
        self.report("online", "alarm cleared at the maintenance desk")
        return "cleared"
