"""The commissioning screen's view-model (first boot: kiosk/commissioning.py says
when): the maintenance PIN, then the backend's address and the enrolment code, then
enrolment, every device's self-test and the commissioning slip, run on a thread of
their own while the screen shows how far they are; then "Commissioned" and a button
to the home screen.

Stages: `no_pin` (no PIN configured: nobody can commission this terminal), `pin`,
`form`, `working` (enrolling, then testing, then printing), `done`. An enrolment
the backend refused goes back to the form with one line under the field concerned;
nothing was saved. A device failing its self-test does not stop the commissioning:
the slip prints it as failed.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.documents.commissioning import DeviceCheck
from kiosk.errors import KioskError
from kiosk.maintenance import Door
from kiosk.sync.enrolment import Enrolled, typed_code

# the commissioning's own log (not Qt's: kiosk.ui.* is where Qt's warnings go)
log = logging.getLogger("kiosk.commissioning")
QVARIANT_LIST: Any = "QVariantList"

# what the screen says for each of the enrolment's errors (kiosk/sync/enrolment.py),
# and under which field
ERRORS = {
    "enroll.plain_http": ("url", "ui.commission.error.address"),
    "enroll.bad_url": ("url", "ui.commission.error.address"),
    "enroll.ca_needs_https": ("url", "ui.commission.error.address"),
    "enroll.no_ca": ("url", "ui.commission.error.ca"),
    "enroll.bad_ca": ("url", "ui.commission.error.ca"),
    "enroll.unreachable": ("url", "ui.commission.error.unreachable"),
    "enroll.untrusted": ("url", "ui.commission.error.untrusted"),
    "enroll.refused": ("code", "ui.commission.error.refused"),
    "enroll.already": ("code", "ui.commission.error.already"),
    # `[terminal] site` not one line of 80 characters: the configuration, not the technician
    "enroll.bad_site": ("code", "ui.commission.error.failed"),
}


class Steps(Protocol):
    """What a commissioning does (kiosk/commissioning.py Commissioner)."""

    def enrol(self, url: str, code: str) -> Enrolled: ...
    def devices(self) -> list[str]: ...
    def self_test(self, name: str) -> DeviceCheck: ...
    def print_slip(self, enrolled: Enrolled, checks: list[DeviceCheck]) -> str: ...


class Commissioning(QObject):
    changed = Signal()
    _news = Signal(object)  # from the worker thread: a change to make on Qt's thread

    def __init__(
        self,
        door: Door,
        steps: Steps,
        *,
        backend_url: str = "",
        on_finished: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__()
        self.door, self.steps, self.on_finished = door, steps, on_finished
        self._stage = "pin" if door.section.pin_hash is not None else "no_pin"
        if self._stage == "no_pin":
            log.error("this terminal has no identity and no maintenance PIN ([maintenance] "
                      "pin_hash): it cannot be commissioned until the PIN is set")  # fmt: skip
        self._message = ""  # a message id: the PIN's refusal, or the form's error
        self._field = ""  # the form's field the message is about: "url" or "code"
        self._doing = ""  # while working: enrolling, testing, printing
        self._url = backend_url
        self._checks: list[DeviceCheck] = []
        self._testing: list[str] = []
        self._terminal = ""
        self._printed = ""
        self.finished = False
        self._news.connect(self._take_news)  # queued: run on Qt's thread

    # --- what QML reads ------------------------------------------------------------

    @Property(str, notify=changed)
    def stage(self) -> str:
        return self._stage

    @Property(str, notify=changed)
    def doing(self) -> str:
        return self._doing

    @Property(str, notify=changed)
    def message(self) -> str:
        return self._message

    @Property(str, notify=changed)
    def messageField(self) -> str:
        return self._field

    @Property(str, notify=changed)
    def backendUrl(self) -> str:
        return self._url

    @Property(str, notify=changed)
    def terminalId(self) -> str:
        return self._terminal

    @Property(str, notify=changed)
    def printed(self) -> str:
        """`printed`, or why the slip was not (a completion code, `no_printer`)."""
        return self._printed

    @Property(QVARIANT_LIST, notify=changed)
    def results(self) -> list[dict[str, Any]]:
        """Each device: its name, whether it passed ("" while waiting), its outcome."""
        done = {c.device: c for c in self._checks}
        rows = []
        for name in self._testing:
            check = done.get(name)
            state = "" if check is None else ("passed" if check.ok else "failed")
            rows.append({"name": name, "state": state, "outcome": check.outcome if check else ""})
        return rows

    # --- what QML calls ------------------------------------------------------------

    @Slot(str)
    def enter(self, pin: str) -> None:
        if self._stage != "pin":
            return
        verdict = self.door.try_pin(pin)
        if verdict == "open":
            self._stage, self._message = "form", ""
        else:
            self._message = f"ui.maintenance.{verdict}"
        self.changed.emit()

    @Slot(str, str)
    def submit(self, url: str, code: str) -> None:
        if self._stage != "form":
            return
        url, code = url.strip(), typed_code(code)
        if not url or not code:
            self._field = "url" if not url else "code"
            self._message = "ui.commission.error.empty"
            self.changed.emit()
            return
        self._url, self._stage, self._doing, self._message, self._field = (
            url, "working", "enrolling", "", "")  # fmt: skip
        self.changed.emit()
        threading.Thread(target=self._run, args=(url, code), daemon=True,
                         name="commissioning").start()  # fmt: skip

    @Slot()
    def finish(self) -> None:
        """To the home screen: the terminal serves citizens from now on."""
        if self._stage == "done" and not self.finished:
            self.finished = True
            self.door.leave()
            self.changed.emit()
            self.on_finished()

    # --- the work, off Qt's thread ---------------------------------------------------

    def _later(self, change: Callable[[], None]) -> None:
        try:
            self._news.emit(change)
        except RuntimeError:  # the window closed while the work went on: nobody to tell
            log.warning("commissioning news after the screen closed: dropped")

    def _take_news(self, change: Callable[[], None]) -> None:
        change()

    def _run(self, url: str, code: str) -> None:
        try:
            enrolled = self.steps.enrol(url, code)
        except KioskError as exc:
            field, message = ERRORS.get(exc.msg.id, ("url", "ui.commission.error.failed"))
            log.warning("enrolment failed: %s", exc)  # the address and why; never the code
            self._later(lambda: self._refused(field, message))
            return
        except Exception:
            log.exception("enrolment failed")
            self._later(lambda: self._refused("url", "ui.commission.error.failed"))
            return
        names = self.steps.devices()
        self._later(functools.partial(self._tested, enrolled.terminal_id, names, None))
        checks = []
        for name in names:
            check = self.steps.self_test(name)
            log.info("commissioning self-test %s: %s", name, check.outcome)
            checks.append(check)
            self._later(functools.partial(self._tested, enrolled.terminal_id, names, check))
        self._later(functools.partial(self._set_doing, "printing"))
        printed = self.steps.print_slip(enrolled, checks)
        self._later(lambda: self._done(printed))

    def _refused(self, field: str, message: str) -> None:
        self._stage, self._doing, self._field, self._message = "form", "", field, message
        self.changed.emit()

    def _tested(self, terminal: str, names: list[str], check: DeviceCheck | None) -> None:
        self._terminal, self._testing, self._doing = terminal, names, "testing"
        if check is not None:
            self._checks.append(check)
        self.changed.emit()

    def _set_doing(self, doing: str) -> None:
        self._doing = doing
        self.changed.emit()

    def _done(self, printed: str) -> None:
        self._stage, self._doing = "done", ""
        self._printed = printed
        self.changed.emit()

    # --- the screen gallery -----------------------------------------------------------

    def preview(self, stage: str, **state: Any) -> None:
        """Show a stage with made-up state (ui/gallery.py): nothing runs."""
        self._stage = stage
        self._doing = state.get("doing", "")
        self._message, self._field = state.get("message", ""), state.get("field", "")
        self._url = state.get("url", self._url)
        self._terminal = state.get("terminal", "")
        self._checks = list(state.get("checks", []))
        self._testing = [c.device for c in self._checks] + list(state.get("waiting", []))
        self._printed = state.get("printed", "")
        self.changed.emit()
