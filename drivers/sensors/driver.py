"""The booth's sensors on a Modbus RTU discrete-input board (drivers/io_board).

    DI 0  presence (1: someone there)   DI 1  door (1: open)   DI 2  tamper (1: tampered)

Status, two levels: the device is `online` while the board answers, `fraud_attempt`
while the tamper switch is tripped, `offline` / `no_device` when the board is silent
or its port gone; the media are the three inputs, debounced (a contact bounces, a
radar flickers at the edge of its field): `presence` present/absent, `door`
closed/open, `tamper` ok/tampered, and `restarts`, how often the board restarted.

`watch(timeout_s)` polls the board until the debounced inputs change and answers
with the new media (a StatusChanged event goes out too); a watch with no change
ends as a timeout (`no_change`), as the UPS's does. Cancellable at any poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from drivers.io_board import modbus as mb
from drivers.io_board.board import ModbusBoard
from drivers.model import Debouncer, DeviceState, DeviceTimeout, Status
from drivers.worker import CommandContext, CommandHandle

# input -> (its word when 0, its word when 1); the order is the board's DI 0, 1, 2
INPUTS = {
    "presence": ("absent", "present"),
    "door": ("closed", "open"),
    "tamper": ("ok", "tampered"),
}
# how long an input must hold before it counts: a door contact bounces for some ten
# milliseconds; a presence radar flickers for longer as someone shifts at its edge
HOLD_S = {"presence": 0.3, "door": 0.1, "tamper": 0.1}
POLL_S = 0.05
POLL_TIMEOUT_S = 0.5  # one poll inside a watch: a silent board is seen at once
WATCH_MARGIN_S = 0.2  # a watch ends before its deadline, never cut in a poll's middle
BOOTS_EVERY_S = 1.0  # how often a watch asks whether the board restarted


class ModbusSensors(ModbusBoard):
    """`sensors` driver. Config: `port`; options `baudrate` (9600), `unit` (1)."""

    device_class = "sensors"
    unknown_media: ClassVar[dict[str, str]] = {name: "unknown" for name in INPUTS}

    def __init__(
        self,
        port: str,
        name: str = "sensors",
        baudrate: int = 9600,
        unit: int = 1,
        on_event: Callable[[Any], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(port, name, baudrate, unit, on_event)
        self.clock = clock
        self._debounce = {name: Debouncer(HOLD_S[name], clock) for name in INPUTS}
        self._boots_at = 0.0

    # --- commands -----------------------------------------------------------------------

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", self._poll, timeout_s)

    def self_test(self, timeout_s: float = 2.0) -> CommandHandle:
        """The identity and the inputs as the board reads them now (not debounced)."""

        def test(ctx: CommandContext) -> dict[str, str]:
            self._identify(ctx)
            return {**self._read_inputs(ctx), "identity": self.identity or "",
                    "firmware": self.firmware}  # fmt: skip

        return self.worker.submit("self_test", test, timeout_s)

    def watch(self, timeout_s: float = 30.0) -> CommandHandle:
        """Wait for a debounced input to change; its data: the new media."""
        return self.worker.submit("watch", self._watch, timeout_s)

    # --- on the worker ------------------------------------------------------------------

    def _open(self, ctx: CommandContext) -> dict[str, str]:
        self._identify(ctx)
        for debouncer in self._debounce.values():
            debouncer.reported = None  # what the board says now counts at once
        self._boots_at = self.clock()
        return {**self._settle(self._read_inputs(ctx)), "identity": self.identity or ""}

    def _read_inputs(self, ctx: CommandContext) -> dict[str, str]:
        bits = self._read_bits(ctx, mb.READ_INPUTS, 0, len(INPUTS))
        return {name: words[bit] for (name, words), bit in zip(INPUTS.items(), bits, strict=True)}

    def _settle(self, raw: dict[str, str]) -> dict[str, str]:
        """The inputs through their debouncers: the status to report now."""
        media = {}
        for name, value in raw.items():
            self._debounce[name].feed(Status(DeviceState.ONLINE, {name: value}))
            reported = self._debounce[name].reported
            media[name] = reported.media[name] if reported is not None else "unknown"
        media["restarts"] = str(self.restarts)
        tampered = media["tamper"] == "tampered"
        self._set(Status(DeviceState.FRAUD_ATTEMPT if tampered else DeviceState.ONLINE, media))
        return media

    def _poll(self, ctx: CommandContext) -> dict[str, str]:
        if self.clock() - self._boots_at >= BOOTS_EVERY_S:
            self._boots_at = self.clock()
            self._check_boots(ctx)
        return self._settle(self._read_inputs(ctx))

    def _watch(self, ctx: CommandContext) -> dict[str, str]:
        before = dict(self.status.media)
        while True:
            poll = CommandContext(min(ctx.deadline, time.monotonic() + POLL_TIMEOUT_S))
            poll.cancelled = ctx.cancelled
            media = self._poll(poll)
            if media != before:
                return media
            if ctx.remaining() <= WATCH_MARGIN_S:
                raise DeviceTimeout("no input changed", "no_change")
            if ctx.cancelled.wait(POLL_S):
                ctx.check()
