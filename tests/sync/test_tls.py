"""The link over TLS, for real: `kiosk-backend serve --tls-cert --tls-key` (a
subprocess, uvicorn) on loopback with a certificate from a test CA, and the terminal
pinned to the CA given at enrolment, trusting nothing else; plain http refused
except to loopback."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from pydantic import ValidationError

from kiosk.config import BackendSection
from kiosk.sync.client import BackendClient, Unavailable, Untrusted, post_unsigned
from kiosk.sync.identity import (
    Identity,
    IdentityError,
    InsecureBackend,
    ca_path,
    pin_ca,
    read_ca,
)
from kiosk.sync.link import Link
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.services.process import free_port, port_open, start, stop, tail, wait_until
from tests.suite_env import SUITE
from tests.sync.certs import Authority
from wire import crypto
from wire.signing import public_key_text
from wire.sync import EnrolmentReply, EnrolmentRequest

BIN = Path(sys.executable).parent
KIOSK, BACKEND = str(BIN / "kiosk"), str(BIN / "kiosk-backend")
OFF_LOOPBACK = "http://192.0.2.10:8470"  # TEST-NET-1: never anyone's backend


@dataclass
class Pki:
    folder: Path
    ca_a: Path  # the police CA that issued the backend's certificate
    ca_b: Path  # another CA, with no say over this backend
    a: Authority


@dataclass
class Served:
    url: str
    data: Path
    log: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    a, b = Authority.make("Police CA A (test)"), Authority.make("Other CA B (test)")
    return Pki(folder, a.write(folder / "ca_a.pem"), b.write(folder / "ca_b.pem"), a)


@contextlib.contextmanager
def serving(folder: Path, cert: Path, key: Path) -> Iterator[Served]:
    """`kiosk-backend serve` with TLS on a free loopback port."""
    port = free_port()
    data, log = folder / "backend", folder / "serve.log"
    server = start([BACKEND, "serve", "--port", str(port), "--data", str(data),
                    "--tls-cert", str(cert), "--tls-key", str(key)], log)  # fmt: skip
    try:
        wait_until(lambda: port_open(port) or server.poll() is not None, "serve", timeout=60)
        assert server.poll() is None, tail(log)
        yield Served(f"https://127.0.0.1:{port}", data, log)
    finally:
        stop(server)


@pytest.fixture(scope="module")
def backend(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The backend with a certificate from CA A for its loopback name and address."""
    folder = tmp_path_factory.mktemp("tls-backend")
    with serving(folder, *pki.a.issue(folder, ["localhost", "127.0.0.1"])) as served:
        yield served


