"""The terminal's identity in either crypto suite, and the files from before the suites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from kiosk.sync.client import BackendClient, Refused, post_unsigned
from kiosk.sync.identity import Identity, IdentityError
from tests.backend.harness import Clock
from tests.services.backend import LiveBackend
from tests.sync.conftest import enrol
from wire import crypto
from wire.encoding import b64
from wire.sync import EnrolmentReply, EnrolmentRequest


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_an_identity_keeps_its_suite_and_signs_in_it(
    tmp_path: Path, live_backend: LiveBackend, clock: Clock, suite: str
) -> None:
    path = tmp_path / "identity.json"
    enrol(live_backend, path)
    assert json.loads(path.read_text())["suite"] == suite
    loaded = Identity.load(path)
    assert loaded.key.suite == suite
    client = BackendClient(loaded, timeout_s=5, clock=clock)
    assert client.call("GET", "/v1/config").status_code == 200
    client.close()


@pytest.mark.parametrize("suite", ["intl"])  # the deployment that enrolled it
def test_an_identity_file_from_before_the_suites_loads_as_intl_and_signs(
    tmp_path: Path, live_backend: LiveBackend, clock: Clock
) -> None:
    """Written the way `kiosk enroll` wrote it before: the Ed25519 key's raw bytes in
    hex, no `suite`; it keeps working after the deployment switches to gm."""
    old = Ed25519PrivateKey.generate()
    public = b64(old.public_key().public_bytes_raw())  # the bare text terminals sent
    ask = EnrolmentRequest(code=live_backend.code(), public_key=public, software_version="old")
    reply = EnrolmentReply.model_validate(post_unsigned(live_backend.url + "/v1/enrol", ask, 10))
    path = tmp_path / "identity.json"
    secret = old.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()
    path.write_text(
        json.dumps(
            {
                "terminal_id": reply.terminal_id,
                "backend_url": live_backend.url,
                "private_key": secret,
            }
        )
    )
    path.chmod(0o600)
    live_backend.app.state.crypto_suite = "gm"  # the deployment switched since
    loaded = Identity.load(path)
    assert loaded.key.suite == "intl" and loaded.key.public == crypto.suite("intl").load_public(
        public
    )
    client = BackendClient(loaded, timeout_s=5, clock=clock)
    assert client.call("GET", "/v1/config").status_code == 200
    client.close()
    with pytest.raises(Refused, match="wrong_suite"):  # new intl keys are refused now
        enrol(live_backend, tmp_path / "new.json", suite="intl")
    loaded.save(path)  # saved again: the same key, its suite now written down
    assert json.loads(path.read_text())["suite"] == "intl"
    assert json.loads(path.read_text())["private_key"] == secret


def test_an_identity_file_of_an_unknown_suite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "identity.json"
    path.write_text(json.dumps({"terminal_id": "T1", "backend_url": "http://127.0.0.1:9",
                                "suite": "rot13", "private_key": "00" * 32}))  # fmt: skip
    path.chmod(0o600)
    with pytest.raises(IdentityError, match="unknown crypto suite"):
        Identity.load(path)
