"""`kiosk face compare IMAGE_A IMAGE_B`: are the faces in two pictures the same person?
For technicians checking the identity check's matcher on site. Exit 0 same person,
1 different, 2 bad input (a file missing or unreadable, no face, several faces),
3 the recognition model is not installed."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_FAILED, EXIT_OK, ServiceUnavailable, UsageError


class FaceCommand(Command):
    name = "face"
    help_id = "cmd.face.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        compare = actions.add_parser("compare", help=text("cmd.face.compare.help"))
        compare.add_argument("image_a", type=Path, metavar="IMAGE_A")
        compare.add_argument("image_b", type=Path, metavar="IMAGE_B")
        add_json_flag(compare, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action != "compare":
            raise UsageError("cli.no_action", command=self.name, actions="compare")
        from kiosk.identity.matcher import FaceMatcher, FaceNotUsable, ModelMissing

        # both files read before the models load: a typo costs no seconds
        pictures = [(path, _read(path)) for path in (args.image_a, args.image_b)]
        matcher = FaceMatcher()
        try:
            embeddings = []
            for path, data in pictures:
                try:
                    # a document photo and a camera still alike: small ones are enlarged
                    embeddings.append(matcher.encode_document(data))
                except FaceNotUsable as exc:
                    raise UsageError(f"face.{exc.code}", file=path) from None
            result = matcher.compare(*embeddings)
        except ModelMissing as exc:
            raise ServiceUnavailable("face.model_missing", detail=str(exc)) from None
        finally:
            matcher.close()
        payload = {
            "distance": result.distance,
            "threshold": result.threshold,
            "same": result.same,
            "score": result.score,
        }
        verdict = console.text("face.same" if result.same else "face.different")
        human = console.text(
            "face.compared",
            distance=f"{result.distance:.3f}",
            threshold=f"{result.threshold:.2f}",
            verdict=verdict,
        )
        console.report(payload, human)
        return EXIT_OK if result.same else EXIT_FAILED


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise UsageError("face.unreadable", file=path) from None
