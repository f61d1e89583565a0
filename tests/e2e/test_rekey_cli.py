"""`kiosk rekey` as a technician runs it: an intl terminal of a deployment switched to
gm moves to a gm key; an answer lost on the way is finished by running it again."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.sync.client import BackendClient, Refused
from kiosk.sync.identity import Identity
from tests.e2e.test_sync_cli import _backend, _config, kiosk, served
from wire import crypto
from wire.encoding import b64
from wire.signing import public_key_text
from wire.sync import KeyRotation, possession_message


def _refused(identity: Identity) -> int:
    client = BackendClient(identity, timeout_s=5)
    try:
        client.call("GET", "/v1/config")
    except Refused as exc:
        return exc.status
    finally:
        client.close()
    return 200


def test_an_intl_terminal_moves_to_gm_and_its_old_key_stops(tmp_path):
    config = ("--config", str(_config(tmp_path)))
    intl, gm = {"KIOSK__CRYPTO__SUITE": "intl"}, {"KIOSK__CRYPTO__SUITE": "gm"}
    with served(tmp_path, "--crypto-suite", "intl") as (url, data):
        code = _backend(tmp_path, "code", "--data", str(data)).stdout.strip()
        enrolled = kiosk(tmp_path, *config, "enroll", "--backend", url, "--code", code, env=intl)
        assert enrolled.returncode == 0, enrolled.stderr
    before = Identity.load(tmp_path / "identity.json")
    assert before.key.suite == "intl"
    port = int(before.backend_url.rsplit(":", 1)[1])
    with served(tmp_path, "--crypto-suite", "gm", port=port):  # the deployment switched
        assert kiosk(tmp_path, *config, "sync", "run", "--once", env=gm).returncode == 0
        rekeyed = kiosk(tmp_path, *config, "rekey", "--json", env=gm)
        assert rekeyed.returncode == 0, rekeyed.stderr
        assert json.loads(rekeyed.stdout) == {"terminal_id": before.terminal_id, "suite": "gm"}
        after = Identity.load(tmp_path / "identity.json")
        assert after.key.suite == "gm" and after.terminal_id == before.terminal_id
        assert (tmp_path / "identity.json").stat().st_mode & 0o777 == 0o600
        assert not (tmp_path / "identity.json.next").exists()
        assert kiosk(tmp_path, *config, "sync", "run", "--once", env=gm).returncode == 0
        assert _refused(before) == 401 and _refused(after) == 200


def test_a_rotation_whose_answer_was_lost_is_finished_by_running_it_again(tmp_path):
    config = ("--config", str(_config(tmp_path)))
    with served(tmp_path) as (url, data):
        code = _backend(tmp_path, "code", "--data", str(data)).stdout.strip()
        assert kiosk(tmp_path, *config, "enroll", "--backend", url, "--code", code).returncode == 0
        identity = Identity.load(tmp_path / "identity.json")
        suite = crypto.suite(identity.key.suite)
        # what a first `kiosk rekey` did before its answer was lost: kept the new key,
        # and the backend took it
        new = suite.generate_private_key()
        pending = tmp_path / "identity.json.next"
        pending.write_text(f"{suite.name}:{suite.private_bytes(new).hex()}")
        pending.chmod(0o600)
        text = public_key_text(new.public)
        proof = suite.sign(new, possession_message(identity.terminal_id, text))
        client = BackendClient(identity, timeout_s=5)
        client.call(
            "POST", "/v1/terminals/me/key", KeyRotation(public_key=text, possession=b64(proof))
        )
        client.close()
        assert _refused(identity) == 401  # the terminal is locked out until it finishes
        again = kiosk(tmp_path, *config, "rekey")
        assert again.returncode == 0, again.stderr
        finished = Identity.load(tmp_path / "identity.json")
        assert finished.key.public == new.public and not pending.exists()
        assert _refused(finished) == 200


def test_rekey_without_an_identity_or_a_backend_says_so_in_one_line(tmp_path):
    config = ("--config", str(_config(tmp_path)))
    alone = kiosk(tmp_path, *config, "rekey")
    assert alone.returncode == 2 and alone.stderr.count("\n") == 1
    assert "not enrolled" in alone.stderr
    with served(tmp_path) as (url, data):
        code = _backend(tmp_path, "code", "--data", str(data)).stdout.strip()
        assert kiosk(tmp_path, *config, "enroll", "--backend", url, "--code", code).returncode == 0
    gone = kiosk(tmp_path, *config, "rekey")  # the backend stopped: the new key is kept
    assert gone.returncode == 3 and gone.stderr.count("\n") == 1
    assert "run `kiosk rekey` again" in gone.stderr
    assert (tmp_path / "identity.json.next").stat().st_mode & 0o777 == 0o600
    assert Path(tmp_path / "identity.json").exists()


def test_refused_with_both_keys_the_new_one_is_kept(tmp_path):
    """A revoked terminal: the old key and the new one are both refused, and the
    backend might hold either, so the new key is not thrown away."""
    config = ("--config", str(_config(tmp_path)))
    with served(tmp_path) as (url, data):
        code = _backend(tmp_path, "code", "--data", str(data)).stdout.strip()
        assert kiosk(tmp_path, *config, "enroll", "--backend", url, "--code", code).returncode == 0
        terminal = Identity.load(tmp_path / "identity.json").terminal_id
        assert _backend(tmp_path, "revoke", terminal, "--data", str(data)).returncode == 0
        refused = kiosk(tmp_path, *config, "rekey")
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1
        assert "both the old key and the new one" in refused.stderr
        kept = tmp_path / "identity.json.next"
        assert kept.exists() and str(kept) in refused.stderr
        first = kept.read_text()
        again = kiosk(tmp_path, *config, "rekey")  # the same key is offered again
        assert again.returncode == 1 and kept.read_text() == first
