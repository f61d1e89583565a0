"""The heartbeat and the config pull, and the loop that runs them with the relay."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.sync.client import BackendClient, Refused, Unavailable
from kiosk.sync.relay import Relay
from kiosk.updates import (
    UpdateFilesError,
    UpdateFolders,
    clear_wanted,
    read_outcome,
    read_pending,
    write_wanted,
)
from offline_cache import config_cache
from offline_cache.outbox import Outbox
from wire import __version__
from wire.sync import (
    ConfigPack,
    DeviceReport,
    Heartbeat,
    HeartbeatReply,
    OutboxReport,
    UpdateState,
)
from wire.versions import valid_version

if TYPE_CHECKING:
    from wire.crypto import PublicKey

log = logging.getLogger("kiosk.sync.link")

PACK = "pack"  # the config_cache row of the city pack and issuer keys
OUTCOME_NOTE = "update_outcome"  # the outcome.json last queued for the backend
DevicesProbe = Callable[[], tuple[dict[str, DeviceReport], dict[str, int]]]


class Link:
    def __init__(
        self,
        client: BackendClient,
        outbox: Outbox,
        devices: DevicesProbe = lambda: ({}, {}),
        retention_s: float = 7 * 86400,
        batch_size: int = 100,
        updates: UpdateFolders | None = None,
    ) -> None:
        """`updates`: the folders of package updates (kiosk/updates.py); none: this
        link takes no part in them (the backend then names no staged version)."""
        self.client = client
        self.updates = updates
        self.outbox = outbox
        self.db: sqlite3.Connection = outbox.db
        self.devices = devices
        self.retention_s = retention_s
        self.relay = Relay(outbox, client, batch_size, clock=client.clock)

    def heartbeat(self) -> HeartbeatReply:
        """Tells the backend how this terminal is; notes the backend's clock."""
        devices, consumables = self.devices()
        self._device_events(devices)
        if self._update_outcome():
            # sent before the heartbeat: after a rollback the backend withdraws the
            # version it staged before it answers (or this terminal would ask for it again)
            self.relay.drain()
        status = self.outbox.status()
        beat = Heartbeat(
            terminal_time=self.client.clock(), software_version=__version__, devices=devices,
            consumables=consumables, outbox=OutboxReport(
                depth=status["depth"], oldest_age_s=status["oldest_age_s"],
                escalated=status["escalated"], held=status["held"],
                last_success=status["last_success"],
            ), update=self._update_state(),
        )  # fmt: skip
        reply = HeartbeatReply.model_validate_json(
            self.client.call("POST", "/v1/heartbeat", beat).content
        )
        self.client.backend_time(reply.server_time)
        self.outbox.note("last_heartbeat", json.dumps(
            {"at": beat.terminal_time, "server_time": reply.server_time, "drift_s": reply.drift_s}
        ))  # fmt: skip
        if reply.drift_alert:
            log.error("this terminal's clock is %+.0f s off the backend's", reply.drift_s)
            self.outbox.note("clock_alert", json.dumps(
                {"at": beat.terminal_time, "server_time": reply.server_time}
            ))  # fmt: skip
        self._wanted(reply.staged_version)
        if reply.config_etag != self.config_etag():
            self.pull_config()
        return reply

    def _update_state(self) -> UpdateState | None:
        if self.updates is None:
            return None
        pending = read_pending(self.updates.state_dir)
        if pending is None:
            return UpdateState()
        return UpdateState(probation=pending.to_version, attempts=pending.attempts)

    def _update_outcome(self) -> bool:
        """The root scripts' outcome.json, queued for the backend once (the outbox note
        remembers which): true when queued now."""
        if self.updates is None:
            return False
        outcome = read_outcome(self.updates.state_dir)
        if outcome is None:
            return False
        marker = json.dumps({"at": outcome.at, "to": outcome.to_version})
        if self.outbox.notes().get(OUTCOME_NOTE) == marker:
            return False
        with self.outbox.transaction():
            self.outbox.add("update_outcome", outcome.model_dump(by_alias=True))
            self.outbox.write_note(OUTCOME_NOTE, marker)
        level = logging.INFO if outcome.result == "installed" else logging.ERROR
        log.log(level, "update %s -> %s: %s (%s)", outcome.from_version, outcome.to_version,
                outcome.result, outcome.reason or "no reason given")  # fmt: skip
        return True

    def _wanted(self, staged: str | None) -> None:
        """`update/wanted` names what the backend staged for this terminal, or is gone."""
        if self.updates is None:
            return
        if staged is not None and not valid_version(staged):
            log.warning("update: the backend staged %r, which is not a Debian version: "
                        "ignored", staged[:60])  # fmt: skip
            staged = None
        try:
            if staged is None:
                clear_wanted(self.updates.own)
            else:
                write_wanted(self.updates.own, staged)
        except UpdateFilesError as exc:  # the heartbeat's other news still counts
            log.warning("update: %s", exc)

    def _device_events(self, devices: dict[str, DeviceReport]) -> None:
        """A device whose state changed since the last look is a device event for the
        backend (a printer out of paper at 3 a.m. is an operations matter)."""
        before = json.loads(self.outbox.notes().get("device_states", "{}"))
        now = {name: report.status for name, report in devices.items()}
        changes = {
            n: {"from": before.get(n), "to": s} for n, s in now.items() if before.get(n) != s
        }
        if not changes:
            return
        at = self.client.now()
        with self.outbox.transaction():
            self.outbox.add("device_event", {"at": at, "changes": changes})
            self.outbox.write_note("device_states", json.dumps(now))

    def device_event(
        self, name: str, status: str, detail: str = "", keep: dict[str, str] | None = None
    ) -> None:
        """One device's change, told now rather than at the next heartbeat (the UPS on
        battery: the terminal may be off before then); the heartbeat's own look then
        finds nothing new. `keep`: notes of what the terminal keeps of the change (what
        the storage slots hold, kiosk/slots.py), written in the event's transaction."""
        notes = json.loads(self.outbox.notes().get("device_states", "{}"))
        change = {"from": notes.get(name), "to": status}
        notes[name] = status
        body: dict[str, Any] = {"at": self.client.now(), "changes": {name: change}}
        if detail:
            body["detail"] = detail[:120]
        with self.outbox.transaction():
            self.outbox.add("device_event", body)
            self.outbox.write_note("device_states", json.dumps(notes))
            for note, value in (keep or {}).items():
                self.outbox.write_note(note, value)

    def config_etag(self) -> str | None:
        return config_cache.etag(self.db, PACK)

    def cached_config(self) -> ConfigPack | None:
        return cached_pack(self.db)

    def pull_config(self) -> bool:
        """Fetches the config if it changed (ETag); true when a new one was stored."""
        etag = self.config_etag()
        answer = self.client.call(
            "GET", "/v1/config", headers={"If-None-Match": f'"{etag}"'} if etag else None
        )
        if answer.status_code == 304:
            return False
        pack = ConfigPack.model_validate_json(answer.content)
        with self.outbox.transaction():
            config_cache.store(
                self.db, PACK, pack.etag, pack.model_dump_json(), self.client.clock()
            )
        log.info("config %s stored (%d city pack files)", pack.etag, len(pack.city_pack))
        return True

    def run(self, stop: threading.Event, every_s: float = 2.0, heartbeat_s: float = 60.0) -> None:
        """Until `stop`: drain the outbox every few seconds, a heartbeat every minute."""
        next_beat = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + heartbeat_s
                    self.heartbeat()
                self.relay.drain()
            except (Unavailable, Refused) as exc:
                log.warning("backend link: %s", exc)
            except Exception:  # a bug or a broken row must not end the sync thread
                log.exception("backend link: unexpected failure; trying again")
            overdue = self.outbox.escalate_overdue(self.retention_s)
            if overdue:
                log.error("%d records unsent past the retention limit: escalated", len(overdue))
            stop.wait(every_s)


