"""What a `receipt_printer` driver offers: ours (`EscPosPrinter`) or a vendor's.

Commands return at once with a handle; the completion arrives as an event through
`on_event` (and from `handle.result()`, which never waits past the timeout).
Status changes arrive as `StatusChanged` events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from drivers.model import Status
from drivers.receipt_printer.slip import Slip
from drivers.worker import CommandHandle


class ReceiptPrinter(Protocol):
    status: Status

    def __init__(
        self, port: str, name: str = ..., *, on_event: Callable[[Any], None] | None = ...
    ) -> None: ...

    def open(self, timeout_s: float = ...) -> CommandHandle: ...

    def query_status(self, timeout_s: float = ...) -> CommandHandle: ...

    def print_slip(self, slip: Slip, timeout_s: float = ...) -> CommandHandle: ...

    def self_test(self, timeout_s: float = ...) -> CommandHandle: ...

    def close(self) -> None: ...
