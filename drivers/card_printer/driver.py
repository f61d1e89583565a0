"""The rewritable card printer driver: the transport's frames, the module's own
commands (frames.py).

Every command runs on the device's worker with a deadline and a cancel flag; each
answer also has a short deadline of its own (`ANSWER_S`, more for the head's passes),
so a module that goes silent in the middle of an image is a timeout at once, never
the whole command's time later.

`rewrite(raster)` is what a step wants: the strip erased (once more if the erase did
not take: a worn strip, the erase temperature not reached), the image printed, and
read back and compared where the module can read (`verified` True; None where it
cannot). A hot head is waited for (it cools in seconds); a head error is for a
technician. The image goes in chunks, each with a CRC-16 the module checks (the
frame's XOR misses two flips in one bit column); a refused chunk is sent again, at
the same offset, so a resent chunk never doubles. The print names the CRC-32 of the
whole image: the module prints only what it fully received.

Hot-plug identity: the module's serial number (A2 30). A link that comes back behind
the same path with another serial is a swapped device (`DeviceSwapped`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drivers.card_printer import frames as fr
from drivers.card_printer.raster import Raster
from drivers.card_transport.wire import CrtWire
from drivers.device import SerialDevice
from drivers.model import (
    Code,
    DeviceError,
    DeviceState,
    DeviceSwapped,
    InvalidData,
    ProtocolError,
    Recovery,
    Status,
)
from drivers.worker import CommandContext, CommandHandle

ANSWER_S = 1.0  # an answer to a plain command
HEAT_S = 4.0  # an answer to an erase or a print: the head passes over the strip first
COOL_POLL_S = 0.2
RESENDS = 2  # a frame NAKed (bad BCC), or a chunk refused (bad CRC), is sent again this often
UNKNOWN = {"card": "unknown", "strip": "unknown", "head": "unknown"}


class PrinterError(DeviceError):
    """A negative answer of the module, typed by its E1E0 code."""


class HeadError(PrinterError):
    code, recovery = Code.HARDWARE_ERROR, Recovery.OPERATOR


class HeadTooHot(PrinterError):
    code, recovery = Code.DEVICE_NOT_READY, Recovery.RETRY


class NoCard(PrinterError):
    code, recovery = Code.DEVICE_NOT_READY, Recovery.OPERATOR


class NotErased(PrinterError):
    code, recovery = Code.SEQUENCE_ERROR, Recovery.OPERATOR


class NoReadback(PrinterError):
    code, recovery = Code.UNSUPPORTED, Recovery.NONE


class BadImage(PrinterError):
    """The module received the image otherwise than sent (a chunk's or the image's CRC)."""

    code, recovery = Code.HARDWARE_ERROR, Recovery.RETRY


class OutOfSequence(PrinterError):
    code, recovery = Code.SEQUENCE_ERROR, Recovery.OPERATOR


class Unsupported(PrinterError):
    code, recovery = Code.UNSUPPORTED, Recovery.OPERATOR


class BadParameter(PrinterError):
    code, recovery = Code.INVALID_DATA, Recovery.OPERATOR


class VerifyFailed(PrinterError):
    """The strip read back is not the image printed."""

    code, recovery = Code.HARDWARE_ERROR, Recovery.OPERATOR


ERROR_CLASSES: dict[str, type[PrinterError]] = {
    "undefined_command": Unsupported,
    "bad_parameter": BadParameter,
    "sequence_error": OutOfSequence,
    "no_card": NoCard,
    "head_error": HeadError,
    "head_too_hot": HeadTooHot,
    "not_erased": NotErased,
    "no_readback": NoReadback,
    "chunk_checksum": BadImage,
    "image_checksum": BadImage,
}


class TrwCardPrinter(SerialDevice):
    """`card_printer` driver. Config: `port`; options `baudrate` (115200)."""

    device_class = "card_printer"
    wire_class = CrtWire  # the exchange of frames (a conformance mutant brings its own)

    def __init__(
        self,
        port: str,
        name: str = "card_printer",
        baudrate: int = 115200,
        on_event: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(port, name, baudrate, on_event)
        self.wire = self.wire_class(self.link, "the card printer", fr.CHUNK_BYTES + 16, RESENDS)
        self.identity: str | None = None  # firmware and serial: who answers
        self.firmware = ""
        self.area: dict[str, Any] = {}  # width, height (dots), dpi, readback
        self._identified = 0  # the link's opening the identity was read on

    # --- commands (each returns a handle; the completion comes as an event) -------------

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._open, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def self_test(self, timeout_s: float = 2.0) -> CommandHandle:
        def test(ctx: CommandContext) -> dict[str, Any]:
            return {**self._status(ctx), **self._area(ctx)}

        return self.worker.submit("self_test", test, timeout_s)

    def erase(self, timeout_s: float = 10.0) -> CommandHandle:
        return self.worker.submit("erase", self._erase, timeout_s)

    def print_image(self, raster: Raster, timeout_s: float = 20.0) -> CommandHandle:
        """The image on the strip as it is (an unerased strip is refused: not_erased)."""
        return self.worker.submit("print_image", lambda c: self._print(c, raster), timeout_s)

    def read_back(self, timeout_s: float = 10.0) -> CommandHandle:
        """The raster the strip holds (data); unsupported/no_readback if it cannot."""
        return self.worker.submit("read_back", self._read_back, timeout_s)

    def rewrite(self, raster: Raster, timeout_s: float = 30.0) -> CommandHandle:
        """Erase, print, read back and compare: data `verified` (None: cannot read)."""
        return self.worker.submit("rewrite", lambda c: self._rewrite(c, raster), timeout_s)

    # --- on the worker ----------------------------------------------------------------

    def _open(self, ctx: CommandContext) -> dict[str, Any]:
        reply = self._command(ctx, fr.INIT, fr.ASK)
        self.firmware = reply.data.decode("ascii", "replace")
        self._identify(ctx)
        self._area(ctx)
        return {**self._status(ctx), "identity": self.identity, **self.area}

    def _identify(self, ctx: CommandContext) -> None:
        self._identified = self.link.opened
        serial = self._command(ctx, fr.SERIAL, fr.ASK).data.decode("ascii", "replace")
        identity = f"{self.firmware}:{serial}"
        if self.identity is not None and identity != self.identity:
            self.on_event(DeviceSwapped(self.name, self.identity, identity))
        self.identity = identity

    def _area(self, ctx: CommandContext) -> dict[str, Any]:
        text = self._command(ctx, fr.AREA, fr.ASK).data.decode("ascii", "replace")
        if len(text) != 12 or not text.isdigit():
            raise ProtocolError(f"the strip's size makes no sense: {text!r}", "bad_frame")
        self.area = {"width": int(text[:4]), "height": int(text[4:8]), "dpi": int(text[8:11]),
                     "readback": text[11] == "1"}  # fmt: skip
        return dict(self.area)

    def _status(self, ctx: CommandContext) -> dict[str, str]:
        reply = self._command(ctx, fr.STATUS, fr.ASK)
        st0, st1 = reply.status[0], reply.status[1]
        media = {
            "card": fr.CARD.get(st0, "unknown"),
            "strip": fr.STRIP.get(st0, "unknown"),
            "head": fr.HEAD.get(st1, "unknown"),
            "head_c": reply.data.decode("ascii", "replace").lstrip("0") or "0",
        }
        state = DeviceState.HARDWARE_ERROR if media["head"] == "error" else DeviceState.ONLINE
        self._set(Status(state, media))
        return media

    def _erase(self, ctx: CommandContext) -> dict[str, str]:
        self._heat(ctx, fr.ERASE, fr.ASK)
        return self._status(ctx)

    def _rewrite(self, ctx: CommandContext, raster: Raster) -> dict[str, Any]:
        self._fits(ctx, raster)
        for _ in range(2):  # an erase that did not take is tried once more
            if self._erase(ctx)["strip"] == "erased":
                break
        else:
            raise NotErased("the strip stays written after two erases", "not_erased")
        self._print(ctx, raster)
        verified: bool | None = None
        if self.area.get("readback"):
            verified = self._read_back(ctx) == raster
            if not verified:
                raise VerifyFailed("the strip read back is not the image printed",
                                   "verify_failed")  # fmt: skip
        return {"verified": verified, "dots": raster.dots(), "media": dict(self.status.media)}

    def _fits(self, ctx: CommandContext, raster: Raster) -> None:
        if not self.area:
            self._area(ctx)
        size = (self.area["width"], self.area["height"])
        if (raster.width, raster.height) != size:
            raise InvalidData(f"a {raster.width}x{raster.height} image for a strip of "
                              f"{size[0]}x{size[1]} dots", "wrong_size")  # fmt: skip

    def _print(self, ctx: CommandContext, raster: Raster) -> dict[str, str]:
        self._fits(ctx, raster)
        self._command(ctx, fr.IMAGE, fr.BEGIN, fr.begin(raster.width, raster.height))
        for offset in range(0, len(raster.data), fr.CHUNK_BYTES):
            self._chunk(ctx, offset, raster.data[offset : offset + fr.CHUNK_BYTES])
        self._heat(ctx, fr.IMAGE, fr.PRINT, fr.crc32(raster.data).to_bytes(4, "big"))
        return self._status(ctx)

    def _chunk(self, ctx: CommandContext, offset: int, data: bytes) -> None:
        for attempt in range(RESENDS + 1):
            try:
                self._command(ctx, fr.IMAGE, fr.CHUNK, fr.chunk(offset, data))
                return
            except BadImage:  # bent on the way in: the same chunk again, same offset
                if attempt == RESENDS:
                    raise

    def _read_back(self, ctx: CommandContext) -> Raster:
        if not self.area:
            self._area(ctx)
        width, height = self.area["width"], self.area["height"]
        size, data = (width + 7) // 8 * height, b""
        while len(data) < size:
            ask = min(fr.CHUNK_BYTES, size - len(data))
            reply = self._command(ctx, fr.READ_BACK, fr.ASK, fr.read_request(len(data), ask))
            got = fr.read_answer(len(data), reply.data)
            if got is None or len(got) != ask:
                raise ProtocolError("a read-back chunk came bent", "bad_frame")
            data += got
        return Raster(width, height, data)

    def _heat(self, ctx: CommandContext, cm: int, pm: int, data: bytes = b"") -> None:
        """A command that heats the head (erase, print): a hot head is waited for."""
        while True:
            try:
                self._command(ctx, cm, pm, data, answer_s=HEAT_S)
                return
            except HeadTooHot:
                self._cool(ctx)

    def _cool(self, ctx: CommandContext) -> None:
        """Wait while the head is too hot (it cools by itself in seconds)."""
        while self._status(ctx)["head"] == "too_hot":
            if ctx.remaining() <= COOL_POLL_S:
                raise HeadTooHot("the head did not cool in time", "head_too_hot")
            if ctx.cancelled.wait(COOL_POLL_S):
                ctx.check()

    def _command(
        self, ctx: CommandContext, cm: int, pm: int, data: bytes = b"", answer_s: float = ANSWER_S
    ) -> fr.Reply:
        reply = self._guarded(ctx, lambda: self._exchange(ctx, cm, pm, data, answer_s), UNKNOWN)
        if self.link.opened != self._identified and cm != fr.SERIAL and self._identified:
            self._identify(ctx)  # the link was reopened: is it the same module?
        if not reply.positive:
            error = fr.ERRORS.get(reply.status, f"error_{reply.status}")
            if error == "head_error":
                self._status_quietly(ctx)
            raise ERROR_CLASSES.get(error, PrinterError)(
                f"the card printer refused {cm:#04x}/{pm:#04x}: {error}", error
            )
        return reply

    def _exchange(
        self, ctx: CommandContext, cm: int, pm: int, data: bytes, answer_s: float
    ) -> fr.Reply:
        return self.wire.exchange(ctx, cm, pm, data, answer_s)

    def _status_quietly(self, ctx: CommandContext) -> None:
        try:
            self._status(ctx)
        except DeviceError:
            pass
