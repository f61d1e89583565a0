"""The touchscreen with the backend step on the backend services and the print step
on the receipt printer's driver: a queue ticket taken offline is numbered on the
terminal, printed, and queued, sealed, for the backend, with the session's audit
entry; nothing of it stays in the screens."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.steps.backend import BackendServices
from kiosk.steps.chain import ServiceChain
from offline_cache.database import connect
from offline_cache.keyring import Keyring
from offline_cache.outbox import Outbox
from tests.ui.helpers import tap
from wire import crypto
from wire.sync import SessionEndedBody


@pytest.fixture
def linked_kiosk(qapp, tmp_path: Path):
    from drivers.receipt_printer.driver import EscPosPrinter
    from drivers.receipt_printer.simulator import EscPosSimulator
    from flows.demo import DemoServices
    from kiosk.documents.gallery import PACK
    from kiosk.steps.printing import PrintServices
    from kiosk.strings import catalogue
    from ui.app import Kiosk
    from ui.services import shell_factory

    db = connect(tmp_path / "kiosk.db")
    outbox = Outbox(db, Keyring.open(tmp_path / "keys.json", crypto.DEFAULT, crypto.suite))
    printer = EscPosSimulator().start()
    driver = EscPosPrinter(port=printer.address)
    assert driver.open().result().ok
    printing = PrintServices({"receipt_printer": driver}, lambda: PACK, catalogue(), "T1", dict)
    chain = ServiceChain(BackendServices(None, outbox), printing)  # not enrolled: queued only
    chain.fallback = DemoServices(speed=20.0)
    built = Kiosk(shell_factory(catalogue(), step_services=chain), catalogue(), size=(1080, 1920))
    built.window.show()
    built.settle(100)
    built.outbox, built.printer = outbox, printer
    try:
        yield built
    finally:
        built.close()
        driver.close()
        printer.stop()
        db.close()


def test_a_queue_ticket_is_printed_and_queued_for_the_backend(qtbot, linked_kiosk):
    from kiosk.strings import catalogue

    kiosk = linked_kiosk
    tap(kiosk, "button_language")
    tap(kiosk, "tile_queue_ticket")
    tap(kiosk, "option_card")
    qtbot.waitUntil(lambda: kiosk.shell.stepId == "service", timeout=15_000)
    tap(kiosk, "option_traffic")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "done", timeout=15_000)
    tap(kiosk, "button_finish")
    qtbot.waitUntil(lambda: kiosk.shell.screen == "home", timeout=5_000)
    slip = "\n".join(kiosk.printer.slips[-1].lines)  # printed, in the citizen's language
    assert "D001" in slip and catalogue().text("flow.queue.service.traffic", "en") in slip
    queued = {row.kind: row for row in kiosk.outbox.due()}
    assert queued["queue_ticket"].record["number"] == "D001"
    assert queued["audit"].record["flow"] == "queue_ticket"
    assert queued["audit"].record["outcome"] == "done"
    assert queued["audit"].session is not None  # the session is the transaction
    # the touchscreen reports the steps as `kiosk flow run` does (docs/cockpit.md)
    ended = SessionEndedBody.model_validate(queued["audit"].record)
    assert (ended.end, ended.reason, ended.exit_step) == ("finished", "done", None)
    assert [s.step for s in ended.steps or []][-2:] == ["ticket", "finished"]
    assert {s.who for s in ended.steps or []} == {"citizen", "machine"}
    assert ended.started_at is not None and ended.at is not None
    assert ended.started_at <= ended.at
    raw = kiosk.outbox.db.execute("SELECT payload FROM outbox").fetchall()
    assert all(b"D001" not in bytes(p) for (p,) in raw)  # sealed at rest
