"""`kiosk devices`, `kiosk sim`, `kiosk conformance`: devices for technicians and vendors."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_FAILED, EXIT_OK, ServiceUnavailable, UsageError

DEVICE_NAMES = [
    "id_card",
    "fingerprint",
    "receipt_printer",
    "scanner",
    "card_payment",
    "smartcard",
    "camera",
    "document_printer",
    "ups",
    "card_transport",
    "scanner_a4",
    "card_printer",
    "sensors",
    "lights",
    "signature_pad",
]


def _class(device: str) -> Any:
    from drivers.registry import DEVICE_CLASSES

    return DEVICE_CLASSES[device]


def _load(path: str) -> Any:
    from drivers.conformance.kit import load_object

    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # a vendor runs this from their own project
    try:
        return load_object(path)
    except (ImportError, ValueError) as exc:
        raise UsageError("devices.bad_driver", path=path, detail=str(exc)) from None


class SimCommand(Command):
    name = "sim"
    help_id = "cmd.sim.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        parser.add_argument("device", choices=DEVICE_NAMES)
        parser.add_argument("--profile", type=Path, help=text("cmd.sim.profile"))
        parser.add_argument(
            "--fault",
            action="append",
            default=[],
            metavar="KIND[:P[:AFTER]]",
            help=text("cmd.sim.fault"),
        )
        parser.add_argument("--seed", type=int, default=0)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        from pydantic import ValidationError

        from drivers.config import FaultSpec
        from drivers.faults import faults_of
        from drivers.simulator import FaultPlan

        device = _class(args.device)
        if device.simulator is None:
            raise ServiceUnavailable("devices.no_simulator", device=args.device)
        known = faults_of(args.device)
        faults = []
        for spec in args.fault:
            kind, _, rest = spec.partition(":")
            if kind not in known:
                raise UsageError("devices.fault_not_here", device=args.device, fault=kind,
                                 faults=", ".join(known) or "-")  # fmt: skip
            probability, _, after = rest.partition(":")
            try:
                faults.append(
                    FaultSpec(
                        kind=kind,
                        probability=float(probability or 1),
                        after_commands=int(after or 0),
                    )
                )
            except ValidationError as exc:
                raise UsageError(
                    "devices.bad_fault", spec=spec, detail=exc.errors()[0]["msg"]
                ) from None
            except ValueError as exc:
                raise UsageError("devices.bad_fault", spec=spec, detail=str(exc)) from None
        simulator_class = _load(device.simulator)
        profile = _profile(simulator_class, args.profile)
        try:
            simulator = simulator_class(profile, FaultPlan(faults, args.seed)).start()
        except (OSError, RuntimeError) as exc:  # no pcscd, no CUPS, a port taken
            raise ServiceUnavailable("devices.sim_failed", device=args.device, detail=exc) from None
        console.say("sim.started", device=args.device, link=simulator.address)
        # a line of its own, for scripts: the pty (serial) or the URL (camera)
        print(getattr(simulator, "pts", simulator.address), file=console.out, flush=True)
        output = getattr(simulator, "output_folder", None)
        if output is not None:  # a printer's: what it printed, for a test to read
            console.say("sim.output", folder=output)
        console.say("sim.console")
        if hasattr(simulator, "on_change"):  # a board that shows its state (the lights)
            simulator.on_change = lambda line: print(line, file=console.out, flush=True)
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, _interrupt)  # stop as on Ctrl-C, even mid-readline
        try:
            _console(simulator, stopped, console, args.device)
        except KeyboardInterrupt:
            pass
        finally:
            simulator.stop()
        return EXIT_OK


def _set_field(profile: Any, name: str, value: str) -> None:
    """Set a profile field from text, converted to the field's current type."""
    current = getattr(profile, name)  # AttributeError: not a field
    if isinstance(current, bool):
        parsed: Any = value.lower() in ("1", "true", "yes", "open", "on")
    elif isinstance(current, (int, float)):
        parsed = type(current)(float(value))
    else:
        parsed = value
    setattr(profile, name, parsed)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _profile(simulator_class: Any, path: Path | None) -> Any:
    if path is None:
        return simulator_class.profile_class()
    try:
        return simulator_class.profile_class(**tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, TypeError) as exc:
        raise UsageError("devices.bad_profile", file=path, detail=str(exc)) from None


