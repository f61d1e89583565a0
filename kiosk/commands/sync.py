"""`kiosk sync status`: what the terminal still owes the backend, and how the link
last went (outbox depth, the oldest record's age, last success, last error).
`kiosk sync run [--once]`: the link itself (relay, heartbeat, config pull)."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import UTC, datetime
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_FAILED, EXIT_OK, ConfigError, ServiceUnavailable, UsageError


class SyncCommand(Command):
    name = "sync"
    help_id = "cmd.sync.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        add_json_flag(actions.add_parser("status", help=text("cmd.sync.status.help")), text)
        rotate = actions.add_parser("rotate-key", help=text("cmd.sync.rotate.help"))
        add_json_flag(rotate, text)
        run = actions.add_parser("run", help=text("cmd.sync.run.help"))
        run.add_argument("--once", action="store_true", help=text("cmd.sync.once.help"))
        add_json_flag(run, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action not in ("status", "run", "rotate-key"):
            raise UsageError("cli.no_action", command=self.name, actions="status, run, rotate-key")
        from offline_cache.database import DatabaseError, connect
        from offline_cache.keyring import Keyring, KeyringError
        from offline_cache.outbox import Outbox
        from wire import crypto

        config = console.loaded_config().config
        try:
            db = connect(config.cache.database)
            keyring = Keyring.open(config.cache.key_file, config.crypto.suite, crypto.suite)
            outbox = Outbox(db, keyring)
        except (DatabaseError, KeyringError) as exc:
            raise ConfigError("sync.unusable", detail=str(exc)) from None
        try:
            if args.action == "status":
                found = outbox.status()
                notes = outbox.notes()
                found["clock_alert"] = (
                    json.loads(notes["clock_alert"]) if "clock_alert" in notes else None
                )
                console.report(found, _human(found, console))
                return EXIT_OK
            if args.action == "rotate-key":
                # new records are sealed with the new key; a key no record needs is forgotten
                current = keyring.rotate()
                retired = keyring.retire(outbox.keys_in_use())
                found = {"current": current, "retired": retired, "kept": sorted(keyring.keys)}
                console.report(found, console.text("sync.rotated", current=current,
                                                   retired=", ".join(retired) or "-"))  # fmt: skip
                return EXIT_OK
            return _run(args, console, config, outbox)
        finally:
            db.close()


def _run(args: argparse.Namespace, console: Console, config: Any, outbox: Any) -> int:
    from kiosk.sync.client import BackendClient, Refused, Unavailable
    from kiosk.sync.identity import Identity, IdentityError
    from kiosk.sync.link import Link
    from kiosk.updates import UpdateFolders

    try:
        identity = Identity.load(config.backend.identity_file)
    except IdentityError as exc:
        raise ConfigError("sync.not_enrolled", detail=str(exc)) from None
    client = BackendClient(identity, config.backend.timeout_s)
    updates = UpdateFolders.of(config.updates.state_dir, config.cache.database)
    link = Link(client, outbox, retention_s=config.cache.outbox_retention_days * 86400,
                batch_size=config.backend.batch_size, updates=updates)  # fmt: skip
    try:
        if args.once:
            try:
                link.heartbeat()
                done = link.relay.drain()
            except Unavailable as exc:
                raise ServiceUnavailable("sync.unreachable", detail=str(exc)) from None
            except Refused as exc:
                raise ConfigError("sync.refused", detail=str(exc)) from None
            found = {"sent": done.sent, "duplicates": done.duplicates, "failed": done.failed,
                     "held": done.held, "left": outbox.status()["depth"]}  # fmt: skip
            console.report(found, console.text("sync.round", **found))
            return EXIT_FAILED if done.failed else EXIT_OK
        console.start_logging("INFO")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            link.run(stop, heartbeat_s=config.backend.heartbeat_s)
        except KeyboardInterrupt:
            stop.set()
        return EXIT_OK
    finally:
        client.close()


def _human(found: dict[str, Any], console: Console) -> str:
    def when(stamp: float | None) -> str:
        if stamp is None:
            return console.text("sync.never")
        return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    error = found["last_error"]
    text = console.text(
        "sync.status",
        depth=found["depth"],
        oldest=found["oldest_age_s"] if found["oldest_age_s"] is not None else "-",
        escalated=found["escalated"],
        success=when(found["last_success"]),
        error=f"{when(error['at'])}: {error['error']}" if error else console.text("sync.never"),
    )
    if found["held"]:
        text += "\n" + console.text("sync.held", held=found["held"])
    if found.get("clock_alert"):
        text += "\n" + console.text("sync.clock_alert", at=when(found["clock_alert"]["at"]))
    return text
