"""`kiosk sync status` as a technician runs it on a terminal with queued records."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.suite_env import SUITE
from wire import crypto

KIOSK = str(Path(sys.executable).parent / "kiosk")
# the commands run this checkout's code (a worktree's too), not the installed one's
ROOT = str(Path(__file__).resolve().parents[2])


def kiosk(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": ROOT,
        **SUITE,
        "HOME": str(tmp_path),
        "KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db"),
        "KIOSK__CACHE__KEY_FILE": str(tmp_path / "keys.json"),
        **(env or {}),
    }
    return subprocess.run(
        [KIOSK, "--lang", "en", *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_status_counts_what_is_owed(tmp_path):
    db = connect(tmp_path / "kiosk.db")
    outbox = Outbox(db, Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite))
    for n in range(3):
        outbox.add("rating", {"level": n + 1})
    outbox.failed([outbox.due()[0].idempotency_key], "backend unreachable")
    db.close()
    shown = kiosk(tmp_path, "sync", "status", "--json")
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["depth"] == 3 and status["last_error"]["error"] == "backend unreachable"
    human = kiosk(tmp_path, "sync", "status")
    assert "outbox: 3 records" in human.stdout and "backend unreachable" in human.stdout


def test_a_key_file_others_can_read_is_refused_in_one_line(tmp_path):
    Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite)
    (tmp_path / "keys.json").chmod(0o644)
    refused = kiosk(tmp_path, "sync", "status")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "readable by others" in refused.stderr


BACKEND = str(Path(sys.executable).parent / "kiosk-backend")


@contextlib.contextmanager
def served(tmp_path: Path, *flags: str, port: int = 0) -> Iterator[tuple[str, Path]]:
    """`kiosk-backend serve` on a free loopback port (or `port`, to serve again where
    terminals enrolled): (its URL, its data folder)."""
    from tests.services.process import free_port, port_open, start, stop, wait_until

    port = port or free_port()
    data = tmp_path / "backend"
    server = start([BACKEND, "serve", "--port", str(port), "--data", str(data), *flags],
                   tmp_path / "serve.log")  # fmt: skip
    try:
        wait_until(lambda: port_open(port), "kiosk-backend serve", timeout=60)
        yield f"http://127.0.0.1:{port}", data
    finally:
        stop(server)


def _backend(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BACKEND, *args], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                               "PYTHONPATH": ROOT, **SUITE})  # fmt: skip


def test_a_technician_enrols_a_terminal_and_it_syncs(tmp_path):
    """`kiosk-backend serve` and `code`, `kiosk enroll`, then `kiosk sync run --once`."""
    with served(tmp_path) as (url, data):
        code = _backend(tmp_path, "code", "--data", str(data))
        assert code.returncode == 0, code.stderr
        env_id = ("--config", str(_config(tmp_path)))
        enrolled = kiosk(tmp_path, *env_id, "enroll", "--backend", url, "--code",
                         code.stdout.strip(), "--json")  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stderr
        identity = Path(json.loads(enrolled.stdout)["identity_file"])
        assert identity.stat().st_mode & 0o777 == 0o600
        again = kiosk(tmp_path, *env_id, "enroll", "--backend", url, "--code", "X")
        assert again.returncode == 2 and "already enrolled" in again.stderr
        spent = kiosk(tmp_path, *env_id, "enroll", "--backend", url, "--force", "--code",
                      code.stdout.strip())  # fmt: skip
        assert spent.returncode == 1 and "code_unusable" in spent.stderr

        _queue_ratings(tmp_path, 5)
        ran = kiosk(tmp_path, *env_id, "sync", "run", "--once", "--json")
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout) == {"sent": 5, "duplicates": 0, "failed": 0, "held": 0,
                                          "left": 0}  # fmt: skip


def test_no_backend_no_identity_bad_address(tmp_path):
    config = ("--config", str(_config(tmp_path)))
    unenrolled = kiosk(tmp_path, *config, "sync", "run", "--once")
    assert unenrolled.returncode == 2 and "not enrolled" in unenrolled.stderr
    bad = kiosk(tmp_path, *config, "enroll", "--backend", "ftp://x", "--code", "A")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    gone = kiosk(tmp_path, *config, "enroll", "--backend", "http://127.0.0.1:9", "--code", "A")
    assert gone.returncode == 3 and "cannot be reached" in gone.stderr
    assert gone.stderr.count("\n") == 1


def test_the_backend_command_refuses_bad_arguments_in_one_line(tmp_path):
    port = _backend(tmp_path, "serve", "--port", "70000")
    assert port.returncode == 2 and port.stderr.count("\n") == 1
    tables = _backend(tmp_path, "serve", "--key-tables", "-1")
    assert (
        tables.returncode == 2
        and tables.stderr == "kiosk-backend: --key-tables -1: from 0 to 1,000,000\n"
    )
    db = _backend(tmp_path, "serve", "--db", "postgresql://x@127.0.0.1:9/none",
                  "--data", str(tmp_path))  # fmt: skip
    assert db.returncode == 1 and db.stderr.count("\n") == 1 and "cannot start" in db.stderr
    nothing = _backend(tmp_path)
    assert nothing.returncode == 2


def _queue_ratings(tmp_path: Path, count: int) -> None:
    """`count` ratings in the terminal's outbox, as the screen would have queued them."""
    db = connect(tmp_path / "kiosk.db")
    outbox = Outbox(db, Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite))
    for n in range(count):
        outbox.add("rating", {"transaction": f"T{n}", "stars": 5})
    db.close()


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text('[backend]\nidentity_file = "identity.json"\ntimeout_s = 5\n', encoding="utf-8")
    return path


