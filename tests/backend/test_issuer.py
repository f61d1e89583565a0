"""The issuer's keys (backend/issuer.py) across suites: a file from before the suites
is intl; a deployment of another suite adds a key of its own and keeps publishing the
old one, so every proof printed before still verifies."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend.issuer import Issuer, load_issuer, rotate_issuer
from backend.registry import citizen_id
from tests.backend.harness import Backend
from tests.unit.wire.test_crypto import openssl_verifies
from wire import crypto
from wire import proof as kp
from wire.encoding import b64, unb64

SEED = bytes(range(32))


def old_file(path: Path) -> Path:
    """issuer.json as the backend wrote it before the suites: one Ed25519 key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    body = {"key_id": "issuer-1", "private": SEED.hex(), "hmac": ("ab" * 32)}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(body, out)
    return path


def a_proof(issuer: Issuer, serial: str = "CR-20261118-0001") -> str:
    h = issuer.holder_hmac("11010519491231002X")
    payload = kp.ProofPayload(t="cr", s=serial, n="钱**", h=h, u="就业", i="20261118",
                              e="20270216", k=issuer.key_id)  # fmt: skip
    return kp.encode(payload, issuer.signing_key)


def trusted(public_keys: dict[str, str]) -> dict[str, crypto.PublicKey]:
    return {key_id: kp.public_key_from_text(text) for key_id, text in public_keys.items()}


def test_a_file_from_before_the_suites_is_intl_and_a_gm_deployment_adds_issuer_2(tmp_path):
    path = old_file(tmp_path / "data" / "issuer.json")
    before = load_issuer(path)  # no suite asked: the file as it is
    old_public = b64(Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw())
    assert before.key_id == "issuer-1" and before.suite.name == "intl"
    assert before.public_keys == {"issuer-1": old_public}
    printed = a_proof(before)
    assert printed.startswith("KP1.")

    switched = load_issuer(path, "gm")
    assert switched.key_id == "issuer-2" and switched.suite.name == "gm"
    assert switched.hmac_key == before.hmac_key  # one HMAC key for the file's life
    assert switched.public_keys["issuer-1"] == old_public
    assert switched.public_keys["issuer-2"].startswith("gm:")
    assert kp.decode(printed, trusted(switched.public_keys)).k == "issuer-1"
    new = a_proof(switched, "CR-20261118-0002")
    assert new.startswith("KP1-GM.") and kp.decode(new, trusted(switched.public_keys)).k == (
        "issuer-2"
    )
    # h changed suite with the key; holder_hmacs finds the person's proofs of both
    assert kp.decode(new, trusted(switched.public_keys)).h == switched.holder_hmac(
        "11010519491231002X"
    )
    assert switched.holder_hmacs("11010519491231002X") == {
        before.holder_hmac("11010519491231002X"),
        switched.holder_hmac("11010519491231002X"),
    }

    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["suite"] == "gm" and kept["published"] == {"issuer-1": old_public}
    assert SEED.hex() not in path.read_text(encoding="utf-8")  # the old private key is gone
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_issuer(path, "gm")  # the same suite again: no new key
    assert (again.key_id, again.public_keys) == ("issuer-2", switched.public_keys)
    back = load_issuer(path, "intl")
    assert back.key_id == "issuer-3" and set(back.public_keys) == {"issuer-1", "issuer-2",
                                                                   "issuer-3"}  # fmt: skip


@pytest.mark.parametrize("name", crypto.NAMES)
def test_a_new_file_is_in_the_deployment_s_suite_and_rotates_in_it(tmp_path, name):
    path = tmp_path / "data" / "issuer.json"
    made = load_issuer(path, name)
    assert made.key_id == "issuer-1" and made.suite.name == name
    rotated = rotate_issuer(path)
    assert rotated.key_id == "issuer-2" and rotated.suite.name == name
    assert rotated.public_keys["issuer-1"] == made.public_keys["issuer-1"]
    assert load_issuer(path).public_keys == rotated.public_keys
    printed = a_proof(made)
    assert kp.decode(printed, trusted(load_issuer(path).public_keys)).k == "issuer-1"


