"""The backend of a terminal on simulated devices with no backend at all (`kiosk run
--sim` without `[backend]`, the touchscreen tests; `make run` embeds the reference
backend instead): the flows' `backend` step answered as the reference backend would
for the one citizen the simulated ID card holds.

Two operations need more than the demo's canned answer, or the service could not
be tried to its end: a proof (of every kind) must carry a code signed by a key the
terminal trusts (the printer refuses any other), so this registry signs with a key
of its own, made at start and trusted by this process alone, and states what the
reference backend's register would (the card's address, the holder's family as
backend/registry.py seeds the sample card's: a daughter, a late spouse); and the renewal's
eligibility names the phone number on file from the citizen's last application,
which the contact step offers instead of eleven taps (the exit-entry check's too,
with its refusal of a second permit and the day to collect). Everything else gets the
demo's answer (flows/demo.py, which this package may not import). Nothing here is
a real person.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from kiosk.citypack import CityPack
from kiosk.documents.keys import IssuingKey
from kiosk.documents.proofs import ProofRequest, payload_of
from kiosk.steps.backend import PROOF_OPERATIONS, PROOF_USES, pickup_answer
from wire import crypto
from wire.proof import DOCUMENT_TYPES, encode
from wire.services import PickupReply, stated_relation

Finish = Callable[[dict[str, Any]], None]
# the number on file for the simulated citizen: a test number, no one's
PHONE_ON_FILE = "13800138000"
DELAY_S = 0.75
# the simulated card holder's relatives, as backend/registry.py seeds the sample
# card's (its cases sample_child and late_spouse): ID number -> name, what they are to
# the holder, days since their death was registered (none: alive)
RELATIVES = {
    "110101197506060326": ("测试子女", "child", None),
    "110101194808080345": ("测试配偶", "spouse", 400),
}
# the sample card's finished ID card waiting in a storage slot (backend/registry.py
# PICKUPS; flows/demo.py loads it into a slot of the simulated transport)
PICKUP = "QJ-7K2M9X"
# the demo's word for every other operation (flows/demo.py SAMPLES["backend"])
OTHERWISE = {"status": "eligible", "data": {"allowed": ["G", "L", "T"]}}


class SimulatedRegistry:
    def __init__(
        self, citizens: Callable[[], list[dict[str, str]]], pack: Callable[[], CityPack]
    ) -> None:
        self.citizens = citizens  # whom the registry knows: the simulated cards' holders
        self.pack = pack
        made = crypto.suite(crypto.DEFAULT)
        self.key = IssuingKey(f"sim-{secrets.token_hex(4)}", made.generate_private_key(),
                              made.new_mac_key())  # fmt: skip
        self.fallback = None

    def trusted(self) -> dict[str, crypto.PublicKey]:
        """The key the proofs are signed with, for this process's printer check."""
        return {self.key.key_id: self.key.private.public}

    def serves(self, step_type: str) -> bool:
        return step_type == "backend"

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        data = {field: inputs.get(ref) for field, ref in params.get("data", {}).items()}
        operation = params.get("operation")
        answer: dict[str, Any] = OTHERWISE
        if operation in PROOF_OPERATIONS:
            answer = self.proof(PROOF_OPERATIONS[str(operation)], data)
        elif operation == "id_renewal_eligibility" and self._holder(data) is not None:
            answer = {"status": "eligible", "data": {"phone": PHONE_ON_FILE}}
        elif operation == "exit_entry_eligibility" and self._holder(data) is not None:
            answer = _exit_entry(str(data.get("document")))
        elif operation == "pickup_lookup":
            answer = self._pickup(data)
        timer = threading.Timer(DELAY_S, finish, args=({"result": answer},))
        timer.daemon = True
        timer.start()
        return timer.cancel

    def proof(self, doc_type: str, data: dict[str, Any]) -> dict[str, Any]:
        holder = self._holder(data)
        if holder is None:
            return {"status": "not_issued", "data": {"reason": "not_registered"}}
        stated = _stated(doc_type, holder, data)
        if isinstance(stated, str):
            return {"status": "not_issued", "data": {"reason": stated}}
        use = PROOF_USES.get(str(data.get("use")), "其他")
        request = ProofRequest(DOCUMENT_TYPES[doc_type], f"SIM{secrets.token_hex(4).upper()}",
                               holder["name"], holder["sex"], holder["id_number"], use,
                               date.today(), details=stated)  # fmt: skip
        code = encode(payload_of(request, self.key, self.pack()), self.key.private)
        return {"status": "issued", "data": {"code": code, "serial": request.serial,
                                             "details": stated}}  # fmt: skip

    def _pickup(self, data: dict[str, Any]) -> dict[str, Any]:
        """The simulated holder's finished ID card, as backend/registry.py seeds the
        sample card's (PICKUP): ready here; a notice of another pickup finds nothing."""
        holder = self._holder(data)
        reference = str(data.get("reference") or "") or PICKUP
        if holder is None or reference != PICKUP:
            found = PickupReply(ready=False, reason="nothing_ready")
        else:
            number, name = holder["id_number"], holder.get("name", "")
            found = PickupReply(ready=True, reference=PICKUP, document="id_card",
                                document_number=number[:2] + "*" * 14 + number[-2:],
                                holder=name[:1] + "*" * (len(name) - 1))  # fmt: skip
        return pickup_answer(found)

    def _holder(self, data: dict[str, Any]) -> dict[str, str] | None:
        wanted = str(data.get("id_number") or data.get("typed_id_number") or "")
        return next((c for c in self.citizens() if c.get("id_number") == wanted), None)

    def wipe(self) -> None:
        """Nothing of a session is kept."""


