"""Several step services as one: the composer the shell is handed.

Each part keeps the step-service contract (kiosk/steps/__init__.py); the chain asks
them in order which one serves a step type, and hands to every part what the shell
hands in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.steps.devices import Finish
from wire.sync import SessionReport


class ServiceChain:
    """Several step services as one: the first that serves a step type runs it; the
    shell's demo services answer the rest. What the shell hands in (progress news,
    the session's photos) reaches every part that takes it."""

    def __init__(self, *parts: Any) -> None:
        self.parts = parts
        self.fallback = None

    def serves(self, step_type: str) -> bool:
        return any(part.serves(step_type) for part in self.parts)

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        part = next(p for p in self.parts if p.serves(step_type))
        cancel: Callable[[], None] = part.start(step_type, params, inputs, finish)
        return cancel

    def wipe(self) -> None:
        for part in self.parts:
            part.wipe()

    def session_ended(
        self,
        session: str,
        flow: str,
        outcome: str,
        rating: int | None,
        report: SessionReport | None = None,
    ) -> None:
        for part in self.parts:
            if hasattr(part, "session_ended"):
                part.session_ended(session, flow, outcome, rating, report)

    def _hand_in(self, name: str, value: Any) -> None:
        for part in self.parts:
            if hasattr(part, name):
                setattr(part, name, value)

    progress = property(lambda self: None, lambda self, v: self._hand_in("progress", v))
    preview = property(lambda self: None, lambda self, v: self._hand_in("preview", v))
    session_photos = property(lambda self: None, lambda self, v: self._hand_in("session_photos", v))
    language = property(lambda self: None, lambda self, v: self._hand_in("language", v))
    citizen_session = property(
        lambda self: None, lambda self, v: self._hand_in("citizen_session", v)
    )

    def scanned(self, ref: str) -> bytes | None:
        """A page the session scanned (the scan screen's preview)."""
        for part in self.parts:
            if hasattr(part, "scanned"):
                page: bytes | None = part.scanned(ref)
                if page is not None:
                    return page
        return None

    def decide(self, choice: str) -> None:
        """The citizen's tap on the scan screen (Scan, Scan again, Confirm)."""
        for part in self.parts:
            if hasattr(part, "decide"):
                part.decide(choice)

    def signature(self, ref: str) -> bytes | None:
        """A signature the session took (the sign screen's picture of it)."""
        for part in self.parts:
            if hasattr(part, "signature"):
                picture: bytes | None = part.signature(ref)
                if picture is not None:
                    return picture
        return None

    def sign_decide(self, choice: str) -> None:
        """The citizen's tap on the sign screen (Sign again, Confirm)."""
        for part in self.parts:
            if hasattr(part, "sign_decide"):
                part.sign_decide(choice)

    @property
    def takes_cards(self) -> bool:
        return any(getattr(part, "takes_cards", False) for part in self.parts)

    def use_card(self) -> None:
        for part in self.parts:
            if getattr(part, "takes_cards", False):
                part.use_card()
