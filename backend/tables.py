"""What the console's tables share: the site a terminal stands at, and a table as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db import Terminal

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