def _console(simulator: Any, stopped: threading.Event, console: Console, device: str) -> None:
    """Live from stdin: `fault KIND [MS]`, `set FIELD VALUE` (of the profile), `drop`,
    `quit`. A fault the device does not have is refused, with the ones it has."""
    from drivers.faults import faults_of

    while not stopped.is_set():
        line = sys.stdin.readline()
        if not line:  # no console (run in the background): wait to be stopped
            stopped.wait()
            return
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            return
        try:
            if words[0] == "fault":
                if words[1] not in faults_of(device):
                    print(console.text("devices.fault_not_here", device=device, fault=words[1],
                                       faults=", ".join(faults_of(device))),
                          file=console.out, flush=True)  # fmt: skip
                    continue
                simulator.faults.inject(words[1], int(words[2]) if len(words) > 2 else 0)
            elif words[0] == "set":
                if hasattr(simulator, "load"):  # the A4 printer's state is a file CUPS writes
                    simulator.load()
                _set_field(simulator.profile, words[1], words[2])
                if hasattr(simulator, "save"):
                    simulator.save()
            elif words[0] in ("place", "remove") and hasattr(simulator, "place_card"):
                (simulator.place_card if words[0] == "place" else simulator.remove_card)()
            elif words[0] == "present" and hasattr(simulator, "present"):
                simulator.present(words[1])
            elif words[0] == "finger" and hasattr(simulator, "put_finger"):
                simulator.put_finger(words[1], int(words[2]) if len(words) > 2 else 80)
            elif words[0] == "lift" and hasattr(simulator, "lift_finger"):
                simulator.lift_finger()
            elif words[0] == "insert" and hasattr(simulator, "insert_card"):
                simulator.insert_card(words[1] if len(words) > 1 else "card")
            elif words[0] == "take" and hasattr(simulator, "take_card"):
                simulator.take_card()
            elif words[0] == "save" and hasattr(simulator, "save_png"):
                try:  # the card printer: the card back as PNG
                    simulator.save_png(words[1])
                except OSError as exc:
                    print(console.text("sim.save_failed", path=words[1], reason=exc.strerror),
                          file=console.out, flush=True)  # fmt: skip
                    continue
            elif words[0] == "sign" and hasattr(simulator, "sign"):
                simulator.sign(words[1] if len(words) > 1 and words[1] != "none" else None)
            elif words[0] == "tap" and hasattr(simulator, "tap"):
                simulator.tap(words[1])
            elif words[0] == "drop":
                threading.Thread(target=simulator.drop_link, daemon=True).start()
            elif hasattr(simulator, "console_command") and simulator.console_command(words):
                pass  # the I/O boards' own: approach, door open, tamper, reset, ...
            else:
                raise ValueError(words[0])
            print("ok", file=console.out, flush=True)
        except (IndexError, ValueError, AttributeError):
            print(console.text("sim.console"), file=console.out, flush=True)


