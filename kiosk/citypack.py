"""The city pack: what differs by city (issuer, fees' texts, document wording and
validity, the languages on the screen), one folder of data. A default pack ships
with the terminal, beside examples for other cities (`xinjiang`: Uyghur as a third
language); the configuration's `terminal.city_pack` names the one in use.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kiosk.errors import ConfigError
from kiosk.strings import KNOWN_LANGUAGES, LOCALE_DIR

PACKS = Path(__file__).resolve().parent / "citypacks"
PACK_FILE = "pack.toml"


class DocumentRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str  # message id
    body: str  # message id, with {name} {sex} {id_number} {date} and the details
    valid_days: int = Field(ge=1, le=3650)
    uses: list[str] = Field(min_length=1)
    max_per_year: int | None = Field(None, ge=1)


@dataclass(frozen=True)
class NightHours:
    """When the idle screen sleeps: from `start` to `end`, across midnight if end < start."""

    start: time
    end: time

    def contains(self, now: time) -> bool:
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end  # 23:00-06:00: late or early


HOURS = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


def parse_hours(text: str) -> NightHours:
    """Night hours written as "23:00-06:00" (a 24-hour clock). ValueError for anything
    else, and for a range that ends where it starts (empty, or a whole day: which?)."""
    found = HOURS.fullmatch(text)
    if found is None:
        raise ValueError(text)
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60) or (h1, m1) == (h2, m2):
        raise ValueError(text)
    return NightHours(time(h1, m1), time(h2, m2))


class ScreenRules(BaseModel):
    """The `[screen]` table: when the idle home screen sleeps (ui/sleep.py)."""

    model_config = ConfigDict(extra="forbid")
    sleep: str | None = None  # night hours, "23:00-06:00"; none: never sleeps
    # how long the home screen stays untouched, within those hours, before it sleeps
    sleep_after_s: int = Field(120, ge=10, le=3600)

    def night(self) -> NightHours | None:
        return parse_hours(self.sleep) if self.sleep is not None else None


CardBackLine = Literal["kind", "valid_until", "trips", "office"]


class CardBackLayout(BaseModel):
    """The `[card_back]` table: the permit's rewritable strip and what the card printer
    puts on it after an endorsement (kiosk/documents/card_back.py draws it). The strip's
    size is the card's (mm) and the module's (dots): a module of another size refuses
    the image, so a technician sees the pack does not fit the machine."""

    model_config = ConfigDict(extra="forbid")
    area_mm: tuple[float, float] = (72.0, 24.0)  # width, height
    area_dots: tuple[int, int] = (576, 192)  # the card printer's dots over it
    font_pt: float = Field(9.0, ge=5.0, le=24.0)  # the text's size, in points
    line_spacing: float = Field(1.5, ge=1.0, le=3.0)  # a line's height, in font sizes
    margin_mm: tuple[float, float] = (2.0, 1.5)  # left and top
    lines: list[CardBackLine] = Field(default=["kind", "valid_until", "trips", "office"],
                                      min_length=1, max_length=8)  # fmt: skip
    office: str | None = Field(None, min_length=1, max_length=30)  # none: the pack's issuer

    @property
    def dots_per_mm(self) -> float:
        return self.area_dots[0] / self.area_mm[0]

    def dots(self, mm: float) -> int:
        return round(mm * self.dots_per_mm)

    @property
    def font_dots(self) -> int:
        return round(self.font_pt * 25.4 / 72 * self.dots_per_mm)

    @property
    def line_dots(self) -> int:
        return round(self.font_dots * self.line_spacing)

    @model_validator(mode="after")
    def _fits(self) -> Self:
        (width_mm, height_mm), (width, height) = self.area_mm, self.area_dots
        if min(width_mm, height_mm, width, height) <= 0:
            raise ValueError("the strip's size must be more than nothing")
        across, down = width / width_mm, height / height_mm
        if not 4 <= across <= 24 or abs(across - down) > 0.03 * across:
            raise ValueError(f"{width}x{height} dots over {width_mm}x{height_mm} mm: "
                             f"{across:.1f} by {down:.1f} dots/mm, not a printer's")  # fmt: skip
        used = self.dots(self.margin_mm[1]) * 2 + self.line_dots * (len(self.lines) - 1)
        if used + self.font_dots > height:
            raise ValueError(f"{len(self.lines)} lines of {self.font_pt} pt need "
                             f"{used + self.font_dots} dots; the strip has {height}")  # fmt: skip
        return self


class CityPack(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)
    city: str
    issuer: str = Field(min_length=1, max_length=60)
    help_phone: str  # on the help screen when the officer cannot be reached, and on vouchers
    # the nearest counter with staff, with its hours (the help screen, when offline)
    help_counter: str = Field(min_length=1, max_length=80)
    documents: dict[str, DocumentRules]
    # the languages a citizen can choose, in the order the header offers them; each
    # needs a catalogue (kiosk/locale/<code>/)
    languages: list[str] = Field(default=["zh_CN", "en"], min_length=1)
    screen: ScreenRules = ScreenRules()
    card_back: CardBackLayout = CardBackLayout()


def load_pack(name: str = "default", folder: Path = PACKS) -> CityPack:
    path = folder / name / PACK_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("config.unreadable", file=path, reason=exc.strerror) from None
    return parse_pack(text, path)


def parse_pack(text: str, path: object) -> CityPack:
    """A pack.toml's text (packaged, or pulled from the backend) as a city pack;
    `path` says where it came from, in the error."""
    try:
        pack = CityPack.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config.bad_toml", file=path, reason=exc) from None
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(
            "config.invalid",
            origin=path,
            key=".".join(str(p) for p in error["loc"]),
            value="",
            problem=error["msg"],
            more="",
        ) from None
    for lang in pack.languages:
        if lang not in KNOWN_LANGUAGES or not (LOCALE_DIR / lang).is_dir():
            raise ConfigError(
                "config.pack_language", file=path, language=lang, known=", ".join(KNOWN_LANGUAGES)
            )
    if len(set(pack.languages)) != len(pack.languages):
        raise ConfigError(
            "config.pack_language_twice", file=path, languages=", ".join(pack.languages)
        )
    try:
        pack.screen.night()
    except ValueError:
        raise ConfigError("config.pack_sleep", file=path, value=pack.screen.sleep) from None
    return pack
