"""`kiosk-backend site set|clear|list`: the site (网点) a terminal stands at, as the
console groups it (backend/sites.py). Each change is in the audit log, by the system
user who made it, as the console's `PUT /v1/admin/terminals/{id}/site` is by the
operator."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import time
from typing import TYPE_CHECKING

from backend.serve import _common, open_database
from wire.sync import SITE

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

EXIT_BAD_INPUT = 2  # README: usage error, or bad input


class SiteCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser("site", help="the site a terminal stands at: set, clear, list")
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                        parser_class=type(parser))  # fmt: skip
        put = actions.add_parser("set", help="set a terminal's site")
        put.add_argument("terminal", metavar="ID")
        put.add_argument("site", metavar="TEXT", help='e.g. "北京市公安局海淀分局 中关村派出所"')
        clear = actions.add_parser("clear", help="back to the site the terminal's name says")
        clear.add_argument("terminal", metavar="ID")
        listing = actions.add_parser("list", help="each terminal: name, own site, site shown")
        for action in (put, clear, listing):
            _common(action)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        site = " ".join(args.site.split()) if args.action == "set" else None
        if args.action == "set" and (len(site or "") > 80 or not re.match(SITE, site or "")):
            print("kiosk-backend: site set: the site is one line of 1 to 80 characters",
                  file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
        engine = open_database(args)
        if engine is None:
            return 1
        try:
            if args.action == "list":
                for line in listing(engine):
                    print(line)
                return 0
            done = set_site(engine, args.terminal, site, time.time(), getpass.getuser())
        finally:
            engine.dispose()
        if done is None:
            print(f"kiosk-backend: site {args.action}: no terminal {args.terminal[:40]!r} "
                  "(see site list)", file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
        print(f"{args.terminal}: {done}")
        return 0


def set_site(engine: Engine, terminal: str, site: str | None, now: float, by: str) -> str | None:
    """Sets (None: clears) the terminal's site with its audit entry; the site the
    console now shows, or None for an unknown terminal (nothing changed)."""
    from sqlalchemy.orm import Session

    from backend.sites import change_site

    with Session(engine) as db, db.begin():
        done = change_site(db, terminal, site, now, "cli", by)
        return None if done is None else done.shown_as


def listing(engine: Engine) -> list[str]:
    """One line per terminal, tab-separated: id, name, its own site (`-`: none), the
    site the console shows."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.db import Terminal
    from backend.tables import terminal_site

    lines = ["terminal\tname\tsite\tshown as"]
    with Session(engine) as db:
        for row in db.scalars(select(Terminal).order_by(Terminal.id)):
            state = " (revoked)" if row.revoked_at is not None else ""
            name = " ".join(row.name.split()) or "-"
            lines.append("\t".join([row.id + state, name, row.site or "-",
                                    terminal_site(row.name, row.site)]))  # fmt: skip
    return lines
