"""`kiosk config show|check`: what configuration the terminal would run with."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_OK, UsageError


class ConfigCommand(Command):
    name = "config"
    help_id = "cmd.config.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        show = actions.add_parser("show", help=text("cmd.config.show.help"))
        add_json_flag(show, text)
        check = actions.add_parser("check", help=text("cmd.config.check.help"))
        check.add_argument("file", nargs="?", help=text("cmd.config.check.file"))
        add_json_flag(check, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action is None:
            raise UsageError("cli.no_action", command=self.name, actions="show, check")
        if args.action == "check" and args.file:
            args.config = args.file
        loaded = console.loaded_config()  # raises ConfigError, exit 2, on any fault
        source = str(loaded.source) if loaded.source else console.text("config.defaults")
        if args.action == "check":
            console.report(
                {"valid": True, "source": source, "overrides": loaded.overrides},
                console.text("config.check.ok", file=source),
            )
        else:
            data = loaded.config.model_dump(mode="json")
            human = (
                console.text("config.show.source", file=source)
                + "\n"
                + json.dumps(data, ensure_ascii=False, indent=2)
            )
            console.report({"source": source, "overrides": loaded.overrides, "config": data}, human)
        return EXIT_OK
