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


@pytest.fixture
def probation(tmp_path) -> tuple[Path, Path]:
    """An update to this version on probation, as the root scripts leave it."""
    import json

    from wire import __version__

    state, own = tmp_path / "kiosk-updates", tmp_path / "update"
    state.mkdir()
    (state / "pending.json").write_text(json.dumps(
        {"from": "0.0.9", "to": __version__, "since": 1700000000, "attempts": 1}
    ))  # fmt: skip
    return state, own


def _confirming(state: Path, own: Path, calls: list[float]):
    from kiosk.updates import confirm
    from wire import __version__

    def confirm_start() -> bool:
        calls.append(time.monotonic())
        return confirm(state, own, __version__)

    return confirm_start


def test_a_start_that_stays_up_is_confirmed_once_after_the_delay(qapp, systemd, probation):
    from flows.demo import DemoServices
    from kiosk.strings import catalogue
    from kiosk.systemd import Notifier
    from ui.app import Kiosk, SystemdWatch
    from ui.services import shell_factory

    state, own = probation
    calls: list[float] = []
    built = Kiosk(shell_factory(catalogue()), catalogue(), size=(1080, 1920))
    built.shell.step_services = DemoServices(speed=20.0)
    notifier = Notifier({"NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": str(WATCHDOG_USEC)})
    watch = SystemdWatch(built, notifier, _confirming(state, own, calls), confirm_after_s=0.8)
    built.window.show()
    try:
        built.settle(400)
        assert systemd.lines("READY=1") and calls == []  # up, but not long enough yet
        assert not (own / "confirmed").exists()
        built.settle(1400)
        assert len(calls) == 1 and calls[0] - systemd.lines("READY=1")[0] >= 0.75
        from wire import __version__

        assert (own / "confirmed").read_text() == __version__ + "\n"
        built.settle(1000)
        assert len(calls) == 1  # once
    finally:
        watch.stop()
        built.close()
        notifier.close()


def test_a_touchscreen_gone_within_the_delay_confirms_nothing(qapp, probation):
    from kiosk.strings import catalogue
    from kiosk.systemd import Notifier
    from ui.app import Kiosk, SystemdWatch
    from ui.services import shell_factory

    state, own = probation
    calls: list[float] = []
    built = Kiosk(shell_factory(catalogue()), catalogue(), size=(1080, 1920))
    try:  # no notify socket: the confirmation does not need one
        watch = SystemdWatch(built, Notifier({}), _confirming(state, own, calls), 0.8)
        built.window.show()
        built.settle(300)
        assert watch.ready and watch.good_start.isActive()
        watch.stop()  # it quit (or crashed) before the delay was over
        built.settle(1000)
        assert calls == [] and not own.exists()
    finally:
        built.close()
