"""Headless Chromium (Debian's package) for the fleet console's test: the page as
the browser built it after its scripts ran, and a screenshot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=8000", "--lang=zh-CN",
]  # fmt: skip


def missing() -> str | None:
    return None if shutil.which("chromium") else "chromium is not installed (make test installs it)"


def render(url: str, screenshot: Path | None = None, size: str = "1280,900") -> str:
    """The DOM after the page's scripts ran (and a PNG of it, if asked)."""
    with tempfile.TemporaryDirectory(prefix="kiosk-chromium-") as profile:
        base = ["chromium", *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}"]
        if screenshot is not None:
            subprocess.run([*base, f"--screenshot={screenshot}", url], capture_output=True,
                           timeout=120, check=True)  # fmt: skip
        done = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True,
                              timeout=120, check=True)  # fmt: skip
    return done.stdout
