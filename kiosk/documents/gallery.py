"""`make documents`: every template rendered to PDF and PNG in build/documents/,
with the longest real names and addresses and rare characters, for review."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

from kiosk.citypack import load_pack
from kiosk.documents.commissioning import Commissioned, DeviceCheck, commissioning_slip
from kiosk.documents.keys import keygen
from kiosk.documents.proofs import ProofRequest, issue
from kiosk.documents.slips import (
    SlipContext,
    endorsement_slip,
    exit_entry_slip,
    payment_slip,
    photo_receipt,
    pickup_receipt,
    pickup_slip,
    queue_ticket,
    referral_slip,
    refund_voucher,
    retained_card_slip,
    slip_pdf,
)

# Real kinds of hard cases: a rare character (䶮 U+4DAE, ext. A), one from ext. B
# (𠮷 U+20BB7), a long minority name, a long address.
LONG_NAME = "阿卜杜热依木·艾合买提江"
RARE_NAME = "王䶮𠮷"
LONG_ADDRESS = (
    "新疆维吾尔自治区巴音郭楞蒙古自治州和静县巴伦台镇黄土沟村一组（巴音布鲁克草原东侧）12号"
)
# The default pack, with a real-looking issuer for review.
PACK = load_pack().model_copy(update={"issuer": "北京市公安局东城分局"})


def samples(today: date) -> dict[str, ProofRequest]:
    return {
        "criminal_record": ProofRequest(
            "criminal_record",
            "CR-20261123-000123",
            RARE_NAME,
            "男",
            "11010519491231002X",
            "就业",
            today,
        ),
        "household": ProofRequest(
            "household",
            "HH-20261123-000045",
            LONG_NAME,
            "男",
            "653027198001011234",
            "入学",
            today,
            details={"address": LONG_ADDRESS},
        ),
        "residence": ProofRequest(
            "residence",
            "RS-20261123-000678",
            "欧阳𠮷祥",
            "女",
            "11010519491231002X",
            "办理居住证",
            today,
            details={"address": LONG_ADDRESS, "since": "2019-03-01"},
        ),
        "kinship": ProofRequest(
            "kinship", "KN-20261123-000231", LONG_NAME, "男", "653027198001011234", "继承", today,
            details={"relation": "mother", "relative_name": "古丽娜尔·买买提依明",
                     "relative_id_number": "653027********1228"},
        ),
        "birth": ProofRequest(
            "birth", "BR-20261123-000017", RARE_NAME, "男", "11010519491231002X", "入学", today,
            details={"birth_date": "1949-12-31", "birth_place": LONG_ADDRESS,
                     "registered_on": "1950-01-20"},
        ),
        "death": ProofRequest(
            "death", "DT-20261123-000009", "欧阳𠮷祥", "女", "11010519491231002X", "继承", today,
            details={"relation": "father", "deceased_name": LONG_NAME,
                     "deceased_id_number": "653027********1234", "died_on": "2026-10-02"},
        ),
    }  # fmt: skip


def slips(context: SlipContext) -> dict[str, object]:
    return {
        "pickup_slip": pickup_slip(context, RARE_NAME, "有效期满换领", "邮寄到家"),
        "payment_slip": payment_slip(context, 4000, "微信支付", "PAY-20261123-88812"),
        "photo_receipt": photo_receipt(context, "R110101202611230007", "居民身份证"),
        "endorsement_slip": endorsement_slip(
            context, LONG_NAME, "个人旅游（G）", "香港", "一年两次", "2027-11-22"
        ),
        "exit_entry_slip": exit_entry_slip(
            context, LONG_NAME, "普通护照", "欧洲国家", "E20261123A1B2C3D4", "2026-11-30"
        ),
        "pickup_receipt": pickup_receipt(
            context, LONG_NAME, "往来港澳通行证", "C2*****08", "QJ-2H8P4R", "邮寄到家", 2000
        ),
        "queue_ticket": queue_ticket(context, "A027", "出入境业务", 5),
        "refund_voucher": refund_voucher(
            context, "签注写入失败，证件已退还", 3000, PACK.help_phone
        ),
        "referral_slip": referral_slip(context, "未能完成人像或指纹核验", PACK.help_counter),
        "retained_card_slip": retained_card_slip(
            context, "R20261205101500-3F2A", PACK.help_counter, PACK.help_phone
        ),
        "commissioning_slip": commissioning_slip(COMMISSIONED),
    }


# A first boot's slip: every device, one of them failed
COMMISSIONED = Commissioned(
    "BJ-DC-0007", "东城区东直门派出所24小时自助警务亭", LONG_ADDRESS,
    "https://kiosk-backend.police.example:8470", "0.1.0", datetime(2026, 11, 23, 3, 12),
    (DeviceCheck("id_card", True, "success"), DeviceCheck("camera", True, "success"),
     DeviceCheck("receipt_printer", True, "success"),
     DeviceCheck("document_printer", False, "hardware_error/paper_out")),
)  # fmt: skip


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as keys:  # a throw-away key: no private key left behind
        key = keygen(Path(keys), "gallery")
        for kind, request in samples(date.today()).items():
            (out / f"{kind}.pdf").write_bytes(issue(request, key, PACK).pdf)
    context = SlipContext("BJ-DC-0007", "T20261123-000042", datetime(2026, 11, 23, 3, 12))
    for name, slip in slips(context).items():
        (out / f"{name}.pdf").write_bytes(slip_pdf(slip))  # type: ignore[arg-type]
    for pdf in sorted(out.glob("*.pdf")):
        subprocess.run(
            ["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
            check=True,
        )
        print(pdf.with_suffix(".png"))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "build/documents"))
