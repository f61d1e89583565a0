"""`kiosk-backend counter import FILE`: the counter applications the bureau's counter
system exported (CSV: date,site,service,count; backend/counter.py), on the backend's
machine. Every bad row is printed with its line and why, and then nothing is imported
(exit 2); otherwise all rows are, in one transaction, with their audit entry by the
system user who ran it."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path

from backend.serve import _common, open_database

EXIT_BAD_INPUT = 2  # README: usage error, or bad input
MAX_FILE = 64 * 1024 * 1024


class CounterCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser("counter", help="counter applications: import the counter's CSV")
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                        parser_class=type(parser))  # fmt: skip
        load = actions.add_parser("import", help="import a CSV: date,site,service,count")
        load.add_argument("file", metavar="FILE", help="the CSV (UTF-8); - reads standard input")
        _common(load)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        name = "standard input" if args.file == "-" else args.file
        try:
            if args.file == "-":
                data = sys.stdin.buffer.read(MAX_FILE + 1)
            else:
                with Path(args.file).open("rb") as handle:
                    data = handle.read(MAX_FILE + 1)
        except OSError as exc:
            print(f"kiosk-backend: counter import: cannot read {name}: {exc.strerror}",
                  file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
        if len(data) > MAX_FILE:
            print(f"kiosk-backend: counter import: {name} is larger than "
                  f"{MAX_FILE // 2**20} MiB: import it in parts", file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
        engine = open_database(args)
        if engine is None:
            return 1
        from sqlalchemy.orm import Session

        from backend.counter import BadRows, csv_rows, import_table

        try:
            with Session(engine) as db, db.begin():
                done = import_table(db, csv_rows(data), time.time(), "cli", getpass.getuser())
        except BadRows as bad:
            for problem in bad.problems:
                print(f"kiosk-backend: counter import: {name} {problem}", file=sys.stderr)
            print(f"kiosk-backend: counter import: nothing imported ({len(bad.problems)} "
                  "bad row(s))", file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
        finally:
            engine.dispose()
        print(
            f"counter applications: {done.rows} rows ({done.first_day} to {done.last_day}), "
            f"{done.new} new, {done.replaced} replaced"
        )
        return 0
