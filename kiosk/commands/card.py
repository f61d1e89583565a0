"""`kiosk card read --mrz DOCNO,BIRTH,EXPIRY`: read the chip of a travel document in
the first reader (or the configured one), for a technician checking a reader."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_FAILED, EXIT_OK, ServiceUnavailable, UsageError


class CardCommand(Command):
    name = "card"
    help_id = "cmd.card.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        read = actions.add_parser("read", help=text("cmd.card.read.help"))
        read.add_argument("--mrz", required=True, metavar="DOCNO,BIRTH,EXPIRY")
        read.add_argument("--reader", help=text("cmd.card.reader"))
        add_json_flag(read, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action != "read":
            raise UsageError("cli.no_action", command=self.name, actions="read")
        from drivers.smartcard.mrz import MrzError, key_info

        parts = [p.strip() for p in args.mrz.split(",")]
        try:
            if len(parts) != 3:
                raise MrzError("three fields, separated by commas")
            key_info(*parts)
        except MrzError as exc:
            raise UsageError("card.bad_key", detail=str(exc)) from None
        return _read((parts[0], parts[1], parts[2]), _reader(args, console), console)


def _reader(args: argparse.Namespace, console: Console) -> str:
    if args.reader is not None:
        return str(args.reader)
    section = console.loaded_config().config.devices.get("smartcard")
    return (section.uri or "") if section is not None else ""


def _read(key: tuple[str, str, str], reader: str, console: Console) -> int:
    from drivers.smartcard.driver import PcscCardReader

    driver = PcscCardReader(port=reader)
    try:
        opened = driver.open().result()
        if not opened.ok:
            raise ServiceUnavailable("card.no_reader", reader=reader or "*", error=opened.error)
        done = driver.read_document(key[0], key[1], key[2]).result()
    finally:
        driver.close()
    if done.code.value == "device_not_ready":
        raise ServiceUnavailable("card.no_card", reader=driver.reader or reader)
    if not done.ok:
        message = console.text(f"card.error.{done.error}") if done.error in _EXPLAINED else ""
        console.report(
            {"read": False, "code": done.code.value, "error": done.error},
            console.text("card.failed", code=done.code.value, error=done.error, why=message),
        )
        return EXIT_FAILED
    document = done.data["document"]
    mrz, face = document.mrz, document.face
    dg1 = {
        "kind": mrz.kind,
        "document_code": mrz.document_code,
        "issuer": mrz.issuer,
        "document_number": mrz.document_number,
        "names": mrz.names,
        "nationality": mrz.nationality,
        "birth_date": mrz.birth_date,
        "sex": mrz.sex,
        "expiry_date": mrz.expiry_date,
    }
    result = {
        "read": True,
        "dg1": dg1,
        "data_groups": document.data_groups,
        "dg2": {
            "decoded": face is not None,
            "format": face.format if face else None,
            "width": face.width if face else None,
            "height": face.height if face else None,
            "bytes": len(face.data) if face else None,
            "error": document.face_error,
        },
    }
    human = "\n".join(
        [console.text("card.read.dg1")]
        + [f"  {name:<16} {value}" for name, value in dg1.items()]
        + [
            console.text(
                "card.read.face",
                format=face.format,
                width=face.width,
                height=face.height,
                size=len(face.data),
            )
            if face
            else console.text("card.read.no_face", why=document.face_error or "-")
        ]
    )
    console.report(result, human)
    return EXIT_OK


_EXPLAINED = {"access_denied", "card_removed", "secure_messaging", "bad_chip_data"}
