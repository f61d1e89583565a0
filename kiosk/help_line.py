"""求助: the citizen's call for the officer on duty.

The call goes to the backend at once, as a one-record batch on the signed records
endpoint, so that the console shows it within seconds; the backend's receipt is the
proof that somebody was told, and only then may the screen say "called at 14:02".
When the backend cannot be reached (or refuses), the call waits in the outbox under
the same key and with the same body (the backend opens one request however often it
arrives), and the screen gives the city pack's phone number and nearest counter.

What is sent is where the citizen stands in the service (screen, step, language,
large text), never who they are.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from kiosk.sync.client import BackendClient, Refused, Unavailable
from offline_cache.outbox import Outbox
from wire.sync import BatchReply, HelpCall, Record, RecordBatch, RecordKind

log = logging.getLogger("kiosk.help")


@dataclass(frozen=True)
class HelpAnswer:
    called_at: float | None  # the backend's time of receipt; None: nobody told yet
    queued: bool  # waits in the outbox, sent when the backend is back


class HelpLine:
    def __init__(
        self,
        client: BackendClient | None,
        outbox: Outbox | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client  # none: not enrolled
        self.outbox = outbox  # none: no usable offline cache
        self.clock = clock

    def call(self, where: HelpCall, session: str | None) -> HelpAnswer:
        """Blocks for at most the client's timeout: run it off the screen's thread."""
        record = Record(key=f"help-{uuid.uuid4().hex}", kind=RecordKind.HELP, session=session,
                        created_at=self.clock(), body=where.model_dump())  # fmt: skip
        if self.client is not None:
            try:
                answer = self.client.call("POST", "/v1/records", RecordBatch(records=[record]))
                (receipt,) = BatchReply.model_validate_json(answer.content).receipts
                log.info("help call %s received by the backend", record.key)
                return HelpAnswer(called_at=receipt.received_at, queued=False)
            except (Unavailable, Refused, ValidationError, ValueError) as exc:
                log.warning("help call %s not received: %s", record.key, exc)
        if self.outbox is None:
            return HelpAnswer(called_at=None, queued=False)
        try:
            self.outbox.add(RecordKind.HELP.value, record.body, session=session,
                            key=record.key, created_at=record.created_at)  # fmt: skip
        except sqlite3.Error as exc:
            log.error("help call %s could not be queued: %s", record.key, exc)
            return HelpAnswer(called_at=None, queued=False)
        return HelpAnswer(called_at=None, queued=True)
