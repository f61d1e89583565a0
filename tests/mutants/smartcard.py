"""Broken chip-reader drivers, each with one classic mistake."""

from __future__ import annotations

import threading

from drivers.model import DeviceState, ProtocolError, Status
from drivers.smartcard import bac, mrz, permit, terminal
from drivers.smartcard.driver import PcscCardReader


class _MacBlindSession(terminal.CardSession):
    """Decrypts protected answers without checking their MAC."""

    def secure(self, header, data=b"", le=None, what=""):
        response = self.transmit(bac.wrap(self.sm, header, data, le))
        self.sm.ssc = bac.increment(self.sm.ssc)
        body, sw = response[:-2], response[-2:]
        if body[:1] != b"\x87":
            return b"", int.from_bytes(sw, "big")
        length, size = bac.read_length(body, 1)
        encrypted = body[1 + size + 1 : 1 + size + length]
        plain = bac.triple_des(self.sm.ks_enc, encrypted, decrypt=True)
        return plain[: plain.rindex(b"\x80")], int.from_bytes(sw, "big")


class IgnoresTheMac(PcscCardReader):
    session_class = _MacBlindSession


def _write_blindly(session, key_info, issuer_key, endorsement):
    """Writes without looking: a torn write that had landed is written twice."""
    holder_permit = terminal.read_permit(session, key_info, issuer_key)
    key = permit.card_key(issuer_key, holder_permit.holder.document_number)
    session.append_record(endorsement.sealed(key))
    return terminal.read_permit(session, key_info, issuer_key)


class WritesTwiceAfterTearing(PcscCardReader):
    def write_endorsement(self, key, issuer_key, endorsement, timeout_s=15.0):
        def write(ctx):
            info = mrz.key_info(*key)
            return {
                "permit": self._with_card(
                    ctx,
                    lambda s: _write_blindly(s, info, issuer_key, endorsement),
                    interrupted="write_interrupted",
                )
            }

        return self.worker.submit("write_endorsement", write, timeout_s)


def _trusting_read(session, key_info, issuer_key):
    session.open(permit.PERMIT_AID, key_info)
    holder = permit.Holder.decode(session.read_file(permit.HOLDER_FILE))
    key = permit.card_key(issuer_key, holder.document_number)
    records = session.records(permit.ENDORSEMENT_FILE)
    return terminal.Permit(holder, [permit.open_record(r, key)[0] for r in records])


class TrustsForgedRecords(PcscCardReader):
    def read_permit(self, key, issuer_key, timeout_s=10.0):
        def read(ctx):
            info = mrz.key_info(*key)
            return {"permit": self._with_card(ctx, lambda s: _trusting_read(s, info, issuer_key))}

        return self.worker.submit("read_permit", read, timeout_s)


class PulledCardIsAFault(PcscCardReader):
    """Reports a card taken out mid-read as a broken reader: a technician is called
    for what the citizen can fix."""

    def _with_card(self, ctx, talk, interrupted="card_removed"):
        try:
            return super()._with_card(ctx, talk, interrupted)
        except Exception as exc:
            if getattr(exc, "error", "") == "card_removed":
                raise ProtocolError(str(exc), "transmit_failed") from None
            raise


class StatusNeverChanges(PcscCardReader):
    """Looks once at open and never again: the screen says 'insert your card' to a
    citizen whose card is in."""

    def _watch(self):
        self._set(Status(DeviceState.ONLINE, {"card": "present"}))
        threading.Event().wait(0)


class NoTimeout(PcscCardReader):
    """Waits for a slow card however long it takes."""

    def read_document(self, document_number, birth_date, expiry_date, timeout_s=10.0):
        return super().read_document(document_number, birth_date, expiry_date, 30.0)


MUTANTS = {
    IgnoresTheMac: "wrong mac",
    WritesTwiceAfterTearing: "tearing, landed",
    TrustsForgedRecords: "forged endorsement",
    PulledCardIsAFault: "card pulled",
    StatusNeverChanges: "no card",
    NoTimeout: "timeout",
}
