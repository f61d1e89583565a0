"""The shell: what QML sees of the terminal, and the session it shows the steps of.

Its session driver (ui/session_driver.py) runs the flow engine on the Qt main thread
and carries out its effects; the visit (ui/visit.py) keeps what the citizen chose
(language, text size, layout) and the greeting; values reach QML through
ui/qml_values.py. The shell itself holds the screen between sessions (home, the
help overlay, the desk, commissioning, the night's sleep) and shows the driver's
step. When a session ends, `wipe()` clears everything the screens held.

QML reads the current screen from properties here and calls the slots; it holds
no text of its own (`qsTrId` ids only) and no personal data beyond the confirm
step's values, which are gone with the next screen.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot

from flows import events as ev
from flows.model import Flow
from kiosk.citypack import load_pack
from kiosk.finder import ServiceIndex
from kiosk.strings import right_to_left
from offline_cache.journal import Journal
from ui.camera import PhotoStep
from ui.commissioning import Commissioning
from ui.finder import ServiceFinder
from ui.help import CALLED, NOT_CALLED, HelpDesk
from ui.maintenance import MaintenanceDesk
from ui.qml_values import QVARIANT_LIST, QVARIANT_MAP, confirm_values, for_qml, places, plain
from ui.session_driver import ACTIONS, SessionDriver
from ui.sleep import ScreenSleep
from ui.theme import Theme
from ui.visit import GREETING, HOME_IDLE_S, Visit
from ui.voice import Voice
from wire.sync import HelpCall

__all__ = ["ACTIONS", "GREETING", "HOME_IDLE_S", "KioskShell", "Service"]


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
        finder: ServiceIndex | None = None,
    ) -> None:
        super().__init__()
        # first boot: the commissioning screen stands in for the home screen until done
        self.commission = commissioning
        if commissioning is not None:
            commissioning.changed.connect(self._commissioning_changed)
        self._slots = dict(slots) if slots is not None else _default_slots()
        # no desk given (the gallery, tests): nobody to call, the packaged numbers
        self.help_desk = help_desk or HelpDesk(None, _packaged_contacts)
        self.help_desk.changed.connect(self._help_news)
        self.desk = maintenance
        if maintenance is not None:
            maintenance.changed.connect(self._desk_changed)
        self.photo_step = photo
        self.receipts = receipts  # the next photo receipt number (kiosk/photo/receipt.py)
        if photo is not None:
            photo.on_hint = lambda message_id: self.voice.say(message_id, self.visit.lang)
        self.services = services
        # why no service may start now, whatever its devices (kiosk/power.py: a power
        # failure pauses them all), as a message id; None: no such reason
        self.paused_by: Callable[[], str | None] = lambda: None
        self.voice = voice
        self.journal = journal
        self.closed = False  # set when the window goes: late answers are dropped
        self.clock = clock
        # the session behind the screen: the engine, its step, its timers
        self.driver = SessionDriver(self)
        self.step_services: Any = step_services or self.driver.demo
        self.driver.hand_in(self.step_services)
        self.photos = self.driver.photos  # the session's photos, by ref
        self.theme = Theme()
        self._terminal = terminal
        # the citizen's choices and the greeting; the city pack's languages in the
        # header (none given: the packaged pack's)
        languages = list(languages or _packaged_languages())
        self.visit = Visit(self, self.theme, language, languages, on_language or (lambda _: None))
        self._idle = self.visit.idle  # tests shorten it
        self._idle.timeout.connect(self._home_idle)
        if hasattr(self.step_services, "language"):  # slips print in the citizen's language
            self.step_services.language = lambda: self.visit.lang
        self._home_taps = 0  # presses on the home screen since the last session
        self._group = ""  # the group of services the home screen has open
        # 您要办什么？: the everyday choices and the search over every service (the index
        # built once, at start; none given: it finds nothing)
        self.finder_view = ServiceFinder(finder or ServiceIndex(), self.every_tile)
        self.finder_view.setParent(self)  # it goes with the shell (and is swept with it)
        self._screen = self._rest_screen()
        self._help = False
        self._preview_flow: Flow | None = None
        self._preview_values: list[dict[str, str]] = []
        self._now = ""
        self._clock_timer = QTimer(self)
        self._clock_timer.timeout.connect(self._tick_clock)
        self._clock_timer.start(1000)
        self._tick_clock()
        # the night's sleep (ui/sleep.py; none given: never): the idle home screen only
        self.sleeper = sleep or ScreenSleep()
        self.sleeper.setParent(self)  # its timer goes with the shell
        self.sleeper.may_sleep = lambda: (
            not self.in_session() and self._screen == "home" and not self._help and not self.closed
        )
        self.sleeper.changed.connect(self._sleep_changed)

    # the session's state, held by the driver, under the names tests read
    _engine = property(lambda self: self.driver.engine)
    _session = property(lambda self: self.driver.session)
    _progress = property(
        lambda self: self.driver.progress, lambda self, news: setattr(self.driver, "progress", news)
    )
    _serviceDone = property(lambda self: self.driver.serviceDone)
    _progressed = property(lambda self: self.driver.progressed)
    last_steps = property(lambda self: self.driver.last_steps)  # the last session's step records
    last_taps = property(lambda self: self.driver.last_taps)

    # --- what QML reads ---------------------------------------------------------------

    @Property(str, notify=screenChanged)
    def screen(self) -> str:
        return self._screen

    @Property(str, notify=screenChanged)
    def stepId(self) -> str:
        show = self.driver.show
        return show.step_id if show else ""

    @Property(str, notify=screenChanged)
    def stepType(self) -> str:
        show = self.driver.show
        return show.step_type if show else ""

    @Property(str, notify=screenChanged)
    def textId(self) -> str:
        show = self.driver.show
        return show.text if show else ""

    @Property(QVARIANT_MAP, notify=screenChanged)
    def params(self) -> dict[str, Any]:
        show = self.driver.show
        return for_qml(show.params) if show else {}

    @Property(QVARIANT_MAP, notify=screenChanged)
    def errors(self) -> dict[str, str]:
        show = self.driver.show
        return dict(show.errors) if show else {}

    @Property(QVARIANT_LIST, notify=screenChanged)
    def values(self) -> list[dict[str, str]]:
        """The confirm step's values, in full (the one screen that shows them)."""
        show, engine = self.driver.show, self.driver.engine
        if not show:
            return []
        if engine is None:
            return list(self._preview_values)
        return confirm_values(engine.flow, show.values)

    @Property(bool, notify=screenChanged)
    def canGoBack(self) -> bool:
        show = self.driver.show
        if show is None:  # home: back from a group of services to them all
            return bool(self._group) and self._screen == "home"
        return bool(show.can_go_back)

    @Property(bool, notify=screenChanged)
    def inSession(self) -> bool:
        return self.in_session()

    def in_session(self) -> bool:
        """A citizen's session runs (Python's side; QML reads inSession)."""
        return self.driver.engine is not None

    @Property(int, notify=clockChanged)
    def secondsLeft(self) -> int:
        """How long the step on screen has left (the pay screen counts down)."""
        return self.driver.seconds_left()

    @Property(QVARIANT_MAP, notify=screenChanged)
    def stages(self) -> dict[str, Any]:
        """Where the citizen is in the service: the stage's index and every stage's
        name (message ids); empty off the normal path (a refusal, a refund)."""
        show, engine = self.driver.show, self.driver.engine
        if show is None:
            return {}
        if engine is None:  # the gallery's screens
            flow = self._preview_flow
            if flow is None:
                return {}
        elif engine.mode != "normal":
            return {}
        else:
            flow = engine.flow
        at = flow.stage_of(show.step_id)
        if at is None:
            return {}
        return {"at": at, "names": [stage.text for stage in flow.stages]}

    @Property(QVARIANT_MAP, notify=screenChanged)
    def progress(self) -> dict[str, Any]:
        """A device step's news: which finger, which try of how many, the quality."""
        return for_qml(self.driver.progress)

    @Property(str, notify=screenChanged)
    def failure(self) -> str:
        """Why the service could not go on (a message id), until the session ends."""
        return self.driver.failure

    @Property(bool, notify=screenChanged)
    def helpShown(self) -> bool:
        return self._help

    @Property(QObject, constant=True)
    def helpDesk(self) -> QObject:
        return self.help_desk

    @Property(QVARIANT_LIST, notify=screenChanged)
    def serviceTiles(self) -> list[dict[str, Any]]:
        """The home screen's tiles: a service each, but services of a group (a flow's
        `group`) share one tile, where the first of them stands, that opens them; with
        a group open, its services."""
        each = dict(zip((s.flow.flow for s in self.services), self.every_tile(), strict=True))
        if self._group:
            return [each[s.flow.flow] for s in self.services if s.flow.group == self._group]
        members: dict[str, list[Any]] = {}
        for s in self.services:
            members.setdefault(s.flow.group or "", []).append(s)
        tiles: list[dict[str, Any]] = []
        for s in self.services:
            group = s.flow.group or ""
            if not group or len(members[group]) == 1:
                tiles.append(each[s.flow.flow])
            elif members[group][0] is s:
                gathered = [each[m.flow.flow] for m in members[group]]
                usable = [t for t in gathered if t["available"]]
                tiles.append({**gathered[0], "id": f"group_{group}", "group": group, "icon": group,
                              "title": f"ui.home.group.{group}", "available": bool(usable),
                              "reason": "" if usable else gathered[0]["reason"]})  # fmt: skip
        return tiles

    def every_tile(self) -> list[dict[str, Any]]:
        """A tile for each service, whatever its group (the finder's results)."""
        paused = self.paused_by()
        return [
            {"id": s.flow.flow, "title": s.flow.title, "icon": s.flow.flow, "group": "",
             "available": (s.unavailable or paused) is None,
             "reason": s.unavailable or paused or ""}
            for s in self.services
        ]  # fmt: skip

    @Property(str, notify=screenChanged)
    def homeGroup(self) -> str:
        """The group of services the home screen shows ("" for all of them)."""
        return self._group

    @Property(str, notify=screenChanged)
    def pausedReason(self) -> str:
        """Why no service at all may start now (a message id: the home screen's
        banner, e.g. a power failure); "" when they may."""
        return self.paused_by() or ""

    @Property(str, notify=languageChanged)
    def language(self) -> str:
        return self.visit.lang

    @Property(QVARIANT_LIST, notify=languageChanged)
    def otherLanguages(self) -> list[str]:
        """The pack's languages but the one on the screen: the header's choices."""
        return [lang for lang in self.visit.languages if lang != self.visit.lang]

    @Property(bool, notify=languageChanged)
    def rightToLeft(self) -> bool:
        return right_to_left(self.visit.lang)

    @Property(bool, notify=modeChanged)
    def elderly(self) -> bool:
        return self.visit.elderly

    @Property(bool, notify=modeChanged)
    def reach(self) -> bool:
        return self.visit.reach

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
    def finder(self) -> QObject:
        return self.finder_view

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
        if not self.in_session() and self._screen != self._rest_screen():
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
        return places(code)

    @Slot()
    def someoneApproached(self) -> None:
        """A presence sensor's news (a driver calls it when someone steps up): the
        home screen greets, once per approach."""
        self.sleeper.wake()
        self.visit.touched()

    @Slot()
    def citizenAway(self) -> None:
        """A presence sensor's news (kiosk/booth.py): the citizen walked away in the
        middle of a session; the step's "are you still there?" comes at once."""
        if self.in_session():
            self.driver.handle(ev.Away(self.clock()))

    def _sleep_changed(self) -> None:
        if self.sleeper.asleep:  # the night's dark screen says nothing, keeps no choice
            self._home_idle()
            self.voice.forget()

    @Slot()
    def homeTouched(self) -> None:
        """A touch on the home screen away from its buttons."""
        self.visit.touched()

    @Slot()
    def openFinder(self) -> None:
        """您要办什么？ from the home screen: no session yet, nothing of anyone kept."""
        if self.in_session() or self._screen != "home" or self.paused_by():
            return
        self.visit.touched(greet=False)
        self.finder_view.clear()
        self._home_taps = 1  # the finder's button: every press from here counts for the service
        self._screen = "finder"
        self.screenChanged.emit()
        self.voice.say("ui.finder.voice", self.visit.lang)

    @Slot()
    def closeFinder(self) -> None:
        """Back to the home screen; what was typed is dropped."""
        if self._screen == "finder" and not self.in_session():
            self.finder_view.clear()
            self._screen = self._rest_screen()
            self.screenChanged.emit()

    @Slot()
    def askMaintenance(self) -> None:
        """Only from the home screen: no citizen's data is ever behind the desk."""
        if self.desk is not None and not self.in_session() and self._screen == "home":
            self.desk.ask()

    def _desk_changed(self) -> None:
        assert self.desk is not None
        wanted = "maintenance" if (self.desk.asking or self.desk.open) else "home"
        if not self.in_session() and wanted != self._screen:
            self._screen = wanted
            self.screenChanged.emit()

    @Property(int, notify=warningChanged)
    def warningSeconds(self) -> int:
        return self.driver.warning

    @Property(int, notify=warningChanged)
    def extensionsLeft(self) -> int:
        return self.driver.extensions_left

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
        if service is None or service.unavailable or self.paused_by() or self.in_session():
            return
        if self._rest_screen() != "home":  # not commissioned yet: no citizen service
            return
        # the tile's tap (and the group's), when a finger started it: the count begins
        # there; from the finder, every press since its button
        finding = self._screen == "finder"
        home = self._home_taps if finding else min(self._home_taps, 2 if self._group else 1)
        taps, self._home_taps = home, 0
        self.finder_view.clear()
        self.driver.start(service.flow, taps)

    @Slot("QVariant")
    def answer(self, value: Any) -> None:
        show = self.driver.show
        if show is not None:
            self.driver.handle(ev.Answer(self.clock(), show.step_id, plain(value)))

    @Slot(str)
    def openGroup(self, group: str) -> None:
        if not self.in_session() and any(s.flow.group == group for s in self.services):
            self._group = group
            self._home_taps = min(self._home_taps, 1)  # this tap; touches before it are not
            self.screenChanged.emit()

    @Slot()
    def back(self) -> None:
        if self.driver.show is None and self._group:  # home: from a group back to them all
            self._group = ""
            self.screenChanged.emit()
            return
        self.driver.handle(ev.Back(self.clock()))

    @Slot()
    def cancel(self) -> None:
        if self._screen == "finder":  # nothing started yet: back to the home screen
            self.closeFinder()
            return
        self.driver.handle(ev.Cancel(self.clock()))

    @Slot()
    def extend(self) -> None:
        self.driver.handle(ev.Extend(self.clock()))

    @Property(bool, notify=screenChanged)
    def cardPayment(self) -> bool:
        """The pay screen offers a bank card: the step takes one, the terminal has a
        card terminal, and the citizen has not chosen it yet."""
        show = self.driver.show
        return bool(
            show is not None
            and show.step_type == "pay"
            and "bank_card" in (show.params.get("methods") or [])
            and getattr(self.step_services, "takes_cards", False)
            and self.driver.progress.get("method") != "bank_card"
        )

    @Slot()
    def payByCard(self) -> None:
        if self.cardPayment and self.in_session():
            self.step_services.use_card()
            self.voice.say("ui.pay.card_insert", self.visit.lang)

    @Slot(str)
    def scanDecide(self, choice: str) -> None:
        """The scan screen's taps: Scan, Scan again, Confirm (kiosk/steps/scanning.py)."""
        show = self.driver.show
        if show is not None and show.step_type == "scan_document" and self.in_session():
            if hasattr(self.step_services, "decide"):
                self.step_services.decide(choice)

    @Slot(str)
    def signDecide(self, choice: str) -> None:
        """The sign screen's taps: Sign again, Confirm (kiosk/steps/signing.py)."""
        show = self.driver.show
        if show is not None and show.step_type == "sign" and self.in_session():
            if hasattr(self.step_services, "sign_decide"):
                self.step_services.sign_decide(choice)

    @Slot(str)
    def setLanguage(self, lang: str) -> None:
        self.visit.set_language(lang)

    @Slot()
    def toggleLanguage(self) -> None:
        """The next of the pack's languages (the header offers each by name)."""
        self.visit.next_language()

    @Slot()
    def toggleElderly(self) -> None:
        self.visit.toggle_elderly()

    @Slot()
    def toggleReach(self) -> None:
        self.visit.toggle_reach()

    @Slot()
    def replay(self) -> None:
        self.voice.replay(self.visit.lang)

    @Slot(bool)
    def showHelp(self, shown: bool) -> None:
        self.visit.touched(greet=False)  # the help prompt, not a greeting cut short
        self._help = shown
        self.screenChanged.emit()
        if not shown:
            self.help_desk.hang_up()  # the overlay closed: so is the line to the duty room
            return
        self.voice.say("ui.help.voice", self.visit.lang)
        show, engine, session = self.driver.show, self.driver.engine, self.driver.session
        flow = engine.flow.flow if engine else ""
        where = HelpCall(service=flow[:40], screen=self._screen[:24],
                         step=show.step_id[:40] if show and flow else "",
                         language=self.visit.lang[:8], elderly=self.visit.elderly)  # fmt: skip
        self.help_desk.call(where, session.id if session else None)

    def _help_news(self) -> None:
        """The call's answer, spoken to a citizen still looking at the overlay."""
        state = self.help_desk.state
        if self._help and state in (CALLED, NOT_CALLED):
            self.voice.say(f"ui.help.{state}.voice", self.visit.lang)

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
        self.driver.effect(show)

    def preview_warning(self, seconds: int, extensions: int) -> None:
        self.driver.effect(ev.WarnTimeout("", seconds, extensions))

    def show_screen(self, screen: str) -> None:
        """The screen a session's step takes (the session driver's word)."""
        self._screen = screen
        self.screenChanged.emit()

    def tapped(self) -> None:
        """A finger on the screen (ui/app.py TapCounter): counted for the step shown."""
        self.sleeper.activity()
        if not self.driver.tapped():
            self._home_taps += 1
            if self._screen == "finder":  # someone is typing: the finder stays open
                self.visit.touched(greet=False)

    def _tick_clock(self) -> None:
        now = datetime.now().strftime("%Y-%m-%d %H:%M")
        if now != self._now or self._screen == "pay":  # the pay screen counts seconds
            self._now = now
            self.clockChanged.emit()

    # --- the end of a session -------------------------------------------------------------

    def wipe(self) -> None:
        """Nothing of the citizen stays: the screens, the session, the timers."""
        self.driver.wipe()
        self._help = False
        self._group = ""
        self.help_desk.forget()
        self._preview_values = []
        self._preview_flow = None
        self.finder_view.clear()
        if self.desk is not None and (self.desk.asking or self.desk.open):
            self.desk.leave()
        self.voice.forget()
        self.visit.greeted = False  # the next person is greeted
        self._screen = self._rest_screen()
        self.screenChanged.emit()
        self.visit.reset()

    def _home_idle(self) -> None:
        self.closeFinder()  # left alone on the finder: home, and the choices undone
        if not self.in_session() and self._screen == "home" and not self.closed:
            self._help = False
            self._group = ""
            self.visit.greeted = False  # whoever comes next is greeted
            self.help_desk.forget()
            self.visit.reset()
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
