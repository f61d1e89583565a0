"""The `scan_document` step on the A4 scanner: a paper the citizen brings (a household
register page, a letter).

A flatbed cannot tell that a paper lies on its glass, so the citizen says so: the
screen asks them to lay it face down and close the lid, then tap Scan. The page is
scanned and shown; the citizen keeps it (Confirm) or lays it again (Scan again). A
cover left open or no paper is theirs to put right, on the same screen; a jam or a
scanner out of order fails the step.

The page (PNG) is personal data: held here, in memory, for the session only
(`scanned(ref)` for the screen's preview and the steps that send it), wiped at the
session's end, never logged; the step's result only names it (`ScannedDocument`).

The screen follows `progress` news: `{"scan": "place"}` (lay the paper, tap Scan),
`"scanning"`, `"ready"` (with `ref` and `shot`, for the preview's address),
`"problem"` (with `error`: `cover_open`, `no_paper`). The citizen's taps come back
through `decide("scan" | "again" | "keep")`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kiosk.steps.devices import Finish, failure

CITIZEN_ERRORS = ("cover_open", "no_paper")


class DocumentScans:
    def __init__(self, drivers: dict[str, Any], step_timeout_s: float = 60.0) -> None:
        self.scanner = drivers.get("scanner_a4")
        self.step_timeout_s = step_timeout_s
        self.pages: dict[str, bytes] = {}  # the session's scanned pages, by ref; wiped
        self.progress: Callable[[dict[str, Any]], None] = lambda news: None
        self._decisions: list[str] = []
        self._decided = threading.Condition()
        self._count = 0

    def serves(self, step_type: str) -> bool:
        return step_type == "scan_document" and self.scanner is not None

    def scanned(self, ref: str) -> bytes | None:
        """The page under `ref`, while the session lasts."""
        return self.pages.get(ref)

    def decide(self, choice: str) -> None:
        """The citizen's tap on the scan screen: `scan`, `again` or `keep`."""
        with self._decided:
            self._decisions.append(choice)
            self._decided.notify_all()

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        scanner = self.scanner
        if step_type != "scan_document" or scanner is None:
            raise ValueError(f"no scan service for {step_type}")
        stop = threading.Event()
        running: list[Any] = []  # the scan in progress, to cancel
        with self._decided:
            self._decisions.clear()
        self._count += 1
        ref = f"document-{self._count}"

        def wait_for(*choices: str) -> str | None:
            with self._decided:
                while not stop.is_set():
                    while self._decisions:
                        choice = self._decisions.pop(0)
                        if choice in choices:
                            return choice
                    self._decided.wait(0.2)
            return None

        def run() -> None:
            self.progress({"scan": "place"})
            if wait_for("scan", "again") is None:
                return
            shot = 0
            while not stop.is_set():
                self.progress({"scan": "scanning"})
                handle = scanner.scan(
                    int(params.get("resolution", 200)),
                    str(params.get("mode", "color")),
                    str(params.get("page", "a4")),
                    self.step_timeout_s,
                )
                running[:] = [handle]
                done = handle.result()
                running.clear()
                if stop.is_set():
                    return
                if not done.ok and done.error in CITIZEN_ERRORS:
                    self.progress({"scan": "problem", "error": done.error})
                elif not done.ok:
                    finish(failure(done))
                    return
                else:
                    shot += 1
                    self.pages[ref] = done.data["png"]  # a page scanned again replaces it
                    self.progress({"scan": "ready", "ref": ref, "shot": shot})
                    if wait_for("again", "keep") != "keep":
                        continue
                    finish(
                        {
                            "result": {
                                "document_ref": ref,
                                "pages": 1,
                                "width_mm": done.data["width_mm"],
                                "height_mm": done.data["height_mm"],
                                "resolution": done.data["resolution"],
                            }
                        }
                    )
                    return
                if wait_for("again", "scan") is None:
                    return

        def cancel() -> None:
            stop.set()
            for handle in list(running):
                handle.cancel()
            with self._decided:
                self._decided.notify_all()

        threading.Thread(target=run, daemon=True, name="scan-document").start()
        return cancel

    def wipe(self) -> None:
        self.pages.clear()
        with self._decided:
            self._decisions.clear()
