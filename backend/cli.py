"""`kiosk-backend`: the reference central backend's command line.

Shares nothing with the terminal but wire/, so it has its own small parser; the
backend issue adds `serve` and the fleet console here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any, NoReturn

from wire import __version__

ENTRY_POINT_GROUP = "kiosk_backend.commands"
EXIT_USAGE = 2
# commands of this tree not (yet) among the installed entry points: registered here,
# so that the command is there without the package being installed again
BUILT_IN = {"counter": "backend.counter_cli:CounterCommand"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"kiosk-backend: usage error: {message} (see kiosk-backend --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(
        prog="kiosk-backend", description="Reference central backend of the kiosk fleet."
    )
    parser.add_argument("--version", action="version", version=f"kiosk-backend {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    points = {p.name: p for p in entry_points(group=ENTRY_POINT_GROUP)}
    for name in sorted({*points, *BUILT_IN}):
        command = points[name].load() if name in points else _load(BUILT_IN[name])
        command().register(sub)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    if getattr(args, "handler", None) is None:
        parser.error("give a command")
    return int(args.handler(args))


def _load(reference: str) -> Any:
    """`module:Class`, as an entry point names it."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


if __name__ == "__main__":
    sys.exit(main())
