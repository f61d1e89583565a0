"""The composition root: wires configuration, logging, devices and the screen.

The only module of `kiosk` that imports ui/ (and through it Qt).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.commissioning import needs_commissioning
from kiosk.config import KioskConfig, LoadedConfig
from kiosk.display import VirtualDisplay
from kiosk.simulated import SimulatedDevices
from kiosk.status import TerminalStatus, terminal_status
from kiosk.strings import Catalogue
from kiosk.systemd import Notifier

log = logging.getLogger("kiosk.app")


@dataclass(frozen=True)
class RunOptions:
    screenshot: Path | None = None  # render once off screen, save a PNG, quit
    quit_after_s: float | None = None  # for tests and demos
    windowed: bool = False  # on a developer's desktop rather than a terminal
    simulated: bool = False  # run every device's simulator, with our drivers on them


def run(
    loaded: LoadedConfig, options: RunOptions, strings: Catalogue, say: Callable[..., None]
) -> int:
    """Start the touchscreen; return the exit code when it closes."""
    from kiosk.memory import fewer_arenas

    fewer_arenas()  # before the devices' and the models' threads (kiosk/memory.py)
    # before any program is started: they must not inherit the notify socket
    systemd = Notifier.from_environment()
    systemd.status("starting")
    config = loaded.config
    width, height = (1080, 1920) if config.screen.orientation == "portrait" else (1920, 1080)
    virtual: VirtualDisplay | None = None
    if options.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        virtual = VirtualDisplay(width, height)
        display = virtual.start()
        port = virtual.share_on_localhost(config.screen.vnc_port)
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
        say("run.virtual_display", display=display, port=port)
        say("run.vnc_connect", port=port)
    log.info("kiosk starting", extra={"terminal": config.terminal.id})
    devices = SimulatedDevices()
    backend: Any = None
    link: Any = None
    power_watch: Any = None
    booth_watch: Any = None
    power: dict[str, Any] = {}  # the power policy, once the shell is there (the heartbeat's)
    intercom: Any = None
    duty_room: Any = None
    try:
        systemd.status("starting the devices and the backend link")
        states = devices.start() if options.simulated else None
        if not options.simulated:
            for name in OWN_DEVICES:
                open_device(config, devices, name)
        if options.simulated and config.backend.embedded:
            backend = _embedded_backend(config)
        link = _backend_link(config, devices, power)
        intercom, duty_room = help_intercom(config, options.simulated)
        first_boot = needs_commissioning(config, options.simulated)
        if first_boot:
            log.warning("first boot: no identity (%s), the commissioning screen is shown",
                        config.backend.identity_file)  # fmt: skip
        status = terminal_status(config, states)
        city_pack = city_pack_of(config)
        issuer = embedded_issuer(backend.config.app) if backend is not None else None
        services = step_services(config, devices, options.simulated, link, strings, issuer)
        # what a crash left open is settled before a new citizen is served
        journal = session_journal(config, strings, services, systemd)
        receipts = photo_receipts(config)
        from kiosk.backlight import Backlight
        from ui.app import Kiosk, show_kiosk  # Qt is loaded only now
        from ui.services import shell_factory

        # a device is usable when its driver said online; none configured: none usable
        usable = {d.name: d.state or ("online" if d.enabled else "off") for d in status.devices}
        # the backend: configured, or simulated along with the devices (demo services)
        enrolled = link is not None and link.link is not None
        usable["network"] = "online" if (enrolled or options.simulated) else "off"
        kiosk = Kiosk(
            shell_factory(
                strings,
                device_states=usable,
                voice_engine=None if config.screen.voice == "off" else config.screen.voice,
                voice_cache=voice_cache() if config.screen.voice == "speechd" else None,
                language=config.screen.language,
                terminal=config.terminal.id,
                camera=lambda: _camera_frames(devices),
                maintenance=lambda: _desk(loaded, devices, status, link),
                step_services=services,
                journal=journal,
                help_line=link.help_line if link is not None else None,
                help_contacts=lambda: (city_pack().help_phone, city_pack().help_counter),
                help_intercom=intercom,
                receipts=receipts.next,
                slots=config.slots.model_dump(),
                languages=city_pack().languages,
                screen_rules=lambda: city_pack().screen,
                backlight=Backlight(),
                commissioning=(lambda: _commissioning(loaded, devices, status, strings))
                if first_boot
                else None,
            ),
            strings,
            size=(width, height),
            language=config.screen.language,
        )
        if config.screen.elderly_mode:
            kiosk.shell.toggleElderly()
        # a citizen at the screen: an update waits for the session's end (kiosk/updates.py)
        from kiosk.updates import SessionMark, own_folder

        in_session = SessionMark(own_folder(config.cache.database))
        in_session.set(False)
        kiosk.shell.screenChanged.connect(lambda: in_session.set(kiosk.shell.in_session()))
        power_watch = watch_power(kiosk.shell, devices.drivers.get("ups"), link,
                                  shutdown=simulated_poweroff if options.simulated else None,
                                  power=power)  # fmt: skip
        booth_watch = watch_booth(kiosk.shell, devices, link, policies=power)
        return show_kiosk(
            kiosk,
            fullscreen=virtual is not None or not (options.windowed or options.screenshot),
            screenshot=options.screenshot,
            quit_after_s=options.quit_after_s,
            systemd=systemd,
            confirm_start=lambda: _confirm_update(config),
            confirm_after_s=config.updates.confirm_after_s,
        )
    finally:
        if power_watch is not None:
            power_watch.stop()
        if booth_watch is not None:
            booth_watch.stop()
        if intercom is not None:
            intercom.close()
        if duty_room is not None:
            duty_room.stop()
        if link is not None:
            link.stop()
        if backend is not None:
            backend.should_exit = True
        devices.stop()
        if virtual is not None:
            virtual.stop()
        log.info("kiosk stopped", extra={"terminal": config.terminal.id})
        systemd.close()


def session_journal(
    config: KioskConfig, strings: Catalogue, services: Any, systemd: Notifier
) -> Any:
    """The journal of citizens' sessions (in the terminal's database, on a connection
    of its own), with every session a crash left open settled on `services`
    (flows/recovery.py) and the ended ones past `[cache] retention_days` forgotten.
    None when the database cannot be used: sessions then run unjournalled, and the
    log says so."""
    from flows.loader import flow_files, load_flow
    from flows.recovery import settle_open_sessions
    from offline_cache.database import DatabaseError, connect
    from offline_cache.journal import Journal

    try:
        journal = Journal(connect(config.cache.database))
    except DatabaseError as exc:
        log.error("no session journal, a crash mid-session cannot be settled: %s", exc)
        return None
    try:
        journal.forget_ended(config.cache.retention_days * 86400)
        if journal.open_sessions():
            flows = {f.flow: f for f in (load_flow(p, strings) for p in flow_files())}
            systemd.still_starting("settling sessions a crash left open")
            settle_open_sessions(journal, flows, services, alive=systemd.still_starting)
    except Exception:  # never a terminal that cannot start: the session stays open
        log.exception("the sessions a crash left open could not be settled")
    return journal


def _camera_frames(devices: SimulatedDevices) -> Callable[[float], object] | None:
    """The camera driver's newest-frame queue, when a camera is there."""
    camera = devices.drivers.get("camera")
    return camera.frames.get if camera is not None else None


