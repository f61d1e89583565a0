"""The backend link of a running terminal: the flows' backend services and, when
the terminal is enrolled, the sync thread (relay, heartbeat, config pull).

Each has its own connection to the one SQLite file: the screen's steps write the
outbox while the sync thread drains it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from kiosk.config import KioskConfig
from kiosk.help_line import HelpLine
from kiosk.steps.backend import BackendServices
from kiosk.steps.payments import QrMicropay
from kiosk.sync.client import BackendClient
from kiosk.sync.identity import Identity, IdentityError
from kiosk.sync.link import DevicesProbe, Link
from kiosk.updates import UpdateFolders
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from offline_cache.payments import PaymentBook
from wire import crypto

log = logging.getLogger("kiosk.sync")
# A citizen waits on the help screen for the answer: past this, the phone number.
HELP_TIMEOUT_S = 5.0


@dataclass
class TerminalLink:
    services: BackendServices
    link: Link | None
    micropay: QrMicropay | None = None  # the pay step's, on the steps' connection
    help_line: HelpLine | None = None  # 求助, on a client and a connection of its own
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self, heartbeat_s: float) -> None:
        if self.link is None:
            return
        link = self.link

        def run() -> None:
            _settle_unknown_payments(link)
            link.run(self._stop, heartbeat_s=heartbeat_s)

        self._thread = threading.Thread(target=run, daemon=True, name="sync")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        clients = [self.services.client, self.link.client if self.link else None,
                   self.help_line.client if self.help_line else None]  # fmt: skip
        for client in {id(c): c for c in clients if c is not None}.values():
            client.close()


def open_link(config: KioskConfig, devices: DevicesProbe) -> TerminalLink:
    """Raises DatabaseError / KeyringError when the cache cannot be used."""
    keyring = Keyring.open(config.cache.key_file, config.crypto.suite, crypto.suite)
    try:
        identity: Identity | None = Identity.load(config.backend.identity_file)
    except IdentityError as exc:
        log.warning("no backend link: %s", exc)
        identity = None
    timeout = config.backend.timeout_s
    steps_outbox = Outbox(connect(config.cache.database), keyring)
    client = BackendClient(identity, timeout) if identity else None
    services = BackendServices(client, steps_outbox)
    link, micropay = None, None
    if identity is not None and client is not None:
        micropay = QrMicropay(client, PaymentBook(steps_outbox), identity.terminal_id)
        link = Link(
            BackendClient(identity, timeout), Outbox(connect(config.cache.database), keyring),
            devices, retention_s=config.cache.outbox_retention_days * 86400,
            batch_size=config.backend.batch_size,
            updates=UpdateFolders.of(config.updates.state_dir, config.cache.database),
        )  # fmt: skip
    # the help call runs beside a step's request: a client and a connection of its own
    help_line = HelpLine(BackendClient(identity, HELP_TIMEOUT_S) if identity else None,
                         Outbox(connect(config.cache.database), keyring))  # fmt: skip
    return TerminalLink(services, link, micropay, help_line)


def _settle_unknown_payments(link: Link) -> None:
    """Orders left unknown by a crash or a lost gateway: query, then reverse them,
    before anything else (a citizen may be owed money)."""
    book = PaymentBook(link.outbox)
    unsettled = book.unsettled()
    if not unsettled:
        return
    micropay = QrMicropay(link.client, book, link.client.identity.terminal_id)
    for order in unsettled:
        # the session that made it is long gone and its service was never given:
        # no point waiting for the citizen, the order is reversed (refunded if paid)
        outcome = micropay.settle(order.out_trade_no, query_for_s=0)
        log.warning("payment %s settled after a restart: %s", order.out_trade_no, outcome.state)
