"""Slips and receipts: pickup slip, payment slip, photo receipt, endorsement slip,
exit-entry application slip, document pickup receipt, queue ticket, refund voucher,
referral slip.

Each is built as a `Slip` (drivers/receipt_printer/slip.py), which the receipt
printer's driver encodes to ESC/POS, and can be drawn as a PDF on roll paper.
Names are masked as the document rules say; slips carry no ID numbers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from drivers.receipt_printer.slip import Feed, QrCode, Rule, Slip, Text
from kiosk.documents.fonts import MAIN, fonts
from kiosk.documents.proofs import draw_qr
from kiosk.documents.typeset import break_lines, draw
from kiosk.photo.receipt import printed_lines
from kiosk.privacy import mask_name
from kiosk.strings import Catalogue, catalogue


@dataclass(frozen=True)
class SlipContext:
    """What every slip states: whose terminal, which transaction, when."""

    terminal: str
    transaction: str
    time: datetime
    lang: str = "zh_CN"
    strings: Catalogue | None = None

    def t(self, message_id: str, **params: object) -> str:
        return (self.strings or catalogue()).text(message_id, self.lang, **params)

    def header(self, title_id: str) -> list[Text | Rule | QrCode | Feed]:
        return [Text(text=self.t(title_id), size=2, bold=True, align="center"), Rule()]

    def footer(self) -> list[Text | Rule | QrCode | Feed]:
        return [
            Rule(),
            Text(text=self.t("documents.slip.transaction", number=self.transaction)),
            Text(text=self.t("documents.slip.terminal", terminal=self.terminal)),
            Text(text=self.t("documents.slip.time", time=self.time.strftime("%Y-%m-%d %H:%M"))),
            Text(text=self.t("documents.slip.keep"), align="center"),
            Feed(lines=3),
        ]


def pickup_slip(c: SlipContext, name: str, reason: str, delivery: str) -> Slip:
    return Slip(
        elements=[
            *c.header("documents.slip.pickup.title"),
            Text(text=c.t("documents.slip.name", name=mask_name(name))),
            Text(text=c.t("documents.slip.pickup.reason", reason=reason)),
            Text(text=c.t("documents.slip.pickup.delivery", delivery=delivery)),
            QrCode(data=c.transaction),
            Text(text=c.t("documents.slip.pickup.notice")),
            *c.footer(),
        ]
    )


def payment_slip(c: SlipContext, amount_fen: int, method: str, order: str) -> Slip:
    return Slip(
        elements=[
            *c.header("documents.slip.payment.title"),
            Text(text=c.t("documents.slip.payment.amount", amount=_yuan(amount_fen)), size=2),
            Text(text=c.t("documents.slip.payment.method", method=method)),
            Text(text=c.t("documents.slip.payment.order", order=order)),
            *c.footer(),
        ]
    )


def photo_receipt(c: SlipContext, receipt_number: str, document: str) -> Slip:
    return Slip(
        elements=[
            *c.header("documents.slip.photo.title"),
            Text(text=c.t("documents.slip.photo.number"), align="center"),
            # whole groups on each line (kiosk/photo/receipt.py): none read out split
            *(
                Text(text=line, size=2, bold=True, align="center")
                for line in printed_lines(receipt_number)
            ),
            QrCode(data=receipt_number),
            Text(text=c.t("documents.slip.photo.document", document=document)),
            Text(text=c.t("documents.slip.photo.valid")),
            *c.footer(),
        ]
    )


def endorsement_slip(
    c: SlipContext, name: str, kind: str, destination: str, trips: str, valid_until: str | None
) -> Slip:
    """`valid_until`: none when the chip's answer did not say (the line is left out)."""
    valid = [Text(text=c.t("documents.slip.endorsement.valid", date=valid_until))]
    return Slip(
        elements=[
            *c.header("documents.slip.endorsement.title"),
            Text(text=c.t("documents.slip.name", name=mask_name(name))),
            Text(
                text=c.t(
                    "documents.slip.endorsement.detail",
                    kind=kind,
                    destination=destination,
                    trips=trips,
                )
            ),
            *(valid if valid_until else []),
            *c.footer(),
        ]
    )


def exit_entry_slip(
    c: SlipContext, name: str, document: str, destination: str, number: str, pickup: str | None
) -> Slip:
    """出入境证件申请回执: the application number (large, and as a QR for the counter) and
    the first day to collect the document; `pickup` none when the check did not say."""
    when = [Text(text=c.t("documents.slip.exit_entry.pickup", date=pickup), bold=True)]
    return Slip(
        elements=[
            *c.header("documents.slip.exit_entry.title"),
            Text(text=c.t("documents.slip.name", name=mask_name(name))),
            Text(text=c.t("documents.slip.exit_entry.document", document=document)),
            Text(text=c.t("documents.slip.exit_entry.destination", destination=destination)),
            Text(text=c.t("documents.slip.exit_entry.number"), align="center"),
            Text(text=number, size=2, bold=True, align="center"),
            QrCode(data=number),
            *(when if pickup else []),
            Text(text=c.t("documents.slip.exit_entry.notice")),
            *c.footer(),
        ]
    )


