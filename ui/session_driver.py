"""The session driver: runs a citizen's session of the flow engine on the Qt main thread.

The engine decides, the driver carries out: each outcome's transition is journalled
first, then its effects run (a screen, a voice prompt, a service step, a timer).
Services answer later, on this thread, through a queued call: the GUI never waits
on a device. When a session ends, `wipe()` clears everything it held.

The shell (ui/shell.py) owns the driver and shows what it holds: the step on screen,
a device step's news, why the service could not go on, the timeout warning. Of the
shell the driver reads its configuration (step services, voice and language,
journal, clock, camera, receipts) and tells it the screen to show. A photo step
on a terminal with a camera is served by the camera screen (ui/camera_step.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from flows import events as ev
from flows.demo import DemoServices
from flows.engine import FlowEngine
from flows.model import Flow
from flows.results import Rating
from flows.session import Session
from flows.transcript import Transcript, step_records
from kiosk.privacy import Redactor
from ui.camera_step import CameraStep
from ui.qml_values import spoken

if TYPE_CHECKING:
    from ui.shell import KioskShell

log = logging.getLogger("kiosk.ui.shell")  # the shell's log: its readers' filters hold

SERVICE_SCREENS = {"backend": "working", "print": "working", "write_chip": "working"}
# What the citizen does on a screen whose text does not say it: spoken after the
# step's own prompt (the device steps' prompts already say where to put what).
ACTIONS = {
    "choose": "ui.voice.action.choose",
    "form": "ui.voice.action.form",
    "info": "ui.voice.action.info",
    "confirm": "ui.voice.action.confirm",
    "rate": "ui.voice.action.rate",
    "done": "ui.voice.action.done",
}


class SessionDriver(QObject):
    """One session at a time: the engine, the step on screen, the timers that run."""

    serviceDone = Signal(object)  # a step's answer, carried onto this thread
    progressed = Signal(object)  # news from a device step's thread

    def __init__(self, shell: KioskShell) -> None:
        super().__init__(shell)  # its timers go with the shell
        self.shell = shell
        self.demo = DemoServices()
        self.engine: FlowEngine | None = None
        self.session: Session | None = None
        self.transcript: Transcript | None = None
        self.show: ev.Show | None = None
        self.progress: dict[str, Any] = {}
        self.failure = ""
        self.warning = -1
        self.extensions_left = 0
        self.step_started = 0.0
        self.photos: dict[str, bytes] = {}  # the session's photos, by ref
        self.last_steps: list[dict[str, Any]] = []  # the last session's step records
        self.last_taps = 0
        self._action: str | None = None  # the new screen's action, said after its prompt
        self._pending: dict[str, QTimer] = {}
        self._timers: set[QTimer] = set()
        self._cancels: dict[str, Callable[[], None]] = {}
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick_warning)
        self.serviceDone.connect(self.handle)
        self.progressed.connect(self._on_progress)
        self.camera = CameraStep(self)  # the capture_photo step, when there is a camera

    def hand_in(self, services: Any) -> None:
        """What the step services are given of the session, where they take it."""
        if hasattr(services, "progress"):  # news from a device step's thread
            services.progress = self.progressed.emit
        photo = self.shell.photo_step
        if hasattr(services, "preview") and photo is not None:
            # the face check's camera, on the screen: its tap feeds the image provider
            services.preview = lambda tap: setattr(photo.images, "tap", tap)
        if hasattr(services, "session_photos"):  # the backend stores the photo
            services.session_photos = self.photos.get
        if hasattr(services, "citizen_session"):  # named in the backend's audit
            services.citizen_session = lambda: self.session.id if self.session else None

    def start(self, flow: Flow, taps: int) -> None:
        """A citizen's session of `flow`; `taps`: the tile's tap, when a finger started it."""
        self.session = Session(flow.flow, Redactor())
        self.engine = FlowEngine(flow, self.session)
        self.transcript = Transcript(flow, self.session.id, start_taps=taps)
        if self.shell.journal is not None:
            self.shell.journal.begin(self.session.id, flow.flow, flow.version)
        self._apply(self.engine.start(self.shell.clock()))

    def tapped(self) -> bool:
        """A finger on the screen, counted for the step shown (False: no session)."""
        if self.transcript is None:
            return False
        self.transcript.tap()
        return True

    def seconds_left(self) -> int:
        """How long the step on screen has left (-1: no session's step)."""
        engine, show = self.engine, self.show
        if engine is None or show is None or show.step_id not in engine.flow.steps:
            return -1
        timeout = engine.flow.timeout_of(show.step_id)
        return max(0, int(timeout - (self.shell.clock() - self.step_started)))

    def _say(self, message_id: str, *, then: bool = False) -> None:
        self.shell.voice.say(message_id, self.shell.visit.lang, then=then)

    def _on_progress(self, news: dict[str, Any]) -> None:
        if self.engine is not None and not self.shell.closed:
            said = spoken(self.progress)
            self.progress = dict(news)
            if spoken(news) not in (None, said):  # the face check's new ask, said aloud
                self._say(str(spoken(news)))
            self.shell.screenChanged.emit()

    # --- the engine's outcomes ----------------------------------------------------------

    def handle(self, event: ev.Event) -> None:
        if self.engine is None or self.engine.ended:
            return
        if (
            self.transcript is not None
            and self.session is not None
            and isinstance(event, ev.Answer | ev.Back | ev.Cancel | ev.Extend)
        ):
            self.transcript.input(event, self.session)
        if isinstance(event, ev.StepCompleted | ev.StepFailed):
            self._cancels.pop(event.step_id, None)
        if isinstance(event, ev.StepFailed):
            # said calmly on the screens that follow: what happened, where to go
            self.failure = f"ui.failure.{event.code}"
        self._apply(self.engine.handle(event))

    def _apply(self, outcome: ev.Outcome) -> None:
        """Journal first, then the effects: a crash between them is recoverable."""
        if outcome.transition is not None and self.shell.journal is not None:
            self.shell.journal.record(outcome.transition)
        if self.transcript is not None and self.session is not None:
            if outcome.transition is not None:
                self.transcript.transition(outcome.transition, self.session)
            for effect in outcome.effects:
                self.transcript.effect(effect)
        for effect in outcome.effects:
            self.effect(effect)

    def effect(self, effect: ev.Effect) -> None:
        """One effect carried out (the gallery shows its screens through here too)."""
        match effect:
            case ev.Show():
                self._clear_warning()
                if self.show is None or self.show.step_id != effect.step_id:
                    self.step_started = self.shell.clock()
                    self.progress = {}
                    self._action = ACTIONS.get(effect.step_type)
                self.show = effect
                screen = SERVICE_SCREENS.get(effect.step_type, effect.step_type)
                if effect.step_type == "capture_photo" and self.camera.ready():
                    screen = "camera"
                self.shell.show_screen(screen)
                if effect.errors and self.engine is not None:  # said, not only shown
                    self._say(next(iter(effect.errors.values())))
            case ev.Say(message_id=message_id):
                self._say(message_id)
                if self._action is not None:  # the screen's prompt, then what to do
                    self._say(self._action, then=True)
                    self._action = None
            case ev.Perform():
                self._perform(effect)
            case ev.Abort(step_id=step_id) if self.shell.screen == "camera":
                self.camera.stop()
            case ev.Abort(step_id=step_id) if step_id in self._cancels:
                self._cancels.pop(step_id)()
            case ev.Abort(step_id=step_id):
                timer = self._pending.pop(step_id, None)
                if timer is not None and timer in self._timers:
                    self._timers.discard(timer)
                    timer.stop()
                    timer.deleteLater()
            case ev.StartTimer(timer=name, due=due, token=token):
                self._later(max(0.0, due - self.shell.clock()), ev.TimerFired(due, name, token))
            case ev.WarnTimeout(seconds_left=left, extensions_left=extensions):
                self._action = None  # the warning is said alone
                self.warning, self.extensions_left = int(left), extensions
                self._countdown.start()
                self.shell.warningChanged.emit()
                self._say("ui.timeout.voice")
            case ev.EndSession(outcome=outcome):
                self._report_end(outcome)
                if self.transcript is not None:  # the steps and taps, nothing entered
                    finished = self.transcript.finish(outcome, self.shell.clock())
                    self.last_steps = step_records(finished)
                    self.last_taps = finished["taps"]
                self.shell.wipe()

    def _perform(self, perform: ev.Perform) -> None:
        from flows.runner import service_event  # the headless runner's reading of results

        assert self.engine is not None
        if perform.step_type == "capture_photo" and self.camera.ready():
            self.camera.take(perform)
            return
        shell = self.shell
        services = shell.step_services
        flow = self.engine.flow
        if hasattr(services, "serves") and services.serves(perform.step_type):
            step_id = perform.step_id

            def finish(entry: dict[str, Any]) -> None:  # on a driver's thread
                if shell.closed:
                    return  # the screen is going away: nobody to tell
                try:
                    event = service_event(flow, step_id, entry, shell.clock())
                except Exception:  # a result the step cannot take: failed, not hung
                    log.exception("a device step's result does not fit %s", step_id)
                    event = ev.StepFailed(shell.clock(), step_id, "invalid_data")
                self.serviceDone.emit(event)

            self._cancels[step_id] = services.start(
                perform.step_type, perform.params, perform.inputs, finish
            )
            return
        demo = services if hasattr(services, "reply") else (services.fallback or self.demo)
        delay, fields = demo.reply(perform)
        entry = {"fail": fields["fail"]} if "fail" in fields else {"result": fields}
        self._pending[perform.step_id] = self._once(
            delay,
            lambda: self.serviceDone.emit(
                service_event(flow, perform.step_id, entry, shell.clock())
            ),
        )

    # --- timers ---------------------------------------------------------------------------

    def _later(self, seconds: float, event: ev.Event) -> None:
        self._once(seconds, lambda: self.handle(_at(event, self.shell.clock())))

    def _once(self, seconds: float, action: Callable[[], None]) -> QTimer:
        """A one-off timer that is gone once it fired (or when the session ends):
        500 sessions leave no timers behind."""
        timer = QTimer(self)
        timer.setSingleShot(True)

        def fire() -> None:
            self._timers.discard(timer)
            timer.deleteLater()
            action()

        timer.timeout.connect(fire)
        timer.start(int(seconds * 1000))
        self._timers.add(timer)
        return timer

    def _tick_warning(self) -> None:
        if self.warning > 0:
            self.warning -= 1
            self.shell.warningChanged.emit()

    def _clear_warning(self) -> None:
        self._countdown.stop()
        if self.warning != -1:
            self.warning = -1
            self.shell.warningChanged.emit()

    # --- the end of a session -------------------------------------------------------------

    def _report_end(self, outcome: str) -> None:
        """The session's end (and its rating) for the backend, before the wipe."""
        services = self.shell.step_services
        if self.session is None or not hasattr(services, "session_ended"):
            return
        ratings = [r.level for r in self.session.collected.values() if isinstance(r, Rating)]
        try:
            # the steps reached and their seconds: the transcript's, nothing entered
            report = None if self.transcript is None else (
                self.transcript.end(outcome, self.shell.clock()))  # fmt: skip
            services.session_ended(
                self.session.id,
                self.session.flow,
                outcome,
                ratings[-1] if ratings else None,
                report,
            )
        except Exception:  # the citizen's session ends all the same; the log says why
            log.exception("the session's end could not be queued for the backend")

    def wipe(self) -> None:
        """Nothing of the citizen stays: the session, its timers, photos and screen."""
        for timer in self._timers:
            timer.stop()
            timer.deleteLater()
        self._timers.clear()
        self._pending.clear()
        for cancel in self._cancels.values():
            cancel()
        self._cancels.clear()
        if hasattr(self.shell.step_services, "wipe"):
            self.shell.step_services.wipe()  # the card photos read in this session
        self.camera.stop()  # the camera's frames and the photo go with the session
        self.photos.clear()
        if self.session is not None:
            self.session.wipe()
        self.session = None
        self.transcript = None
        self.engine = None
        self.show = None
        self.failure = ""
        self.progress = {}
        self._clear_warning()
        self._action = None


def _at(event: ev.Event, now: float) -> ev.Event:
    return type(event)(**{**event.__dict__, "now": now})