def _desk(
    loaded: LoadedConfig, devices: SimulatedDevices, status: TerminalStatus, link: Any
) -> Any:
    """The technicians' desk: the PIN's door, the devices and their media, the storage
    slots, the log, the configuration."""
    from kiosk.device_media import DeviceView, view_of
    from kiosk.maintenance import Door
    from ui.app import quit_app
    from ui.maintenance import MaintenanceDesk

    config = loaded.config
    door = Door(config.maintenance)

    def device_rows() -> list[dict[str, Any]]:
        return [view_of(name, driver).for_qml() for name, driver in devices.drivers.items()] or [
            DeviceView(d.name, d.name, d.state or "configured").for_qml() for d in status.devices
        ]

    def query() -> list[Any]:  # each on its driver's worker: the desk only looks
        return [d.query_status() for d in devices.drivers.values() if hasattr(d, "query_status")]

    def self_test(name: str) -> str:
        driver = devices.drivers.get(name)
        if driver is None:
            return "no_driver"
        done = driver.self_test().result()
        return done.code.value if done.ok else f"{done.code.value}/{done.error}"

    def config_lines() -> list[str]:
        return [
            f"terminal.id = {config.terminal.id}",
            f"terminal.location = {config.terminal.location or '-'}",
            f"backend.url = {config.backend.url or '-'}",
            f"screen = {config.screen.orientation}, {config.screen.language}",
            f"source = {loaded.source or '(defaults)'}",
            *_sync_lines(link),
        ]

    return MaintenanceDesk(
        door,
        devices=device_rows,
        query=query,
        slots=_slot_desk(devices, link, door),
        self_test=self_test,
        log_file=config.logging.dir / "kiosk.jsonl" if config.logging.dir else None,
        config_lines=config_lines,
        restart=quit_app,
        camera=lambda: _camera_frames(devices),
    )


