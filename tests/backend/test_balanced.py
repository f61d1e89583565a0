"""Past one machine: two `kiosk-backend serve` processes on one PostgreSQL, a real
HAProxy in front of them (round robin, `option forwardfor`, the processes started
with `--trusted-proxy 127.0.0.1`). What must hold across processes, through the
proxy and by going to each process directly: an enrolment code is spent once, a
terminal enrolled at one is known to the other, a record key is stored once, a
nonce is used once, a console session is good at both, and the rate limits count
together and count the real client, whatever X-Forwarded-For it sends.

Clients on loopback take addresses of their own (127.0.0.N: Linux answers the whole
127/8), so the proxy forwards a client address that is not its own. HAProxy says
which process answered (`X-Served-By`, a header it adds) and counts each one's
sessions on its stats socket."""

from __future__ import annotations

import csv
import functools
import http.client
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.services import postgres
from tests.services.postgres import PostgresCluster
from tests.services.process import (
    ServiceError,
    free_port,
    port_open,
    start,
    stop,
    tail,
    wait_until,
)
from tests.sync.certs import Authority
from wire import crypto, signing
from wire.sync import Heartbeat

BACKEND = str(Path(sys.executable).parent / "kiosk-backend")
EXAMPLE = (Path(__file__).resolve().parents[2] / "packaging/deb/kiosk-backend/usr/share/doc/"
           "kiosk-backend/haproxy.cfg.example")  # fmt: skip
SUITE = crypto.DEFAULT
PROXY_HOST = "127.0.0.1"  # HAProxy's address, the one the API processes trust
SERVERS = ("a", "b")  # the API processes, as HAProxy names them
PASSWORD = "a password for the balanced tests"


def _haproxy() -> str:
    found = shutil.which("haproxy", path=os.environ.get("PATH", "") + os.pathsep + "/usr/sbin")
    if found is None:
        pytest.fail("haproxy is not installed (make test installs packaging/apt-packages.txt)")
    return found


# -- plain HTTP from a chosen loopback address ------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        """A Problem's code."""
        try:
            found = self.json()
        except ValueError:
            return None
        return found.get("code") if isinstance(found, dict) else None

    @property
    def served_by(self) -> str | None:
        return self.headers.get("x-served-by")


def send(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    client: str = "127.0.0.1",
) -> Answer:
    """One request on a connection of its own, from `client` (a loopback address)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                            source_address=(client, 0))  # fmt: skip
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read())  # fmt: skip
    finally:
        connection.close()


def at_once(*calls: Callable[[], Answer]) -> list[Answer]:
    """The calls in threads of their own, let go together."""
    ready = threading.Barrier(len(calls))
    answers: list[Answer | None] = [None] * len(calls)

    def run(i: int) -> None:
        ready.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(a is not None for a in answers), "a request did not finish"
    return [a for a in answers if a is not None]


# -- the services -----------------------------------------------------------------------


def _new_database(cluster: PostgresCluster) -> str:
    name = "balanced_" + uuid.uuid4().hex[:10]
    with psycopg.connect(cluster.url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return cluster.url.rsplit("/", 1)[0] + "/" + name


def _serve(db: str, data: Path, port: int, log: Path, *flags: str) -> subprocess.Popen[bytes]:
    return start([BACKEND, "serve", "--port", str(port), "--db", db, "--data", str(data),
                  "--crypto-suite", SUITE, *flags], log)  # fmt: skip


def _wait_serving(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    def up() -> bool:
        if process.poll() is not None:
            raise ServiceError(f"kiosk-backend serve exited ({process.returncode}):\n{tail(log)}")
        return port_open(port)

    wait_until(up, f"kiosk-backend serve on port {port}", timeout=60)


def _cli(db: str, data: Path, *args: str, stdin: str = "") -> str:
    done = subprocess.run([BACKEND, *args, "--db", db, "--data", str(data)], input=stdin,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    """A folder the postgres user can reach."""
    path = Path(tempfile.mkdtemp(prefix="kiosk-test-balanced-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(work: Path) -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster: missing, the test fails (it is the point)."""
    reason = postgres.missing()
    if reason:
        pytest.fail(f"PostgreSQL: {reason}")
    (work / "pg").mkdir()
    found = PostgresCluster(work / "pg")
    try:
        found.start()
        yield found
    finally:
        found.stop()


