"""The resident ID card reader driver (SAM frames over a serial link).

`read_card` polls for a card (FIND), selects it and reads the text and photo; it
returns the identity record with the photo decoded by the plugin. A card that was
just read must leave the field before the reader finds it again; a card pulled
mid-read or two cards at once are the citizen's to fix (`user_action`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from drivers.device import SerialDevice
from drivers.id_card import sam
from drivers.id_card.photo import JpegStandIn, PhotoDecoder
from drivers.model import (
    CitizenCanFix,
    DeviceError,
    DeviceState,
    DeviceTimeout,
    ProtocolError,
    Status,
)
from drivers.worker import CommandContext, CommandHandle

POLL_S = 0.1


class CardProblem(CitizenCanFix):
    """The card moved, two cards, or a card this reader does not know."""


class SamFailure(DeviceError):
    """The SAM module failed: a technician's (DeviceError's default code and hint)."""


class SamIdCardReader(SerialDevice):
    """`id_card` driver. Config: `port`; options `baudrate` (115200)."""

    device_class = "id_card"
    carries_personal_data = True

    def __init__(
        self,
        port: str,
        name: str = "id_card",
        baudrate: int = 115200,
        on_event: Callable[[Any], None] | None = None,
        photo_decoder: PhotoDecoder | None = None,
    ) -> None:
        super().__init__(port, name, baudrate, on_event)
        self.photos = photo_decoder or JpegStandIn()
        self.status = Status(DeviceState.STARTING)

    def open(self, timeout_s: float = 3.0) -> CommandHandle:
        return self.worker.submit("open", self._sam_status, timeout_s)

    def query_status(self, timeout_s: float = 1.0) -> CommandHandle:
        return self.worker.submit("status", self._status, timeout_s)

    def read_card(self, timeout_s: float = 30.0) -> CommandHandle:
        return self.worker.submit("read", self._read_card, timeout_s)

    def self_test(self, timeout_s: float = 2.0) -> CommandHandle:
        return self.worker.submit("selftest", self._sam_id, timeout_s)

    # --- on the worker ------------------------------------------------------------

    def _sam_status(self, ctx: CommandContext) -> dict[str, str]:
        reply = self._ask(ctx, *sam.SAM_STATUS)
        if reply.sw3 != sam.SW_OK:
            self._set(Status(DeviceState.HARDWARE_ERROR, {"card": "unknown"}))
            raise SamFailure(f"SAM: {sam.SW_MEANING.get(reply.sw3, hex(reply.sw3))}", "sam_failed")
        if self.status.device is not DeviceState.ONLINE:
            self._set(Status(DeviceState.ONLINE, {"card": "absent"}))
        return {"sam": "ok"}

    def _status(self, ctx: CommandContext) -> dict[str, str]:
        """The SAM's state and, once a card was read, whether it is still on the reader:
        a card already read is not found again (the SAM finds new cards only) but can
        still be selected, so select says present or gone (the take-back step polls
        this until the citizen has the card)."""
        answer = self._sam_status(ctx)
        if self.status.media.get("card") == "present":
            still = self._ask(ctx, *sam.SELECT).sw3 == sam.SW_OK
            if not still:
                self._set(Status(DeviceState.ONLINE, {"card": "absent"}))
        return answer

    def _sam_id(self, ctx: CommandContext) -> dict[str, str]:
        reply = self._ask(ctx, *sam.READ_SAM_ID)
        if reply.sw3 != sam.SW_OK:
            raise SamFailure("cannot read the SAM id", "sam_failed")
        return {"sam_id": reply.data.hex()}

    def _read_card(self, ctx: CommandContext) -> dict[str, Any]:
        while self._ask(ctx, *sam.FIND).sw3 != sam.SW_FOUND:
            self._set(Status(DeviceState.ONLINE, {"card": "absent"}))
            time.sleep(min(POLL_S, max(0.0, ctx.remaining())))
            ctx.check()
        self._set(Status(DeviceState.ONLINE, {"card": "present"}))
        selected = self._ask(ctx, *sam.SELECT)
        if selected.sw3 != sam.SW_OK:
            raise CardProblem(
                "the card could not be selected (two cards, or moved)", "select_failed"
            )
        reply = self._ask(ctx, *sam.READ_TEXT_PHOTO)
        if reply.sw3 == 0x40:
            raise CardProblem("not a card this reader knows", "unknown_card_type")
        if reply.sw3 != sam.SW_OK:
            raise CardProblem("the card left the field while it was read", "card_moved")
        text_length = int.from_bytes(reply.data[0:2], "big")
        photo_length = int.from_bytes(reply.data[2:4], "big")
        if (text_length, photo_length) != (sam.TEXT_BYTES, sam.PHOTO_BYTES) or len(
            reply.data
        ) != 4 + text_length + photo_length:
            raise ProtocolError("the text and photo lengths do not match", "bad_frame")
        card = sam.decode_text(reply.data[4 : 4 + text_length])
        photo = self.photos.decode(reply.data[4 + text_length :])
        return {**card.fields, "card_type": card.card_type, "photo": photo}

    def _ask(self, ctx: CommandContext, cmd: int, para: int) -> sam.Reply:
        return self._guarded(ctx, lambda: self._exchange(ctx, cmd, para), {"card": "unknown"})

    def _exchange(self, ctx: CommandContext, cmd: int, para: int) -> sam.Reply:
        if not self.link.is_open:
            self.link.reconnect(ctx)
        # The reader speaks only when asked, and a reply names no command: bytes
        # before the request are a late answer (to one cancelled while the reader was
        # slow), which would be read as this one's and leave every answer one behind.
        self.link.drain_input()
        self.link.write(sam.command(cmd, para), ctx)
        head, noise = b"", 0
        try:
            head = self.link.read(5, ctx)
            while head != sam.PREAMBLE:  # line noise before the frame
                head, noise = head[1:] + self.link.read(1, ctx), noise + 1
        except DeviceTimeout:
            if head or noise:  # it answered, but not with a frame: that is no timeout
                raise ProtocolError("the reader answered with noise", "bad_frame") from None
            raise
        length_bytes = self.link.read(2, ctx)
        length = int.from_bytes(length_bytes, "big")
        if not 4 <= length <= 4096:
            raise ProtocolError(f"impossible frame length {length}", "bad_frame")
        return sam.parse_reply(head + length_bytes + self.link.read(length, ctx))
