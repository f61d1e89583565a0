"""What the console's routes share: the site a terminal stands at, a table as CSV, a
body read only once the sign-in is checked, and a tracked item's move checked against
its state."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from fastapi import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Terminal
from backend.problems import Refused

Model = TypeVar("Model", bound=BaseModel)
Row = TypeVar("Row")

# a route that answers its tables as CSV too (`format=csv`): in its OpenAPI responses
CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "JSON, or with format=csv a table as CSV",
          "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}}},
}  # fmt: skip


def site_of(terminal_name: str) -> str:
    """The site a terminal stands at, from its name: "北京 海淀 1号机" is at "北京 海淀"
    (the name without its last word). A name of one word is its own site."""
    words = terminal_name.split()
    return " ".join(words[:-1]) if len(words) > 1 else terminal_name.strip() or "?"


def terminal_site(name: str, site: str | None) -> str:
    """The site of a terminal, from its row: its own (`terminals.site`: given at
    enrolment or by an administrator), else the one its name says (`site_of`)."""
    return site.strip() if site and site.strip() else site_of(name)


def terminal_sites(db: Session) -> dict[str, str]:
    """Every terminal's site, by its id."""
    found = db.execute(select(Terminal.id, Terminal.name, Terminal.site))
    return {terminal: terminal_site(name, site) for terminal, name, site in found}


def csv_answer(name: str, header: Sequence[str], lines: Iterable[Sequence[Any]]) -> Response:
    """A CSV table, a header row first, UTF-8 with a byte-order mark (so that a
    spreadsheet opens the Chinese as Chinese); an empty cell for a null."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in line] for line in lines)
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def models_csv(name: str, model: type[BaseModel], rows: Iterable[BaseModel]) -> Response:
    """Rows of one pydantic model as a CSV table, a column for each of its fields."""
    columns = list(model.model_fields)
    return csv_answer(name, columns, ([getattr(row, c) for c in columns] for row in rows))


def body_of(model: type[Model], raw: bytes) -> Model:
    """A console write's JSON body, read by a dependency that needs the signed-in
    operator first: nobody signed in is refused (403) before anything is said about
    what they sent (422, as FastAPI's own would)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in ("body", *first.get("loc", ())))
        raise Refused(422, "invalid", f"{where}: {first.get('msg', 'invalid')}") from None


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """A route's `openapi_extra` for a JSON body that a dependency reads (`body_of`)."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}  # fmt: skip


def to_move(db: Session, table: type[Row], row_id: int, what: str, action: str,
            allowed: frozenset[str]) -> Row:  # fmt: skip
    """A tracked item (a follow-up, a warning) about to move, locked for the move: 404
    when there is none, 409 when its state does not allow the action."""
    row = db.get(table, row_id, with_for_update=True)
    if row is None:
        raise Refused(404, "not_found", f"no {what} {row_id}")
    state = row.state  # type: ignore[attr-defined]  # each such table has a state column
    if state not in allowed:
        raise Refused(409, "wrong_state", f"{what} {row_id} is {state}: to {action} it, it "
                      f"must be {' or '.join(sorted(allowed))}")  # fmt: skip
    return row
