"""The UPS driver against a fake upsd on loopback that answers what no upsd should:
each malformed answer is a typed error (a completion with its code), the connection
is dropped so its rest is never read as the next answer, and nothing hangs beyond
the command's timeout. Also upsd's ERR codes and the protocol's escapes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from drivers.model import Code, DeviceState
from drivers.ups.driver import MAX_LINE, NutUps

GOOD = (
    b"BEGIN LIST VAR kiosk\n"
    b'VAR kiosk ups.status "OL"\n'
    b'VAR kiosk battery.charge "100"\n'
    b"END LIST VAR kiosk\n"
)


class FakeUpsd:
    """Answers every request line with the next scripted bytes (after the last one,
    the last again); None: reads on and says nothing."""

    def __init__(self, *answers: bytes | None) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.closed = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}/kiosk"

    def _serve(self) -> None:
        self.server.settimeout(0.1)
        while not self.closed.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.1)
            buffer = b""
            while not self.closed.is_set():
                try:
                    chunk = conn.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, _, buffer = buffer.partition(b"\n")
                    self.requests.append(line)
                    if line == b"LOGOUT":
                        return
                    answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
                    if answer is not None:
                        conn.sendall(answer)

    def close(self) -> None:
        self.closed.set()
        self.server.close()


@pytest.fixture
def upsd() -> Iterator[type[FakeUpsd]]:
    made: list[FakeUpsd] = []

    def make(*answers: bytes | None) -> FakeUpsd:
        fake = FakeUpsd(*answers)
        made.append(fake)
        return fake

    yield make  # type: ignore[misc]
    for fake in made:
        fake.close()


def _status(fake: FakeUpsd, timeout_s: float = 1.0) -> tuple[NutUps, object, float]:
    driver = NutUps(fake.address)
    started = time.monotonic()
    done = driver.query_status(timeout_s).result()
    return driver, done, time.monotonic() - started


MALFORMED = ["unquoted", "half_quoted", "bare_quote", "dangling_escape", "other_ups",
             "not_utf8", "control_char", "not_begin", "over_long"]  # fmt: skip


@pytest.mark.parametrize(
    "answer",
    [
        b"BEGIN LIST VAR kiosk\nVAR kiosk ups.status OL\nEND LIST VAR kiosk\n",  # no quotes
        b'BEGIN LIST VAR kiosk\nVAR kiosk ups.status "OL\nEND LIST VAR kiosk\n',  # one quote
        b'BEGIN LIST VAR kiosk\nVAR kiosk ups.mfr "a"b"\nEND LIST VAR kiosk\n',  # bare quote
        b'BEGIN LIST VAR kiosk\nVAR kiosk ups.mfr "a\\"\nEND LIST VAR kiosk\n',  # dangling \
        b'BEGIN LIST VAR kiosk\nVAR other ups.status "OL"\nEND LIST VAR kiosk\n',  # not ours
        b'BEGIN LIST VAR kiosk\nVAR kiosk ups.mfr "\xff\xfe"\nEND LIST VAR kiosk\n',  # not UTF-8
        b'BEGIN LIST VAR kiosk\nVAR kiosk ups.mfr "a\x07b"\nEND LIST VAR kiosk\n',  # control
        b"OK\n",  # not the list's beginning
        b'BEGIN LIST VAR kiosk\nVAR kiosk ups.mfr "' + b"x" * (2 * MAX_LINE) + b'"\n',  # long
    ],
    ids=MALFORMED,
)
def test_a_malformed_answer_is_a_bad_answer_and_the_link_is_dropped(upsd, answer) -> None:
    fake = upsd(answer, GOOD)
    driver, done, took = _status(fake)
    try:
        assert (done.code, done.error) == (Code.HARDWARE_ERROR, "bad_answer"), done
        assert took < 1.0
        assert driver._sock is None  # the rest of that answer is never read as the next
        again = driver.query_status(1.0).result()  # a new connection, a good answer
        assert again.ok and again.data["power"] == "mains", again
        assert fake.connections == 2
    finally:
        driver.close()


def test_an_over_long_line_with_no_end_is_refused_without_waiting(upsd) -> None:
    fake = upsd(b"BEGIN LIST VAR kiosk\n" + b"x" * (4 * MAX_LINE))  # and no newline ever
    driver, done, took = _status(fake, timeout_s=5.0)
    try:
        assert (done.code, done.error) == (Code.HARDWARE_ERROR, "bad_answer"), done
        assert took < 2.0  # refused on its length, not at the deadline
    finally:
        driver.close()


def test_half_a_line_then_silence_is_a_timeout_within_the_commands_time(upsd) -> None:
    fake = upsd(b"BEGIN LIST VAR kiosk\nVAR kiosk ups.sta", GOOD)
    driver, done, took = _status(fake, timeout_s=0.6)
    try:
        assert done.code is Code.TIMEOUT, done
        assert 0.5 <= took < 0.6 + 0.5  # the command's timeout bounds it
        assert driver.status.device is DeviceState.OFFLINE
        assert driver._sock is None  # a late rest must not be read as the next answer
        assert driver.query_status(1.0).result().ok
    finally:
        driver.close()


def test_silence_is_a_timeout_and_cancel_is_seen_at_once(upsd) -> None:
    fake = upsd(None)
    driver = NutUps(fake.address)
    try:
        handle = driver.watch(timeout_s=30.0)
        time.sleep(0.3)
        started = time.monotonic()
        handle.cancel()
        done = handle.result()
        assert done.code is Code.CANCELED and time.monotonic() - started < 0.5, done
    finally:
        driver.close()


def test_the_connection_closed_mid_answer_is_a_lost_link(upsd) -> None:
    fake = upsd(b"BEGIN LIST VAR kiosk\n")
    driver = NutUps(fake.address)
    try:
        # the fake answers the one line and then closes: the reading sees the end
        fake.answers = [b"BEGIN LIST VAR kiosk\n"]
        threading.Timer(0.2, fake.close).start()
        done = driver.query_status(2.0).result()
        assert (done.code, done.error) == (Code.LINK_LOST, "link_lost"), done
    finally:
        driver.close()


@pytest.mark.parametrize(
    ("err", "code", "error", "state"),
    [
        ("DATA-STALE", Code.DEVICE_NOT_READY, "data_stale", DeviceState.OFFLINE),
        ("DRIVER-NOT-CONNECTED", Code.DEVICE_NOT_READY, "driver_not_connected",
         DeviceState.OFFLINE),
        ("UNKNOWN-UPS", Code.DEVICE_NOT_READY, "unknown_ups", DeviceState.NO_DEVICE),
        ("ACCESS-DENIED", Code.DEVICE_NOT_READY, "access_denied", DeviceState.OFFLINE),
        ("VAR-NOT-SUPPORTED", Code.UNSUPPORTED, "var_not_supported", DeviceState.STARTING),
        ("SOMETHING-NEW", Code.HARDWARE_ERROR, "something_new", DeviceState.HARDWARE_ERROR),
    ],
)  # fmt: skip
def test_upsd_errors_are_typed(upsd, err, code, error, state) -> None:
    fake = upsd(f"ERR {err} with words\n".encode())
    driver, done, took = _status(fake)
    try:
        assert (done.code, done.error) == (code, error), done
        assert driver.status.device is state
        assert took < 1.0
    finally:
        driver.close()


def test_escaped_quotes_and_backslashes_are_read_as_upsd_meant_them(upsd) -> None:
    fake = upsd(
        b"BEGIN LIST VAR kiosk\n"
        b'VAR kiosk ups.status "OB LB"\n'
        b'VAR kiosk ups.mfr "Acme \\"Power\\" \\\\ Co"\n'
        b'VAR kiosk ups.model ""\n'
        b'VAR kiosk ups.serial "\xe7\x94\xb5\xe6\xba\x90-1"\n'  # UTF-8 is text too
        b"END LIST VAR kiosk\n"
    )
    driver, done, _ = _status(fake)
    try:
        assert done.ok, done
        assert done.data["identity"] == 'Acme "Power" \\ Co::电源-1'
        assert (done.data["power"], done.data["battery"]) == ("battery", "low")
        assert fake.requests[0] == b"LIST VAR kiosk"
    finally:
        driver.close()
