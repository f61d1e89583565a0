"""The booth's call to the duty room: one call at a time, its states as the citizen
is told them, and its end.

States: calling (the INVITE is out), ringing (the duty room's phone rings: 180),
talking (answered: 200, the media flow), then one end: ended (either side hung
up), busy (486/600/603), no_answer (rang `ring_timeout_s` and nobody took it, or
the far end said 408/480/487), unreachable (nothing heard within
`connect_timeout_s`, refused, not found, or the SIP stack could not be started),
failed (anything else: the reason goes to the log).

The booth never takes a call: one that comes in is refused at once, so that
nobody can ring a booth and listen to the citizen standing in it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum

from kiosk.intercom.baresip import Baresip, Event, Phone, SipStackError
from kiosk.intercom.config import HelpSection

log = logging.getLogger("kiosk.intercom")


class CallState(StrEnum):
    CALLING = "calling"
    RINGING = "ringing"
    TALKING = "talking"
    ENDED = "ended"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


LIVE = frozenset({CallState.CALLING, CallState.RINGING, CallState.TALKING})

_BUSY = {486, 600, 603}
_NO_ANSWER = {408, 480, 487}
_UNREACHABLE = {404, 410, 484, 502, 503, 504}
# libre's words when no SIP answer came at all (ICMP, TCP refusal, timer B)
_NO_LINK = ("refused", "timed out", "unreachable", "no route", "host is down", "not found")


def outcome(reason: str, answered: bool) -> CallState:
    """What a call's end (CALL_CLOSED's reason) means for the citizen."""
    status = re.match(r"^\s*([3-6][0-9][0-9])\b", reason)
    if status is not None:
        code = int(status[1])
        if code in _BUSY:
            return CallState.BUSY
        if code in _NO_ANSWER:
            return CallState.NO_ANSWER
        if code in _UNREACHABLE:
            return CallState.UNREACHABLE
        return CallState.FAILED
    if answered or "reset by" in reason.lower():  # a BYE, either side's
        return CallState.ENDED
    if any(words in reason.lower() for words in _NO_LINK):
        return CallState.UNREACHABLE
    return CallState.FAILED


def phone_of(section: HelpSection) -> Phone:
    """The booth's baresip, from `[help]`."""
    assert section.sip_account is not None
    params = {"regint": "600" if section.sip_register else "0", "answermode": "manual"}
    if section.sip_password:
        params["auth_pass"] = section.sip_password
        params["auth_user"] = section.sip_account.split(":", 1)[1].split("@", 1)[0]
    if section.sip_proxy:
        params["outbound"] = f'"{section.sip_proxy}"'
    return Phone(
        account=section.sip_account,
        listen=section.sip_listen,
        account_params=params,
        media_address=section.media_address,
        audio_source=section.audio_source,
        audio_player=section.audio_player,
        video_source=section.video_source,
        video_size=section.video_size,
        video_fps=section.video_fps,
        baresip=section.baresip,
        modules=section.modules,
    )


Listener = Callable[[CallState], None]


