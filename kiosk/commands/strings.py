"""`kiosk strings check|show`: the message catalogue, for translators and city packs."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_FAILED, EXIT_OK, UsageError
from kiosk.strings import LANGUAGES


class StringsCommand(Command):
    name = "strings"
    help_id = "cmd.strings.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        check = actions.add_parser("check", help=text("cmd.strings.check.help"))
        add_json_flag(check, text)
        show = actions.add_parser("show", help=text("cmd.strings.show.help"))
        show.add_argument("message_id")
        add_json_flag(show, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        strings = console.strings
        if args.action == "check":
            problems = strings.problems()
            count = len(strings.ids())
            human = (
                "\n".join(problems)
                if problems
                else console.text("strings.check.ok", count=count, languages=", ".join(LANGUAGES))
            )
            console.report({"messages": count, "problems": problems}, human)
            return EXIT_FAILED if problems else EXIT_OK
        if args.action == "show":
            if args.message_id not in strings.ids():
                raise UsageError("strings.unknown_id", message_id=args.message_id)
            texts = {
                lang: getattr(strings.messages[lang].get(args.message_id), "text", "")
                for lang in LANGUAGES
            }
            human = "\n".join(f"{lang}: {value}" for lang, value in texts.items())
            console.report({"id": args.message_id, "texts": texts}, human)
            return EXIT_OK
        raise UsageError("cli.no_action", command=self.name, actions="check, show")
