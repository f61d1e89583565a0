"""Every kind of proof through each flow's own print step: the page's QR code read back
by zxing-cpp (a reader written elsewhere, not the terminal's pyzbar) and its signature
checked with the issuer's public key by `cryptography` alone; the details the page
states are the ones the code signed, and details that are not are never printed. One
kind goes all the way to the CUPS simulator through the real driver (a job there takes
seconds); the others' PDFs are taken at the driver's door."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import subprocess
from datetime import date
from types import SimpleNamespace

import cv2
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from drivers.document_printer.driver import CupsDocumentPrinter
from drivers.document_printer.simulator import CupsPrinterSimulator
from kiosk.documents.gallery import PACK, samples
from kiosk.documents.keys import IssuingKey
from kiosk.documents.proofs import issue, payload_of
from kiosk.strings import catalogue
from tests.integration.test_print_services import print_step, services
from wire import crypto
from wire.proof import encode

SAMPLES = samples(date.today())
# each new kind, and what its page must say in words (the relation worded, not its code)
KINDS = {
    "household": [SAMPLES["household"].details["address"][:20]],
    "residence": ["2019-03-01"],
    "kinship": ["系其母亲", "古丽娜尔·买买提依明", "653027********1228"],
    "birth": ["1949-12-31", "1950-01-20"],
    "death": ["2026-10-02", "的父亲", "653027********1234"],
}


@pytest.fixture(scope="module")
def key():
    """An issuer key of the intl suite (Ed25519): what `cryptography` can check alone."""
    suite = crypto.suite("intl")
    return IssuingKey("test-intl", suite.generate_private_key(), suite.new_mac_key())


@pytest.fixture(scope="module")
def a4():
    simulator = CupsPrinterSimulator().start()
    driver = CupsDocumentPrinter(port=simulator.address)
    assert driver.open().result().ok
    yield simulator, driver
    driver.close()
    simulator.stop()


def collected(kind: str, code: str, details: dict[str, str]) -> dict:
    holder = SAMPLES[kind]
    return {"query.data": {"code": code, "details": details}, "read_card.name": holder.name,
            "read_card.sex": holder.sex, "read_card.id_number": holder.id_number}  # fmt: skip


def read_qr(pdf, tmp_path) -> str:
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(png)], check=True)
    found = zxingcpp.read_barcodes(cv2.imread(str(png) + ".png"))
    assert [f.format for f in found] == [zxingcpp.BarcodeFormat.QRCode], found
    return found[0].text


def check_signature(code: str, key: IssuingKey) -> dict:
    """KP1.<payload>.<signature>: Ed25519 over b"KP1." + payload (wire/proof.py's
    documented format), checked here with cryptography and the published key text."""
    prefix, body, signature = code.split(".")
    unb64 = lambda text: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))  # noqa: E731
    public = Ed25519PublicKey.from_public_bytes(unb64(crypto.public_key_text(key.private.public)))
    public.verify(unb64(signature), prefix.encode() + b"." + unb64(body))  # raises if forged
    return json.loads(unb64(body))


def page_text(pdf) -> str:
    # in drawing order (the watermark's lines cross the body's on the page)
    found = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True,
                           text=True, check=True)  # fmt: skip
    return "".join(found.stdout.split())  # the body wraps anywhere


class DoorOfThePrinter:
    """The document printer's driver as the print step calls it, keeping the PDF."""

    def __init__(self, folder) -> None:
        self.pdf = folder / "printed.pdf"

    def print_pdf(self, pdf: bytes, title: str):
        self.pdf.write_bytes(pdf)
        done = SimpleNamespace(ok=True)
        return SimpleNamespace(result=lambda: done)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_is_printed_by_its_flow_and_its_code_verifies(a4, key, tmp_path, kind):
    sample = SAMPLES[kind]
    code = issue(sample, key, PACK).code_text
    printer = DoorOfThePrinter(tmp_path) if kind != "death" else a4[1]
    answer = print_step(services({"document_printer": printer}, key), f"{kind}_proof",
                        "print_proof", collected(kind, code, sample.details))  # fmt: skip
    assert answer["result"]["state"] == "printed", answer
    pdf = printer.pdf if kind != "death" else a4[0].received()[-1]
    read = read_qr(pdf, tmp_path)
    assert read == code
    payload = check_signature(read, key)
    canonical = json.dumps(sample.details, ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"))  # fmt: skip
    digest = hashlib.sha256(canonical.encode()).digest()[:16]
    assert payload["d"] == base64.urlsafe_b64encode(digest).decode().rstrip("=")
    text = page_text(pdf)
    assert catalogue().text(f"documents.proof.{kind}.title", "zh_CN") in text
    for words in KINDS[kind]:
        assert words in text, (kind, words)
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