def _slot_desk(devices: SimulatedDevices, link: Any, door: Any) -> Any:
    """The card transport's storage slots on the desk (kiosk/slots.py), when there is a
    transport: what each holds is kept in the terminal's database, and each change is
    a device_event for the backend (once enrolled)."""
    transport = devices.drivers.get("card_transport")
    if transport is None:
        return None
    from kiosk.slots import StorageDesk
    from ui.slot_desk import SlotDesk

    return SlotDesk(StorageDesk(transport, slot_book(devices, link)), door)


def slot_book(devices: SimulatedDevices, link: Any) -> Any:
    """The one slot book of the terminal (kiosk/slots.py), shared by the desk that loads
    the slots and the pickup step that empties them: kept in the terminal's database,
    each change a device_event for the backend (once enrolled)."""
    from kiosk.slots import SlotBook

    book = devices.slot_book
    if book is None:
        sync = link.link if link is not None else None
        book = SlotBook(link.services.outbox if link is not None else None,
                        sync.device_event if sync is not None else None)  # fmt: skip
        devices.slot_book = book
    return book


def _commissioning(
    loaded: LoadedConfig, devices: SimulatedDevices, status: TerminalStatus, strings: Catalogue
) -> Any:
    """First boot (kiosk/commissioning.py): behind the desk's PIN, enrolment, every
    device's self-test, the slip. Done, the kiosk restarts (as the desk's Restart does)
    so that the sync link, payments and help line all start with the new identity."""
    from kiosk.commissioning import Commissioner
    from kiosk.maintenance import Door
    from ui.app import quit_app
    from ui.commissioning import Commissioning

    config = loaded.config
    configured = [d.name for d in status.devices if d.enabled]
    steps = Commissioner(config, devices.drivers, lambda: configured, strings)
    return Commissioning(Door(config.maintenance), steps, backend_url=config.backend.url or "",
                         on_finished=quit_app)  # fmt: skip


def _sync_lines(link: Any) -> list[str]:
    """What the terminal owes the backend, for the technicians' desk."""
    if link is None:
        return ["sync = no offline cache"]
    found = link.services.outbox.status()
    enrolled = link.link is not None
    line = (
        f"sync = {'enrolled' if enrolled else 'not enrolled'}, outbox {found['depth']}"
        f" (oldest {found['oldest_age_s'] or 0:.0f} s, {found['held']} held,"
        f" {found['escalated']} escalated)"
    )
    error = found["last_error"]
    return [line] + ([f"sync last error = {error['error']}"] if error else [])


