"""Sessions a crash left open, settled at the next start, before the home screen.

The touchscreen journals every transition of a citizen's session before its effects
run (ui/session_driver.py, offline_cache/journal.py). Power lost mid-session leaves
that session open in the journal. At the next start each one is settled by the flow's
own rules (flows/engine.py `resume`): paid and not yet served, its recovery path
(refund, the refund voucher); not committed, its cancel path (the card given back).
Nobody is at the screen: the read-and-go screens go on, anything asking the citizen
waits out its timer on a virtual clock, and the service steps run for real on this
terminal's step services, one at a time, each with a bound on its wait. The end goes
to the backend as every session's end does, so a refund that could not be made is
seen there (and in the log) rather than lost.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any

from flows import events as ev
from flows.model import Flow
from flows.runner import Script, recover_open_sessions
from offline_cache.journal import Journal

log = logging.getLogger("kiosk.recovery")  # the kiosk's log: its readers' filters hold

STEP_WAIT_S = 120.0  # a printer warming up, a backend slow to answer: not forever
PING_S = 5.0  # how often the wait says it is alive (systemd's watchdog is 30 s)


class StepPerformer:
    """The service steps of a settling session, done on the terminal's step services."""

    def __init__(
        self,
        services: Any,
        alive: Callable[[str], object] = lambda text: None,
        wait_s: float = STEP_WAIT_S,
    ) -> None:
        self.services = services
        self.alive = alive  # told what is being waited for, every PING_S
        self.wait_s = wait_s

    def __call__(self, perform: ev.Perform) -> dict[str, Any]:
        services = self.services
        if not (hasattr(services, "serves") and services.serves(perform.step_type)):
            # no demo answer here: a refund voucher nobody printed is not "recovered"
            log.error("settling a session: no service on this terminal does %s steps",
                      perform.step_type)  # fmt: skip
            return {"fail": "unsupported", "recovery": "operator"}
        answers: queue.Queue[dict[str, Any]] = queue.Queue()
        try:
            cancel = services.start(perform.step_type, perform.params, perform.inputs, answers.put)
        except Exception:  # a bug in a step service: that step failed, the start goes on
            log.exception("settling a session: the %s step could not start", perform.step_id)
            return {"fail": "device_error", "recovery": "operator"}
        deadline = time.monotonic() + self.wait_s
        while (left := deadline - time.monotonic()) > 0:
            self.alive(f"settling a session left open: {perform.step_id}")
            try:
                return answers.get(timeout=min(PING_S, left))
            except queue.Empty:
                continue
        cancel()
        log.error("settling a session: the %s step did not answer in %.0f s",
                  perform.step_id, self.wait_s)  # fmt: skip
        return {"fail": "timeout", "recovery": "operator"}


def settle_open_sessions(
    journal: Journal,
    flows: dict[str, Flow],
    services: Any,
    alive: Callable[[str], object] = lambda text: None,
    wait_s: float = STEP_WAIT_S,
) -> list[dict[str, Any]]:
    """Every session the journal holds open, settled; what each came to (no personal
    data: ids, steps, outcomes). Each end is reported as the touchscreen reports one."""
    performer = StepPerformer(services, alive, wait_s)
    settled = recover_open_sessions(journal, flows, Script(source="recovery"), performer)
    for found in settled:
        level = logging.WARNING if found["outcome"] in ("recovered", "crash") else logging.ERROR
        log.log(level, "a session left open by a crash was settled: %s %s, found at %s, %s",
                found["flow"], found["session"], found.get("found_at"),
                found["outcome"])  # fmt: skip
        _report(services, found)
    return settled


def _report(services: Any, found: dict[str, Any]) -> None:
    if not hasattr(services, "session_ended"):
        return
    try:
        services.session_ended(
            found["session"], found["flow"], found["outcome"], None, found.get("report")
        )
    except Exception:  # the journal has the end; the backend hears of it no other way
        log.exception("the settled session's end could not be queued for the backend")
