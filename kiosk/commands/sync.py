"""`kiosk sync status`: what the terminal still owes the backend, and how the link
last went (outbox depth, the oldest record's age, last success, last error)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_OK, ConfigError, UsageError


class SyncCommand(Command):
    name = "sync"
    help_id = "cmd.sync.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        add_json_flag(actions.add_parser("status", help=text("cmd.sync.status.help")), text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action != "status":
            raise UsageError("cli.no_action", command=self.name, actions="status")
        from offline_cache.database import DatabaseError, connect
        from offline_cache.keyring import Keyring, KeyringError
        from offline_cache.outbox import Outbox

        cache = console.loaded_config().config.cache
        try:
            db = connect(cache.database)
            outbox = Outbox(db, Keyring.open(cache.key_file))
        except (DatabaseError, KeyringError) as exc:
            raise ConfigError("sync.unusable", detail=str(exc)) from None
        try:
            found = outbox.status()
        finally:
            db.close()
        console.report(found, _human(found, console))
        return EXIT_OK


def _human(found: dict[str, Any], console: Console) -> str:
    def when(stamp: float | None) -> str:
        if stamp is None:
            return console.text("sync.never")
        return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    error = found["last_error"]
    return console.text(
        "sync.status",
        depth=found["depth"],
        oldest=found["oldest_age_s"] if found["oldest_age_s"] is not None else "-",
        escalated=found["escalated"],
        success=when(found["last_success"]),
        error=f"{when(error['at'])}: {error['error']}" if error else console.text("sync.never"),
    )
