"""`kiosk enroll --backend URL --code CODE [--ca FILE]`: the terminal makes its key
pair in the configured crypto suite (`[crypto] suite`: SM2 in `gm`, Ed25519 in
`intl`) and registers the public key with the backend under a technician's one-time
code.

An https backend needs `--ca FILE`, the police CA certificate (PEM) that issued the
backend's certificate: it is pinned beside the identity file and from then on the
only CA the terminal trusts for its backend (never the system's public roots). Plain
http is refused except to loopback (kiosk/sync/identity.py says why)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_OK, KioskError, ServiceUnavailable, UsageError


class EnrollRefused(KioskError):
    pass


class EnrollUntrusted(KioskError):
    """The backend's certificate did not verify against the CA given: the terminal
    refused the backend (exit 1, like the backend refusing the terminal)."""


class EnrollCommand(Command):
    name = "enroll"
    help_id = "cmd.enroll.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        parser.add_argument(
            "--backend", required=True, metavar="URL", help=text("cmd.enroll.backend")
        )
        parser.add_argument("--code", required=True, help=text("cmd.enroll.code"))
        parser.add_argument("--force", action="store_true", help=text("cmd.enroll.force"))
        parser.add_argument("--ca", type=Path, metavar="FILE", help=text("cmd.enroll.ca"))
        add_json_flag(parser, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        from pydantic import ValidationError

        from kiosk.sync.client import Refused, Unavailable, Untrusted, post_unsigned
        from kiosk.sync.identity import Identity, pin_ca
        from wire import __version__, crypto
        from wire.signing import public_key_text
        from wire.sync import EnrolmentReply, EnrolmentRequest

        url, ca = _backend(args)
        loaded = console.loaded_config().config
        path = loaded.backend.identity_file
        if path.exists() and not args.force:
            raise UsageError("enroll.already", file=str(path))
        key = crypto.suite(loaded.crypto.suite).generate_private_key()  # the deployment's
        request = EnrolmentRequest(
            code=args.code.strip().upper()[:32], public_key=public_key_text(key.public),
            name=loaded.terminal.name, software_version=__version__,
        )  # fmt: skip
        try:
            answer = post_unsigned(url.rstrip("/") + "/v1/enrol", request,
                                   loaded.backend.timeout_s, args.ca)  # fmt: skip
            reply = EnrolmentReply.model_validate(answer)
        except Untrusted as exc:
            raise EnrollUntrusted("enroll.untrusted", url=url, detail=str(exc)) from None
        except Unavailable as exc:
            raise ServiceUnavailable("enroll.unreachable", url=url, detail=str(exc)) from None
        except Refused as exc:
            raise EnrollRefused("enroll.refused", code=exc.code, detail=exc.detail) from None
        except ValidationError:
            raise ServiceUnavailable(
                "enroll.unreachable", url=url, detail="not a backend"
            ) from None
        pinned = pin_ca(path, ca) if ca is not None else None
        Identity(reply.terminal_id, url, key, pinned).save(path)
        found = {"terminal_id": reply.terminal_id, "backend": url, "identity_file": str(path),
                 "ca_file": str(pinned) if pinned else None}  # fmt: skip
        console.report(found, console.text("enroll.done", terminal=reply.terminal_id, url=url))
        return EXIT_OK


def _backend(args: argparse.Namespace) -> tuple[str, bytes | None]:
    """The backend's address, checked, and the PEM of the CA to pin (https only)."""
    from pydantic import ValidationError

    from kiosk.config import BackendSection
    from kiosk.sync.identity import IdentityError, InsecureBackend, check_backend_url, read_ca

    try:
        check_backend_url(args.backend)
    except InsecureBackend:
        raise UsageError("enroll.plain_http", url=args.backend) from None
    try:
        url = BackendSection(url=args.backend).url or ""
    except ValidationError:
        raise UsageError("enroll.bad_url", url=args.backend) from None
    if not url.lower().startswith("https://"):
        if args.ca is not None:
            raise UsageError("enroll.ca_needs_https", url=url)
        return url, None
    if args.ca is None:
        raise UsageError("enroll.no_ca", url=url)
    try:
        return url, read_ca(args.ca)
    except IdentityError as exc:
        raise UsageError("enroll.bad_ca", detail=str(exc)) from None
