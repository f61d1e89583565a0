"""The session's end as the backend hears of it (docs/cockpit.md), from `kiosk flow run`:
the steps reached in order, who each waited for and how long, how it ended and why;
nothing the citizen entered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from wire.sync import AuditBody, SessionEndedBody

ROOT = Path(__file__).resolve().parents[2]
ID_RENEWAL = ROOT / "flows" / "services" / "id_renewal.yaml"
NAME, ID_NUMBER, PHONE, STREET = "钱多多", "11010519491231002X", "13912345678", "景山前街4号"
CARD = {
    "name": NAME, "sex": "女", "nation": "汉", "birth_date": "1949-12-31",
    "address": f"北京市东城区{STREET}", "id_number": ID_NUMBER,
    "valid_from": "2010-01-01", "valid_until": "2030-01-01", "photo_ref": "ph-1",
}  # fmt: skip
ELIGIBLE = {"result": {"status": "eligible", "data": {"photo_ref": "ph-1"}}}
TAKEN = {"result": {"removed": True}}
PRINTED = {"result": {"job_ref": "J-1", "state": "printed"}, "after": 4}


def kiosk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`kiosk ...` of this checkout (the `kiosk` script may be another checkout's)."""
    conf = tmp_path / "kiosk.toml"
    conf.write_text(
        f'[cache]\ndatabase = "{tmp_path / "kiosk.db"}"\n[logging]\ndir = "{tmp_path / "log"}"\n'
    )
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "--config", str(conf), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)},
    )


