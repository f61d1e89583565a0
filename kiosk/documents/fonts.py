"""Fonts for printed documents: embedded, with per-character fallback.

reportlab embeds TrueType outlines only (Noto CJK's PostScript outlines cannot
be embedded). WenQuanYi Micro Hei is the main face; names with rare characters
(生僻字, CJK extensions A and B, e.g. 䶮 U+4DAE, 𠮷 U+20BB7) fall back, character
by character, to HanaMin A and B, which cover them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from kiosk.errors import ServiceUnavailable

# (name, file, subfont index): the first is the main face, the rest fall back in order.
FACES = (
    ("WQYMicroHei", Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0),
    ("HanaMinA", Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"), 0),
    ("HanaMinB", Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"), 0),
)
MAIN = FACES[0][0]


class MissingGlyph(ValueError):
    """A character no installed face can draw: printing it would show a blank box."""


@dataclass(frozen=True)
class Run:
    font: str
    text: str


class FontSet:
    def __init__(self) -> None:
        self.coverage: dict[str, frozenset[int]] = {}
        for name, path, index in FACES:
            if not path.exists():
                raise ServiceUnavailable("documents.font_missing", font=name, path=path)
            font = TTFont(name, str(path), subfontIndex=index)
            pdfmetrics.registerFont(font)
            self.coverage[name] = frozenset(font.face.charToGlyph)

    def font_for(self, char: str) -> str:
        code = ord(char)
        if char.isspace():
            return MAIN
        for name in self.coverage:
            if code in self.coverage[name]:
                return name
        raise MissingGlyph(f"no font has U+{code:04X} {char!r}")

    def runs(self, text: str) -> list[Run]:
        """The text cut where the face must change; each run drawn in a face that has it."""
        runs: list[Run] = []
        for char in text:
            font = self.font_for(char)
            if runs and runs[-1].font == font:
                runs[-1] = Run(font, runs[-1].text + char)
            else:
                runs.append(Run(font, char))
        return runs

    def width(self, text: str, size: float) -> float:
        return sum(pdfmetrics.stringWidth(r.text, r.font, size) for r in self.runs(text))


@functools.cache
def fonts() -> FontSet:
    """Loaded once per process (about 0.7 s for the three faces)."""
    return FontSet()
