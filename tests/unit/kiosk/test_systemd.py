"""kiosk.systemd: the sd_notify protocol, against a real datagram socket."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator

import pytest

from kiosk.systemd import Notifier, notify


@pytest.fixture
def listener(tmp_path) -> Iterator[tuple[socket.socket, str]]:
    """systemd's end: a datagram socket bound to a file, with its path."""
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(2)
        yield sock, path


def test_a_message_reaches_the_socket(listener):
    sock, path = listener
    assert notify("READY=1\nSTATUS=showing the home screen", {"NOTIFY_SOCKET": path})
    assert sock.recv(4096) == b"READY=1\nSTATUS=showing the home screen"


def test_an_abstract_socket_is_named_with_an_at_sign():
    name = f"kiosk-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_no_socket_in_the_environment_sends_nothing():
    notifier = Notifier({})
    assert not notifier.enabled and notifier.watchdog_s is None
    assert notifier.send("READY=1") is False
    assert notifier._socket is None  # not even a socket made


def test_a_socket_that_is_gone_is_said_once_and_never_raises(tmp_path, caplog):
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    with caplog.at_level(logging.WARNING, "kiosk.systemd"):
        assert [notifier.send("WATCHDOG=1") for _ in range(3)] == [False] * 3
    notifier.close()
    assert len(caplog.records) == 1
    assert "could not tell systemd 'WATCHDOG=1'" in caplog.records[0].getMessage()


def test_the_watchdog_pings_at_half_its_interval(listener):
    _, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
    assert notifier.watchdog_s == 15.0


def test_no_watchdog_without_a_socket():
    assert Notifier({"WATCHDOG_USEC": "30000000"}).watchdog_s is None


@pytest.mark.parametrize("value", ["thirty", "", "-5", "0", "1.5e6"])
def test_a_bad_watchdog_value_is_one_clear_line_and_no_watchdog(listener, caplog, value):
    _, path = listener
    with caplog.at_level(logging.INFO, "kiosk.systemd"):
        notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": value})
    assert notifier.watchdog_s is None and notifier.enabled
    assert [r.getMessage() for r in caplog.records] == [
        f"WATCHDOG_USEC={value!r} is not a positive number of microseconds; no watchdog"
    ]


def test_the_watchdog_of_the_compositor_is_pinged_for_the_unit(listener, caplog):
    """Under `cage -- kiosk run`, WATCHDOG_PID names cage (NotifyAccess=all)."""
    _, path = listener
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getppid())}
    with caplog.at_level(logging.INFO, "kiosk.systemd"):
        assert Notifier(env).watchdog_s == 1.0
    assert "the compositor that started us" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, "kiosk.systemd"):
        assert Notifier(env | {"WATCHDOG_PID": str(os.getpid())}).watchdog_s == 1.0
    assert caplog.text == ""


def test_the_variables_are_taken_from_the_environment_children_inherit(listener):
    _, path = listener
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1", "HOME": "/x"}
    notifier = Notifier.from_environment(env)
    assert notifier.enabled and notifier.watchdog_s == 1.0
    assert env == {"HOME": "/x"}


def test_a_socket_address_that_is_not_unix_is_refused(caplog):
    with caplog.at_level(logging.WARNING, "kiosk.systemd"):
        assert not Notifier({"NOTIFY_SOCKET": "vsock:2:1234"}).enabled
    assert "is not a unix socket path" in caplog.text


def test_a_status_line_during_the_start_pings_the_watchdog_too(listener):
    sock, path = listener
    without = Notifier({"NOTIFY_SOCKET": path})
    without.status("starting")
    assert sock.recv(4096) == b"STATUS=starting"
    without.close()
    with_watchdog = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
    with_watchdog.status("starting")
    assert sock.recv(4096) == b"STATUS=starting\nWATCHDOG=1"
    with_watchdog.close()


def test_a_start_busy_settling_pushes_the_start_timeout_on_and_feeds_the_watchdog(listener):
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
    assert notifier.still_starting("settling sessions a crash left open", more_s=45)
    assert sock.recv(4096).decode().split("\n") == [
        "STATUS=settling sessions a crash left open", "WATCHDOG=1", "EXTEND_TIMEOUT_USEC=45000000"
    ]  # fmt: skip
    notifier.close()