@dataclass
class Fleet:
    db: str
    data: Path
    api: dict[str, int]  # HAProxy's name of each API process -> its port
    proxy: int  # HAProxy's port
    stats_socket: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def via_proxy(self, method: str, path: str, **kwargs: Any) -> Answer:
        return send(self.proxy, method, path, **kwargs)

    def direct(self, server: str, method: str, path: str, **kwargs: Any) -> Answer:
        return send(self.api[server], method, path, **kwargs)

    def code(self) -> str:
        """A one-time enrolment code, as a technician makes it."""
        return _cli(self.db, self.data, "code").strip()

    def stats(self) -> dict[str, dict[str, str]]:
        """HAProxy's stats of the API processes, by server name."""
        with socket.socket(socket.AF_UNIX) as stats:
            stats.connect(str(self.stats_socket))
            stats.sendall(b"show stat\n")
            raw = b""
            while chunk := stats.recv(65536):
                raw += chunk
        lines = raw.decode().strip().splitlines()
        rows = csv.DictReader([lines[0].lstrip("# "), *lines[1:]])
        return {row["svname"]: row for row in rows if row["pxname"] == "api"}

    def query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db) as connection:
            return list(connection.execute(sql, args).fetchall())


HAPROXY_CFG = """\
global
    maxconn 256
    stats socket {stats} mode 600 level user

defaults
    mode http
    option forwardfor
    option redispatch
    retries 2
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s

frontend terminals
    bind {host}:{port}
    default_backend api

backend api
    balance roundrobin
    option httpchk GET /console
    http-check expect status 200
    http-response set-header X-Served-By %s
{servers}
"""


@pytest.fixture(scope="module")
def fleet(work: Path, cluster: PostgresCluster) -> Iterator[Fleet]:
    haproxy = _haproxy()
    db, data = _new_database(cluster), work / "data"
    found = Fleet(db, data, {name: free_port() for name in SERVERS}, free_port(),
                  work / "haproxy.sock")  # fmt: skip
    try:
        for name, port in found.api.items():  # together, on a new database
            found.started.append(_serve(db, data, port, work / f"serve-{name}.log",
                                        "--trusted-proxy", PROXY_HOST))  # fmt: skip
        for process, (name, port) in zip(found.started, found.api.items(), strict=True):
            _wait_serving(process, port, work / f"serve-{name}.log")
        servers = "\n".join(f"    server {name} 127.0.0.1:{port} check inter 500ms"
                            for name, port in found.api.items())  # fmt: skip
        config = work / "haproxy.cfg"
        config.write_text(HAPROXY_CFG.format(stats=found.stats_socket, host=PROXY_HOST,
                                             port=found.proxy, servers=servers))  # fmt: skip
        log = work / "haproxy.log"
        proxy = start([haproxy, "-f", str(config), "-db"], log)
        found.started.append(proxy)

        def both_up() -> bool:
            if proxy.poll() is not None:
                raise ServiceError(f"haproxy exited ({proxy.returncode}):\n{tail(log)}")
            if not found.stats_socket.exists():
                return False
            return all(found.stats()[name]["status"] == "UP" for name in SERVERS)

        wait_until(both_up, "haproxy with both API processes up", timeout=30)
        yield found
    finally:
        for process in reversed(found.started):
            stop(process)


# -- a terminal, as tests/backend/harness.py signs ------------------------------------


@dataclass
class Terminal:
    id: str
    key: crypto.PrivateKey

    def signed(self, method: str, path: str, body: Any = None) -> tuple[bytes, dict[str, str]]:
        """A request signed now: its body and headers, to send as often as a test likes."""
        raw = json.dumps(body).encode() if body is not None else b""
        headers = signing.sign(self.key, self.id, method, path, raw, time.time())
        if body is not None:
            headers["Content-Type"] = "application/json"
        return raw, headers


def _new_key() -> crypto.PrivateKey:
    return crypto.suite(SUITE).generate_private_key()


def _enrolment(code: str, key: crypto.PrivateKey) -> tuple[bytes, dict[str, str]]:
    body = {"code": code, "public_key": signing.public_key_text(key.public), "name": "booth",
            "software_version": "test"}  # fmt: skip
    return json.dumps(body).encode(), {"Content-Type": "application/json"}


def _enrol(fleet: Fleet, client: str) -> Terminal:
    key = _new_key()
    raw, headers = _enrolment(fleet.code(), key)
    answer = fleet.via_proxy("POST", "/v1/enrol", body=raw, headers=headers, client=client)
    assert answer.status == 201, answer.body
    return Terminal(answer.json()["terminal_id"], key)


