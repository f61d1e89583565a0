"""The terminal's side of a chip conversation, over any `transmit` (PC/SC in the
driver, a `Chip` object in unit tests): BAC, secure messaging, files and records,
and the two things the kiosk reads (a travel document) or writes (an endorsement).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.model import Code, DeviceError, Recovery
from drivers.smartcard import apdu, bac, face, permit
from drivers.smartcard.lds import LdsError, parse_com, parse_dg1
from drivers.smartcard.mrz import Mrz

ICAO_AID = bytes.fromhex("A0000002471001")
EF_COM, EF_DG1, EF_DG2 = 0x011E, 0x0101, 0x0102
CHUNK = 0xDF  # the most plain data one short secure-messaging response can carry

Transmit = Callable[[bytes], bytes]  # command APDU -> response APDU (data + SW)


class ChipNotTrusted(DeviceError):
    """A protected answer whose MAC is wrong, or a chip that failed authentication:
    nothing it said is used."""

    code = Code.INVALID_DATA
    recovery = Recovery.RETRY

    def __init__(self, message: str) -> None:
        super().__init__(message, "secure_messaging")


class BadChipData(DeviceError):
    """Authenticated data that is not the structure it must be."""

    code = Code.INVALID_DATA
    recovery = Recovery.OPERATOR

    def __init__(self, message: str) -> None:
        super().__init__(message, "bad_chip_data")


class WriteNotVerified(DeviceError):
    code = Code.HARDWARE_ERROR
    recovery = Recovery.RETRY

    def __init__(self, message: str) -> None:
        super().__init__(message, "write_not_verified")


class CardSession:
    def __init__(self, transmit: Transmit, random: Callable[[int], bytes] = os.urandom) -> None:
        self.transmit = transmit
        self.random = random
        self.sm: bac.Session | None = None

    def plain(self, command: bytes, what: str) -> bytes:
        response = self.transmit(command)
        if len(response) < 2:
            raise ChipNotTrusted(f"{what}: an answer without a status word")
        sw = int.from_bytes(response[-2:], "big")
        if sw != apdu.SW_OK:
            raise apdu.StatusWordError(sw, what)
        return response[:-2]

    def open(self, aid: bytes, key_info: str) -> None:
        """Select the application and run BAC; from here on, secure messaging."""
        self.sm = None
        self.plain(apdu.command(0x00, 0xA4, 0x04, 0x0C, aid), "select application")
        rnd_ic = self.plain(apdu.command(0x00, 0x84, 0x00, 0x00, le=8), "get challenge")
        if len(rnd_ic) != 8:
            raise ChipNotTrusted("the challenge is not 8 bytes")
        k_enc, k_mac = bac.bac_keys(key_info)
        challenge = bac.authenticate(k_enc, k_mac, rnd_ic, self.random(8), self.random(16))
        answer = self.plain(
            apdu.command(0x00, 0x82, 0x00, 0x00, challenge.command_data, le=40),
            "external authenticate",
        )
        if len(answer) != 40:
            raise ChipNotTrusted("the chip's authentication answer is not 40 bytes")
        try:
            self.sm = bac.session(k_enc, k_mac, challenge, answer, rnd_ic)
        except bac.SecureMessagingError as exc:
            raise ChipNotTrusted(str(exc)) from None

    def secure(
        self, header: bytes, data: bytes = b"", le: int | None = None, what: str = ""
    ) -> tuple[bytes, int]:
        if self.sm is None:
            raise apdu.StatusWordError(apdu.SW_SECURITY_STATUS, what)
        response = self.transmit(bac.wrap(self.sm, header, data, le))
        if len(response) == 2:  # a plain status word: the chip refused the command itself
            raise apdu.StatusWordError(int.from_bytes(response, "big"), what)
        try:
            body, sw = bac.unwrap(self.sm, response)
        except bac.SecureMessagingError as exc:
            self.sm = None  # the session is over; a caller may start a new one
            raise ChipNotTrusted(f"{what}: {exc}") from None
        return body, int.from_bytes(sw, "big")

    def checked(
        self, header: bytes, data: bytes = b"", le: int | None = None, what: str = ""
    ) -> bytes:
        body, sw = self.secure(header, data, le, what)
        if sw != apdu.SW_OK:
            raise apdu.StatusWordError(sw, what)
        return body

    def select_file(self, fid: int) -> None:
        self.checked(b"\x0c\xa4\x02\x0c", fid.to_bytes(2, "big"), what=f"select {fid:04X}")

    def read_file(self, fid: int) -> bytes:
        """A whole transparent file: its TLV header says how long it is."""
        self.select_file(fid)
        head = self.checked(b"\x0c\xb0\x00\x00", le=4, what=f"read {fid:04X}")
        total = _tlv_size(head)
        content = head
        while len(content) < total:
            offset = len(content)
            part = self.checked(
                b"\x0c\xb0" + offset.to_bytes(2, "big"),
                le=min(CHUNK, total - offset),
                what=f"read {fid:04X} at {offset}",
            )
            if not part:
                raise BadChipData(f"file {fid:04X} ends at {offset} of {total} bytes")
            content += part
        return content[:total]

    def records(self, fid: int) -> list[bytes]:
        self.select_file(fid)
        found: list[bytes] = []
        while True:
            number = len(found) + 1
            body, sw = self.secure(
                bytes([0x0C, 0xB2, number, 0x04]), le=0, what=f"read record {number}"
            )
            if sw == apdu.SW_RECORD_NOT_FOUND:
                return found
            if sw != apdu.SW_OK:
                raise apdu.StatusWordError(sw, f"read record {number}")
            found.append(body)

    def append_record(self, record: bytes) -> None:
        self.checked(b"\x0c\xe2\x00\x00", record, what="append record")


def _tlv_size(head: bytes) -> int:
    """The full size of the TLV object whose first 4 bytes are `head`."""
    if len(head) < 2:
        raise BadChipData("a file shorter than its TLV header")
    at = 2 if head[0] & 0x1F == 0x1F else 1
    first = head[at]
    if first < 0x80:
        return at + 1 + first
    count = first & 0x7F
    if count not in (1, 2) or len(head) < at + 1 + count:
        raise BadChipData("a file whose length is not BER")
    return at + 1 + count + int.from_bytes(head[at + 1 : at + 1 + count], "big")


# --- what the kiosk reads and writes ----------------------------------------------------


@dataclass(frozen=True)
class TravelDocument:
    mrz: Mrz
    data_groups: list[int]
    face: face.FaceImage | None = None
    face_error: str | None = None  # why DG2 did not decode, if it did not


def read_document(session: CardSession, key_info: str, with_face: bool = True) -> TravelDocument:
    session.open(ICAO_AID, key_info)
    try:
        com = parse_com(session.read_file(EF_COM))
        mrz = parse_dg1(session.read_file(EF_DG1))
    except LdsError as exc:
        raise BadChipData(str(exc)) from None
    image, problem = None, None
    if with_face and 2 in com.data_groups:
        try:
            image = face.decode(session.read_file(EF_DG2))
            image.decoded()  # a face that does not decode is reported, not passed on
        except LdsError as exc:
            image, problem = None, str(exc)
    return TravelDocument(mrz, com.data_groups, image, problem)


@dataclass(frozen=True)
class Permit:
    holder: permit.Holder
    endorsements: list[permit.Endorsement] = field(default_factory=list)
    forged: int = 0  # records whose MAC is not the issuer's


def read_permit(session: CardSession, key_info: str, issuer_key: bytes) -> Permit:
    session.open(permit.PERMIT_AID, key_info)
    try:
        holder = permit.Holder.decode(session.read_file(permit.HOLDER_FILE))
        key = permit.card_key(issuer_key, holder.document_number)
        opened = [permit.open_record(r, key) for r in session.records(permit.ENDORSEMENT_FILE)]
    except LdsError as exc:
        raise BadChipData(str(exc)) from None
    return Permit(
        holder,
        [e for e, genuine in opened if genuine],
        sum(not genuine for _, genuine in opened),
    )


def write_endorsement(
    session: CardSession, key_info: str, issuer_key: bytes, endorsement: permit.Endorsement
) -> Permit:
    """Write once, read back, verify. Idempotent by serial: after a torn write the
    card is read first, and an endorsement that landed is not written again."""
    before = read_permit(session, key_info, issuer_key)
    if any(e.serial == endorsement.serial for e in before.endorsements):
        if endorsement not in before.endorsements:
            raise WriteNotVerified(f"the card holds another endorsement {endorsement.serial}")
        return before
    key = permit.card_key(issuer_key, before.holder.document_number)
    record = endorsement.sealed(key)
    count = len(before.endorsements) + before.forged
    session.append_record(record)
    back, sw = session.secure(bytes([0x0C, 0xB2, count + 1, 0x04]), le=0, what="read back")
    if sw != apdu.SW_OK or back != record:
        raise WriteNotVerified("the endorsement read back is not the one written")
    return Permit(before.holder, [*before.endorsements, endorsement], before.forged)
