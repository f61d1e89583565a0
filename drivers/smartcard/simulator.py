"""A simulated travel document in a real PC/SC reader: a card program that plugs
into pcscd's vpcd driver over TCP (localhost:35963 for the first reader).

vpcd's wire format: a 2-byte big-endian length, then one control byte (00 power
off, 01 power on, 02 reset, 04 get ATR) or a command APDU; the card answers with
length + response. Connected means inserted: removing the card closes the socket,
placing it connects again, and the chip keeps its memory (its endorsements) across.

Faults: `card_pulled` (the card leaves the field mid-APDU, without answering),
`wrong_mac` (the next protected answer is tampered with in transit), `tearing`
(power lost during the next record write; `profile.tearing_commits` says whether
the write had landed), `slow_answer`.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import cv2
import numpy as np

from drivers.faults import SLOW_ANSWER_MS
from drivers.simulator import FaultPlan
from drivers.smartcard import face, lds, mrz, pcscd, permit
from drivers.smartcard.chip import INS_APPEND_RECORD, Application, Chip
from drivers.smartcard.terminal import EF_COM, EF_DG1, EF_DG2, ICAO_AID

# An ISO 14443 card as a PC/SC reader reports it (T=1).
ATR = bytes.fromhex("3B8880010000000000000000")
# pcscd polls vpcd every 400 ms: a card back sooner than two polls after it left
# confuses its state (it powers the new card down). No hand is that quick anyway.
MIN_OUT_S = 1.0
_last_out: dict[int, float] = {}  # vpcd port -> when its card last left (any simulator's)
TEST_ISSUER_KEY = "000102030405060708090A0B0C0D0E0F"  # the simulators' only; never deployed
# the simulated citizen the camera simulator shows (drivers/camera/citizen/): the
# document's holder, so that a face check on simulated devices compares like with like
CITIZEN_FACE = Path(__file__).resolve().parents[1] / "camera" / "citizen" / "front.jpg"


@dataclass
class SmartcardProfile:
    reader: int = 0  # vpcd reader index: 0 -> port 35963
    document_number: str = "C01234567"
    birth_date: str = "800101"  # YYMMDD
    expiry_date: str = "300101"
    names: str = "ZHANG<<SAN"
    sex: str = "M"
    nationality: str = "CHN"
    name: str = "张三"
    authority: str = "公安部出入境管理局"
    face_image: str = str(CITIZEN_FACE)  # a portrait file; empty: a drawn face
    face_format: str = "jpeg"  # or jpeg2000
    face_bytes: int = 20_000  # about this large, as on real documents
    permit_applet: bool = True
    issuer_key: str = TEST_ISSUER_KEY
    endorsements: list[dict[str, object]] = field(default_factory=list)
    tearing_commits: bool = False  # a torn write had landed before the power went
    reinsert_ms: int = 0  # after card_pulled: back after this long; 0 waits for `place`

    @property
    def mrz_text(self) -> str:
        return mrz.compose_td3(
            self.document_number,
            self.birth_date,
            self.expiry_date,
            self.names,
            issuer=self.nationality,
            nationality=self.nationality,
            sex=self.sex,
        )

    @property
    def key_info(self) -> str:
        return mrz.key_info(self.document_number, self.birth_date, self.expiry_date)


def _portrait(image: np.ndarray) -> np.ndarray:
    """The middle of a picture at a 35x45 mm photo's proportions."""
    height, width = image.shape[:2]
    if width / height > 413 / 531:
        keep = int(height * 413 / 531)
        return image[:, (width - keep) // 2 : (width - keep) // 2 + keep]
    keep = int(width * 531 / 413)
    return image[(height - keep) // 2 : (height - keep) // 2 + keep]


def face_record(profile: SmartcardProfile) -> bytes:
    """DG2 with the profile's portrait, compressed to about `face_bytes`."""
    image = cv2.imread(profile.face_image) if profile.face_image else None
    if image is None:
        image = np.full((531, 413, 3), 235, np.uint8)
        cv2.ellipse(image, (206, 250), (120, 160), 0, 0, 360, (150, 180, 220), -1)
        cv2.rectangle(image, (0, 0), (412, 530), (200, 200, 200), 3)
    image = cv2.resize(_portrait(image), (413, 531))  # a 35x45 mm photo's proportions
    encoded = b""
    if profile.face_format == "jpeg2000":
        rate = max(1, profile.face_bytes * 1000 // (413 * 531 * 3))
        ok, buffer = cv2.imencode(".jp2", image, [cv2.IMWRITE_JPEG2000_COMPRESSION_X1000, rate])
        encoded = buffer.tobytes() if ok else b""
    else:
        for quality in range(95, 10, -5):  # the best quality that fits the size
            ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            encoded = buffer.tobytes()
            if len(encoded) <= profile.face_bytes:
                break
    return face.encode(encoded, profile.face_format, 413, 531)


def build_chip(profile: SmartcardProfile) -> Chip:
    key_info = profile.key_info
    icao = Application(
        ICAO_AID,
        key_info,
        {
            EF_COM: lds.encode_com([1, 2]),
            EF_DG1: lds.encode_dg1(profile.mrz_text),
            EF_DG2: face_record(profile),
        },
    )
    applications = [icao]
    if profile.permit_applet:
        issuer_key = bytes.fromhex(profile.issuer_key)
        card_key = permit.card_key(issuer_key, profile.document_number)
        holder = permit.Holder(
            profile.document_number,
            profile.name,
            profile.names.replace("<<", " ").replace("<", " ").strip(),
            _century(profile.birth_date, past=True),
            profile.sex,
            _century(profile.expiry_date, past=False),
            profile.authority,
        )
        existing = [permit.Endorsement(**e).sealed(card_key) for e in profile.endorsements]  # type: ignore[arg-type]
        applications.append(
            Application(
                permit.PERMIT_AID,
                key_info,
                {permit.HOLDER_FILE: holder.encode()},
                record_file=permit.ENDORSEMENT_FILE,
                records=existing,
                check_record=lambda record: permit.verify_record(record, card_key),
            )
        )
    return Chip(applications)


def _century(yymmdd: str, past: bool) -> str:
    year = int(yymmdd[:2])
    if past:
        return ("19" if year > 30 else "20") + yymmdd
    return "20" + yymmdd


class VpcdCardSimulator:
    name = "smartcard"
    profile_class = SmartcardProfile

    def __init__(self, profile: SmartcardProfile | None = None, faults: FaultPlan | None = None):
        self.profile = profile or SmartcardProfile()
        self.faults = faults or FaultPlan()
        self.chip = build_chip(self.profile)
        self.inserted = threading.Event()
        self.inserted.set()
        self.apdus = 0
        self._pending: set[str] = set()  # faults waiting for a command they apply to
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._daemon: pcscd.PcscDaemon | None = None
        self._connected = threading.Event()

    @property
    def address(self) -> str:
        """What a driver opens: the reader's PC/SC name."""
        return pcscd.READERS[self.profile.reader]

    @property
    def port(self) -> int:
        return pcscd.VPCD_PORTS[self.profile.reader]

    def start(self, wait_s: float = 10.0) -> Self:
        if not pcscd.card_port_open(self.port):
            self._daemon = pcscd.ensure_running()  # no pcscd: start one (needs root)
        self._thread = threading.Thread(target=self._serve, name="vpcd-card", daemon=True)
        self._thread.start()
        if not self._connected.wait(wait_s):
            self.stop()
            raise pcscd.PcscdError(f"the card did not reach vpcd on port {self.port}")
        return self

    def stop(self) -> None:
        self._stop.set()
        self.inserted.set()  # wake the loop so it sees the stop
        self._hang_up()
        if self._thread is not None:
            self._thread.join(timeout=3)
        if self._daemon is not None:
            self._daemon.stop()
            self._daemon = None

    def place_card(self) -> None:
        self.inserted.set()

    def remove_card(self) -> None:
        self.inserted.clear()
        self._hang_up()

    def drop_link(self, seconds: float = 1.0) -> None:
        """The card leaves the field for a moment and comes back."""
        self.remove_card()
        time.sleep(seconds)
        self.place_card()

    # --- the card program ---------------------------------------------------------------

    def _hang_up(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            _last_out[self.port] = time.monotonic()
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            self.inserted.wait()
            out_for = time.monotonic() - _last_out.get(self.port, 0.0)
            if out_for < MIN_OUT_S and self._stop.wait(MIN_OUT_S - out_for):
                return
            if self._stop.is_set():
                return
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            except OSError:
                time.sleep(0.2)  # pcscd restarting: try again, as a card put back would
                continue
            # vpcd writes the length and the APDU separately; without quick ACKs each
            # exchange waits out Linux's delayed ACK (40 ms per APDU instead of 1).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(None)
            self._sock = sock
            self.chip.reset()
            self._connected.set()
            try:
                self._talk(sock)
            except (OSError, EOFError):
                pass
            finally:
                if self._sock is sock:
                    self._hang_up()

    def _talk(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            (length,) = struct.unpack(">H", _receive(sock, 2))
            message = _receive(sock, length)
            if length == 1:
                if message[0] == 0x04:
                    sock.sendall(struct.pack(">H", len(ATR)) + ATR)
                elif message[0] in (0x00, 0x02):  # power off, reset: the session is gone
                    self.chip.reset()
                continue
            self.apdus += 1
            answer = self._answer(message)
            if answer is None:
                return  # the card left the field: no answer, the link is closed
            sock.sendall(struct.pack(">H", len(answer)) + answer)

    def _answer(self, command: bytes) -> bytes | None:
        fault = self.faults.next()
        if fault is not None:
            if fault.kind == "card_pulled":
                self._pull()
                return None
            if fault.kind == "slow_answer":
                time.sleep((fault.delay_ms or SLOW_ANSWER_MS) / 1000)
            elif fault.kind in ("wrong_mac", "tearing"):
                self._pending.add(fault.kind)
        if "tearing" in self._pending and len(command) > 1 and command[1] == INS_APPEND_RECORD:
            self._pending.discard("tearing")
            if self.profile.tearing_commits:
                self.chip.process(command)  # written; the power goes before the answer
            self._pull()
            return None
        answer = self.chip.process(command)
        if "wrong_mac" in self._pending and answer[:1] == b"\x87" and len(answer) > 40:
            self._pending.discard("wrong_mac")
            answer = _tamper(answer)
        return answer

    def _pull(self) -> None:
        self.inserted.clear()
        if self.profile.reinsert_ms > 0:
            timer = threading.Timer(self.profile.reinsert_ms / 1000, self.place_card)
            timer.daemon = True
            timer.start()


def _tamper(answer: bytes) -> bytes:
    """Change one byte of a protected answer in transit, keeping the chip's MAC.

    The byte is in the second-to-last cipher block, so the plaintext's padding
    survives: a driver that skips the MAC check gets quietly wrong data, not an error.
    (The answer ends: cipher | 99 02 SW | 8E 08 MAC | SW, 16 bytes after the cipher.)
    """
    at = len(answer) - 16 - 16
    return answer[:at] + bytes([answer[at] ^ 0x5A]) + answer[at + 1 :]


def _receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        # Acknowledge at once (see _serve): Linux resets quick-ACK mode after a while.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data
