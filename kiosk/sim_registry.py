"""The backend of a terminal on simulated devices with no backend at all (`kiosk run
--sim` without `[backend]`, the touchscreen tests; `make run` embeds the reference
backend instead): the flows' `backend` step answered as the reference backend would
for the one citizen the simulated ID card holds.

Two operations need more than the demo's canned answer, or the service could not
be tried to its end: a criminal-record proof must carry a code signed by a key the
terminal trusts (the printer refuses any other), so this registry signs with a key
of its own, made at start and trusted by this process alone; and the renewal's
eligibility names the phone number on file from the citizen's last application,
which the contact step offers instead of eleven taps. Everything else gets the
demo's answer (flows/demo.py, which this package may not import). Nothing here is
a real person.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from kiosk.citypack import CityPack
from kiosk.documents.keys import IssuingKey
from kiosk.documents.proofs import ProofRequest, payload_of
from kiosk.steps.backend import PROOF_USES
from wire import crypto
from wire.proof import encode

Finish = Callable[[dict[str, Any]], None]
# the number on file for the simulated citizen: a test number, no one's
PHONE_ON_FILE = "13800138000"
DELAY_S = 0.75
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
        if operation == "criminal_record_proof":
            answer = self.proof(data)
        elif operation == "id_renewal_eligibility" and self._holder(data) is not None:
            answer = {"status": "eligible", "data": {"phone": PHONE_ON_FILE}}
        timer = threading.Timer(DELAY_S, finish, args=({"result": answer},))
        timer.daemon = True
        timer.start()
        return timer.cancel

    def proof(self, data: dict[str, Any]) -> dict[str, Any]:
        holder = self._holder(data)
        if holder is None:
            return {"status": "not_issued", "data": {"reason": "not_registered"}}
        use = PROOF_USES.get(str(data.get("use")), "其他")
        request = ProofRequest("criminal_record", f"SIM{secrets.token_hex(4).upper()}",
                               holder["name"], holder["sex"], holder["id_number"], use,
                               date.today())  # fmt: skip
        code = encode(payload_of(request, self.key, self.pack()), self.key.private)
        return {"status": "issued", "data": {"code": code, "serial": request.serial}}

    def _holder(self, data: dict[str, Any]) -> dict[str, str] | None:
        wanted = str(data.get("id_number") or data.get("typed_id_number") or "")
        return next((c for c in self.citizens() if c.get("id_number") == wanted), None)

    def wipe(self) -> None:
        """Nothing of a session is kept."""
