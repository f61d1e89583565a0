"""`kiosk run`: start the touchscreen."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.cli import Command, Console
from kiosk.errors import UsageError


def seconds(value: str) -> float:
    """argparse type: its name shows in the error ("invalid seconds value: '-1'")."""
    parsed = float(value)
    if not 0 < parsed <= 86_400:
        raise ValueError(value)
    return parsed


class RunCommand(Command):
    name = "run"
    help_id = "cmd.run.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        parser.add_argument(
            "--screenshot", metavar="PNG", type=Path, help=text("cmd.run.screenshot")
        )
        parser.add_argument(
            "--quit-after", metavar="SECONDS", type=seconds, help=text("cmd.run.quit_after")
        )
        parser.add_argument("--windowed", action="store_true", help=text("cmd.run.windowed"))
        parser.add_argument("--sim", action="store_true", help=text("cmd.run.sim"))

    def run(self, args: argparse.Namespace, console: Console) -> int:
        from kiosk.app import RunOptions, run  # the composition root: Qt loads here

        if args.screenshot is not None and not args.screenshot.parent.is_dir():
            raise UsageError("run.no_folder", folder=args.screenshot.parent)
        console.start_logging(stderr_level=None)
        options = RunOptions(args.screenshot, args.quit_after, args.windowed, args.sim)
        exit_code = run(console.loaded_config(), options, console.strings, console.say)
        if args.screenshot is not None and exit_code == 0:
            console.say("run.screenshot_saved", file=args.screenshot)
        return exit_code
