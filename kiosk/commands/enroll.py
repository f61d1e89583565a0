"""`kiosk enroll --backend URL --code CODE`: the terminal makes its Ed25519 key pair
and registers the public key with the backend under a technician's one-time code."""

from __future__ import annotations

import argparse
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_OK, KioskError, ServiceUnavailable, UsageError


class EnrollRefused(KioskError):
    pass


class EnrollCommand(Command):
    name = "enroll"
    help_id = "cmd.enroll.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        parser.add_argument(
            "--backend", required=True, metavar="URL", help=text("cmd.enroll.backend")
        )
        parser.add_argument("--code", required=True, help=text("cmd.enroll.code"))
        parser.add_argument("--force", action="store_true", help=text("cmd.enroll.force"))
        add_json_flag(parser, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from pydantic import ValidationError

        from kiosk.config import BackendSection
        from kiosk.sync.client import Refused, Unavailable, post_unsigned
        from kiosk.sync.identity import Identity
        from wire import __version__
        from wire.proof import public_key_text
        from wire.sync import EnrolmentReply, EnrolmentRequest

        try:
            url = BackendSection(url=args.backend).url or ""
        except ValidationError:
            raise UsageError("enroll.bad_url", url=args.backend) from None
        loaded = console.loaded_config().config
        path = loaded.backend.identity_file
        if path.exists() and not args.force:
            raise UsageError("enroll.already", file=str(path))
        key = Ed25519PrivateKey.generate()
        request = EnrolmentRequest(
            code=args.code.strip().upper()[:32], public_key=public_key_text(key.public_key()),
            name=loaded.terminal.name, software_version=__version__,
        )  # fmt: skip
        try:
            answer = post_unsigned(url.rstrip("/") + "/v1/enrol", request, loaded.backend.timeout_s)
            reply = EnrolmentReply.model_validate(answer)
        except Unavailable as exc:
            raise ServiceUnavailable("enroll.unreachable", url=url, detail=str(exc)) from None
        except Refused as exc:
            raise EnrollRefused("enroll.refused", code=exc.code, detail=exc.detail) from None
        except ValidationError:
            raise ServiceUnavailable(
                "enroll.unreachable", url=url, detail="not a backend"
            ) from None
        Identity(reply.terminal_id, url, key).save(path)
        found = {"terminal_id": reply.terminal_id, "backend": url, "identity_file": str(path)}
        console.report(found, console.text("enroll.done", terminal=reply.terminal_id, url=url))
        return EXIT_OK
