"""The proofs beside the criminal-record one, against the seeded household register:
what each states, each refusal, and the details bound to the signed code.

Oracles from elsewhere: python-stdnum makes the ID numbers of people the register does
not know (a valid GB 11643 check digit, so the request passes the wire's pattern and
reaches the rules); the details' digest is recomputed here with hashlib, not wire/."""

from __future__ import annotations

import base64
import hashlib
import json

from stdnum.cn import ric

from backend.registry import citizen_id
from tests.backend.harness import Backend
from wire.proof import DOCUMENT_TYPES


def stranger(birth: str = "19700101", sequence: str = "777") -> str:
    body = f"110101{birth}{sequence}"
    return body + ric.calc_check_digit(body)


def ask(terminal, case: str, doc_type: str, **more: str) -> dict:
    body = {"id_number": citizen_id(case), "doc_type": doc_type, "use": "其他", **more}
    answer = terminal.call("POST", "/v1/proofs", body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def digest_of(details: dict[str, str], code: str) -> str:
    """`d` as wire/proof.py documents it: the code's suite's digest (SM3 for KP1-GM,
    SHA-256 for KP1) of the canonical JSON, 16 bytes, base64url without padding."""
    body = json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.new("sm3" if code.startswith("KP1-GM.") else "sha256", body.encode())
    return base64.urlsafe_b64encode(digest.digest()[:16]).decode().rstrip("=")


def payload_of(code: str) -> dict:
    part = code.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


ISSUED = [
        ("traveller", "hh", {}, {"address"}),
        ("traveller", "rs", {}, {"address", "since"}),
        ("traveller", "br", {}, {"birth_date", "birth_place", "registered_on"}),
        ("traveller", "kn", {"relative_id_number": citizen_id("renewal_early"),
                             "relation": "sibling"},
         {"relation", "relative_name", "relative_id_number"}),
        ("traveller", "dt", {"relative_id_number": citizen_id("late_parent"),
                             "relation": "parent"},
         {"relation", "deceased_name", "deceased_id_number", "died_on"}),
]  # fmt: skip


def test_each_kind_states_its_details_under_the_signature(backend: Backend) -> None:
    terminal = backend.enrol()
    for case, doc_type, more, expected in ISSUED:
        proof = ask(terminal, case, doc_type, **more)
        assert proof["issued"] is True, proof
        assert set(proof["details"]) == expected
        payload = payload_of(proof["code"])
        assert payload["t"] == doc_type
        assert payload["d"] == digest_of(proof["details"], proof["code"])
        for value in proof["details"].values():  # no full ID number of anyone on paper
            assert not ric.is_valid(value)
        check = backend.http.get("/v1/proofs/verify", params={"code": proof["code"]}).json()
        assert check["valid"] is True and check["doc_type"] == DOCUMENT_TYPES[doc_type], check


def test_the_details_are_the_registers(backend: Backend) -> None:
    terminal = backend.enrol()
    parent = citizen_id("late_parent")
    death = ask(terminal, "traveller", "dt", relative_id_number=parent, relation="parent")
    details = death["details"]
    # the register's parent, a woman by her ID number (its 17th digit even)
    assert int(parent[16]) % 2 == 0
    assert (details["relation"], details["deceased_name"]) == ("mother", "测试已故")
    assert details["deceased_id_number"] == parent[:6] + "********" + parent[-4:]
    birth = ask(terminal, "traveller", "br")["details"]
    assert birth["birth_date"] == "1987-09-09"
    # the converse relation is the register's too: the parent's child
    kin = ask(terminal, "late_parent", "kn", relative_id_number=citizen_id("traveller"),
              relation="child")  # fmt: skip
    assert kin["issued"] and kin["details"]["relative_name"] == "测试旅客"
    # a household proof is valid 30 days, a kinship proof 90 (the default pack's)
    hh = payload_of(ask(terminal, "traveller", "hh")["code"])
    assert (hh["i"], hh["e"]) == ("20261118", "20261218")
    assert payload_of(kin["code"])["e"] == "20270216"


REFUSED = [
        ("moved_out", "hh", {}, "no_household_record"),
        ("moved_out", "rs", {}, "no_residence_record"),
        ("moved_out", "br", {}, "birth_not_on_record"),
        # an unknown person, a known one not related, and a wrong relation: one answer
        ("traveller", "kn", {"relative_id_number": stranger(), "relation": "parent"},
         "relation_not_on_record"),
        ("traveller", "kn", {"relative_id_number": citizen_id("moved_out"),
                             "relation": "sibling"}, "relation_not_on_record"),
        ("traveller", "kn", {"relative_id_number": citizen_id("late_parent"),
                             "relation": "spouse"}, "relation_not_on_record"),
        # a death proof only for a relative, and only of a registered death
        ("moved_out", "dt", {"relative_id_number": citizen_id("late_parent"),
                             "relation": "parent"}, "relation_not_on_record"),
        ("traveller", "dt", {"relative_id_number": citizen_id("renewal_early"),
                             "relation": "sibling"}, "death_not_on_record"),
]  # fmt: skip


def test_refusals(backend: Backend) -> None:
    terminal = backend.enrol()
    for case, doc_type, more, reason in REFUSED:
        refused = ask(terminal, case, doc_type, **more)
        assert (refused["issued"], refused["reason"], refused["code"]) == (False, reason, None)
        assert "details" not in refused
    body = {"id_number": stranger("19660606", "123"), "doc_type": "hh", "use": "入学"}
    found = terminal.call("POST", "/v1/proofs", body).json()
    assert (found["issued"], found["reason"]) == (False, "not_registered")
    for body in MALFORMED:  # refused as malformed: 422, never a refusal reason
        answer = terminal.call(
            "POST", "/v1/proofs", {"id_number": citizen_id("traveller"), "use": "其他", **body}
        )
        assert answer.status_code == 422, (body, answer.text)


MALFORMED = [
    {"doc_type": "kn"},  # no relative
    {"doc_type": "dt", "relative_id_number": stranger()},  # no relation
    {"doc_type": "hh", "relative_id_number": stranger(), "relation": "parent"},
    {"doc_type": "kn", "relative_id_number": stranger(), "relation": "cousin"},
    {"doc_type": "kn", "relative_id_number": citizen_id("traveller"), "relation": "sibling"},
]