def step_services(
    config: Any,
    devices: SimulatedDevices,
    simulated: bool,
    link: Any,
    strings: Catalogue,
    issuer: Any = None,
) -> Any:
    """The real drivers for the steps they serve (the chip too), the printers for the
    print step, the backend for the backend step and QR payment, the camera for the
    face check; the shell's demo services for the rest (the bank card, until it is
    wired). `issuer`: the embedded backend's (`make run`), which signed the proof the
    simulated citizen holds up at a proof check."""
    from kiosk.documents.keys import trusted_issuers
    from kiosk.simulated import SimulatedCitizen
    from kiosk.steps.chain import ServiceChain
    from kiosk.steps.devices import DeviceServices
    from kiosk.steps.printing import PrintServices
    from kiosk.steps.proof_check import ProofChecks

    citizen = SimulatedCitizen(devices.simulators) if simulated else None
    device_services = DeviceServices(devices.drivers, fallback=None, citizen=citizen)
    parts: list[Any] = [device_services]
    # the document photos a session read (the ID card's, the chip's), for the face check
    photos = device_services.photos
    if "camera" in devices.drivers:
        from kiosk.identity.service import FaceServices

        parts.append(FaceServices(lambda: _camera_frames(devices), photos, citizen))

    registry = None
    if link is None and simulated:  # no backend: the simulated card's own registry
        from kiosk.sim_registry import SimulatedRegistry

        cards = devices.simulators

        def holders() -> list[dict[str, str]]:
            card = cards.get("id_card")
            return [card.profile.citizen] if card is not None else []

        registry = SimulatedRegistry(holders, city_pack_of(config))

    def issuer_keys() -> dict[str, Any]:
        own = registry.trusted() if registry is not None else {}
        return {**trusted_issuers(config.proof, config.cache.database), **own}

    parts.append(ProofChecks(issuer_keys))  # anyone may check a proof: no device beyond the scan
    sims = devices.simulators
    if citizen is not None and "id_card" in sims and (issuer or registry) is not None:
        from kiosk.simulated import proof_paper

        pack = city_pack_of(config)

        def paper() -> str:  # the registry's key is read when asked: a test may change it
            signer = issuer if issuer is not None else getattr(registry, "key", None)
            return proof_paper(signer, sims["id_card"].profile.citizen, pack())

        citizen.proof_paper = paper
    if "scanner_a4" in devices.drivers:
        from kiosk.steps.scanning import DocumentScans

        parts.append(DocumentScans(devices.drivers))
    if "signature_pad" in devices.drivers:
        from kiosk.steps.signing import SignatureCapture

        parts.append(SignatureCapture(devices.drivers, citizen=citizen))
    printing = PrintServices(devices.drivers, city_pack_of(config), strings, config.terminal.id,
                             issuer_keys)  # fmt: skip
    parts.append(printing)
    # the retain rule on the card transport: the slip, and the technician told at once
    device_services.retain_slip = printing.retained_slip
    if link is not None and link.link is not None:  # enrolled: the backend is told
        device_services.alert = link.link.device_event
    if "card_transport" in devices.drivers:  # 自助取证: documents from the storage slots
        from kiosk.steps.pickup import DocumentDispenser

        enrolled = link is not None and link.link is not None
        dispenser = DocumentDispenser(devices.drivers["card_transport"], slot_book(devices, link),
                                      link.services.pickup_collected if enrolled else None,
                                      alert=device_services.alert, citizen=citizen)  # fmt: skip
        dispenser.retain_slip = printing.retained_slip
        parts.append(dispenser)
        if simulated and "card_transport" in devices.simulators:  # a document to collect
            from flows.demo import load_demo_pickup

            load_demo_pickup(devices.simulators["card_transport"], slot_book(devices, link))
    if "smartcard" in devices.drivers:
        from kiosk.steps.chip import ChipServices

        # the endorsement key: the simulator's published test key; a deployed terminal
        # has none yet (it belongs in the issuer's SAM), so its chip steps fail calmly
        card = devices.simulators.get("smartcard")
        key = bytes.fromhex(card.profile.issuer_key) if card is not None else None
        card_back = None
        if "card_printer" in devices.drivers:  # the endorsement on the permit's back too
            from kiosk.steps.card_back import CardBackPrinting

            card_back = CardBackPrinting(devices.drivers["card_printer"], city_pack_of(config),
                                         strings)  # fmt: skip
        parts.append(ChipServices(devices.drivers["smartcard"], key, config.terminal.id, citizen,
                                  photos=photos,
                                  transport=devices.drivers.get("card_transport"),
                                  card_back=card_back))  # fmt: skip
    if link is None:
        return ServiceChain(*parts, *([registry] if registry is not None else []))
    parts.append(link.services)
    payments = _payment_services(config, devices, link, citizen)
    if payments is not None:
        parts.append(payments)
    return ServiceChain(*parts)


