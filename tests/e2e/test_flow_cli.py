"""`kiosk flow` as a technician or a test runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parents[1] / "flows"
KIOSK = str(Path(sys.executable).parent / "kiosk")


def kiosk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    conf = tmp_path / "kiosk.toml"
    conf.write_text(
        f'[cache]\ndatabase = "{tmp_path / "kiosk.db"}"\n[logging]\ndir = "{tmp_path / "log"}"\n'
    )
    return subprocess.run(
        [KIOSK, "--config", str(conf), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )


def test_run_prints_a_json_transcript(tmp_path):
    result = kiosk(
        tmp_path,
        "flow",
        "run",
        str(FLOWS / "test_renewal.yaml"),
        "--answers",
        str(FLOWS / "happy.answers.yaml"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    transcript = json.loads(result.stdout)
    assert transcript["outcome"] == "done" and transcript["duration_s"] == 13.0
    steps = {s["step"]: s for s in transcript["steps"]}
    assert list(steps) == [
        "welcome",
        "reason",
        "contact",
        "check",
        "pay",
        "slip",
        "rating",
        "finished",
    ]
    assert steps["contact"]["result"] == {"values": {"phone": "139****5678", "agree": True}}
    assert steps["contact"]["inputs"][0]["answer"]["phone"] == "139****5678"
    assert steps["pay"]["result"]["payment_ref"] == "P-0001"
    assert steps["pay"]["left_at"] == 8.0
    assert "13912345678" not in result.stdout


def test_run_in_text(tmp_path):
    result = kiosk(
        tmp_path,
        "flow",
        "run",
        str(FLOWS / "test_renewal.yaml"),
        "--answers",
        str(FLOWS / "happy.answers.yaml"),
    )
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "outcome: done"


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (
            ["flow", "run", "no_such_flow", "--answers", "x.yaml"],
            2,
            "kiosk: no flow named 'no_such_flow'",
        ),
        (
            ["flow", "run", "{tmp}/broken.yaml", "--answers", "x.yaml"],
            2,
            "kiosk: {tmp}/broken.yaml:6: unknown step type 'blink'",
        ),
        (
            ["flow", "run", "{flows}/test_renewal.yaml", "--answers", "{tmp}/nope.yaml"],
            2,
            "kiosk: cannot read the answers file: {tmp}/nope.yaml:0: cannot read",
        ),
        (
            ["flow", "run", "{flows}/test_renewal.yaml", "--answers", "{tmp}/short.yaml"],
            2,
            "kiosk: {tmp}/short.yaml: no input left for step 'reason'",
        ),
        (
            ["flow", "run", "{flows}/test_renewal.yaml", "--answers", "{tmp}/noservice.yaml"],
            3,
            "kiosk: step 'pay' (pay) needs a service this terminal does not have yet",
        ),
        (["flow", "run"], 2, "kiosk: usage error: the following arguments are required"),
    ],
)
def test_failures_are_one_line(tmp_path, args, code, line):
    (tmp_path / "broken.yaml").write_text(
        "flow: broken\nversion: 1\ntitle: x\nstart: a\nsteps:\n  a: {type: blink}\n"
    )
    (tmp_path / "short.yaml").write_text("answers:\n  welcome: continue\n")
    (tmp_path / "noservice.yaml").write_text(
        (FLOWS / "happy.answers.yaml").read_text().split("services:")[0]
    )
    values = {"tmp": str(tmp_path), "flows": str(FLOWS)}
    result = kiosk(tmp_path, *[a.format(**values) for a in args])
    assert result.returncode == code, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(line.format(**values)), result.stderr


def test_check_lists_every_problem_with_its_line(tmp_path):
    broken = tmp_path / "test_renewal.yaml"
    text = (
        (FLOWS / "test_renewal.yaml")
        .read_text()
        .replace("    next: check\n", "    next: nowhere\n", 1)
    )
    broken.write_text(text.replace("text: flow.common.rate", "text: flow.rate.missing"))
    line = text.splitlines().index("    next: nowhere") + 1
    result = kiosk(tmp_path, "flow", "check", str(broken))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert f"{broken}:{line}: next goes to 'nowhere', which is not a step of this flow" in lines
    assert any("message id 'flow.rate.missing' is not in the catalogue" in x for x in lines)
    ok = kiosk(tmp_path, "flow", "check", str(FLOWS / "test_renewal.yaml"), "--json")
    assert json.loads(ok.stdout)["valid"] is True


def test_list(tmp_path):
    result = kiosk(tmp_path, "flow", "list", "--json")
    assert result.returncode == 0
    flows = json.loads(result.stdout)["flows"]
    assert all({"flow", "title", "devices", "services_needed"} <= set(f) for f in flows)
