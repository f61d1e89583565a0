"""`kiosk proof verify|keygen`: check a printed certificate; make development keys."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_FAILED, EXIT_OK, ConfigError, UsageError


class ProofCommand(Command):
    name = "proof"
    help_id = "cmd.proof.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        verify = actions.add_parser("verify", help=text("cmd.proof.verify.help"))
        verify.add_argument("file", type=Path)
        add_json_flag(verify, text)
        keygen = actions.add_parser("keygen", help=text("cmd.proof.keygen.help"))
        keygen.add_argument("folder", type=Path)
        keygen.add_argument("--key-id", default=f"dev-{date.today():%Y%m%d}")

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action == "verify":
            return self._verify(args.file, console)
        if args.action == "keygen":
            from kiosk.documents.keys import config_lines, keygen

            # in the terminal's suite (`[crypto] suite`), the one its backend signs in
            key = keygen(args.folder, args.key_id, console.loaded_config().config.crypto.suite)
            console.say("proof.keygen.done", key_id=key.key_id, folder=args.folder)
            print(config_lines(key, args.folder.resolve()), file=console.out)
            return EXIT_OK
        raise UsageError("cli.no_action", command=self.name, actions="verify, keygen")

    def _verify(self, path: Path, console: Console) -> int:
        from kiosk.documents.keys import trusted_issuers
        from kiosk.documents.verify import verify_file
        from wire.proof import DOCUMENT_TYPES

        config = console.loaded_config().config
        keys = trusted_issuers(config.proof, config.cache.database)
        if not keys:
            raise ConfigError("proof.no_keys")
        verdict = verify_file(path, keys, date.today())
        p = verdict.payload
        if verdict.status == "valid" and p is not None:
            title = console.strings.text(
                f"documents.proof.{DOCUMENT_TYPES[p.t]}.title", console.lang
            )
            human = console.text(
                "proof.verify.valid",
                title=title,
                serial=p.s,
                name=p.n,
                use=p.u,
                issued=p.issued.isoformat(),
                expires=p.expires.isoformat(),
                code=verdict.verification_code,
            )
        elif verdict.status == "expired" and p is not None:
            human = console.text("proof.verify.expired", expires=p.expires.isoformat(), serial=p.s)
        else:
            human = console.text(
                f"proof.verify.{verdict.status}",
                file=path,
                key=verdict.detail,
                detail=verdict.detail,
            )
        console.report(verdict.as_dict(), human)
        return EXIT_OK if verdict.genuine else EXIT_FAILED
