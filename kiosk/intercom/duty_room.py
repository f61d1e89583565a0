"""A simulated duty room: a second baresip on loopback that takes the booth's calls,
for `kiosk run --sim` and the tests. It is a real SIP phone (baresip's own SIP
parser reads the booth's INVITE); it only decides what a duty officer would do:
answer after a ring or two, be busy (486), or let it ring.

It sends a tone and a test picture (`ausine`, `fakevideo`) back over RTP; with
`record_to`, the tests' peer dumps the booth's audio as it heard it (`sndfile`),
so that a test can check the booth's sound really arrived.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.intercom.baresip import Baresip, Event, Phone, free_udp_port

log = logging.getLogger("kiosk.intercom.duty_room")

Mode = Literal["answer", "busy", "silent"]


@dataclass(frozen=True)
class IncomingCall:
    caller: str  # the From address baresip read in the INVITE
    call: str  # baresip's call id


class DutyRoom:
    """`start()` then call `uri`; `mode` may change at any time."""

    def __init__(
        self,
        mode: Mode = "answer",
        answer_after_s: float = 1.5,
        record_to: Path | None = None,
        tone_hz: int = 440,
        registrar: str | None = None,
    ) -> None:
        """`registrar` (host:port): the room registers there as duty@ and is called
        through it; none: it is called directly on its own port."""
        self.mode: Mode = mode
        self.answer_after_s = answer_after_s
        self.port = free_udp_port()
        self.uri = f"sip:duty@{registrar or f'127.0.0.1:{self.port}'}"
        self.calls: list[IncomingCall] = []
        self.events: list[Event] = []
        self.changed = threading.Condition()
        self.phone = Phone(
            account=self.uri,
            listen=f"127.0.0.1:{self.port}",
            account_params={"regint": "60" if registrar else "0", "answermode": "manual"},
            media_address="127.0.0.1",
            audio_source=f"ausine,{tone_hz}",
            audio_player="aubridge,nil",  # no loudspeaker on a build machine
            video_source="fakevideo,nil",
            video_size="160x120",
            video_fps=5,
            record_to=record_to,
        )
        self._ua = Baresip(self.phone, self._on_event)

    def start(self) -> DutyRoom:
        self._ua.start()
        log.info("simulated duty room answers at %s (%s)", self.uri, self.mode)
        return self

    def stop(self) -> None:
        self._ua.stop()

    def hang_up(self) -> None:
        """The officer puts the phone down."""
        self._ua.command("hangup")

    def call(self, uri: str) -> None:
        """The duty room rings a booth (which must refuse: the tests check it)."""
        self._ua.command("dial", uri)

    def wait_for(self, kind: str, param: str | None = None, timeout_s: float = 5.0) -> Event:
        """The first event of this type (and param) seen, waiting for it if needed."""
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while True:
                for event in self.events:
                    if event.type == kind and param in (None, event.param):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [e.type for e in self.events]
                    raise TimeoutError(f"the duty room saw no {kind} {param or ''} (saw {seen})")
                self.changed.wait(left)

    def _on_event(self, event: Event) -> None:
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()
        if event.type != "CALL_INCOMING":
            return
        self.calls.append(IncomingCall(caller=event.peer, call=event.call))
        if self.mode == "busy":
            threading.Thread(target=self._command, args=("hangup",), daemon=True).start()
        elif self.mode == "answer":
            timer = threading.Timer(self.answer_after_s, self._command, args=("accept",))
            timer.daemon = True
            timer.start()

    def _command(self, name: str) -> None:
        try:
            self._ua.command(name)
        except Exception as exc:  # the room may be stopping
            log.warning("duty room: %s: %s", name, exc)
