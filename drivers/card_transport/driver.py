"""The motorised card transport driver (CRT-310 style frames, see frames.py).

Every command runs on the device's worker, one at a time, with a deadline and a
cancel flag. Waiting for the citizen (a card to come in, a card to be taken) is a
status poll, each poll with a short deadline of its own, so a silent device is a
timeout at once and a citizen who does not come is `not_taken` / a timeout of the
whole command, never mixed up.

`present(take_s)` is the retain rule's mechanics: the card goes to the gate; taken
within `take_s`, the answer is `taken`; not taken, it is captured into the retain
bin (`retained`); a full bin leaves it at the gate (`bin_full`, for a technician).
What is recorded and printed about a retained card is the step service's part.

Hot-plug identity: the unit's serial number (CM A2). A link that comes back behind
the same path with another serial is a swapped device (`DeviceSwapped`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drivers.card_transport import frames as fr
from drivers.card_transport.wire import CrtWire
from drivers.device import SerialDevice
from drivers.model import (
    Code,
    DeviceError,
    DeviceState,
    DeviceSwapped,
    DeviceTimeout,
    Recovery,
    Status,
)
from drivers.worker import CommandContext, CommandHandle

POLL_S = 0.1
POLL_TIMEOUT_S = 1.0  # one status poll inside a long wait
RESENDS = 2  # a frame the device NAKs (it saw a bad BCC) is sent again this often
MAX_FRAME = 512  # the longest answer the module gives (LEN)
UNKNOWN = {"card": "unknown", "bin": "unknown"}


class TransportError(DeviceError):
    """A negative answer of the transport, typed by its E1E0 code."""


class Jammed(TransportError):
    code, recovery = Code.HARDWARE_ERROR, Recovery.OPERATOR


class StuckAtGate(TransportError):
    code, recovery = Code.HARDWARE_ERROR, Recovery.OPERATOR


class BinFull(TransportError):
    code, recovery = Code.DEVICE_NOT_READY, Recovery.OPERATOR


class SlotEmpty(TransportError):
    code, recovery = Code.DEVICE_NOT_READY, Recovery.OPERATOR


class SlotOccupied(TransportError):
    code, recovery = Code.SEQUENCE_ERROR, Recovery.OPERATOR


class OutOfSequence(TransportError):
    code, recovery = Code.SEQUENCE_ERROR, Recovery.OPERATOR


class Unsupported(TransportError):
    code, recovery = Code.UNSUPPORTED, Recovery.OPERATOR


class BadParameter(TransportError):
    code, recovery = Code.INVALID_DATA, Recovery.OPERATOR


class NotTaken(DeviceTimeout):
    """The citizen did not take the card (or bring one) in the time given."""

    recovery = Recovery.USER_ACTION


ERROR_CLASSES: dict[str, type[TransportError]] = {
    "jam": Jammed,
    "stuck_at_gate": StuckAtGate,
    "bin_full": BinFull,
    "slot_empty": SlotEmpty,
    "slot_occupied": SlotOccupied,
    "sequence_error": OutOfSequence,
    "undefined_command": Unsupported,
    "bad_parameter": BadParameter,
}


class CrtCardTransport(SerialDevice):
    """`card_transport` driver. Config: `port`; options `baudrate` (9600)."""

    device_class = "card_transport"
    wire_class = CrtWire  # the exchange of frames (a conformance mutant brings its own)

    def __init__(
        self,
        port: str,
        name: str = "card_transport",
        baudrate: int = 9600,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(port, name, baudrate, on_event)
        self.wire = self.wire_class(self.link, "the transport", MAX_FRAME, RESENDS)
        self.identity: str | None = None  # model firmware and serial: who answers
        self.firmware = ""
        self._identified = 0  # the link's opening the identity was read on

    # --- commands (each returns a handle; the completion comes as an event) -------------

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def self_test(self, timeout_s: float = 2.0) -> CommandHandle:
        return self.worker.submit("self_test", self._sensors, timeout_s)

    def sensors(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("sensors", self._sensors, timeout_s)

    def enable_insert(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("enable_insert", lambda c: self._plain(c, fr.INSERT, fr.ENABLE),
                                  timeout_s)  # fmt: skip

    def wait_for_card(self, timeout_s: float = 60.0) -> CommandHandle:
        """Insertion enabled, then wait until the citizen's card is drawn in."""
        return self.worker.submit("wait_for_card", self._wait_for_card, timeout_s)

    def accept_card(self, timeout_s: float = 60.0) -> CommandHandle:
        """Wait for a card, then move it to the read/write position (the chip's)."""

        def accept(ctx: CommandContext) -> dict[str, str]:
            self._wait_for_card(ctx)
            return self._move(ctx, fr.TO_RW)

        return self.worker.submit("accept_card", accept, timeout_s)

    def move_to_rw(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("move_to_rw", lambda c: self._move(c, fr.TO_RW), timeout_s)

    def eject(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("eject", lambda c: self._move(c, fr.TO_GATE), timeout_s)

    def capture(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("capture", lambda c: self._move(c, fr.TO_BIN), timeout_s)

    def wait_for_removal(self, timeout_s: float = 30.0) -> CommandHandle:
        return self.worker.submit("wait_for_removal", self._wait_for_removal, timeout_s)

    def present(self, take_s: float, timeout_s: float | None = None) -> CommandHandle:
        """The retain rule: to the gate; taken in `take_s`, or captured into the bin."""
        return self.worker.submit("present", lambda c: self._present(c, take_s),
                                  timeout_s or take_s + 6.0)  # fmt: skip

    def dispense(self, slot: int, timeout_s: float = 5.0) -> CommandHandle:
        """A finished document from storage slot `slot` to the gate (pickup)."""
        return self.worker.submit("dispense", lambda c: self._storage(c, fr.DISPENSE, slot),
                                  timeout_s)  # fmt: skip

    def load(self, slot: int, timeout_s: float = 5.0) -> CommandHandle:
        """The card inside into storage slot `slot` (staff loading documents)."""
        return self.worker.submit("load", lambda c: self._storage(c, fr.LOAD, slot), timeout_s)

    def empty_bin(self, timeout_s: float = 3.0) -> CommandHandle:
        """A technician took the retained cards out: the bin's count back to zero."""
        return self.worker.submit("empty_bin",
                                  lambda c: self._plain(c, fr.STORAGE, fr.BIN_EMPTIED),
                                  timeout_s)  # fmt: skip

    # --- on the worker ----------------------------------------------------------------

    def _open(self, ctx: CommandContext) -> dict[str, Any]:
        reply = self._command(ctx, fr.INIT, fr.INIT_NO_MOVE)
        self.firmware = reply.data.decode("ascii", "replace")
        self._identify(ctx)
        status = self._status(ctx)
        return {**status, "identity": self.identity}

    def _identify(self, ctx: CommandContext) -> None:
        self._identified = self.link.opened
        serial = self._command(ctx, fr.SERIAL, 0x30).data.decode("ascii", "replace")
        identity = f"{self.firmware}:{serial}"
        if self.identity is not None and identity != self.identity:
            self.on_event(DeviceSwapped(self.name, self.identity, identity))
        self.identity = identity

    def _status(self, ctx: CommandContext) -> dict[str, str]:
        reply = self._command(ctx, fr.STATUS, fr.STATUS_CARD)
        st0, st1, st2 = reply.status[0], reply.status[1], reply.status[2]
        count, slots = reply.data[:3].decode("ascii", "replace"), reply.data[3:].decode("ascii")
        media = {
            "card": fr.POSITIONS.get(st0, "unknown"),
            "bin": "full" if st1 == "1" else "ok",
            "bin_count": str(int(count)) if count.isdigit() else "unknown",
            "slots": slots,
            "transport": fr.TRANSPORT.get(st2, "unknown"),
        }
        if media["transport"] == "jammed":
            media["card"] = "jammed"
        state = DeviceState.ONLINE if media["transport"] == "ok" else DeviceState.HARDWARE_ERROR
        self._set(Status(state, media))
        return media

    def _sensors(self, ctx: CommandContext) -> dict[str, str]:
        reply = self._command(ctx, fr.STATUS, fr.STATUS_SENSORS)
        names = ("gate", "inside", "rw_position", "bin_full", "jam")
        bits = reply.data.decode("ascii", "replace")
        return {name: bits[i] if i < len(bits) else "?" for i, name in enumerate(names)}

    def _plain(self, ctx: CommandContext, cm: int, pm: int) -> dict[str, str]:
        self._command(ctx, cm, pm)
        return self._status(ctx)

    def _move(self, ctx: CommandContext, where: int) -> dict[str, str]:
        try:
            self._command(ctx, fr.MOVE, where)
        finally:
            self._status_quietly(ctx)
        return dict(self.status.media)

    def _storage(self, ctx: CommandContext, what: int, slot: int) -> dict[str, str]:
        if not 0 < slot < 100:
            raise BadParameter(f"no storage slot {slot}", "bad_parameter")
        try:
            self._command(ctx, fr.STORAGE, what, f"{slot:02d}".encode())
        finally:
            self._status_quietly(ctx)
        return dict(self.status.media)

    def _wait_for_card(self, ctx: CommandContext) -> dict[str, str]:
        self._command(ctx, fr.INSERT, fr.ENABLE)
        try:
            while self._poll(ctx)["card"] not in ("inside", "rw_position"):
                self._nap(ctx, "no card was inserted")
        finally:
            # the slot shut again however the wait ended, or the next card pushed in
            # is drawn in with nobody waiting; a cancelled or spent wait on a short
            # deadline of its own
            if not ctx.cancelled.is_set() and ctx.remaining() > 0.2:
                self._command(ctx, fr.INSERT, fr.DISABLE)
            else:
                self._insert_disabled_quietly()
        return dict(self.status.media)

    def _insert_disabled_quietly(self) -> None:
        try:
            self._command(CommandContext(time.monotonic() + POLL_TIMEOUT_S), fr.INSERT,
                          fr.DISABLE)  # fmt: skip
        except DeviceError:
            pass

    def _wait_for_removal(self, ctx: CommandContext) -> dict[str, str]:
        while self._poll(ctx)["card"] != "none":
            self._nap(ctx, "the card was not taken")
        return dict(self.status.media)

    def _present(self, ctx: CommandContext, take_s: float) -> dict[str, Any]:
        if self._poll(ctx)["card"] == "none":
            return {"taken": True, "retained": False, "media": dict(self.status.media)}
        if self.status.media["card"] != "gate":
            self._move(ctx, fr.TO_GATE)
        until = time.monotonic() + take_s
        while self._poll(ctx)["card"] != "none":
            if time.monotonic() >= until:
                self._move(ctx, fr.TO_BIN)  # BinFull: the card stays at the gate
                return {"taken": False, "retained": True, "media": dict(self.status.media)}
            self._nap(ctx, "the card was not taken")
        return {"taken": True, "retained": False, "media": dict(self.status.media)}

    def _poll(self, ctx: CommandContext) -> dict[str, str]:
        """One status query with a short deadline of its own (the command's cancel)."""
        poll = CommandContext(min(ctx.deadline, time.monotonic() + POLL_TIMEOUT_S))
        poll.cancelled = ctx.cancelled
        return self._status(poll)

    def _status_quietly(self, ctx: CommandContext) -> None:
        try:
            self._status(ctx)
        except DeviceError:
            pass

    def _nap(self, ctx: CommandContext, why: str) -> None:
        if ctx.cancelled.wait(min(POLL_S, max(0.0, ctx.remaining()))):
            ctx.check()
        if ctx.remaining() <= POLL_S:
            raise NotTaken(why, "not_taken")

    def _command(self, ctx: CommandContext, cm: int, pm: int, data: bytes = b"") -> fr.Reply:
        reply = self._guarded(ctx, lambda: self._exchange(ctx, cm, pm, data), UNKNOWN)
        if self.link.opened != self._identified and cm != fr.SERIAL and self._identified:
            self._identify(ctx)  # the link was reopened: is it the same unit?
        if not reply.positive:
            error = fr.ERRORS.get(reply.status, f"error_{reply.status}")
            raise ERROR_CLASSES.get(error, TransportError)(
                f"the transport refused {cm:#04x}/{pm:#04x}: {error}", error
            )
        return reply

    def _exchange(self, ctx: CommandContext, cm: int, pm: int, data: bytes) -> fr.Reply:
        return self.wire.exchange(ctx, cm, pm, data)
