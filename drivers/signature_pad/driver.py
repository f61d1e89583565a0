"""The signature pad driver: Wacom's ISDV4 serial protocol (frames.py), strokes
made from its pen reports (ink.py).

Every command runs on the device's worker with a deadline and a cancel flag. The
pad is queried the way the kernel's driver and linuxwacom's tools do it: stop
sampling, let reports in flight arrive and forget them, then ask ('*'); the query
reply is the pad's identity (its firmware version and ranges), so a pad swapped
behind the same port is noticed (`DeviceSwapped`).

`capture(on_ink)` is the signature: sampling starts, every report becomes ink or a
tap on the pad's buttons (`on_ink` hears each, on the worker's thread, after a
"ready" once the pad samples); 重签 clears
the ink, 确认 ends the command with it (`Ink`, `ended_by="pad"`). The screen's own
buttons reach a running capture through `clear()` and `confirm()`. A pen out of
range says nothing in ISDV4, so a pad silent for `PROBE_S` is asked whether it is
still there; one that does not answer is a timeout (`no_answer`, offline), a pen
never put down is a timeout of the command (`no_pen`), ink never confirmed too
(`not_confirmed`). A link that drops mid-signature is reopened within the command's
time; the ink written so far stays.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from drivers.device import SerialDevice
from drivers.model import (
    DeviceState,
    DeviceSwapped,
    DeviceTimeout,
    LinkLost,
    ProtocolError,
    Recovery,
    Status,
)
from drivers.signature_pad import frames as fr
from drivers.signature_pad.ink import Ink, InkAssembler, InkEvent
from drivers.worker import CommandContext, CommandHandle

SETTLE_S = 0.1  # after '0', reports already on the wire still arrive
POLL_S = 0.1  # one wait for a report, between looks at cancel and the screen's taps
PACKET_S = 0.2  # the rest of a report once its first byte is in (9 bytes: 2.3 ms)
PROBE_S = 1.5  # sampling and silent this long: is the pad still there?
# nothing is in flight after a silence: the probe's stop needs no settling, and the
# pen touching down meanwhile loses only this much of its stroke
PROBE_SETTLE_S = 0.01
QUERY_S = 1.0  # a query's answer inside a capture (the kernel's driver waits a second)
UNKNOWN = {"sampling": "unknown"}


class NoPen(DeviceTimeout):
    """Nobody signed (or signed and never confirmed) in the time given."""

    recovery = Recovery.USER_ACTION


class Isdv4SignaturePad(SerialDevice):
    """`signature_pad` driver. Config: `port`; options `baudrate` (38400), `box` (the
    signing box's share of the pad's height, 0.75; the buttons below it)."""

    device_class = "signature_pad"
    carries_personal_data = True  # a signature's frames: traced under the withheld field

    def __init__(
        self,
        port: str,
        name: str = "signature_pad",
        baudrate: int = 38400,
        on_event: Callable[[Any], None] | None = None,
        box: float = 0.75,
    ) -> None:
        super().__init__(port, name, baudrate, on_event)
        self.box = box
        self.capabilities: fr.Capabilities | None = None
        self.identity: str | None = None  # firmware version and ranges: which pad answers
        self.noise = 0  # bytes that were not a report, over the driver's life
        self._identified = 0  # the link's opening the identity was read on
        self._pending = bytearray()  # bytes read past a broken report: the next one's start
        self._asks: list[str] = []  # the screen's taps for the running capture
        self._asks_lock = threading.Lock()
        self._capturing = threading.Event()

    # --- commands (each returns a handle; the completion comes as an event) -------------

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._status, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def self_test(self, timeout_s: float = 2.0) -> CommandHandle:
        return self.worker.submit("self_test", self._self_test, timeout_s)

    def capture(
        self, on_ink: Callable[[InkEvent], None] | None = None, timeout_s: float = 120.0
    ) -> CommandHandle:
        """A signature, until 确认 on the pad or `confirm()`; data: `Ink`."""
        with self._asks_lock:
            self._asks.clear()
        return self.worker.submit(
            "capture", lambda ctx: self._capture(ctx, on_ink or (lambda e: None)), timeout_s
        )

    def clear(self) -> bool:
        """The screen's 重签 for the running capture (False: none runs)."""
        return self._ask("clear")

    def confirm(self) -> bool:
        """The screen's 确认 for the running capture (False: none runs)."""
        return self._ask("confirm")

    def _ask(self, what: str) -> bool:
        with self._asks_lock:
            if not self._capturing.is_set():
                return False
            self._asks.append(what)
            return True

    # --- on the worker ----------------------------------------------------------------

    def _status(self, ctx: CommandContext) -> dict[str, Any]:
        caps = self._checked_query(ctx)
        self._set(Status(DeviceState.ONLINE, {"sampling": "off"}))
        return {
            "identity": self.identity,
            "x_max": caps.x_max,
            "y_max": caps.y_max,
            "pressure_max": caps.pressure_max,
            "sampling": "off",
        }

    def _self_test(self, ctx: CommandContext) -> dict[str, Any]:
        found = self._status(ctx)
        # the touch query: a pen-only pad answers, with no touch sensor in it
        reply = self._guarded(ctx, lambda: self._control(ctx, fr.TOUCH_QUERY), UNKNOWN)
        return {**found, "touch": bool(reply[1])}

    def _checked_query(self, ctx: CommandContext, settle_s: float = SETTLE_S) -> fr.Capabilities:
        caps = self._guarded(
            ctx, lambda: fr.parse_query(self._control(ctx, fr.QUERY, settle_s)), UNKNOWN
        )
        self._identify(caps)
        return caps

    def _identify(self, caps: fr.Capabilities) -> None:
        identity = f"ISDV4 v{caps.version} {caps.x_max}x{caps.y_max} p{caps.pressure_max}"
        if self.identity is not None and identity != self.identity:
            self.on_event(DeviceSwapped(self.name, self.identity, identity))
        self.identity, self.capabilities = identity, caps
        self._identified = self.link.opened

    def _control(self, ctx: CommandContext, command: bytes, settle_s: float = SETTLE_S) -> bytes:
        """Stop, forget what was in flight, send `command`, read its 11-byte reply.
        After the flush nothing else may come: any other byte is noise (a
        ProtocolError), silence a timeout, a reply cut short a ProtocolError."""
        if not self.link.is_open:
            self.link.reconnect(ctx)
        self._stop(ctx, settle_s)
        self.link.write(command, ctx)
        first = self.link.read(1, ctx)  # silence: DeviceTimeout
        if fr.packet_length(first[0]) != fr.QUERY_LEN:
            self._noise(ctx)
        try:
            rest = self.link.read(fr.QUERY_LEN - 1, ctx)
        except DeviceTimeout:  # it answered, but not with a whole reply
            self.link.drain_input()
            raise ProtocolError("the pad's answer stopped half-way", "bad_frame") from None
        return first + rest

    def _stop(self, ctx: CommandContext, settle_s: float = SETTLE_S) -> None:
        self.link.write(fr.STOP, ctx)
        if ctx.cancelled.wait(min(settle_s, max(0.0, ctx.remaining()))):
            ctx.check()
        self.link.drain_input()
        self._pending.clear()

    def _noise(self, ctx: CommandContext) -> None:
        time.sleep(min(0.05, max(0.0, ctx.remaining())))
        self.link.drain_input()
        raise ProtocolError("the pad answered with noise", "bad_frame")

    # --- the signature ----------------------------------------------------------------

    def _capture(self, ctx: CommandContext, on_ink: Callable[[InkEvent], None]) -> Ink:
        caps = self._asked(ctx)
        pen = InkAssembler(caps, self.box)
        self._capturing.set()
        started = time.monotonic()
        try:
            self._start(ctx)
            on_ink(InkEvent("ready"))
            heard = time.monotonic()
            while True:
                ask = self._next_ask()
                if ask == "clear":
                    on_ink(pen.clear())
                elif ask == "confirm":
                    pen.ink.ended_by = "screen"
                    return pen.ink
                self._check(ctx, pen.ink)
                report = self._next_report(ctx, pen)
                now = time.monotonic()
                if report is None:
                    if now - heard > PROBE_S:
                        self._probe(ctx, pen)
                        heard = time.monotonic()
                    continue
                heard = now
                for event in pen.feed(report, now - started):
                    on_ink(event)
                    if event.kind == "button" and event.button == "clear":
                        on_ink(pen.clear())
                    elif event.kind == "button":
                        pen.ink.ended_by = "pad"
                        return pen.ink
        finally:
            self._capturing.clear()
            self._stop_quietly(ctx)

    def _start(self, ctx: CommandContext) -> None:
        self.link.write(fr.START, ctx)
        self._set(Status(DeviceState.ONLINE, {"sampling": "on"}))

    def _next_ask(self) -> str | None:
        with self._asks_lock:
            return self._asks.pop(0) if self._asks else None

    def _check(self, ctx: CommandContext, ink: Ink) -> None:
        """Cancelled, or out of time: nobody signed (`no_pen`), or nobody confirmed."""
        if ctx.remaining() <= 0 and not ctx.cancelled.is_set():
            if ink.points:
                raise NoPen("the signature was not confirmed in time", "not_confirmed")
            raise NoPen("nobody signed on the pad in time", "no_pen")
        ctx.check()

    def _next_report(self, ctx: CommandContext, pen: InkAssembler) -> fr.PenReport | None:
        """The next pen report, or None after a quiet slice (or noise, skipped and
        counted as the kernel's driver does). A link that went is reopened here."""
        try:
            return self._read_report(ctx)
        except LinkLost:
            pen.lift(None)  # the stroke in progress ends where the link went
            self._reopen(ctx)
            return None
        except ProtocolError:
            self.noise += 1
            return None

    def _read_report(self, ctx: CommandContext) -> fr.PenReport | None:
        quiet = CommandContext(min(ctx.deadline, time.monotonic() + POLL_S))
        quiet.cancelled = ctx.cancelled
        try:
            first = self._read(1, quiet)[0]
        except DeviceTimeout:
            return None
        size = fr.packet_length(first)
        if size is None:  # unsynchronised: skipped
            self.noise += 1
            return None
        try:
            rest = self._read(size - 1, CommandContext(time.monotonic() + PACKET_S))
        except DeviceTimeout:
            raise ProtocolError("a report stopped half-way", "bad_frame") from None
        resync = next((i for i, b in enumerate(rest) if b & fr.HEADER), None)
        if resync is not None:  # a report began inside this one: this one was broken
            self._pending[:0] = rest[resync:]
            raise ProtocolError("a broken report", "bad_frame")
        if first & fr.CONTROL:
            return None  # a control packet nobody asked for: nothing to draw
        return fr.parse_pen(bytes([first]) + rest)

    def _read(self, size: int, ctx: CommandContext) -> bytes:
        taken = bytes(self._pending[:size])
        del self._pending[:size]
        return taken + (self.link.read(size - len(taken), ctx) if len(taken) < size else b"")

    def _reopen(self, ctx: CommandContext) -> None:
        """The link went mid-signature: back within the command's time, the pad asked
        who it is (a swap is told), sampling again."""
        try:
            self.link.reconnect(ctx)
        except LinkLost:
            self._set(Status(DeviceState.NO_DEVICE, dict(UNKNOWN)))
            raise
        self._asked(ctx)
        self._start(ctx)

    def _probe(self, ctx: CommandContext, pen: InkAssembler) -> None:
        """Silent while sampling: a pen away from the pad, or a pad gone dead? Ask."""
        pen.lift(None)
        self._asked(ctx, PROBE_SETTLE_S)
        self._start(ctx)

    def _asked(self, ctx: CommandContext, settle_s: float = SETTLE_S) -> fr.Capabilities:
        """A query inside a capture, with a deadline of its own: a pad that does not
        answer is a timeout at once (`no_answer`), not when the citizen's time is up."""
        short = CommandContext(min(ctx.deadline, time.monotonic() + QUERY_S))
        short.cancelled = ctx.cancelled
        try:
            return self._checked_query(short, settle_s)
        except DeviceTimeout:
            ctx.check()
            raise DeviceTimeout("the pad does not answer", "no_answer") from None

    def _stop_quietly(self, ctx: CommandContext) -> None:
        """The pad quiet again after a capture, however it ended."""
        try:
            if self.link.is_open:
                self.link.write(fr.STOP, CommandContext(time.monotonic() + 0.5))
        except (LinkLost, DeviceTimeout):
            pass
        if self.status.media.get("sampling") == "on":
            self._set(Status(self.status.device, {"sampling": "off"}))
