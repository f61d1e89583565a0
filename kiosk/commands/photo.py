"""`kiosk photo check|make`: judge a picture against a photo spec, or make the spec's
photo from it (and its print sheet)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk.cli import Command, Console, add_json_flag
from kiosk.errors import EXIT_FAILED, EXIT_OK, UsageError


class PhotoCommand(Command):
    name = "photo"
    help_id = "cmd.photo.help"

    def configure(self, parser: argparse.ArgumentParser, text: Any) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION")
        check = actions.add_parser("check", help=text("cmd.photo.check.help"))
        check.add_argument("image", type=Path)
        check.add_argument("--spec", required=True, help=text("cmd.photo.spec"))
        add_json_flag(check, text)
        make = actions.add_parser("make", help=text("cmd.photo.make.help"))
        make.add_argument("image", type=Path)
        make.add_argument("--spec", required=True, help=text("cmd.photo.spec"))
        make.add_argument("-o", "--out", type=Path, required=True, help=text("cmd.photo.out"))
        make.add_argument("--sheet", type=Path, help=text("cmd.photo.sheet"))
        add_json_flag(make, text)

    def run(self, args: argparse.Namespace, console: Console) -> int:
        if args.action not in ("check", "make"):
            raise UsageError("cli.no_action", command=self.name, actions="check, make")
        from kiosk.photo.spec import SpecError, load

        try:
            spec = load(args.spec)
        except SpecError as exc:
            raise UsageError("photo.bad_spec", detail=str(exc)) from None
        image = _read(args.image)
        if args.action == "check":
            return _check(image, args.image, spec, console)
        return _make(image, args, spec, console)


def _read(path: Path) -> Any:
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR) if path.is_file() else None
    if image is None:
        raise UsageError("photo.unreadable", file=path)
    return image


def _reasons(problems: list[Any], console: Console) -> list[str]:
    return [f"  - {p.code}: {console.text(p.message_id)}" for p in problems]


def _check(image: Any, path: Path, spec: Any, console: Console) -> int:
    from kiosk.photo.checks import analyse
    from kiosk.photo.faces import FaceModels
    from kiosk.photo.verdict import decide

    models = FaceModels()
    try:
        analysis = analyse(image, models.find(image), spec)
    finally:
        models.close()
    # what `photo make` would do with this picture: one verdict for both
    verdict = decide(analysis, spec, "still")
    payload = {"file": str(path), "spec": spec.name, **analysis.as_dict(), **verdict.as_dict()}
    lines = [
        console.text("photo.check.passed", file=path, spec=spec.name)
        if verdict.ok
        else console.text("photo.check.failed", file=path, spec=spec.name),
        *_reasons(verdict.refused, console),
    ]
    if verdict.fixed:
        lines += [console.text("photo.check.fixed"), *_reasons(verdict.fixed, console)]
    if verdict.borderline:
        lines += [console.text("photo.check.borderline"), *_reasons(verdict.borderline, console)]
    console.report(payload, "\n".join(lines))
    return EXIT_OK if verdict.ok else EXIT_FAILED


def _make(image: Any, args: argparse.Namespace, spec: Any, console: Console) -> int:
    from kiosk.photo.faces import FaceModels
    from kiosk.photo.process import make

    models = FaceModels()
    try:
        made = make(image, spec, models)
    finally:
        models.close()
    payload: dict[str, Any] = {
        "file": str(args.image),
        "spec": spec.name,
        "made": made.ok,
        "problems": [{"code": p.code, "value": p.value, "limit": p.limit} for p in made.problems],
        "measures": {k: round(v, 4) for k, v in made.measures.items()},
    }
    if not made.ok or made.jpeg is None:
        human = "\n".join(
            [console.text("photo.make.refused", file=args.image), *_reasons(made.problems, console)]
        )
        console.report(payload, human)
        return EXIT_FAILED
    args.out.write_bytes(made.jpeg)
    lines = [
        console.text(
            "photo.make.done",
            out=args.out,
            width=spec.width_px,
            height=spec.height_px,
            dpi=spec.dpi,
            kb=round(len(made.jpeg) / 1024, 1),
            quality=made.quality,
            replaced=console.text("photo.make.replaced") if made.background_replaced else "",
        )
    ]
    payload.update(
        out=str(args.out),
        bytes=len(made.jpeg),
        quality=made.quality,
        background_replaced=made.background_replaced,
    )
    if args.sheet is not None:
        png = _sheets(made, spec, args.sheet)
        payload.update(sheet_pdf=str(args.sheet), sheet_png=str(png))
        lines.append(console.text("photo.make.sheet", pdf=args.sheet, png=png))
    console.report(payload, "\n".join(lines))
    return EXIT_OK


def _sheets(made: Any, spec: Any, pdf: Path) -> Path:
    import cv2

    from kiosk.photo.sheet import sheet_pdf, sheet_png

    width_mm, height_mm = spec.print_mm
    # 1 mm between photos and 2 mm margins: eight 33 x 48 mm photos fit a 6-inch sheet
    count, gap, margin = spec.sheet_count, 1.0, 2.0
    pdf.write_bytes(sheet_pdf(made.jpeg, width_mm, height_mm, count, gap_mm=gap, margin_mm=margin))
    png = pdf.with_suffix(".png")
    sheet = sheet_png(made.image, width_mm, height_mm, count, gap_mm=gap, margin_mm=margin)
    cv2.imwrite(str(png), sheet)
    return png
