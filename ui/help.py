"""求助 on the screen: the help overlay's state while the call goes out and after.

The overlay says "called at 14:02, an officer will come" only once the backend has
given its receipt (`kiosk.help_line`); until then it says that it is calling, and
if nobody could be told it gives the city pack's phone number and the nearest
staffed counter instead. One call per citizen: tapping 求助 again shows the same
answer; the session's end (or a minute idle on home) forgets it.

With an intercom (`[help] sip_uri`, kiosk/intercom), 求助 also calls the duty room
by video: `callState` follows that call (calling, ringing, talking, then how it
ended), and a failed call gives the phone number as well. Closing the overlay,
the session's end or the citizen's leaving hangs up: no line stays open on a booth
whose screen says the help is over. Tapping 求助 again after a call ended calls
again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Property, QObject, Signal

from kiosk.help_line import HelpAnswer, HelpLine
from kiosk.intercom import LIVE, CallState, Intercom
from wire.sync import HelpCall

log = logging.getLogger("kiosk.ui.help")

IDLE, CALLING, CALLED, NOT_CALLED = "idle", "calling", "called", "not_called"
# the ends of a video call after which the citizen needs the phone number
CALL_FAILED = frozenset({CallState.BUSY, CallState.NO_ANSWER, CallState.UNREACHABLE,
                         CallState.FAILED})  # fmt: skip


class HelpDesk(QObject):
    changed = Signal()
    _answered = Signal(int, object)  # the call's generation, its HelpAnswer
    _call_news = Signal(int, str)  # the call's generation, its CallState

    def __init__(
        self,
        line: HelpLine | None,
        contacts: Callable[[], tuple[str, str]],
        intercom: Intercom | None = None,
    ) -> None:
        super().__init__()
        self.line = line  # none: this terminal has no backend link
        self.contacts = contacts  # the city pack's phone number and nearest counter
        self.intercom = intercom  # none: no video call to the duty room
        self._call = ""  # the video call's state, "" before any
        self._state = IDLE
        self._called_at = ""
        self._queued = False
        self._generation = 0
        self._answered.connect(self._on_answer)
        self._call_news.connect(self._on_call)

    @Property(str, notify=changed)
    def state(self) -> str:
        return self._state

    @Property(str, notify=changed)
    def calledAt(self) -> str:
        return self._called_at

    @Property(bool, notify=changed)
    def queued(self) -> bool:
        return self._queued

    @Property(str, notify=changed)
    def callState(self) -> str:
        return self._call

    @Property(bool, notify=changed)
    def callLive(self) -> bool:
        return self._call in LIVE

    @Property(bool, notify=changed)
    def needsPhone(self) -> bool:
        """The phone number is shown: the video call did not get through, or without
        one, the backend could not be told (a call under way or made says more
        than the backend's silence)."""
        return self._call in CALL_FAILED or (self._state == NOT_CALLED and not self._call)

    @Property(str, notify=changed)
    def phone(self) -> str:
        return self.contacts()[0]

    @Property(str, notify=changed)
    def counter(self) -> str:
        return self.contacts()[1]

    def call(self, where: HelpCall, session: str | None) -> None:
        """Send the call on a thread of its own (the screen never waits on the
        network); nothing new while one is under way, made or queued. The video
        call goes out beside it."""
        self._dial()
        if self._state in (CALLING, CALLED) or self._queued:
            return
        if self.line is None:
            self._set(NOT_CALLED)
            return
        line, generation = self.line, self._generation
        self._set(CALLING)

        def run() -> None:
            try:
                answer = line.call(where, session)
            except Exception:  # a bug: the citizen gets the phone number, not a hang
                log.exception("the help call failed")
                answer = HelpAnswer(called_at=None, queued=False)
            self._answered.emit(generation, answer)

        threading.Thread(target=run, daemon=True, name="help-call").start()

    def hang_up(self) -> None:
        """The citizen closed the help: the video call ends (the state says so when
        baresip has hung up)."""
        if self.intercom is not None and self._call in LIVE:
            self.intercom.hang_up()

    def forget(self) -> None:
        """The citizen has gone: their call is hung up, a late answer is dropped."""
        self.hang_up()
        self._generation += 1
        self._called_at, self._queued, self._call = "", False, ""
        self._set(IDLE)

    def _dial(self) -> None:
        if self.intercom is None or self._call in LIVE:
            return
        generation = self._generation
        self._call = CallState.CALLING.value
        self.changed.emit()
        self.intercom.dial(lambda state: self._call_news.emit(generation, state.value))

    def _on_call(self, generation: int, state: str) -> None:
        if generation != self._generation:
            return
        self._call = state
        self.changed.emit()

    def _on_answer(self, generation: int, answer: HelpAnswer) -> None:
        if generation != self._generation:
            return
        self._queued = answer.queued
        if answer.called_at is not None:
            self._called_at = datetime.fromtimestamp(answer.called_at).strftime("%H:%M")
            self._set(CALLED)
        else:
            self._set(NOT_CALLED)

    def _set(self, state: str) -> None:
        self._state = state
        self.changed.emit()
