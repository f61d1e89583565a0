"""`make screens`: every screen, in every language (Chinese, English, and Uyghur,
written right to left, as a Xinjiang city pack offers it) and both modes, rendered off
screen to build/screens/*.png for review; `--baselines tests/ui/baselines` writes
the screenshot tests' quarter-size baselines (commit them with the screen change)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flows import events as ev

LANGUAGES = ("zh_CN", "en", "ug")  # the baselines cover each
MODES = ("normal", "elderly")

# One sample of every screen, as the engine would show it (synthetic values only);
# the step ids are the renewal's, so each shows the renewal's progress where it has one.
FLOW = "id_renewal"
SCREENS: list[tuple[str, ev.Show | None, list[dict[str, str]]]] = [
    ("home", None, []),
    (
        "choose",
        ev.Show(
            "reason",
            "choose",
            "flow.common.reason",
            {
                "options": [
                    {"id": "renewal", "text": "flow.common.option.renewal"},
                    {"id": "damaged", "text": "flow.common.option.damaged"},
                    {"id": "lost", "text": "flow.common.option.lost"},
                ]
            },
        ),
        [],
    ),
    (
        "info",
        ev.Show(
            "ineligible",
            "info",
            "flow.common.ineligible",
            {"message": "flow.id_renewal.ineligible", "referral": "flow.common.go_to_counter"},
        ),
        [],
    ),
    (
        "form",
        ev.Show(
            "contact",
            "form",
            "flow.common.contact",
            {"fields": [{"id": "phone", "kind": "phone", "label": "flow.common.field.phone"}]},
            errors={"phone": "flow.error.phone"},
        ),
        [],
    ),
    (
        # the number on the last application, offered for one tap (masked)
        "form_known",
        ev.Show(
            "contact",
            "form",
            "flow.common.contact",
            {
                "fields": [
                    {
                        "id": "phone",
                        "kind": "phone",
                        "label": "flow.common.field.phone",
                        "known": "138****8000",
                    }
                ]
            },
        ),
        [],
    ),
    (
        # a text field: the on-screen keyboard comes up, and is walked for its sizes
        "form_text",
        ev.Show(
            "type_id",
            "form",
            "flow.id_renewal.type_id",
            {"fields": [{"id": "name", "kind": "text", "label": "flow.common.field.name"}]},
        ),
        [],
    ),
    (
        "confirm",
        ev.Show("check", "confirm", "flow.common.confirm", {}, values={"x": 1}),
        [
            {
                "name": "reason",
                "label": "flow.common.reason",
                "value": "",
                "valueId": "flow.common.option.renewal",
            },
            {
                "name": "contact.phone",
                "label": "flow.common.field.phone",
                "value": "139 0000 0000",
                "valueId": "",
            },
        ],
    ),
    (
        "pay",
        ev.Show(
            "pay", "pay", "flow.common.pay", {"amount": 20.0, "methods": ["wechat", "bank_card"]}
        ),
        [],
    ),
    ("working", ev.Show("slip", "print", "flow.common.printing", {}), []),
    ("read_id_card", ev.Show("read_card", "read_id_card", "flow.common.place_card", {}), []),
    (
        # the permit into the document reader's slot (drawn apart from the ID card reader)
        "read_document_chip",
        ev.Show(
            "insert_permit",
            "read_document_chip",
            "flow.permit.insert",
            {"document": "hk_macau_permit", "access_key_from": "scan_permit"},
        ),
        [],
    ),
    ("scan_code", ev.Show("scan_receipt", "scan_code", "flow.id_renewal.scan_receipt", {}), []),
    ("capture_photo", ev.Show("take_photo", "capture_photo", "flow.common.look_at_camera", {}), []),
    (
        "capture_fingerprints",
        ev.Show(
            "fingerprints",
            "capture_fingerprints",
            "flow.id_renewal.fingerprints",
            {"policy": "police", "captures": 3},
        ),
        [],
    ),
    (
        # the separate consent before the face check (PIPL): a long question, two answers
        "face_consent",
        ev.Show(
            "face_consent",
            "choose",
            "flow.common.face_consent",
            {
                "options": [
                    {"id": "agree", "text": "flow.common.option.face_agree"},
                    {"id": "decline", "text": "flow.common.option.face_decline"},
                ]
            },
        ),
        [],
    ),
    (
        "take_back",
        ev.Show("give_back", "take_back", "flow.common.take_back", {"what": "id_card"}),
        [],
    ),
    ("rate", ev.Show("rating", "rate", "flow.common.rate", {}), []),
    (
        "done",
        ev.Show("finished", "done", "flow.common.done", {"message": "flow.id_renewal.done"}),
        [],
    ),
]


# A proof checked (电子证明核查): the verdict and what the signed code names, masked. Not
# among SCREENS: its values are a proof's own (a name, a code), not the catalogue's.
PROOF_CHECK: tuple[str, ev.Show, list[dict[str, str]]] = (
    "proof_check",
    ev.Show(
        "genuine",
        "confirm",
        "flow.proof_check.genuine",
        {"show": ["check.document"], "button": "flow.proof_check.seen"},
        values={"x": 1},
    ),
    [
        {
            "name": "check.document",
            "label": "flow.proof_check.field.document",
            "value": "criminal_record",
            "valueId": "documents.proof.criminal_record.title",
        },
        {
            "name": "check.holder_name",
            "label": "flow.proof_check.field.holder",
            "value": "张**",
            "valueId": "",
        },
        {
            "name": "check.expires",
            "label": "flow.proof_check.field.expires",
            "value": "2026-04-02",
            "valueId": "",
        },
        {
            "name": "check.verification_code",
            "label": "flow.proof_check.field.verification_code",
            "value": "7QK2M9XD",
            "valueId": "",
        },
    ],
)


BASELINE_SIZE = (270, 480)  # a quarter: enough to see a screen change, small in git


def render(out: Path, baseline: bool = False) -> list[Path]:
    """Every screen to `out` as PNG; `baseline`: quarter size, for tests/ui/baselines."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    out.mkdir(parents=True, exist_ok=True)
    kiosk = Kiosk(shell_factory(catalogue()), catalogue(), size=(1080, 1920))
    kiosk.window.show()
    kiosk.shell.freeze_clock("2026-01-01 09:00")
    written = []
    try:
        for lang in LANGUAGES:
            for mode in MODES:
                for name, picture in screens(kiosk, lang, mode):
                    path = out / f"{name}-{lang}-{mode}.png"
                    if baseline:
                        picture = picture.scaled(*BASELINE_SIZE)
                    picture.save(str(path))
                    written.append(path)
    finally:
        kiosk.close()
    return written


