"""The relay: drains the outbox to the backend, at least once, in order per session.

Each round sends the oldest due records as one batch under their idempotency keys
and deletes what the backend acknowledged. When the backend is unreachable the
batch waits a full-jitter backoff (the outbox keeps the schedule). Back-pressure:
a backend that answers slowly gets smaller batches, one that says 429/503 gets
nothing until its Retry-After has passed; a fast one gets bigger batches again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError

from kiosk.sync.client import BackendClient, Refused, Unavailable
from offline_cache.outbox import Outbox, Pending
from wire.sync import MAX_BATCH, BatchReply, Record, RecordBatch

log = logging.getLogger("kiosk.sync.relay")

SLOW_S = 2.0  # an answer slower than this halves the next batch


@dataclass
class Round:
    sent: int = 0  # acknowledged by the backend
    duplicates: int = 0  # of which the backend already had
    failed: int = 0  # left for a later attempt
    held: int = 0  # refused for good, kept for a person
    waiting: bool = False  # the backend asked for a pause, or nothing was due


class Relay:
    def __init__(
        self,
        outbox: Outbox,
        client: BackendClient,
        batch_size: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.max_batch = max(1, min(batch_size, MAX_BATCH))
        self.batch_size = self.max_batch
        self.clock = clock
        self.paused_until = 0.0
        self.slow_s = SLOW_S

    def send_once(self) -> Round:
        """One batch: the oldest due records, sent and settled."""
        if self.clock() < self.paused_until:
            return Round(waiting=True)
        due = self.outbox.due(self.batch_size)
        if not due:
            return Round(waiting=True)
        records, unusable = _records(due)
        if unusable:  # a row that does not even make a record: a person must look
            self.outbox.hold(unusable, "not a valid record")
        if not records:
            return Round(held=len(unusable))
        keys = [r.key for r in records]
        started = time.monotonic()
        try:
            answer = self.client.call("POST", "/v1/records", RecordBatch(records=records))
            reply = BatchReply.model_validate_json(answer.content)
        except Unavailable as exc:
            self.outbox.failed(keys, str(exc))
            self.batch_size = max(1, self.batch_size // 2)
            if exc.retry_after:
                self.paused_until = self.clock() + exc.retry_after
            return Round(failed=len(keys), held=len(unusable))
        except ValidationError as exc:
            self.outbox.failed(keys, f"the backend's answer is not a batch reply: {exc}")
            return Round(failed=len(keys), held=len(unusable))
        except Refused as exc:
            return self._refused(exc, keys, len(unusable))
        elapsed = time.monotonic() - started
        acknowledged = [r.key for r in reply.receipts if r.key in set(keys)]
        self.outbox.acknowledged(acknowledged)
        # refused for good, alone: quarantined (kept, sealed, shown), never retried
        quarantined = [r for r in reply.refused if r.key in set(keys)]
        for refusal in quarantined:
            self.outbox.hold([refusal.key], f"the backend refused it: {refusal.detail}")
            log.error("record %s quarantined: %s", refusal.key, refusal.detail)
        missing = sorted(set(keys) - set(acknowledged) - {r.key for r in quarantined})
        if missing:  # never assume: what was not receipted goes again
            self.outbox.failed(missing, "no receipt in the backend's answer")
        if elapsed > self.slow_s:
            self.batch_size = max(1, self.batch_size // 2)
        else:
            self.batch_size = min(self.max_batch, self.batch_size * 2)
        return Round(
            sent=len(acknowledged),
            duplicates=sum(1 for r in reply.receipts if r.duplicate),
            failed=len(missing),
            held=len(unusable) + len(quarantined),
        )

    def drain(self, max_rounds: int = 1000) -> Round:
        """Sends until nothing is due or a round fails; the totals."""
        total = Round()
        for _ in range(max_rounds):
            step = self.send_once()
            total.sent += step.sent
            total.duplicates += step.duplicates
            total.failed += step.failed
            total.held += step.held
            if step.waiting or step.failed:
                total.waiting = step.waiting
                break
        return total

    def _refused(self, exc: Refused, keys: list[str], held: int) -> Round:
        if exc.status == 409 and exc.code == "key_reused":
            reused = [k for k in exc.body.get("keys", []) if k in keys]
            self.outbox.hold(reused, "the backend has this key with another body")
            log.error("backend holds %d key(s) with another body; held for a person", len(reused))
            return Round(held=held + len(reused))
        if exc.status in (413, 422) and len(keys) == 1:
            self.outbox.hold(keys, f"the backend cannot take it: {exc.detail}")
            return Round(held=held + 1)
        if exc.status in (413, 422):
            # too large a batch, or a bad record in it: smaller batches until it is alone
            self.batch_size = max(1, len(keys) // 2)
            return Round(failed=0, held=held)
        if exc.code == "clock_skew":
            self.outbox.note("clock_alert", json.dumps(
                {"at": self.clock(), "server_time": exc.body.get("server_time")}
            ))  # fmt: skip
        self.outbox.failed(keys, str(exc))
        log.warning("backend refused the batch: %s", exc)
        return Round(failed=len(keys), held=held)


def _records(due: list[Pending]) -> tuple[list[Record], list[str]]:
    records, unusable = [], []
    for row in due:
        try:
            records.append(Record(key=row.idempotency_key, kind=row.kind, session=row.session,
                                  created_at=row.created_at, body=row.record))  # fmt: skip
        except ValidationError:
            unusable.append(row.idempotency_key)
    return records, unusable