def test_rotating_the_key_keeps_queued_records_readable(tmp_path):
    db = connect(tmp_path / "kiosk.db")
    outbox = Outbox(db, Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite))
    outbox.add("rating", {"transaction": "T1", "stars": 4})
    db.close()
    # the terminal's suite is the keyring's above: no switch of suite, one rotation a run
    terminal = {"KIOSK__CRYPTO__SUITE": crypto.DEFAULT}
    rotated = kiosk(tmp_path, "sync", "rotate-key", "--json", env=terminal)
    assert rotated.returncode == 0, rotated.stderr
    found = json.loads(rotated.stdout)
    assert found["current"] == "k2" and found["retired"] == [] and found["kept"] == ["k1", "k2"]
    db = connect(tmp_path / "kiosk.db")
    outbox = Outbox(db, Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite))
    assert outbox.due()[0].record == {"transaction": "T1", "stars": 4}
    outbox.acknowledged([outbox.due()[0].idempotency_key])
    db.close()
    again = json.loads(kiosk(tmp_path, "sync", "rotate-key", "--json", env=terminal).stdout)
    assert again["current"] == "k3" and again["retired"] == ["k1", "k2"]


def test_a_proof_the_backend_issued_verifies_with_the_pulled_issuer_keys(tmp_path):
    """`kiosk sync run --once` pulls the issuer keys; `kiosk proof verify` trusts them
    with no `[proof] trusted_keys` configured."""
    import segno

    from backend.registry import citizen_id
    from kiosk.sync.client import BackendClient
    from kiosk.sync.identity import Identity
    from wire.services import ProofRequest

    with served(tmp_path) as (url, data):
        code = _backend(tmp_path, "code", "--data", str(data)).stdout.strip()
        config = ("--config", str(_config(tmp_path)))
        assert kiosk(tmp_path, *config, "enroll", "--backend", url, "--code", code).returncode == 0
        qr = tmp_path / "proof.png"
        client = BackendClient(Identity.load(tmp_path / "identity.json"))
        ask = ProofRequest(id_number=citizen_id("traveller"), doc_type="cr", use="就业")
        issued = client.call("POST", "/v1/proofs", ask).json()
        client.close()
        segno.make(issued["code"], error="m").save(qr, scale=6, border=4)
        before = kiosk(tmp_path, *config, "proof", "verify", str(qr))
        assert before.returncode == 2 and before.stderr.count("\n") == 1  # no keys yet
        assert kiosk(tmp_path, *config, "sync", "run", "--once").returncode == 0
        after = kiosk(tmp_path, *config, "proof", "verify", str(qr), "--json")
        assert after.returncode == 0, after.stderr
        assert json.loads(after.stdout)["status"] == "valid"