def session_ended(tmp_path: Path, answers: dict, services: dict) -> tuple[dict, str]:
    """The session_ended body `kiosk flow run --json` prints, and all it printed."""
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump({"answers": answers, "services": services}, allow_unicode=True))
    result = kiosk(tmp_path, "flow", "run", str(ID_RENEWAL), "--answers", str(path), "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)["session_ended"]
    AuditBody.model_validate(body)  # what the backend takes, held to its model
    SessionEndedBody.model_validate(body)
    return body, result.stdout


def reached(body: dict) -> list[tuple[str, str, str]]:
    return [(s["step"], s["kind"], s["who"]) for s in body["steps"]]


def test_a_finished_session_reports_every_step_its_seconds_and_no_personal_data(tmp_path):
    answers = {
        "reason": "lost", "type_id": {"name": NAME, "id_number": ID_NUMBER},
        "photo_source": "camera", "face_consent": "agree", "contact": {"phone": PHONE},
        "delivery": "post", "address": {"address": f"110101 {STREET}"},
        "check": {"after": 25, "input": "confirm"}, "rating": 5, "finished": "finish",
    }  # fmt: skip
    services = {
        "eligibility": ELIGIBLE,
        "take_photo": {"result": {"photo_ref": "ph-2", "receipt_number": "R-88",
                                  "quality": {"sharpness": 0.9}}, "after": 40},
        "face": {"result": {"score": 0.93, "passed": True, "live": True}, "after": 5},
        "fingerprints": {"result": {"templates": [{"finger": "right_thumb", "ref": "fp-1",
                                                   "quality": 80}]}, "after": 30},
        "pay": {"result": {"payment_ref": "P-77", "state": "paid", "amount_fen": 4000},
                "after": 20},
        "submit": {"result": {"status": "queued", "queued_id": "Q-5"}},
        "slip": PRINTED,
    }  # fmt: skip
    body, printed = session_ended(tmp_path, answers, services)
    assert (body["event"], body["flow"], body["outcome"]) == ("session_ended", "id_renewal", "done")
    assert (body["end"], body["reason"], body["exit_step"]) == ("finished", "done", None)
    assert [s for s, _, _ in reached(body)] == [
        "reason", "type_id", "eligibility", "photo_source", "take_photo", "face_consent",
        "face", "fingerprints", "contact", "delivery", "address", "check", "pay", "submit",
        "slip", "rating", "finished",
    ]  # fmt: skip
    kinds = {step: (kind, who) for step, kind, who in reached(body)}
    assert kinds["check"] == ("confirm", "citizen") and kinds["pay"] == ("pay", "machine")
    assert kinds["take_photo"] == ("capture_photo", "machine")
    seconds = {s["step"]: s["s"] for s in body["steps"]}
    assert seconds["check"] == 25.0 and seconds["take_photo"] == 40.0 and seconds["pay"] == 20.0
    assert seconds["eligibility"] == 1.0  # a scripted service answers after 1 s
    assert body["duration_s"] == sum(seconds.values())
    assert body["started_at"] == body["at"] - body["duration_s"]
    wire = json.dumps(body, ensure_ascii=False)
    for personal in (NAME, ID_NUMBER, PHONE, STREET, "110101", "P-77", "ph-2", "R-88"):
        assert personal not in wire
    assert ID_NUMBER not in printed and PHONE not in printed  # nor anywhere in the output


def test_a_cancelled_session_reports_where_the_citizen_gave_up(tmp_path):
    answers = {
        "reason": "renewal", "photo_source": "camera", "face_consent": "agree",
        "contact": {"phone": PHONE}, "delivery": {"after": 7, "input": "cancel"},
        "cancelled": "finish",
    }  # fmt: skip
    services = {
        "read_card": {"result": CARD, "after": 3},
        "eligibility": ELIGIBLE,
        "take_photo": {"result": {"photo_ref": "ph-2", "quality": {}}, "after": 40},
        "face": {"result": {"score": 0.93, "passed": True, "live": True}},
        "fingerprints": {"result": {"templates": []}},
        "give_back_on_cancel": TAKEN,
    }
    body, _ = session_ended(tmp_path, answers, services)
    assert (body["outcome"], body["end"], body["reason"]) == ("cancelled", "cancelled", "cancelled")
    assert body["exit_step"] == "delivery"  # where the citizen gave up
    steps = [s for s, _, _ in reached(body)]
    assert steps[-3:] == ["delivery", "give_back_on_cancel", "cancelled"]
    assert body["steps"][steps.index("delivery")]["s"] == 7.0
    assert body["steps"][steps.index("read_card")] == {
        "step": "read_card", "kind": "read_id_card", "s": 3.0, "who": "machine",
    }  # fmt: skip
    wire = json.dumps(body, ensure_ascii=False)
    for personal in (NAME, ID_NUMBER, PHONE, STREET):
        assert personal not in wire


def test_a_refused_session_reports_the_backends_reason_code(tmp_path):
    answers = {"reason": "renewal", "ineligible": "continue", "cancelled": "finish"}
    services = {
        "read_card": {"result": CARD},
        "eligibility": {"result": {"status": "ineligible", "data": {"reason": "minor"}}},
        "refusal_slip": PRINTED,
        "give_back_on_cancel": TAKEN,
    }
    body, _ = session_ended(tmp_path, answers, services)
    assert body["outcome"] == "done"  # the engine's word: the flow ran to a done step
    assert (body["end"], body["reason"], body["exit_step"]) == ("refused", "minor", "ineligible")
    assert reached(body) == [
        ("reason", "choose", "citizen"), ("read_card", "read_id_card", "machine"),
        ("eligibility", "backend", "machine"), ("ineligible", "info", "citizen"),
        ("refusal_slip", "print", "machine"), ("give_back_on_cancel", "take_back", "machine"),
        ("cancelled", "done", "citizen"),
    ]  # fmt: skip
    assert NAME not in json.dumps(body, ensure_ascii=False)


def test_a_reason_the_flow_does_not_list_is_not_passed_on(tmp_path):
    """Only the keys of the flow's own table leave the terminal: a backend's reason
    could be any text."""
    answers = {"reason": "renewal", "ineligible": "continue", "cancelled": "finish"}
    services = {
        "read_card": {"result": CARD},
        "eligibility": {"result": {"status": "ineligible", "data": {"reason": f"{NAME} 已办"}}},
        "refusal_slip": PRINTED,
        "give_back_on_cancel": TAKEN,
    }
    body, _ = session_ended(tmp_path, answers, services)
    assert (body["end"], body["reason"]) == ("refused", "unlisted")
