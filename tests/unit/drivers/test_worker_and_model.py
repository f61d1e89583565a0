from __future__ import annotations

import threading
import time

from drivers.config import FaultSpec
from drivers.model import Code, Debouncer, DeviceState, NotReady, Status
from drivers.simulator import FaultPlan
from drivers.worker import GRACE_S, DeviceWorker


def test_commands_run_in_order_on_the_devices_thread():
    events, seen = [], []
    worker = DeviceWorker("probe", events.append)
    for i in range(3):
        worker.submit(
            f"c{i}", lambda ctx, i=i: seen.append((i, threading.current_thread().name)), 1.0
        )
    last = worker.submit("last", lambda ctx: "done", 1.0).result()
    assert last.ok and last.data == "done"
    assert seen == [(0, "device-probe"), (1, "device-probe"), (2, "device-probe")]
    assert [e.command for e in events] == ["c0", "c1", "c2", "last"]
    worker.stop()


def test_a_stuck_driver_still_completes_as_timeout_at_its_deadline():
    events = []
    worker = DeviceWorker("stuck", events.append)
    started = time.monotonic()
    done = worker.submit("read", lambda ctx: time.sleep(1.5), 0.3).result()
    assert done.code is Code.TIMEOUT and time.monotonic() - started < 0.3 + GRACE_S + 0.1
    time.sleep(1.4)  # the late result is dropped
    assert [e.code for e in events] == [Code.TIMEOUT]
    worker.stop()


def test_errors_become_completions_and_bugs_are_caught():
    worker = DeviceWorker("probe")

    def not_ready(ctx):
        raise NotReady("paper out", "paper_out")

    done = worker.submit("print", not_ready, 1.0).result()
    assert (done.code, done.error, done.recovery.value) == (
        Code.DEVICE_NOT_READY,
        "paper_out",
        "user_action",
    )
    bug = worker.submit("print", lambda ctx: 1 / 0, 1.0).result()
    assert (bug.code, bug.error) == (Code.HARDWARE_ERROR, "driver_bug")
    worker.stop()


def test_cancel_before_and_while_running():
    worker = DeviceWorker("probe")
    gate = threading.Event()
    first = worker.submit("wait", lambda ctx: gate.wait(1) and ctx.check(), 2.0)
    queued = worker.submit("queued", lambda ctx: "ran", 2.0)
    queued.cancel()
    first.cancel()
    gate.set()
    assert first.result().code is Code.CANCELED
    assert queued.result().code is Code.CANCELED
    worker.stop()


def test_debouncer_reports_only_a_status_that_holds():
    now = [0.0]
    debouncer = Debouncer(0.3, clock=lambda: now[0])
    ok, low = (
        Status(DeviceState.ONLINE, {"paper": "ok"}),
        Status(DeviceState.ONLINE, {"paper": "low"}),
    )
    assert debouncer.feed(ok) == ok  # the first reading is reported at once
    reported = []
    for step in range(10):  # flicker every 0.1 s
        now[0] += 0.1
        reported.append(debouncer.feed(low if step % 2 == 0 else ok))
    assert reported == [None] * 10
    for _ in range(4):
        now[0] += 0.1
        result = debouncer.feed(low)
    assert result == low


def test_fault_plans_are_seeded():
    def run(seed):
        plan = FaultPlan([FaultSpec(kind="garbage", probability=0.3)], seed=seed)
        return [plan.next() is not None for _ in range(50)]

    assert run(7) == run(7) and run(7) != run(8)
    plan = FaultPlan([FaultSpec(kind="no_answer", after_commands=2)])
    assert [plan.next() is not None for _ in range(4)] == [False, False, True, True]
    plan.inject("jam")
    assert plan.next().kind == "jam"
