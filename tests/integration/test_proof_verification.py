"""Proof verification (电子证明核查): the `verify_proof` step's service and the flow.

Proofs are signed with wire/proof's encoder, in the suite the run is in (gm or intl),
drawn as QR codes by segno and read back from the image by zbar (pyzbar, a decoder
written elsewhere): the text the step checks is what a scanner would read off the
paper. Each proof's verdict is known from how it was made (genuine, one byte changed,
expired, another issuer, garbage), never from the code under test.
"""

from __future__ import annotations

import base64
import random
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import segno
from pyzbar import pyzbar

from drivers.scanner.codes import kind_of
from flows import events as ev
from flows.loader import FLOWS_DIR, load_flow
from flows.runner import HeadlessRunner, Script, load_script
from kiosk.steps.proof_check import ProofChecks
from tests import canary
from wire import crypto
from wire.proof import ProofPayload, encode, holder_name, id_number_hmac, verification_code

ANSWERS = Path(__file__).resolve().parents[1] / "flows"
TODAY = date(2026, 3, 1)
ISSUER = "psb-3301-2026"
SUITE = crypto.suite(crypto.DEFAULT)
KEY, MAC = SUITE.generate_private_key(), SUITE.new_mac_key()
OTHER = SUITE.generate_private_key()  # a key nobody here trusts
USES = ["就业", "入学", "出国", "其他"]
SURNAMES, GIVEN = "张王李赵刘陈杨黄", "小明华丽强伟芳娜军"


def payload(rng: random.Random, *, expires: date, key_id: str = ISSUER) -> ProofPayload:
    name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
    issued = expires - timedelta(days=90)
    return ProofPayload(
        t=rng.choice(["cr", "hh", "rs"]),
        s=f"CR-{rng.randrange(10**9):09d}",
        n=holder_name(name),
        h=id_number_hmac(MAC, canary.ID_NUMBER, SUITE),
        u=rng.choice(USES),
        i=f"{issued:%Y%m%d}",
        e=f"{expires:%Y%m%d}",
        k=key_id,
    )


def read_off_paper(text: str, mask: int = 0) -> str:
    """The code drawn as a QR image and decoded by zbar, as a scanner reads it."""
    modules = np.pad(np.array(segno.make_qr(text, error="m", mask=mask).matrix, np.uint8), 4)
    image = np.kron((255 * (1 - modules)).astype(np.uint8), np.ones((2, 2), np.uint8))
    (found,) = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    return found.data.decode("utf-8")


def one_byte_changed(text: str, rng: random.Random) -> str:
    """The payload's JSON still reads, one character of a field changed, the signature
    left as it was: a forger's edit."""
    prefix, body, signature = text.split(".")
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    at = raw.index('"e":"') + 5 + rng.randrange(8)  # a digit of the expiry date
    digit = str((int(raw[at]) + rng.randrange(1, 10)) % 10)
    forged = (raw[:at] + digit + raw[at + 1 :]).encode()
    return f"{prefix}.{base64.urlsafe_b64encode(forged).decode().rstrip('=')}.{signature}"


def checks() -> ProofChecks:
    return ProofChecks(lambda: {ISSUER: KEY.public}, today=lambda: TODAY)


def run_step(service: ProofChecks, text: Any, code_from: str = "scan") -> dict[str, Any]:
    """The step as the shell runs it: started, answered later from another thread."""
    answers: list[dict[str, Any]] = []
    threads: list[threading.Thread] = []
    done = threading.Event()

    def finish(entry: dict[str, Any]) -> None:
        answers.append(entry)
        threads.append(threading.current_thread())
        done.set()

    service.start("verify_proof", {"code_from": code_from}, {"scan": {"text": text}}, finish)
    assert done.wait(10)
    assert threads[0] is not threading.main_thread()
    return answers[0]


