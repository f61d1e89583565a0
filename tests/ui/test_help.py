"""求助 that really calls someone: the call reaches the backend (a real one, over
HTTP on loopback) and the console's help desk; the screen says "called at HH:MM"
only after the backend's receipt, and otherwise gives the phone number and the
nearest counter while the call waits in the outbox; nothing of the citizen goes
with it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.help_line import HelpLine
from kiosk.sync.client import BackendClient
from kiosk.sync.relay import Relay
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.services.backend import LiveBackend
from tests.sync.conftest import enrol
from tests.ui.conftest import TEST_FLOW, _built
from tests.ui.helpers import tap, texts
from wire import crypto
from wire.sync import HelpCall

CONTACTS = ("010-8888 1234", "海淀派出所 户籍窗口")


@pytest.fixture
def station(tmp_path: Path) -> Iterator[LiveBackend]:
    backend = LiveBackend(tmp_path / "backend", time.time)
    backend.start()
    yield backend
    backend.stop()
    backend.app.state.engine.dispose()


@pytest.fixture
def booth(qapp, station: LiveBackend, tmp_path: Path) -> Iterator:
    identity = enrol(station, tmp_path / "identity.json", "海淀 1号机")
    db = connect(tmp_path / "kiosk.db")
    outbox = Outbox(db, Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite))
    client = BackendClient(identity, timeout_s=1.0)
    line = HelpLine(client, outbox)
    for kiosk in _built([str(TEST_FLOW)], help_line=line, help_contacts=lambda: CONTACTS):
        kiosk.outbox, kiosk.client = outbox, client
        yield kiosk
    client.close()
    db.close()


def help_desk(station: LiveBackend) -> dict:
    with station.console() as browser:
        answer = browser.get(f"{station.url}/console/api/help", timeout=5)
    answer.raise_for_status()
    return dict(answer.json())


def shown_text(kiosk) -> str:
    return "\n".join(texts(kiosk))


def test_help_calls_the_officer_and_says_when(qtbot, booth, station: LiveBackend) -> None:
    kiosk = booth
    tap(kiosk, "tile_test_renewal")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "info", timeout=5_000)
    tap(kiosk, "button_continue")
    tap(kiosk, "option_lost")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "contact_lost", timeout=5_000)
    kiosk.shell.answer({"name": "张三丰", "id_number": "11010519491231002X",
                        "phone": "13800138000"})  # fmt: skip
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "check", timeout=5_000)
    step = kiosk.shell.stepId  # the confirm screen, the citizen's name on it
    station.network.delay_s = 0.6  # the receipt takes a moment
    tap(kiosk, "button_help")
    assert kiosk.shell.helpDesk.state == "calling"
    assert "正在呼叫值班民警" in shown_text(kiosk)  # not "called" before the receipt
    qtbot.waitUntil(lambda: kiosk.shell.helpDesk.state == "called", timeout=5_000)
    station.network.delay_s = 0
    kiosk.settle(50)
    said = re.search(r"(\d\d:\d\d) 已通知值班民警", shown_text(kiosk))
    assert said, shown_text(kiosk)
    assert said[1] == kiosk.shell.helpDesk.calledAt
    assert ("zh_CN", "ui.help.called.voice") in kiosk.shell.voice.spoken

    desk = help_desk(station)
    assert desk["open"] == 1
    (request,) = desk["requests"]
    assert (request["where"], request["service"], request["step"], request["language"]) == (
        "海淀 1号机", "test_renewal", step, "zh_CN")  # fmt: skip
    # what went: where the citizen stands, never who they are
    with station.app.state.engine.connect() as db:
        (body,) = db.exec_driver_sql("SELECT body FROM records WHERE kind = 'help'").one()
    body = json.loads(body) if isinstance(body, str) else body
    assert set(body) == set(HelpCall.model_fields)
    assert not {"张三丰", "11010519491231002X", "13800138000"} & set(map(str, body.values()))

    tap(kiosk, "button_help_close")
    tap(kiosk, "button_help")  # again: the same answer, no second call
    kiosk.settle(300)
    assert kiosk.shell.helpDesk.state == "called" and help_desk(station)["open"] == 1
    tap(kiosk, "button_help_close")
    tap(kiosk, "button_cancel")  # the card handed back (demo), then the goodbye
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=10_000)
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)
    assert kiosk.shell.helpDesk.state == "idle"  # the next citizen starts afresh
    assert not kiosk.outbox.due()  # delivered: nothing waits


def test_offline_help_gives_the_phone_and_waits_in_the_outbox(
    qtbot, booth, station: LiveBackend
) -> None:
    kiosk = booth
    station.stop()
    tap(kiosk, "button_language")
    tap(kiosk, "button_help")
    qtbot.waitUntil(lambda: kiosk.shell.helpDesk.state == "not_called", timeout=5_000)
    kiosk.settle(50)
    text = shown_text(kiosk)
    assert "Called at" not in text
    assert CONTACTS[0] in text and CONTACTS[1] in text
    assert "as soon as the line is back" in text  # ui.help.queued
    assert ("en", "ui.help.not_called.voice") in kiosk.shell.voice.spoken
    (queued,) = kiosk.outbox.due()
    assert queued.kind == "help" and queued.record["language"] == "en"
    assert queued.record["screen"] == "home" and queued.record["service"] == ""

    station.start()  # the line is back: the relay delivers it
    assert Relay(kiosk.outbox, kiosk.client).drain().sent == 1
    (request,) = help_desk(station)["requests"]
    assert request["language"] == "en" and request["acked_at"] is None


def test_an_answer_lost_on_the_way_is_one_request(qtbot, booth, station: LiveBackend) -> None:
    """The backend took the call but its receipt never came: the screen cannot say
    "called", the outbox sends it again under the same key, the console shows one."""
    kiosk = booth
    station.network.lose_answers, station.network.hold_s = 1, 2.0
    tap(kiosk, "button_help")
    qtbot.waitUntil(lambda: kiosk.shell.helpDesk.state == "not_called", timeout=8_000)
    assert kiosk.shell.helpDesk.queued
    time.sleep(2.0)  # the held answer goes out
    done = Relay(kiosk.outbox, kiosk.client).drain()
    assert (done.sent, done.duplicates) == (1, 1)
    assert help_desk(station)["open"] == 1


def test_a_terminal_with_no_backend_gives_the_packaged_numbers(qtbot, kiosk) -> None:
    from kiosk.citypack import load_pack

    tap(kiosk, "button_help")
    assert kiosk.shell.helpDesk.state == "not_called"
    pack = load_pack()
    text = shown_text(kiosk)
    assert pack.help_phone in text and pack.help_counter in text