def photo_receipts(config: Any) -> Any:
    """The terminal's photo receipt numbers, kept beside the cache; their prefix is
    the terminal's id (its first 13 characters: what a receipt number holds)."""
    from kiosk.photo.receipt import ReceiptBook

    prefix = config.terminal.id[:13].rstrip("-")
    folder = config.cache.database.parent
    folder.mkdir(parents=True, exist_ok=True)
    return ReceiptBook(folder / "photo-receipts.db", prefix)


def city_pack_of(config: Any) -> Callable[[], Any]:
    """The pack the backend last gave (the issuer, its wording, the help numbers),
    else the packaged one."""
    from kiosk.citypack import PACK_FILE, CityPack, load_pack, parse_pack
    from kiosk.errors import ConfigError
    from kiosk.sync.link import pulled_city_file

    packaged = load_pack(config.terminal.city_pack)

    def city_pack() -> CityPack:
        text = pulled_city_file(config.cache.database, PACK_FILE)
        try:
            return parse_pack(text, "the backend's city pack") if text else packaged
        except ConfigError as exc:
            log.error("the backend's city pack is not usable, the packaged one is: %s", exc)
            return packaged

    return city_pack


def _payment_services(config: Any, devices: SimulatedDevices, link: Any, citizen: Any) -> Any:
    """QR micropay on an enrolled terminal with a scanner; bank cards wherever the
    card terminal is (it has its own line to the bank)."""
    import threading

    from kiosk.steps.payments import BankCardPay, PaymentServices, settle_card_orders
    from offline_cache.payments import PaymentBook

    scanner, card_terminal = devices.drivers.get("scanner"), devices.drivers.get("card_payment")
    micropay = link.micropay if scanner is not None else None
    card = None
    if card_terminal is not None:
        outbox = link.services.outbox
        card = BankCardPay(card_terminal, PaymentBook(outbox), config.terminal.id, outbox.clock)
        threading.Thread(target=settle_card_orders, args=(card,), daemon=True).start()
    if micropay is None and card is None:
        return None
    return PaymentServices(scanner, micropay, citizen or (lambda s, p: None), card=card)


def _backend_link(
    config: Any, devices: SimulatedDevices, power: dict[str, Any] | None = None
) -> Any:
    """The backend services and the sync thread; none when the cache is unusable
    (the terminal then runs on demo answers, and says so in the log). `power`: where
    the power policy will be (the UPS's line in the heartbeat says what it said)."""
    from kiosk.power import heartbeat_word
    from kiosk.sync.terminal import open_link
    from offline_cache.database import DatabaseError
    from offline_cache.keyring import KeyringError
    from wire.sync import DeviceReport

    def probe() -> tuple[dict[str, DeviceReport], dict[str, int]]:
        found = {name: DeviceReport(status=driver.status.device.value)
                 for name, driver in devices.drivers.items()}  # fmt: skip
        ups = devices.drivers.get("ups")
        if ups is not None:
            status, detail = heartbeat_word(ups, (power or {}).get("policy"))
            found["ups"] = DeviceReport(status=status, detail=detail[:120])
        sensors, guard = devices.drivers.get("sensors"), (power or {}).get("guard")
        if sensors is not None and guard is not None:  # an alarm as device_event told it
            if guard.locked or found["sensors"].status == "online":
                found["sensors"] = DeviceReport(status=guard.status_word())
        return found, {}

    try:
        link = open_link(config, probe)
    except (DatabaseError, KeyringError) as exc:
        log.error("the offline cache cannot be used, no backend link: %s", exc)
        return None
    link.start(config.backend.heartbeat_s)
    return link


def help_intercom(config: KioskConfig, simulated: bool) -> tuple[Any, Any]:
    """The video call 求助 makes beside the help request (kiosk/intercom): to
    `[help] sip_uri`; with `--sim` and none configured, to a simulated duty room on
    loopback. Returns (intercom, the simulated room), either None; the phone starts
    in the background, and a SIP stack that will not start only costs the call."""
    from kiosk.intercom import Intercom, SipStackError

    section, room = config.help, None
    if section.sip_uri is None and simulated:
        from kiosk.simulated import simulated_duty_room

        try:
            room, section = simulated_duty_room(config.terminal.id)
        except SipStackError as exc:
            log.error("no simulated duty room, 求助 makes no video call: %s", exc)
            return None, None
    if section.sip_uri is None:
        return None, None
    intercom = Intercom(section)
    intercom.start()
    return intercom, room


