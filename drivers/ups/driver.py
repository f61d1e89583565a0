"""The UPS driver: Network UPS Tools' network protocol (upsd, TCP 3493), spoken here.

`port` names the server and the UPS: `host:port/upsname` (`127.0.0.1:3493/kiosk` on
a terminal; the port may be left out). The protocol is lines of text: `LIST VAR ups`
is answered by `BEGIN LIST VAR ups`, one `VAR ups name "value"` a variable, `END
LIST VAR ups`; any request may be answered `ERR CODE` instead.

Status, two levels: the device is `online` while upsd hands out fresh data,
`offline` when the data are stale or upsd's own driver is gone (the UPS cannot be
vouched for), `no_device` when upsd is not there or knows no such UPS. Its media:
`power` (mains, battery, bypass, off, unknown) and `battery` (ok, low, replace,
unknown); the charge (%) and the runtime left (s) are in each query's answer and in
`charge` / `runtime_s`. A change of power or battery is a StatusChanged event;
`watch` waits (cancellable) for the next one.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from drivers.model import (
    Code,
    DeviceError,
    DeviceState,
    DeviceSwapped,
    DeviceTimeout,
    LinkLost,
    ProtocolError,
    Recovery,
    Status,
    StatusChanged,
)
from drivers.worker import CommandContext, CommandHandle, DeviceWorker

DEFAULT_PORT = 3493
READ_SLICE_S = 0.1  # a read waits this long at a time, then looks at cancel and deadline
MAX_LINE = 4096  # a longer line is not NUT's
MAX_VARS = 1000
WATCH_POLL_S = 0.5


class UpsError(DeviceError):
    """upsd answered `ERR CODE`; `error` is the code in lower case (data_stale, ...)."""

    def __init__(self, message: str, error: str, code: Code, recovery: Recovery) -> None:
        super().__init__(message, error)
        self.code = code
        self.recovery = recovery


# upsd's ERR codes -> (generic code, recovery, what the device's state becomes)
ERRORS: dict[str, tuple[Code, Recovery, DeviceState]] = {
    "DATA-STALE": (Code.DEVICE_NOT_READY, Recovery.RETRY, DeviceState.OFFLINE),
    "DRIVER-NOT-CONNECTED": (Code.DEVICE_NOT_READY, Recovery.OPERATOR, DeviceState.OFFLINE),
    "UNKNOWN-UPS": (Code.DEVICE_NOT_READY, Recovery.OPERATOR, DeviceState.NO_DEVICE),
    "VAR-NOT-SUPPORTED": (Code.UNSUPPORTED, Recovery.NONE, DeviceState.ONLINE),
    "ACCESS-DENIED": (Code.DEVICE_NOT_READY, Recovery.OPERATOR, DeviceState.OFFLINE),
}


def parse_status(flags: str) -> dict[str, str]:
    """`ups.status` (`OL CHRG`, `OB DISCHRG LB`, ...) as the media of the status."""
    words = set(flags.split())
    if "OB" in words:
        power = "battery"
    elif "BYPASS" in words:
        power = "bypass"
    elif "OFF" in words:
        power = "off"
    elif "OL" in words:
        power = "mains"
    else:
        power = "unknown"
    if words & {"LB", "FSD"}:  # low battery; forced shutdown: the same hurry
        battery = "low"
    elif "RB" in words:
        battery = "replace"
    elif power == "unknown":
        battery = "unknown"
    else:
        battery = "ok"
    return {"power": power, "battery": battery}


def parse_var_line(line: str, ups: str) -> tuple[str, str]:
    """`VAR ups name "value"` -> (name, value); ProtocolError for anything else.
    Values are quoted, with `\\"` and `\\\\` escaped."""
    head = f"VAR {ups} "
    if not line.startswith(head):
        raise ProtocolError(f"not a VAR line: {line[:80]!r}", "bad_answer")
    rest = line[len(head) :]
    name, sep, quoted = rest.partition(" ")
    if not sep or not name or len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        raise ProtocolError(f"malformed VAR line: {line[:80]!r}", "bad_answer")
    body, value, escaped = quoted[1:-1], [], False
    for char in body:
        if escaped:
            value.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            raise ProtocolError(f"unescaped quote: {line[:80]!r}", "bad_answer")
        else:
            value.append(char)
    if escaped:
        raise ProtocolError(f"dangling escape: {line[:80]!r}", "bad_answer")
    return name, "".join(value)


class NutUps:
    """`ups` driver. Config: `port` (or `uri`) = `host:port/upsname`."""

    device_class = "ups"

    def __init__(
        self, port: str, name: str = "ups", on_event: Callable[[Any], None] | None = None
    ) -> None:
        self.name = name
        server, _, self.ups = port.rpartition("/")
        if not server or not self.ups:
            raise ValueError(f"'{port}' is not host:port/upsname")
        host, _, number = server.rpartition(":")
        self.host, self.port = (host, int(number)) if host else (server, DEFAULT_PORT)
        self.on_event = on_event or (lambda event: None)
        self.worker = DeviceWorker(name, self.on_event)
        self.status = Status(DeviceState.STARTING)
        self.identity: str | None = None  # mfr:model:serial, as a USB device's vid:pid:serial
        self.charge: int | None = None
        self.runtime_s: int | None = None
        self._sock: socket.socket | None = None
        self._buffer = b""

    # --- commands -----------------------------------------------------------------

    def open(self, timeout_s: float = 5.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("status", self._query, timeout_s)

    def self_test(self, timeout_s: float = 5.0) -> CommandHandle:
        return self.query_status(timeout_s)

    def variables(self, timeout_s: float = 3.0) -> CommandHandle:
        """Every variable upsd has for the UPS, as text (what `upsc` lists)."""
        return self.worker.submit("variables", self._variables, timeout_s)

    def watch(self, timeout_s: float = 60.0) -> CommandHandle:
        """Wait for the power or battery to change; its data: the new status answer.
        Cancellable; a timeout with no change is a timeout."""
        return self.worker.submit("watch", self._watch, timeout_s)

    def close(self) -> None:
        self.worker.stop()
        self._disconnect(polite=True)

    # --- on the worker ------------------------------------------------------------

    def _open(self, ctx: CommandContext) -> dict[str, Any]:
        self._disconnect(polite=True)
        return self._query(ctx)

    def _query(self, ctx: CommandContext) -> dict[str, Any]:
        found = self._variables(ctx)
        if found.get("ups.status", "").split() == ["WAIT"]:  # upsd has no data (yet)
            # before the first data: starting; after it, its UPS driver is gone or restarting
            state = DeviceState.STARTING if self.identity is None else DeviceState.OFFLINE
            self._set(Status(state, {"power": "unknown", "battery": "unknown"}))
            raise UpsError("upsd: waiting for its driver", "waiting", Code.DEVICE_NOT_READY,
                           Recovery.RETRY)  # fmt: skip
        identity = ":".join(found.get(k, "") for k in ("ups.mfr", "ups.model", "ups.serial"))
        if self.identity is not None and identity != self.identity:
            self.on_event(DeviceSwapped(self.name, self.identity, identity))
        self.identity = identity
        media = parse_status(found.get("ups.status", ""))
        self.charge = _number(found.get("battery.charge"))
        self.runtime_s = _number(found.get("battery.runtime"))
        self._set(Status(DeviceState.ONLINE, media))
        return {
            **media,
            "flags": found.get("ups.status", ""),
            "charge": self.charge,
            "runtime_s": self.runtime_s,
            "identity": identity,
        }

    def _watch(self, ctx: CommandContext) -> dict[str, Any]:
        before = self.status
        while True:
            try:
                answer = self._query(ctx)
            except (UpsError, LinkLost):
                if self.status != before:  # the UPS went away: a change too
                    raise
                answer = None
            if answer is not None and self.status != before:
                return answer
            deadline = time.monotonic() + WATCH_POLL_S
            while time.monotonic() < deadline:
                ctx.check()
                time.sleep(min(0.05, max(0.0, ctx.remaining())))

    def _variables(self, ctx: CommandContext) -> dict[str, str]:
        lines = self._request(ctx, f"LIST VAR {self.ups}")
        begin, end = f"BEGIN LIST VAR {self.ups}", f"END LIST VAR {self.ups}"
        if lines[0] != begin:
            self._disconnect()
            raise ProtocolError(f"expected {begin!r}, got {lines[0][:80]!r}", "bad_answer")
        found: dict[str, str] = {}
        try:
            while True:
                line = self._line(ctx)
                if line == end:
                    return found
                name, value = parse_var_line(line, self.ups)
                found[name] = value
                if len(found) > MAX_VARS:
                    raise ProtocolError("no end to the list", "bad_answer")
        except ProtocolError:
            self._disconnect()  # the rest of that answer must not be read as the next
            raise

    def _request(self, ctx: CommandContext, request: str) -> list[str]:
        """Send one request, read its first line (an ERR is raised as UpsError);
        reconnect once if upsd closed the connection meanwhile."""
        for attempt in (1, 2):
            self._connect(ctx)
            assert self._sock is not None
            try:
                self._sock.sendall(request.encode("ascii") + b"\n")
                first = self._line(ctx)
                break
            except LinkLost:
                self._disconnect()
                if attempt == 2:
                    raise
        if first.startswith("ERR "):
            self._error(first[4:].split(" ", 1)[0])
        return [first]

    def _error(self, err: str) -> None:
        code, recovery, state = ERRORS.get(
            err, (Code.HARDWARE_ERROR, Recovery.OPERATOR, DeviceState.HARDWARE_ERROR)
        )
        if state is not DeviceState.ONLINE:
            self._set(Status(state, {"power": "unknown", "battery": "unknown"}))
        raise UpsError(f"upsd: ERR {err}", err.lower().replace("-", "_"), code, recovery)

    def _connect(self, ctx: CommandContext) -> None:
        if self._sock is not None:
            return
        ctx.check()
        try:
            self._sock = socket.create_connection(
                (self.host, self.port), timeout=max(0.05, min(3.0, ctx.remaining()))
            )
        except TimeoutError:
            self._set(Status(DeviceState.OFFLINE, {"power": "unknown", "battery": "unknown"}))
            raise DeviceTimeout(
                f"upsd at {self.host}:{self.port} did not answer", "no_answer"
            ) from None
        except OSError as exc:
            self._set(Status(DeviceState.NO_DEVICE, {"power": "unknown", "battery": "unknown"}))
            raise LinkLost(f"upsd at {self.host}:{self.port}: {exc}", "no_device") from None
        self._sock.settimeout(READ_SLICE_S)
        self._buffer = b""

    def _line(self, ctx: CommandContext) -> str:
        """One line of the answer, within the command's deadline; cancel is seen
        within READ_SLICE_S."""
        assert self._sock is not None
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE:
                self._disconnect()
                raise ProtocolError("a line longer than NUT's", "bad_answer")
            try:
                ctx.check()
            except DeviceTimeout:
                self._disconnect()  # a late answer must not be taken for the next one
                self._set(Status(DeviceState.OFFLINE, {"power": "unknown", "battery": "unknown"}))
                raise
            except DeviceError:
                self._disconnect()
                raise
            try:
                chunk = self._sock.recv(4096)
            except TimeoutError:
                continue
            except OSError as exc:
                self._disconnect()
                raise LinkLost(f"upsd: {exc}", "link_lost") from None
            if not chunk:
                self._disconnect()
                raise LinkLost("upsd closed the connection", "link_lost")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\n")
        try:
            line = raw.rstrip(b"\r").decode("utf-8")
        except UnicodeDecodeError:
            self._disconnect()
            raise ProtocolError("an answer that is not text", "bad_answer") from None
        if not line.isprintable():
            self._disconnect()
            raise ProtocolError(f"control characters in {line[:80]!r}", "bad_answer")
        return line

    def _disconnect(self, polite: bool = False) -> None:
        sock, self._sock, self._buffer = self._sock, None, b""
        if sock is None:
            return
        if polite:
            try:
                sock.sendall(b"LOGOUT\n")
            except OSError:
                pass
        sock.close()

    def _set(self, status: Status) -> None:
        if status != self.status:
            before, self.status = self.status, status
            self.on_event(StatusChanged(self.name, before, status))


def _number(text: str | None) -> int | None:
    try:
        return round(float(text)) if text is not None else None
    except ValueError:
        return None
