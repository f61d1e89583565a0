"""The `verify_proof` step: a printed proof's QR code, read by the scanner, checked
offline as `kiosk proof verify` checks it (kiosk/documents/verify.py `verify_text`)
against the issuer keys this terminal trusts (pulled with the backend's config, or
`[proof] trusted_keys`).

Anyone at the screen may check a proof (an employer, an office): no card, no login.
The result is the verdict and what the signed code names, as printed (the holder's
name masked by the issuer); nothing is kept here, the session holds the result and
wipes it at its end, and the log hears only the verdict.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from kiosk.documents.verify import verify_text
from kiosk.steps.devices import Finish
from wire import crypto
from wire.proof import DOCUMENT_TYPES

log = logging.getLogger("kiosk.proof_check")

# A QR code holds at most about 3 KB; ours are under 600 characters. Anything longer
# is no proof of ours, and is not worth a signature check.
MAX_CODE = 4096


class ProofChecks:
    def __init__(
        self,
        issuer_keys: Callable[[], Mapping[str, crypto.PublicKey]],
        today: Callable[[], date] = date.today,
    ) -> None:
        self.issuer_keys = issuer_keys  # asked at each check: keys rotate with the config
        self.today = today

    def serves(self, step_type: str) -> bool:
        return step_type == "verify_proof"

    def start(
        self, step_type: str, params: dict[str, Any], inputs: dict[str, Any], finish: Finish
    ) -> Callable[[], None]:
        if step_type != "verify_proof":
            raise ValueError(f"no proof check for {step_type}")
        scanned = inputs.get(str(params.get("code_from")))
        text = scanned.get("text") if isinstance(scanned, dict) else None
        cancelled = threading.Event()

        def run() -> None:
            if not isinstance(text, str):  # the flow named no scan that read a code
                entry: dict[str, Any] = {"fail": "invalid_data", "recovery": "operator"}
            else:
                entry = {"result": self.check(text)}
            if not cancelled.is_set():
                finish(entry)

        threading.Thread(target=run, daemon=True, name="proof-check").start()
        return cancelled.set

    def check(self, text: str) -> dict[str, Any]:
        """The verdict on one code's text, as the step's result (ProofCheck's fields)."""
        try:
            keys = dict(self.issuer_keys())
        except Exception:  # a broken key source: no issuer is trusted, said in the log
            log.exception("the trusted issuer keys could not be read")
            keys = {}
        if not keys:
            log.error("no trusted issuer keys: every proof checks as an unknown issuer")
        if len(text) > MAX_CODE:
            log.info("proof checked", extra={"status": "damaged"})
            return {"status": "damaged"}
        verdict = verify_text(text, keys, self.today())
        log.info("proof checked", extra={"status": verdict.status})  # the verdict alone
        payload = verdict.payload
        if payload is None or verdict.status not in ("valid", "expired"):
            return {"status": verdict.status}
        return {
            "status": verdict.status,
            "document": DOCUMENT_TYPES.get(payload.t, payload.t),
            "holder_name": payload.n,  # masked by the issuer: the first character
            "use": payload.u,
            "issued": payload.issued.isoformat(),
            "expires": payload.expires.isoformat(),
            "serial": payload.s,
            "verification_code": verdict.verification_code,
        }

    def wipe(self) -> None:
        """Nothing of a session is kept here."""