def _beat() -> dict[str, Any]:
    return {"terminal_time": time.time(), "software_version": "test", "outbox": {"depth": 0}}


def _batch(key: str, stars: int = 5) -> dict[str, Any]:
    """A batch of one rating: sent again, the same record (under a new signature)."""
    body = {"transaction": key, "stars": stars, "service": "photo"}
    return {"records": [{"key": key, "kind": "rating", "session": "s1",
                         "created_at": 1_795_000_000.0, "body": body}]}  # fmt: skip


def _other(server: str | None) -> str:
    assert server in SERVERS, f"no X-Served-By from HAProxy: {server!r}"
    return next(name for name in SERVERS if name != server)


# -- the tests --------------------------------------------------------------------------


def test_both_processes_serve_through_haproxy(fleet: Fleet) -> None:
    before = {name: int(row["stot"]) for name, row in fleet.stats().items() if name in SERVERS}
    served = [fleet.via_proxy("GET", "/console").served_by for _ in range(8)]
    assert set(served) == set(SERVERS)
    assert all(one != two for one, two in itertools.pairwise(served))  # round robin
    after = fleet.stats()
    for name in SERVERS:
        assert after[name]["status"] == "UP"
        assert int(after[name]["stot"]) - before[name] == 4, name


def test_an_enrolment_code_is_spent_once_across_processes(fleet: Fleet) -> None:
    client = "127.0.0.11"
    code = fleet.code()
    key = _new_key()
    raw, headers = _enrolment(code, key)
    first = fleet.via_proxy("POST", "/v1/enrol", body=raw, headers=headers, client=client)
    assert first.status == 201, first.body
    terminal = Terminal(first.json()["terminal_id"], key)
    other = _other(first.served_by)
    raw, headers = _enrolment(code, _new_key())  # the same code, another key
    again = fleet.direct(other, "POST", "/v1/enrol", body=raw, headers=headers, client=client)
    assert (again.status, again.code) == (410, "code_unusable")
    tries = [fleet.via_proxy("POST", "/v1/enrol", body=raw, headers=headers, client=client)
             for _ in range(2)]  # fmt: skip
    assert [(t.status, t.code) for t in tries] == [(410, "code_unusable")] * 2
    assert {t.served_by for t in tries} == set(SERVERS)
    # the terminal enrolled at one process is known to both
    for server in SERVERS:
        raw, headers = terminal.signed("POST", "/v1/heartbeat", _beat())
        beat = fleet.direct(server, "POST", "/v1/heartbeat", body=raw, headers=headers)
        assert beat.status == 200, (server, beat.body)
    # a new code tried at both processes at the same moment: one enrolment
    code = fleet.code()
    racing = {server: _enrolment(code, _new_key()) for server in SERVERS}
    raced = at_once(*[
        functools.partial(fleet.direct, server, "POST", "/v1/enrol", body=raw, headers=headers,
                          client=client)
        for server, (raw, headers) in racing.items()
    ])  # fmt: skip
    assert sorted(a.status for a in raced) == [201, 410], [a.body for a in raced]
    assert fleet.query("SELECT count(*) FROM enrolment_codes WHERE code = %s AND "
                       "terminal_id IS NOT NULL", code) == [(1,)]  # fmt: skip


def test_a_record_key_is_stored_once_across_processes(fleet: Fleet) -> None:
    terminal = _enrol(fleet, "127.0.0.12")
    key = "balanced-" + uuid.uuid4().hex[:16]
    receipts = []
    for server in ("a", "b", "a"):
        raw, headers = terminal.signed("POST", "/v1/records", _batch(key))
        answer = fleet.direct(server, "POST", "/v1/records", body=raw, headers=headers)
        assert answer.status == 200, (server, answer.body)
        receipts.append(answer.json()["receipts"][0])
    for _ in SERVERS:
        raw, headers = terminal.signed("POST", "/v1/records", _batch(key))
        answer = fleet.via_proxy("POST", "/v1/records", body=raw, headers=headers)
        assert answer.status == 200, answer.body
        receipts.append(answer.json()["receipts"][0])
    assert [r["duplicate"] for r in receipts] == [False, True, True, True, True]
    assert len({(r["seq"], r["received_at"]) for r in receipts}) == 1  # the first receipt
    assert fleet.query("SELECT count(*) FROM records WHERE key = %s", key) == [(1,)]
    # the key with another body, at the process that did not store it: refused
    raw, headers = terminal.signed("POST", "/v1/records", _batch(key, stars=1))
    reused = fleet.direct("b", "POST", "/v1/records", body=raw, headers=headers)
    assert (reused.status, reused.code) == (409, "key_reused")
    # a new key sent to both at the same moment: stored once, one first receipt
    key = "balanced-" + uuid.uuid4().hex[:16]
    signed = [terminal.signed("POST", "/v1/records", _batch(key)) for _ in SERVERS]
    raced = at_once(*[
        functools.partial(fleet.direct, server, "POST", "/v1/records", body=raw, headers=headers)
        for server, (raw, headers) in zip(SERVERS, signed, strict=True)
    ])  # fmt: skip
    assert [a.status for a in raced] == [200, 200], [a.body for a in raced]
    firsts = sorted(a.json()["receipts"][0]["duplicate"] for a in raced)
    assert firsts == [False, True]
    assert fleet.query("SELECT count(*) FROM records WHERE key = %s", key) == [(1,)]


