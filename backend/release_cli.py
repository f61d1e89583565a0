"""`kiosk-backend release stage|unstage|list`: package updates, staged terminal by
terminal (docs/updates.md).

A staged version goes to its terminal in the heartbeat's answer while it is newer than
the version the terminal runs; the terminal's root update agent installs it from the
signed apt repository, and a failed start rolls it back. A rollback withdraws the
staging of that terminal (and raises an alert); staging it again is an operator's
decision. Each stage and unstage is in the audit log, by the system user who made it."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from backend.serve import _common, open_database
from wire.versions import valid_version

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

EXIT_BAD_INPUT = 2  # README: usage error, or bad input


class ReleaseError(Exception):
    """Bad input for a staging: the message is the one line the operator reads."""


class ReleaseCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser(
            "release", help="package updates staged terminal by terminal: stage, unstage, list"
        )
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                        parser_class=type(parser))  # fmt: skip
        stage = actions.add_parser("stage", help="offer VERSION to these terminals")
        stage.add_argument("version", metavar="VERSION", help="a Debian version, e.g. 0.2.0-1")
        unstage = actions.add_parser("unstage", help="offer these terminals nothing")
        for action in (stage, unstage):
            which = action.add_mutually_exclusive_group(required=True)
            which.add_argument("--terminal", metavar="ID", action="append",
                               help="a terminal's id (again for more)")  # fmt: skip
            which.add_argument("--all", action="store_true", help="every terminal not revoked")
            _common(action)
        listing = actions.add_parser(
            "list", help="each terminal: running and staged versions, its last update"
        )
        _common(listing)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        if args.action == "stage" and not valid_version(args.version):
            print(f"kiosk-backend: release stage: {args.version[:60]!r} is not a Debian "
                  "version (e.g. 0.2.0-1, at most 40 characters)", file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
        engine = open_database(args)
        if engine is None:
            return 1
        try:
            if args.action == "list":
                for line in listing(engine):
                    print(line)
                return 0
            version = args.version if args.action == "stage" else None
            done = stage(engine, version, args.terminal, time.time(), getpass.getuser())
        except ReleaseError as exc:
            print(f"kiosk-backend: release {args.action}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        finally:
            engine.dispose()
        what = f"{version} staged for" if version else "nothing staged for"
        print(f"{what} {len(done)} terminal(s): {', '.join(done) or '-'}")
        return 0


def stage(
    engine: Engine, version: str | None, terminals: Sequence[str] | None, now: float, by: str
) -> list[str]:
    """Stages `version` (None: unstages) for these terminals (None: every terminal not
    revoked), in one transaction with its audit entries; the ids done. ReleaseError for
    an unknown or revoked terminal, and nothing is changed."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.audit import audit
    from backend.db import Terminal

    if version is not None and not valid_version(version):
        raise ReleaseError(f"{version[:60]!r} is not a Debian version")
    with Session(engine) as db, db.begin():
        if terminals is None:
            rows = list(db.scalars(select(Terminal).where(Terminal.revoked_at.is_(None))
                                   .order_by(Terminal.id)))  # fmt: skip
        else:
            rows = []
            for terminal_id in dict.fromkeys(terminals):
                row = db.get(Terminal, terminal_id)
                if row is None:
                    raise ReleaseError(f"no terminal {terminal_id[:40]!r} (see release list)")
                if row.revoked_at is not None:
                    raise ReleaseError(f"terminal {terminal_id} is revoked")
                rows.append(row)
        for row in rows:
            before = row.staged_version
            row.staged_version, row.staged_at = version, (now if version else None)
            action = "release_stage" if version else "release_unstage"
            detail = f"{before or '-'} -> {version or '-'}"
            audit(db, now, "cli", by, action, row.id, detail)
        done = [row.id for row in rows]
    return done


def listing(engine: Engine) -> list[str]:
    """One line per terminal, tab-separated: id, name, running version, staged version
    (`-` when none), the version on probation, the last update's outcome and reason."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.db import Terminal

    lines = ["terminal\tname\trunning\tstaged\tprobation\tlast update"]
    with Session(engine) as db:
        for row in db.scalars(select(Terminal).order_by(Terminal.id)):
            state = " (revoked)" if row.revoked_at is not None else ""
            name = " ".join(row.name.split()) or "-"  # a tab in it would shift the columns
            lines.append("\t".join([row.id + state, name, row.software_version,
                                    row.staged_version or "-", row.update_probation or "-",
                                    last_update(row.last_update)]))  # fmt: skip
    return lines


def last_update(outcome: dict[str, Any] | None) -> str:
    """`0.1.0 -> 0.2.0 rolled_back: the self-test failed`, or `-`."""
    if not outcome:
        return "-"
    reason = f": {outcome['reason']}" if outcome.get("reason") else ""
    return f"{outcome.get('from')} -> {outcome.get('to')} {outcome.get('result')}{reason}"
