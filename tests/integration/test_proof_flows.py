"""The proof flows run end to end headless from their answers files (tests/flows/),
as `kiosk flow run` runs them: each kind's path, a refusal's, the other person's ID
number typed and checked; and the shape they share (flows/shapes/) merged as the
flow files say, its problems named at the file and line they stand on."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.loader import FLOWS_DIR, FlowFileError, load_flow
from flows.runner import HeadlessRunner, load_script
from tests import canary

ANSWERS = Path(__file__).resolve().parents[1] / "flows"
SHAPED = ["relative", "relation"]  # the steps the relative shape adds after the face check
PRINTED = ["purpose", "query", "print_proof", "give_back", "rating", "finished"]
REFUSED = ["purpose", "query", "not_issued", "refusal_slip", "give_back_on_cancel", "cancelled"]


@pytest.mark.parametrize(
    ("flow", "answers", "path"),
    [
        ("household_proof", "household_proof", PRINTED),
        ("residence_proof", "residence_proof", PRINTED),
        ("kinship_proof", "kinship_proof", [*SHAPED, *PRINTED]),
        ("death_proof", "death_proof", [*SHAPED, *PRINTED]),
        ("birth_proof", "birth_proof", REFUSED),
        ("death_proof", "death_proof.not_relative", [*SHAPED, *REFUSED]),
    ],
)  # fmt: skip
def test_each_proof_flow_runs_from_its_answers(flow: str, answers: str, path: list[str]):
    loaded = load_flow(FLOWS_DIR / f"{flow}.yaml")
    transcript = HeadlessRunner(loaded, load_script(ANSWERS / f"{answers}.answers.yaml")).run()
    steps = [s["step"] for s in transcript["steps"]]
    assert steps == ["read_card", "face_consent", "face", *path]  # the card always back
    assert transcript["outcome"] == "done"
    query = next(s for s in transcript["steps"] if s["step"] == "query")
    perform = next(e for e in query["effects"] if e["effect"] == "Perform")
    sent = {"purpose", "read_card.id_number"} | ({"relation", "relative.id_number"} & {
        f"{s}.id_number" if s == "relative" else s for s in path})  # fmt: skip
    assert set(perform["inputs"]) == sent
    assert query["result"]["data"] == "<withheld>"  # an address, a relative: never shown
    assert canary.leaks(str(transcript)) == []


def test_a_mistyped_relative_id_number_is_refused_on_the_form():
    loaded = load_flow(FLOWS_DIR / "kinship_proof.yaml")
    transcript = HeadlessRunner(loaded, load_script(ANSWERS / "kinship_proof.answers.yaml")).run()
    relative = next(s for s in transcript["steps"] if s["step"] == "relative")
    shown = [e for e in relative["effects"] if e["effect"] == "Show"]
    assert shown[-1]["errors"] == {"id_number": "flow.error.id_number.check"}
    assert relative["result"] == {"values": {"id_number": "110101********0326"}}


def test_the_shape_is_merged_as_the_flow_files_say():
    crime, death = (
        load_flow(FLOWS_DIR / "criminal_record_proof.yaml"),
        load_flow(FLOWS_DIR / "death_proof.yaml"),
    )
    # amended: the operation the flow's, the rest of the step the shape's
    assert crime.steps["query"].params().operation == "criminal_record_proof"
    assert crime.steps["query"].params().offline == "require_online"
    assert death.steps["query"].params().operation == "death_proof"
    assert set(death.steps["query"].params().data) == {"id_number", "use",
                                                      "relative_id_number", "relation"}  # fmt: skip
    assert death.steps["relative"].text == "flow.death_proof.relative"  # reworded
    assert death.steps["relation"].options[0].id == "parent"  # the shape's options kept
    assert death.steps["face"].next == "relative" and crime.steps["face"].next == "purpose"
    assert [s.text for s in death.stages][2] == "flow.stage.relative"
    assert "relative" not in crime.steps


def test_a_problem_in_a_shaped_flow_names_the_file_it_stands_in(tmp_path: Path):
    flow = tmp_path / "wrong_proof.yaml"
    flow.write_text(
        "flow: wrong_proof\nversion: 1\nextends: proof\ntitle: flow.proof.title\n"
        "steps:\n  purpose:\n    options:\n      - {id: other, text: flow.proof.nope}\n"
        "  query: {operation: criminal_record_proof, offline: sometimes}\n",
        encoding="utf-8",
    )
    with pytest.raises(FlowFileError) as raised:
        load_flow(flow)
    problems = [str(p) for p in raised.value.problems]
    assert any(p.startswith(f"{flow}:9: ") and "offline" in p for p in problems), problems
    missing = tmp_path / "lost_proof.yaml"
    missing.write_text("flow: lost_proof\nversion: 1\nextends: nothing\ntitle: x\nsteps: {}\n")
    with pytest.raises(FlowFileError, match=r"lost_proof.yaml:3: extends 'nothing': no such"):
        load_flow(missing)
    # a step the flow left to the shape is the shape's, at the shape's line
    unreachable = tmp_path / "bare_proof.yaml"
    unreachable.write_text(
        "flow: bare_proof\nversion: 1\nextends: proof\ntitle: flow.proof.title\n"
        "steps:\n  query: {operation: criminal_record_proof}\n",
        encoding="utf-8",
    )
    with pytest.raises(FlowFileError) as raised:
        load_flow(unreachable)
    shape = FLOWS_DIR.parent / "shapes" / "proof.yaml"
    assert any(str(p.path) == str(shape) and "options" in p.message
               for p in raised.value.problems), raised.value.problems  # fmt: skip