def test_a_genuine_proof_names_its_kind_validity_and_holder_masked():
    made = payload(random.Random(1), expires=TODAY + timedelta(days=30))
    text = read_off_paper(encode(made, KEY))
    result = run_step(checks(), text)["result"]
    assert result == {
        "status": "valid",
        "document": {"cr": "criminal_record", "hh": "household", "rs": "residence"}[made.t],
        "holder_name": made.n,
        "use": made.u,
        "issued": f"{TODAY + timedelta(days=30) - timedelta(days=90)}",
        "expires": f"{TODAY + timedelta(days=30)}",
        "serial": made.s,
        "verification_code": verification_code(text),
    }
    assert made.n[1:] == "*" * (len(made.n) - 1)  # the issuer's mask: the first character
    # valid on its last day, expired the day after
    last_day = encode(payload(random.Random(2), expires=TODAY), KEY)
    assert run_step(checks(), last_day)["result"]["status"] == "valid"


def test_an_expired_proof_is_genuine_but_expired():
    made = payload(random.Random(3), expires=TODAY - timedelta(days=1))
    result = run_step(checks(), read_off_paper(encode(made, KEY)))["result"]
    assert result["status"] == "expired" and result["expires"] == f"{TODAY - timedelta(days=1)}"
    assert result["holder_name"] == made.n


def test_one_byte_changed_in_the_payload_is_forged_and_names_nothing():
    rng = random.Random(4)
    text = encode(payload(rng, expires=TODAY + timedelta(days=5)), KEY)
    tampered = one_byte_changed(text, rng)
    assert tampered != text
    result = run_step(checks(), read_off_paper(tampered))["result"]
    assert result == {"status": "forged"}  # nothing of what it claims is shown


def test_another_issuer_is_unknown_and_a_trusted_id_with_another_key_is_forged():
    rng = random.Random(5)
    elsewhere = encode(payload(rng, expires=TODAY + timedelta(days=5), key_id="psb-9999"), OTHER)
    assert run_step(checks(), elsewhere)["result"] == {"status": "unknown_key"}
    impostor = encode(payload(rng, expires=TODAY + timedelta(days=5)), OTHER)  # our key id
    assert run_step(checks(), impostor)["result"] == {"status": "forged"}
    nobody_trusted = ProofChecks(lambda: {}, today=lambda: TODAY)
    genuine = encode(payload(rng, expires=TODAY + timedelta(days=5)), KEY)
    assert run_step(nobody_trusted, genuine)["result"] == {"status": "unknown_key"}


@pytest.mark.parametrize(
    "garbage",
    ["", "hello", "KP1.", "KP1-GM.", "KP1.a.b", "KP1-GM.e30.AAAA", "KP1-GM." + "A" * 5000,
     "KP1.x.y.z", "\u0000\ufffd", "APPT-2026-1123"],
)  # fmt: skip
def test_garbage_text_is_damaged_never_an_error(garbage):
    assert run_step(checks(), garbage)["result"] == {"status": "damaged"}


def test_no_scanned_code_fails_the_step_and_cancel_stops_the_answer():
    assert run_step(checks(), None)["fail"] == "invalid_data"
    answered = threading.Event()
    slow_keys = threading.Event()

    def keys() -> dict[str, crypto.PublicKey]:
        slow_keys.wait(5)
        return {ISSUER: KEY.public}

    service = ProofChecks(keys, today=lambda: TODAY)
    text = encode(payload(random.Random(6), expires=TODAY), KEY)
    cancel = service.start("verify_proof", {"code_from": "scan"}, {"scan": {"text": text}},
                           lambda entry: answered.set())  # fmt: skip
    cancel()
    slow_keys.set()
    assert not answered.wait(0.5)


# --- the flow, headless, on hundreds of proofs ------------------------------------------