@pytest.fixture(scope="module")
def elsewhere(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A backend whose certificate, from the right CA, names another host."""
    folder = tmp_path_factory.mktemp("tls-elsewhere")
    with serving(folder, *pki.a.issue(folder, ["backend.other.example"])) as served:
        yield served


def code(served: Served) -> str:
    made = subprocess.run([BACKEND, "code", "--data", str(served.data)], capture_output=True,
                          text=True, timeout=60, check=True)  # fmt: skip
    return made.stdout.strip()


def kiosk(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[backend]\nidentity_file = "{tmp_path / "identity.json"}"\n'
                      "timeout_s = 5\n", encoding="utf-8")  # fmt: skip
    environment = {
        "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **SUITE,  # this checkout
        "KIOSK__CACHE__DATABASE": str(tmp_path / "kiosk.db"),
        "KIOSK__CACHE__KEY_FILE": str(tmp_path / "keys.json"), **env,
    }  # fmt: skip
    return subprocess.run([KIOSK, "--lang", "en", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=60, env=environment)  # fmt: skip


def new_key() -> crypto.PrivateKey:
    """A terminal's key pair in the default suite, the served backend's."""
    return crypto.suite(crypto.DEFAULT).generate_private_key()


def outbox(tmp_path: Path) -> Outbox:
    keyring = Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite)
    return Outbox(connect(tmp_path / "kiosk.db"), keyring)


def enrol(served: Served, identity_file: Path, ca: Path) -> Identity:
    """Enrolment as `kiosk enroll` makes it, through the library."""
    key = new_key()
    ask = EnrolmentRequest(code=code(served), public_key=public_key_text(key.public),
                           software_version="test")  # fmt: skip
    reply = EnrolmentReply.model_validate(post_unsigned(served.url + "/v1/enrol", ask, 10, ca))
    identity = Identity(reply.terminal_id, served.url, key, pin_ca(identity_file, read_ca(ca)))
    identity.save(identity_file)
    return identity


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


# -- the backend ----------------------------------------------------------------------


def test_serve_speaks_https_and_says_so(backend: Served, pki: Pki) -> None:
    answer = requests.get(backend.url + "/openapi.json", verify=str(pki.ca_a), timeout=10)
    assert answer.status_code == 200
    assert f"fleet console: {backend.url}/console" in backend.log.read_text()
    with pytest.raises(requests.exceptions.ConnectionError):  # no plain http beside it
        requests.get(backend.url.replace("https:", "http:") + "/openapi.json", timeout=10)


def test_serve_refuses_bad_tls_arguments_in_one_line(tmp_path: Path, pki: Pki) -> None:
    cert, key = pki.a.issue(tmp_path, ["localhost"])
    other_cert, _ = pki.a.issue(tmp_path, ["localhost"], stem="other")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    cases = {
        "give both or neither": ["--tls-cert", str(cert)],
        "No such file": ["--tls-cert", str(tmp_path / "missing.crt"), "--tls-key", str(key)],
        "not a certificate in PEM": ["--tls-cert", str(garbage), "--tls-key", str(key)],
        "not an unencrypted private key": ["--tls-cert", str(cert), "--tls-key", str(cert)],
        "not the key of the certificate": ["--tls-cert", str(other_cert), "--tls-key", str(key)],
    }
    for reason, flags in cases.items():
        done = subprocess.run([BACKEND, "serve", "--data", str(tmp_path / "data"), *flags],
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 2, (reason, done.stderr)
        assert reason in one_line(done)


# -- pinning --------------------------------------------------------------------------


def test_a_terminal_pinned_to_the_backends_ca_enrols_and_syncs(
    tmp_path: Path, backend: Served, pki: Pki
) -> None:
    enrolled = kiosk(tmp_path, "enroll", "--backend", backend.url, "--code", code(backend),
                     "--ca", str(pki.ca_a), "--json")  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    found = json.loads(enrolled.stdout)
    identity, pinned = Path(found["identity_file"]), Path(found["ca_file"])
    assert identity.stat().st_mode & 0o777 == 0o600
    assert pinned == ca_path(identity) and pinned.read_bytes() == pki.ca_a.read_bytes()
    assert Identity.load(identity).ca_file == pinned

    box = outbox(tmp_path)
    for n in range(3):
        box.add("rating", {"transaction": f"T{n}", "stars": 5})
    box.db.close()
    ran = kiosk(tmp_path, "sync", "run", "--once", "--json")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["sent"] == 3


def test_pinned_to_another_ca_the_backend_is_refused(
    tmp_path: Path, backend: Served, pki: Pki
) -> None:
    refused = kiosk(tmp_path, "enroll", "--backend", backend.url, "--code", code(backend),
                    "--ca", str(pki.ca_b))  # fmt: skip
    assert refused.returncode == 1
    line = one_line(refused)
    assert "was refused" in line and "not trusted" in line and backend.url in line
    assert not (tmp_path / "identity.json").exists()


def test_an_untrusted_backend_leaves_the_outbox_as_it_was(
    tmp_path: Path, backend: Served, pki: Pki
) -> None:
    """The backend's certificate stops verifying (the pin is now CA B's): nothing is
    sent, the records stay queued, and they go once the right CA is pinned again."""
    identity_file = tmp_path / "identity.json"
    enrol(backend, identity_file, pki.ca_a)
    box = outbox(tmp_path)
    for n in range(3):
        box.add("application", {"service": "id_renewal", "n": n})
    pin_ca(identity_file, pki.ca_b.read_bytes())

    client = BackendClient(Identity.load(identity_file), timeout_s=5)
    done = Link(client, box).relay.drain()
    client.close()
    assert (done.sent, done.failed) == (0, 3)
    status = box.status()
    assert status["depth"] == 3 and "not trusted" in status["last_error"]["error"]
    ran = kiosk(tmp_path, "sync", "run", "--once")
    assert ran.returncode == 3 and "not trusted" in one_line(ran)
    assert box.status()["depth"] == 3

    pin_ca(identity_file, pki.ca_a.read_bytes())
    client = BackendClient(Identity.load(identity_file), timeout_s=5)
    later = Outbox(box.db, box.keyring, clock=lambda: time.time() + 3600)
    assert Link(client, later).relay.drain().sent == 3  # an hour on: past the backoff
    client.close()
    box.db.close()


def test_a_certificate_for_another_host_name_is_refused(
    tmp_path: Path, elsewhere: Served, pki: Pki
) -> None:
    refused = kiosk(tmp_path, "enroll", "--backend", elsewhere.url, "--code", code(elsewhere),
                    "--ca", str(pki.ca_a))  # fmt: skip
    assert refused.returncode == 1
    assert "IP address mismatch, certificate is not valid for '127.0.0.1'" in one_line(refused)
    ask = EnrolmentRequest(code="X", public_key=public_key_text(new_key().public),
                           software_version="test")  # fmt: skip
    with pytest.raises(Untrusted, match="Hostname mismatch"):
        post_unsigned(elsewhere.url.replace("127.0.0.1", "localhost") + "/v1/enrol", ask, 10,
                      pki.ca_a)  # fmt: skip


def test_neither_the_system_roots_nor_the_environment_widen_the_pin(
    tmp_path: Path, backend: Served, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the system's trust store or REQUESTS_CA_BUNDLE consulted, CA A (put
    there) would vouch for the backend; pinned to CA B, the terminal still refuses."""
    identity = enrol(backend, tmp_path / "identity.json", pki.ca_a)
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, str(pki.ca_a))
    pinned_to_b = Identity(identity.terminal_id, backend.url, identity.key, pki.ca_b)
    client = BackendClient(pinned_to_b, timeout_s=5)
    with pytest.raises(Untrusted, match="unable to get local issuer certificate"):
        client.call("GET", "/v1/config")
    client.close()
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, str(pki.ca_b))  # and CA B there does not undo the pin to A
    client = BackendClient(identity, timeout_s=5)
    assert client.call("GET", "/v1/config").status_code == 200
    client.close()