def test_a_deployment_switched_to_gm_still_verifies_the_proofs_printed_before(tmp_path):
    """An intl backend issues a proof; restarted with `--crypto-suite gm` (its data
    kept, two API processes), it issues gm proofs with a new issuer key and still
    publishes the old one: `kiosk proof verify` checks both, offline, after one sync."""
    import segno

    from backend.registry import citizen_id
    from kiosk.sync.client import BackendClient
    from kiosk.sync.identity import Identity
    from tests.services.process import free_port
    from wire.services import ProofRequest

    config, port = ("--config", str(_config(tmp_path))), free_port()
    intl = {"KIOSK__CRYPTO__SUITE": "intl"}  # the terminal keeps its intl key after the switch
    ask = ProofRequest(id_number=citizen_id("traveller"), doc_type="rs", use="就业")

    def issue(name: str) -> Path:
        client = BackendClient(Identity.load(tmp_path / "identity.json"))
        issued = client.call("POST", "/v1/proofs", ask).json()
        client.close()
        segno.make(issued["code"], error="m").save(tmp_path / f"{name}.png", scale=6, border=4)
        return tmp_path / f"{name}.png"

    with served(tmp_path, "--crypto-suite", "intl", port=port) as (url, data):
        code = _backend(tmp_path, "code", "--data", str(data)).stdout.strip()
        assert kiosk(tmp_path, *config, "enroll", "--backend", url, "--code", code,
                     env=intl).returncode == 0  # fmt: skip
        before = issue("before")
    with served(tmp_path, "--crypto-suite", "gm", "--workers", "2", port=port):
        after = issue("after")
        assert kiosk(tmp_path, *config, "sync", "run", "--once", env=intl).returncode == 0
    for qr, key_id in ((before, "issuer-1"), (after, "issuer-2")):  # the backend is gone now
        shown = kiosk(tmp_path, *config, "proof", "verify", str(qr), "--json", env=intl)
        assert shown.returncode == 0, shown.stderr
        found = json.loads(shown.stdout)
        assert (found["status"], found["fields"]["key_id"]) == ("valid", key_id), found


def test_an_intl_deployment_enrols_intl_terminals_only(tmp_path):
    """`serve --crypto-suite intl` (carried to every API process): a terminal left at
    the default gm is refused in one line naming the deployment's suite; set to intl,
    it enrols and syncs."""
    with served(tmp_path, "--crypto-suite", "intl", "--workers", "2") as (url, data):
        code = _backend(tmp_path, "code", "--data", str(data)).stdout.strip()
        env_id = ("--config", str(_config(tmp_path)))
        gm = {"KIOSK__CRYPTO__SUITE": "gm"}  # the default, in either run
        refused = kiosk(tmp_path, *env_id, "enroll", "--backend", url, "--code", code, env=gm)
        assert refused.returncode == 1 and "wrong_suite" in refused.stderr
        assert "enrols keys of the intl suite" in refused.stderr
        intl = {"KIOSK__CRYPTO__SUITE": "intl"}  # the same code: it was not spent
        enrolled = kiosk(tmp_path, *env_id, "enroll", "--backend", url, "--code", code,
                         "--json", env=intl)  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stderr
        identity = json.loads(Path(json.loads(enrolled.stdout)["identity_file"]).read_text())
        assert identity["suite"] == "intl"
        _queue_ratings(tmp_path, 3)
        ran = kiosk(tmp_path, *env_id, "sync", "run", "--once", "--json")
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout)["sent"] == 3