def test_a_damaged_file_is_one_clear_error(tmp_path):
    path = old_file(tmp_path / "data" / "issuer.json")
    body = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**body, "suite": "gm", "published": {"issuer-0": "gm:AAAA"}}))
    with pytest.raises(ValueError, match="not an issuer key file"):
        load_issuer(path)


@pytest.mark.parametrize("suite", ["intl"])
def test_a_deployment_switching_to_gm_verifies_the_proofs_printed_before(
    backend: Backend, tmp_path: Path
) -> None:
    """The same database and data folder, restarted with `--crypto-suite gm`: the
    old proof still verifies, new ones are SM2 (as openssl checks them), the config
    pack sends both keys, and the yearly count spans the switch."""
    ask = {"id_number": citizen_id("traveller"), "doc_type": "hh", "use": "就业"}
    before = backend.enrol().call("POST", "/v1/proofs", ask).json()
    assert before["code"].startswith("KP1.")

    gm = Backend(backend.url, backend.data, clock=backend.clock, crypto_suite="gm")
    try:
        assert gm.http.get("/v1/proofs/verify", params={"code": before["code"]}).json()["valid"]
        terminal = gm.enrol()
        after = [terminal.call("POST", "/v1/proofs", ask).json() for _ in range(2)]
        assert all(a["issued"] and a["code"].startswith("KP1-GM.") for a in after)
        checked = gm.http.get("/v1/proofs/verify", params={"code": after[0]["code"]}).json()
        assert checked["valid"] is True
        assert after[0]["verification_code"] == kp.verification_code(after[0]["code"])
        fourth = terminal.call("POST", "/v1/proofs", ask).json()  # 1 intl + 2 gm before it
        assert (fourth["issued"], fourth["reason"]) == (False, "reason_required")

        pack = terminal.call("GET", "/v1/config").json()
        assert set(pack["issuer_keys"]) == {"issuer-1", "issuer-2"}
        _, point = crypto.load_public_key_text(pack["issuer_keys"]["issuer-2"])
        _, body, signature = after[0]["code"].split(".")
        raw_point = crypto.suite("gm").public_bytes(point)
        assert openssl_verifies(tmp_path, raw_point, b"KP1-GM." + unb64(body), unb64(signature),
                                "1234567812345678")  # fmt: skip
    finally:
        gm.http.close()
        gm.app.state.engine.dispose()


def test_the_keys_command_rotates_the_issuer_key_and_audits_it(
    backend: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.db import AuditEntry
    from backend.keys_cli import KeysCommand

    def keys(*argv: str) -> int:
        parser = argparse.ArgumentParser()
        KeysCommand().register(parser.add_subparsers())
        args = parser.parse_args(["keys", *argv])
        return int(args.handler(args))

    terminal = backend.enrol()
    ask = {"id_number": citizen_id("traveller"), "doc_type": "hh", "use": "就业"}
    before = terminal.call("POST", "/v1/proofs", ask).json()["code"]
    assert keys("rotate-issuer", "--data", str(backend.data), "--db", backend.url) == 0
    assert "issuer-2" in capsys.readouterr().out
    rotated = load_issuer(backend.data / "issuer.json")
    assert rotated.key_id == "issuer-2" and rotated.suite.name == backend.crypto_suite
    assert set(rotated.public_keys) == {"issuer-1", "issuer-2"}
    with Session(backend.app.state.engine) as db:
        (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "issuer_rotate"))
    assert entry.target == "issuer-2" and backend.crypto_suite in entry.detail
    # the running backend (any of its processes) signs with the new key from now on,
    # publishes both, and the proof printed before still verifies
    after = terminal.call("POST", "/v1/proofs", ask).json()["code"]
    assert kp.decode(after, trusted(rotated.public_keys)).k == "issuer-2"
    assert set(terminal.call("GET", "/v1/config").json()["issuer_keys"]) == {"issuer-1",
                                                                            "issuer-2"}  # fmt: skip
    for code in (before, after):
        assert backend.http.get("/v1/proofs/verify", params={"code": code}).json()["valid"]
    empty = tmp_path / "elsewhere"
    assert keys("rotate-issuer", "--data", str(empty), "--db", backend.url) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "no issuer key file here" in error