class Intercom:
    """`dial(listener)` calls the duty room; the listener hears each state (calling
    on the caller's thread, the others on the intercom's). `hang_up()` ends the
    call (a no-op when none is up). Commands run one at a time on the intercom's
    own worker, as a device's do."""

    def __init__(self, section: HelpSection, phone: Phone | None = None) -> None:
        if section.sip_uri is None:
            raise ValueError("no [help] sip_uri: nothing to call")
        self.section = section
        self.target = section.sip_uri
        self.phone = phone or phone_of(section)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intercom")
        self._lock = threading.Lock()
        self._ua: Baresip | None = None
        self._listener: Listener | None = None
        self._state: CallState | None = None
        self._call_id = ""
        self._timer: threading.Timer | None = None
        self._timed_out: CallState | None = None
        self.media: set[str] = set()  # the duty room's RTP that reached the booth
        self.registered: bool | None = None  # None: no registration asked for

    @property
    def state(self) -> CallState | None:
        return self._state

    def start(self) -> None:
        """Start the phone now (a call then goes out at once), in the background; one
        that cannot start is tried again at the next call."""

        def start() -> None:
            try:
                self._ensure_started()
            except SipStackError as exc:
                log.error("help intercom: the SIP phone did not start: %s", exc)

        self._submit(start)

    def dial(self, listener: Listener) -> None:
        with self._lock:
            if self._state in LIVE:
                return
            self._listener, self._call_id, self._timed_out = listener, "", None
            self.media = set()
        self._tell(CallState.CALLING)
        self._submit(self._dial)

    def hang_up(self) -> None:
        with self._lock:
            live = self._state in LIVE
        if live:
            self._submit(self._hang_up)

    def close(self) -> None:
        """Hang up and stop the phone (the kiosk is closing); once is enough."""
        self.hang_up()
        self._submit(self._stop)
        self._worker.shutdown(wait=True)

    def _submit(self, work: Callable[..., object], *args: object) -> None:
        try:
            self._worker.submit(work, *args)
        except RuntimeError:  # closed: the phone is gone, nothing left to do
            pass

    # --- on the worker -------------------------------------------------------------------

    def _ensure_started(self) -> Baresip:
        if self._ua is not None and self._ua.alive:
            return self._ua
        if self._ua is not None:
            self._ua.stop()
        self._ua = Baresip(self.phone, self._on_event, self._on_exit)
        self._ua.start()
        return self._ua

    def _dial(self) -> None:
        # armed first: the duty room's 180 may come before baresip's answer to "dial"
        self._arm(self.section.connect_timeout_s, CallState.UNREACHABLE, CallState.CALLING)
        try:
            ua = self._ensure_started()
            answer = ua.command("dial", self.target)
        except SipStackError as exc:
            log.error("help intercom: the SIP phone cannot call: %s", exc)
            self._end(CallState.UNREACHABLE)
            return
        if not answer.get("ok"):
            log.error("help intercom: baresip refused to dial: %s", answer.get("data"))
            self._end(CallState.FAILED)

    def _hang_up(self) -> None:
        if self._ua is None or not self._ua.alive:
            self._end(CallState.ENDED)
            return
        try:
            answer = self._ua.command("hangup")
        except SipStackError as exc:
            log.error("help intercom: hangup: %s", exc)
            answer = {"ok": False}
        if not answer.get("ok"):  # no call left in baresip: no CALL_CLOSED will come
            self._end(self._timed_out or CallState.ENDED)

    def _stop(self) -> None:
        self._disarm()
        if self._ua is not None:
            self._ua.stop()
            self._ua = None

    def _timeout(self, state: CallState, waited_in: CallState) -> None:
        if self._state != waited_in:  # the call moved on as the timer fired
            return
        log.warning("help intercom: %s after waiting (%s)", state.value, self.target)
        self._timed_out = state
        self._hang_up()

    # --- from baresip's reader thread ------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if event.type.startswith("REGISTER_"):
            self.registered = event.type == "REGISTER_OK"
            log.log(logging.INFO if self.registered else logging.ERROR,
                    "help intercom: %s %s", event.type, event.param)  # fmt: skip
            return
        if event.direction == "incoming":
            if event.type == "CALL_INCOMING":  # nobody rings into a booth
                log.warning("help intercom: an incoming call refused")
                self._submit(self._refuse)
            return
        with self._lock:
            if self._state not in LIVE:
                return  # a late event of a call that has ended
            if self._call_id and event.call and event.call != self._call_id:
                return
            self._call_id = self._call_id or event.call
        if event.type in ("CALL_RINGING", "CALL_PROGRESS"):
            self._arm(self.section.ring_timeout_s, CallState.NO_ANSWER, CallState.RINGING)
            self._tell(CallState.RINGING)
        elif event.type == "CALL_ESTABLISHED":
            self._disarm()
            self._tell(CallState.TALKING)
        elif event.type == "CALL_RTPESTAB":
            self.media.add(event.param)
        elif event.type == "CALL_CLOSED":
            state = self._timed_out or outcome(event.param, self._state == CallState.TALKING)
            log.info("help intercom: call ended: %s (%s)", state.value, event.param)
            self._end(state)

    def _on_exit(self, why: str) -> None:
        if self._state in LIVE:
            self._end(CallState.FAILED)

    def _refuse(self) -> None:
        if self._state not in LIVE and self._ua is not None:
            try:
                self._ua.command("hangup")  # to an incoming call: 486
            except SipStackError:
                pass

    # --- states and timers -----------------------------------------------------------------

    def _end(self, state: CallState) -> None:
        self._disarm()
        self._tell(state)

    def _tell(self, state: CallState) -> None:
        with self._lock:
            if self._state == state:
                return
            self._state = state
            listener = self._listener
        if listener is not None:
            try:
                listener(state)
            except Exception:
                log.exception("help intercom: the listener failed")

    def _arm(self, seconds: float, state: CallState, waited_in: CallState) -> None:
        self._disarm()

        timer = threading.Timer(seconds, self._submit, (self._timeout, state, waited_in))
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
