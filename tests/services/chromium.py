"""Headless Chromium (Debian's package) for the fleet console's test: the page as
the browser built it after its scripts ran, and a screenshot; or a live page driven
over the DevTools protocol (real clicks, scripts running in real time)."""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=8000", "--lang=zh-CN",
]  # fmt: skip


def missing() -> str | None:
    return None if shutil.which("chromium") else "chromium is not installed (make test installs it)"


def _private_tmp(profile: str) -> dict[str, str]:
    """Chromium's own temporary folders (its singleton socket) in the profile, so they
    go with it: in /tmp, three were left by every run."""
    return {**os.environ, "TMPDIR": profile}


def render(url: str, screenshot: Path | None = None, size: str = "1280,900") -> str:
    """The DOM after the page's scripts ran (and a PNG of it, if asked)."""
    with tempfile.TemporaryDirectory(prefix="kiosk-chromium-") as profile:
        base = ["chromium", *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}"]
        env = _private_tmp(profile)
        if screenshot is not None:
            subprocess.run([*base, f"--screenshot={screenshot}", url], capture_output=True,
                           timeout=120, check=True, env=env)  # fmt: skip
        done = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True,
                              timeout=120, check=True, env=env)  # fmt: skip
    return done.stdout


class Page:
    """One tab, over the DevTools protocol."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        call = next(self.ids)
        self.socket.send(json.dumps({"id": call, "method": method, "params": params}))
        while True:  # events come in between; the answer carries the call's id
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == call:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message["result"])

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout_s: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError as exc:  # the page is still loading: no context to run in
                if "execution context" not in str(exc):
                    raise
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"still false after {timeout_s} s: {expression}")

    def click(self, selector: str) -> None:
        """A mouse press and release on the element's middle, as a finger would."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
                      clickCount=1)  # fmt: skip

    def type(self, selector: str, text: str) -> None:
        """A tap on the field, then the text as a keyboard would enter it."""
        self.click(selector)
        self.send("Input.insertText", text=text)

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot")["data"]))


@contextmanager
def live_page(url: str, size: str = "1280,900") -> Iterator[Page]:
    """The page open in a headless Chromium, its scripts running in real time."""
    flags = [f for f in FLAGS if not f.startswith("--virtual-time-budget")]
    with tempfile.TemporaryDirectory(prefix="kiosk-chromium-") as profile:
        browser = subprocess.Popen(
            ["chromium", *flags, f"--user-data-dir={profile}", f"--window-size={size}",
             "--remote-debugging-port=0", url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env=_private_tmp(profile),
        )  # fmt: skip
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.monotonic() > deadline or browser.poll() is not None:
                    raise RuntimeError("Chromium did not open its DevTools port")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                tab = next(t for t in json.load(r) if t["type"] == "page")
            with connect(tab["webSocketDebuggerUrl"], max_size=None) as socket:
                yield Page(socket)
        finally:  # the browser and its helpers (their own group) before the profile goes
            os.killpg(browser.pid, signal.SIGTERM)
            try:
                browser.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(browser.pid, signal.SIGKILL)
                browser.wait()
            _gone(browser.pid)


def _gone(group: int, timeout_s: float = 10.0) -> None:
    """Wait for the group's last process (a renderer still writes to the profile)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(group, signal.SIGKILL)
