"""One baresip process (Debian's SIP phone) with a private config folder, driven over
its `ctrl_tcp` module: netstring-framed JSON on a loopback TCP port.

A command is `{"command": "dial", "params": "sip:...", "token": "7"}`; baresip
answers `{"response": true, "ok": true, "data": "...", "token": "7"}` and tells what
happens to calls as events, `{"event": true, "type": "CALL_RINGING", "id": ...,
"param": ...}`. The framing and the JSON are ours, written from the netstring
definition (D. J. Bernstein) and baresip's module source; nothing here knows about
the help screen.

The folder (mode 0700) holds `config` and an empty `accounts` and nothing else: the
account, with its password, is made over the control link (`uanew`), and no
recording module is ever loaded for the booth.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk.intercom")


class SipStackError(Exception):
    """The SIP stack cannot be used: baresip or a module missing, it did not start, or
    it stopped answering. The message says which, for the technician's log."""


@dataclass(frozen=True)
class Phone:
    """What one baresip is set up with (written to its private config)."""

    account: str  # the account line's address, e.g. sip:booth-17@10.20.0.5
    listen: str = "0.0.0.0:5060"
    account_params: dict[str, str] = field(default_factory=dict)  # regint, auth_pass, ...
    media_address: str | None = None
    audio_source: str = "alsa,default"
    audio_player: str = "alsa,default"
    video_source: str | None = None
    video_size: str = "352x288"
    video_fps: int = 15
    max_calls: int = 1  # a second call to the booth is refused by baresip (486)
    record_to: Path | None = None  # the test peer only: the `sndfile` module dumps its audio
    baresip: Path = Path("/usr/bin/baresip")
    modules: Path = Path("/usr/lib/baresip/modules")


@dataclass(frozen=True)
class Event:
    """A baresip event about a call (or a registration)."""

    type: str  # CALL_RINGING, CALL_ESTABLISHED, CALL_CLOSED, REGISTER_OK, ...
    call: str  # baresip's call id ("" when the event has none)
    direction: str  # outgoing, incoming
    peer: str  # the other side's SIP address
    param: str  # the event's detail: for CALL_CLOSED, why ("486 Busy Here")
    account: str


# --- netstrings: "<length>:<bytes>," ---------------------------------------------------


def netstring(payload: bytes) -> bytes:
    return b"%d:%s," % (len(payload), payload)


class NetstringReader:
    """Cuts a byte stream into netstrings; raises ValueError on a malformed frame
    (baresip never sends one: the link is then dropped, not guessed at)."""

    MAX = 1_000_000

    def __init__(self) -> None:
        self.buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        found: list[bytes] = []
        while True:
            colon = self.buffer.find(b":")
            if colon < 0:
                if len(self.buffer) > 10:
                    raise ValueError(f"no netstring length in {self.buffer[:20]!r}")
                return found
            digits = self.buffer[:colon]
            if not digits.isdigit() or len(digits) > 7 or int(digits) > self.MAX:
                raise ValueError(f"bad netstring length {digits[:20]!r}")
            end = colon + 1 + int(digits)
            if len(self.buffer) < end + 1:
                return found
            if self.buffer[end : end + 1] != b",":
                raise ValueError("netstring not closed by ','")
            found.append(self.buffer[colon + 1 : end])
            self.buffer = self.buffer[end + 1 :]


# --- the process ---------------------------------------------------------------------------

# Modules every phone loads: codecs (Opus, G.711 for older desk phones, VP8 video),
# the account file, the command set (menu) and the control port.
CODECS = ("opus", "g711", "vp8")