def test_a_signed_request_replayed_to_the_other_process_is_refused(fleet: Fleet) -> None:
    terminal = _enrol(fleet, "127.0.0.13")
    for first, then in (("a", "b"), ("b", "a")):
        raw, headers = terminal.signed("POST", "/v1/heartbeat", _beat())
        assert fleet.direct(first, "POST", "/v1/heartbeat", body=raw, headers=headers).status == 200
        replayed = fleet.direct(then, "POST", "/v1/heartbeat", body=raw, headers=headers)
        assert (replayed.status, replayed.code) == (401, "replayed"), then
    # through the proxy: the copy goes to the other process, and is refused there
    raw, headers = terminal.signed("POST", "/v1/heartbeat", _beat())
    once = fleet.via_proxy("POST", "/v1/heartbeat", body=raw, headers=headers)
    twice = fleet.via_proxy("POST", "/v1/heartbeat", body=raw, headers=headers)
    assert once.status == 200 and (twice.status, twice.code) == (401, "replayed")
    assert twice.served_by == _other(once.served_by)
    # sent to both at the same moment: one answered, the other refused
    raw, headers = terminal.signed("POST", "/v1/heartbeat", _beat())
    raced = at_once(*[
        functools.partial(fleet.direct, server, "POST", "/v1/heartbeat", body=raw,
                          headers=headers)
        for server in SERVERS
    ])  # fmt: skip
    assert sorted((a.status, a.code) for a in raced) == [(200, None), (401, "replayed")]


def test_the_enrolment_lockout_counts_the_real_client_at_every_process(fleet: Fleet) -> None:
    """10 failed codes from one address lock it out (backend/limits.py): counted in
    the database, so 5 at each process are 10; counted for the client HAProxy names,
    not for HAProxy, nor for an address the client writes into X-Forwarded-For."""
    guesser, neighbour = "127.0.0.21", "127.0.0.22"
    raw, headers = _enrolment("AAAA-BBBB-CCCC-DDDD", _new_key())
    failed = [fleet.via_proxy("POST", "/v1/enrol", body=raw, headers=headers, client=guesser)
              for _ in range(10)]  # fmt: skip
    assert [a.status for a in failed] == [410] * 10
    assert sorted(a.served_by or "" for a in failed) == ["a"] * 5 + ["b"] * 5
    raw, headers = _enrolment(fleet.code(), _new_key())  # even a good code, for now
    locked = [fleet.via_proxy("POST", "/v1/enrol", body=raw, headers=headers, client=guesser)
              for _ in SERVERS]  # fmt: skip
    locked += [fleet.direct(s, "POST", "/v1/enrol", body=raw, headers=headers, client=guesser)
               for s in SERVERS]  # fmt: skip
    for forged in ("198.51.100.7", "198.51.100.8, 203.0.113.9", "not-an-address"):
        claimed = {**headers, "X-Forwarded-For": forged}
        locked += [fleet.via_proxy("POST", "/v1/enrol", body=raw, headers=claimed,
                                   client=guesser) for _ in SERVERS]  # fmt: skip
    locked += [fleet.direct(s, "POST", "/v1/enrol", body=raw, client=guesser,
                            headers={**headers, "X-Forwarded-For": "198.51.100.7"})
               for s in SERVERS]  # fmt: skip
    assert [(a.status, a.code) for a in locked] == [(429, "too_many")] * len(locked)
    assert all(1 <= int(a.headers["retry-after"]) <= 600 for a in locked)
    assert {a.served_by for a in locked if a.served_by} == set(SERVERS)
    # another client behind the same proxy is not locked out: the good code enrols it
    elsewhere = fleet.via_proxy("POST", "/v1/enrol", body=raw, headers=headers, client=neighbour)
    assert elsewhere.status == 201, elsewhere.body
    buckets = dict(fleet.query("SELECT bucket, count FROM rate_buckets WHERE bucket LIKE "
                               "'enrol%%'"))  # fmt: skip
    assert buckets[f"enrol-fail:{guesser}"] == 10
    assert not [b for b in buckets if "198.51.100" in b or "203.0.113" in b or "not-an" in b]
    assert f"enrol:{PROXY_HOST}" not in buckets and f"enrol-fail:{PROXY_HOST}" not in buckets


