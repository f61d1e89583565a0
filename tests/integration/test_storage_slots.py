"""The storage slots' staff actions (kiosk/slots.py) on our driver and the simulated
transport (pty): what the desk says when a card is already inside, when nobody puts
the document in (and the slot is shut again), when two actions overlap, on a unit
without the bin-count command; what a pickup reference may be; where the book is
kept when the terminal is not enrolled or has no database."""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

import pytest

from drivers.card_transport.simulator import TransportProfile
from kiosk.slots import BIN_NOTE, SLOTS_NOTE, SlotBook, StorageDesk, valid_reference

WHO = "desk-00aa11"


@pytest.fixture
def transport_profile() -> TransportProfile:
    return TransportProfile(bin_count=7)


def outcome(start: Any, *args: Any) -> Any:
    """The action's last word (its news before that is dropped)."""
    news: queue.Queue = queue.Queue()
    start(*args, news.put)
    while True:
        said = news.get(timeout=10)
        if said.done:
            return said


def test_a_card_already_inside_goes_to_the_gate_and_nothing_is_loaded(transport, outbox):
    driver, sim = transport
    accepted = driver.accept_card(5.0)
    threading.Timer(0.2, sim.insert_card, args=("a citizen's permit",)).start()
    assert accepted.result().ok and sim.position == "rw_position"
    desk = StorageDesk(driver, SlotBook(outbox, None))
    said = outcome(desk.load, 1, "P1001", WHO)
    assert said.message == "desk.slots.card_inside" and sim.position == "gate"
    assert sim.profile.slots[0] == "" and SLOTS_NOTE not in outbox.notes()


def test_nobody_puts_the_document_in_and_the_slot_is_shut_again(transport, outbox):
    driver, sim = transport
    desk = StorageDesk(driver, SlotBook(outbox, None), insert_s=0.6)
    said = outcome(desk.load, 2, "P1002", WHO)
    assert said.message == "desk.slots.no_card" and not said.ok
    assert not sim.insert_enabled  # a card pushed in later is not drawn in
    assert not sim.insert_card("later") or sim.position == "gate"


def test_one_action_at_a_time(transport, outbox):
    driver, _ = transport
    desk = StorageDesk(driver, SlotBook(outbox, None), insert_s=3.0)
    news: queue.Queue = queue.Queue()
    assert desk.load(3, "P1003", WHO, news.put)
    assert news.get(timeout=5).message == "desk.slots.insert"
    refused: list[Any] = []
    assert not desk.empty(1, WHO, refused.append)
    assert [r.message for r in refused] == ["desk.slots.busy"]
    desk.cancel()
    assert news.get(timeout=5).message == "desk.slots.canceled" and not desk.busy


def test_a_unit_without_the_count_command_gets_a_record_only(transport, outbox):
    driver, sim = transport

    class OlderUnit:  # a vendor's driver without empty_bin
        status = property(lambda self: driver.status)

        def query_status(self) -> Any:
            return driver.query_status()

    desk = StorageDesk(OlderUnit(), SlotBook(outbox, None))
    said = outcome(desk.bin_emptied, WHO)
    assert said.message == "desk.slots.bin_noted" and said.values == {"count": "7"}
    assert sim.profile.bin_count == 7  # the unit counts on
    kept = json.loads(outbox.notes()[BIN_NOTE])
    assert (kept["count"], kept["unit"], kept["by"]) == (7, False, WHO)


def test_a_slot_beyond_the_unit_and_a_slot_found_empty(transport, outbox):
    driver, _ = transport
    book = SlotBook(outbox, None)
    book.loaded(6, "P1006", WHO)  # the book says so; the unit's slot 6 is empty
    desk = StorageDesk(driver, book)
    assert desk.slot_map()[5].stale
    assert outcome(desk.load, 9, "P1009", WHO).message == "desk.slots.no_such_slot"
    assert outcome(desk.empty, 6, WHO).message == "desk.slots.empty"
    assert book.held() == {} and not desk.slot_map()[5].stale


def test_a_pickup_reference_is_never_personal_data():
    assert valid_reference("P7731") and valid_reference("20260042") and valid_reference("A-17")
    for bad in ("12", "P77 31", "13800138000", "110101199001011234", "3F9A21C0DD00112233", ""):
        assert not valid_reference(bad), bad


def test_without_a_database_the_book_is_kept_in_memory(caplog):
    book = SlotBook(None, None)
    assert "no database for the storage slots" in caplog.text
    book.loaded(1, "P1001", WHO)
    assert book.held()[1].ref == "P1001"
    book.emptied(1, WHO)
    assert book.held() == {}


def test_the_book_outlives_a_refused_event_and_a_spoiled_note(outbox, caplog):
    def refused(*event: Any) -> None:
        raise OSError("disk I/O error")

    book = SlotBook(outbox, refused)
    book.loaded(2, "P1002", WHO)  # the document is in the slot: the book says so anyway
    assert book.held()[2].ref == "P1002" and "could not be queued" in caplog.text
    good = {"ref": "P3", "at": "2026-01-01T00:00:00+00:00", "by": WHO}
    outbox.note(SLOTS_NOTE, json.dumps({"2": {"ref": "P1002"}, "x": 5, "3": good}))
    assert list(book.held()) == [3]


def test_a_slot_the_unit_calls_occupied_sends_the_document_back(transport, outbox):
    """The map said empty when the load began; the unit's own answer (sequence_error /
    slot_occupied) is what counts: the document comes back to the gate, unrecorded."""
    driver, sim = transport
    desk = StorageDesk(driver, SlotBook(outbox, None), insert_s=5.0)
    news: queue.Queue = queue.Queue()
    assert desk.load(2, "P1002", WHO, news.put)
    assert news.get(timeout=5).message == "desk.slots.insert"
    sim.profile.slots[1] = "loaded meanwhile"
    assert sim.insert_card("DOC")
    said = news.get(timeout=5)
    assert (said.message, said.slot) == ("desk.slots.occupied", 2)
    assert sim.position == "gate" and sim.take_card() == "DOC"
    assert SLOTS_NOTE not in outbox.notes()
