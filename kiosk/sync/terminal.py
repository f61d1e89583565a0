"""The backend link of a running terminal: the flows' backend services and, when
the terminal is enrolled, the sync thread (relay, heartbeat, config pull).

Each has its own connection to the one SQLite file: the screen's steps write the
outbox while the sync thread drains it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from kiosk.backend_services import BackendServices
from kiosk.config import KioskConfig
from kiosk.sync.client import BackendClient
from kiosk.sync.identity import Identity, IdentityError
from kiosk.sync.link import DevicesProbe, Link
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox

log = logging.getLogger("kiosk.sync")


@dataclass
class TerminalLink:
    services: BackendServices
    link: Link | None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self, heartbeat_s: float) -> None:
        if self.link is None:
            return
        link = self.link
        self._thread = threading.Thread(
            target=lambda: link.run(self._stop, heartbeat_s=heartbeat_s), daemon=True, name="sync"
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        clients = [self.services.client, self.link.client if self.link else None]
        for client in {id(c): c for c in clients if c is not None}.values():
            client.close()


def open_link(config: KioskConfig, devices: DevicesProbe) -> TerminalLink:
    """Raises DatabaseError / KeyringError when the cache cannot be used."""
    keyring = Keyring.open(config.cache.key_file)
    try:
        identity: Identity | None = Identity.load(config.backend.identity_file)
    except IdentityError as exc:
        log.warning("no backend link: %s", exc)
        identity = None
    timeout = config.backend.timeout_s
    steps_outbox = Outbox(connect(config.cache.database), keyring)
    services = BackendServices(BackendClient(identity, timeout) if identity else None, steps_outbox)
    link = None
    if identity is not None:
        link = Link(
            BackendClient(identity, timeout), Outbox(connect(config.cache.database), keyring),
            devices, retention_s=config.cache.outbox_retention_days * 86400,
            batch_size=config.backend.batch_size,
        )  # fmt: skip
    return TerminalLink(services, link)
