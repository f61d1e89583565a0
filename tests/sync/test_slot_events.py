"""The storage slots' staff actions reach the backend: a document loaded into a slot
on the simulated transport (pty) is a card_transport device_event the live backend
stores, naming the slot, the pickup reference and the desk session, and the slot
map is kept beside the outbox in the same transaction; no personal data in it."""

from __future__ import annotations

import json
import queue
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import StoredRecord
from drivers.card_transport.driver import CrtCardTransport
from drivers.card_transport.simulator import CrtTransportSimulator
from kiosk.slots import SLOTS_NOTE, SlotBook, StorageDesk
from tests.services.backend import LiveBackend
from tests.sync.conftest import Terminal


def test_a_loaded_slot_is_a_device_event_at_the_backend(
    terminal: Terminal, live_backend: LiveBackend
) -> None:
    sim = CrtTransportSimulator().start()
    driver = CrtCardTransport(port=sim.address)
    try:
        assert driver.open().result().ok
        book = SlotBook(terminal.outbox, terminal.link.device_event)
        desk = StorageDesk(driver, book, insert_s=5.0)
        news: queue.Queue = queue.Queue()
        assert desk.load(4, "P7731", "desk-0a1b2c", news.put)
        assert news.get(timeout=5).message == "desk.slots.insert"
        threading.Timer(0.2, sim.insert_card, args=("DOC",)).start()
        done = news.get(timeout=10)
        assert (done.message, done.ok) == ("desk.slots.loaded", True)
        assert sim.profile.slots[3] == "DOC"
        held = json.loads(terminal.outbox.notes()[SLOTS_NOTE])
        assert held["4"]["ref"] == "P7731" and held["4"]["by"] == "desk-0a1b2c"
        assert desk.slot_map()[3].ref == "P7731" and desk.slot_map()[3].held
    finally:
        driver.close()
        sim.stop()
    terminal.link.relay.drain()
    with Session(live_backend.app.state.engine) as db:
        stored = [r for r in db.scalars(select(StoredRecord)) if r.kind == "device_event"]
    (event,) = stored
    assert event.body["changes"] == {"card_transport": {"from": None, "to": "slot_loaded"}}
    assert event.body["detail"] == "slot 4 loaded: P7731 (desk desk-0a1b2c)"