def pickup_receipt(
    c: SlipContext,
    name: str,
    document: str,
    number: str,
    reference: str,
    delivery: str,
    fee_fen: int | None = None,
) -> Slip:
    """自助取证凭条: the document collected here (or to be sent by post, with the fee
    paid), its number masked as the backend gave it, the pickup reference as a QR for
    the counter; `fee_fen` none: collected at the gate, nothing paid."""
    posted = [Text(text=c.t("documents.slip.pickup_receipt.fee", amount=_yuan(fee_fen or 0))),
              Text(text=c.t("documents.slip.pickup_receipt.posted"))]  # fmt: skip
    return Slip(
        elements=[
            *c.header("documents.slip.pickup_receipt.title"),
            Text(text=c.t("documents.slip.name", name=mask_name(name))),
            Text(text=c.t("documents.slip.pickup_receipt.document", document=document)),
            Text(text=c.t("documents.slip.pickup_receipt.number", number=number)),
            Text(text=c.t("documents.slip.pickup_receipt.delivery", delivery=delivery), bold=True),
            *(posted if fee_fen is not None else []),
            QrCode(data=reference),
            Text(text=c.t("documents.slip.pickup_receipt.reference", reference=reference)),
            *c.footer(),
        ]
    )


def queue_ticket(c: SlipContext, number: str, service: str, waiting: int | None) -> Slip:
    """`waiting`: none when the terminal cannot know (offline, no queue system)."""
    ahead = [Text(text=c.t("documents.slip.queue.waiting", count=waiting), align="center")]
    return Slip(
        elements=[
            *c.header("documents.slip.queue.title"),
            Text(text=number, size=2, bold=True, align="center"),
            Text(text=c.t("documents.slip.queue.service", service=service), align="center"),
            *(ahead if waiting is not None else []),
            *c.footer(),
        ]
    )


def refund_voucher(c: SlipContext, what: str, amount_fen: int, phone: str) -> Slip:
    return Slip(
        elements=[
            *c.header("documents.slip.voucher.title"),
            Text(text=c.t("documents.slip.voucher.what", what=what)),
            Text(text=c.t("documents.slip.voucher.amount", amount=_yuan(amount_fen)), size=2),
            Text(text=c.t("documents.slip.voucher.todo", phone=phone)),
            QrCode(data=c.transaction),
            *c.footer(),
        ]
    )


def referral_slip(c: SlipContext, reason: str, counter: str) -> Slip:
    """For the staffed counter: why the terminal could not finish (the face check not
    passed, or declined), and the transaction the officer looks up."""
    return Slip(
        elements=[
            *c.header("documents.slip.referral.title"),
            Text(text=c.t("documents.slip.referral.reason", reason=reason)),
            Text(text=c.t("documents.slip.referral.where", counter=counter)),
            QrCode(data=c.transaction),
            Text(text=c.t("documents.slip.referral.nothing_kept")),
            *c.footer(),
        ]
    )


def retained_card_slip(c: SlipContext, record: str, counter: str, phone: str) -> Slip:
    """The card was not taken and the terminal kept it: how to have it back. It names
    the record (the transaction line), never the card's holder or number."""
    return Slip(
        elements=[
            *c.header("documents.slip.retained.title"),
            Text(text=c.t("documents.slip.retained.body")),
            Text(text=c.t("documents.slip.retained.reclaim", counter=counter)),
            Text(text=c.t("documents.slip.retained.phone", phone=phone)),
            QrCode(data=record),
            *c.footer(),
        ]
    )


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


# --- drawn on roll paper -------------------------------------------------------------

TEXT_PT = {1: 9.0, 2: 16.0}
MARGIN = 4 * mm


def slip_pdf(slip: Slip) -> bytes:
    """The slip as a PDF page as wide as the roll and as long as the slip."""
    faces = fonts()
    width = slip.paper_mm * mm
    inner = width - 2 * MARGIN
    blocks: list[tuple[float, object]] = []  # (height, element or wrapped lines)
    for element in slip.elements:
        if isinstance(element, Text):
            size = TEXT_PT[element.size]
            lines = break_lines(element.text, inner, size, faces)
            blocks.append((len(lines) * size * 1.35, (element, lines)))
        elif isinstance(element, QrCode):
            blocks.append((30 * mm, element))
        elif isinstance(element, Rule):
            blocks.append((3 * mm, element))
        else:
            blocks.append((element.lines * 4 * mm, element))
    height = sum(h for h, _ in blocks) + 2 * MARGIN
    buffer = io.BytesIO()
    page = Canvas(buffer, pagesize=(width, height), initialFontName=MAIN)
    y = height - MARGIN
    for block_height, item in blocks:
        if isinstance(item, tuple):
            element, lines = item
            size = TEXT_PT[element.size]
            x = {"left": MARGIN, "center": width / 2, "right": width - MARGIN}[element.align]
            for i, line in enumerate(lines):
                draw(page, x, y - (i + 1) * size * 1.2, line, size, faces, element.align)
        elif isinstance(item, QrCode):
            draw_qr(page, item.data, width / 2 - 14 * mm, y - 29 * mm, 28 * mm)
        elif isinstance(item, Rule):
            page.setDash(2, 2)
            page.line(MARGIN, y - 1.5 * mm, width - MARGIN, y - 1.5 * mm)
            page.setDash()
        y -= block_height
    page.showPage()
    page.save()
    return buffer.getvalue()
