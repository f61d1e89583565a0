"""Telling systemd how the kiosk is (sd_notify(3)): ready, alive, stopping.

The protocol is one datagram of `KEY=value` lines to the AF_UNIX socket named by
`$NOTIFY_SOCKET` (a leading '@' names the abstract namespace). No new dependency:
the socket module is all it takes. Without `$NOTIFY_SOCKET` (a developer's desktop,
the tests, `make run`) nothing is sent and nothing costs anything.

The watchdog: `$WATCHDOG_USEC` is how long systemd waits for a `WATCHDOG=1` before it
kills the unit and (Restart=always) starts it again; we ping at half that, from the
GUI thread, so a frozen event loop stops the pings (ui/app.py).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping, MutableMapping

log = logging.getLogger("kiosk.systemd")

VARIABLES = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


class Notifier:
    """One unit's line to systemd. `send` never raises: a service manager that went
    away must not take the touchscreen with it."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.address = _address(env.get("NOTIFY_SOCKET", ""))
        self.watchdog_s = _watchdog_interval(env) if self.address else None
        self._socket: socket.socket | None = None
        self._failed = False

    @classmethod
    def from_environment(cls, env: MutableMapping[str, str] | None = None) -> Notifier:
        """Read the variables once, then take them out of the environment (as
        sd_notify's `unset_environment` does): a program this process starts (the
        VNC server, `lp`, a speech engine) must not ping systemd in our name, or it
        would keep a frozen touchscreen alive."""
        env = os.environ if env is None else env
        notifier = cls(env)
        for name in VARIABLES:
            env.pop(name, None)
        return notifier

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, message: str) -> bool:
        """Send `message` (`READY=1`, `STATUS=...`, `WATCHDOG=1`, `STOPPING=1`, or
        several of them, one a line); whether it went."""
        if self.address is None:
            return False
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)  # not inherited
            self._socket.sendto(message.encode("utf-8"), self.address)
        except OSError as exc:
            # once, not every ping: the log must not fill up while systemd is away
            if not self._failed:
                log.warning("could not tell systemd %r: %s", message.split("\n", 1)[0], exc)
            self._failed = True
            return False
        self._failed = False
        return True

    def status(self, text: str) -> bool:
        """A short line `systemctl status kiosk` shows (never personal data). With a
        watchdog, a ping goes with it: systemd's watchdog runs from the unit's start,
        and a step of the start is progress (a slow start on a cold terminal must not
        be killed before the screen's own pings begin)."""
        ping = "\nWATCHDOG=1" if self.watchdog_s is not None else ""
        return self.send(f"STATUS={text}{ping}")

    def still_starting(self, text: str, more_s: float = 30.0) -> bool:
        """`status`, and the unit's start timeout pushed `more_s` on from now: a start
        busy settling what a crash left open must not be killed as hung."""
        extend = f"\nEXTEND_TIMEOUT_USEC={int(more_s * 1_000_000)}"
        ping = "\nWATCHDOG=1" if self.watchdog_s is not None else ""
        return self.send(f"STATUS={text}{ping}{extend}")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """One message, on a socket of its own; whether it went."""
    notifier = Notifier(os.environ if env is None else env)
    try:
        return notifier.send(message)
    finally:
        notifier.close()


def _address(value: str) -> str | None:
    if value.startswith("@"):
        return "\0" + value[1:]  # the abstract namespace: a name, no file
    if value.startswith("/"):
        return value
    if value:  # systemd 254's vsock:CID:PORT, for virtual machines: not a terminal's
        log.warning("NOTIFY_SOCKET=%r is not a unix socket path; systemd is not told", value)
    return None


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    """Seconds between pings (half of `$WATCHDOG_USEC`), or None: no watchdog.

    `$WATCHDOG_PID` names the process the watchdog is meant for (sd_watchdog_enabled
    ignores it for any other). Under the compositor (`cage -- kiosk run`) systemd's
    main process is cage, so it names cage and never us; yet the unit has
    NotifyAccess=all, and systemd takes a ping from any process of the unit. The
    touchscreen's event loop is what must be watched, so we ping whatever
    `$WATCHDOG_PID` says, and say so in the log. No other process of ours pings:
    `from_environment` takes the variables away from the programs we start.
    """
    raw = env.get("WATCHDOG_USEC")
    if raw is None:
        return None
    try:
        usec = int(raw)
    except ValueError:
        usec = 0
    if usec <= 0:
        log.error("WATCHDOG_USEC=%r is not a positive number of microseconds; no watchdog", raw)
        return None
    owner = env.get("WATCHDOG_PID")
    if owner and owner != str(os.getpid()):
        log.info(
            "the watchdog names process %s (the compositor that started us), "
            "the touchscreen pings it for the unit",
            owner,
        )
    return usec / 2 / 1_000_000