# The devices a terminal opens itself (outside the simulated set), in that order, with
# the options each driver takes from its section: a UPS (heartbeat, desk, power
# policy), the motorised card slot (the permit in and out, the pickups' storage), the
# card unit's rewrite module (the permit's back), the booth's sensor and light boards,
# the signature pad (the sign step).
OWN_DEVICES: dict[str, tuple[str, ...]] = {
    "ups": (),
    "card_transport": (),
    "card_printer": (),
    "sensors": ("baudrate", "unit"),
    "lights": ("baudrate", "unit"),
    "signature_pad": ("baudrate", "box"),
}
WHOLE_NUMBERS = {"baudrate", "unit"}  # from the environment they come as text


def open_device(config: Any, devices: SimulatedDevices, name: str) -> Any:
    """The device `[devices.NAME]` names, when it is there and enabled: its driver
    opened (one that does not answer yet is followed all the same) and put with the
    devices. None without one, or when its section cannot be used (said in the log:
    the terminal runs without it)."""
    from drivers.conformance.kit import load_object
    from drivers.registry import driver_path

    section = config.devices.get(name)
    if section is None or not section.enabled:
        return None
    try:
        options = {k: int(v) if k in WHOLE_NUMBERS else v
                   for k, v in section.options.items() if k in OWN_DEVICES[name]}  # fmt: skip
        driver = load_object(driver_path(name, section.driver))(
            port=section.port or section.uri or "", **options
        )
    except (ValueError, TypeError, ImportError) as exc:
        log.error("[devices.%s] cannot be used: %s", name, exc)
        return None
    done = driver.open(section.timeout_ms / 1000).result()
    if not done.ok:
        log.error("the %s does not answer yet: %s/%s", name, done.code.value, done.error)
    devices.drivers[name] = driver
    return driver


def watch_power(
    shell: Any,
    ups: Any,
    link: Any,
    *,
    shutdown: Callable[[], None] | None = None,
    power: dict[str, Any] | None = None,
    poll_s: float | None = None,
) -> Any:
    """With a UPS, the terminal's power policy (kiosk/power.py) on the touchscreen: a
    thread follows the UPS (ui/power.py), a power failure pauses the home screen's
    services, a low battery cancels the session through the shell's Cancel and then
    calls `shutdown` (default: `systemctl poweroff`); the backend is told each change
    at once (`device_event`). No UPS: None, and nothing changes."""
    if ups is None:
        return None
    from kiosk.power import PowerPolicy, poweroff
    from ui.power import POLL_S, PowerWatch

    sync = link.link if link is not None else None

    def report(status: str, detail: str) -> None:
        if sync is None:  # not enrolled: the heartbeat's look is all there is
            return
        try:
            sync.device_event("ups", status, detail)
        except Exception:  # the shutdown must not wait on the cache
            log.exception("the UPS's news could not be queued for the backend")

    policy = PowerPolicy(in_session=shell.in_session, cancel_session=shell.cancel,
                         shutdown=shutdown or poweroff, report=report)  # fmt: skip
    if power is not None:
        power["policy"] = policy
    return PowerWatch(ups, policy, shell, POLL_S if poll_s is None else poll_s).start()


def watch_booth(
    shell: Any, devices: SimulatedDevices, link: Any, *, policies: dict[str, Any] | None = None
) -> Any:
    """With sensors, the booth's policies (kiosk/booth.py) on the touchscreen: presence
    wakes, greets and asks a citizen gone mid-session; a door or tamper alarm locks
    the services, tells the backend at once (`device_event`) and cancels the session,
    until the desk's "clear the alarm". With lights, the step's slot blinks. Neither:
    None, and nothing changes."""
    from kiosk.booth import BoothGuard, PresencePolicy
    from kiosk.guide_lights import GuideLights
    from ui.booth import BoothWatch, follow_steps

    sensors, lights = devices.drivers.get("sensors"), devices.drivers.get("lights")
    if lights is not None:  # the permit goes in through the transport's slot, if there is one
        through = {"smartcard": "card_transport"} if "card_transport" in devices.drivers else {}
        follow_steps(shell, GuideLights(lights, through))
    if sensors is None:
        return None
    sync = link.link if link is not None else None

    def report(status: str, detail: str) -> None:
        if sync is None:  # not enrolled: the heartbeat's look is all there is
            return
        try:
            sync.device_event("sensors", status, detail)
        except Exception:  # the lock must not wait on the cache
            log.exception("the booth alarm could not be queued for the backend")

    guard = BoothGuard(in_session=shell.in_session, cancel_session=shell.cancel, report=report)
    presence = PresencePolicy(in_session=shell.in_session, approached=shell.someoneApproached,
                              away=shell.citizenAway)  # fmt: skip
    if policies is not None:
        policies["guard"] = guard
    watch = BoothWatch(sensors, guard, presence, shell)
    if shell.desk is not None:
        shell.desk.clear_alarm = watch.clear
    return watch.start()


