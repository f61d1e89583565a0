"""The shipped service flows run end to end headless, services scripted."""

from __future__ import annotations

from pathlib import Path

from flows.loader import FLOWS_DIR, flow_files, load_flow
from flows.runner import HeadlessRunner, load_script
from tests import canary

ANSWERS = Path(__file__).resolve().parents[1] / "flows"


def test_every_shipped_flow_loads():
    names = {load_flow(p).flow for p in flow_files()}
    assert names == {
        "id_renewal",
        "permit_endorsement",
        "id_photo",
        "criminal_record_proof",
        "queue_ticket",
        "household_proof",
        "residence_proof",
        "kinship_proof",
        "birth_proof",
        "death_proof",
        "exit_entry_application",
        "proof_verification",
        "document_pickup",
    }


def test_id_renewal_for_a_lost_card():
    flow = load_flow(FLOWS_DIR / "id_renewal.yaml")
    transcript = HeadlessRunner(flow, load_script(ANSWERS / "id_renewal.lost.answers.yaml")).run()
    assert transcript["outcome"] == "done"
    steps = [s["step"] for s in transcript["steps"]]
    assert "read_card" not in steps and "give_back" not in steps  # no card to give back
    assert steps[:3] == ["reason", "type_id", "eligibility"]
    pay = next(s for s in transcript["steps"] if s["step"] == "pay")
    assert {"effect": "Perform", "service": "pay", "inputs": ["amount_fen", "reason"]} in pay[
        "effects"
    ]
    assert canary.leaks(str(transcript)) == []


def test_permit_refunds_when_the_chip_cannot_be_written():
    flow = load_flow(FLOWS_DIR / "permit_endorsement.yaml")
    transcript = HeadlessRunner(flow, load_script(ANSWERS / "permit.answers.yaml")).run()
    steps = [s["step"] for s in transcript["steps"]]
    assert steps[-4:] == ["refund", "voucher", "give_back_after_refund", "refunded"]
    assert transcript["outcome"] == "recovered"
    write = next(s for s in transcript["steps"] if s["step"] == "write")
    assert write["left_by"] == "failed" and write["left_at"] == 6.0  # 6 services, 1 s each
    assert canary.leaks(str(transcript)) == []


def test_id_renewal_refunded_after_payment_gives_the_card_back():
    """The card lay on the reader through the session: a refund must not end the session
    with it still there for the next citizen (only a lost card's renewal has none)."""
    flow = load_flow(FLOWS_DIR / "id_renewal.yaml")
    script = load_script(ANSWERS / "id_renewal.refund.answers.yaml")
    transcript = HeadlessRunner(flow, script).run()
    steps = [s["step"] for s in transcript["steps"]]
    assert "read_card" in steps and "pay" in steps
    assert steps[-4:] == ["refund", "voucher", "give_back_after_refund", "refunded"]
    assert transcript["outcome"] == "recovered"
    assert canary.leaks(str(transcript)) == []
