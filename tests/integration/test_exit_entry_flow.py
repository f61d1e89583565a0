"""The exit-entry application (issue #23) runs end to end headless, services scripted:
the whole application, a refusal before anything is paid, a refund after payment."""

from __future__ import annotations

from pathlib import Path

from flows.loader import FLOWS_DIR, load_flow
from flows.runner import HeadlessRunner, load_script
from kiosk.strings import catalogue
from tests import canary
from tests.integration.test_print_services import print_step, receipt, services

__all__ = ["receipt"]  # the receipt printer's simulator, a fixture of this module too

ANSWERS = Path(__file__).resolve().parents[1] / "flows"
FLOW = FLOWS_DIR / "exit_entry_application.yaml"


def _run(answers: str) -> dict:
    return HeadlessRunner(load_flow(FLOW), load_script(ANSWERS / answers)).run()


def _step(transcript: dict, name: str) -> dict:
    return next(s for s in transcript["steps"] if s["step"] == name)


def test_a_first_passport_is_applied_for_in_full():
    transcript = _run("exit_entry.answers.yaml")
    assert transcript["outcome"] == "done"
    steps = [s["step"] for s in transcript["steps"]]
    # registered elsewhere: the residence permit's page; a studio's photo receipt
    for step in ("residence_scan", "scan_receipt", "fingerprints", "signature", "submit"):
        assert step in steps
    assert "take_photo" not in steps
    assert steps[-4:] == ["slip", "give_back", "rating", "finished"]
    assert _step(transcript, "pay")["result"]["amount_fen"] == 12000
    submit = next(e for e in _step(transcript, "submit")["effects"] if e["effect"] == "Perform")
    assert {"signature.signature_ref", "residence_scan.document_ref", "scan_receipt.text",
            "pay.payment_ref"} <= set(submit["inputs"])  # fmt: skip
    slip = next(e for e in _step(transcript, "slip")["effects"] if e["effect"] == "Perform")
    assert "submit.queued_id" in slip["inputs"] and "eligibility.data.pickup_date" in slip["inputs"]
    # the form's phones are masked in the transcript, the card's name and number absent
    assert _step(transcript, "contacts")["result"]["values"]["phone"] == "139****5678"
    assert canary.leaks(str(transcript)) == []
    assert "11010519491231002X" not in str(transcript) and "钱多多" not in str(transcript)


def test_under_16_is_refused_before_anything_is_collected_or_paid():
    transcript = _run("exit_entry.refused.answers.yaml")
    steps = [s["step"] for s in transcript["steps"]]
    assert steps == ["read_card", "document", "eligibility", "ineligible", "refusal_slip",
                     "give_back_on_cancel", "cancelled"]  # fmt: skip
    # the backend's reason goes on the slip for the counter
    slip = next(e for e in _step(transcript, "refusal_slip")["effects"] if e["effect"] == "Perform")
    assert slip["inputs"] == ["eligibility.data.reason"]


def test_a_failed_submission_after_payment_is_refunded_and_the_card_given_back():
    transcript = _run("exit_entry.refund.answers.yaml")
    steps = [s["step"] for s in transcript["steps"]]
    assert "take_photo" in steps and "residence_scan" not in steps  # registered here
    assert _step(transcript, "pay")["result"]["amount_fen"] == 6000
    assert steps[-4:] == ["refund", "voucher", "give_back_after_refund", "refunded"]
    assert transcript["outcome"] == "recovered"
    assert canary.leaks(str(transcript)) == []


def test_the_slip_names_the_application_and_the_day_masking_the_name(receipt):
    simulator, driver = receipt
    answer = print_step(services({"receipt_printer": driver}), "exit_entry_application", "slip", {
        "read_card.name": "钱多多", "document": "passport", "destination": "europe",
        "submit.queued_id": "E20261205AB12CD34", "eligibility.data.pickup_date": "2026-12-12",
    })  # fmt: skip
    assert answer["result"]["state"] == "printed"
    text = "\n".join(simulator.slips[-1].lines)
    assert "钱**" in text and "钱多多" not in text
    for said in ("flow.exit_entry.document.passport", "flow.exit_entry.destination.europe"):
        assert catalogue().text(said, "zh_CN") in text
    assert "E20261205AB12CD34" in text and "2026-12-12" in text and "europe" not in text
