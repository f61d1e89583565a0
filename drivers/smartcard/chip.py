"""The card side of a chip, as a program: command APDU in, response APDU out.

The simulator (simulator.py) puts a `Chip` into a vpcd reader. It holds applications
selected by AID, each with the BAC key from its holder's MRZ, transparent files
(EF.COM, DG1, DG2, the permit's holder data) and, for the permit applet, a record
file of endorsements. Once BAC has run, every command must come in secure messaging
and every answer goes out in it, as on a real ICAO chip; a plain command after BAC
ends the session. Appending a record is atomic: a torn write leaves the old records.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.smartcard import apdu, bac

INS_SELECT, INS_GET_CHALLENGE, INS_EXTERNAL_AUTH = 0xA4, 0x84, 0x82
INS_READ_BINARY, INS_READ_RECORD, INS_APPEND_RECORD = 0xB0, 0xB2, 0xE2

# Checks an endorsement record before it is written (permit.verify_record).
RecordCheck = Callable[[bytes], bool]


@dataclass
class Application:
    aid: bytes
    key_info: str  # the BAC key (document number, birth, expiry with check digits)
    files: dict[int, bytes] = field(default_factory=dict)  # FID -> content
    record_file: int | None = None  # FID of the linear record file, if any
    records: list[bytes] = field(default_factory=list)
    max_records: int = 24
    check_record: RecordCheck | None = None


class Chip:
    def __init__(
        self, applications: list[Application], random: Callable[[int], bytes] = os.urandom
    ) -> None:
        self.applications = {a.aid: a for a in applications}
        self.random = random
        self.reset()

    def reset(self) -> None:
        """Power-on: nothing selected, no session (the card left the field)."""
        self.selected: Application | None = None
        self.file: int | None = None
        self.rnd_ic: bytes | None = None
        self.session: bac.Session | None = None

    def process(self, command: bytes) -> bytes:
        try:
            header, data, le = apdu.parse_command(command)
        except ValueError:
            return _sw(apdu.SW_WRONG_LENGTH)
        if header[0] & 0x0C == 0x0C:
            return self._secure(command)
        if self.session is not None and (header[1], header[2]) != (INS_SELECT, 0x04):
            self.session = None  # a plain command ends secure messaging
            return _sw(apdu.SW_SM_MISSING)
        body, sw = self._plain(header, data, le)
        return body + sw.to_bytes(2, "big")

    # --- secure messaging -------------------------------------------------------------

    def _secure(self, command: bytes) -> bytes:
        session = self.session
        if session is None:
            return _sw(apdu.SW_SM_MISSING)
        try:
            header, data, le = self._unwrap(session, command)
        except (ValueError, bac.SecureMessagingError):
            self.session = None  # a wrong MAC ends the session, as ICAO asks
            return _sw(apdu.SW_SM_INCORRECT)
        body, sw = self._plain(header, data, le)
        return self._wrap(session, body, sw)

    def _unwrap(self, s: bac.Session, command: bytes) -> tuple[bytes, bytes, int | None]:
        header, objects, _ = apdu.parse_command(command)
        s.ssc = bac.increment(s.ssc)
        at, encrypted, le, mac, covered = 0, None, None, None, b""
        while at < len(objects):
            tag = objects[at]
            length, size = bac.read_length(objects, at + 1)
            end = at + 1 + size + length
            value = objects[at + 1 + size : end]
            if tag == 0x87:
                encrypted, covered = value, covered + objects[at:end]
            elif tag == 0x97:
                le, covered = (value[0] or 256) if value else 256, covered + objects[at:end]
            elif tag == 0x8E:
                mac = value
            else:
                raise ValueError(f"tag {tag:#x}")
            at = end
        masked = bytes([0x0C]) + header[1:4]
        if mac is None or bac.retail_mac(s.ks_mac, s.ssc + bac.pad(masked) + covered) != mac:
            raise bac.SecureMessagingError("command MAC")
        data = b""
        if encrypted is not None:
            data = bac.unpad(bac.triple_des(s.ks_enc, encrypted[1:], decrypt=True))
        return bytes([0x00]) + header[1:4], data, le

    def _wrap(self, s: bac.Session, body: bytes, sw: int) -> bytes:
        s.ssc = bac.increment(s.ssc)
        objects = b""
        if body:
            encrypted = b"\x01" + bac.triple_des(s.ks_enc, bac.pad(body))
            objects += b"\x87" + bac.ber_length(encrypted) + encrypted
        objects += b"\x99\x02" + sw.to_bytes(2, "big")
        objects += b"\x8e\x08" + bac.retail_mac(s.ks_mac, s.ssc + objects)
        return objects + sw.to_bytes(2, "big")

    # --- the commands -----------------------------------------------------------------

    def _plain(self, header: bytes, data: bytes, le: int | None) -> tuple[bytes, int]:
        ins, p1, p2 = header[1], header[2], header[3]
        if ins == INS_SELECT:
            return b"", self._select(p1, data)
        app = self.selected
        if app is None:
            return b"", apdu.SW_SECURITY_STATUS
        if ins == INS_GET_CHALLENGE:
            self.rnd_ic = self.random(8)
            return self.rnd_ic, apdu.SW_OK
        if ins == INS_EXTERNAL_AUTH:
            return self._authenticate(app, data)
        if self.session is None:
            return b"", apdu.SW_SECURITY_STATUS  # every file is behind BAC
        if ins == INS_READ_BINARY:
            return self._read_binary(app, (p1 << 8) | p2, le or 256)
        if ins == INS_READ_RECORD:
            if app.record_file is None or p2 != 0x04:
                return b"", apdu.SW_WRONG_P1P2
            if not 1 <= p1 <= len(app.records):
                return b"", apdu.SW_RECORD_NOT_FOUND
            return app.records[p1 - 1], apdu.SW_OK
        if ins == INS_APPEND_RECORD:
            return b"", self._append(app, data)
        return b"", apdu.SW_INS_NOT_SUPPORTED

    def _select(self, p1: int, data: bytes) -> int:
        if p1 == 0x04:  # by AID: a new application, a new session
            self.session, self.file = None, None
            self.selected = self.applications.get(data)
            return apdu.SW_OK if self.selected else apdu.SW_FILE_NOT_FOUND
        if p1 == 0x02 and self.selected is not None and len(data) == 2:
            if self.session is None:
                return apdu.SW_SECURITY_STATUS
            fid = int.from_bytes(data, "big")
            if fid in self.selected.files or fid == self.selected.record_file:
                self.file = fid
                return apdu.SW_OK
            return apdu.SW_FILE_NOT_FOUND
        return apdu.SW_WRONG_P1P2

    def _authenticate(self, app: Application, data: bytes) -> tuple[bytes, int]:
        rnd_ic, self.rnd_ic = self.rnd_ic, None  # a challenge answers one attempt only
        k_enc, k_mac = bac.bac_keys(app.key_info)
        if rnd_ic is None or len(data) != 40 or bac.retail_mac(k_mac, data[:32]) != data[32:]:
            return b"", apdu.SW_AUTH_FAILED
        plain = bac.triple_des(k_enc, data[:32], decrypt=True)
        rnd_ifd, echoed, k_ifd = plain[0:8], plain[8:16], plain[16:32]
        if echoed != rnd_ic:
            return b"", apdu.SW_AUTH_FAILED
        k_ic = self.random(16)
        e_ic = bac.triple_des(k_enc, rnd_ic + rnd_ifd + k_ic)
        seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
        self.session = bac.Session(
            bac.derive(seed, bac.ENC), bac.derive(seed, bac.MAC), rnd_ic[4:8] + rnd_ifd[4:8]
        )
        return e_ic + bac.retail_mac(k_mac, e_ic), apdu.SW_OK

    def _read_binary(self, app: Application, offset: int, le: int) -> tuple[bytes, int]:
        content = app.files.get(self.file) if self.file is not None else None
        if content is None:
            return b"", apdu.SW_FILE_NOT_FOUND
        if offset > len(content):
            return b"", apdu.SW_WRONG_P1P2
        return content[offset : offset + le], apdu.SW_OK

    def _append(self, app: Application, record: bytes) -> int:
        if app.record_file is None or self.file != app.record_file:
            return apdu.SW_FILE_NOT_FOUND
        if app.check_record is not None and not app.check_record(record):
            return apdu.SW_WRONG_DATA  # an endorsement without the issuer's MAC
        if len(app.records) >= app.max_records:
            return apdu.SW_NOT_ENOUGH_MEMORY
        app.records = [*app.records, record]  # one assignment: all or nothing
        return apdu.SW_OK


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")
