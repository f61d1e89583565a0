"""Broken document-printer drivers, each with one classic mistake."""

from __future__ import annotations

import re
import tempfile

from drivers.document_printer.driver import CupsDocumentPrinter
from drivers.model import DeviceError


class DoneWhenSubmitted(CupsDocumentPrinter):
    """Calls the job printed as soon as CUPS took it."""

    def _print(self, pdf, title, ctx):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as document:
            document.write(pdf)
            document.flush()
            self._tool(ctx, "lp", "-d", self.queue, document.name)
        return {"state": "submitted"}


class LeavesTheJobQueued(CupsDocumentPrinter):
    """Gives up on a slow job but leaves it in the queue: it prints for the next citizen."""

    def _cancel(self, job):
        pass


class NeverRetriesAfterAFault(CupsDocumentPrinter):
    def _enable_if_stopped(self, ctx):
        pass


class JamAsPaperOut(CupsDocumentPrinter):
    def _print(self, pdf, title, ctx):
        try:
            return super()._print(pdf, title, ctx)
        except DeviceError as exc:
            exc.error = re.sub("jam", "paper_out", exc.error)
            raise


MUTANTS = {
    DoneWhenSubmitted: "paper out mid-job",
    LeavesTheJobQueued: "timeout cancels the job",
    NeverRetriesAfterAFault: "recovers after refill",
    JamAsPaperOut: "jam",
}
