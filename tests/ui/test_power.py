"""A power failure on the touchscreen: the real QML, the UPS simulator (a private upsd
with NUT's dummy-ups) read by our driver, followed as `kiosk run` follows it
(kiosk.app.watch_power: the watcher thread, the policy on the Qt thread).

At the home screen the mains fails: every tile says 停电，暂停服务 (Power failure:
service paused) and a tap starts nothing; the mains back, a service starts. Mid
session the mains fails again (the session goes on), then the battery runs low: the
session is cancelled through the flow's own path (paid: the refund queued for the
backend, then the card given back), and only once it has ended is the shutdown
asked for, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ui.helpers import find, tap, texts

PAID = Path(__file__).with_name("flows") / "paid_on_battery.yaml"
PAUSED = {"zh_CN": "停电，暂停服务", "en": "Power failure: service paused"}


class Told:
    """The backend link's `device_event`, as the watcher reaches it (link.link)."""

    def __init__(self) -> None:
        self.link = self
        self.events: list[tuple[str, str]] = []

    def device_event(self, name: str, status: str, detail: str = "") -> None:
        self.events.append((name, status))


@pytest.fixture
def powered(qapp, tmp_path: Path):
    from drivers.ups.driver import NutUps
    from drivers.ups.simulator import NutUpsSimulator
    from flows.demo import DemoServices
    from kiosk.app import watch_power
    from kiosk.steps.backend import BackendServices
    from kiosk.steps.chain import ServiceChain
    from kiosk.strings import catalogue
    from offline_cache.database import connect
    from offline_cache.keyring import Keyring
    from offline_cache.outbox import Outbox
    from ui.app import Kiosk
    from ui.services import shell_factory
    from wire import crypto

    ups_sim = NutUpsSimulator().start()
    ups = NutUps(ups_sim.address)
    assert ups.open().result().ok
    db = connect(tmp_path / "kiosk.db")
    outbox = Outbox(db, Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite))
    chain = ServiceChain(BackendServices(None, outbox))  # not enrolled: the refund queued
    chain.fallback = DemoServices(speed=20.0)
    built = Kiosk(shell_factory(catalogue(), extra_flows=[str(PAID)], step_services=chain),
                  catalogue(), size=(1080, 1920))  # fmt: skip
    built.window.show()
    built.settle(100)
    told, shutdowns = Told(), []
    watch = watch_power(built.shell, ups, told, shutdown=lambda: shutdowns.append(1), poll_s=0.3)
    built.ups, built.outbox, built.told, built.shutdowns = ups_sim, outbox, told, shutdowns
    built.watch = watch
    try:
        yield built
    finally:
        watch.stop()
        built.close()
        ups.close()
        ups_sim.stop()
        db.close()


def _tiles_say(kiosk: Any, reason: str) -> bool:
    return all(t["reason"] == reason and not t["available"] for t in kiosk.shell.serviceTiles)


def test_a_power_failure_pauses_the_home_screen_then_ends_a_session_and_shuts_down(
    qtbot, powered, tmp_path
) -> None:
    kiosk, shell, ups = powered, powered.shell, powered.ups
    assert shell.screen == "home" and shell.paused_by() is None

    # the mains fails at the home screen: every tile paused, saying why
    ups.faults.inject("power_fail")
    qtbot.waitUntil(lambda: _tiles_say(kiosk, "ui.home.power_failure"), timeout=15_000)
    kiosk.settle(200)
    shown = texts(kiosk)  # the banner, large, and each tile
    assert shown.count(PAUSED["zh_CN"]) == len(shell.serviceTiles) + 1, shown
    banner = find(kiosk, "paused_text")
    assert banner.property("font").pixelSize() >= shell.theme.title
    assert kiosk.grab(tmp_path / "paused_home.png")  # looked at: the line is large and clear
    tap(kiosk, "tile_paid_on_battery")
    shell.startService("paid_on_battery")  # not even from Python
    kiosk.settle(300)
    assert shell.screen == "home" and not shell.in_session()
    tap(kiosk, "button_language")  # the citizen's other language says it too
    kiosk.settle(200)
    assert PAUSED[shell.language] in texts(kiosk)
    kiosk.grab(tmp_path / f"paused_home_{shell.language}.png")
    tap(kiosk, "button_language")

    # the mains is back: a service starts
    ups.faults.inject("power_back")
    qtbot.waitUntil(lambda: shell.paused_by() is None, timeout=15_000)
    kiosk.settle(100)
    assert PAUSED["zh_CN"] not in texts(kiosk)  # nor the banner, nor the tiles
    tap(kiosk, "tile_paid_on_battery")
    qtbot.waitUntil(lambda: shell.stepId == "ready", timeout=15_000)  # the card read, paid
    assert shell._engine.committed

    # the mains fails mid-session: the citizen goes on
    ups.faults.inject("power_fail")
    qtbot.waitUntil(lambda: kiosk.watch.policy.state == "battery", timeout=15_000)
    kiosk.settle(300)
    assert shell.stepId == "ready" and shell.in_session()

    # the battery runs low: cancelled through the flow's path, refunded, card given back
    ups.faults.inject("low_battery")
    qtbot.waitUntil(lambda: shell.stepId == "refunded", timeout=15_000)
    kiosk.settle(500)
    assert kiosk.shutdowns == []  # not while the citizen reads the refund
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: shell.screen == "home" and not shell.in_session(), timeout=5_000)
    qtbot.waitUntil(lambda: kiosk.shutdowns == [1], timeout=3_000)
    kiosk.settle(1500)  # more of the UPS's answers and the policy's ticks: still once
    assert kiosk.shutdowns == [1]
    assert _tiles_say(kiosk, "ui.home.power_failure")  # no new session while shutting down

    steps = [s["step"] for s in shell.last_steps]
    assert steps[-4:] == ["ready", "refund", "give_back_after_refund", "refunded"], steps
    queued = [(row.kind, row.record) for row in kiosk.outbox.due()]
    refunds = [record for kind, record in queued if kind == "payment"]
    assert refunds == [
        {"out_trade_no": "DEMO-PAY-1", "state": "REFUND_REQUESTED", "amount_fen": 2000}
    ]
    assert [status for _, status in kiosk.told.events] == [
        "on_battery", "online", "on_battery", "low_battery", "shutting_down",
    ]  # fmt: skip
    assert find(kiosk, "tile_paid_on_battery")