def cached_pack(db: sqlite3.Connection) -> ConfigPack | None:
    """The config pack the backend last gave, if any."""
    text = config_cache.body(db, PACK)
    return ConfigPack.model_validate_json(text) if text else None


def pulled_issuer_keys(database: Path) -> dict[str, PublicKey]:
    """The issuer keys the backend's config gave this terminal: none when it never
    synced (then only `[proof] trusted_keys` count). Opens its own connection, so
    any thread may ask."""
    from wire.proof import ProofFormatError, public_key_from_text

    pack = _pulled(database)
    keys = {}
    for key_id, text in (pack.issuer_keys if pack else {}).items():
        try:
            keys[key_id] = public_key_from_text(text)
        except ProofFormatError:
            continue  # a key that arrived damaged is not trusted
    return keys


def pulled_city_file(database: Path, name: str) -> str | None:
    """A file of the city pack the backend's config gave (`pack.toml`), if any."""
    pack = _pulled(database)
    return pack.city_pack.get(name) if pack else None


def _pulled(database: Path) -> ConfigPack | None:
    from offline_cache.database import DatabaseError, connect

    if not database.exists():
        return None
    try:
        db = connect(database)
    except DatabaseError:
        return None
    try:
        return cached_pack(db)
    finally:
        db.close()
