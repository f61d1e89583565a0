"""A simulated bank-card terminal speaking the ECR protocol at the far end of a pty.

Its own framing code (not the driver's). It keeps a ledger of orders so that a
QUERY after a lost result tells the truth, and takes a profile of how the bank
answers: approve, decline, unknown, or approve and lose the result. Its time: the
sale's `card_delay_s` (the citizen at the card and the PIN, and the bank), and the
frames at its line rate (115,200 baud, as the driver's default).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from drivers.simulator import FaultPlan, PtySimulator

STX, ETX, ACK, NAK, FS = b"\x02", b"\x03", b"\x06", b"\x15", b"\x1c"


@dataclass
class BankProfile:
    answer: str = "approve"  # approve, decline, unknown, lost (approved, result never sent)
    card_delay_s: float = 0.2  # the citizen presents the card and types the PIN
    decline_reason: str = "51 insufficient funds"
    busy: bool = False
    ledger: dict[str, str] = field(default_factory=dict)  # order -> APPROVED, VOIDED, ...
    baudrate: int = 115200  # the terminal's ECR port rate (the driver's default)


def _xor(data: bytes) -> int:
    result = 0
    for byte in data:
        result ^= byte
    return result


def encode(*fields: str) -> bytes:
    payload = FS.join(f.encode("ascii") for f in fields)
    body = b"%04X" % len(payload) + payload + ETX
    return STX + body + bytes([_xor(body)])


class EcrSimulator(PtySimulator):
    name = "card_payment"
    profile_class = BankProfile

    def __init__(
        self,
        profile: BankProfile | None = None,
        faults: FaultPlan | None = None,
        folder: Path | None = None,
        *,
        pacing: bool = True,
    ) -> None:
        self.profile = profile or BankProfile()
        super().__init__(faults, folder, pacing=pacing)
        self.sales = 0  # charges made: a test asserts nobody is charged twice
        self.naks_sent = 0
        self._buffer = bytearray()
        self._unacked: bytes | None = None
        self._resends = 0
        self._lose_next = False  # a `payment_unknown` fault waits for the next sale

    def line_rate(self) -> int:
        return self.profile.baudrate

    def device_fault(self, kind: str) -> None:
        if kind == "payment_unknown":
            self._lose_next = True  # the next sale is charged, and then: silence

    def handle(self, data: bytes) -> bytes:
        self._buffer += data
        while self._buffer:
            first = self._buffer[:1]
            if first == ACK:
                self._unacked = None
                del self._buffer[:1]
            elif first == NAK:
                del self._buffer[:1]
                if self._unacked is not None and self._resends < 3:
                    self._resends += 1
                    self._answer(self._unacked)  # a resend can be bent by faults too
            elif first == STX:
                if len(self._buffer) < 5:
                    return b""
                try:
                    length = int(bytes(self._buffer[1:5]), 16)
                except ValueError:
                    del self._buffer[:1]
                    continue
                if len(self._buffer) < length + 7:
                    return b""
                raw = bytes(self._buffer[: length + 7])
                del self._buffer[: length + 7]
                self._request(raw, length)
            else:
                del self._buffer[:1]  # line noise
        return b""

    def _request(self, raw: bytes, length: int) -> None:
        if raw[5 + length : 6 + length] != ETX or _xor(raw[1:-1]) != raw[-1]:
            self.naks_sent += 1
            self.send(NAK)
            return
        self.send(ACK)
        fields = raw[5 : 5 + length].decode("ascii", errors="replace").split("\x1c")
        command, order = fields[0], fields[1] if len(fields) > 1 else ""
        ledger = self.profile.ledger
        if command == "STATUS":
            self._reply("BUSY" if self.profile.busy else "READY")
        elif command == "SALE":
            ledger.setdefault(order, "PENDING")  # the citizen is at the card and the PIN
            threading.Timer(self.profile.card_delay_s, self._sale, args=(order,)).start()
        elif command == "QUERY":
            state = ledger.get(order, "NOT_FOUND")
            self._reply("RESULT", order, "UNKNOWN" if state == "PENDING" else state, "")
        elif command == "VOID":  # a sale in progress is aborted; an approved one reversed
            done = ledger.get(order) in ("APPROVED", "PENDING")
            if done:
                ledger[order] = "VOIDED"
            self._reply("RESULT", order, "VOIDED" if done else "NOT_FOUND", "")
        elif command == "REFUND":
            done = ledger.get(order) == "APPROVED"
            if done:
                ledger[order] = "REFUNDED"
            self._reply("RESULT", order, "REFUNDED" if done else "NOT_FOUND", "")
        else:
            self._reply("RESULT", order, "ERROR", "unknown command")

    def _sale(self, order: str) -> None:
        ledger = self.profile.ledger
        if ledger.get(order) == "APPROVED":  # the same order again: never a second charge
            self._reply("RESULT", order, "APPROVED", "already paid")
            return
        if ledger.get(order) == "VOIDED":  # aborted while the citizen was paying
            self._reply("RESULT", order, "VOIDED", "aborted")
            return
        answer = self.profile.answer
        if self._lose_next:  # one sale only: the terminal answers again after it
            answer, self._lose_next = "lost", False
        if answer in ("approve", "lost"):
            ledger[order] = "APPROVED"
            self.sales += 1
            if answer == "approve":
                self._reply("RESULT", order, "APPROVED", "")
        elif answer == "decline":
            ledger[order] = "DECLINED"
            self._reply("RESULT", order, "DECLINED", self.profile.decline_reason)
        else:
            self._reply("RESULT", order, "UNKNOWN", "host timeout")

    def _reply(self, *fields: str) -> None:
        frame = encode(*fields)
        self._unacked, self._resends = frame, 0
        self._answer(frame)  # the fault plan may bend or lose it