def _exit_entry(document: str) -> dict[str, Any]:
    """The exit-entry check for the simulated holder, as backend/services.py answers
    for the sample card's: a Hong Kong / Macau permit still valid (backend/registry.py
    SAMPLE_PERMIT), no passport; ready a week on."""
    if document == "hk_macau_permit":
        return {"status": "ineligible", "data": {"reason": "already_holds_valid_document"}}
    pickup = (date.today() + timedelta(days=7)).isoformat()
    return {"status": "eligible", "data": {"pickup_date": pickup, "phone": PHONE_ON_FILE}}


def _stated(doc_type: str, holder: dict[str, str], data: dict[str, Any]) -> dict[str, str] | str:
    """What a proof of `doc_type` states about the simulated holder (the details), or
    the refusal reason, as backend/proof_kinds.py would answer."""
    address, born = holder.get("address", ""), holder.get("birth_date", "")
    if doc_type == "hh":
        return {"address": address}
    if doc_type == "rs":
        since = holder.get("valid_from", "")  # the card was issued at this address
        return {"address": address, "since": f"{since[:4]}-{since[4:6]}-{since[6:]}"}
    if doc_type == "br":
        district = address[: address.find("区") + 1] or address  # 北京市东城区
        return {"birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}", "birth_place": district,
                "registered_on": f"{born[:4]}-{born[4:6]}-{born[6:]}"}  # fmt: skip
    if doc_type not in ("kn", "dt"):
        return {}
    typed = str(data.get("relative_id_number") or "").strip().upper()
    found = RELATIVES.get(typed)
    if found is None or found[1] != data.get("relation"):
        return "relation_not_on_record"
    name, relation, died_days = found
    masked = typed[:6] + "*" * 8 + typed[-4:]
    if doc_type == "kn":
        return {"relation": stated_relation(relation, typed), "relative_name": name,
                "relative_id_number": masked}  # fmt: skip
    if died_days is None:
        return "death_not_on_record"
    died = date.today() - timedelta(days=died_days)
    return {"relation": stated_relation(relation, typed), "deceased_name": name,
            "deceased_id_number": masked, "died_on": died.isoformat()}  # fmt: skip
