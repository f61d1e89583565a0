"""The commissioning slip: printed on the receipt printer at the end of a first boot,
for the site's records. It says which terminal this is, where it stands, which
backend it enrolled with and how each device's self-test went, and leaves a line for
the technician's signature. No secrets: never the enrolment code, never a key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drivers.receipt_printer.slip import Feed, Rule, Slip, Text
from kiosk.strings import Catalogue, catalogue


@dataclass(frozen=True)
class DeviceCheck:
    """One device's self-test: `outcome` is the completion's code, with the device's
    own error after a slash when it failed ("hardware_error/paper_out")."""

    device: str
    ok: bool
    outcome: str


@dataclass(frozen=True)
class Commissioned:
    terminal_id: str  # as the backend enrolled it
    name: str
    location: str
    backend_url: str
    software_version: str
    time: datetime
    checks: tuple[DeviceCheck, ...]


def commissioning_slip(
    done: Commissioned, lang: str = "zh_CN", strings: Catalogue | None = None
) -> Slip:
    def t(message_id: str, **params: object) -> str:
        return (strings or catalogue()).text(message_id, lang, **params)

    def check(c: DeviceCheck) -> Text:
        verdict = t("documents.slip.commissioning.passed" if c.ok
                    else "documents.slip.commissioning.failed", outcome=c.outcome)  # fmt: skip
        return Text(text=f"{c.device}: {verdict}", bold=not c.ok)

    return Slip(
        elements=[
            Text(text=t("documents.slip.commissioning.title"), size=2, bold=True, align="center"),
            Rule(),
            Text(text=t("documents.slip.terminal", terminal=done.terminal_id)),
            Text(text=t("documents.slip.commissioning.name", name=done.name or "-")),
            Text(text=t("documents.slip.commissioning.location", location=done.location or "-")),
            Text(text=t("documents.slip.commissioning.backend", url=done.backend_url)),
            Text(text=t("documents.slip.commissioning.version", version=done.software_version)),
            Text(text=t("documents.slip.time", time=done.time.strftime("%Y-%m-%d %H:%M"))),
            Rule(),
            Text(text=t("documents.slip.commissioning.devices"), bold=True),
            *(check(c) for c in done.checks),
            *([] if done.checks else [Text(text=t("documents.slip.commissioning.no_devices"))]),
            Rule(),
            Feed(lines=2),
            Text(text=t("documents.slip.commissioning.signature")),
            Feed(lines=4),
        ]
    )
