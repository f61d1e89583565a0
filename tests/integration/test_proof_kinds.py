"""A proof that states details (the kinship proof: a relative, a relation) through its
flow's print step on the real document printer driver (a PDF to the CUPS simulator):
the page's QR code read back by zxing-cpp (a reader written elsewhere, not the
terminal's pyzbar), its signature checked with the issuer's public key by
`cryptography` alone, its details' digest recomputed with hashlib; details the code
did not sign are never printed. Every kind's page is read back the same way on the
touchscreen (tests/ui/test_proofs.py); the gallery renders each (make documents)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from datetime import date

import pytest

from kiosk.documents.gallery import PACK, samples
from kiosk.documents.keys import IssuingKey
from kiosk.documents.proofs import issue, payload_of
from kiosk.strings import catalogue
from tests.integration.test_print_services import print_step, services
from tests.proof_oracle import read_page, verified
from wire import crypto
from wire.proof import encode

SAMPLES = samples(date.today())
# what the kinship page must say in words (the relation worded, not its code)
WORDS = ["系其母亲", "古丽娜尔·买买提依明", "653027********1228"]


@pytest.fixture(scope="module")
def key():
    """An issuer key of the intl suite (Ed25519): what `cryptography` can check alone."""
    suite = crypto.suite("intl")
    return IssuingKey("test-intl", suite.generate_private_key(), suite.new_mac_key())


def collected(kind: str, code: str, details: dict[str, str]) -> dict:
    holder = SAMPLES[kind]
    return {"query.data": {"code": code, "details": details}, "read_card.name": holder.name,
            "read_card.sex": holder.sex, "read_card.id_number": holder.id_number}  # fmt: skip


def test_a_kinship_proof_is_printed_by_its_flow_and_its_code_verifies(a4, key, tmp_path):
    simulator, driver = a4
    sample = SAMPLES["kinship"]
    code = issue(sample, key, PACK).code_text
    answer = print_step(services({"document_printer": driver}, key), "kinship_proof",
                        "print_proof", collected("kinship", code, sample.details))  # fmt: skip
    assert answer["result"]["state"] == "printed", answer
    pdf = simulator.received()[-1]
    read, text = read_page(pdf, tmp_path)
    assert read == code
    payload = verified(read, key)
    canonical = json.dumps(sample.details, ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))  # fmt: skip
    digest = hashlib.sha256(canonical.encode()).digest()[:16]
    assert payload["d"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    assert catalogue().text("documents.proof.kinship.title", "zh_CN") in text
    for words in WORDS:
        assert words in text, words
    assert sample.id_number not in text and "{" not in text


@pytest.mark.parametrize("case", ["altered", "missing", "unknown_relation"])
def test_details_the_code_did_not_sign_are_never_printed(a4, key, case):
    simulator, driver = a4
    sample = SAMPLES["kinship"]
    code = issue(sample, key, PACK).code_text
    details = dict(sample.details)
    if case == "altered":
        details["relative_name"] = "别人"
    elif case == "missing":
        del details["relative_name"]
    else:  # signed, but no words for it: printed as a code it would say nothing
        details["relation"] = "cousin"
        signed = dataclasses.replace(sample, details=details)
        code = encode(payload_of(signed, key, PACK), key.private)
    before = len(simulator.received())
    answer = print_step(services({"document_printer": driver}, key), "kinship_proof",
                        "print_proof", collected("kinship", code, details))  # fmt: skip
    assert answer == {"fail": "invalid_data", "recovery": "operator"}
    assert len(simulator.received()) == before
