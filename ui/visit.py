"""A citizen's visit: what they chose on the screen, and whether they were greeted.

The choices (language, text size, the wheelchair layout, the volume) stay while
someone is there and go back to the terminal's own for the next person: at the
session's end, or once the home screen sat idle for HOME_IDLE_S. The greeting is
said once per approach. The shell (ui/shell.py) owns the visit and shows its
choices; the visit tells the screen through the shell's signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from kiosk.strings import KNOWN_LANGUAGES
from ui.theme import Theme

if TYPE_CHECKING:
    from ui.shell import KioskShell

log = logging.getLogger("kiosk.ui.shell")  # the shell's log: its readers' filters hold

# A citizen who changed the language or the text size on the home screen and left
# without starting: the next one finds the terminal's own choices after this long.
HOME_IDLE_S = 60
# Said once per approach: when someone comes up to the terminal (the presence
# sensor, where there is one) or first touches the home screen; again only after
# the home screen was idle for HOME_IDLE_S or a session ended.
GREETING = "ui.home.greeting"


class Visit:
    """The person at the screen now, as far as the screen keeps anything of them."""

    def __init__(
        self,
        shell: KioskShell,
        theme: Theme,
        language: str,
        languages: list[str],
        on_language: Callable[[str], None],
    ) -> None:
        self.shell = shell
        self.theme = theme
        self.languages = languages  # the city pack's, offered in the header
        self.on_language = on_language
        self._default_lang = language
        self.lang = language
        self.elderly = False
        self.reach = False  # the wheelchair layout: every action low on the screen
        self.greeted = False  # this approach was greeted
        self._default_volume = shell.voice.volume
        self.idle = QTimer(shell)  # the home screen left alone: the choices go
        self.idle.setSingleShot(True)
        self.idle.setInterval(HOME_IDLE_S * 1000)

    def touched(self, greet: bool = True) -> None:
        """A touch on the home screen: its choices stay while someone is there, and
        the first one greets."""
        shell = self.shell
        if not shell.in_session():
            self.idle.start()
            if not self.greeted and shell.screen == "home" and not shell.closed:
                self.greeted = True
                if greet:
                    shell.voice.say(GREETING, self.lang)

    def set_language(self, lang: str) -> None:
        self.touched()
        if lang not in KNOWN_LANGUAGES:
            log.error("no catalogue for language %r: the screen stays in %s", lang, self.lang)
            return
        if lang != self.lang:
            self.lang = lang
            self.on_language(lang)
            self.shell.languageChanged.emit()
            self.shell.replay()

    def next_language(self) -> None:
        """The next of the pack's languages (the header offers each by name)."""
        order = self.languages if self.lang in self.languages else [self.lang, *self.languages]
        self.set_language(order[(order.index(self.lang) + 1) % len(order)])

    def toggle_elderly(self) -> None:
        self.touched()
        self.elderly = not self.elderly
        self.theme.set_elderly(self.elderly)
        self.shell.modeChanged.emit()

    def toggle_reach(self) -> None:
        self.touched()
        self.reach = not self.reach
        self.theme.set_reach(self.reach)
        self.shell.modeChanged.emit()

    def reset(self) -> None:
        """The terminal's own language, text size, layout and volume, and a fresh keyboard:
        nothing one citizen chose is there for the next."""
        shell = self.shell
        self.idle.stop()
        if self.lang != self._default_lang:
            self.lang = self._default_lang
            self.on_language(self.lang)
            shell.languageChanged.emit()
        if self.elderly:
            self.elderly = False
            self.theme.set_elderly(False)
            shell.modeChanged.emit()
        if self.reach:
            self.reach = False
            self.theme.set_reach(False)
            shell.modeChanged.emit()
        shell.voice.set_volume(self._default_volume)
        shell.sessionReset.emit()
