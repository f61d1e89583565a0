"""The touchscreen tells systemd it is ready and alive, from its GUI thread: a real
datagram socket stands in for systemd."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

WATCHDOG_USEC = 400_000  # a ping every 0.2 s


class FakeSystemd:
    """The notify socket's other end: every datagram, with when it came."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.05)
        self.heard: list[tuple[float, str]] = []
        self.running = True
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while self.running:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.heard.append((time.monotonic(), data.decode()))

    def lines(self, key: str) -> list[float]:
        """When each message holding the line `key` came."""
        return [at for at, text in self.heard if key in text.split("\n")]

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def systemd(tmp_path) -> Iterator[FakeSystemd]:
    fake = FakeSystemd(tmp_path / "notify")
    yield fake
    fake.close()


@pytest.fixture
def watched(qapp, systemd) -> Iterator:
    """The real touchscreen, watched from before its window is shown."""
    from flows.demo import DemoServices
    from kiosk.strings import catalogue
    from kiosk.systemd import Notifier
    from ui.app import Kiosk, SystemdWatch
    from ui.services import shell_factory

    built = Kiosk(shell_factory(catalogue()), catalogue(), size=(1080, 1920))
    built.shell.step_services = DemoServices(speed=20.0)
    notifier = Notifier({"NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": str(WATCHDOG_USEC)})
    built.watch = SystemdWatch(built, notifier)
    assert systemd.heard == []  # nothing before the window has shown a frame
    built.window.show()
    try:
        yield built
    finally:
        built.watch.stop()
        built.close()
        notifier.close()


def test_ready_after_the_first_frame_then_pings_from_the_gui_thread(watched, systemd):
    watched.settle(1000)
    assert len(systemd.lines("READY=1")) == 1
    pings = systemd.lines("WATCHDOG=1")
    assert 3 <= len(pings) <= 7, systemd.heard  # every 0.2 s for 1 s, on a loaded machine
    assert systemd.lines("READY=1")[0] <= pings[-1]


def test_a_frozen_event_loop_sends_no_ping_and_the_pings_resume(watched, systemd):
    watched.settle(500)
    assert systemd.lines("WATCHDOG=1"), systemd.heard
    frozen: dict[str, float] = {}

    def freeze() -> None:  # a slot that never returns in time, on the GUI thread
        frozen["from"] = time.monotonic()
        time.sleep(3 * WATCHDOG_USEC / 2 / 1e6)
        frozen["to"] = time.monotonic()

    QTimer.singleShot(0, freeze)
    watched.settle(1600)  # the freeze, then 1 s of the loop running again
    during = [at for at in systemd.lines("WATCHDOG=1") if frozen["from"] + 0.05 < at < frozen["to"]]
    assert during == [], "a ping came while the GUI thread was frozen"
    after = [at for at in systemd.lines("WATCHDOG=1") if at > frozen["to"]]
    assert len(after) >= 3, systemd.heard


def test_stopping_is_said_at_quit_and_the_pings_end(watched, systemd):
    watched.settle(300)
    watched.watch.stop()
    watched.settle(600)
    stopping = systemd.lines("STOPPING=1")
    assert len(stopping) == 1
    assert [at for at in systemd.lines("WATCHDOG=1") if at > stopping[0]] == []


def test_without_a_socket_nothing_is_watched(qapp):
    from kiosk.strings import catalogue
    from kiosk.systemd import Notifier
    from ui.app import Kiosk, SystemdWatch
    from ui.services import shell_factory

    built = Kiosk(shell_factory(catalogue()), catalogue(), size=(1080, 1920))
    try:
        watch = SystemdWatch(built, Notifier({"WATCHDOG_USEC": "400000"}))
        built.window.show()
        built.settle(300)
        assert not watch.pings.isActive() and not watch.ready
    finally:
        built.close()
