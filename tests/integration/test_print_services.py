"""The print step on the real drivers: slips reach the ESC/POS printer's simulator
over a pty, proofs reach CUPS as PDFs; a forged or someone else's proof is never
printed, and a printer out of paper fails the step with a code, never a hang."""

from __future__ import annotations

import queue
from datetime import date

import pytest

from flows.loader import flow_files, load_flow
from kiosk.documents.gallery import PACK, samples
from kiosk.documents.keys import keygen
from kiosk.documents.proofs import issue
from kiosk.documents.verify import verify_file
from kiosk.steps.printing import PrintServices
from kiosk.strings import catalogue
from tests.services.escpos import receipt_printer

HOLDER = samples(date.today())["criminal_record"]


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    return keygen(tmp_path_factory.mktemp("keys"), "test-key")


@pytest.fixture
def receipt():
    with receipt_printer() as printer:
        yield printer


def services(drivers, key=None, language="zh_CN"):
    keys = {key.key_id: key.private.public} if key else {}
    return PrintServices(drivers, lambda: PACK, catalogue(), "BJ-DC-0007", lambda: keys,
                         language=lambda: language)  # fmt: skip


def print_step(service, flow_name, step_id, inputs):
    """Run the print step of a shipped flow with these collected values."""
    flow = next(load_flow(p, catalogue()) for p in flow_files() if p.stem == flow_name)
    params = flow.step(step_id).params().model_dump()
    answers: queue.Queue = queue.Queue()
    service.start("print", params, inputs, answers.put)
    return answers.get(timeout=60)


def test_a_pickup_slip_is_printed_with_the_choices_in_words_and_the_name_masked(receipt):
    simulator, driver = receipt
    answer = print_step(services({"receipt_printer": driver}), "id_renewal", "slip", {
        "read_card.name": "钱多多", "reason": "renewal", "delivery": "post",
        "submit.queued_id": "A20261201-7K3PQ2XA",
    })  # fmt: skip
    assert answer["result"]["state"] == "printed" and answer["result"]["job_ref"]
    text = "\n".join(simulator.slips[-1].lines)
    assert "钱**" in text and "钱多多" not in text
    assert catalogue().text("flow.id_renewal.delivery.post", "zh_CN") in text
    assert "A20261201-7K3PQ2XA" in text and "post" not in text


def test_a_queue_ticket_in_english_when_the_citizen_chose_english(receipt):
    simulator, driver = receipt
    english = services({"receipt_printer": driver}, language="en")
    collected = {"service": "exit_entry", "issue.data": {"number": "B007"}}
    answer = print_step(english, "queue_ticket", "ticket", collected)
    assert "result" in answer
    text = "\n".join(simulator.slips[-1].lines)
    assert "B007" in text
    assert catalogue().text("flow.queue.service.exit_entry", "en") in text


@pytest.mark.parametrize(
    ("flow", "collected", "why"),
    [
        ("id_renewal", {"eligibility.data.reason": "not_due"}, "flow.why.not_due"),
        ("permit_endorsement", {"eligibility.data.reason": "interval"}, "flow.why.interval"),
        ("criminal_record_proof", {"query.data.reason": "record_found"}, "flow.why.record_found"),
        # a reason no catalogue names: the slip still says the service was refused
        ("id_renewal", {"eligibility.data.reason": "brand_new"}, "flow.common.ineligible"),
    ],
)
def test_a_refusal_prints_why_for_the_counter(receipt, flow, collected, why):
    simulator, driver = receipt
    answer = print_step(services({"receipt_printer": driver}), flow, "refusal_slip", collected)
    assert answer["result"]["state"] == "printed"
    text = "\n".join(simulator.slips[-1].lines)
    assert catalogue().text(why, "zh_CN").rstrip("。") in text
    assert PACK.help_counter in text


def test_paper_running_out_fails_the_step_with_its_code(receipt):
    simulator, driver = receipt
    simulator.device_fault("paper_out")
    collected = {"take_photo.receipt_number": "R1101012026", "document": "id_card"}
    answer = print_step(services({"receipt_printer": driver}), "id_photo", "receipt", collected)
    assert answer["fail"] in {"device_not_ready", "hardware_error"}
    assert answer["recovery"] in {"operator", "user_action"}


def test_no_receipt_printer_fails_the_step_calmly():
    answer = print_step(services({"document_printer": object()}), "id_photo", "receipt",
                        {"take_photo.receipt_number": "R1", "document": "id_card"})  # fmt: skip
    assert answer == {"fail": "device_not_ready", "recovery": "operator"}


def test_a_proof_the_backend_signed_is_printed_and_verifies(a4, key, tmp_path):
    simulator, driver = a4
    before = len(simulator.received())
    code = issue(HOLDER, key, PACK).code_text
    answer = print_step(services({"document_printer": driver}, key), "criminal_record_proof",
                        "print_proof", {"query.data": {"code": code}, "read_card.name": HOLDER.name,
                                        "read_card.sex": HOLDER.sex,
                                        "read_card.id_number": HOLDER.id_number})  # fmt: skip
    assert answer["result"]["state"] == "printed", answer
    printed = simulator.received()
    assert len(printed) == before + 1
    verdict = verify_file(printed[-1], {key.key_id: key.private.public}, date.today())
    assert verdict.genuine and verdict.status == "valid"


@pytest.mark.parametrize("case", ["forged", "unknown_key", "someone_else"])
def test_a_proof_that_does_not_check_out_is_never_printed(a4, key, tmp_path, case):
    simulator, driver = a4
    before = len(simulator.received())
    code = issue(HOLDER, key, PACK).code_text
    name = HOLDER.name
    if case == "forged":
        code = code[:-6] + ("AAAAAA" if not code.endswith("AAAAAA") else "BBBBBB")
    elif case == "unknown_key":
        code = issue(HOLDER, keygen(tmp_path, "other-key"), PACK).code_text
    else:
        name = "孙" + HOLDER.name[1:]
    answer = print_step(services({"document_printer": driver}, key), "criminal_record_proof",
                        "print_proof", {"query.data": {"code": code}, "read_card.name": name,
                                        "read_card.sex": HOLDER.sex,
                                        "read_card.id_number": HOLDER.id_number})  # fmt: skip
    assert answer == {"fail": "invalid_data", "recovery": "operator"}
    assert len(simulator.received()) == before