PATHS = {
    "valid": ["scan", "check", "genuine", "finished"],
    "expired": ["scan", "check", "expired", "finished"],
    "forged": ["scan", "check", "not_genuine", "finished"],
    "unknown_key": ["scan", "check", "not_genuine", "finished"],
    "damaged": ["scan", "check", "not_genuine", "finished"],
    "not_a_proof": ["scan", "not_a_proof", "finished"],
}


def generated(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(what the scanner reads, the truth) for `count` proofs of every kind."""
    made: list[tuple[str, str]] = []
    for n in range(count):
        kind = list(PATHS)[n % len(PATHS)]
        later = TODAY + timedelta(days=rng.randrange(0, 400))
        if kind == "valid":
            text = encode(payload(rng, expires=later), KEY)
        elif kind == "expired":
            text = encode(payload(rng, expires=TODAY - timedelta(days=rng.randrange(1, 900))), KEY)
        elif kind == "forged":
            text = one_byte_changed(encode(payload(rng, expires=later), KEY), rng)
        elif kind == "unknown_key":
            text = encode(payload(rng, expires=later, key_id=f"psb-{rng.randrange(9999)}"), OTHER)
        elif kind == "damaged":  # cut short in its payload, or a payload not a proof's
            prefix, body, signature = encode(payload(rng, expires=later), KEY).split(".")
            text = rng.choice([f"{prefix}.{body[: rng.randrange(1, len(body))]}",
                               f"{prefix}.e30.{signature}"])  # fmt: skip
        else:  # a code of another kind held to the scanner
            text = rng.choice(["APPT-2026-1123", "https://example.org/a", "R110101202611230007"])
        made.append((read_off_paper(text, mask=n % 8), kind))
    return made


def perform_on(text: str, service: ProofChecks) -> Any:
    """The step services of one session: the scanner reads `text` (classified by the
    scanner driver's own rule), the proof check runs for real."""

    def perform(effect: ev.Perform) -> dict[str, Any]:
        if effect.step_type == "scan_code":
            kind = kind_of(text)
            if kind not in effect.params["accepted"]:
                return {"fail": "invalid_data", "recovery": "user_action"}
            return {"result": {"kind": kind, "text": text}}
        assert effect.step_type == "verify_proof"
        return run_step(service, effect.inputs["scan"]["text"])

    return perform


def test_hundreds_of_generated_proofs_take_their_path_through_the_flow():
    flow = load_flow(FLOWS_DIR / "proof_verification.yaml")
    service = checks()
    proofs = generated(240, random.Random(23))
    citizen = {"genuine": "confirm", "expired": "confirm", "not_genuine": "continue",
               "not_a_proof": "continue", "finished": "finish"}  # fmt: skip
    wrong = []
    for text, truth in proofs:
        script = Script(inputs={step: [answer] for step, answer in citizen.items()})
        transcript = HeadlessRunner(flow, script, perform=perform_on(text, service)).run()
        steps = [s["step"] for s in transcript["steps"]]
        check = next((s for s in transcript["steps"] if s["step"] == "check"), None)
        status = check["result"]["status"] if check else "not_a_proof"
        if steps != PATHS[truth] or status != truth or transcript["outcome"] != "done":
            wrong.append((truth, status, steps))
        assert text not in str(transcript)  # the code itself is withheld
        assert canary.leaks(str(transcript)) == []
    assert wrong == []
    assert {truth for _, truth in proofs} == set(PATHS)


def test_the_answers_files_run_headless():
    flow = load_flow(FLOWS_DIR / "proof_verification.yaml")
    expected = {
        "genuine": ["scan", "check", "genuine", "finished"],
        "forged": ["scan", "check", "not_genuine", "finished"],
        "not_a_proof": ["scan", "not_a_proof", "finished"],
    }
    for name, steps in expected.items():
        script = load_script(ANSWERS / f"proof_verification.{name}.answers.yaml")
        transcript = HeadlessRunner(flow, script).run()
        assert [s["step"] for s in transcript["steps"]] == steps
        assert transcript["outcome"] == "done"
