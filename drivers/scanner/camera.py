"""Reading a code from a camera frame: the fallback when there is no scanner."""

from __future__ import annotations

from typing import Any

from pyzbar import pyzbar

from drivers.scanner.codes import kind_of


def codes_in_frame(frame: Any) -> list[dict[str, str]]:
    """Every QR and barcode in an image (a numpy array or PIL image), with its kind."""
    found = []
    for symbol in pyzbar.decode(frame):
        try:
            text = symbol.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        found.append({"text": text, "kind": kind_of(text), "symbology": symbol.type})
    return found
