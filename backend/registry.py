"""The seeded registry: synthetic citizens and permits, one for each case the flows
must handle (services.md). Never real people: the names are 测试 + a case word and
the ID numbers are made here, with a valid check digit, in region 110101.

Dates are relative to the day the database was first seeded, so the cases stay
true whenever the backend is started.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.db import Citizen, Permit

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: str, sequence: int) -> str:
    """A GB 11643 number: region 110101, birth YYYYMMDD, a sequence, the check digit."""
    body = f"110101{birth}{sequence:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


# case, name, birth date, years until the card expires (negative: expired), flags
CITIZENS = [
    ("renewal_due", "测试换证", "19800101", 0.1, {}),
    ("renewal_early", "测试未到期", "19810202", 5, {}),
    ("minor", "测试少年", f"{dt.date.today().year - 15}0303", 0.1, {}),
    ("collective", "测试集体户", "19820404", 0.1, {"collective_household": True}),
    ("first_application", "测试首次", "19830505", 0.1, {"first_application": True}),
    ("state_employee", "测试备案", "19840606", 3, {"state_employee": True}),
    ("record", "测试有记录", "19850707", 3, {"criminal_record": True}),
    ("exit_hold", "测试限制", "19860808", 3, {"exit_entry_hold": True}),
    ("traveller", "测试旅客", "19870909", 3, {}),
]
# The simulators' sample citizen (drivers' ID card and chip simulators), so that
# `make run` with its embedded backend walks the flows end to end.
SAMPLE_CARD: tuple[str, str, str, float, dict[str, bool]] = (
    "sample_card",
    "钱多多",
    "11010519491231002X",
    0.1,
    {},
)
SAMPLE_PERMIT = ("C01234567", "sample_card", False, 4, 400, True)

# case, holder case, booklet, years until expiry, days since last endorsement, used before
PERMITS = [
    ("C10000001", "traveller", False, 4, 400, True),
    ("C10000002", "state_employee", False, 4, 400, True),
    ("C10000003", "renewal_early", False, 4, None, False),
    ("C10000004", "exit_hold", False, 4, 400, True),
    ("C10000005", "record", False, 0.2, 400, True),
    ("C10000006", "minor", False, 4, 10, True),
    ("W1000007", "renewal_due", True, 4, 400, True),
]


def citizen_id(case: str) -> str:
    """The ID number of the registry's citizen for a case (tests and demos use it)."""
    if case == SAMPLE_CARD[0]:
        return SAMPLE_CARD[2]
    for index, (name, _, birth, _, _) in enumerate(CITIZENS):
        if name == case:
            return id_number(birth, 10 + 2 * index)
    raise KeyError(case)


def seed(engine: Engine, now: float | None = None) -> None:
    """Inserts the synthetic registry once (nothing happens on a seeded database)."""
    today = dt.date.fromtimestamp(now if now is not None else time.time())
    with Session(engine) as db:
        if db.scalar(select(Citizen).limit(1)) is not None:
            return
        for case, name, _birth, years, flags in [*CITIZENS, SAMPLE_CARD]:
            db.add(
                Citizen(
                    id_number=citizen_id(case),
                    name=name,
                    card_expires=_after(today, years).isoformat(),
                    **flags,
                )
            )
        db.flush()
        for number, holder, booklet, years, since, used in [*PERMITS, SAMPLE_PERMIT]:
            last = (today - dt.timedelta(days=since)).isoformat() if since is not None else None
            db.add(
                Permit(
                    number=number,
                    id_number=citizen_id(holder),
                    booklet=booklet,
                    expires=_after(today, years).isoformat(),
                    endorsements_used=1 if used else 0,
                    last_endorsed=last,
                )
            )
        db.commit()


def _after(today: dt.date, years: float) -> dt.date:
    return today + dt.timedelta(days=round(365.25 * years))
