"""The message catalogue: everything a person reads or hears, keyed by message id.

Files: `kiosk/locale/<language>/<domain>.po` (gettext, read with Babel). Chinese
(`zh_CN`) is the source language, English (`en`) the first translation; both are
complete. A regional language a city pack adds (Uyghur, `ug`) covers what a citizen
reads and hears (its `domains`); the rest (the CLI, printed documents) falls back to
Chinese, the language of the documents themselves. Each area
keeps its own domain file (`cli.po`, `flows.po`, `ui.po`, ...) so that work on one
area never edits another's lines; together they are one catalogue, and a message
id may stand in only one domain.

Texts use `{name}` placeholders, filled by `text(..., name=value)`.
"""

from __future__ import annotations

import logging
import os
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

SOURCE_LANGUAGE = "zh_CN"


@dataclass(frozen=True)
class Language:
    """A language the terminal can speak: its code (the folder under locale/),
    whether it is written right to left, and the domains it must translate
    (None: all of them; the others fall back to the source language)."""

    code: str
    right_to_left: bool = False
    domains: tuple[str, ...] | None = None


KNOWN_LANGUAGES = {
    language.code: language
    for language in (
        Language("zh_CN"),
        Language("en"),
        # Uyghur, in its Arabic script: the screens, the services and the photo hints
        Language("ug", right_to_left=True, domains=("ui", "flows", "services", "photo")),
    )
}
# the complete catalogues: what the CLI offers and every message must have
LANGUAGES = tuple(code for code, lang in KNOWN_LANGUAGES.items() if lang.domains is None)
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Msg:
    """A message to show later, in whatever language the reader has.

    A parameter may itself be a `Msg`; it is rendered in the same language.
    """

    id: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    text: str
    file: Path
    line: int


@dataclass
class Catalogue:
    """Texts by language and message id, with where each was defined."""

    messages: dict[str, dict[str, Message]] = field(default_factory=dict)
    problems_at_load: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, folders: Iterable[Path] = (LOCALE_DIR,)) -> Catalogue:
        catalogue = cls({lang: {} for lang in KNOWN_LANGUAGES})
        for folder in folders:
            for lang in KNOWN_LANGUAGES:
                for po in sorted((folder / lang).glob("*.po")):
                    catalogue._read(lang, po)
        return catalogue

    def _read(self, lang: str, po: Path) -> None:
        with po.open("rb") as handle:
            try:
                catalog = read_po(handle, abort_invalid=True)
            except Exception as exc:  # Babel raises several kinds for a broken file
                self.problems_at_load.append(f"{po}: not a valid .po file: {exc}")
                return
        known = self.messages[lang]
        for entry in catalog:
            if not entry.id or not isinstance(entry.id, str):
                continue  # the header, or a plural entry (not used: ids carry the count)
            line = entry.lineno or 0
            if entry.id in known:
                first = known[entry.id]
                self.problems_at_load.append(
                    f"{po}:{line}: message id {entry.id!r} already defined at "
                    f"{first.file}:{first.line}"
                )
                continue
            text = entry.string if isinstance(entry.string, str) else ""
            if entry.fuzzy:
                text = ""  # a fuzzy translation is an unchecked guess: treat as missing
            known[entry.id] = Message(text, po, line)

    def ids(self) -> set[str]:
        return set().union(*(set(by_id) for by_id in self.messages.values()))

    def text(self, message_id: str, lang: str = SOURCE_LANGUAGE, /, **params: object) -> str:
        """The text in `lang`, falling back to the source language, then the id itself.

        A fallback never happens in a tested build (`problems()` is empty); at a
        terminal it is logged rather than shown as an error to a citizen.
        """
        for candidate in (lang, SOURCE_LANGUAGE):
            message = self.messages.get(candidate, {}).get(message_id)
            if message is not None and message.text:
                if candidate != lang and self.required(message_id, lang):
                    log.warning("message %s has no %s text", message_id, lang)
                try:
                    return message.text.format(**params) if params else message.text
                except (KeyError, IndexError, ValueError):
                    log.error(
                        "message %s: placeholders do not match %s", message_id, sorted(params)
                    )
                    return message.text
        log.error("message id %s is not in the catalogue", message_id)
        return message_id

    def domain(self, message_id: str) -> str:
        """The domain (the .po file's name) that defines `message_id` in the source language."""
        message = self.messages.get(SOURCE_LANGUAGE, {}).get(message_id)
        return message.file.stem if message is not None else ""

    def required(self, message_id: str, lang: str) -> bool:
        """Whether `lang` must translate `message_id` (else Chinese stands in for it)."""
        language = KNOWN_LANGUAGES.get(lang)
        if language is None or language.domains is None:
            return True
        return self.domain(message_id) in language.domains

    def render(self, msg: Msg, lang: str = SOURCE_LANGUAGE) -> str:
        params = {
            key: self.render(value, lang) if isinstance(value, Msg) else value
            for key, value in msg.params.items()
        }
        return self.text(msg.id, lang, **params)

    def problems(self) -> list[str]:
        """Every reason the catalogue is not fit to ship, one line each."""
        found = list(self.problems_at_load)
        for message_id in sorted(self.ids()):
            source = self.messages[SOURCE_LANGUAGE].get(message_id)
            for lang in KNOWN_LANGUAGES:
                message = self.messages[lang].get(message_id)
                if (message is None or not message.text) and not self.required(message_id, lang):
                    continue  # a partial language: Chinese stands in, as declared
                if message is None or not message.text:
                    where = f"{message.file}:{message.line}: " if message else ""
                    found.append(f"{where}message id {message_id!r} has no {lang} text")
                elif source is not None and source.text and lang != SOURCE_LANGUAGE:
                    ours, theirs = _placeholders(message.text), _placeholders(source.text)
                    if ours != theirs:
                        found.append(
                            f"{message.file}:{message.line}: {message_id!r} uses placeholders "
                            f"{sorted(ours)} but the {SOURCE_LANGUAGE} text uses {sorted(theirs)}"
                        )
        return found


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def right_to_left(lang: str) -> bool:
    language = KNOWN_LANGUAGES.get(lang)
    return language is not None and language.right_to_left


def language_from_environment(env: Mapping[str, str] | None = None) -> str:
    """`KIOSK_LANG`, else the locale variables: Chinese if they say zh, else English."""
    env = os.environ if env is None else env
    wanted = env.get("KIOSK_LANG", "")
    if wanted in LANGUAGES:
        return wanted
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return SOURCE_LANGUAGE if value.lower().startswith("zh") else "en"
    return "en"


_default: Catalogue | None = None


def catalogue() -> Catalogue:
    """The shipped catalogue, read once per process."""
    global _default
    if _default is None:
        _default = Catalogue.load()
    return _default
