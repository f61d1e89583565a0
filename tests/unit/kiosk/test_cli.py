from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import __version__, cli
from kiosk.cli import Command
from tests import canary
from tests.suite_env import SUITE

KIOSK = str(Path(sys.executable).parent / "kiosk")


def kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KIOSK, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **SUITE, **(env or {})},
    )


def test_version():
    result = kiosk("--version")
    assert (result.returncode, result.stdout) == (0, f"kiosk {__version__}\n")


@pytest.mark.parametrize("value", ["GM", "sm2", "intl "])
def test_a_default_suite_that_is_none_stops_every_command_in_one_line(value):
    result = kiosk("--version", env={"KIOSK_CRYPTO_DEFAULT": value})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"KIOSK_CRYPTO_DEFAULT={value!r}: a crypto suite is one of gm, intl\n"


def test_unknown_command_is_one_line_and_exit_2():
    result = kiosk("nonsense")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("kiosk: usage error: ") and "'nonsense'" in result.stderr


def test_bad_config_value_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[screen]\norientation = "sideways"\n')
    for args in (("config", "check"), ("run", "--screenshot", str(tmp_path / "x.png"))):
        result = kiosk("--config", str(bad), *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"kiosk: {bad}: screen.orientation = 'sideways': allowed: 'portrait' or 'landscape'\n"
        )
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ["run", "--screenshot", "/nonexistent/x.png"],
            {},
            "kiosk: /nonexistent: no such folder\n",
        ),
        (["run", "--quit-after", "-1"], {}, "invalid seconds value: '-1'"),
        (
            ["run", "--screenshot", "/tmp/x.png"],
            {"KIOSK__LOGGING__DIR": "/etc/passwd/logs"},
            "kiosk: /etc/passwd/logs/kiosk.jsonl: cannot write the log: Not a directory\n",
        ),
    ],
)
def test_run_refuses_bad_arguments_before_starting(args, env, expected):
    result = kiosk(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr


def test_no_command_and_no_action_are_usage_errors():
    assert kiosk().returncode == 2
    result = kiosk("config")
    assert (result.returncode, result.stderr) == (
        2,
        "kiosk: 'config' needs an action: show, check\n",
    )


def test_messages_follow_the_language():
    result = kiosk("--lang", "zh_CN", "config")
    assert result.stderr == "kiosk: “config”需要一个操作：show, check\n"
    assert kiosk("config", env={"LANG": "zh_CN.UTF-8"}).stderr == result.stderr


def test_config_show_json_is_the_whole_configuration(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[terminal]\nid = "booth-17"\n[devices.id_card]\ndriver = "sim"\n')
    result = kiosk(
        "--config", str(path), "config", "show", "--json", env={"KIOSK__SCREEN__LANGUAGE": "en"}
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["source"] == str(path)
    assert shown["overrides"] == ["screen.language"]
    assert shown["config"]["terminal"]["id"] == "booth-17"
    assert shown["config"]["screen"]["language"] == "en"
    assert shown["config"]["devices"]["id_card"]["timeout_ms"] == 5000


def test_config_check_a_named_file(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[screen]\nelderly_mode = true\n")
    result = kiosk("config", "check", str(path), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"valid": True, "source": str(path), "overrides": []}


def test_strings_check_and_show():
    result = kiosk("strings", "check", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["problems"] == []
    shown = json.loads(kiosk("strings", "show", "device.id_card", "--json").stdout)
    assert shown == {
        "id": "device.id_card",
        "texts": {"zh_CN": "身份证阅读器", "en": "ID card reader"},
    }
    assert kiosk("strings", "show", "no.such.id").returncode == 2


class Exploding(Command):
    name = "explode"
    help_id = "cmd.run.help"

    def run(self, args, console):
        raise RuntimeError(f"card {canary.ID_NUMBER} unreadable")


def test_a_bug_is_one_line_exit_4_and_the_masked_traceback_is_kept(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "load_commands", lambda: ([Exploding()], []))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert cli.main(["explode"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (RuntimeError)" in err
    assert "Traceback" not in err and canary.leaks(err) == []
    crash = next(tmp_path.glob("kiosk-crash-*.txt"))
    assert "RuntimeError: card 110105********002X unreadable" in crash.read_text()
    assert crash.stat().st_mode & 0o077 == 0


def test_a_broken_plugin_is_left_out_and_the_rest_works(monkeypatch, capsys):
    monkeypatch.setattr(
        cli,
        "load_commands",
        lambda: ([Exploding()], ["vendor (acme.cli:Cmd): ImportError: no acme"]),
    )
    assert cli.main(["--version"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("kiosk ")
    assert "a plug-in command could not be loaded and is left out: vendor" in captured.err


@pytest.mark.parametrize("name", ["run", "config", "strings"])
def test_every_shipped_command_is_registered(name):
    commands, broken = cli.load_commands()
    assert broken == []
    assert name in [c.name for c in commands]