def test_a_console_session_is_good_at_every_process(fleet: Fleet) -> None:
    _cli(fleet.db, fleet.data, "user", "add", "duty", "--role", "operator",
         stdin=PASSWORD + "\n")  # fmt: skip
    client = "127.0.0.14"
    body = json.dumps({"name": "duty", "password": PASSWORD}).encode()
    signed_in = fleet.direct("a", "POST", "/console/api/session", body=body, client=client,
                             headers={"Content-Type": "application/json"})  # fmt: skip
    assert signed_in.status == 200, signed_in.body
    cookie = signed_in.headers["set-cookie"].split(";", 1)[0]
    session = {"Cookie": cookie, "X-CSRF-Token": signed_in.json()["csrf"]}
    made = fleet.direct("b", "POST", "/v1/admin/enrolment-codes", headers=session, client=client)
    assert made.status == 201, made.body
    key = _new_key()
    raw, headers = _enrolment(made.json()["code"], key)
    enrolled = fleet.direct("a", "POST", "/v1/enrol", body=raw, headers=headers, client=client)
    assert enrolled.status == 201, enrolled.body
    out = fleet.direct("b", "DELETE", "/console/api/session", headers=session, client=client)
    assert out.status == 204, out.body
    for server in SERVERS:
        gone = fleet.direct(server, "GET", "/console/api/session", headers=session, client=client)
        assert (gone.status, gone.code) == (403, "not_signed_in"), server


def test_api_processes_started_together_on_a_new_database_all_come_up(
    work: Path, cluster: PostgresCluster
) -> None:
    """Each migrates and seeds at start: one after the other (backend/app.py)."""
    db, data = _new_database(cluster), work / "data-together"
    ports = [free_port() for _ in range(4)]
    logs = [work / f"together-{i}.log" for i in range(len(ports))]
    started = []
    try:
        for port, log in zip(ports, logs, strict=True):
            started.append(_serve(db, data, port, log))
        for process, port, log in zip(started, ports, logs, strict=True):
            _wait_serving(process, port, log)
        for port in ports:
            assert send(port, "GET", "/console").status == 200
    finally:
        for process in started:
            stop(process)
    with psycopg.connect(db) as connection:
        seeded = connection.execute("SELECT count(*) FROM citizens").fetchone()
    from backend.registry import CITIZENS

    assert seeded == (len(CITIZENS) + 1,)  # and the sample card


def test_without_a_trusted_proxy_no_forwarded_address_is_believed(
    work: Path, cluster: PostgresCluster
) -> None:
    """A backend behind no proxy it was told of counts the peer, even on loopback,
    where a TCP-level TLS proxy would pass on whatever X-Forwarded-For a client wrote."""
    db, data = _new_database(cluster), work / "data-no-proxy"
    port, log = free_port(), work / "no-proxy.log"
    process = _serve(db, data, port, log)
    try:
        _wait_serving(process, port, log)
        raw, headers = _enrolment("AAAA-BBBB-CCCC-DDDD", _new_key())
        answers = [send(port, "POST", "/v1/enrol", body=raw, client=PROXY_HOST,
                        headers={**headers, "X-Forwarded-For": f"198.51.100.{n}"})
                   for n in range(11)]  # fmt: skip
    finally:
        stop(process)
    assert [a.status for a in answers] == [410] * 10 + [429]


