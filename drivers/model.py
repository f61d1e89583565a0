"""The device model, after XFS4IoT, in plain Python.

- A device has a two-level status: the device itself (`DeviceState`) and its media
  and supplies (a mapping such as paper=ok/low/out/unknown, cover=closed/open).
  A change of either is a `StatusChanged` event; flicker is debounced.
- A command ends with a `Completion`: a generic code, a class-specific error code
  and a recovery hint. A timeout is a timeout, never a bad frame.
- Errors raised inside a driver are `DeviceError` subclasses; none is a bare
  Exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DeviceState(StrEnum):
    STARTING = "starting"
    ONLINE = "online"
    OFFLINE = "offline"
    NO_DEVICE = "no_device"
    BUSY = "busy"
    HARDWARE_ERROR = "hardware_error"
    USER_ERROR = "user_error"
    FRAUD_ATTEMPT = "fraud_attempt"


class Code(StrEnum):
    """The generic completion code of every command."""

    SUCCESS = "success"
    CANCELED = "canceled"
    TIMEOUT = "timeout"
    DEVICE_NOT_READY = "device_not_ready"
    HARDWARE_ERROR = "hardware_error"
    USER_ERROR = "user_error"
    INVALID_DATA = "invalid_data"
    UNSUPPORTED = "unsupported"
    SEQUENCE_ERROR = "sequence_error"
    FRAUD_ATTEMPT = "fraud_attempt"
    LINK_LOST = "link_lost"


class Recovery(StrEnum):
    NONE = "none"
    RETRY = "retry"
    USER_ACTION = "user_action"  # the citizen can fix it (take the card, close the door)
    OPERATOR = "operator"  # a technician must come


@dataclass(frozen=True)
class Completion:
    command: str
    code: Code
    error: str = ""  # class-specific, e.g. "paper_out", "cover_open"
    recovery: Recovery = Recovery.NONE
    data: Any = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code is Code.SUCCESS


@dataclass(frozen=True)
class Status:
    device: DeviceState
    media: dict[str, str] = field(default_factory=dict)  # paper, cover, cutter, card ...


@dataclass(frozen=True)
class StatusChanged:
    device_name: str
    before: Status
    after: Status


@dataclass(frozen=True)
class DeviceSwapped:
    """The port came back with another device behind it (another USB serial number):
    a technician must know, and calibration or counters tied to the old one are void."""

    device_name: str
    before: str  # vid:pid:serial
    after: str


# --- errors ---------------------------------------------------------------------


class DeviceError(Exception):
    """Base of every error a driver raises; maps to a completion."""

    code = Code.HARDWARE_ERROR
    recovery = Recovery.OPERATOR

    def __init__(self, message: str, error: str = "") -> None:
        super().__init__(message)
        self.error = error or self.code.value


class DeviceTimeout(DeviceError):
    """The device did not answer in time. Never reported as a bad frame."""

    code = Code.TIMEOUT
    recovery = Recovery.RETRY


class ProtocolError(DeviceError):
    """The device answered, but not with a frame of its protocol."""

    code = Code.HARDWARE_ERROR
    recovery = Recovery.RETRY


class LinkLost(DeviceError):
    """The port went away (unplugged, the cable pulled)."""

    code = Code.LINK_LOST
    recovery = Recovery.RETRY


class Canceled(DeviceError):
    code = Code.CANCELED
    recovery = Recovery.NONE


class NotReady(DeviceError):
    """The device cannot take the command now (paper out, cover open)."""

    code = Code.DEVICE_NOT_READY
    recovery = Recovery.USER_ACTION


class CitizenCanFix(DeviceError):
    """The citizen can put it right: the card moved, a poor print, a declined card."""

    code = Code.USER_ERROR
    recovery = Recovery.USER_ACTION


class InvalidData(DeviceError):
    code = Code.INVALID_DATA
    recovery = Recovery.NONE


def completion_of(command: str, exc: DeviceError, elapsed: float) -> Completion:
    return Completion(command, exc.code, exc.error, exc.recovery, None, elapsed)


# --- debouncing -------------------------------------------------------------------


class Debouncer:
    """Reports a status only once it has held for `hold_s` (a paper sensor flickers
    at the edge of a roll; a card jiggles in the field).

    `clock` is injectable so tests need no sleeps.
    """

    def __init__(self, hold_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.hold_s = hold_s
        self.clock = clock
        self.reported: Status | None = None
        self._candidate: Status | None = None
        self._since = 0.0

    def feed(self, status: Status) -> Status | None:
        """The status to report now, or None while it has not settled."""
        now = self.clock()
        if status == self.reported:
            self._candidate = None
            return None
        if status != self._candidate:
            self._candidate, self._since = status, now
        if self.reported is None or now - self._since >= self.hold_s:
            self.reported, self._candidate = status, None
            return status
        return None
