"""The PC/SC card reader driver (pyscard's `smartcard.scard`, the PC/SC API itself).

A monitor thread with its own PC/SC context waits on SCardGetStatusChange (the
reader's state and pcsc-lite's PnP notification for readers coming and going) and
turns what it sees into status events: device online / no_device, card present /
absent / mute. Commands run on the device worker with a second context: connect,
talk (terminal.py: BAC, secure messaging), and disconnect with a card reset, so
no session key outlives the command.

`port` names the reader (its PC/SC name, or the start of it); empty means the
first reader. Personal data comes back in completions, never in a log line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from smartcard import scard

from drivers.model import (
    CitizenCanFix,
    DeviceError,
    DeviceState,
    LinkLost,
    NotReady,
    Status,
    StatusChanged,
)
from drivers.smartcard import permit, terminal
from drivers.smartcard.mrz import MrzError
from drivers.smartcard.mrz import key_info as mrz_key_info
from drivers.worker import CommandContext, CommandHandle, DeviceWorker

PNP = "\\\\?PnP?\\Notification"
WAIT_MS = 250  # how often the monitor looks up from waiting, to notice close()

_CARD_GONE = {
    scard.SCARD_W_REMOVED_CARD,
    scard.SCARD_E_NO_SMARTCARD,
    scard.SCARD_E_NOT_TRANSACTED,  # what pcsc-lite says when the card leaves mid-APDU
    scard.SCARD_W_RESET_CARD,
}
_READER_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_NO_READERS_AVAILABLE,
    scard.SCARD_E_INVALID_HANDLE,
}


class PcscError(DeviceError):
    """A PC/SC call failed in a way none of the specific errors covers."""


class PcscCardReader:
    device_class = "smartcard"
    session_class = terminal.CardSession  # the conformance kit's mutants swap it

    def __init__(
        self, port: str = "", name: str = "smartcard", on_event: Callable[[Any], None] | None = None
    ) -> None:
        self.name = name
        self.wanted = port
        self.on_event = on_event or (lambda event: None)
        self.worker = DeviceWorker(name, self.on_event)
        self.status = Status(DeviceState.STARTING)
        self.reader: str | None = None
        self._context: int | None = None  # the worker's
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self._monitor_context: int | None = None
        self._lock = threading.Lock()

    # --- commands --------------------------------------------------------------------

    def open(self, timeout_s: float = 5.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", lambda ctx: dict(self.status.media), timeout_s)

    def read_document(
        self, document_number: str, birth_date: str, expiry_date: str, timeout_s: float = 10.0
    ) -> CommandHandle:
        """The ICAO application: DG1 (`mrz`) and the face of DG2 (`face`, or `face_error`)."""

        def read(ctx: CommandContext) -> dict[str, Any]:
            key = _key(document_number, birth_date, expiry_date)
            document = self._with_card(ctx, lambda s: terminal.read_document(s, key))
            return {"document": document}

        return self.worker.submit("read_document", read, timeout_s)

    def read_permit(
        self, key: tuple[str, str, str], issuer_key: bytes, timeout_s: float = 10.0
    ) -> CommandHandle:
        def read(ctx: CommandContext) -> dict[str, Any]:
            info = _key(*key)
            return {
                "permit": self._with_card(ctx, lambda s: terminal.read_permit(s, info, issuer_key))
            }

        return self.worker.submit("read_permit", read, timeout_s)

    def write_endorsement(
        self,
        key: tuple[str, str, str],
        issuer_key: bytes,
        endorsement: permit.Endorsement,
        timeout_s: float = 15.0,
    ) -> CommandHandle:
        """Idempotent by the endorsement's serial: after `write_interrupted`, put the
        card back and call again with the same endorsement."""

        def write(ctx: CommandContext) -> dict[str, Any]:
            info = _key(*key)
            written = self._with_card(
                ctx,
                lambda s: terminal.write_endorsement(s, info, issuer_key, endorsement),
                interrupted="write_interrupted",
            )
            return {"permit": written}

        return self.worker.submit("write_endorsement", write, timeout_s)

    def self_test(self, timeout_s: float = 3.0) -> CommandHandle:
        """The reader answers and is there; a card is not needed."""

        def test(ctx: CommandContext) -> dict[str, str]:
            self._reader_name()
            return dict(self.status.media)

        return self.worker.submit("self_test", test, timeout_s)

    def close(self) -> None:
        self._stop.set()
        context = self._monitor_context
        if context is not None:
            scard.SCardCancel(context)  # wakes the monitor out of its wait
        if self._monitor is not None:
            self._monitor.join(timeout=3)
        self.worker.stop()
        self._release()

    # --- on the worker ----------------------------------------------------------------

    def _open(self, ctx: CommandContext) -> dict[str, str]:
        self.reader = self._reader_name()
        if self._monitor is None:
            self._monitor = threading.Thread(
                target=self._watch, name=f"pcsc-{self.name}", daemon=True
            )
            self._monitor.start()
        while self.status.device is DeviceState.STARTING:
            ctx.check()
            self._stop.wait(0.02)
        return dict(self.status.media)

    def _establish(self) -> int:
        if self._context is None:
            rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if rv != scard.SCARD_S_SUCCESS:
                raise LinkLost(f"no PC/SC service: {scard.SCardGetErrorMessage(rv)}", "no_service")
            self._context = context
        return self._context

    def _release(self) -> None:
        if self._context is not None:
            scard.SCardReleaseContext(self._context)
            self._context = None

    def _reader_name(self) -> str:
        rv, readers = scard.SCardListReaders(self._establish(), [])
        if rv in _READER_GONE:
            self._release()  # pcscd restarted: the next command starts a new context
            raise LinkLost("no reader", "no_reader")
        found = [r for r in readers if r.startswith(self.wanted)] if rv == 0 else []
        if not found:
            raise LinkLost(f"no reader named {self.wanted or 'anything'}", "no_reader")
        return str(found[0])

    def _with_card(
        self,
        ctx: CommandContext,
        talk: Callable[[terminal.CardSession], Any],
        interrupted: str = "card_removed",
    ) -> Any:
        """Connect, run `talk` (once more on a broken secure-messaging session, with a
        new BAC), disconnect with a reset."""
        reader = self._reader_name()
        rv, card, protocol = scard.SCardConnect(
            self._establish(),
            reader,
            scard.SCARD_SHARE_EXCLUSIVE,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if rv in _CARD_GONE:
            raise NotReady("no card in the reader", "no_card")
        if rv in (scard.SCARD_W_UNRESPONSIVE_CARD, scard.SCARD_W_UNPOWERED_CARD):
            raise CitizenCanFix("the card does not answer (the wrong way round?)", "card_mute")
        _raise_for(rv, "connect")
        writing = {"sent": False}

        def transmit(command: bytes) -> bytes:
            ctx.check()
            # Once an append has gone out, whether it landed is the card's to say:
            # losing the card from here on leaves the write's outcome unknown.
            writing["sent"] = writing["sent"] or command[1] == 0xE2
            rv, response = scard.SCardTransmit(card, protocol, list(command))
            if rv in _CARD_GONE:
                raise CitizenCanFix(
                    "the card left the reader during a command",
                    interrupted if writing["sent"] else "card_removed",
                )
            _raise_for(rv, "transmit")
            return bytes(response)

        try:
            try:
                return talk(self.session_class(transmit))
            except terminal.ChipNotTrusted:  # the session is dead: once more, new keys
                return talk(self.session_class(transmit))
        finally:
            scard.SCardDisconnect(card, scard.SCARD_RESET_CARD)

    # --- the monitor thread -----------------------------------------------------------

    def _watch(self) -> None:
        context: int | None = None
        known: dict[str, int] = {}
        while not self._stop.is_set():
            if context is None:
                rv, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                if rv != scard.SCARD_S_SUCCESS:
                    context = None
                    self._set(Status(DeviceState.NO_DEVICE, {"card": "unknown"}))
                    self._stop.wait(0.5)
                    continue
                self._monitor_context = context
                known = {}
            rv, readers = scard.SCardListReaders(context, [])
            if rv in (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED):
                scard.SCardReleaseContext(context)
                context = self._monitor_context = None
                continue
            mine = [r for r in (readers or []) if r.startswith(self.wanted)][:1]
            if not mine:
                self._set(Status(DeviceState.NO_DEVICE, {"card": "unknown"}))
            states = [(r, known.get(r, scard.SCARD_STATE_UNAWARE)) for r in mine]
            states.append((PNP, known.get(PNP, scard.SCARD_STATE_UNAWARE)))
            rv, changed = scard.SCardGetStatusChange(context, WAIT_MS, states)
            if rv == scard.SCARD_E_TIMEOUT or rv == scard.SCARD_E_CANCELLED:
                continue
            if rv != scard.SCARD_S_SUCCESS:
                scard.SCardReleaseContext(context)
                context = self._monitor_context = None
                self._set(Status(DeviceState.NO_DEVICE, {"card": "unknown"}))
                self._stop.wait(0.2)
                continue
            for reader, state, _ in changed:
                known[reader] = state & ~scard.SCARD_STATE_CHANGED
                if reader != PNP:
                    self._set(Status(DeviceState.ONLINE, {"card": _card(state)}))
        if context is not None:
            self._monitor_context = None
            scard.SCardReleaseContext(context)

    def _set(self, status: Status) -> None:
        with self._lock:
            if status == self.status:
                return
            before, self.status = self.status, status
        self.on_event(StatusChanged(self.name, before, status))


def _card(state: int) -> str:
    if state & scard.SCARD_STATE_MUTE:
        return "mute"
    return "present" if state & scard.SCARD_STATE_PRESENT else "absent"


def _key(document_number: str, birth_date: str, expiry_date: str) -> str:
    try:
        return mrz_key_info(document_number, birth_date, expiry_date)
    except MrzError as exc:
        raise CitizenCanFix(str(exc), "bad_key") from None


def _raise_for(rv: int, what: str) -> None:
    if rv == scard.SCARD_S_SUCCESS:
        return
    message = f"{what}: {scard.SCardGetErrorMessage(rv)} ({rv & 0xFFFFFFFF:#010x})"
    if rv in _READER_GONE:
        raise LinkLost(message, "no_reader")
    raise PcscError(message, "pcsc")
