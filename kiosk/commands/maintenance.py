"""`kiosk maintenance pin`: the hash of a technicians' PIN, for `[maintenance]
pin_hash` in the terminal's configuration (the PIN itself is stored nowhere)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from kiosk.cli import Command, Console
from kiosk.errors import EXIT_OK, UsageError


class MaintenanceCommand(Command):
    name = "maintenance"
    help_id = "cmd.maintenance.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        actions.add_parser("pin", help=text("cmd.maintenance.pin.help"))

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action != "pin":
            raise UsageError("cli.no_action", command=self.name, actions="pin")
        from kiosk.maintenance import hash_pin

        if sys.stdin.isatty():
            pin = getpass.getpass(console.text("maintenance.pin.ask"))
            if getpass.getpass(console.text("maintenance.pin.again")) != pin:
                raise UsageError("maintenance.pin.differ")
        else:  # piped in by an installer script
            pin = sys.stdin.readline().strip()
        try:
            line = hash_pin(pin, console.loaded_config().config.crypto.suite)
        except ValueError:
            raise UsageError("maintenance.pin.bad") from None
        print(f'[maintenance]\npin_hash = "{line}"', file=console.out)
        return EXIT_OK