# -- what the terminal refuses before any request --------------------------------------


def test_https_without_a_ca_and_bad_ca_files_are_refused_at_enrolment(
    tmp_path: Path, pki: Pki
) -> None:
    url = "https://backend.police.example:8470"
    missing = kiosk(tmp_path, "enroll", "--backend", url, "--code", "A")
    assert missing.returncode == 2 and "--ca FILE" in one_line(missing)
    leaf, _ = pki.a.issue(tmp_path, ["backend.police.example"])
    for ca, reason in ((leaf, "not a CA certificate"), (tmp_path / "nope.pem", "No such file"),
                       (tmp_path / "kiosk.toml", "not a certificate in PEM")):  # fmt: skip
        bad = kiosk(tmp_path, "enroll", "--backend", url, "--code", "A", "--ca", str(ca))
        assert bad.returncode == 2 and reason in one_line(bad), bad.stderr
    expired = Authority.make("Expired CA", not_after=dt.datetime.now(dt.UTC) - dt.timedelta(1))
    with pytest.raises(IdentityError, match="expired on"):
        read_ca(expired.write(tmp_path / "old.pem"))
    plain = kiosk(tmp_path, "enroll", "--backend", "http://127.0.0.1:9", "--code", "A",
                  "--ca", str(pki.ca_a))  # fmt: skip
    assert plain.returncode == 2 and "--ca is for an https://" in one_line(plain)


def test_plain_http_is_refused_off_loopback(tmp_path: Path) -> None:
    refused = kiosk(tmp_path, "enroll", "--backend", OFF_LOOPBACK, "--code", "A")
    assert refused.returncode == 2
    line = one_line(refused)
    assert OFF_LOOPBACK in line and "plain http://" in line
    key = new_key()
    with pytest.raises(InsecureBackend, match=re.escape(OFF_LOOPBACK)):
        Identity("t-1", OFF_LOOPBACK, key)
    with pytest.raises(InsecureBackend, match="no pinned CA"):
        Identity("t-1", "https://backend.police.example", key)
    ask = EnrolmentRequest(code="X", public_key=public_key_text(key.public),
                           software_version="test")  # fmt: skip
    with pytest.raises(InsecureBackend):  # before any packet leaves
        post_unsigned(OFF_LOOPBACK + "/v1/enrol", ask, 10)
    with pytest.raises(ValidationError, match="loopback"):  # in the configuration too
        BackendSection(url=OFF_LOOPBACK)

    # an identity file written before this rule (or by hand) is refused when loaded
    path = tmp_path / "identity.json"
    Identity("t-1", "http://127.0.0.1:8470", key).save(path)
    body = json.loads(path.read_text())
    path.write_text(json.dumps({**body, "backend_url": OFF_LOOPBACK}))
    with pytest.raises(InsecureBackend, match=re.escape(f"{path}: {OFF_LOOPBACK}")):
        Identity.load(path)
    ran = kiosk(tmp_path, "sync", "run", "--once")
    assert ran.returncode == 2 and OFF_LOOPBACK in one_line(ran)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8470", "http://127.9.9.9", "http://[::1]:8470", "http://localhost:8470",
    "http://LOCALHOST", "https://backend.police.example",
])  # fmt: skip
def test_loopback_http_and_pinned_https_are_allowed(url: str, pki: Pki) -> None:
    ca = pki.ca_a if url.startswith("https") else None
    client = BackendClient(Identity("t-1", url, new_key(), ca))
    assert client.verify == (str(ca) if ca else True)
    client.close()


def test_a_pinned_ca_file_gone_since_loading_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    gone = Identity("t-1", "https://127.0.0.1:9", new_key(), tmp_path / "x")
    client = BackendClient(gone, timeout_s=1)
    with pytest.raises(Unavailable, match="invalid path"):
        client.call("GET", "/v1/config")
    client.close()
