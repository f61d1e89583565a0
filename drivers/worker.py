"""One worker thread per device: commands run there one at a time, each with a
deadline and a cancel flag; completions go out as events.

The Qt thread (or the headless shell) never touches a device: it submits and gets
a `CommandHandle`; the completion arrives through the `on_event` sink. If a driver
overruns its deadline (a stuck read), the handle still completes as TIMEOUT at the
deadline, and the late result is dropped: nothing waits past its timeout.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.model import Canceled, Code, Completion, DeviceError, DeviceTimeout, Recovery

log = logging.getLogger("kiosk.drivers.worker")

GRACE_S = 0.25  # how long past its deadline a command may take to notice it


class CommandContext:
    """What a running command sees: its deadline and whether it was cancelled."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.cancelled = threading.Event()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        """Raise Canceled or DeviceTimeout; call it between steps of a command."""
        if self.cancelled.is_set():
            raise Canceled("the command was cancelled")
        if self.remaining() <= 0:
            raise DeviceTimeout("the command ran out of time")


@dataclass
class _Job:
    name: str
    action: Callable[[CommandContext], Any]
    context: CommandContext
    handle: CommandHandle
    started: float


class CommandHandle:
    def __init__(self, name: str, context: CommandContext, timeout_s: float) -> None:
        self.name = name
        self.context = context
        self.timeout_s = timeout_s
        self._done = threading.Event()
        self._completion: Completion | None = None
        self._lock = threading.Lock()
        self._sink: Callable[[Completion], None] | None = None

    def cancel(self) -> None:
        self.context.cancelled.set()

    def finished(self, within_s: float = 0.0) -> bool:
        """Whether the completion is there (waiting up to `within_s` for it)."""
        return self._done.wait(within_s)

    def result(self) -> Completion:
        """Wait for the completion; never longer than the deadline and a little grace."""
        if not self._done.wait(max(0.0, self.context.remaining()) + GRACE_S):
            self._settle(
                Completion(
                    self.name, Code.TIMEOUT, "no_answer", Recovery.RETRY, elapsed_s=self.timeout_s
                )
            )
        assert self._completion is not None
        return self._completion

    def _settle(self, completion: Completion) -> bool:
        """The first completion wins; a late one (after a watchdog timeout) is dropped."""
        with self._lock:
            if self._completion is not None:
                return False
            self._completion = completion
        self._done.set()
        if self._sink is not None:
            self._sink(completion)
        return True


class DeviceWorker:
    """Runs one device's commands in order on its own thread."""

    def __init__(self, name: str, on_event: Callable[[Any], None] | None = None) -> None:
        self.name = name
        self.on_event = on_event or (lambda event: None)
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"device-{name}", daemon=True)
        self._watchdogs: list[threading.Timer] = []
        self._thread.start()

    def submit(
        self, name: str, action: Callable[[CommandContext], Any], timeout_s: float
    ) -> CommandHandle:
        context = CommandContext(time.monotonic() + timeout_s)
        handle = CommandHandle(name, context, timeout_s)
        handle._sink = self.on_event
        # The watchdog settles a command whose driver overran, even if nobody waits.
        watchdog = threading.Timer(
            timeout_s + GRACE_S,
            lambda: handle._settle(
                Completion(name, Code.TIMEOUT, "no_answer", Recovery.RETRY, elapsed_s=timeout_s)
            ),
        )
        watchdog.daemon = True
        watchdog.start()
        self._watchdogs = [w for w in self._watchdogs if w.is_alive()] + [watchdog]
        self._queue.put(_Job(name, action, context, handle, time.monotonic()))
        return handle

    def stop(self) -> None:
        for watchdog in self._watchdogs:
            watchdog.cancel()
        self._queue.put(None)
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            job.handle._settle(self._execute(job))

    def _execute(self, job: _Job) -> Completion:
        started = time.monotonic()
        try:
            job.context.check()  # cancelled or expired while queued
            data = job.action(job.context)
            return Completion(
                job.name, Code.SUCCESS, data=data, elapsed_s=time.monotonic() - started
            )
        except DeviceError as exc:
            return Completion(
                job.name, exc.code, exc.error, exc.recovery, elapsed_s=time.monotonic() - started
            )
        except Exception:  # a bug in a driver: reported, never raised into the shell
            log.exception("driver bug in %s.%s", self.name, job.name)
            return Completion(
                job.name,
                Code.HARDWARE_ERROR,
                "driver_bug",
                Recovery.OPERATOR,
                elapsed_s=time.monotonic() - started,
            )
