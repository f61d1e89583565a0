"""`kiosk-backend`: the reference central backend's command line.

Shares nothing with the terminal but wire/, so it has its own small parser; the
backend issue adds `serve` and the fleet console here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import NoReturn

from wire import __version__

ENTRY_POINT_GROUP = "kiosk_backend.commands"
EXIT_USAGE = 2


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
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name):
        point.load()().register(sub)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    if getattr(args, "handler", None) is None:
        parser.error("give a command")
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
