"""The city pack: what differs by city (issuer, fees' texts, document wording and
validity, the languages on the screen), one folder of data. A default pack ships
with the terminal, beside examples for other cities (`xinjiang`: Uyghur as a third
language); the configuration's `terminal.city_pack` names the one in use.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    return pack
