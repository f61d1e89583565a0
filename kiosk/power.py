"""The terminal's power policy, from the UPS (drivers/ups): what the terminal does when
the mains fails.

- On battery: no new session (the home screen says 停电，暂停服务 / Power failure:
  service paused), the backend is told (a `device_event` record now, and the UPS's
  state in every heartbeat), and the session at the screen may finish.
- Low battery (the UPS says LB, or the runtime left is under `low_runtime_s`): the
  session at the screen is cancelled through the normal cancel path (the flow gives
  the card back; a paid session is refunded), then, once it has ended (or
  `grace_s` has passed, so the battery is never run flat), a clean shutdown is
  asked for (`systemctl poweroff` on a terminal).
- The mains back before that: service resumes.

UI-agnostic and clock-injected: the shell feeds it the UPS's answers (`feed`) and
asks it (`tick`) on its own thread; the callables it is given do the rest.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("kiosk.power")

PAUSED_MESSAGE = "ui.home.power_failure"  # 停电，暂停服务 / Power failure: service paused
LOW_RUNTIME_S = 120
GRACE_S = 60.0


@dataclass(frozen=True)
class PowerReading:
    power: str  # mains, battery, bypass, off, unknown
    battery: str  # ok, low, replace, unknown
    charge: int | None = None
    runtime_s: int | None = None

    @classmethod
    def of(cls, answer: dict[str, Any]) -> PowerReading:
        """From a NutUps status answer's data."""
        return cls(str(answer.get("power", "unknown")), str(answer.get("battery", "unknown")),
                   answer.get("charge"), answer.get("runtime_s"))  # fmt: skip


def poweroff() -> None:
    """A terminal's clean shutdown (the kiosk's unit may: packaging/deb's polkit rule)."""
    subprocess.run(["systemctl", "poweroff"], check=False, timeout=30)


class PowerPolicy:
    """States: `mains`, `battery` (paused, the session may finish), `shutting_down`
    (the session cancelled, the shutdown asked for once it has ended)."""

    def __init__(
        self,
        *,
        in_session: Callable[[], bool],
        cancel_session: Callable[[], None],
        shutdown: Callable[[], None] = poweroff,
        report: Callable[[str, str], None] = lambda status, detail: None,
        low_runtime_s: int = LOW_RUNTIME_S,
        grace_s: float = GRACE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.in_session = in_session
        self.cancel_session = cancel_session
        self.shutdown = shutdown
        self.report = report  # (status word, detail) for the backend: a device_event
        self.low_runtime_s = low_runtime_s
        self.grace_s = grace_s
        self.clock = clock
        self.state = "mains"
        self.shutdown_requested = False
        self._cancelled_at: float | None = None
        self.last: PowerReading | None = None

    @property
    def paused(self) -> bool:
        """New sessions are refused."""
        return self.state != "mains"

    @property
    def unavailable(self) -> str | None:
        """Why no service can start now (a message id), or None."""
        return PAUSED_MESSAGE if self.paused else None

    def status_word(self) -> str:
        """The UPS's state for the heartbeat (wire DeviceReport.status)."""
        return {"mains": "online", "battery": "on_battery"}.get(self.state, "low_battery")

    def feed(self, reading: PowerReading) -> None:
        """The UPS's latest answer."""
        self.last = reading
        low = reading.battery == "low" or (
            reading.runtime_s is not None and reading.runtime_s < self.low_runtime_s
        )
        if reading.power == "battery" and low:
            self._to("shutting_down", reading)
        elif reading.power == "battery":
            if self.state == "mains":
                self._to("battery", reading)
        elif reading.power == "mains" and not self.shutdown_requested:
            self._to("mains", reading)
        self.tick()

    def tick(self) -> None:
        """Go on with a shutdown under way: the session cancelled once, then the
        shutdown once it has ended or its grace is over."""
        if self.state != "shutting_down" or self.shutdown_requested:
            return
        if self.in_session():
            if self._cancelled_at is None:
                self._cancelled_at = self.clock()
                log.warning("low battery: the session at the screen is cancelled")
                self.cancel_session()
                return
            if self.clock() - self._cancelled_at < self.grace_s:
                return
            log.error("low battery: the session did not end in %.0f s; shutting down",
                      self.grace_s)  # fmt: skip
        self.shutdown_requested = True
        log.warning("low battery: shutting down")
        self.report("shutting_down", self._detail())
        self.shutdown()

    def _to(self, state: str, reading: PowerReading) -> None:
        if state == self.state:
            return
        log.warning("power: %s -> %s (%s)", self.state, state, self._detail())
        self.state = state
        if state != "shutting_down":
            self._cancelled_at = None
        self.report(self.status_word(), self._detail())

    def _detail(self) -> str:
        reading = self.last
        if reading is None:
            return ""
        return (
            f"power {reading.power}, battery {reading.battery}, charge {reading.charge} %, "
            f"runtime {reading.runtime_s} s"
        )


def heartbeat_word(ups: Any, policy: PowerPolicy | None) -> tuple[str, str]:
    """The UPS in the heartbeat (wire DeviceReport: status, detail), as the backend was
    told it by `device_event`: the driver's state when the UPS cannot be read, else the
    policy's word (`online` on mains, `on_battery`, `low_battery`, `shutting_down`);
    the detail: the power, the battery, the charge and the runtime left."""
    state = ups.status.device.value
    media = ups.status.media
    detail = (
        f"power {media.get('power', 'unknown')}, battery {media.get('battery', 'unknown')}, "
        f"charge {ups.charge} %, runtime {ups.runtime_s} s"
    )
    if state != "online" or policy is None:
        return state, detail
    return ("shutting_down" if policy.shutdown_requested else policy.status_word()), detail