class DevicesCommand(Command):
    name = "devices"
    help_id = "cmd.devices.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        parser.add_argument("action", choices=["list", "status", "selftest"])
        parser.add_argument("--sim", action="store_true", help=text("cmd.devices.sim"))
        add_json_flag(parser, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        from drivers.registry import DEVICE_CLASSES, driver_path
        from drivers.stable_names import look

        config = console.loaded_config().config
        configured = config.devices
        rows = []
        for name in DEVICE_NAMES:
            section = configured.get(name)  # type: ignore[call-overload]
            device = DEVICE_CLASSES[name]
            row: dict[str, Any] = {
                "device": name,
                "driver": None,
                "port": None,
                "state": "not_configured",
            }
            if args.sim and device.simulator:
                row.update(driver=device.default_driver, port="simulator")
                row.update(_check(device, None, args.action, faults_from=section))
            elif args.sim:
                row["state"] = "no_driver_yet"
            elif section is not None:
                row.update(
                    driver=driver_path(name, section.driver), port=section.port or section.uri
                )
                if args.action == "list":
                    row["state"] = "configured"
                else:
                    row.update(_check(device, section, args.action))
            # its stable name (packaging/udev), whatever the port the configuration gives
            row.update(look(name, config.device_links.dir).as_dict())
            rows.append(row)
        fine = ("online", "configured", "not_configured", "no_driver_yet")
        failed = [r for r in rows if r.get("state") not in fine]
        lines = []
        for r in rows:
            lines.append(
                f"{r['device']:<17} {r['state']:<15} {r.get('driver') or '-'}"
                + (f"  self-test: {r['selftest']}" if r.get("selftest") else "")
                + (f"  {r['detail']}" if r.get("detail") else "")
            )
            if args.action == "list":
                lines.extend(f"{'':<18}{line}" for line in _link_lines(r, console))
        human = "\n".join(lines)
        console.report({"devices": rows}, human)
        return EXIT_FAILED if failed else EXIT_OK


def _link_lines(row: dict[str, Any], console: Console) -> list[str]:
    """For a technician: the device's stable name, what is behind it, what the
    configuration names (all of it in the --json rows too)."""
    usb = row["usb"]
    if not row["link_exists"]:
        lines = [console.text("devices.link_missing", link=row["link"])]
    else:
        found = console.text("devices.not_usb")
        if usb is not None:
            name = usb["known_as"] or usb["model"] or "-"
            found = console.text("devices.usb", id=f"{usb['vendor']}:{usb['product']}",
                                 serial=usb["serial"] or "-", name=name)  # fmt: skip
        target = row["link_target"]
        lines = [console.text("devices.link_found", link=row["link"], target=target, found=found)]
    port = row.get("port")
    if port and port != "simulator":
        lines.append(console.text("devices.configured_port", port=port))
        if row["link_exists"] and port != row["link"]:
            lines.append(console.text("devices.port_not_stable", link=row["link"]))
    return lines


def _check(device: Any, section: Any, action: str, faults_from: Any = None) -> dict[str, Any]:
    """Open the driver (on a fresh simulator when `section` is None, with the faults
    the configuration gives that device), ask its status, run its self-test."""
    simulator = None
    if section is None:
        from drivers.simulator import FaultPlan

        plan = FaultPlan(faults_from.faults, faults_from.fault_seed) if faults_from else None
        try:
            simulator = _load(device.simulator)(None, plan).start()
        except (OSError, RuntimeError) as exc:  # no pcscd or CUPS to simulate on
            return {"state": "unavailable", "detail": str(exc).splitlines()[0]}
        port = simulator.address
        driver_class = _load(device.default_driver)
    else:
        from drivers.registry import driver_path

        port = section.port or section.uri or ""
        driver_class = _load(driver_path(device.name, section.driver))
    driver = driver_class(port=port)
    try:
        opened = driver.open().result()
        result: dict[str, Any] = {"state": driver.status.device.value, "media": driver.status.media}
        if not opened.ok:
            result["detail"] = f"{opened.code.value}/{opened.error}"
        elif action == "selftest":
            done = driver.self_test().result()
            result["selftest"] = done.code.value
            if not done.ok:
                result["state"], result["detail"] = "selftest_failed", done.error
        return result
    finally:
        driver.close()
        if simulator is not None:
            simulator.stop()


class ConformanceCommand(Command):
    name = "conformance"
    help_id = "cmd.conformance.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        parser.add_argument("device", choices=DEVICE_NAMES)
        parser.add_argument("--driver", metavar="MODULE:CLASS", help=text("cmd.conformance.driver"))
        parser.add_argument("--connect", metavar="PORT", help=text("cmd.conformance.connect"))
        add_json_flag(parser, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        device = _class(args.device)
        if device.suite is None:
            raise ServiceUnavailable("devices.no_simulator", device=args.device)
        path = args.driver or device.default_driver
        if args.connect:
            from drivers.conformance.kit import smoke_test

            report = smoke_test(_load(path), path, args.device, args.connect)
        else:
            report = _load(device.suite)(_load(path), path)
        console.report(report.as_dict(), report.text())
        return EXIT_OK if report.passed else EXIT_FAILED
