"""Verifying a printed proof from what is on the paper: the QR code.

A PDF is rendered to an image first (poppler's `pdftoppm`): what counts is the
code printed on the page, never the file's metadata. Photos and scans (PNG, JPEG,
at an angle, 150-600 dpi) are read as they are, then, if no code is found, at
other scales and after thresholding.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from pyzbar import pyzbar

from kiosk.errors import KioskError, ServiceUnavailable
from wire import crypto
from wire.proof import (
    DOCUMENT_TYPES,
    ProofFormatError,
    ProofPayload,
    ProofSignatureError,
    UnknownKeyError,
    decode,
    is_code,
    verification_code,
)

PDF_DPI = 200


class UnreadableFile(KioskError):
    exit_code = 2


@dataclass(frozen=True)
class Verdict:
    status: str  # valid, expired, forged, unknown_key, damaged, no_code
    payload: ProofPayload | None = None
    verification_code: str | None = None
    detail: str = ""

    @property
    def genuine(self) -> bool:
        return self.status == "valid"

    def as_dict(self) -> dict[str, Any]:
        fields = None
        if self.payload is not None:
            p = self.payload
            fields = {
                "document": DOCUMENT_TYPES[p.t],
                "serial": p.s,
                "holder": p.n,
                "use": p.u,
                "issued": p.issued.isoformat(),
                "expires": p.expires.isoformat(),
                "key_id": p.k,
                "print_count": p.c,
                "id_number_hmac": p.h,
            }
        return {
            "status": self.status,
            "genuine": self.genuine,
            "fields": fields,
            "verification_code": self.verification_code,
            "detail": self.detail,
        }


def verify_text(text: str, trusted: dict[str, crypto.PublicKey], today: date) -> Verdict:
    try:
        payload = decode(text, trusted)
    except UnknownKeyError as exc:
        return Verdict("unknown_key", detail=exc.key_id)
    except ProofSignatureError as exc:
        return Verdict("forged", detail=str(exc))
    except ProofFormatError as exc:
        return Verdict("damaged", detail=str(exc))
    code = verification_code(text)
    status = "expired" if payload.expires < today else "valid"
    return Verdict(status, payload, code)


def verify_file(path: Path, trusted: dict[str, crypto.PublicKey], today: date) -> Verdict:
    codes = find_codes(load_image(path))
    ours = [c for c in codes if is_code(c)]  # of either suite: the prefix says which
    if not ours:
        return Verdict("no_code", detail=f"{len(codes)} other code(s) on the page")
    return verify_text(ours[0], trusted, today)


def load_image(path: Path) -> np.ndarray:
    """A grey image of the page: a PDF's first page rendered, or a photo or scan."""
    if not path.is_file():
        raise UnreadableFile("proof.verify.unreadable", file=path, detail="no such file")
    head = path.read_bytes()[:5]
    if head == b"%PDF-":
        return _render_pdf(path)
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise UnreadableFile(
            "proof.verify.unreadable", file=path, detail="not a PDF, PNG or JPEG image"
        )
    return image


def _render_pdf(path: Path) -> np.ndarray:
    if shutil.which("pdftoppm") is None:
        raise ServiceUnavailable(
            "proof.verify.unreadable", file=path, detail="pdftoppm (poppler-utils) is not installed"
        )
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(PDF_DPI),
                "-gray",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                str(path),
                f"{folder}/page",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        pages = sorted(Path(folder).glob("page*.png"))
        if result.returncode != 0 or not pages:
            raise UnreadableFile(
                "proof.verify.unreadable",
                file=path,
                detail=result.stderr.strip().splitlines()[-1:] or "no page",
            )
        image = cv2.imread(str(pages[0]), cv2.IMREAD_GRAYSCALE)
    return image


def find_codes(image: np.ndarray) -> list[str]:
    """Every QR code's text, trying harder only when the plain image gives none."""
    for attempt in _attempts(image):
        found = [
            s.data.decode("utf-8", errors="replace")
            for s in pyzbar.decode(attempt, symbols=[pyzbar.ZBarSymbol.QRCODE])
        ]
        if found:
            return found
    return []


def _attempts(image: np.ndarray) -> Any:
    yield image
    longest = max(image.shape[:2])
    for target in (1600, 2400, 1100):  # a phone photo or a 600-dpi scan is too big or small
        scale = target / longest
        if abs(scale - 1) > 0.15:
            yield cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    blurred = cv2.medianBlur(image, 3)  # speckle from a noisy scanner
    yield cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    yield cv2.adaptiveThreshold(
        blurred, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 10
    )
