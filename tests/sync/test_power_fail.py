"""Done when (#22, the UPS): a power failure in the middle of a paid renewal, from a
real upsd with NUT's dummy-ups behind it (drivers/ups/simulator.py), read by our
driver and acted on by the terminal's power policy (kiosk/power.py).

The session runs on the headless runner (flows/runner.py), its citizen's answers and
the services before the payment scripted, the refund and its voucher done for real
(the backend step into the outbox, the voucher on the simulated receipt printer).
The mains fails at the confirm step: no new session, the backend told, the session
goes on and pays. The battery runs low while the application is submitted: the
session is cancelled through the flow's own cancel path (paid: refunded, with a
voucher), and once it has ended the terminal asks to be shut down. Nothing is lost:
the journal has no open session, the outbox holds the refund, the session's end and
the device events, and the backend takes them all."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from drivers.ups.driver import NutUps
from drivers.ups.simulator import NutUpsSimulator
from flows import events as ev
from flows.loader import flow_files, load_flow
from flows.recovery import StepPerformer
from flows.runner import HeadlessRunner, load_script
from kiosk.documents.gallery import PACK
from kiosk.power import PowerPolicy, PowerReading
from kiosk.steps.backend import BackendServices
from kiosk.steps.chain import ServiceChain
from kiosk.steps.printing import PrintServices
from kiosk.strings import catalogue
from offline_cache.journal import Journal
from tests.services.escpos import receipt_printer
from tests.sync.conftest import Terminal

ANSWERS = Path(__file__).resolve().parents[1] / "flows" / "id_renewal.lost.answers.yaml"
REAL = ("refund", "voucher")  # the steps done on the terminal's real services


class PoweredRunner(HeadlessRunner):
    """The headless runner with a hook after each step is entered."""

    def __init__(self, *args: Any, on_step: Any, real: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_step, self.real = on_step, real

    def _apply(self, outcome: ev.Outcome) -> None:
        super()._apply(outcome)
        if outcome.transition is not None and not self.engine.ended:
            self.on_step(self)

    def _service(self, perform: ev.Perform) -> None:
        self.perform = self.real if perform.step_id in REAL else None
        super()._service(perform)

    def cancel(self) -> None:  # the shell's cancel: the citizen's Cancel button
        self._push(self.now, ev.Cancel(self.now))


def _until(driver: NutUps, policy: PowerPolicy, wanted: Any, seconds: float = 10.0) -> None:
    """Poll the UPS as the terminal's watcher does, until the policy is where wanted."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = driver.query_status().result()
        if done.ok:
            policy.feed(PowerReading.of(done.data))
        if wanted():
            return
        time.sleep(0.2)
    raise AssertionError(f"the policy stayed {policy.state}")


@pytest.fixture
def ups():
    simulator = NutUpsSimulator().start()
    driver = NutUps(simulator.address)
    try:
        assert driver.open().result().ok
        yield simulator, driver
    finally:
        driver.close()
        simulator.stop()


def test_a_power_failure_mid_renewal_refunds_and_shuts_down_cleanly(
    terminal: Terminal, ups: Any
) -> None:
    simulator, driver = ups
    flow = next(f for f in (load_flow(p, catalogue()) for p in flow_files())
                if f.flow == "id_renewal")  # fmt: skip
    journal = Journal(terminal.outbox.db)
    shutdowns: list[str] = []
    seen: dict[str, Any] = {}
    holder: dict[str, PoweredRunner] = {}
    policy = PowerPolicy(
        in_session=lambda: not holder["runner"].engine.ended,
        cancel_session=lambda: holder["runner"].cancel(),
        shutdown=lambda: shutdowns.append("poweroff"),
        report=lambda status, detail: terminal.link.device_event("ups", status, detail),
    )

    def on_step(runner: PoweredRunner) -> None:
        step = runner.engine.current
        if step == "check" and "battery" not in seen:  # the mains fails before the payment
            simulator.faults.inject("power_fail")
            _until(driver, policy, lambda: policy.state == "battery")
            seen["battery"] = (policy.paused, policy.unavailable, policy.in_session())
        elif step == "submit" and "low" not in seen:  # paid; the battery runs low
            assert runner.engine.committed
            simulator.faults.inject("low_battery")
            _until(driver, policy, lambda: policy.state == "shutting_down")
            seen["low"] = list(shutdowns)  # not yet: the session must end first

    with receipt_printer() as (_, printer):
        services = ServiceChain(
            BackendServices(terminal.client, terminal.outbox),
            PrintServices(
                {"receipt_printer": printer}, lambda: PACK, catalogue(), "BJ-DC-0007", lambda: {}
            ),
        )
        script = load_script(ANSWERS)
        script.inputs["refunded"] = ["finish"]  # the citizen reads the refund and goes
        runner = PoweredRunner(flow, script, journal, on_step=on_step,
                               real=StepPerformer(services, wait_s=30))  # fmt: skip
        holder["runner"] = runner
        transcript = runner.run()
        policy.tick()  # the shell's next look: the session has ended

    # on battery: paused, the session went on
    assert seen["battery"] == (True, "ui.home.power_failure", True)
    # low: cancelled through the flow's own path; paid, so refunded with a voucher
    assert seen["low"] == []
    steps = [s["step"] for s in transcript["steps"]]
    assert "pay" in steps and steps[-3:] == ["refund", "voucher", "refunded"], steps
    assert transcript["outcome"] == "recovered"  # the money settled (flows/engine.py)
    assert shutdowns == ["poweroff"]
    # nothing lost: no open session, the refund and the device events queued
    assert journal.open_sessions() == []
    queued: dict[str, list[dict[str, Any]]] = {}
    for pending in terminal.outbox.due(limit=1000):
        queued.setdefault(pending.kind, []).append(pending.record)
    assert queued["payment"] == [
        {"out_trade_no": "P-77", "state": "REFUND_REQUESTED", "amount_fen": 4000}
    ]
    told = [e["changes"]["ups"]["to"] for e in queued["device_event"]]
    assert told == ["on_battery", "low_battery", "shutting_down"]
    sent = terminal.link.relay.drain()
    assert sent.failed == 0 and sent.sent == sum(len(v) for v in queued.values())
