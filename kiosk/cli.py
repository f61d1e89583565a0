"""`kiosk`: the command line of the terminal, for technicians, vendors and tests.

Subcommands are plug-ins: each package registers a `Command` class under the
`kiosk.commands` entry-point group in pyproject.toml. Every failure is one line
on stderr and an exit code from `kiosk.errors`; `--json` output goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any, ClassVar, NoReturn, TextIO

from pydantic import BaseModel

from kiosk import __version__
from kiosk.config import LoadedConfig, load
from kiosk.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    KioskError,
    UsageError,
)
from kiosk.privacy import Redactor
from kiosk.strings import LANGUAGES, Catalogue, catalogue, language_from_environment

ENTRY_POINT_GROUP = "kiosk.commands"

log = logging.getLogger("kiosk.cli")


class Console:
    """What a command needs from its caller: language, configuration, output."""

    def __init__(
        self,
        args: argparse.Namespace,
        lang: str,
        strings: Catalogue,
        out: TextIO | None = None,
    ) -> None:
        self.args = args
        self.lang = lang
        self.strings = strings
        self.out = out or sys.stdout
        self.redactor = Redactor()
        self._loaded: LoadedConfig | None = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def text(self, message_id: str, /, **params: object) -> str:
        return self.strings.text(message_id, self.lang, **params)

    def loaded_config(self) -> LoadedConfig:
        """The configuration, read on first use; raises `ConfigError`."""
        if self._loaded is None:
            self._loaded = load(self.args.config)
        return self._loaded

    def start_logging(self, stderr_level: str | None = "WARNING") -> None:
        from kiosk import logs  # here, not at import: `kiosk --version` stays fast

        logs.setup(self.loaded_config().config.logging, self.redactor, stderr_level=stderr_level)

    def say(self, message_id: str, /, **params: object) -> None:
        """A line for a person (not printed in --json mode, where stdout is data)."""
        if not self.json:
            print(self.text(message_id, **params), file=self.out, flush=True)

    def report(self, payload: BaseModel | dict[str, Any], human: str) -> None:
        """Print the result: JSON with --json, else the text for a person."""
        if self.json:
            data = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
            print(json.dumps(data, ensure_ascii=False, indent=2, default=str), file=self.out)
        else:
            print(human, file=self.out)


class Command:
    """A `kiosk` subcommand. Subclasses set `name` and `help_id` and implement `run`."""

    name: ClassVar[str]
    help_id: ClassVar[str]

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        """Add arguments; `text(message_id)` gives translated help."""

    def run(self, args: argparse.Namespace, console: Console) -> int:
        raise NotImplementedError


class _Parser(argparse.ArgumentParser):
    """Raises instead of printing usage and exiting, so errors stay one line."""

    def error(self, message: str) -> NoReturn:
        raise UsageError("cli.usage_error", detail=message, prog=self.prog)


def add_json_flag(parser: argparse.ArgumentParser, text: Any) -> None:
    """Every command that reports something takes --json (stable, documented output)."""
    parser.add_argument("--json", action="store_true", help=text("cli.help.json"))


def load_commands() -> tuple[list[Command], list[str]]:
    """The registered commands, and one line for each plug-in that failed to load."""
    commands: list[Command] = []
    broken: list[str] = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        try:
            commands.append(point.load()())
        except Exception as exc:  # a broken vendor plug-in must not take the CLI down
            broken.append(f"{point.name} ({point.value}): {type(exc).__name__}: {exc}")
    return commands, broken


def build_parser(commands: Sequence[Command], text: Any) -> _Parser:
    parser = _Parser(prog="kiosk", description=text("cli.description"))
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument("--config", metavar="FILE", help=text("cli.help.config"))
    parser.add_argument("--lang", choices=LANGUAGES, help=text("cli.help.lang"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in commands:
        child = sub.add_parser(command.name, help=text(command.help_id))
        command.configure(child, text)
        child.set_defaults(handler=command)
    return parser


def _language(argv: Sequence[str]) -> str:
    """--lang is needed before parsing (help texts are translated), so peek at it."""
    for i, arg in enumerate(argv):
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        elif arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        else:
            continue
        if value in LANGUAGES:
            return value
    return language_from_environment()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _language(argv)
    strings = catalogue()

    def text(message_id: str, /, **params: object) -> str:
        return strings.text(message_id, lang, **params)

    commands, broken = load_commands()
    for line in broken:
        print(text("cli.plugin_broken", detail=line), file=sys.stderr)
    try:
        args = build_parser(commands, text).parse_args(argv)
        if getattr(args, "handler", None) is None:
            raise UsageError("cli.no_command", commands=", ".join(c.name for c in commands))
        console = Console(args, lang, strings)
        return int(args.handler.run(args, console))
    except KioskError as exc:
        # Masked: an error may quote an input that holds a citizen's data.
        print(f"kiosk: {Redactor().text(exc.render(lang))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"kiosk: {text('cli.interrupted')}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `kiosk ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except SystemExit as exc:  # --help and --version end here
        code = (
            exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_USAGE)
        )
        return code
    except Exception as exc:
        where = _record_crash(exc)
        print(
            f"kiosk: {text('cli.internal_error', kind=type(exc).__name__, where=where)}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _record_crash(exc: Exception) -> str:
    """Keep the traceback for a developer, masked, out of the person's sight."""
    from kiosk.logs import RedactingHandler

    if any(isinstance(h, RedactingHandler) for h in logging.getLogger().handlers):
        log.error("internal error", exc_info=exc)  # the handler masks it
        return "log"
    details = "".join(traceback.format_exception(exc))
    fd, path = tempfile.mkstemp(prefix="kiosk-crash-", suffix=".txt")  # mode 0600
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(Redactor().text(details))
    return path


if __name__ == "__main__":
    sys.exit(main())
