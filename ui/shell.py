"""The shell: runs the flow engine on the Qt main thread and shows its steps.

The engine decides, the shell carries out: each outcome's transition is journalled
first, then its effects run (a screen, a voice prompt, a service step, a timer).
Services answer later, on this thread, through a queued call: the GUI never waits
on a device. When a session ends, `wipe()` clears everything the screens held.

QML reads the current screen from properties here and calls the slots; it holds
no text of its own (`qsTrId` ids only) and no personal data beyond the confirm
step's values, which are gone with the next screen.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from flows import events as ev
from flows.demo import DemoServices
from flows.engine import FlowEngine
from flows.model import Flow
from flows.results import Photo, Rating
from flows.session import Session
from flows.transcript import Transcript, step_records
from kiosk.citypack import load_pack
from kiosk.photo.process import Made
from kiosk.photo.spec import SpecError
from kiosk.places import children, full_name, known, provinces
from kiosk.privacy import Redactor
from kiosk.strings import KNOWN_LANGUAGES, right_to_left
from offline_cache.journal import Journal
from ui.camera import PhotoStep
from ui.commissioning import Commissioning
from ui.help import CALLED, NOT_CALLED, HelpDesk
from ui.maintenance import MaintenanceDesk
from ui.sleep import ScreenSleep
from ui.theme import Theme
from ui.voice import Voice
from wire.sync import HelpCall

log = logging.getLogger("kiosk.ui.shell")

# Qt's own type names: QML gets JavaScript objects and arrays (PySide's stubs type
# Property's first argument as a Python type only)
QVARIANT_MAP: Any = "QVariantMap"
QVARIANT_LIST: Any = "QVariantList"

SERVICE_SCREENS = {"backend": "working", "print": "working", "write_chip": "working"}
# A citizen who changed the language or the text size on the home screen and left
# without starting: the next one finds the terminal's own choices after this long.
HOME_IDLE_S = 60
# Said once per approach: when someone comes up to the terminal (the presence
# sensor, where there is one) or first touches the home screen; again only after
# the home screen was idle for HOME_IDLE_S or a session ended.
GREETING = "ui.home.greeting"
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


@dataclass(frozen=True)
class Service:
    """A tile on the home screen."""

    flow: Flow
    unavailable: str | None = None  # why not now: a message id


class KioskShell(QObject):
    screenChanged = Signal()
    languageChanged = Signal()
    modeChanged = Signal()
    warningChanged = Signal()
    clockChanged = Signal()
    sessionReset = Signal()  # what a citizen chose is undone: the keyboard follows
    _serviceDone = Signal(object)
    _progressed = Signal(object)

    def __init__(
        self,
        services: list[Service],
        voice: Voice,
        *,
        journal: Journal | None = None,
        step_services: Any = None,
        language: str = "zh_CN",
        terminal: str = "",
        clock: Callable[[], float] = time.monotonic,
        on_language: Callable[[str], None] | None = None,
        photo: PhotoStep | None = None,
        maintenance: MaintenanceDesk | None = None,
        help_desk: HelpDesk | None = None,
        receipts: Callable[[], str] | None = None,
        slots: dict[str, str] | None = None,
        languages: Sequence[str] | None = None,
        commissioning: Commissioning | None = None,
        sleep: ScreenSleep | None = None,
    ) -> None:
        super().__init__()
        # first boot: the commissioning screen stands in for the home screen until done
        self.commission = commissioning
        if commissioning is not None:
            commissioning.changed.connect(self._commissioning_changed)
        self._slots = dict(slots) if slots is not None else _default_slots()
        # the city pack's languages, offered in the header (none given: the packaged pack's)
        self._languages = list(languages or _packaged_languages())
        # no desk given (the gallery, tests): nobody to call, the packaged numbers
        self.help_desk = help_desk or HelpDesk(None, _packaged_contacts)
        self.help_desk.changed.connect(self._help_news)
        self.desk = maintenance
        if maintenance is not None:
            maintenance.changed.connect(self._desk_changed)
        self.photo_step = photo
        self.receipts = receipts  # the next photo receipt number (kiosk/photo/receipt.py)
        if photo is not None:
            photo.on_hint = lambda message_id: self.voice.say(message_id, self._lang)
        self.services = services
        self.voice = voice
        self.journal = journal
        self.closed = False  # set when the window goes: late answers are dropped
        self._demo = DemoServices()
        self.step_services: Any = step_services or self._demo
        self._progress: dict[str, Any] = {}
        if hasattr(self.step_services, "progress"):  # news from a device step's thread
            self.step_services.progress = self._progressed.emit
        if hasattr(self.step_services, "preview") and photo is not None:
            # the face check's camera, on the screen: its tap feeds the image provider
            self.step_services.preview = lambda tap: setattr(photo.images, "tap", tap)
        self.photos: dict[str, bytes] = {}  # the session's photos, by ref
        if hasattr(self.step_services, "session_photos"):  # the backend stores the photo
            self.step_services.session_photos = self.photos.get
        if hasattr(self.step_services, "citizen_session"):  # named in the backend's audit
            self.step_services.citizen_session = lambda: self._session.id if self._session else None
        self.clock = clock
        self.on_language = on_language or (lambda lang: None)
        self.theme = Theme()
        self._terminal = terminal
        self._default_lang = language
        self._lang = language
        if hasattr(self.step_services, "language"):  # slips print in the citizen's language
            self.step_services.language = lambda: self._lang
        self._elderly = False
        self._reach = False  # the wheelchair layout: every action low on the screen
        self._engine: FlowEngine | None = None
        self._session: Session | None = None
        self._transcript: Transcript | None = None
        self._home_taps = 0  # presses on the home screen since the last session
        self.last_steps: list[dict[str, Any]] = []  # the last session's step records
        self.last_taps = 0
        self._show: ev.Show | None = None
        self._screen = self._rest_screen()
        self._warning = -1
        self._extensions_left = 0
        self._help = False
        self._failure = ""
        self._preview_flow: Flow | None = None
        self._step_started = 0.0
        self._preview_values: list[dict[str, str]] = []
        self._pending: dict[str, QTimer] = {}
        self._timers: set[QTimer] = set()
        self._cancels: dict[str, Callable[[], None]] = {}
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick_warning)
        self._serviceDone.connect(self._handle)
        self._progressed.connect(self._on_progress)
        self._photos = 0
        self._preview_timer = QTimer(self)
        self._preview_timer.setInterval(33)  # the preview at camera rate
        self._preview_timer.timeout.connect(self._tick_preview)
        self._now = ""
        self._clock_timer = QTimer(self)
        self._clock_timer.timeout.connect(self._tick_clock)
        self._clock_timer.start(1000)
        self._tick_clock()
        self._default_volume = voice.volume
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(HOME_IDLE_S * 1000)
        self._idle.timeout.connect(self._home_idle)
        self._greeted = False  # this approach was greeted
        self._action: str | None = None  # the new screen's action, said after its prompt
        # the night's sleep (ui/sleep.py; none given: never): the idle home screen only
        self.sleeper = sleep or ScreenSleep()
        self.sleeper.setParent(self)  # its timer goes with the shell
        self.sleeper.may_sleep = lambda: (
            self._engine is None and self._screen == "home" and not self._help and not self.closed
        )
        self.sleeper.changed.connect(self._sleep_changed)

    # --- what QML reads ---------------------------------------------------------------

    @Property(str, notify=screenChanged)
    def screen(self) -> str:
        return self._screen

    @Property(str, notify=screenChanged)
    def stepId(self) -> str:
        return self._show.step_id if self._show else ""

    @Property(str, notify=screenChanged)
    def stepType(self) -> str:
        return self._show.step_type if self._show else ""

    @Property(str, notify=screenChanged)
    def textId(self) -> str:
        return self._show.text if self._show else ""

    @Property(QVARIANT_MAP, notify=screenChanged)
    def params(self) -> dict[str, Any]:
        return _for_qml(self._show.params) if self._show else {}

    @Property(QVARIANT_MAP, notify=screenChanged)
    def errors(self) -> dict[str, str]:
        return dict(self._show.errors) if self._show else {}

    @Property(QVARIANT_LIST, notify=screenChanged)
    def values(self) -> list[dict[str, str]]:
        """The confirm step's values, in full (the one screen that shows them)."""
        if not self._show:
            return []
        if self._engine is None:
            return list(self._preview_values)
        flow = self._engine.flow
        return [
            {
                "name": ref,
                "label": _label(flow, ref),
                "value": _shown(value),
                "valueId": _option(flow, ref, value),
            }
            for ref, value in self._show.values.items()
            if value not in (None, "")
        ]

    @Property(bool, notify=screenChanged)
    def canGoBack(self) -> bool:
        return bool(self._show and self._show.can_go_back)

    @Property(bool, notify=screenChanged)
    def inSession(self) -> bool:
        return self.in_session()

    def in_session(self) -> bool:
        """A citizen's session runs (Python's side; QML reads inSession)."""
        return self._engine is not None

    @Property(int, notify=clockChanged)
    def secondsLeft(self) -> int:
        """How long the step on screen has left (the pay screen counts down)."""
        if (
            self._engine is None
            or self._show is None
            or self._show.step_id not in self._engine.flow.steps
        ):
            return -1
        timeout = self._engine.flow.timeout_of(self._show.step_id)
        return max(0, int(timeout - (self.clock() - self._step_started)))

    @Property(QVARIANT_MAP, notify=screenChanged)
    def stages(self) -> dict[str, Any]:
        """Where the citizen is in the service: the stage's index and every stage's
        name (message ids); empty off the normal path (a refusal, a refund)."""
        if self._show is None:
            return {}
        if self._engine is None:  # the gallery's screens
            flow = self._preview_flow
            if flow is None:
                return {}
        elif self._engine.mode != "normal":
            return {}
        else:
            flow = self._engine.flow
        at = flow.stage_of(self._show.step_id)
        if at is None:
            return {}
        return {"at": at, "names": [stage.text for stage in flow.stages]}

    @Property(QVARIANT_MAP, notify=screenChanged)
    def progress(self) -> dict[str, Any]:
        """A device step's news: which finger, which try of how many, the quality."""
        return _for_qml(self._progress)

    def _on_progress(self, news: dict[str, Any]) -> None:
        if self._engine is not None and not self.closed:
            said = _spoken(self._progress)
            self._progress = dict(news)
            if _spoken(news) not in (None, said):  # the face check's new ask, said aloud
                self.voice.say(str(_spoken(news)), self._lang)
            self.screenChanged.emit()

    @Property(str, notify=screenChanged)
    def failure(self) -> str:
        """Why the service could not go on (a message id), until the session ends."""
        return self._failure

    @Property(bool, notify=screenChanged)
    def helpShown(self) -> bool:
        return self._help

    @Property(QObject, constant=True)
    def helpDesk(self) -> QObject:
        return self.help_desk

    @Property(QVARIANT_LIST, notify=screenChanged)
    def serviceTiles(self) -> list[dict[str, Any]]:
        return [
            {
                "id": s.flow.flow,
                "title": s.flow.title,
                "available": s.unavailable is None,
                "reason": s.unavailable or "",
            }
            for s in self.services
        ]

    @Property(str, notify=languageChanged)
    def language(self) -> str:
        return self._lang

    @Property(QVARIANT_LIST, notify=languageChanged)
    def otherLanguages(self) -> list[str]:
        """The pack's languages but the one on the screen: the header's choices."""
        return [lang for lang in self._languages if lang != self._lang]

    @Property(bool, notify=languageChanged)
    def rightToLeft(self) -> bool:
        return right_to_left(self._lang)

    @Property(bool, notify=modeChanged)
    def elderly(self) -> bool:
        return self._elderly

    @Property(bool, notify=modeChanged)
    def reach(self) -> bool:
        return self._reach

    @Property(QObject, constant=True)
    def style(self) -> QObject:
        return self.theme

    @Property(QVARIANT_MAP, constant=True)
    def slots(self) -> dict[str, str]:
        """Where each device's slot is on the cabinet (config [slots]): the drawings point there."""
        return dict(self._slots)

    @Property(QObject, constant=True)
    def photo(self) -> QObject | None:
        return self.photo_step

    @Property(QObject, constant=True)
    def maintenance(self) -> QObject | None:
        return self.desk

    @Property(QObject, constant=True)
    def screenSleep(self) -> QObject:
        return self.sleeper

    @Property(QObject, notify=screenChanged)
    def commissioning(self) -> QObject | None:
        return self.commission

    def _rest_screen(self) -> str:
        """The screen shown between sessions: home, once the terminal is commissioned."""
        if self.commission is not None and not self.commission.finished:
            return "commissioning"
        return "home"

    def _commissioning_changed(self) -> None:
        if self._engine is None and self._screen != self._rest_screen():
            self._screen = self._rest_screen()
            self.screenChanged.emit()

    def preview_commissioning(self, commissioning: Commissioning | None) -> None:
        """The gallery's commissioning screens (None: back to the home screen)."""
        self.commission = commissioning
        self._screen = self._rest_screen()
        self.screenChanged.emit()

    @Slot(str, result=list)
    def places(self, code: str) -> list[dict[str, str]]:
        """The address picker's next list: provinces (code ""), cities, districts."""
        found = provinces() if not code else children(code)
        return [{"code": c, "name": name} for c, name in found]

    @Slot()
    def someoneApproached(self) -> None:
        """A presence sensor's news (a driver calls it when someone steps up): the
        home screen greets, once per approach."""
        self.sleeper.wake()
        self._touched()

    def _sleep_changed(self) -> None:
        if self.sleeper.asleep:  # the night's dark screen says nothing, keeps no choice
            self._home_idle()
            self.voice.forget()

    @Slot()
    def homeTouched(self) -> None:
        """A touch on the home screen away from its buttons."""
        self._touched()

    @Slot()
    def askMaintenance(self) -> None:
        """Only from the home screen: no citizen's data is ever behind the desk."""
        if self.desk is not None and self._engine is None and self._screen == "home":
            self.desk.ask()

    def _desk_changed(self) -> None:
        assert self.desk is not None
        wanted = "maintenance" if (self.desk.asking or self.desk.open) else "home"
        if self._engine is None and wanted != self._screen:
            self._screen = wanted
            self.screenChanged.emit()

    @Property(int, notify=warningChanged)
    def warningSeconds(self) -> int:
        return self._warning

    @Property(int, notify=warningChanged)
    def extensionsLeft(self) -> int:
        return self._extensions_left

    @Property(str, notify=clockChanged)
    def clockText(self) -> str:
        return self._now

    @Property(str, constant=True)
    def terminal(self) -> str:
        return self._terminal

    # --- what QML calls ---------------------------------------------------------------

    @Slot(str)
    def startService(self, flow_id: str) -> None:
        self._idle.stop()  # the session's own timeouts take over
        service = next((s for s in self.services if s.flow.flow == flow_id), None)
        if service is None or service.unavailable or self._engine is not None:
            return
        if self._rest_screen() != "home":  # not commissioned yet: no citizen service
            return
        flow = service.flow
        self._session = Session(flow.flow, Redactor())
        self._engine = FlowEngine(flow, self._session)
        # the tile's tap, when a finger started it (the touch count begins there)
        self._transcript = Transcript(flow, self._session.id, start_taps=min(self._home_taps, 1))
        self._home_taps = 0
        if self.journal is not None:
            self.journal.begin(self._session.id, flow.flow, flow.version)
        self._apply(self._engine.start(self.clock()))

    @Slot("QVariant")
    def answer(self, value: Any) -> None:
        if self._show is not None:
            self._handle(ev.Answer(self.clock(), self._show.step_id, _plain(value)))

    @Slot()
    def back(self) -> None:
        self._handle(ev.Back(self.clock()))

    @Slot()
    def cancel(self) -> None:
        self._handle(ev.Cancel(self.clock()))

    @Slot()
    def extend(self) -> None:
        self._handle(ev.Extend(self.clock()))

    @Property(bool, notify=screenChanged)
    def cardPayment(self) -> bool:
        """The pay screen offers a bank card: the step takes one, the terminal has a
        card terminal, and the citizen has not chosen it yet."""
        return bool(
            self._show is not None
            and self._show.step_type == "pay"
            and "bank_card" in (self._show.params.get("methods") or [])
            and getattr(self.step_services, "takes_cards", False)
            and self._progress.get("method") != "bank_card"
        )

    @Slot()
    def payByCard(self) -> None:
        if self.cardPayment and self._engine is not None:
            self.step_services.use_card()
            self.voice.say("ui.pay.card_insert", self._lang)

    @Slot(str)
    def setLanguage(self, lang: str) -> None:
        self._touched()
        if lang not in KNOWN_LANGUAGES:
            log.error("no catalogue for language %r: the screen stays in %s", lang, self._lang)
            return
        if lang != self._lang:
            self._lang = lang
            self.on_language(lang)
            self.languageChanged.emit()
            self.replay()

    @Slot()
    def toggleLanguage(self) -> None:
        """The next of the pack's languages (the header offers each by name)."""
        order = self._languages if self._lang in self._languages else [self._lang, *self._languages]
        self.setLanguage(order[(order.index(self._lang) + 1) % len(order)])

    @Slot()
    def toggleElderly(self) -> None:
        self._touched()
        self._elderly = not self._elderly
        self.theme.set_elderly(self._elderly)
        self.modeChanged.emit()

    @Slot()
    def toggleReach(self) -> None:
        self._touched()
        self._reach = not self._reach
        self.theme.set_reach(self._reach)
        self.modeChanged.emit()

    @Slot()
    def replay(self) -> None:
        self.voice.replay(self._lang)

    @Slot(bool)
    def showHelp(self, shown: bool) -> None:
        self._touched(greet=False)  # the help prompt, not a greeting cut short
        self._help = shown
        self.screenChanged.emit()
        if not shown:
            return
        self.voice.say("ui.help.voice", self._lang)
        show, flow = self._show, self._engine.flow.flow if self._engine else ""
        where = HelpCall(service=flow[:40], screen=self._screen[:24],
                         step=show.step_id[:40] if show and flow else "",
                         language=self._lang[:8], elderly=self._elderly)  # fmt: skip
        self.help_desk.call(where, self._session.id if self._session else None)

    def _help_news(self) -> None:
        """The call's answer, spoken to a citizen still looking at the overlay."""
        state = self.help_desk.state
        if self._help and state in (CALLED, NOT_CALLED):
            self.voice.say(f"ui.help.{state}.voice", self._lang)

    def freeze_clock(self, text: str) -> None:
        """A fixed time on screen (the gallery and its baselines do not age)."""
        self._clock_timer.stop()
        self._now = text
        self.clockChanged.emit()

    def preview(
        self, show: ev.Show, values: list[dict[str, str]] | None = None, flow: str = ""
    ) -> None:
        """Show a screen with no session behind it (the screen gallery); with `flow`,
        the progress it would show there."""
        self._idle.stop()
        self._preview_values = list(values or [])
        self._preview_flow = next((s.flow for s in self.services if s.flow.flow == flow), None)
        self._effect(show)

    def preview_warning(self, seconds: int, extensions: int) -> None:
        self._effect(ev.WarnTimeout("", seconds, extensions))

    # --- the engine's outcomes ----------------------------------------------------------

    def tapped(self) -> None:
        """A finger on the screen (ui/app.py TapCounter): counted for the step shown."""
        self.sleeper.activity()
        if self._transcript is not None:
            self._transcript.tap()
        else:
            self._home_taps += 1

    def _handle(self, event: ev.Event) -> None:
        if self._engine is None or self._engine.ended:
            return
        if (
            self._transcript is not None
            and self._session is not None
            and isinstance(event, ev.Answer | ev.Back | ev.Cancel | ev.Extend)
        ):
            self._transcript.input(event, self._session)
        if isinstance(event, ev.StepCompleted | ev.StepFailed):
            self._cancels.pop(event.step_id, None)
        if isinstance(event, ev.StepFailed):
            # said calmly on the screens that follow: what happened, where to go
            self._failure = f"ui.failure.{event.code}"
        self._apply(self._engine.handle(event))

    def _apply(self, outcome: ev.Outcome) -> None:
        """Journal first, then the effects: a crash between them is recoverable."""
        if outcome.transition is not None and self.journal is not None:
            self.journal.record(outcome.transition)
        if self._transcript is not None and self._session is not None:
            if outcome.transition is not None:
                self._transcript.transition(outcome.transition, self._session)
            for effect in outcome.effects:
                self._transcript.effect(effect)
        for effect in outcome.effects:
            self._effect(effect)

    def _effect(self, effect: ev.Effect) -> None:
        match effect:
            case ev.Show():
                self._clear_warning()
                if self._show is None or self._show.step_id != effect.step_id:
                    self._step_started = self.clock()
                    self._progress = {}
                    self._action = ACTIONS.get(effect.step_type)
                self._show = effect
                self._screen = SERVICE_SCREENS.get(effect.step_type, effect.step_type)
                if effect.step_type == "capture_photo" and self._camera_ready():
                    self._screen = "camera"
                self.screenChanged.emit()
                if effect.errors and self._engine is not None:  # said, not only shown
                    self.voice.say(next(iter(effect.errors.values())), self._lang)
            case ev.Say(message_id=message_id):
                self.voice.say(message_id, self._lang)
                if self._action is not None:  # the screen's prompt, then what to do
                    self.voice.say(self._action, self._lang, then=True)
                    self._action = None
            case ev.Perform():
                self._perform(effect)
            case ev.Abort(step_id=step_id) if self._screen == "camera":
                self._preview_timer.stop()
                if self.photo_step is not None:
                    self.photo_step.stop()
            case ev.Abort(step_id=step_id) if step_id in self._cancels:
                self._cancels.pop(step_id)()
            case ev.Abort(step_id=step_id):
                timer = self._pending.pop(step_id, None)
                if timer is not None and timer in self._timers:
                    self._timers.discard(timer)
                    timer.stop()
                    timer.deleteLater()
            case ev.StartTimer(timer=name, due=due, token=token):
                self._later(max(0.0, due - self.clock()), ev.TimerFired(due, name, token))
            case ev.WarnTimeout(seconds_left=left, extensions_left=extensions):
                self._action = None  # the warning is said alone
                self._warning, self._extensions_left = int(left), extensions
                self._countdown.start()
                self.warningChanged.emit()
                self.voice.say("ui.timeout.voice", self._lang)
            case ev.EndSession(outcome=outcome):
                self._report_end(outcome)
                if self._transcript is not None:  # the steps and taps, nothing entered
                    finished = self._transcript.finish(outcome, self.clock())
                    self.last_steps = step_records(finished)
                    self.last_taps = finished["taps"]
                self.wipe()

    def _perform(self, perform: ev.Perform) -> None:
        from flows.runner import service_event  # the headless runner's reading of results

        assert self._engine is not None
        if perform.step_type == "capture_photo" and self._camera_ready():
            self._take_photo(perform)
            return
        services = self.step_services
        flow = self._engine.flow
        if hasattr(services, "serves") and services.serves(perform.step_type):
            step_id = perform.step_id

            def finish(entry: dict[str, Any]) -> None:  # on a driver's thread
                if self.closed:
                    return  # the screen is going away: nobody to tell
                try:
                    event = service_event(flow, step_id, entry, self.clock())
                except Exception:  # a result the step cannot take: failed, not hung
                    log.exception("a device step's result does not fit %s", step_id)
                    event = ev.StepFailed(self.clock(), step_id, "invalid_data")
                self._serviceDone.emit(event)

            self._cancels[step_id] = services.start(
                perform.step_type, perform.params, perform.inputs, finish
            )
            return
        demo = services if hasattr(services, "reply") else (services.fallback or self._demo)
        delay, fields = demo.reply(perform)
        entry = {"fail": fields["fail"]} if "fail" in fields else {"result": fields}
        self._pending[perform.step_id] = self._once(
            delay,
            lambda: self._serviceDone.emit(
                service_event(flow, perform.step_id, entry, self.clock())
            ),
        )

    def _tick_preview(self) -> None:
        if self.photo_step is not None:
            self.photo_step.tick()

    def _camera_ready(self) -> bool:
        return self.photo_step is not None and self.photo_step.camera() is not None

    def _take_photo(self, perform: ev.Perform) -> None:
        """The camera screen serves the step: the citizen keeps a photo or leaves."""
        assert self.photo_step is not None
        self._screen = "camera"
        self.screenChanged.emit()
        self._preview_timer.start()
        step_id = perform.step_id
        self._photos += 1
        number = self._photos

        def done(made: Made) -> None:
            self._preview_timer.stop()
            quality = {
                k: float(v)
                for k, v in made.measures.items()
                if k in ("sharpness", "yaw", "pitch", "roll")
            }
            ref = f"photo-{number}"
            if made.jpeg is not None:
                self.photos[ref] = made.jpeg  # for the backend; gone with the session
            # the number the slip prints and the backend stores the photo under: drawn
            # (and kept on disk) when the citizen keeps the photo, before anything prints
            receipt = self.receipts() if self.receipts is not None else None
            result = Photo(photo_ref=ref, receipt_number=receipt, quality=quality)
            self._serviceDone.emit(ev.StepCompleted(self.clock(), step_id, result))

        try:
            self.photo_step.start(str(perform.params.get("spec", "id_card")), done)
        except SpecError:  # a flow naming a spec the terminal lacks: the step fails, calmly
            log.exception("the photo step's spec cannot be loaded")
            self._preview_timer.stop()
            self._serviceDone.emit(ev.StepFailed(self.clock(), step_id, "invalid_data"))

    def _later(self, seconds: float, event: ev.Event) -> None:
        self._once(seconds, lambda: self._handle(_at(event, self.clock())))

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
        if self._warning > 0:
            self._warning -= 1
            self.warningChanged.emit()

    def _clear_warning(self) -> None:
        self._countdown.stop()
        if self._warning != -1:
            self._warning = -1
            self.warningChanged.emit()

    def _tick_clock(self) -> None:
        now = datetime.now().strftime("%Y-%m-%d %H:%M")
        if now != self._now or self._screen == "pay":  # the pay screen counts seconds
            self._now = now
            self.clockChanged.emit()

    # --- the end of a session -------------------------------------------------------------

    def _report_end(self, outcome: str) -> None:
        """The session's end (and its rating) for the backend, before the wipe."""
        if self._session is None or not hasattr(self.step_services, "session_ended"):
            return
        ratings = [r.level for r in self._session.collected.values() if isinstance(r, Rating)]
        try:
            self.step_services.session_ended(
                self._session.id, self._session.flow, outcome, ratings[-1] if ratings else None
            )
        except Exception:  # the citizen's session ends all the same; the log says why
            log.exception("the session's end could not be queued for the backend")

    def wipe(self) -> None:
        """Nothing of the citizen stays: the screens, the session, the timers."""
        for timer in self._timers:
            timer.stop()
            timer.deleteLater()
        self._timers.clear()
        self._pending.clear()
        for cancel in self._cancels.values():
            cancel()
        self._cancels.clear()
        if hasattr(self.step_services, "wipe"):
            self.step_services.wipe()  # the card photos read in this session
        self._preview_timer.stop()
        if self.photo_step is not None:
            self.photo_step.stop()  # the camera's frames and the photo go with the session
        self.photos.clear()
        if self._session is not None:
            self._session.wipe()
        self._session = None
        self._transcript = None
        self._engine = None
        self._show = None
        self._help = False
        self.help_desk.forget()
        self._failure = ""
        self._progress = {}
        self._preview_values = []
        self._preview_flow = None
        if self.desk is not None and (self.desk.asking or self.desk.open):
            self.desk.leave()
        self._clear_warning()
        self.voice.forget()
        self._greeted = False  # the next person is greeted
        self._action = None
        self._screen = self._rest_screen()
        self.screenChanged.emit()
        self.reset_choices()

    def reset_choices(self) -> None:
        """The terminal's own language, text size, layout and volume, and a fresh keyboard:
        nothing one citizen chose is there for the next."""
        self._idle.stop()
        if self._lang != self._default_lang:
            self._lang = self._default_lang
            self.on_language(self._lang)
            self.languageChanged.emit()
        if self._elderly:
            self._elderly = False
            self.theme.set_elderly(False)
            self.modeChanged.emit()
        if self._reach:
            self._reach = False
            self.theme.set_reach(False)
            self.modeChanged.emit()
        self.voice.set_volume(self._default_volume)
        self.sessionReset.emit()

    def _touched(self, greet: bool = True) -> None:
        """A touch on the home screen: its choices stay while someone is there, and
        the first one greets."""
        if self._engine is None:
            self._idle.start()
            if not self._greeted and self._screen == "home" and not self.closed:
                self._greeted = True
                if greet:
                    self.voice.say(GREETING, self._lang)

    def _home_idle(self) -> None:
        if self._engine is None and self._screen == "home" and not self.closed:
            self._help = False
            self._greeted = False  # whoever comes next is greeted
            self.help_desk.forget()
            self.reset_choices()
            self.screenChanged.emit()


