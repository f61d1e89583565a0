"""What a `card_payment` driver offers: ours (`EcrTerminal`) or a vendor's.

Every command returns a handle at once; the completion also arrives as an event.
A sale whose result is not known ends with the error `payment_unknown` (generic
code `timeout` or `canceled`), never as a failure: the caller queries the order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from drivers.model import Status
from drivers.worker import CommandHandle


class CardPaymentTerminal(Protocol):
    status: Status

    def __init__(
        self, port: str, name: str = ..., *, on_event: Callable[[Any], None] | None = ...
    ) -> None: ...

    def open(self, timeout_s: float = ...) -> CommandHandle: ...

    def query_status(self, timeout_s: float = ...) -> CommandHandle: ...

    def sale(self, order: str, amount_fen: int, timeout_s: float = ...) -> CommandHandle: ...

    def query(self, order: str, timeout_s: float = ...) -> CommandHandle: ...

    def void(self, order: str, timeout_s: float = ...) -> CommandHandle: ...

    def refund(self, order: str, amount_fen: int, timeout_s: float = ...) -> CommandHandle: ...

    def self_test(self, timeout_s: float = ...) -> CommandHandle: ...

    def close(self) -> None: ...