def simulated_poweroff() -> None:
    """`kiosk run --sim`: the battery ran low on the simulated UPS; the machine is a
    developer's, so the kiosk quits rather than powering it off."""
    from ui.app import quit_app

    log.warning("low battery on the simulated UPS: a terminal would power off now "
                "(systemctl poweroff); the kiosk quits instead")  # fmt: skip
    quit_app()


def _embedded_backend(config: Any) -> Any:
    """`make run`: the reference backend in this process, on a loopback port, with
    this terminal enrolled in it (once: the identity file stays)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # it talks as it is imported
    import socket
    import threading
    import time

    import uvicorn

    from backend.app import Settings, create_app
    from backend.terminals import new_code
    from kiosk.citypack import PACKS
    from kiosk.sync.client import post_unsigned
    from kiosk.sync.identity import Identity
    from wire import crypto
    from wire.signing import public_key_text
    from wire.sync import EnrolmentReply, EnrolmentRequest

    folder = config.cache.database.parent / "backend"
    pack = PACKS / config.terminal.city_pack
    app = create_app(Settings(f"sqlite:///{folder / 'backend.db'}", folder,
                              pack if pack.is_dir() else None,
                              gateway_simulator=True,
                              crypto_suite=config.crypto.suite))  # fmt: skip
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True, name="embedded-backend").start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    identity_file = config.backend.identity_file
    if identity_file.exists():  # enrolled before: the same key, the backend's new port
        known = Identity.load(identity_file)
        Identity(known.terminal_id, url, known.key).save(identity_file)
    else:
        key = crypto.suite(config.crypto.suite).generate_private_key()  # as the backend's
        ask = EnrolmentRequest(code=new_code(app.state.engine, time.time()).code,
                               public_key=public_key_text(key.public),
                               name=config.terminal.name, software_version="dev",
                               site=config.terminal.site.strip() or None)  # fmt: skip
        reply = EnrolmentReply.model_validate(post_unsigned(url + "/v1/enrol", ask, 10))
        Identity(reply.terminal_id, url, key).save(identity_file)
    log.info("embedded backend on %s (console: %s/console, accounts: kiosk-backend user add "
             "NAME --role administrator --data %s)", url, url, folder)  # fmt: skip
    return server


def embedded_issuer(app: Any) -> Any:
    """The embedded backend's issuer key, as the terminal's documents name one: what
    signed the proof the simulated citizen has in hand (the terminal trusts it once
    the backend's config is pulled, as it trusts every proof the backend signs)."""
    from kiosk.documents.keys import IssuingKey

    issuer = app.state.issuers.current()
    return IssuingKey(issuer.key_id, issuer.signing_key, issuer.hmac_key)


def voice_cache() -> Path:
    """The Mandarin prompts `make` rendered (ui.voices): spoken with the neural voice."""
    from ui.voices import CACHE_DIR

    return CACHE_DIR


def _confirm_update(config: KioskConfig) -> bool:
    """This start went well: an update on probation to this version is confirmed, so
    the root scripts keep it (kiosk/updates.py)."""
    from kiosk.updates import UpdateFilesError, confirm, own_folder
    from wire import __version__

    try:
        return confirm(config.updates.state_dir, own_folder(config.cache.database), __version__)
    except UpdateFilesError as exc:
        log.error("update: this start could not be confirmed: %s", exc)
        return False
