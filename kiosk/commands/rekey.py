"""`kiosk rekey`: a new key pair for this enrolled terminal, in the configured crypto
suite (`[crypto] suite`), registered with the backend under the old key's signature
(`POST /v1/terminals/me/key`); from then on the old key signs nothing. This is how a
terminal's key is rotated, and how a terminal of an `intl` deployment moves to `gm`.

The new key is kept in a file of its own beside the identity (0600) until the backend
has answered: an answer lost on the way leaves the terminal with both, and running
`kiosk rekey` again finishes the rotation with the same new key (the backend answers
a repeated rotation, signed by the new key, the same). A running `kiosk run` or
`kiosk sync run` reads the identity when it starts: restart it afterwards."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_OK, KioskError, ServiceUnavailable, UsageError

if TYPE_CHECKING:
    from kiosk.sync.identity import Identity
    from wire import crypto


class RekeyRefused(KioskError):
    pass


class RekeyCommand(Command):
    name = "rekey"
    help_id = "cmd.rekey.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        add_json_flag(parser, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        from kiosk.sync.client import Refused, Unavailable
        from kiosk.sync.identity import Identity, IdentityError

        loaded = console.loaded_config().config
        path = loaded.backend.identity_file
        try:
            identity = Identity.load(path)
            new_key = _next_key(path, loaded.crypto.suite)
        except IdentityError as exc:
            raise UsageError("rekey.no_identity", detail=str(exc)) from None
        try:
            suite = _register(identity, new_key, loaded.backend.timeout_s, path)
        except Unavailable as exc:  # maybe taken, maybe not: the next run tells
            raise ServiceUnavailable("rekey.unreachable", url=identity.backend_url,
                                     detail=str(exc)) from None  # fmt: skip
        except Refused as exc:  # the old key is still the terminal's: the new one goes
            _pending(path).unlink(missing_ok=True)
            raise RekeyRefused("rekey.refused", code=exc.code, detail=exc.detail) from None
        replace(identity, key=new_key).save(path)
        _pending(path).unlink(missing_ok=True)
        found = {"terminal_id": identity.terminal_id, "suite": suite}
        console.report(found, console.text("rekey.done", terminal=identity.terminal_id,
                                           suite=suite))  # fmt: skip
        return EXIT_OK


def _register(
    identity: Identity, new_key: crypto.PrivateKey, timeout_s: float, identity_file: Path
) -> str:
    """The suite the backend registered `new_key` in. Signed by the old key; if the
    backend no longer knows that one (an earlier run's answer was lost after it took
    the new key), by the new key, which it then answers the same. Refused then too,
    the backend may hold either key: RekeyRefused, and the new key is kept."""
    from kiosk.sync.client import BackendClient, Refused
    from wire import crypto
    from wire.encoding import b64
    from wire.signing import public_key_text
    from wire.sync import KeyRotation, KeyRotationReply, possession_message

    text = public_key_text(new_key.public)
    signed = possession_message(identity.terminal_id, text)
    proof = crypto.suite(new_key.suite).sign(new_key, signed)
    body = KeyRotation(public_key=text, possession=b64(proof))
    path = "/v1/terminals/me/key"
    for signer in (identity, replace(identity, key=new_key)):
        client = BackendClient(identity=signer, timeout_s=timeout_s)
        try:
            answer = client.call("POST", path, body)
            return KeyRotationReply.model_validate_json(answer.content).suite
        except Refused as exc:
            if signer.key is new_key:
                raise RekeyRefused("rekey.unsettled", code=exc.code, detail=exc.detail,
                                   file=str(_pending(identity_file))) from None  # fmt: skip
            if exc.status != 401:
                raise
        finally:
            client.close()
    raise AssertionError("unreachable")


def _pending(path: Path) -> Path:
    return path.with_name(path.name + ".next")


def _next_key(path: Path, suite_name: str) -> crypto.PrivateKey:
    """The new key an earlier, unfinished run made (the backend may hold it already,
    so it is never replaced), or a fresh one in `suite_name`, kept before it is sent
    (written whole, 0600)."""
    from kiosk.sync.identity import IdentityError, write_whole
    from wire import crypto

    pending = _pending(path)
    if pending.exists():
        try:
            name, _, raw = pending.read_text(encoding="ascii").strip().partition(":")
            return crypto.suite(name).load_private_bytes(bytes.fromhex(raw))
        except (OSError, ValueError, crypto.CryptoError) as exc:
            raise IdentityError(f"{pending}: not a key this command kept: {exc}") from None
    suite = crypto.suite(suite_name)
    key = suite.generate_private_key()
    write_whole(pending, f"{suite.name}:{suite.private_bytes(key).hex()}".encode(), 0o600)
    return key
