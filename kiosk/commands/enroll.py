"""`kiosk enroll --backend URL --code CODE [--ca FILE]`: the terminal makes its key
pair in the configured crypto suite (`[crypto] suite`: SM2 in `gm`, Ed25519 in
`intl`) and registers the public key with the backend under a technician's one-time
code (kiosk/sync/enrolment.py, shared with the first boot's commissioning screen).

An https backend needs `--ca FILE`, the police CA certificate (PEM) that issued the
backend's certificate: it is pinned beside the identity file and from then on the
only CA the terminal trusts for its backend (never the system's public roots). Plain
http is refused except to loopback (kiosk/sync/identity.py says why).

`--site TEXT` names the site it stands at (e.g. "北京市公安局海淀分局 中关村派出所"),
over `[terminal] site`; the fleet console groups terminals by it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_OK


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
        parser.add_argument("--site", metavar="TEXT", help=text("cmd.enroll.site"))
        add_json_flag(parser, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        from kiosk.sync.enrolment import enrol

        loaded = console.loaded_config().config
        done = enrol(loaded, args.backend, args.code, args.ca, args.force, args.site)
        found = {"terminal_id": done.terminal_id, "backend": done.backend_url,
                 "identity_file": str(done.identity_file),
                 "ca_file": str(done.ca_file) if done.ca_file else None}  # fmt: skip
        message = console.text("enroll.done", terminal=done.terminal_id, url=done.backend_url)
        console.report(found, message)
        return EXIT_OK
