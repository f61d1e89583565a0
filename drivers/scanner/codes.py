"""What kind of code was read, from its text alone."""

from __future__ import annotations

import re

KINDS = ("payment_code", "photo_receipt", "appointment", "proof", "mrz", "pickup_notice")


def kind_of(text: str) -> str:
    if re.fullmatch(r"(1[0-5]|2[5-9]|30)\d{16}", text):
        return "payment_code"  # WeChat Pay 10-15, Alipay 25-30, 18 digits
    # a document's machine-readable zone, read by the scanner's OCR mode with its
    # lines joined (TD1 3 x 30, TD2 2 x 36, TD3 2 x 44): the chip's access key
    if len(text) in (90, 72, 88) and "<<" in text and re.fullmatch(r"[A-Z0-9<]+", text):
        return "mrz"
    # a printed proof (wire/proof.py): KP1. in the intl crypto suite, KP1-GM. in gm
    if text.startswith(("KP1.", "KP1-GM.")):
        return "proof"
    # a pickup notice (领证通知单): the document's pickup reference, QJ- and 6-10 characters
    if re.fullmatch(r"QJ-[0-9A-Z]{6,10}", text):
        return "pickup_notice"
    if re.fullmatch(r"R\d{10,20}", text):
        return "photo_receipt"
    # ours (kiosk/photo/receipt.py): TERMINAL-SEQUENCE-CHECK
    if re.fullmatch(r"[A-Z0-9][A-Z0-9-]{2,62}-\d{7}-[0-9A-Z*]", text):
        return "photo_receipt"
    return "appointment"
