"""A printed proof read as a stranger would, with libraries written elsewhere: the
page's QR code by zxing-cpp (not the terminal's pyzbar), the signature by
`cryptography` (Ed25519: the intl suite's, over b"KP1." + payload, as wire/proof.py
documents the format), the page's words by poppler."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import cv2
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.documents.keys import IssuingKey
from wire import crypto


def read_page(pdf: Path, folder: Path) -> tuple[str, str]:
    """The QR code's text off the page (150 dpi), and the page's words in drawing
    order with no white space (the watermark's lines cross the body's; a body wraps
    anywhere)."""
    png = folder / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(png)], check=True)
    found = zxingcpp.read_barcodes(cv2.imread(f"{png}.png"))
    assert [f.format for f in found] == [zxingcpp.BarcodeFormat.QRCode], found
    words = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    return found[0].text, "".join(words.split())


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verified(code: str, key: IssuingKey) -> dict:
    """The payload of a KP1 code whose signature the issuer's published key verifies;
    cryptography's InvalidSignature if it does not."""
    prefix, body, signature = code.split(".")
    assert prefix == "KP1", prefix  # the intl suite's
    public = Ed25519PublicKey.from_public_bytes(unb64(crypto.public_key_text(key.private.public)))
    public.verify(unb64(signature), prefix.encode() + b"." + unb64(body))
    return json.loads(unb64(body))