class Baresip:
    """Start with `start()`; `command()` from any thread; events reach `on_event` on
    the reader thread, and `on_exit` once if the process or its link goes."""

    def __init__(
        self,
        phone: Phone,
        on_event: Callable[[Event], None],
        on_exit: Callable[[str], None] = lambda why: None,
    ) -> None:
        self.phone = phone
        self.on_event = on_event
        self.on_exit = on_exit
        self.folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._link: socket.socket | None = None
        self._send = threading.Lock()
        self._pending: dict[str, Future[dict[str, Any]]] = {}
        self._tokens = 0
        self._stopping = False

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None and bool(self._link)

    def start(self, timeout_s: float = 5.0) -> None:
        """Write the private config, start baresip, connect to its control port."""
        self._check_installed()
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-sip-"))  # mode 0700
        port = _free_port(socket.SOCK_STREAM)
        write_config(self.folder, self.phone, port)
        self._stopping = False
        self._process = subprocess.Popen(
            [str(self.phone.baresip), "-f", str(self.folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # its console: call statistics, nothing we read
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C at the kiosk's terminal is the kiosk's
        )
        deadline = time.monotonic() + timeout_s
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._cleanup()
                raise SipStackError(
                    f"baresip exited at start (code {code}): is the SIP port "
                    f"{self.phone.listen} free and its media device there?"
                )
            try:
                self._link = socket.create_connection(("127.0.0.1", port), timeout=0.5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SipStackError(
                        f"baresip did not open its control port in {timeout_s} s"
                    ) from None
                time.sleep(0.03)
        self._link.settimeout(None)
        threading.Thread(target=self._read, args=(self._link,), daemon=True,
                         name="baresip-ctrl").start()  # fmt: skip
        # the account is made now, not from the accounts file: its registration's
        # events then come to us, and the password never touches the disk
        made = self.command("uanew", account_line(self.phone))
        if not made.get("ok"):
            self.stop()
            raise SipStackError(f"baresip refused the account {self.phone.account}")
        log.info("SIP phone %s started (baresip pid %d)", self.phone.account, self._process.pid)

    def command(self, name: str, params: str = "", timeout_s: float = 3.0) -> dict[str, Any]:
        """Send one command; its response (`ok`, `data`), or SipStackError."""
        link = self._link
        if link is None:
            raise SipStackError("baresip is not running")
        with self._send:
            self._tokens += 1
            token = str(self._tokens)
            answer: Future[dict[str, Any]] = Future()
            self._pending[token] = answer
            frame = json.dumps({"command": name, "params": params, "token": token})
            try:
                link.sendall(netstring(frame.encode()))
            except OSError as exc:
                self._pending.pop(token, None)
                raise SipStackError(f"baresip's control link: {exc}") from None
        try:
            return answer.result(timeout_s)
        except TimeoutError:
            raise SipStackError(f"baresip did not answer {name!r} in {timeout_s} s") from None
        finally:
            self._pending.pop(token, None)

    def stop(self) -> None:
        """Quit baresip (a call still up is hung up by it), then remove the folder."""
        self._stopping = True
        if self._link is not None and self._process is not None and self._process.poll() is None:
            try:
                self.command("quit", timeout_s=1.0)
            except SipStackError:
                pass
        if self._process is not None:
            try:
                self._process.wait(2.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(2.0)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._link is not None:
            try:
                self._link.close()
            except OSError:
                pass
            self._link = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def _check_installed(self) -> None:
        if not os.access(self.phone.baresip, os.X_OK):
            raise SipStackError(f"{self.phone.baresip} not found: apt-get install baresip-core")
        for module in modules_of(self.phone):
            if not (self.phone.modules / f"{module}.so").is_file():
                raise SipStackError(f"baresip has no module {module!r} in {self.phone.modules}")

    def _read(self, link: socket.socket) -> None:
        frames = NetstringReader()
        why = "baresip closed its control link"
        try:
            while True:
                data = link.recv(65536)
                if not data:
                    break
                for frame in frames.feed(data):
                    self._dispatch(json.loads(frame))
        except (OSError, ValueError) as exc:  # ValueError: JSON or framing
            why = f"baresip's control link broke: {exc}"
        for waiting in list(self._pending.values()):
            if not waiting.done():
                waiting.set_exception(SipStackError(why))
        if not self._stopping:
            log.error("SIP phone: %s", why)
            self.on_exit(why)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("response"):
            waiting = self._pending.get(str(message.get("token")))
            if waiting is not None and not waiting.done():
                waiting.set_result(message)
        elif message.get("event"):
            event = Event(type=str(message.get("type", "")), call=str(message.get("id", "")),
                          direction=str(message.get("direction", "")),
                          peer=str(message.get("peeruri", "")),
                          param=str(message.get("param", "")),
                          account=str(message.get("accountaor", "")))  # fmt: skip
            try:
                self.on_event(event)
            except Exception:  # a bug in a listener must not stop the reader
                log.exception("SIP event %s not handled", event.type)


def modules_of(phone: Phone) -> list[str]:
    media = [phone.audio_source, phone.audio_player]
    if phone.video_source is not None:
        media += [phone.video_source, "fakevideo"]  # fakevideo: the display (none on the booth)
    names = [*CODECS, *(m.split(",")[0] for m in media), "account", "menu", "ctrl_tcp"]
    if phone.record_to is not None:
        names.append("sndfile")
    return list(dict.fromkeys(names))


def write_config(folder: Path, phone: Phone, control_port: int) -> None:
    """baresip's `config` (and an empty `accounts`), in the phone's private folder."""
    lines = [
        "poll_method epoll",
        f"sip_listen {phone.listen}",
        f"call_max_calls {phone.max_calls}",
        f"audio_source {phone.audio_source}",
        f"audio_player {phone.audio_player}",
        f"audio_alert {phone.audio_player}",
        f"module_path {phone.modules}",
        f"ctrl_tcp_listen 127.0.0.1:{control_port}",  # loopback only: it can dial
        "statmode_default off",
    ]
    if phone.media_address:
        lines.append(f"net_interface {phone.media_address}")
    if phone.video_source is not None:
        lines += [f"video_source {phone.video_source}", "video_display fakevideo,nil",
                  f"video_size {phone.video_size}", f"video_fps {phone.video_fps}"]  # fmt: skip
    if phone.record_to is not None:
        lines.append(f"snd_path {phone.record_to}")
    apps = {"menu", "ctrl_tcp"}
    for module in modules_of(phone):
        kind = "module_app" if module in apps else "module_tmp" if module == "account" else "module"
        lines.append(f"{kind} {module}.so")
    (folder / "config").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "accounts").write_text("", encoding="utf-8")  # made by `uanew` instead


def account_line(phone: Phone) -> str:
    """baresip's account line: `<sip:booth-17@10.20.0.5>;regint=600;auth_pass=...`."""
    params = "".join(f";{key}={value}" for key, value in phone.account_params.items())
    return f"<{phone.account}>{params}"


def _free_port(kind: socket.SocketKind) -> int:
    """A loopback port nobody holds now (baresip binds it a moment later)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_udp_port() -> int:
    return _free_port(socket.SOCK_DGRAM)
