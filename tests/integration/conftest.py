"""Fixtures the integration tests share."""

from __future__ import annotations

import pytest

from drivers.card_transport.driver import CrtCardTransport
from drivers.card_transport.simulator import CrtTransportSimulator, TransportProfile
from drivers.document_printer.driver import CupsDocumentPrinter
from drivers.document_printer.simulator import CupsPrinterSimulator
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.services.devices import driven
from wire import crypto


@pytest.fixture(scope="module")
def a4():
    """The A4 document printer: the CUPS simulator and our driver on it, per module."""
    with driven(CupsPrinterSimulator(), CupsDocumentPrinter) as (simulator, driver):
        yield simulator, driver


@pytest.fixture
def transport_profile() -> TransportProfile:
    """The card transport simulator's profile (a module asks for another by overriding it)."""
    return TransportProfile()


@pytest.fixture
def transport(transport_profile):
    """The card transport simulator and our driver on it."""
    with driven(CrtTransportSimulator(transport_profile), CrtCardTransport) as (sim, driver):
        yield driver, sim


@pytest.fixture
def outbox(tmp_path):
    """The terminal's outbox in a fresh database, its keys beside it."""
    db = connect(tmp_path / "kiosk.db")
    yield Outbox(db, Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite))
    db.close()
