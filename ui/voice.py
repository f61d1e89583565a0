"""Voice guidance: every screen speaks its instruction (Qt TextToSpeech; in
deployment the speechd engine with espeak-ng, in tests the mock engine).

Only catalogue message ids are spoken, never a value: the voice cannot say
anyone's name or number. `spoken` keeps what was said, for tests and the log.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.strings import Catalogue

log = logging.getLogger("kiosk.ui.voice")

LOCALES = {"zh_CN": "zh_CN", "en": "en_US"}


class Voice:
    def __init__(self, strings: Catalogue, engine: str | None = "mock", volume: float = 0.8):
        self.strings = strings
        self.engine = engine
        self.volume = volume
        self.spoken: list[tuple[str, str]] = []  # (language, message id)
        self._last: str | None = None
        self._speech: Any = None

    def _speaker(self) -> Any:
        """The engine, started on the first word (speech-dispatcher is not asked for
        until something is said)."""
        if self._speech is None and self.engine is not None:
            from PySide6.QtTextToSpeech import QTextToSpeech

            if self.engine not in QTextToSpeech.availableEngines():
                log.error("no text-to-speech engine %s: the screens stay silent", self.engine)
                self.engine = None
                return None
            self._speech = QTextToSpeech(self.engine)
            self._speech.setVolume(self.volume)
        return self._speech

    def say(self, message_id: str, lang: str) -> None:
        from PySide6.QtCore import QLocale

        self._last = message_id
        self.spoken.append((lang, message_id))
        speaker = self._speaker()
        if speaker is not None:
            speaker.setLocale(QLocale(LOCALES.get(lang, lang)))
            speaker.say(self.strings.text(message_id, lang))

    def replay(self, lang: str) -> None:
        if self._last is not None:
            self.say(self._last, lang)

    def set_volume(self, volume: float) -> None:
        self.volume = max(0.0, min(1.0, volume))
        if self._speech is not None:
            self._speech.setVolume(self.volume)

    def forget(self) -> None:
        """The session is over: no replay of its last words for the next person."""
        self._last = None
        if self._speech is not None:
            self._speech.stop()
