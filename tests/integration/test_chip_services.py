"""The permit steps on the smartcard driver, through a real pcscd and the vpcd card
simulator: the MRZ opens the chip, the endorsement is sealed, written, read back,
and written once however often the step is tried; wrong keys and missing keys fail
the step with a code a screen can explain."""

from __future__ import annotations

import queue

import pytest

from drivers.scanner.codes import kind_of
from drivers.smartcard.driver import PcscCardReader
from drivers.smartcard.mrz import compose_td3
from drivers.smartcard.simulator import TEST_ISSUER_KEY, VpcdCardSimulator
from kiosk.steps.chip import ChipServices

pytestmark = pytest.mark.service

READ = {"document": "hk_macau_permit", "access_key_from": "scan_permit"}
WRITE = {"what": "endorsement", "verify": True,
         "data": {"kind": "kind", "destination": "destination", "trips": "trips"}}  # fmt: skip
CHOSEN = {"kind": "individual", "destination": "macau", "trips": "twice"}


@pytest.fixture
def permit(pcscd_service):
    card = VpcdCardSimulator().start()
    reader = PcscCardReader(port=card.address)
    assert reader.open().result().ok
    yield card, reader
    reader.close()
    card.stop()


def scanned(card) -> dict[str, dict[str, str]]:
    """What the scan step gave: the card's MRZ as the scanner's OCR mode sends it."""
    text = card.profile.mrz_text.replace("\n", "")
    assert kind_of(text) == "mrz"
    return {"scan_permit": {"kind": "mrz", "text": text}}


def step(service, step_type, params, inputs):
    answers: queue.Queue = queue.Queue()
    service.start(step_type, params, inputs, answers.put)
    return answers.get(timeout=30)


def test_the_permit_is_read_and_the_endorsement_written_once(permit):
    card, reader = permit
    chip = ChipServices(reader, bytes.fromhex(TEST_ISSUER_KEY), "BJ-DC-0007")
    answer = step(chip, "read_document_chip", READ, scanned(card))
    read = answer["result"] if "result" in answer else pytest.fail(str(answer))
    assert (read["holder_name"], read["document_number"]) == ("张三", "C01234567")
    assert read["endorsements"] == []
    written = step(chip, "write_chip", WRITE, CHOSEN)["result"]
    assert written["written"] and written["verified"] and len(written["valid_until"]) == 8
    # the step tried again (a torn write, a retry): the same endorsement, not a second
    assert step(chip, "write_chip", WRITE, CHOSEN)["result"]["written"]
    again = step(chip, "read_document_chip", READ, scanned(card))["result"]
    assert again["endorsements"] == [
        {"region": "MO", "kind": "G", "trips": "2", "valid_until": written["valid_until"]}
    ]
    chip.wipe()  # the session ended: no key is left to write with
    assert step(chip, "write_chip", WRITE, CHOSEN) == {
        "fail": "sequence_error", "recovery": "operator"
    }  # fmt: skip


def test_another_documents_mrz_does_not_open_the_chip(permit):
    _, reader = permit
    chip = ChipServices(reader, bytes.fromhex(TEST_ISSUER_KEY), "T1")
    other = compose_td3("C07654321", "800101", "300101", "LI<<SI").replace("\n", "")
    answer = step(chip, "read_document_chip", READ, {"scan_permit": {"text": other}})
    assert answer["fail"] == "user_error"  # access denied: the citizen checks the document
    damaged = {"scan_permit": {"text": "P<CHN" + "<" * 83}}
    assert step(chip, "read_document_chip", READ, damaged) == {
        "fail": "invalid_data", "recovery": "user_action"
    }  # fmt: skip


def test_without_an_issuer_key_the_chip_steps_fail_for_a_technician(permit):
    card, reader = permit
    chip = ChipServices(reader, None, "T1")
    assert step(chip, "read_document_chip", READ, scanned(card)) == {
        "fail": "unsupported", "recovery": "operator"
    }  # fmt: skip
    assert card.apdus == 0  # the chip was never spoken to
