"""Voice guidance: every screen speaks its instruction (Qt TextToSpeech; in
deployment the speechd engine with espeak-ng, in tests the mock engine).

Only catalogue message ids are spoken, never a value: the voice cannot say
anyone's name or number. `spoken` keeps what was said, for tests and the log.
"""

from __future__ import annotations

import logging

from kiosk.strings import Catalogue

log = logging.getLogger("kiosk.ui.voice")

LOCALES = {"zh_CN": "zh_CN", "en": "en_US"}


class Voice:
    def __init__(self, strings: Catalogue, engine: str | None = "mock", volume: float = 0.8):
        self.strings = strings
        self.spoken: list[tuple[str, str]] = []  # (language, message id)
        self._last: str | None = None
        self._speech = None
        if engine is not None:
            from PySide6.QtCore import QLocale
            from PySide6.QtTextToSpeech import QTextToSpeech

            if engine not in QTextToSpeech.availableEngines():
                log.error("no text-to-speech engine %s; the screens stay silent", engine)
            else:
                self._speech = QTextToSpeech(engine)
                self._speech.setVolume(volume)
                self._locale = QLocale
        self.volume = volume

    def say(self, message_id: str, lang: str) -> None:
        self._last = message_id
        self.spoken.append((lang, message_id))
        if self._speech is not None:
            self._speech.setLocale(self._locale(LOCALES.get(lang, lang)))
            self._speech.say(self.strings.text(message_id, lang))

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