def _default_slots() -> dict[str, str]:
    from kiosk.config import SlotsSection

    return SlotsSection().model_dump()


@functools.cache
def _packaged_languages() -> tuple[str, ...]:
    return tuple(load_pack().languages)


@functools.cache
def _packaged_contacts() -> tuple[str, str]:
    pack = load_pack()
    return pack.help_phone, pack.help_counter


def _for_qml(value: Any) -> Any:
    """Values QML can hold: None becomes "" (a QVariant of None trips PySide)."""
    if isinstance(value, dict):
        return {str(k): _for_qml(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_for_qml(v) for v in value]
    return "" if value is None else value


def _plain(value: Any) -> Any:
    """QML's values as the engine takes them (QJSValue maps and lists to Python)."""
    if hasattr(value, "toVariant"):
        value = value.toVariant()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _label(flow: Flow, ref: str) -> str:
    """The message id that names a collected value: its form field's label, or the
    question of the step that chose it."""
    step_id, _, field_id = ref.partition(".")
    step = flow.steps.get(step_id)
    if step is None:
        return ""
    for field in getattr(step.params(), "fields", []):
        if field.id == field_id:
            return str(field.label)
    return str(step.text)


def _option(flow: Flow, ref: str, value: Any) -> str:
    """A chosen option's own text (message id), so a choice reads as words."""
    step = flow.steps.get(ref)
    for option in getattr(step.params(), "options", []) if step is not None else []:
        if option.id == value:
            return str(option.text)
    return ""


def _shown(value: Any) -> str:
    if isinstance(value, str) and value[:6].isdigit() and value[6:7] == " " and known(value[:6]):
        return f"{full_name(value[:6])} {value[7:]}"  # an address: the code as names
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v not in (None, ""))
    return "" if value is None else str(value)


def _at(event: ev.Event, now: float) -> ev.Event:
    return type(event)(**{**event.__dict__, "now": now})


def _spoken(news: dict[str, Any]) -> str | None:
    """What the face check asks of the citizen now, as a message to say."""
    if news.get("state") == "failed":
        return "ui.face.again"
    if "challenge" not in news:
        return None
    hint = news.get("hint")
    return f"ui.face.hint.{hint}" if hint else f"ui.face.challenge.{news['challenge']}"