def fresh(kiosk: Any, lang: str, elderly: bool) -> None:
    """A new session's screens in `lang` and the mode (a session's end undoes both,
    as it does for citizens)."""
    kiosk.shell.wipe()
    kiosk.shell.setLanguage(lang)
    if kiosk.shell.elderly != elderly:
        kiosk.shell.toggleElderly()


def screens(kiosk: Any, lang: str, mode: str) -> Iterator[tuple[str, Any]]:
    """(name, QImage) of every screen, and the two overlays, in a language and mode."""
    for name, show, values in SCREENS:
        fresh(kiosk, lang, mode == "elderly")
        if show is not None:
            kiosk.shell.preview(show, values, flow=FLOW)
        kiosk.settle(120)
        yield name, kiosk.window.grabWindow()
    kiosk.shell.preview(SCREENS[1][1])
    kiosk.shell.preview_warning(18, 9)
    kiosk.settle(120)
    yield "timeout", kiosk.window.grabWindow()
    fresh(kiosk, lang, mode == "elderly")
    kiosk.shell.showHelp(True)
    kiosk.settle(120)
    yield "help", kiosk.window.grabWindow()
    kiosk.shell.showHelp(False)
    yield from finder_screens(kiosk, lang, mode)
    yield from commissioning_screens(kiosk, lang, mode)


def finder_screens(kiosk: Any, lang: str, mode: str) -> Iterator[tuple[str, Any]]:
    """您要办什么？: its everyday choices, then what "sfz" finds; and a proof checked."""
    name, show, values = PROOF_CHECK
    fresh(kiosk, lang, mode == "elderly")
    kiosk.shell.preview(show, values)
    kiosk.settle(120)
    yield name, kiosk.window.grabWindow()
    for name, query in (("finder", ""), ("finder_results", "sfz")):
        fresh(kiosk, lang, mode == "elderly")
        kiosk.shell.openFinder()
        if query:
            kiosk.shell.finder.search(query)
        kiosk.settle(120)
        yield name, kiosk.window.grabWindow()
    kiosk.shell.closeFinder()


# A first boot's commissioning (ui/commissioning.py), made up: nothing is enrolled.
CHECKS = [("receipt_printer", True, "success"), ("id_card", True, "success"),
          ("camera", False, "hardware_error/no_frames"),
          ("document_printer", True, "success")]  # fmt: skip
COMMISSIONING: list[tuple[str, str, dict[str, Any]]] = [
    ("commissioning_pin", "pin", {}),
    ("commissioning_form", "form", {"url": "https://kiosk-backend.police.example:8470",
                                    "message": "ui.commission.error.refused", "field": "code"}),
    ("commissioning_working", "working", {"doing": "testing", "terminal": "T-2026-0042",
                                          "checks": CHECKS[:3], "waiting": ["document_printer"]}),
    ("commissioning_done", "done", {"terminal": "T-2026-0042", "checks": CHECKS,
                                    "printed": "printed"}),
]  # fmt: skip


def commissioning_screens(kiosk: Any, lang: str, mode: str) -> Iterator[tuple[str, Any]]:
    from kiosk.documents.commissioning import DeviceCheck
    from kiosk.maintenance import Door, MaintenanceSection
    from ui.commissioning import Commissioning

    door = Door(MaintenanceSection.model_construct(pin_hash="(a PIN is set)"))
    for name, stage, state in COMMISSIONING:
        fresh(kiosk, lang, mode == "elderly")
        job = Commissioning(door, steps=None)  # type: ignore[arg-type]  # nothing runs
        checks = [DeviceCheck(*check) for check in state.get("checks", [])]
        job.preview(stage, **{**state, "checks": checks})
        kiosk.shell.preview_commissioning(job)
        kiosk.settle(200)
        yield name, kiosk.window.grabWindow()
        kiosk.shell.preview_commissioning(None)
        job.deleteLater()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    quarter = "--baselines" in arguments
    folder = [a for a in arguments if not a.startswith("--")]
    for path in render(Path(folder[0] if folder else "build/screens"), baseline=quarter):
        print(path)
