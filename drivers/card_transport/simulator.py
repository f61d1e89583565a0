"""A simulated motorised card transport (CRT-310 style frames) at the far end of a
pty, with its retain bin, a storage module of numbered slots, the device's faults
and a scriptable citizen.

Its own codec (not the driver's): STX F2, address, a two-byte length of the bytes
from the command type to the end of the data, 'C' CM PM data, ETX 03, BCC (XOR of
STX through ETX). A good frame is acknowledged (06) and answered 'P' CM PM ST0 ST1
ST2 data or 'N' CM PM E1 E0; a frame with a bad BCC gets NAK (15) alone.

The citizen: `insert_card()` puts a card into the slot (drawn in when insertion is
enabled), `take_card()` takes one at the gate. With `take_after_s` in the profile a
card the device presents at the gate is taken by itself after that long, unless
`takes_card` is off (the citizen walks away). `on_position` (a hook the composition
root sets) hears where the card is now: at the read/write position the chip reader
sees it.

Device faults strike the command that draws them or, for movements, the next
movement: `jam` (the card jams, the transport stops until a reset), `stuck_at_gate`
(the next card sent to the gate sticks there), `bin_full` (the retain bin is full),
`slot_empty` (the next dispense finds its slot empty).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.simulator import FaultPlan, PtySimulator

STX, ETX, ACK, NAK = 0xF2, 0x03, 0x06, 0x15
NOISE = range(0x20, 0xF0)
ST0 = {"none": "0", "gate": "1", "inside": "2", "rw_position": "3"}


def _xor(data: bytes) -> int:
    out = 0
    for byte in data:
        out ^= byte
    return out


class CrtSimulator(PtySimulator):
    """The module's end of the CRT-style frame, for the transport and the card printer
    (the same card unit's rewrite module): a subclass executes the commands."""

    device_faults: frozenset[str] = frozenset()  # strike the command that draws them
    profile: Any  # with `address`

    def __init__(self, faults: FaultPlan | None, folder: Path | None, *, pacing: bool) -> None:
        super().__init__(faults, folder, pacing=pacing)
        self._buffer = bytearray()

    def handle(self, data: bytes) -> bytes:
        self._buffer += data
        while True:
            start = self._buffer.find(bytes([STX]))
            if start < 0:
                self._buffer.clear()
                return b""
            del self._buffer[:start]
            if len(self._buffer) < 4:
                return b""
            size = int.from_bytes(self._buffer[2:4], "big")
            if len(self._buffer) < size + 6:
                return b""
            raw = bytes(self._buffer[: size + 6])
            del self._buffer[: size + 6]
            if raw[-2] != ETX or _xor(raw[:-1]) != raw[-1] or size < 3 or raw[4] != ord("C"):
                self.send(bytes([NAK]))
                continue
            fault = self.faults.next()
            if fault is not None and fault.kind in self.device_faults:
                self.device_fault(fault.kind)
                fault = None
            kind, status, payload = self._execute(raw[5], raw[6], raw[7:-2])
            body = bytes([kind, raw[5], raw[6]]) + status.encode() + payload
            head = bytes([STX, self.profile.address]) + len(body).to_bytes(2, "big") + body
            frame = head + bytes([ETX])
            # garbage never looks like an ACK, a NAK or a frame's start
            self.send_bent(bytes([ACK]) + frame + bytes([_xor(frame)]), fault, noise=NOISE)

    def _execute(self, cm: int, pm: int, data: bytes) -> tuple[int, str, bytes]:
        raise NotImplementedError


@dataclass
class TransportProfile:
    model: str = "CRT-310-SIM"
    firmware: str = "CRT310-V2.10"
    serial: str = "SIM0310001"
    address: int = 0
    baudrate: int = 9600
    bin_capacity: int = 30
    bin_count: int = 0
    slot_count: int = 8
    # what each storage slot holds: a document id, or "" for an empty slot
    slots: list[str] = field(default_factory=lambda: [""] * 8)
    # the scriptable citizen
    takes_card: bool = True
    take_after_s: float = -1.0  # < 0: only when told (`take_card()`, the console's `take`)
    # the motor's time to move a card from one position to the next
    move_s: float = 0.15


class CrtTransportSimulator(CrtSimulator):
    name = "card_transport"
    profile_class = TransportProfile
    device_faults = frozenset({"jam", "stuck_at_gate", "bin_full", "slot_empty"})

    def __init__(
        self,
        profile: TransportProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        self.profile = profile or TransportProfile()
        while len(self.profile.slots) < self.profile.slot_count:
            self.profile.slots.append("")
        super().__init__(faults, folder, pacing=pacing)
        self.position = "none"
        self.card: str | None = None  # what is in the transport
        self.transport = "ok"  # ok, jammed, stuck_at_gate
        self.insert_enabled = False
        self.captured: list[str] = []
        self.taken: list[str] = []
        self.on_position: Callable[[str], None] = lambda where: None
        self._armed: set[str] = set()
        self._state = threading.RLock()

    def line_rate(self) -> int:
        return self.profile.baudrate

    # --- the citizen --------------------------------------------------------------------

    def insert_card(self, card: str = "card") -> bool:
        """A card into the slot: drawn in if insertion is enabled, else it waits there."""
        with self._state:
            if self.position != "none":
                return False
            self.card = card
            self._to("gate")
            if self.insert_enabled:
                self.insert_enabled = False
                self._to("inside")
            return True

    def take_card(self) -> str | None:
        """Take the card at the gate (a stuck one does not come)."""
        with self._state:
            if self.position != "gate" or self.transport != "ok":
                return None
            card, self.card = self.card, None
            self._to("none")
            self.taken.append(card or "")
            return card

    def device_fault(self, kind: str) -> None:
        with self._state:
            if kind == "bin_full":
                self.profile.bin_count = max(self.profile.bin_count, self.profile.bin_capacity)
            else:
                self._armed.add(kind)

    # --- the device ---------------------------------------------------------------------

    def _execute(self, cm: int, pm: int, data: bytes) -> tuple[int, str, bytes]:
        with self._state:
            if cm == 0x30:  # initialise (a reset clears a jam; a stuck card stays stuck)
                if self.transport == "jammed":
                    self.transport, self.position = "ok", "inside" if self.card else "none"
                if pm == 0x30 and self.position in ("inside", "rw_position"):
                    self._to("gate")
                elif pm == 0x31 and self.card is not None and self.position != "none":
                    return self._capture()
                elif pm not in (0x30, 0x31, 0x33):
                    return self._no("01")
                return self._yes(self.profile.firmware.encode())
            if cm == 0x31 and pm == 0x30:
                return self._yes()
            if cm == 0x31 and pm == 0x31:
                bits = [
                    self.position == "gate",
                    self.position == "inside",
                    self.position == "rw_position",
                    self._bin_full(),
                    self.transport == "jammed",
                ]
                return self._yes("".join("1" if b else "0" for b in bits).encode())
            if cm == 0x33 and pm in (0x30, 0x31):
                self.insert_enabled = pm == 0x30
                if self.insert_enabled and self.position == "gate" and self.transport == "ok":
                    self.insert_enabled = False
                    self._to("inside")  # a card waiting in the slot is drawn in
                return self._yes()
            if cm == 0x32:
                return self._movement(pm)
            if cm == 0x60 and pm in (0x30, 0x31):
                return self._storage(pm, data)
            if cm == 0x60 and pm == 0x32:  # the retain bin emptied: its count to zero
                self.profile.bin_count = 0
                return self._yes()
            if cm == 0xA2 and pm == 0x30:
                return self._yes(self.profile.serial.encode())
            return self._no("00")

    def _movement(self, pm: int) -> tuple[int, str, bytes]:
        if pm not in (0x30, 0x31, 0x33):
            return self._no("01")
        if self.transport == "jammed":
            return self._no("10")
        if self.transport == "stuck_at_gate":
            return self._no("16")
        if self.card is None or self.position == "none":
            return self._no("02")
        if "jam" in self._armed:
            self._armed.discard("jam")
            self.transport, self.position = "jammed", "inside"
            self.on_position("inside")
            return self._no("10")
        if pm == 0x33:
            return self._capture()
        if pm == 0x30:
            if "stuck_at_gate" in self._armed:
                self._armed.discard("stuck_at_gate")
                self._to("gate")
                self.transport = "stuck_at_gate"
                return self._no("16")
            self._to("gate")
            self._citizen_at_gate()
        else:
            self._to("rw_position")
        return self._yes()

    def _capture(self) -> tuple[int, str, bytes]:
        if self._bin_full():
            return self._no("50")
        self.busy(self.profile.move_s)
        self.captured.append(self.card or "")
        self.profile.bin_count += 1
        self.card = None
        self._to("none")
        return self._yes()

    def _storage(self, pm: int, data: bytes) -> tuple[int, str, bytes]:
        text = data.decode("ascii", "replace")
        if not text.isdigit() or not 1 <= int(text) <= self.profile.slot_count:
            return self._no("01")
        slot = int(text) - 1
        if self.transport != "ok":
            return self._no("10" if self.transport == "jammed" else "16")
        if pm == 0x30:  # dispense: the slot's document to the gate
            if "slot_empty" in self._armed:
                self._armed.discard("slot_empty")
                self.profile.slots[slot] = ""
            if self.position != "none":
                return self._no("02")
            if not self.profile.slots[slot]:
                return self._no("A0")
            self.card, self.profile.slots[slot] = self.profile.slots[slot], ""
            self._to("inside")
            self._to("gate")
            self._citizen_at_gate()
            return self._yes()
        if self.position not in ("inside", "rw_position"):  # load: the card inside, stored
            return self._no("02")
        if self.profile.slots[slot]:
            return self._no("A1")
        self.profile.slots[slot], self.card = self.card or "card", None
        self._to("none")
        return self._yes()

    def _status_data(self) -> bytes:
        st0 = "0" if self.transport == "jammed" and self.position == "none" else ST0[self.position]
        st1 = "1" if self._bin_full() else "0"
        st2 = {"ok": "0", "jammed": "1", "stuck_at_gate": "2"}[self.transport]
        slots = "".join("1" if s else "0" for s in self.profile.slots[: self.profile.slot_count])
        count = f"{min(999, self.profile.bin_count):03d}"
        return (st0 + st1 + st2 + count + slots).encode()

    def _yes(self, payload: bytes | None = None) -> tuple[int, str, bytes]:
        """ST0 ST1 ST2 on every positive answer; the data: the command's, else the bin
        count and the slot map."""
        status = self._status_data()
        return ord("P"), status[:3].decode(), status[3:] if payload is None else payload

    def _no(self, code: str) -> tuple[int, str, bytes]:
        return ord("N"), code, b""

    def _bin_full(self) -> bool:
        return self.profile.bin_count >= self.profile.bin_capacity

    def _to(self, where: str) -> None:
        if where != self.position:
            self.busy(self.profile.move_s)
            self.position = where
            self.on_position(where)

    def _citizen_at_gate(self) -> None:
        if self.profile.take_after_s >= 0 and self.profile.takes_card:
            timer = threading.Timer(self.profile.take_after_s, self.take_card)
            timer.daemon = True
            timer.start()
