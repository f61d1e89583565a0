"""The home screen's services: the shipped flows, each available or not by the
devices it needs, and the shell that runs them (demo step services until the
device and backend services land)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flows.loader import flow_files, load_flow
from flows.model import Flow
from kiosk.backlight import Backlight
from kiosk.citypack import ScreenRules
from kiosk.finder import ServiceIndex, ServiceNames
from kiosk.frames import FrameGetter
from kiosk.help_line import HelpLine
from kiosk.intercom import Intercom
from kiosk.strings import Catalogue
from offline_cache.journal import Journal
from ui.camera import CameraImages, PhotoStep
from ui.commissioning import Commissioning
from ui.help import HelpDesk
from ui.maintenance import MaintenanceDesk
from ui.shell import KioskShell, Service
from ui.sleep import ScreenSleep
from ui.voice import Voice

UNAVAILABLE = "ui.home.unavailable"
OFFLINE = "ui.home.offline"


def availability(flow: Flow, device_states: dict[str, str] | None) -> str | None:
    """None when every device the flow needs is online (each "a|b" entry: one of
    them); else why not, as a message id. No states known: available."""
    if device_states is None:
        return None
    for needed in flow.devices():
        if not any(device_states.get(d) == "online" for d in needed.split("|")):
            return OFFLINE if needed == "network" else UNAVAILABLE
    return None


def shell_factory(
    strings: Catalogue,
    *,
    device_states: dict[str, str] | None = None,
    extra_flows: list[str] | None = None,
    voice_engine: str | None = "mock",
    voice_cache: Path | None = None,
    language: str = "zh_CN",
    terminal: str = "",
    camera: Callable[[], FrameGetter | None] | None = None,
    maintenance: Callable[[], MaintenanceDesk] | None = None,
    step_services: Any = None,
    help_line: HelpLine | None = None,
    help_contacts: Callable[[], tuple[str, str]] | None = None,
    help_intercom: Intercom | None = None,
    receipts: Callable[[], str] | None = None,
    slots: dict[str, str] | None = None,
    languages: list[str] | None = None,
    commissioning: Callable[[], Commissioning] | None = None,
    screen_rules: Callable[[], ScreenRules] | None = None,
    backlight: Backlight | None = None,
    journal: Journal | None = None,
) -> Callable[[Callable[[str], None]], KioskShell]:
    """`camera`: the frame source of the camera driver, when there is one (the photo
    step then runs on the camera screen; without it, on the demo service).
    `help_line`: where 求助 calls (none: nobody, the phone number is shown);
    `help_contacts`: the city pack's phone number and nearest counter;
    `help_intercom`: the video call to the duty room that 求助 also makes (none: none);
    `receipts`: the next photo receipt number; `languages`: the city pack's;
    `voice_cache`: the prompts rendered at build time (ui.voices); `slots`: where each
    device's slot is on the cabinet (config [slots]; none: the defaults);
    `commissioning`: a first boot's screen (kiosk/commissioning.py), shown until done;
    `screen_rules`: the city pack's `[screen]`, when the screen sleeps at night (none:
    never), with `backlight` turned down then (kiosk/backlight.py); `journal`: where
    each session's transitions are written before their effects run (none: nowhere,
    as in the gallery)."""

    def make(on_language: Callable[[str], None]) -> KioskShell:
        paths = flow_files() + [Path(p) for p in extra_flows or []]
        flows = [load_flow(path, strings) for path in paths]
        services = [Service(flow, availability(flow, device_states)) for flow in flows]
        # the service finder's index: every flow found, by its names, synonyms and pinyin
        names = [ServiceNames(f.flow, f.title, f.description, f.keywords) for f in flows]
        return KioskShell(
            services,
            Voice(strings, voice_engine, cache=voice_cache),
            step_services=step_services,
            journal=journal,
            language=language,
            terminal=terminal,
            on_language=on_language,
            photo=PhotoStep(CameraImages(), camera or (lambda: None)),
            maintenance=maintenance() if maintenance is not None else None,
            help_desk=HelpDesk(help_line, help_contacts, help_intercom)
            if help_contacts is not None
            else None,
            receipts=receipts,
            slots=slots,
            languages=languages,
            commissioning=commissioning() if commissioning is not None else None,
            sleep=ScreenSleep(screen_rules or ScreenRules, backlight=backlight),
            finder=ServiceIndex.build(names, strings),
        )

    return make
