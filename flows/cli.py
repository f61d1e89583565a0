"""`kiosk flow list|check|run`: flows for technicians, city packs and tests.

The flow modules are imported inside the actions: every `kiosk` command loads this
plug-in, and building the flow schema would slow them all down.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_OK, KioskError, UsageError

if TYPE_CHECKING:
    from flows.model import Flow


class FlowCommand(Command):
    name = "flow"
    help_id = "cmd.flow.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        listing = actions.add_parser("list", help=text("cmd.flow.list.help"))
        add_json_flag(listing, text)
        check = actions.add_parser("check", help=text("cmd.flow.check.help"))
        check.add_argument("file", type=Path)
        add_json_flag(check, text)
        run = actions.add_parser("run", help=text("cmd.flow.run.help"))
        run.add_argument("flow", help=text("cmd.flow.run.flow"))
        run.add_argument("--answers", type=Path, required=True, help=text("cmd.flow.run.answers"))
        add_json_flag(run, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action == "list":
            return self._list(console)
        if args.action == "check":
            return self._check(args.file, console)
        if args.action == "run":
            return self._run(args.flow, args.answers, console)
        raise UsageError("cli.no_action", command=self.name, actions="list, check, run")

    def _list(self, console: Console) -> int:
        from flows.loader import flow_files, load_flow
        from flows.step_types import STEP_TYPES

        rows: list[dict[str, Any]] = []
        for path in flow_files():
            flow = load_flow(path, console.strings)
            missing = sorted(
                {s.type for s in flow.steps.values() if not STEP_TYPES[s.type].by_engine}
            )
            rows.append(
                {
                    "flow": flow.flow,
                    "version": flow.version,
                    "title": console.text(flow.title),
                    "steps": len(flow.steps),
                    "devices": flow.devices(),
                    "services_needed": missing,
                }
            )
        human = "\n".join(
            f"{r['flow']:<24} {r['title']}  ({r['steps']} steps; {', '.join(r['devices']) or '-'})"
            for r in rows
        )
        console.report({"flows": rows}, human or console.text("flow.none"))
        return EXIT_OK

    def _check(self, path: Path, console: Console) -> int:
        from flows.loader import FlowFileError, load_flow

        try:
            flow = load_flow(path, console.strings)
        except FlowFileError as exc:
            lines = [str(p) for p in exc.problems]
            if console.json:
                console.report({"file": str(path), "valid": False, "problems": lines}, "")
            else:
                print("\n".join(lines), file=console.out)
            return exc.exit_code
        console.report(
            {
                "file": str(path),
                "valid": True,
                "flow": flow.flow,
                "steps": len(flow.steps),
                "devices": flow.devices(),
            },
            console.text("flow.check.ok", file=path, steps=len(flow.steps)),
        )
        return EXIT_OK

    def _run(self, name: str, answers: Path, console: Console) -> int:
        from flows.loader import flow_files, load_flow
        from flows.runner import HeadlessRunner, load_script, recover_open_sessions
        from offline_cache.database import DatabaseError, connect
        from offline_cache.journal import Journal
        from wire.sync import session_ended

        flow = _find(name, console)
        script = load_script(answers)
        console.start_logging()
        try:
            db = connect(console.loaded_config().config.cache.database)
        except DatabaseError as exc:
            raise KioskError("flow.database", detail=str(exc)) from None
        try:
            journal = Journal(db)
            known = {f.flow: f for f in (load_flow(p, console.strings) for p in flow_files())}
            known[flow.flow] = flow
            recovered = recover_open_sessions(journal, known, script)
            runner = HeadlessRunner(flow, script, journal, console.redactor)
            transcript = runner.run()
        finally:
            db.close()
        transcript["recovered"] = [
            {k: v for k, v in found.items() if k != "report"} for found in recovered
        ]
        # what the touchscreen would tell the backend of this session (on the virtual clock)
        transcript["session_ended"] = session_ended(
            flow.flow, str(transcript["outcome"]), runner.now, runner.report
        )
        human = (
            "\n".join(
                f"{s['entered_at']:>8.1f}s  {s['step']:<20} {s['type']:<12} {s.get('left_by', '')}"
                for s in transcript["steps"]
            )
            + "\n"
            + console.text("flow.run.outcome", outcome=transcript["outcome"])
        )
        console.report(transcript, human)
        return EXIT_OK


def _find(name: str, console: Console) -> Flow:
    from flows.loader import flow_files, load_flow

    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        path = next((p for p in flow_files() if p.stem == name), Path())
        if path == Path():
            names = ", ".join(p.stem for p in flow_files())
            raise UsageError("flow.unknown", name=name, known=names or "-")
    return load_flow(path, console.strings)