def _shipped_example(pem: Path, port: int, servers: list[int], stats: Path) -> str:
    """The shipped haproxy.cfg.example as this test can run it: in the foreground, as
    root, no syslog, on its own ports and certificate, with a stats socket and a
    header naming the process that answered."""
    text = EXAMPLE.read_text()
    for line in ("    log /dev/log local0\n", "    log global\n", "    user haproxy\n",
                 "    group haproxy\n", "    daemon\n"):  # fmt: skip
        assert line in text, line
        text = text.replace(line, "")
    edits = {
        "    maxconn 4096\n": f"    maxconn 4096\n    stats socket {stats} mode 600 level user\n",
        "    bind :8470 ssl crt /etc/kiosk-backend/haproxy.pem\n":
            f"    bind 127.0.0.1:{port} ssl crt {pem}\n",
        "    hash-type consistent\n":
            "    hash-type consistent\n    http-response set-header X-Served-By %s\n",
        "127.0.0.1:8471\n": f"127.0.0.1:{servers[0]}\n",
        "127.0.0.1:8472\n": f"127.0.0.1:{servers[1]}\n",
    }  # fmt: skip
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_the_shipped_haproxy_example_serves_terminals_over_tls(work: Path, fleet: Fleet) -> None:
    """packaging/.../haproxy.cfg.example in front of the two processes: each terminal's
    requests go to one process, the same every time, and a fleet's to both; the
    terminal's own client (kiosk/sync/client.py, the police CA pinned) is answered; the
    console's cookie is Secure behind its TLS; with no process up, terminals are told
    when to come back."""
    from kiosk.sync.client import BackendClient, Unavailable
    from kiosk.sync.identity import Identity

    haproxy = _haproxy()
    folder = work / "example"
    authority = Authority.make("Test police CA")
    cert, key = authority.issue(folder, ["127.0.0.1"])
    pem = folder / "haproxy.pem"
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    ca = authority.write(folder / "ca.pem")
    terminal = _enrol(fleet, "127.0.0.15")
    started = []
    try:
        runs: dict[str, int] = {}
        for name, servers in (("up", [fleet.api["a"], fleet.api["b"]]),
                              ("down", [free_port(), free_port()])):  # fmt: skip
            port, stats = free_port(), folder / f"{name}.sock"
            config = folder / f"{name}.cfg"
            config.write_text(_shipped_example(pem, port, servers, stats))
            log = folder / f"{name}.log"
            started.append(start([haproxy, "-f", str(config), "-db"], log))
            wait_until(functools.partial(port_open, port), f"haproxy ({name})", timeout=20)
            runs[name] = port
        import requests

        def served_by(terminal_id: str) -> str:  # the backend answers 401: not signed
            answer = requests.post(f"https://127.0.0.1:{runs['up']}/v1/heartbeat",
                                   headers={"X-Kiosk-Terminal": terminal_id},
                                   verify=str(ca), timeout=30)  # fmt: skip
            assert answer.status_code == 401, answer.text
            return answer.headers["X-Served-By"]

        others = [f"T{n:011d}" for n in range(41)]
        deadline = time.monotonic() + 20  # the example's checks: both up after 2 in a row
        while {served_by(t) for t in others} != {"api1", "api2"}:
            assert time.monotonic() < deadline, "one process never came up"
            time.sleep(0.5)
        # each terminal to one process, the same every time; the fleet over both
        first = {t: served_by(t) for t in others}
        assert {t: served_by(t) for t in reversed(others)} == first
        assert 10 <= sum(p == "api1" for p in first.values()) <= 31
        client = BackendClient(Identity(terminal.id, f"https://127.0.0.1:{runs['up']}",
                                        terminal.key, ca))  # fmt: skip
        served = set()
        for _ in range(4):
            answer = client.call("POST", "/v1/heartbeat", Heartbeat.model_validate(_beat()))
            assert answer.status_code == 200, answer.text
            served.add(answer.headers["X-Served-By"])
        assert len(served) == 1
        client.close()
        _cli(fleet.db, fleet.data, "user", "add", "viewer-tls", "--role", "viewer",
             stdin=PASSWORD + "\n")  # fmt: skip

        signed_in = requests.post(f"https://127.0.0.1:{runs['up']}/console/api/session",
                                  json={"name": "viewer-tls", "password": PASSWORD},
                                  verify=str(ca), timeout=30)  # fmt: skip
        assert signed_in.status_code == 200, signed_in.text
        assert "secure" in signed_in.headers["Set-Cookie"].lower()
        gone = BackendClient(Identity(terminal.id, f"https://127.0.0.1:{runs['down']}",
                                      terminal.key, ca))  # fmt: skip
        with pytest.raises(Unavailable) as unavailable:
            gone.call("POST", "/v1/heartbeat", Heartbeat.model_validate(_beat()))
        gone.close()
        assert unavailable.value.retry_after == 30
    finally:
        for process in started:
            stop(process)
